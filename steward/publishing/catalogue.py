"""The portal's 22-column catalogue CSV (data-gov-tw.md §2): export a ministry's datasets,
and import one so a ministry can start from what it has already published.

Export writes the datasets that are on the portal (published, or published and being
edited or withdrawn) of the ministry's tree, UTF-8 with BOM, one row per dataset with the
per-resource columns joined with ``;``. The total 資料量 (numberOfData) goes on the first
resource, so that import (which sums the per-resource amounts) gives it back.

Import is all-or-nothing. `check_catalogue` reads the bytes and returns a report listing
every problem (file, row, column, reason) and the datasets it would create; only if there
is none does `import_catalogue` write them, in one transaction, as published datasets
(資料集 already on the portal). Refused: files over STEWARD_MAX_UPLOAD_BYTES, files that
are not CSV text (an Excel workbook, binary), a wrong header, broken quoting, per-resource
lists of different lengths, malformed or duplicate identifiers (within the file or
already in the database), rows whose organisation cannot be found, and values the
standard does not allow. Encoding: UTF-8 (with or without BOM) as the portal exports it;
a file that is not UTF-8 but is valid Big5/CP950 — what Excel on a Traditional Chinese
Windows saves — is accepted and the report says it was read as CP950.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from steward.audit.services import record
from steward.datasets.metadata import record_of
from steward.datasets.models import (
    CharacterSet,
    Dataset,
    DatasetType,
    DatasetVersion,
    Resource,
)
from steward.datasets.standard import (
    CATEGORY_CODES,
    COSTS,
    DATASET_TYPES,
    IDENTIFIER_RE,
    CatalogueFormatError,
    CatalogueResource,
    CatalogueRow,
    UpdateFrequencyError,
    normalise_encoding_label,
    parse_update_frequency,
    read_catalogue,
    write_catalogue,
)
from steward.datasets.workflow import ON_PORTAL, Status
from steward.lib.cells import FORMULA_WARNING
from steward.lib.uploads import UploadRefused, decode_upload
from steward.organisations.models import Organisation, Person
from steward.organisations.scope import Action, require, scope_q

#: Most problems listed in one report; a file with more is clearly the wrong file.
MAX_LISTED_PROBLEMS = 500
_URL = URLValidator(schemes=["http", "https"])
_ENCODING_CHOICE = {
    "UTF-8": CharacterSet.UTF8,
    "BIG5": CharacterSet.BIG5,
    "OTHER": CharacterSet.OTHER,
}
_NAME_TO_CODE = {name: code for code, name in CATEGORY_CODES.items()}


# ---------------------------------------------------------------- export


def _row_of(dataset: Dataset) -> CatalogueRow:
    resources = list(dataset.resources.all())
    labels = DATASET_TYPES.get(dataset.type, ())
    amount = "" if dataset.numberOfData is None else str(dataset.numberOfData)
    return CatalogueRow(
        identifier=dataset.identifier,
        title=dataset.title,
        provider_type=labels[0] if labels else dataset.type,
        category=CATEGORY_CODES.get(dataset.categoryCode, dataset.categoryCode),
        quality_mark="",
        listing_method="",
        description=dataset.description,
        field_description=dataset.fieldDescription,
        publisher=dataset.publisher,
        update_frequency=dataset.accrualPeriodicity,
        licence=dataset.license,
        landing_page=dataset.landingPage,
        cost=dataset.cost,
        contact_name=dataset.publisherContactName,
        contact_phone=dataset.publisherContactPhone,
        listed_at=_stamp(dataset.issued),
        metadata_modified_at=_stamp(dataset.modified),
        notes=dataset.notes,
        resources=[
            CatalogueResource(
                format=resource.format,
                download_url=resource.downloadURL or resource.accessURL,
                encoding=resource.characterSetCode,
                amount=amount if index == 0 else "",
            )
            for index, resource in enumerate(resources)
        ],
    )


def _stamp(value: datetime.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def datasets_for_export(ministry: Organisation, *, by: Person | None) -> Any:
    """The ministry's datasets on the portal that `by` may see, in identifier order.

    `by=None` is the command line (an operator of the server): everything of the ministry.
    """
    datasets = Dataset.objects.filter(
        organisation__path__startswith=ministry.path, status__in=ON_PORTAL
    )
    if by is not None:
        require(by, Action.VIEW, ministry)
        datasets = datasets.filter(scope_q(by, Action.VIEW))
    return datasets.prefetch_related("resources").order_by("identifier")


def export_catalogue(ministry: Organisation, stream: IO[bytes], *, by: Person | None) -> int:
    """Write the ministry's catalogue CSV to a binary stream; returns the number of rows."""
    return write_catalogue(
        (_row_of(dataset) for dataset in datasets_for_export(ministry, by=by)), stream
    )


