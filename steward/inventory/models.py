"""The inventory (資料資產盤點表): every data asset, its classification, and the yearly return.

An `InventoryItem` is one data asset of an agency (所屬機關) held by one of its units (單位).
Every year each agency submits its inventory (`AgencyInventory`, 年度盤點), the information
centre (資訊中心) compiles all agencies' returns into one ministry-wide `InventoryCompilation`,
and the CIO (資訊長) approves it or returns an agency's inventory with reasons.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from steward.lib.text import first_control_character

# The national portal's dataset identifier (資料集編號): agency code, dash, 6-character serial.
DATASET_IDENTIFIER_RE = re.compile(r"^[A-Za-z_0-9]{10}-[A-Za-z_0-9]{6}$")
DATASET_IDENTIFIER_VALIDATOR = RegexValidator(
    DATASET_IDENTIFIER_RE,
    _(
        "A dataset identifier (資料集編號) is the 10-character agency code, a dash and 6 characters."
    ),
)


class Classification(models.TextChoices):
    """How an item is provided (開放原則, DGBAS 捌)."""

    OPEN = "open", _("Open data (開放資料)")
    ON_REQUEST = "on_request", _("Provided on request (依申請提供)")
    NOT_PROVIDED = "not_provided", _("Not provided (不予提供)")


class RestrictionReason(models.TextChoices):
    """Why an item is not open (政府資訊公開法 §18 and the plans' wording)."""

    LEGAL = "legal", _("Legal restriction (法令限制)")
    PRIVACY = "privacy", _("Privacy (個人隱私)")
    NATIONAL_SECURITY = "national_security", _("National security (國家安全)")
    THIRD_PARTY = "third_party", _("Third-party rights (第三人權利)")
    SENSITIVE = "sensitive", _("Sensitive data (敏感性資料)")
    OTHER = "other", _("Other (其他)")


# Reasons that always rest on a statute, so the statute must be named (法令依據).
REASONS_NEEDING_LEGAL_BASIS = frozenset(
    {RestrictionReason.LEGAL, RestrictionReason.PRIVACY, RestrictionReason.NATIONAL_SECURITY}
)


class Source(models.TextChoices):
    """Where the asset lives (MOL 參、涵蓋範圍 二、資料層面)."""

    SYSTEM_DATABASE = "system_database", _("System database (業管系統資料庫)")
    WEBSITE = "website", _("Website content (官方網站電子資訊內容)")
    DOCUMENTS = "documents", _("Documents, forms, registers, reports (文件表單清冊報告)")


class ItemStatus(models.TextChoices):
    """Where the item stands on its way to an open dataset."""

    INVENTORIED = "inventoried", _("Inventoried (已盤點)")
    PLANNED = "planned", _("Planned for opening (預計開放)")
    OPENED = "opened", _("Opened (已開放)")
    WITHDRAWN = "withdrawn", _("Withdrawn (停止提供)")


class Half(models.TextChoices):
    H1 = "H1", _("First half (上半年)")
    H2 = "H2", _("Second half (下半年)")


#: The item's free-text fields (checked for characters a spreadsheet export cannot hold).
TEXT_FIELDS = (
    "identifier",
    "name",
    "description",
    "source",
    "legal_basis",
    "restriction_note",
    "dataset_identifier",
)


class InventoryItem(models.Model):
    """One data asset of the inventory (資料資產盤點表的一列)."""

    agency = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("agency (機關)"),
        on_delete=models.PROTECT,
        related_name="inventory_items",
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("unit (業務單位)"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The unit that holds the data; the agency itself when it has no unit."),
    )
    identifier = models.CharField(
        _("item number (盤點編號)"),
        max_length=40,
        help_text=_("Unique within the agency. Left empty, the next number is given."),
    )
    name = models.CharField(_("name (資料名稱)"), max_length=255)
    description = models.TextField(_("description (資料說明)"), blank=True)
    source = models.CharField(
        _("source (資料來源)"), max_length=20, choices=Source.choices, blank=True
    )
    classification = models.CharField(
        _("classification (開放類別)"), max_length=16, choices=Classification.choices
    )
    restriction_reason = models.CharField(
        _("reason not open (不開放理由)"),
        max_length=20,
        choices=RestrictionReason.choices,
        blank=True,
    )
    legal_basis = models.CharField(_("legal basis (法令依據)"), max_length=500, blank=True)
    restriction_note = models.TextField(_("explanation (說明)"), blank=True)
    gender_statistics = models.BooleanField(_("gender statistics (性別統計)"), default=False)
    priority_required_by_law = models.BooleanField(
        _("required by law to be public (依法應公開)"), default=False
    )
    priority_statutory_duty = models.BooleanField(
        _("produced by statutory duties, no legal restriction (法定職掌所產生無法規限制)"),
        default=False,
    )
    priority_high_demand = models.BooleanField(
        _("high public demand (民間查詢量較高)"), default=False
    )
    planned_year = models.PositiveSmallIntegerField(
        _("planned opening year (預計開放年度)"), null=True, blank=True
    )
    planned_half = models.CharField(
        _("planned half (上/下半年)"), max_length=2, choices=Half.choices, blank=True
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ItemStatus.choices, default=ItemStatus.INVENTORIED
    )
    # The dataset an item became: agencies write its portal identifier (資料集編號) in their
    # sheets; the services link `dataset` whenever a Dataset with that identifier exists.
    dataset = models.ForeignKey(
        "datasets.Dataset",
        verbose_name=_("dataset it became"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inventory_items",
    )
    dataset_identifier = models.CharField(
        _("dataset identifier (資料集編號)"),
        max_length=17,
        blank=True,
        validators=[DATASET_IDENTIFIER_VALIDATOR],
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("inventory item")
        verbose_name_plural = _("inventory items")
        ordering = ["agency__path", "identifier"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "identifier"], name="unique_inventory_identifier_per_agency"
            )
        ]
        # One for every filter the list page and the API offer (agency and unit have their
        # foreign-key indexes; the list sorts by agency, then the unique agency + number),
        # and the targets' count per agency of open items by planned year.
        indexes = [
            models.Index(
                fields=["agency", "classification", "planned_year"], name="inv_item_targets_idx"
            ),
            models.Index(fields=["classification", "planned_year"], name="inv_item_class_year_idx"),
            models.Index(fields=["planned_year"], name="inv_item_year_idx"),
            models.Index(fields=["status"], name="inv_item_status_idx"),
            models.Index(fields=["gender_statistics"], name="inv_item_gender_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.identifier} {self.name}"

    @property
    def planned_label(self) -> str:
        """The planned date as agencies write it: 115年上半年 (2026H1)."""
        from steward.inventory.values import format_planned

        return format_planned(self.planned_year, self.planned_half)

    @property
    def is_opened(self) -> bool:
        return (
            self.status == ItemStatus.OPENED
            or bool(self.dataset_identifier)
            or self.dataset_id is not None
        )

    def clean(self) -> None:
        """The inventory's rules; errors are keyed by field so imports can name the column."""
        errors: dict[str, list[Any]] = {}

        def add(field: str, message: Any) -> None:
            errors.setdefault(field, []).append(message)

        if self.classification == Classification.OPEN:
            if self.restriction_reason:
                add("restriction_reason", _("An open item has no reason for not opening."))
            if not self.planned_year:
                add("planned_year", _("An open item needs its planned opening year."))
            if not self.planned_half:
                add("planned_half", _("An open item needs the half of the year it opens in."))
        elif self.classification:
            if self.status in (ItemStatus.PLANNED, ItemStatus.OPENED):
                add("status", _("Only open items are planned for opening or opened."))
            if not self.restriction_reason:
                add("restriction_reason", _("An item that is not open needs a reason category."))
            elif self.restriction_reason in REASONS_NEEDING_LEGAL_BASIS:
                if not self.legal_basis.strip():
                    add("legal_basis", _("Name the law or regulation this reason rests on."))
            elif not self.legal_basis.strip() and not self.restriction_note.strip():
                add(
                    "restriction_note",
                    _("Give the legal basis or explain the reason in writing."),
                )
        for name in TEXT_FIELDS:
            character = first_control_character(getattr(self, name) or "")
            if character is not None:
                add(
                    name,
                    _("Remove the invisible control character U+%(code)04X from this text.")
                    % {"code": ord(character)},
                )
        if self.planned_year is not None and not 2000 <= self.planned_year <= 2100:
            add("planned_year", _("The planned year must be between 2000 and 2100 (民國89–189)."))
        if self.planned_half and not self.planned_year:
            add("planned_year", _("A planned half needs its year."))
        if self.dataset_identifier and self.classification != Classification.OPEN:
            add("dataset_identifier", _("Only an open item can have become a dataset."))
        if (
            self.organisation_id
            and self.agency_id
            and self.organisation.agency.pk != self.agency_id
        ):
            add("organisation", _("The unit must belong to the item's agency."))
        if errors:
            raise ValidationError(errors)


class InventoryStatus(models.TextChoices):
    """The yearly inventory return of an agency."""

    DRAFT = "draft", _("Draft (編修中)")
    AGENCY_APPROVAL = "agency_approval", _("Awaiting the agency's CIO (待機關資訊長核定)")
    SUBMITTED = "submitted", _("Submitted to the information centre (已提報)")
    COMPILED = "compiled", _("Compiled, awaiting the CIO (已彙整)")
    APPROVED = "approved", _("Approved by the CIO (已核定)")
    RETURNED = "returned", _("Returned for correction (退回修正)")


# The only transitions the services make: {transition: (from states, to state)}.
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "submit": (
        frozenset({InventoryStatus.DRAFT, InventoryStatus.RETURNED}),
        InventoryStatus.SUBMITTED,
    ),
    # Where the plan has the agency's own CIO approve first (MOEA: 經內部資訊長核定後提報).
    "submit_for_agency_approval": (
        frozenset({InventoryStatus.DRAFT, InventoryStatus.RETURNED}),
        InventoryStatus.AGENCY_APPROVAL,
    ),
    "agency_approve": (frozenset({InventoryStatus.AGENCY_APPROVAL}), InventoryStatus.SUBMITTED),
    "compile": (frozenset({InventoryStatus.SUBMITTED}), InventoryStatus.COMPILED),
    "approve": (frozenset({InventoryStatus.COMPILED}), InventoryStatus.APPROVED),
    "return": (
        frozenset(
            {InventoryStatus.AGENCY_APPROVAL, InventoryStatus.SUBMITTED, InventoryStatus.COMPILED}
        ),
        InventoryStatus.RETURNED,
    ),
}

# While an agency's return is in one of these states its items cannot change.
LOCKED_STATES = frozenset(
    {InventoryStatus.AGENCY_APPROVAL, InventoryStatus.SUBMITTED, InventoryStatus.COMPILED}
)


class InventoryCompilation(models.Model):
    """The ministry-wide compilation of one year's inventories (資訊中心彙整), for the CIO."""

    class Status(models.TextChoices):
        COMPILED = "compiled", _("Awaiting the CIO (待核定)")
        APPROVED = "approved", _("Approved (已核定)")

    ministry = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.COMPILED
    )
    note = models.TextField(_("note"), blank=True)
    compiled_at = models.DateTimeField(_("compiled at"), null=True, blank=True)
    compiled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("inventory compilation")
        verbose_name_plural = _("inventory compilations")
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(fields=["ministry", "year"], name="unique_compilation_year")
        ]

    def __str__(self) -> str:
        return f"{self.ministry} {self.year}"


