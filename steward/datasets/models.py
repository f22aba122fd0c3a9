"""Datasets (資料集) with the national metadata standard's fields, their resources (資料資源),
published versions, advisory-committee decisions and withdrawals (停止提供).

Field names follow the standard's JSON keys (data-gov-tw.md §1) so that a record maps onto
the portal body key for key; the one exception is `organisation`, our owning organisation
(a foreign key), beside the standard's `organization` (上級機關名稱, a text).
Every change goes through `steward.datasets.services`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from steward.datasets.workflow import ON_PORTAL, Status


class CategoryCode(models.TextChoices):
    """服務分類 categoryCode: the 18 codes of the standard."""

    C100 = "100", "100 生育保健"
    C200 = "200", "200 出生及收養"
    C300 = "300", "300 求學及進修"
    C400 = "400", "400 服兵役"
    C500 = "500", "500 求職及就業"
    C600 = "600", "600 開創事業"
    C700 = "700", "700 婚姻"
    C800 = "800", "800 投資理財"
    C900 = "900", "900 休閒旅遊"
    CA00 = "A00", "A00 交通及通訊"
    CB00 = "B00", "B00 就醫"
    CC00 = "C00", "C00 購屋及遷徙"
    CD00 = "D00", "D00 選舉及投票"
    CE00 = "E00", "E00 生活安全及品質"
    CF00 = "F00", "F00 退休"
    CG00 = "G00", "G00 老年安養"
    CH00 = "H00", "H00 生命禮儀"
    CI00 = "I00", "I00 公共資訊"


class DatasetType(models.TextChoices):
    """資料集類型 type."""

    RAW_DATA = "rawData", _("Raw data (原始資料)")
    SERVICES = "SERVICES", _("Services (系統介接程式)")
    TOOLS = "TOOLS", _("Tools")


class Cost(models.TextChoices):
    """計費方式 cost."""

    FREE = "免費", _("Free (免費)")
    CHARGED = "付費", _("Charged (付費)")
    # Not in the standard, but real catalogue records say 收費; kept so imports round-trip.
    CHARGED_ALT = "收費", _("Charged (收費)")


class CharacterSet(models.TextChoices):
    """編碼格式 characterSetCode."""

    UTF8 = "UTF-8", "UTF-8"
    BIG5 = "BIG5", "BIG5"
    OTHER = "其他", _("Other (其他)")


class ClassificationAfterWithdrawal(models.TextChoices):
    """What a withdrawn dataset becomes (DGBAS 捌二): on request, or not provided."""

    ON_REQUEST = "on_request", _("On request (依申請提供)")
    NOT_PROVIDED = "not_provided", _("Not provided (不予提供)")


DEFAULT_LICENSE = "政府資料開放授權條款-第1版"
DEFAULT_LICENSE_URL = "https://data.gov.tw/license"


class Dataset(models.Model):
    """One dataset (資料集) and its metadata (資料集基本資料表), owned by an agency or unit."""

    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("owning organisation"),
        on_delete=models.PROTECT,
        related_name="datasets",
    )
    status = models.CharField(
        _("status"), max_length=32, choices=Status.choices, default=Status.DRAFT, db_index=True
    )

    # --- the standard's dataset fields (data-gov-tw.md §1)
    identifier = models.CharField(_("identifier (資料集編號)"), max_length=17, unique=True)
    categoryCode = models.CharField(
        _("service category (服務分類)"), max_length=3, choices=CategoryCode.choices, blank=True
    )
    title = models.CharField(_("title (資料集名稱)"), max_length=255, blank=True)
    description = models.TextField(_("description (資料集描述)"), blank=True)
    fieldDescription = models.TextField(_("field description (主要欄位說明)"), blank=True)
    type = models.CharField(
        _("type (資料集類型)"),
        max_length=16,
        choices=DatasetType.choices,
        default=DatasetType.RAW_DATA,
    )
    license = models.CharField(_("licence (授權方式)"), max_length=255, default=DEFAULT_LICENSE)
    licenseURL = models.URLField(
        _("licence URL (授權說明網址)"), max_length=500, default=DEFAULT_LICENSE_URL
    )
    cost = models.CharField(
        _("cost (計費方式)"), max_length=8, choices=Cost.choices, default=Cost.FREE
    )
    costURL = models.URLField(_("cost URL (計費說明網址)"), max_length=500, blank=True)
    costLaw = models.CharField(
        _("legal basis of charges (計費法令依據)"), max_length=255, blank=True
    )
    organization = models.CharField(_("parent agency (上級機關名稱)"), max_length=255, blank=True)
    organizationContactName = models.CharField(
        _("parent agency contact (聯絡人姓名)"), max_length=255, blank=True
    )
    organizationContactPhone = models.CharField(
        _("parent agency contact phone (聯絡人電話)"), max_length=255, blank=True
    )
    organizationContactEmail = models.CharField(
        _("parent agency contact e-mail (聯絡人電子郵件)"), max_length=255, blank=True
    )
    publisher = models.CharField(_("publisher (提供機關名稱)"), max_length=255, blank=True)
    publisherContactName = models.CharField(
        _("publisher contact (聯絡人姓名)"), max_length=255, blank=True
    )
    publisherContactPhone = models.CharField(
        _("publisher contact phone (聯絡人電話)"), max_length=255, blank=True
    )
    publisherContactEmail = models.CharField(
        _("publisher contact e-mail (聯絡人電子郵件)"), max_length=255, blank=True
    )
    accrualPeriodicity = models.CharField(
        _("update frequency (更新頻率)"), max_length=40, blank=True
    )
    temporalCoverageFrom = models.DateField(
        _("coverage from (開始收錄日期)"), null=True, blank=True
    )
    temporalCoverageTo = models.DateField(_("coverage to (結束收錄日期)"), null=True, blank=True)
    issued = models.DateTimeField(_("issued (發布時間)"), null=True, blank=True)
    modified = models.DateTimeField(_("last modified (最後更新時間)"), null=True, blank=True)
    spatial = models.CharField(_("spatial coverage (空間範圍)"), max_length=255, blank=True)
    language = models.CharField(_("language (語系)"), max_length=40, blank=True, default="zh-TW")
    landingPage = models.URLField(_("landing page (相關網址)"), max_length=500, blank=True)
    keyword = models.JSONField(_("keywords (標籤)"), default=list, blank=True)
    numberOfData = models.PositiveIntegerField(
        _("number of records (資料量)"), null=True, blank=True
    )
    notes = models.TextField(_("notes (備註)"), blank=True)

    # --- ours
    gender_statistics = models.BooleanField(
        _("gender statistics (性別統計)"),
        default=False,
        help_text=_("Contains gender statistics; opened actively (DGBAS 捌六)."),
    )
    scheduled_publish_on = models.DateField(_("scheduled publishing date"), null=True, blank=True)
    portal_identifier = models.CharField(_("identifier on the portal"), max_length=64, blank=True)
    classification_after_withdrawal = models.CharField(
        _("classification after withdrawal"),
        max_length=16,
        choices=ClassificationAfterWithdrawal.choices,
        blank=True,
    )
    returned_reasons = models.TextField(
        _("reasons for return"),
        blank=True,
        help_text=_("Why the last reviewer sent it back; cleared when resubmitted."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("dataset")
        verbose_name_plural = _("datasets")
        ordering = ["identifier"]
        # The dataset list page sorts by newest change, filtered by status or organisation.
        indexes = [
            models.Index(fields=["-updated_at", "-id"], name="dataset_updated_idx"),
            models.Index(fields=["status", "-updated_at"], name="dataset_status_updated_idx"),
            models.Index(fields=["organisation", "-updated_at"], name="dataset_org_updated_idx"),
            # My work counts its rows per status within the person's organisations: covered
            # by this index, without reading the rows.
            models.Index(fields=["status", "organisation"], name="dataset_status_org_idx"),
            # The API's list by identifier: a deep page is found in this index, scope and
            # all, without reading the rows it skips.
            models.Index(
                fields=["identifier", "organisation", "id"], name="dataset_identifier_org_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.identifier} {self.title}".strip()

    @property
    def status_label(self) -> str:
        return str(Status(self.status).label)

    @property
    def is_on_portal(self) -> bool:
        """Whether the dataset is open on the national portal right now."""
        return self.status in ON_PORTAL

    def last_published(self) -> DatasetVersion | None:
        return self.versions.order_by("-number").first()


class Resource(models.Model):
    """One resource (資料資源, distribution) of a dataset: a file or a service."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="resources")
    resourceID = models.CharField(_("resource ID (資料資源編號)"), max_length=21, unique=True)
    resourceDescription = models.TextField(_("description (資料資源描述)"), blank=True)
    format = models.CharField(_("format (檔案格式)"), max_length=20, blank=True)
    characterSetCode = models.CharField(
        _("encoding (編碼格式)"),
        max_length=8,
        choices=CharacterSet.choices,
        default=CharacterSet.UTF8,
    )
    downloadURL = models.URLField(_("download URL (資料下載網址)"), max_length=1000, blank=True)
    accessURL = models.URLField(_("access URL (資料存取網址)"), max_length=1000, blank=True)
    resourceModified = models.DateTimeField(
        _("last modified (資料資源最後更新時間)"), null=True, blank=True
    )
    metadataSourceOfData = models.URLField(
        _("domain metadata URL (領域別詮釋資料參考網址)"), max_length=500, blank=True
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        ordering = ["dataset", "position", "resourceID"]

    def __str__(self) -> str:
        return self.resourceID


class DatasetVersion(models.Model):
    """The metadata as published (the §1 JSON body), kept so reviews diff against it."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    metadata = models.JSONField(_("metadata as published"))
    portal_identifier = models.CharField(_("identifier on the portal"), max_length=64, blank=True)
    published_at = models.DateTimeField(_("published at"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("published version")
        verbose_name_plural = _("published versions")
        ordering = ["dataset", "number"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "number"], name="unique_dataset_version")
        ]

    def __str__(self) -> str:
        return f"{self.dataset.identifier} v{self.number}"


class CommitteeMeeting(models.Model):
    """A meeting of the advisory committee (諮詢小組會議) that decides datasets and withdrawals."""

    ministry = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("ministry"),
        on_delete=models.PROTECT,
        related_name="committee_meetings",
    )
    held_on = models.DateField(_("held on"))
    number = models.CharField(
        _("meeting number"), max_length=60, help_text=_("e.g. 115年第1次會議")
    )
    attendees = models.TextField(_("attendees"), blank=True)
    civil_representatives = models.PositiveSmallIntegerField(
        _("civil representatives present (民間代表)"), default=0
    )
    minutes = models.TextField(_("minutes (會議紀錄)"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("committee meeting")
        verbose_name_plural = _("committee meetings")
        ordering = ["-held_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["ministry", "number"], name="unique_meeting_number")
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.held_on:%Y-%m-%d})"


class Decision(models.TextChoices):
    APPROVE = "approve", _("Approve opening")
    REJECT = "reject", _("Return for correction")
    WITHDRAW = "withdraw", _("Agree to withdraw")
    KEEP_OPEN = "keep_open", _("Keep it open")


class CommitteeDecision(models.Model):
    """What a committee meeting decided about one dataset (recorded decision)."""

    meeting = models.ForeignKey(
        CommitteeMeeting, on_delete=models.PROTECT, related_name="decisions"
    )
    dataset = models.ForeignKey(
        Dataset, on_delete=models.CASCADE, related_name="committee_decisions"
    )
    decision = models.CharField(_("decision"), max_length=16, choices=Decision.choices)
    reasons = models.TextField(_("reasons"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("committee decision")
        verbose_name_plural = _("committee decisions")
        ordering = ["recorded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.meeting} · {self.dataset.identifier} · {self.decision}"


class Withdrawal(models.Model):
    """A withdrawal (停止提供) of an open dataset: reason, committee, head, public notice."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="withdrawals")
    reason = models.TextField(_("reason"))
    new_classification = models.CharField(
        _("becomes"), max_length=16, choices=ClassificationAfterWithdrawal.choices
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    committee_decision = models.OneToOneField(
        CommitteeDecision, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    notice_text = models.TextField(_("public notice"), blank=True)
    notice_published_on = models.DateField(_("notice published on"), null=True, blank=True)
    refused_reasons = models.TextField(_("reasons for keeping it open"), blank=True)
    closed = models.BooleanField(_("closed"), default=False)

    class Meta:
        verbose_name = _("withdrawal")
        verbose_name_plural = _("withdrawals")
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.dataset.identifier} · {self.get_new_classification_display()}"


def as_dict(instance: models.Model, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """Plain field values of a model instance (foreign keys as ids), for diffs."""
    return {
        field.attname: getattr(instance, field.attname)
        for field in instance._meta.concrete_fields
        if field.attname not in exclude
    }