# ---------------------------------------------------------------- import: the check


@dataclass(frozen=True)
class ImportProblem:
    """One reason the file cannot be imported: where (file, row, column) and why."""

    file: str
    row: int  # 1 = the header; 0 = the file as a whole
    column: str
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row:
            where.append(_("row %(row)d") % {"row": self.row})
        if self.column:
            where.append(f"「{self.column}」")
        return f"{' · '.join(where)}: {self.message}"


@dataclass
class PlannedDataset:
    """A row turned into what would be created."""

    row: int
    organisation: Organisation
    values: dict[str, Any]
    resources: list[dict[str, Any]]


@dataclass
class ImportReport:
    """What a catalogue file holds: problems (any → nothing imported), warnings, the plan."""

    file: str
    encoding: str = ""
    rows: int = 0
    problems: list[ImportProblem] = field(default_factory=list)
    warnings: list[ImportProblem] = field(default_factory=list)
    planned: list[PlannedDataset] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    more_problems: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def refuse(self, row: int, column: str, message: str) -> None:
        if len(self.problems) >= MAX_LISTED_PROBLEMS:
            self.more_problems += 1
            return
        self.problems.append(ImportProblem(self.file, row, column, message))

    def warn(self, row: int, column: str, message: str) -> None:
        if len(self.warnings) < MAX_LISTED_PROBLEMS:
            self.warnings.append(ImportProblem(self.file, row, column, message))


class CatalogueImportError(Exception):
    """The file cannot be imported; `report.problems` lists every reason. Nothing changed."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(
            _("%(file)s cannot be imported: %(count)d problem(s).")
            % {"file": report.file, "count": len(report.problems) + report.more_problems}
        )
        self.report = report


def upload_limit() -> int:
    """The largest file accepted, in bytes (STEWARD_MAX_UPLOAD_BYTES)."""
    return int(settings.STEWARD_MAX_UPLOAD_BYTES)


def refuse_if_too_large(size: int, report: ImportReport) -> bool:
    """Record the refusal of a file over the limit; True if it is too large."""
    limit = upload_limit()
    if size <= limit:
        return False
    report.refuse(
        0,
        "",
        _("The file is %(size)s bytes; the most accepted is %(limit)s bytes.")
        % {"size": f"{size:,}", "limit": f"{limit:,}"},
    )
    return True


def decode(data: bytes, report: ImportReport) -> str | None:
    """The file's text, or None with the reason in the report (size, binary, encoding)."""
    try:
        decoded = decode_upload(data, limit=upload_limit())
    except UploadRefused as refused:
        report.refuse(0, "", refused.reason)
        return None
    if not decoded.is_big5:
        report.encoding = "UTF-8"
        return decoded.text
    text = decoded.text
    report.encoding = "CP950"
    report.warn(
        0,
        "",
        _(
            "The file is not UTF-8; it was read as Big5 (CP950), as Excel saves it. Check the names."
        ),
    )
    return text


def _parse_stamp(text: str) -> datetime.datetime | None:
    text = text.strip().replace("/", "-")
    if not text:
        return None
    text = text.split(".")[0]  # drop fractions of a second
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return timezone.make_aware(datetime.datetime.strptime(text, pattern))
        except ValueError:
            continue
    raise ValueError(text)


