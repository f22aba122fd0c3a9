"""The national metadata standard (資料集基本資料表 / 資料集詮釋資料標準規範) as data, and its validator.

Pure module: no models, no database. Every problem carries the field key, the Chinese label, a
stable English ``code`` for machines and a plain Traditional Chinese ``message`` for the civil
servant, saying what is wrong and how to fix it.
"""

from __future__ import annotations

import enum
import functools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from .field_description import FieldDescriptionError, parse_field_description
from .frequency import UpdateFrequencyError, parse_update_frequency


class Level(enum.StrEnum):
    """Obligation level of a field: M 必須, R 建議, O 選擇."""

    REQUIRED = "M"
    RECOMMENDED = "R"
    OPTIONAL = "O"

    @property
    def label(self) -> str:
        return {"M": "必須", "R": "建議", "O": "選擇"}[self.value]


class Kind(enum.StrEnum):
    """How a field's value is checked."""

    TEXT = "text"
    CHOICE = "choice"
    PATTERN = "pattern"
    DATE = "date"  # YYYY-MM-DD
    DATETIME = "datetime"  # YYYY-MM-DD hh:mm:ss
    URL = "url"
    EMAILS = "emails"  # several separated by ","
    PHONES = "phones"
    INTEGER = "integer"
    KEYWORDS = "keywords"
    FIELD_DESCRIPTION = "field_description"
    UPDATE_FREQUENCY = "update_frequency"


#: 服務分類 categoryCode: the 18 codes and their names.
CATEGORY_CODES: dict[str, str] = {
    "100": "生育保健",
    "200": "出生及收養",
    "300": "求學及進修",
    "400": "服兵役",
    "500": "求職及就業",
    "600": "開創事業",
    "700": "婚姻",
    "800": "投資理財",
    "900": "休閒旅遊",
    "A00": "交通及通訊",
    "B00": "就醫",
    "C00": "購屋及遷徙",
    "D00": "選舉及投票",
    "E00": "生活安全及品質",
    "F00": "退休",
    "G00": "老年安養",
    "H00": "生命禮儀",
    "I00": "公共資訊",
}

#: 資料集類型 type and the labels seen on the portal (資料提供屬性). SERVICES/TOOLS labels beyond
#: 原始資料 and 系統介接程式 are unverified, so each code accepts several labels.
DATASET_TYPES: dict[str, tuple[str, ...]] = {
    "rawData": ("原始資料",),
    "SERVICES": ("系統介接程式", "服務"),
    "TOOLS": ("工具", "系統介接程式"),
}

#: 計費方式 cost: 收費 is not in the standard but appears in real records.
COSTS: tuple[str, ...] = ("免費", "付費", "收費")

#: 檔案格式 values seen on the portal (anything else is a warning, not an error).
KNOWN_FORMATS: tuple[str, ...] = (
    "CSV",
    "XML",
    "JSON",
    "ODS",
    "XLS",
    "XLSX",
    "PDF",
    "KML",
    "SHP",
    "RDF",
    "TXT",
    "ZIP",
    "壓縮檔",
    "SERVICES",
    "TOOLS",
    "ODT",
    "DOC",
    "DOCX",
    "JPG",
    "PNG",
    "GEOJSON",
    "JSON-LD",
)

#: 編碼格式 values seen on the portal, normalised by :func:`normalise_encoding_label`.
ENCODING_LABELS: dict[str, str] = {
    "UTF-8": "UTF-8",
    "UTF8": "UTF-8",
    "BIG5": "BIG5",
    "BIG-5": "BIG5",
    "CP950": "BIG5",
    "其他": "OTHER",
    "OTHER": "OTHER",
}