class AgencyInventory(models.Model):
    """An agency's inventory return for one year (年度資料盤點提報).

    `snapshot` keeps the items and figures exactly as submitted, so the approved inventory
    stays readable after the items change again in later years.
    """

    agency = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("agency"),
        on_delete=models.PROTECT,
        related_name="inventory_returns",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    status = models.CharField(
        _("status"), max_length=16, choices=InventoryStatus.choices, default=InventoryStatus.DRAFT
    )
    planned_openings = models.PositiveIntegerField(_("planned openings"), default=0)
    target = models.PositiveIntegerField(_("target (目標值)"), null=True, blank=True)
    shortfall_reason = models.TextField(_("reason for the shortfall (未達目標理由)"), blank=True)
    return_reason = models.TextField(_("reason for returning (退回理由)"), blank=True)
    snapshot = models.JSONField(default=dict, blank=True)
    compilation = models.ForeignKey(
        InventoryCompilation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="returns",
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("agency inventory")
        verbose_name_plural = _("agency inventories")
        ordering = ["-year", "agency__path"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "year"], name="unique_agency_inventory_year")
        ]

    def __str__(self) -> str:
        return f"{self.agency} {self.year}"

    @property
    def is_locked(self) -> bool:
        return self.status in LOCKED_STATES

    @property
    def shortfall(self) -> int:
        if self.target is None:
            return 0
        return max(self.target - self.planned_openings, 0)