class _Organisations:
    """Finds a row's organisation in the ministry's tree: by 提供機關 name, else agency code."""

    def __init__(self, ministry: Organisation) -> None:
        tree = list(ministry.subtree())
        self.by_name: dict[str, Organisation] = {}
        for organisation in tree:
            for name in (organisation.name, organisation.short_name):
                if name:
                    self.by_name.setdefault(name.strip(), organisation)
        self.by_code = {o.agency_code: o for o in tree if o.agency_code}

    def find(self, publisher: str, identifier: str) -> Organisation | None:
        return self.by_name.get(publisher.strip()) or self.by_code.get(identifier[:10])


def _category(text: str) -> str | None:
    value = text.strip()
    if not value:
        return ""
    if value in CATEGORY_CODES:
        return value
    if value in _NAME_TO_CODE:
        return _NAME_TO_CODE[value]
    head = value.split()[0]  # "I00 公共資訊"
    return head if head in CATEGORY_CODES else None


def _dataset_type(text: str) -> str | None:
    value = text.strip()
    if not value:
        return DatasetType.RAW_DATA
    if value in DATASET_TYPES:
        return value
    for code, labels in DATASET_TYPES.items():
        if value in labels:
            return code
    return None


_LENGTHS = {
    "title": ("資料集名稱", 255),
    "description": ("資料集描述", 500),
    "fieldDescription": ("主要欄位說明", 255),
    "publisher": ("提供機關", 255),
    "license": ("授權方式", 255),
    "publisherContactName": ("提供機關聯絡人姓名", 255),
    "publisherContactPhone": ("提供機關聯絡人電話", 255),
    "accrualPeriodicity": ("更新頻率", 40),
}


def _plan_row(
    row: CatalogueRow, organisations: _Organisations, report: ImportReport
) -> PlannedDataset | None:
    """Turn one row into a planned dataset, refusing (in the report) what cannot be stored."""
    before = len(report.problems) + report.more_problems
    number = row.row
    for problem in row.problems:
        report.refuse(number, problem.column, problem.message)
    if any(problem.code == "column_count" for problem in row.problems):
        return None  # the cells are shifted: anything more said about them would be noise

    identifier = row.identifier.strip()
    if not IDENTIFIER_RE.match(identifier):
        report.refuse(
            number,
            "資料集識別碼",
            _("“%(value)s” is not an identifier: 10-character agency code, a dash, 6 characters.")
            % {"value": identifier},
        )
    organisation = organisations.find(row.publisher, identifier)
    if organisation is None:
        report.refuse(
            number,
            "提供機關",
            _(
                "No organisation of this ministry is called “%(name)s” or has the agency code "
                "“%(code)s”. Add it to the organisation tree first."
            )
            % {"name": row.publisher, "code": identifier[:10]},
        )

    category = _category(row.category)
    if category is None:
        report.refuse(
            number,
            "服務分類",
            _("“%(value)s” is not one of the 18 service categories.") % {"value": row.category},
        )
    dataset_type = _dataset_type(row.provider_type)
    if dataset_type is None:
        report.refuse(
            number,
            "資料提供屬性",
            _("“%(value)s” is not a dataset type (原始資料, 系統介接程式 …).")
            % {"value": row.provider_type},
        )
    cost = row.cost.strip()
    if not cost:
        cost = "免費"
        report.warn(number, "計費方式", _("No cost given; recorded as 免費."))
    elif cost not in COSTS:
        report.refuse(number, "計費方式", _("“%(value)s” is not 免費 or 付費.") % {"value": cost})

    values: dict[str, Any] = {
        "identifier": identifier,
        "categoryCode": category or "",
        "type": dataset_type or DatasetType.RAW_DATA,
        "title": row.title.strip(),
        "description": row.description.strip(),
        "fieldDescription": row.field_description.strip(),
        "publisher": row.publisher.strip(),
        "license": row.licence.strip() or "政府資料開放授權條款-第1版",
        "cost": cost,
        "publisherContactName": row.contact_name.strip(),
        "publisherContactPhone": row.contact_phone.strip(),
        "accrualPeriodicity": row.update_frequency.strip(),
        "notes": row.notes,
        "organization": organisation.ministry.name if organisation else "",
    }
    for key, (column, limit) in _LENGTHS.items():
        if len(values[key]) > limit:
            report.refuse(
                number,
                column,
                _("%(length)d characters; the standard allows %(limit)d.")
                % {"length": len(values[key]), "limit": limit},
            )
    if not values["title"]:
        report.refuse(number, "資料集名稱", _("The title is empty."))
    if values["accrualPeriodicity"]:
        try:
            parse_update_frequency(values["accrualPeriodicity"])
        except UpdateFrequencyError as error:
            report.warn(number, "更新頻率", str(error))

    landing = row.landing_page.strip()
    if landing:
        try:
            _URL(landing)
            if len(landing) > 500:
                raise ValidationError("too long")
            values["landingPage"] = landing
        except ValidationError:
            report.warn(
                number,
                "相關網址",
                _("“%(value)s” is not a web address; left out.") % {"value": landing[:80]},
            )
    for key, column, text in (
        ("issued", "上架日期", row.listed_at),
        ("modified", "詮釋資料更新時間", row.metadata_modified_at),
    ):
        try:
            values[key] = _parse_stamp(text)
        except ValueError:
            report.refuse(
                number,
                column,
                _("“%(value)s” is not a date (YYYY-MM-DD or YYYY-MM-DD hh:mm:ss).")
                % {"value": text},
            )

    resources, total = _plan_resources(row, identifier, values, report)
    values["numberOfData"] = total
    if len(report.problems) + report.more_problems > before or organisation is None:
        return None
    return PlannedDataset(number, organisation, values, resources)