IDENTIFIER_RE = re.compile(r"^[a-zA-Z_0-9]{10}-[a-zA-Z_0-9]{6}$")
AGENCY_CODE_RE = re.compile(r"^[a-zA-Z_0-9]{10}$")
RESOURCE_SUFFIX_RE = re.compile(r"^[a-zA-Z_0-9]{3}$")
CATEGORY_RE = re.compile(r"^(?:[1-9]00|[A-I]00)$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
_EMAIL_RE = re.compile(r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+$")
#: One telephone number: an optional +country code, digits in groups separated by dashes, spaces
#: or an area code in brackets, then an optional extension (#123, 轉123, 分機123, ext. 123).
#: Checked after NFKC folding, so full-width digits and brackets count as their ASCII forms.
_PHONE_RE = re.compile(
    r"^(?:\+\d{1,3}[- ]?)?(?:\(\d{1,4}\)[- ]?)?\d[\d -]*\d"
    r"(?:\s*(?:#|轉|分機|ext\.?)\s*\d{1,6})?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class FieldSpec:
    """One field of the standard: key, Chinese label, level and the rule its value follows."""

    key: str
    label: str
    level: Level
    kind: Kind = Kind.TEXT
    max_length: int | None = None
    min_length: int = 0
    pattern: re.Pattern[str] | None = None
    choices: tuple[str, ...] = ()
    resource: bool = False  # a distribution (資料資源) field, not a dataset one
    hint: str = ""  # how to fill it, in Chinese


M, R, O = Level.REQUIRED, Level.RECOMMENDED, Level.OPTIONAL  # noqa: E741

DATASET_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("categoryCode", "服務分類", M, Kind.CHOICE, choices=tuple(CATEGORY_CODES),
              hint="請填 18 個服務分類代碼之一，例如 I00（公共資訊）"),
    FieldSpec("identifier", "資料集編號", M, Kind.PATTERN, pattern=IDENTIFIER_RE,
              hint="格式為 10 碼機關代碼、連字號、6 碼流水號，例如 A17000000J-000123"),
    FieldSpec("title", "資料集名稱", M, max_length=255, min_length=1),
    FieldSpec("description", "資料集描述", M, max_length=500, min_length=1),
    FieldSpec("fieldDescription", "主要欄位說明", M, Kind.FIELD_DESCRIPTION, max_length=255,
              hint="以「、」分隔各欄位，寫成「英文欄位(中文說明)」或「中文欄位(說明)」"),
    FieldSpec("type", "資料集類型", M, Kind.CHOICE, choices=tuple(DATASET_TYPES),
              hint="請填 rawData（原始資料）、SERVICES 或 TOOLS"),
    FieldSpec("license", "授權方式", M, hint="例如「政府資料開放授權條款-第1版」"),
    FieldSpec("licenseURL", "授權說明網址", M, Kind.URL),
    FieldSpec("cost", "計費方式", M, Kind.CHOICE, choices=COSTS, hint="請填「免費」或「付費」"),
    FieldSpec("costURL", "計費說明網址", O, Kind.URL),
    FieldSpec("costLaw", "計費法令依據", O),
    FieldSpec("organization", "上級機關名稱", M),
    FieldSpec("organizationContactName", "上級機關聯絡人姓名", M),
    FieldSpec("organizationContactPhone", "上級機關聯絡人電話", M, Kind.PHONES),
    FieldSpec("organizationContactEmail", "上級機關聯絡人電子郵件", M, Kind.EMAILS),
    FieldSpec("publisher", "提供機關名稱", M),
    FieldSpec("publisherContactName", "提供機關聯絡人姓名", M),
    FieldSpec("publisherContactPhone", "提供機關聯絡人電話", M, Kind.PHONES),
    FieldSpec("publisherContactEmail", "提供機關聯絡人電子郵件", M, Kind.EMAILS),
    FieldSpec("accrualPeriodicity", "更新頻率", M, Kind.UPDATE_FREQUENCY,
              hint="例如「每日」、「每月」、「每1年」、「即時」或「不定期」"),
    FieldSpec("temporalCoverageFrom", "開始收錄日期", R, Kind.DATE),
    FieldSpec("temporalCoverageTo", "結束收錄日期", R, Kind.DATE),
    FieldSpec("issued", "發布時間", R, Kind.DATETIME),
    FieldSpec("modified", "最後更新時間", R, Kind.DATETIME),
    FieldSpec("spatial", "空間範圍", R),
    FieldSpec("language", "語系", R),
    FieldSpec("landingPage", "相關網址", R, Kind.URL),
    FieldSpec("keyword", "標籤", R, Kind.KEYWORDS),
    FieldSpec("numberOfData", "資料量", O, Kind.INTEGER),
    FieldSpec("notes", "備註", O),
)  # fmt: skip

RESOURCE_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("resourceID", "資料資源編號", M, Kind.PATTERN, resource=True,
              hint="格式為資料集編號、連字號、3 碼序號，例如 A17000000J-000123-001"),
    FieldSpec("resourceDescription", "資料資源描述", M, max_length=500, min_length=1,
              resource=True),
    FieldSpec("format", "檔案格式", M, resource=True, hint="例如 CSV、JSON、XML"),
    FieldSpec("characterSetCode", "編碼格式", M, Kind.CHOICE, choices=tuple(ENCODING_LABELS),
              resource=True, hint="請填 UTF-8、BIG5 或「其他」"),
    FieldSpec("resourceModified", "資料資源最後更新時間", R, Kind.DATETIME, resource=True),
    FieldSpec("accessURL", "資料存取網址", R, Kind.URL, resource=True),
    FieldSpec("downloadURL", "資料下載網址", R, Kind.URL, resource=True),
    FieldSpec("metadataSourceOfData", "領域別詮釋資料參考網址", R, Kind.URL, resource=True),
)  # fmt: skip

FIELDS: tuple[FieldSpec, ...] = DATASET_FIELDS + RESOURCE_FIELDS
FIELDS_BY_KEY: dict[str, FieldSpec] = {f.key: f for f in FIELDS}


class Severity(enum.StrEnum):
    """ERROR breaks the standard (M field); WARNING is a recommendation or a doubtful value."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class FieldProblem:
    """One problem in a metadata record, beside its field key (e.g. ``distribution[0].format``)."""

    key: str
    label: str
    code: str
    message: str
    severity: Severity = Severity.ERROR


@functools.lru_cache(maxsize=1024)  # a catalogue uses a handful of spellings
def normalise_encoding_label(text: str) -> str | None:
    """Map a declared 編碼格式 (UTF-8, BIG5, BIG-5, 其他 …) to UTF-8 / BIG5 / OTHER, or None."""
    return ENCODING_LABELS.get(text.strip().upper().replace("_", "-"))


_FORMAT_SYNONYMS = {"壓縮檔": "ZIP", "JSONLD": "JSON-LD", "GEO-JSON": "GEOJSON"}


@functools.lru_cache(maxsize=1024)  # a catalogue uses a handful of spellings
def normalise_format_label(text: str) -> str:
    """Upper-case a declared 檔案格式 and fold known synonyms (壓縮檔 → ZIP, .csv → CSV)."""
    value = text.strip().lstrip(".").upper()
    return _FORMAT_SYNONYMS.get(value, value)


def _is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple):
        return not any(not _is_blank(v) for v in value)
    return False


def _check_value(spec: FieldSpec, key: str, value: Any) -> list[FieldProblem]:
    """Check one present value against its spec."""

    def problem(code: str, message: str, severity: Severity = Severity.ERROR) -> FieldProblem:
        return FieldProblem(key, spec.label, code, f"{spec.label}：{message}", severity)

    if spec.kind is Kind.KEYWORDS:
        if isinstance(value, str):
            return []
        if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            return []
        return [problem("type", "應為文字或文字清單，請以逗號分隔各標籤。")]
    if spec.kind is Kind.INTEGER:
        if isinstance(value, bool) or not (
            isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit())
        ):
            return [problem("integer", f"「{value}」不是整數，請只填數字（例如 1200）。")]
        return []
    if not isinstance(value, str):
        return [problem("type", "應為文字，請改填文字內容。")]

    text = value.strip()
    problems: list[FieldProblem] = []
    if spec.max_length is not None and len(text) > spec.max_length:
        problems.append(
            problem(
                "too_long",
                f"長度 {len(text)} 字，超過上限 {spec.max_length} 字，請精簡內容。",
            )
        )
    if spec.kind is Kind.CHOICE:
        allowed = spec.choices
        candidate = text.upper() if spec.key == "characterSetCode" else text
        if candidate not in allowed:
            shown = "、".join(allowed if len(allowed) < 10 else (*allowed[:5], "…"))
            problems.append(problem("choice", f"「{text}」不是可用的值（{shown}）。{spec.hint}"))
    elif spec.kind is Kind.PATTERN and spec.pattern is not None:
        if not spec.pattern.match(text):
            problems.append(problem("pattern", f"「{text}」格式不符。{spec.hint}"))
    elif spec.kind is Kind.DATE:
        if not _DATE_RE.match(text) or not _parses(text, "%Y-%m-%d"):
            problems.append(
                problem("date", f"「{text}」不是有效日期，請寫成 YYYY-MM-DD（例如 2026-01-31）。")
            )
    elif spec.kind is Kind.DATETIME:
        if not _DATETIME_RE.match(text) or not _parses(text, "%Y-%m-%d %H:%M:%S"):
            problems.append(
                problem(
                    "datetime",
                    f"「{text}」不是有效時間，請寫成 YYYY-MM-DD hh:mm:ss（例如 2026-01-31 09:00:00）。",
                )
            )
    elif spec.kind is Kind.URL:
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problems.append(
                problem("url", f"「{text}」不是完整網址，請以 http:// 或 https:// 開頭。")
            )
    elif spec.kind is Kind.EMAILS:
        bad = [e for e in _split_contacts(text) if not _EMAIL_RE.match(e)]
        if bad:
            problems.append(
                problem(
                    "email", f"「{'、'.join(bad)}」不是有效的電子郵件；多位聯絡人請以半形逗號分隔。"
                )
            )
    elif spec.kind is Kind.PHONES:
        bad = [p for p in _split_contacts(text) if not is_phone_number(p)]
        if bad:
            problems.append(
                problem(
                    "phone",
                    f"「{'、'.join(bad)}」不是電話號碼，請寫成 02-2345-6789、(02)2345-6789#123、"
                    "0912-345-678 或 +886-2-2345-6789 這類格式；多支電話請以半形逗號分隔。",
                )
            )
    elif spec.kind is Kind.FIELD_DESCRIPTION:
        try:
            parse_field_description(text, strict=True)
        except FieldDescriptionError as exc:
            problems.append(problem("field_description", f"{exc} {spec.hint}"))
    elif spec.kind is Kind.UPDATE_FREQUENCY:
        try:
            parse_update_frequency(text)
        except UpdateFrequencyError as exc:
            problems.append(problem("update_frequency", str(exc)))
    return problems


def is_phone_number(text: str) -> bool:
    """Whether `text` is one telephone number (7 to 15 digits before any extension)."""
    folded = unicodedata.normalize("NFKC", text).strip()
    if not _PHONE_RE.match(folded):
        return False
    number = re.split(r"#|轉|分機|ext", folded, maxsplit=1, flags=re.IGNORECASE)[0]
    return 7 <= sum(ch.isdigit() for ch in number) <= 15


def _coverage_order(record: Mapping[str, Any]) -> list[FieldProblem]:
    """結束收錄日期 may not come before 開始收錄日期 (both well-formed dates)."""
    start, end = (
        str(record.get(key) or "").strip() for key in ("temporalCoverageFrom", "temporalCoverageTo")
    )
    if not (start and end and _DATE_RE.match(start) and _DATE_RE.match(end)):
        return []
    if not (_parses(start, "%Y-%m-%d") and _parses(end, "%Y-%m-%d")) or end >= start:
        return []
    return [
        FieldProblem(
            "temporalCoverageTo",
            "結束收錄日期",
            "coverage_order",
            f"結束收錄日期：「{end}」早於開始收錄日期「{start}」，請確認兩個日期（結束不可早於開始）。",
        )
    ]


def _parses(text: str, fmt: str) -> bool:
    try:
        datetime.strptime(text, fmt)
    except ValueError:
        return False
    return True


def _split_contacts(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,，]", text) if part.strip()]


def _check_fields(
    specs: tuple[FieldSpec, ...], record: Mapping[str, Any], prefix: str
) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    for spec in specs:
        key = prefix + spec.key
        value = record.get(spec.key)
        if _is_blank(value):
            if spec.level is Level.REQUIRED:
                problems.append(
                    FieldProblem(
                        key,
                        spec.label,
                        "required",
                        f"{spec.label}：必填欄位未填寫，請補上。{spec.hint}".rstrip(),
                    )
                )
            elif spec.level is Level.RECOMMENDED:
                problems.append(
                    FieldProblem(
                        key,
                        spec.label,
                        "recommended",
                        f"{spec.label}：建議欄位未填寫，補上可提高詮釋資料完整度。",
                        Severity.WARNING,
                    )
                )
            continue
        problems.extend(_check_value(spec, key, value))
    return problems


def validate_metadata(record: Mapping[str, Any]) -> list[FieldProblem]:
    """Check one dataset record (the JSON of the standard, distributions under ``distribution``).

    Returns every problem found; an empty list means the record meets the standard. Recommended
    fields that are blank come back as warnings.
    """
    problems = _check_fields(DATASET_FIELDS, record, "")
    problems.extend(_coverage_order(record))
    identifier = str(record.get("identifier") or "").strip()
    distributions = record.get("distribution")
    if _is_blank(distributions):
        problems.append(
            FieldProblem(
                "distribution",
                "資料資源",
                "required",
                "資料資源：至少要有一筆資料資源（檔案或介接服務），請新增。",
            )
        )
        return problems
    if not isinstance(distributions, list | tuple):
        problems.append(
            FieldProblem("distribution", "資料資源", "type", "資料資源：應為清單，每筆一個資源。")
        )
        return problems
    seen_ids: set[str] = set()
    for index, resource in enumerate(distributions):
        prefix = f"distribution[{index}]."
        if not isinstance(resource, Mapping):
            problems.append(
                FieldProblem(prefix[:-1], "資料資源", "type", "資料資源：每筆應為一組欄位。")
            )
            continue
        problems.extend(_check_fields(RESOURCE_FIELDS, resource, prefix))
        resource_id = str(resource.get("resourceID") or "").strip()
        if resource_id and IDENTIFIER_RE.match(identifier):
            suffix = resource_id[len(identifier) + 1 :]
            if not (resource_id.startswith(identifier + "-") and RESOURCE_SUFFIX_RE.match(suffix)):
                problems.append(
                    FieldProblem(
                        prefix + "resourceID",
                        "資料資源編號",
                        "resource_id",
                        f"資料資源編號：「{resource_id}」應為資料集編號「{identifier}」加上連字號與 3 碼序號，例如 {identifier}-001。",
                    )
                )
        if resource_id:
            if resource_id in seen_ids:
                problems.append(
                    FieldProblem(
                        prefix + "resourceID",
                        "資料資源編號",
                        "duplicate",
                        f"資料資源編號：「{resource_id}」重複，每筆資料資源的編號必須不同。",
                    )
                )
            seen_ids.add(resource_id)
        if _is_blank(resource.get("downloadURL")) and _is_blank(resource.get("accessURL")):
            problems.append(
                FieldProblem(
                    prefix + "downloadURL",
                    "資料下載網址",
                    "no_url",
                    "資料下載網址：檔案請填資料下載網址，介接服務請填資料存取網址，兩者至少填一個，民眾才取得到資料。",
                )
            )
        fmt = str(resource.get("format") or "").strip()
        if fmt and normalise_format_label(fmt) not in {
            normalise_format_label(f) for f in KNOWN_FORMATS
        }:
            problems.append(
                FieldProblem(
                    prefix + "format",
                    "檔案格式",
                    "unknown_format",
                    f"檔案格式：「{fmt}」不是平臺常見格式，請確認是否寫成 CSV、JSON、XML 等標準名稱。",
                    Severity.WARNING,
                )
            )
    return problems
