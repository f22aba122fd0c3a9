"""The public catalogue (資料目錄): one entry per published dataset, as it was last published.

An entry is a projection of the dataset's latest published version (`DatasetVersion.metadata`,
the national standard's record), never of the working row: a draft edit awaiting review is not
public. Entries are written by `services.refresh_entries` in the transaction that publishes,
imports or withdraws, so the public side (pages, the CKAN Action API, DCAT) reads one table
whose every row may be shown to anyone.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class CatalogueEntry(models.Model):
    """A published dataset as the public sees it (the metadata of its latest version)."""

    dataset = models.OneToOneField(
        "datasets.Dataset", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    ministry = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    agency = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(_("published version"))
    identifier = models.CharField(_("identifier (資料集編號)"), max_length=17, unique=True)
    name = models.CharField(_("URL name"), max_length=40, unique=True)  # CKAN's lower-case name
    title = models.CharField(_("title (資料集名稱)"), max_length=255)
    category_code = models.CharField(_("service category (服務分類)"), max_length=3, blank=True)
    licence = models.CharField(_("licence (授權方式)"), max_length=255, blank=True)
    update_frequency = models.CharField(_("update frequency (更新頻率)"), max_length=40, blank=True)
    #: The resources' formats, upper-case, each between commas (",CSV,JSON,"): a plain
    #: substring filter and a facet on both databases, where a JSON list would be neither.
    formats = models.CharField(_("formats"), max_length=255, blank=True)
    #: The keywords (標籤), each between line feeds ("\n勞保\n投保薪資\n"), for the same reason.
    tags = models.TextField(_("keywords (標籤)"), blank=True)
    first_published_at = models.DateTimeField(_("first published"))
    published_at = models.DateTimeField(_("last published"), db_index=True)
    record = models.JSONField(_("metadata as published"))
    #: Title, description, 主要欄位說明 and keywords, lower-cased, for substring search.
    search_text = models.TextField(blank=True)

    class Meta:
        verbose_name = _("catalogue entry")
        verbose_name_plural = _("catalogue entries")
        ordering = ["-published_at", "identifier"]
        indexes = [
            models.Index(fields=["ministry", "-published_at"], name="entry_ministry_recent_idx"),
            models.Index(fields=["agency", "-published_at"], name="entry_agency_recent_idx"),
            models.Index(fields=["category_code"], name="entry_category_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.identifier} {self.title}"

    @property
    def resources(self) -> list[dict[str, Any]]:
        return list(self.record.get("distribution") or [])

    @property
    def format_list(self) -> list[str]:
        return [f for f in self.formats.split(",") if f]