def _plan_resources(
    row: CatalogueRow, identifier: str, values: dict[str, Any], report: ImportReport
) -> tuple[list[dict[str, Any]], int | None]:
    number = row.row
    planned: list[dict[str, Any]] = []
    amounts: list[int] = []
    amounts_ok = True
    if not row.resources:
        report.refuse(number, "檔案格式", _("The dataset has no resource (檔案格式 is empty)."))
    if len(row.resources) > 999:
        report.refuse(number, "檔案格式", _("More than 999 resources."))
    for index, resource in enumerate(row.resources, start=1):
        label = _("resource %(n)d") % {"n": index}
        file_format = resource.format.strip()
        if not file_format:
            report.refuse(
                number, "檔案格式", _("%(resource)s has no format.") % {"resource": label}
            )
        elif len(file_format) > 20:
            report.refuse(
                number,
                "檔案格式",
                _("%(resource)s: “%(value)s” is too long for a format.")
                % {"resource": label, "value": file_format},
            )
        encoding = normalise_encoding_label(resource.encoding or "UTF-8")
        if encoding is None:
            report.refuse(
                number,
                "編碼格式",
                _("%(resource)s: “%(value)s” is not UTF-8, BIG5 or 其他.")
                % {"resource": label, "value": resource.encoding},
            )
        url = resource.download_url.strip()
        if url:
            try:
                _URL(url)
                if len(url) > 1000:
                    raise ValidationError("too long")
            except ValidationError:
                report.refuse(
                    number,
                    "資料下載網址",
                    _("%(resource)s: “%(value)s” is not a web address.")
                    % {"resource": label, "value": url[:80]},
                )
        amount = resource.amount.strip().replace(",", "")
        if amount:
            if amount.isdigit():
                amounts.append(int(amount))
            else:
                amounts_ok = False
                report.warn(
                    number,
                    "資料量",
                    _("%(resource)s: “%(value)s” is not a whole number; left out.")
                    % {"resource": label, "value": resource.amount},
                )
        service = values.get("type") in (DatasetType.SERVICES, DatasetType.TOOLS)
        planned.append(
            {
                "resourceID": f"{identifier}-{index:03d}",
                "resourceDescription": (f"{values['title']}（{file_format}）")[:500],
                "format": file_format,
                "characterSetCode": _ENCODING_CHOICE.get(encoding or "", CharacterSet.UTF8),
                "downloadURL": "" if service else url,
                "accessURL": url if service else "",
                "position": index,
            }
        )
    total = sum(amounts) if amounts and amounts_ok else None
    return planned, total