class ImportStatus(models.TextChoices):
    """Where an uploaded inventory file stands: checked, previewed, applied."""

    CHECKING = "checking", _("Being checked (檢查中)")
    PROBLEMS = "problems", _("Has problems (有錯誤)")
    READY = "ready", _("Preview ready (待確認)")
    APPLYING = "applying", _("Being imported (匯入中)")
    APPLIED = "applied", _("Imported (已匯入)")
    REFUSED = "refused", _("Not imported (未匯入)")


class InventoryImport(models.Model):
    """An uploaded inventory file kept between its preview and its confirmation.

    The file is stored so that confirming applies exactly what was previewed without a second
    upload; `preview` holds what it would change and `preview["digest"]` fingerprints it. A
    large file is checked and applied by a background job, which reports `progress_done` of
    `progress_total` rows for the page to show.
    """

    token = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    default_organisation = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    file_name = models.CharField(_("file"), max_length=255)
    data = models.BinaryField(_("file content"), blank=True)
    remove_missing = models.BooleanField(_("remove items missing from the file"), default=False)
    row_count = models.PositiveIntegerField(default=0)
    in_background = models.BooleanField(default=False)
    status = models.CharField(
        _("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.CHECKING
    )
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    preview = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("inventory import")
        verbose_name_plural = _("inventory imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.status})"

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 0
        return min(100, self.progress_done * 100 // self.progress_total)

    @property
    def is_running(self) -> bool:
        return self.status in (ImportStatus.CHECKING, ImportStatus.APPLYING)
