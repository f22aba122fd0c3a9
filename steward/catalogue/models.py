"""The public catalogue (資料目錄): one entry per published dataset, as it was last published.

An entry is a projection of the dataset's latest published version (`DatasetVersion.metadata`,
the national standard's record), never of the working row: a draft edit awaiting review is not
public. Entries are written by `services.refresh_entries` in the transaction that publishes,
imports or withdraws, so the public side (pages, the CKAN Action API, DCAT) reads one table
whose every row may be shown to anyone.

Search reads `SearchRow`, a narrow copy of what it filters, counts and ranks on (no published
record), written in the same transaction as its entry: counting the facets of 30,000 matches
reads 30,000 short rows instead of 30,000 rows carrying their record.
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


class _RowIdKey(models.OneToOneField):  # type: ignore[type-arg]
    """A one-to-one primary key that is SQLite's rowid ("integer PRIMARY KEY", not "bigint"),
    so the FTS5 index's rowids find their rows in one lookup instead of two."""

    def db_type(self, connection: Any) -> str | None:
        return "integer" if connection.vendor == "sqlite" else super().db_type(connection)


class _TokensField(models.TextField):  # type: ignore[type-arg]
    """Space-separated index tokens: text on SQLite (read by the FTS5 table), a `tsvector` on
    PostgreSQL (the same text is its input syntax; each token a lexeme), so its GIN index is
    read and a row is tested without splitting a string."""

    def db_type(self, connection: Any) -> str | None:
        return "tsvector" if connection.vendor == "postgresql" else super().db_type(connection)


class SearchRow(models.Model):
    """What search reads of one entry: its filters, facets, ranking columns and index tokens.

    Written by `services.refresh_entries` with the entry (and removed with it); the quality
    mark and stars by `services.refresh_quality` when verdicts are recorded.
    """

    entry = _RowIdKey(
        CatalogueEntry, primary_key=True, on_delete=models.CASCADE, related_name="search_row"
    )
    ministry = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    agency = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    identifier = models.CharField(max_length=17, unique=True)
    name = models.CharField(max_length=40)
    title = models.CharField(max_length=255)
    category_code = models.CharField(max_length=3, blank=True)
    licence = models.CharField(max_length=255, blank=True)
    update_frequency = models.CharField(max_length=40, blank=True)
    formats = models.CharField(max_length=255, blank=True)  # as CatalogueEntry.formats
    tags = models.TextField(blank=True)  # as CatalogueEntry.tags
    first_published_at = models.DateTimeField()
    published_at = models.DateTimeField()
    #: The best platform mark among the latest verdicts of the dataset's resources ("gold",
    #: "silver", "bronze", "none"; "" when none was checked), and the most openness stars.
    quality_mark = models.CharField(max_length=10, blank=True)
    stars = models.PositiveSmallIntegerField(null=True, blank=True)
    #: Title, description, 主要欄位說明 and keywords, lower-cased: what a term must be part of.
    search_text = models.TextField(blank=True)
    #: The index's tokens of `search_text` (`search.tokens`): an FTS5 table on SQLite, a
    #: tsvector with a GIN index on PostgreSQL (`search_index.py`, migration 0002); never shown.
    search_tokens = _TokensField(blank=True)

    class Meta:
        verbose_name = _("search row")
        verbose_name_plural = _("search rows")
        # every facet is a GROUP BY of one column (a covering index scan without a query),
        # and the first page without a query is the most recent
        indexes = [
            models.Index(fields=["-published_at", "identifier"], name="search_recent_idx"),
            models.Index(fields=["ministry", "-published_at"], name="search_ministry_idx"),
            models.Index(fields=["category_code"], name="search_category_idx"),
            models.Index(fields=["licence"], name="search_licence_idx"),
            models.Index(fields=["update_frequency"], name="search_frequency_idx"),
            models.Index(fields=["formats"], name="search_formats_idx"),
            models.Index(fields=["quality_mark"], name="search_mark_idx"),
            models.Index(fields=["stars"], name="search_stars_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.identifier} {self.title}"


class SearchVersion(models.Model):
    """One row: a token that changes with every write to the search rows.

    Triggers on `SearchRow` (`search_index.py`) set a new random token in the writing
    transaction, so every insert, update, delete (a cascade too) and bulk load changes it and
    a rolled-back write leaves it as it was. `snapshot.py` keeps what it holds in memory only
    while the token it was built at is the current one.
    """

    token = models.CharField(max_length=40)

    class Meta:
        verbose_name = _("search version")
        verbose_name_plural = _("search versions")

    def __str__(self) -> str:
        return self.token