def check_catalogue(data: bytes, *, ministry: Organisation, file: str) -> ImportReport:
    """Read a catalogue file and report every problem and what would be created (no writes)."""
    report = ImportReport(file=file)
    text = decode(data, report)
    if text is None:
        return report
    organisations = _Organisations(ministry)
    seen: dict[str, int] = {}
    try:
        for row in read_catalogue(io.StringIO(text, newline="")):
            report.rows += 1
            identifier = row.identifier.strip()
            if identifier in seen:
                report.refuse(
                    row.row,
                    "資料集識別碼",
                    _("%(identifier)s appears again; it is already on row %(first)d.")
                    % {"identifier": identifier, "first": seen[identifier]},
                )
                continue
            if identifier:
                seen[identifier] = row.row
            for column in row.formula_columns:
                report.warn(row.row, column, str(FORMULA_WARNING))
            planned = _plan_row(row, organisations, report)
            if planned is not None:
                report.planned.append(planned)
    except CatalogueFormatError as error:
        report.refuse(error.row, error.column, str(error))
        return report
    if report.rows == 0:
        report.refuse(0, "", _("The file has a header but no datasets."))
    _refuse_existing(seen, report)
    return report


def _refuse_existing(seen: dict[str, int], report: ImportReport) -> None:
    identifiers = list(seen)
    taken: set[str] = set()
    for start in range(0, len(identifiers), 500):
        chunk = identifiers[start : start + 500]
        taken |= set(
            Dataset.objects.filter(identifier__in=chunk).values_list("identifier", flat=True)
        )
    for identifier in sorted(taken, key=lambda i: seen[i]):
        report.refuse(
            seen[identifier],
            "資料集識別碼",
            _("%(identifier)s is already in OpenData Steward.") % {"identifier": identifier},
        )
    if taken:
        report.planned = [p for p in report.planned if p.values["identifier"] not in taken]


# ---------------------------------------------------------------- import: the service


def import_catalogue(
    data: bytes, *, ministry: Organisation, by: Person | None, file: str = "catalogue.csv"
) -> ImportReport:
    """Create the file's datasets as published (already on the portal), all or nothing.

    Raises CatalogueImportError (nothing changed) if the file has any problem. Each dataset
    gets version 1 (the metadata as published) and an audit event; the import one more.
    `by=None` is the command line (the server's operator), recorded as the system.
    """
    if by is not None:
        require(by, Action.DATASET_PUBLISH, ministry)
    report = check_catalogue(data, ministry=ministry, file=file)
    if not report.ok:
        raise CatalogueImportError(report)
    outside = [p for p in report.planned if not p.organisation.is_within(ministry)]
    for planned in outside:  # cannot happen (organisations come from the subtree); belt and braces
        report.refuse(planned.row, "提供機關", _("Not in this ministry."))
    if not report.ok:
        raise CatalogueImportError(report)
    now = timezone.now()
    with transaction.atomic():
        for planned in report.planned:
            _create(planned, by=by, now=now)
        report.created = [p.values["identifier"] for p in report.planned]
        record(
            actor=by,
            action="publishing.catalogue_import",
            subject=ministry,
            organisation=ministry,
            comment=_("%(count)d datasets imported from %(file)s (%(encoding)s)")
            % {"count": len(report.created), "file": file, "encoding": report.encoding},
        )
    return report


def _create(planned: PlannedDataset, *, by: Person | None, now: datetime.datetime) -> Dataset:
    values = dict(planned.values)
    identifier = values["identifier"]
    dataset = Dataset.objects.create(
        organisation=planned.organisation,
        status=Status.PUBLISHED,
        portal_identifier=identifier,
        created_by=by,
        **values,
    )
    Resource.objects.bulk_create(
        Resource(dataset=dataset, **resource) for resource in planned.resources
    )
    DatasetVersion.objects.create(
        dataset=dataset,
        number=1,
        metadata=record_of(dataset),
        portal_identifier=identifier,
        published_at=values.get("issued") or now,
        published_by=by,
    )
    record(
        actor=by,
        action="dataset.import",
        subject=dataset,
        organisation=planned.organisation,
        to_state=dataset.status,
        comment=_("imported from the portal's catalogue (row %(row)d)") % {"row": planned.row},
    )
    return dataset


def problem_lines(problems: Iterable[ImportProblem]) -> list[str]:
    return [str(problem) for problem in problems]
