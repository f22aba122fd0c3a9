"""One row of a catalogue export turned into what would be stored, or its problems.

Pure (reads the organisation tree once, writes nothing): the cell parsers (上架日期, 服務分類
by name or code, 資料提供屬性, 資料量 per resource), the row's fingerprint, and `plan_row`,
which refuses in the report everything the standard or our tables cannot hold.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils import timezone
from django.utils.translation import gettext as _

from steward.datasets.models import CharacterSet, DatasetType
from steward.datasets.standard import (
    CATEGORY_CODES,
    COSTS,
    DATASET_TYPES,
    IDENTIFIER_RE,
    CatalogueRow,
    UpdateFrequencyError,
    normalise_encoding_label,
    parse_update_frequency,
)
from steward.organisations.models import Organisation
from steward.publishing.catalogue.report import ImportReport

_URL_VALIDATOR = URLValidator(schemes=["http", "https"])
#: A plain http(s) address with a dotted host name: what nearly every row has. Matching it is
#: ~30× cheaper than Django's URLValidator (150,000 addresses in a national export); anything
#: else still goes through the validator.
_PLAIN_URL = re.compile(
    r"https?://(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}(?::\d{1,5})?"
    r"(?:[/?#][^\s]*)?",
)


def _URL(value: str) -> None:
    """Raise ValidationError unless `value` is an http(s) address (Django's rule)."""
    if not _PLAIN_URL.fullmatch(value):
        _URL_VALIDATOR(value)


_ENCODING_CHOICE = {
    "UTF-8": CharacterSet.UTF8,
    "BIG5": CharacterSet.BIG5,
    "OTHER": CharacterSet.OTHER,
}
_NAME_TO_CODE = {name: code for code, name in CATEGORY_CODES.items()}
LISTING_FIELDS = (
    "portal_number",
    "provider_type",
    "category",
    "quality_mark",
    "listing_method",
    "listed_at",
    "metadata_modified_at",
    "amounts",
    "fingerprint",
)

Progress = Callable[[float, int], None]  # (share of the file read, rows read)


class Outcome:
    ADD = "add"
    CHANGE = "change"
    UNCHANGED = "unchanged"


@dataclass
class PlannedDataset:
    """A row turned into what would be stored, and what it is against what is stored."""

    row: int
    organisation: Organisation
    values: dict[str, Any]
    resources: list[dict[str, Any]]
    listing: dict[str, str]
    identifier: str = ""  # the metadata identifier the file gave ('' for a portal number)
    key: str = ""  # 資料集識別碼 as written
    dataset_id: int | None = None
    dataset_identifier: str = ""
    listing_id: int | None = None
    outcome: str = Outcome.ADD
    dataset_changes: bool = False  # the dataset's values or resources differ (not only listing)


# ---------------------------------------------------------------- cell helpers


#: The export's times are local (Asia/Taipei, settings.TIME_ZONE); cached, unlike the current zone.
_ZONE = timezone.get_default_timezone


def parse_stamp(text: str) -> datetime.datetime | None:
    """上架日期 / 詮釋資料更新時間 as a time: YYYY-MM-DD[ hh:mm[:ss[.ffffff]]], `/` or `-`."""
    text = text.strip().replace("/", "-")
    if not text:
        return None
    try:  # the usual forms (2025-06-01, 2025-12-31 17:30:00.000000), in C
        moment = datetime.datetime.fromisoformat(text)
        if moment.tzinfo is None and len(text) >= 10:
            return timezone.make_aware(moment.replace(microsecond=0), _ZONE())
    except ValueError:
        pass
    text = text.split(".")[0]  # drop fractions of a second
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return timezone.make_aware(datetime.datetime.strptime(text, pattern), _ZONE())
        except ValueError:
            continue
    raise ValueError(text)


def category_code(text: str) -> str | None:
    """服務分類 by name (公共資訊, the real export), by code (I00, older files), or both."""
    value = text.strip()
    if not value:
        return ""
    if value in CATEGORY_CODES:
        return value
    if value in _NAME_TO_CODE:
        return _NAME_TO_CODE[value]
    head = value.split()[0]  # "I00 公共資訊"
    return head if head in CATEGORY_CODES else None


def dataset_type(text: str) -> str | None:
    value = text.strip()
    if not value:
        return DatasetType.RAW_DATA
    if value in DATASET_TYPES:
        return value
    for code, labels in DATASET_TYPES.items():
        if value in labels:
            return code
    return None


def amounts_total(text: str) -> int | None:
    """資料量 per resource (`48762;23744`) summed, or None if blank or not all whole numbers."""
    parts = [part.strip().replace(",", "") for part in text.split(";") if part.strip()]
    if not parts or not all(part.isdigit() for part in parts):
        return None
    return sum(int(part) for part in parts)


def fingerprint(row: CatalogueRow) -> str:
    """A hash of the row's 22 cells in the portal's order (a reordered file hashes the same)."""
    return hashlib.sha1("\x1f".join(row.as_columns()).encode()).hexdigest()


class Organisations:
    """Finds a row's organisation in the ministry's tree: by 提供機關 name, else agency code."""

    def __init__(self, ministry: Organisation) -> None:
        tree = list(ministry.subtree())
        self.by_pk = {o.pk: o for o in tree}
        self.by_name: dict[str, Organisation] = {}
        for organisation in tree:
            for name in (organisation.name, organisation.short_name):
                if name:
                    self.by_name.setdefault(name.strip(), organisation)
        self.by_code = {o.agency_code: o for o in tree if o.agency_code}

    def find(self, publisher: str, identifier: str) -> Organisation | None:
        return self.by_name.get(publisher.strip()) or self.by_code.get(identifier[:10])

    @staticmethod
    def same_agency(a: Organisation, b: Organisation) -> bool:
        """One is inside the other: a dataset of a unit belongs to its agency's rows."""
        return a.path.startswith(b.path) or b.path.startswith(a.path)


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
_LISTING_LENGTHS = {
    "provider_type": ("資料提供屬性", 40),
    "category": ("服務分類", 40),
    "quality_mark": ("品質檢測", 20),
    "listing_method": ("資資料集上架方式", 60),
    "listed_at": ("上架日期", 40),
    "metadata_modified_at": ("詮釋資料更新時間", 40),
}


# ---------------------------------------------------------------- one row


def plan_row(
    row: CatalogueRow,
    organisations: Organisations,
    ministry: Organisation,
    report: ImportReport,
    print_: str = "",
) -> PlannedDataset | None:
    """Turn one row into a planned dataset, refusing (in the report) what cannot be stored."""
    before = len(report.problems) + report.more_problems
    number = row.row
    cut = [problem for problem in row.problems if problem.code == "cut"]
    for problem in cut or row.problems:  # a cut row is short too: say only that it was cut
        report.refuse(number, problem.column, problem.message)
    if cut or any(problem.code == "column_count" for problem in row.problems):
        return None  # the cells are shifted or cut: anything more said about them is noise

    key = row.identifier.strip()
    portal_number = key if key.isdigit() else ""
    identifier = key if IDENTIFIER_RE.match(key) else ""
    if not portal_number and not identifier:
        report.refuse(
            number,
            "資料集識別碼",
            _(
                "“%(value)s” is neither a portal dataset number (digits, e.g. 41568) nor an "
                "identifier (10-character agency code, a dash, 6 characters)."
            )
            % {"value": key},
        )
    elif len(portal_number) > 20:
        report.refuse(number, "資料集識別碼", _("The portal dataset number is too long."))
    organisation = organisations.find(row.publisher, identifier)
    if organisation is None:
        report.refuse(
            number,
            "提供機關",
            _(
                "“%(name)s” is not an organisation of %(ministry)s. Is this another "
                "ministry's export? Choose that ministry, or add the agency to the "
                "organisation tree first."
            )
            % {"name": row.publisher, "ministry": ministry.name},
        )

    category = category_code(row.category)
    if category is None:
        report.refuse(
            number,
            "服務分類",
            _("“%(value)s” is not one of the 18 service categories.") % {"value": row.category},
        )
    kind = dataset_type(row.provider_type)
    if kind is None:
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
        "categoryCode": category or "",
        "type": kind or DatasetType.RAW_DATA,
        "title": row.title.strip(),
        "description": row.description.strip(),
        "fieldDescription": row.field_description.strip(),
        "publisher": row.publisher.strip(),
        "license": row.licence.strip() or "政府資料開放授權條款-第1版",
        "cost": cost,
        "publisherContactName": row.contact_name.strip(),
        "publisherContactPhone": row.contact_phone.strip(),
        "accrualPeriodicity": row.update_frequency.strip(),
        "landingPage": "",
        "notes": row.notes,
        "organization": ministry.name,
    }
    for name, (column, limit) in _LENGTHS.items():
        if len(values[name]) > limit:
            report.refuse(
                number,
                column,
                _("%(length)d characters; the standard allows %(limit)d.")
                % {"length": len(values[name]), "limit": limit},
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
    for name, column, text in (
        ("issued", "上架日期", row.listed_at),
        ("modified", "詮釋資料更新時間", row.metadata_modified_at),
    ):
        try:
            values[name] = parse_stamp(text)
        except ValueError:
            report.refuse(
                number,
                column,
                _("“%(value)s” is not a date (YYYY-MM-DD or YYYY-MM-DD hh:mm:ss).")
                % {"value": text},
            )

    resources = _plan_resources(row, values, report)
    amounts = ";".join(resource.amount for resource in row.resources)
    values["numberOfData"] = amounts_total(amounts)
    listing = {
        "portal_number": portal_number,
        "provider_type": row.provider_type,
        "category": row.category,
        "quality_mark": row.quality_mark,
        "listing_method": row.listing_method,
        "listed_at": row.listed_at,
        "metadata_modified_at": row.metadata_modified_at,
        "amounts": amounts if any(resource.amount for resource in row.resources) else "",
        "fingerprint": print_ or fingerprint(row),
    }
    for name, (column, limit) in _LISTING_LENGTHS.items():
        if len(listing[name]) > limit:
            report.refuse(
                number,
                column,
                _("%(length)d characters; at most %(limit)d are kept.")
                % {"length": len(listing[name]), "limit": limit},
            )
    if len(report.problems) + report.more_problems > before or organisation is None:
        return None
    return PlannedDataset(number, organisation, values, resources, listing, identifier, key)


class _ResourceLabel:
    """「資源 N」, translated when a message is formatted with it (rarely: most rows are fine)."""

    def __init__(self, index: int) -> None:
        self.index = index

    def __str__(self) -> str:
        return _("resource %(n)d") % {"n": self.index}


def _plan_resources(
    row: CatalogueRow, values: dict[str, Any], report: ImportReport
) -> list[dict[str, Any]]:
    number = row.row
    planned: list[dict[str, Any]] = []
    if not row.resources:
        report.refuse(number, "檔案格式", _("The dataset has no resource (檔案格式 is empty)."))
    if len(row.resources) > 999:
        report.refuse(number, "檔案格式", _("More than 999 resources."))
    service = values.get("type") in (DatasetType.SERVICES, DatasetType.TOOLS)
    for index, resource in enumerate(row.resources, start=1):
        label = _ResourceLabel(index)  # translated only if a message uses it
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
        if amount and not amount.isdigit():
            report.warn(
                number,
                "資料量",
                _("%(resource)s: “%(value)s” is not a whole number; kept as written.")
                % {"resource": label, "value": resource.amount},
            )
        planned.append(
            {
                "resourceDescription": (f"{values['title']}（{file_format}）")[:500],
                "format": file_format,
                "characterSetCode": _ENCODING_CHOICE.get(encoding or "", CharacterSet.UTF8),
                "downloadURL": "" if service else url,
                "accessURL": url if service else "",
            }
        )
    return planned
