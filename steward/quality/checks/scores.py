"""Scores of a resource and its dataset: platform flags and mark (品質檢測 金/銀/銅標章), openness
stars (三星等級), update timeliness (更新頻率) and metadata completeness (詮釋資料完整度).

Pure functions over the reports of the other checks. The parts that are not settled facts (which
flags earn which mark, the stars of each format, the open licences) are constants that callers
may override, e.g. from ``settings.STEWARD_QUALITY`` through :func:`configured`.
Each score carries a Chinese explanation and how to fix it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings

from steward.datasets.standard import (
    DATASET_FIELDS,
    RESOURCE_FIELDS,
    FieldSpec,
    FrequencyKind,
    Level,
    UpdateFrequency,
    UpdateFrequencyError,
    normalise_format_label,
    parse_update_frequency,
)

from .encoding import EncodingReport
from .sniff import FileFormat, FormatReport, FormatVerdict

if TYPE_CHECKING:  # tables loads pyarrow: 39 MB that the public search (Mark) never needs
    from .tables import TableReport


class Flag(enum.IntEnum):
    """A platform flag: 1 pass, 0 fail, 2 not evaluated (an earlier step failed, or not applicable)."""

    FAIL = 0
    PASS = 1
    NOT_EVALUATED = 2


FLAG_NAMES: tuple[str, ...] = (
    "linkable",
    "downloadable",
    "structure",
    "encoding_match",
    "desc_match",
    "csv",
)


@dataclass(frozen=True)
class PlatformFlags:
    """The six per-resource flags of the platform's quality check."""

    linkable: Flag
    downloadable: Flag = Flag.NOT_EVALUATED
    structure: Flag = Flag.NOT_EVALUATED
    encoding_match: Flag = Flag.NOT_EVALUATED
    desc_match: Flag = Flag.NOT_EVALUATED
    csv: Flag = Flag.NOT_EVALUATED

    def as_dict(self) -> dict[str, int]:
        return {  # the order of FLAG_NAMES
            "linkable": int(self.linkable),
            "downloadable": int(self.downloadable),
            "structure": int(self.structure),
            "encoding_match": int(self.encoding_match),
            "desc_match": int(self.desc_match),
            "csv": int(self.csv),
        }


class Mark(enum.StrEnum):
    """The platform's mark (標章)."""

    GOLD = "gold"
    SILVER = "silver"
    BRONZE = "bronze"
    NONE = "none"

    @property
    def label(self) -> str:
        return {"gold": "金標章", "silver": "銀標章", "bronze": "銅標章", "none": "無標章"}[
            self.value
        ]


def mark_words(value: str) -> str:
    """The words for a stored mark value ("none" → "無標章"); "" (not judged) stays ""."""
    if not value:
        return ""
    try:
        return Mark(value).label
    except ValueError:
        return value


#: Which flags each mark needs, best first (unverified: keep it configurable).
MARK_RULES: dict[str, tuple[str, ...]] = {
    "gold": ("linkable", "downloadable", "structure", "encoding_match", "desc_match"),
    "silver": ("linkable", "downloadable", "structure"),
    "bronze": ("linkable", "downloadable"),
}
#: The award programme's weights.
MARK_WEIGHTS: dict[str, float] = {"gold": 1.0, "silver": 0.6, "bronze": 0.3, "none": 0.0}

_FLAG_LABELS = {
    "linkable": ("連結有效", "請確認資料下載網址正確且伺服器可由外部連線。"),
    "downloadable": ("可直接下載", "請提供檔案本身的下載網址，不要指向網頁或登入頁。"),
    "structure": ("結構化", "請以 CSV、JSON、XML 或 ODS 等可轉為表格的格式提供。"),
    "encoding_match": ("編碼相符", "請讓編碼格式與檔案實際編碼一致（建議 UTF-8）。"),
    "desc_match": ("欄位相符", "請讓主要欄位說明與檔案的欄位名稱一致。"),
    "csv": ("CSV 檢查通過", "請修正標題列與欄位數不一致的列。"),
}


def platform_flags(
    *,
    linkable: bool,
    format_report: FormatReport | None = None,
    encoding_report: EncodingReport | None = None,
    table_report: TableReport | None = None,
) -> PlatformFlags:
    """Compute the flags in the platform's order; a failed step leaves the later ones at 2."""
    if not linkable:
        return PlatformFlags(Flag.FAIL)
    if format_report is None:
        return PlatformFlags(Flag.PASS)
    downloadable = format_report.downloadable and format_report.verdict is not FormatVerdict.REFUSED
    if not downloadable:
        return PlatformFlags(Flag.PASS, Flag.FAIL)
    structured = format_report.structured and (table_report is None or table_report.structure_ok)
    if not structured:
        return PlatformFlags(Flag.PASS, Flag.PASS, Flag.FAIL)
    text_format = format_report.format in _TEXT_FORMATS
    if not text_format or encoding_report is None or encoding_report.matches is None:
        encoding = Flag.NOT_EVALUATED
    else:
        encoding = Flag.PASS if encoding_report.matches else Flag.FAIL
    desc = table_report.desc_match if table_report is not None else None
    if desc is None:
        desc_flag = Flag.NOT_EVALUATED
    else:
        desc_flag = Flag.PASS if desc is True else Flag.FAIL if desc is False else Flag(int(desc))
    csv = Flag.NOT_EVALUATED
    if format_report.format is FileFormat.CSV and table_report is not None:
        csv = Flag.PASS if table_report.csv_ok else Flag.FAIL
    return PlatformFlags(
        Flag.PASS,
        Flag.PASS,
        Flag.PASS,
        encoding,
        desc_flag,
        csv,
    )


#: Formats whose encoding the platform checks.
_TEXT_FORMATS = frozenset(
    {FileFormat.CSV, FileFormat.JSON, FileFormat.XML, FileFormat.KML, FileFormat.RDF}
)


@dataclass(frozen=True)
class MarkScore:
    """The mark, the award weight, and why (the flags that kept it from the next mark)."""

    mark: Mark
    weight: float
    explanation: str
    fix: str = ""


def mark_for(
    flags: PlatformFlags,
    *,
    rules: Mapping[str, Sequence[str]] | None = None,
    weights: Mapping[str, float] | None = None,
) -> MarkScore:
    """The best mark whose required flags all pass (2 = not applicable does not fail a mark)."""
    rules = rules or MARK_RULES
    weights = weights or MARK_WEIGHTS
    failing_for_best: list[str] = []
    for name, required in rules.items():
        failing = [f for f in required if getattr(flags, f) is Flag.FAIL]
        # a flag left at 2 after an earlier failure fails too; the cascade guarantees that
        # an earlier required flag is then FAIL, so checking FAIL is enough
        if not failing:
            mark, explanation = _mark_explained(name, tuple(required))
            fix = _fix_for(failing_for_best)
            return MarkScore(mark, weights.get(name, 0.0), explanation, fix)
        if not failing_for_best:
            failing_for_best = failing
    failing = [f for f in FLAG_NAMES if getattr(flags, f) is Flag.FAIL]
    return MarkScore(
        Mark.NONE,
        weights.get("none", 0.0),
        f"未達任何標章：{'、'.join(_FLAG_LABELS[f][0] for f in failing) or '未檢測'}未通過。",
        _fix_for(failing),
    )


def _mark_explained(name: str, required: tuple[str, ...]) -> tuple[Mark, str]:
    mark = Mark(name)
    return mark, f"符合{mark.label}的條件（{'、'.join(_FLAG_LABELS[f][0] for f in required)}）。"


def _fix_for(flags: Sequence[str]) -> str:
    if not flags:
        return ""
    return "".join(_FLAG_LABELS[f][1] for f in flags)


# --- openness stars ---------------------------------------------------------------------------

#: Stars per format (5-star open data). 4 stars: W3C standards (RDF, JSON-LD).
STAR_TABLE: dict[str, int] = {
    "PDF": 1, "IMAGE": 1, "JPG": 1, "PNG": 1, "DOC": 1, "DOCX": 1, "HTML": 1, "TXT": 1,
    "XLS": 2, "XLSX": 2, "SHP": 2,
    "CSV": 3, "JSON": 3, "XML": 3, "ODS": 3, "KML": 3, "GEOJSON": 3, "ODT": 3,
    "RDF": 4, "JSON-LD": 4,
}  # fmt: skip

#: Licences that are open, matched as substrings; NC/ND variants are never open.
OPEN_LICENCES: tuple[str, ...] = (
    "政府資料開放授權條款",
    "Open Government Data License",
    "CC0",
    "CC BY",
    "CC-BY",
    "公眾領域",
    "Public Domain",
    "ODC-BY",
    "ODbL",
    "PDDL",
)
_CLOSED_MARKERS = ("NC", "ND", "非商業", "禁止改作")


@dataclass(frozen=True)
class StarScore:
    """Openness stars 0–5, the rule that decided, the format used, and why."""

    stars: int
    rule: str
    format: str
    explanation: str
    fix: str = ""


def licence_is_open(licence: str, *, open_licences: Sequence[str] = OPEN_LICENCES) -> bool:
    """Whether a 授權方式 is an open licence."""
    text = licence.strip()
    if not text or any(m in text.upper() for m in ("-NC", " NC", "-ND", " ND")):
        return False
    if any(m in text for m in _CLOSED_MARKERS[2:]):
        return False
    return any(name.upper() in text.upper() for name in open_licences)


def _stars_of(fmt: str, table: Mapping[str, int]) -> int | None:
    return table.get(normalise_format_label(fmt))


def openness_stars(
    *,
    linkable: bool,
    licence: str,
    declared_format: str = "",
    sniffed: FormatReport | None = None,
    table: Mapping[str, int] | None = None,
    open_licences: Sequence[str] = OPEN_LICENCES,
    readable: bool = True,
) -> StarScore:
    """Stars by ordered rules: broken link → 0; format (sniffed first, then declared); closed
    licence → 0. A zip counts as its best member; JSON-LD sniffed from JSON earns RDF's stars.
    A file its format's own parser cannot read (``readable`` False: malformed JSON, XML or
    CSV) is on the web but not machine-readable: one star, with the way to its format's."""
    table = table or STAR_TABLE
    if not linkable:
        return StarScore(
            0, "broken_link", "", "連結失效，資料無法取得，為 0 星。", "請修正資料下載網址。"
        )
    stars: int | None = None
    used = ""
    rule = "declared_format"
    if sniffed is not None and sniffed.format not in (FileFormat.UNKNOWN, FileFormat.EMPTY):
        rule = "sniffed_format"
        used = "JSON-LD" if sniffed.flavour == "JSON-LD" else sniffed.format.value
        if sniffed.format is FileFormat.ZIP and sniffed.members:
            member_stars = [
                (_stars_of(m.format.value, table) or 1, m.format.value)
                for m in sniffed.members
                if m.format is not None
            ]
            if member_stars:
                stars, used = max(member_stars)
        else:
            stars = _stars_of(used, table)
    if stars is None and declared_format:
        rule, used = "declared_format", normalise_format_label(declared_format)
        stars = _stars_of(used, table)
    if stars is None:
        stars, rule = 1, "on_the_web"
        used = used or declared_format
    if not licence_is_open(licence, open_licences=open_licences):
        return StarScore(
            0,
            "licence",
            used,
            f"授權方式「{licence or '未填'}」不是開放授權，為 0 星。",
            "請採用「政府資料開放授權條款-第1版」或其他開放授權。",
        )
    if not readable and stars > 1:
        return StarScore(
            1,
            "malformed",
            used,
            f"實際檔案是格式錯誤的 {used}，程式無法讀取，開放等級 1 星。",
            f"請修正檔案的格式錯誤（見上方說明），即可達 {stars} 星。",
        )
    fix = "" if stars >= 3 else "請改以 CSV、JSON、XML 或 ODS 等非專屬格式提供，即可達 3 星。"
    source = "實際檔案" if rule == "sniffed_format" else "填報"
    return StarScore(
        stars, rule, used, f"{source}格式為 {used or '未知'}，開放等級 {stars} 星。", fix
    )


# --- update timeliness ------------------------------------------------------------------------


class Timeliness(enum.StrEnum):
    """ON_TIME, LATE, NOT_JUDGED (不定期/不更新) or UNKNOWN (cannot tell)."""

    ON_TIME = "on_time"
    LATE = "late"
    NOT_JUDGED = "not_judged"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class TimelinessScore:
    """Whether a resource was updated as often as its 更新頻率 promises."""

    status: Timeliness
    due_at: datetime | None
    late_by: timedelta | None
    explanation: str
    fix: str = ""


def _frequency(text: str) -> UpdateFrequency | str:
    """The parsed 更新頻率, or the message saying why it cannot be read (immutable either way)."""
    try:
        return parse_update_frequency(text)
    except UpdateFrequencyError as exc:
        return str(exc)


def _due(parsed: UpdateFrequency, last_modified: datetime) -> tuple[datetime, str]:
    """When the next update is due, and that time written to the minute (for messages)."""
    due = parsed.due_after(last_modified)
    assert due is not None  # judged frequencies always have a due date
    return due, _minute(due)


def update_timeliness(
    frequency: str,
    *,
    last_modified: datetime | None,
    now: datetime,
    grace: timedelta = timedelta(0),
) -> TimelinessScore:
    """Judge timeliness from 更新頻率 and the resource's last modification time."""
    parsed = _frequency(frequency)
    if isinstance(parsed, str):
        return TimelinessScore(Timeliness.UNKNOWN, None, None, parsed, "請修正更新頻率。")
    if not parsed.is_judged:
        word = "不定期更新" if parsed.kind is FrequencyKind.IRREGULAR else "不再更新"
        return TimelinessScore(
            Timeliness.NOT_JUDGED,
            None,
            None,
            f"更新頻率為「{frequency}」（{word}），不判斷是否逾期。",
        )
    if last_modified is None:
        return TimelinessScore(
            Timeliness.UNKNOWN,
            None,
            None,
            "不知道資料最後更新時間，無法判斷是否逾期。",
            "請填寫資料資源最後更新時間，或讓伺服器回傳 Last-Modified。",
        )
    due, written = _due(parsed, last_modified)
    if now <= due + grace:
        return TimelinessScore(
            Timeliness.ON_TIME,
            due,
            None,
            f"依更新頻率「{frequency}」，下次應於 {written} 前更新，目前未逾期。",
        )
    late = now - due
    return TimelinessScore(
        Timeliness.LATE,
        due,
        late,
        f"依更新頻率「{frequency}」，應於 {written} 前更新，已逾期 {_duration(late)}。",
        "請更新資料並同步更新「資料資源最後更新時間」；若已不再更新，請將更新頻率改為「不更新」或「不定期」。",
    )


def _minute(moment: datetime) -> str:
    """``moment`` to the minute, for messages."""
    return f"{moment:%Y-%m-%d %H:%M}"


def _duration(delta: timedelta) -> str:
    if delta >= timedelta(days=1):
        return f"{delta.days} 天"
    hours = int(delta.total_seconds() // 3600)
    return f"{hours} 小時" if hours else f"{int(delta.total_seconds() // 60)} 分鐘"


# --- metadata completeness --------------------------------------------------------------------

#: Weight of a filled field by level (M counts twice as much as R; O does not count).
COMPLETENESS_WEIGHTS: dict[Level, float] = {Level.REQUIRED: 2.0, Level.RECOMMENDED: 1.0}


@dataclass(frozen=True)
class CompletenessScore:
    """Weighted share of M and R fields filled (0–1), and what is missing."""

    score: float
    missing_required: list[str] = field(default_factory=list)
    missing_recommended: list[str] = field(default_factory=list)
    explanation: str = ""
    fix: str = ""


def _filled(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | tuple):
        return any(_filled(v) for v in value)
    return True


def metadata_completeness(
    record: Mapping[str, Any], *, weights: Mapping[Level, float] | None = None
) -> CompletenessScore:
    """Completeness of a metadata record against the standard's M and R fields.

    Resource fields count once per distribution, averaged, so a dataset with many files is
    not judged more harshly than one with a single file.
    """
    weights = weights or COMPLETENESS_WEIGHTS
    got = possible = 0.0
    missing: dict[Level, list[str]] = {Level.REQUIRED: [], Level.RECOMMENDED: []}

    def tally(
        specs: Sequence[FieldSpec], values: Mapping[str, Any], share: float, where: str
    ) -> None:
        nonlocal got, possible
        for spec in specs:
            weight = weights.get(spec.level, 0.0) * share
            if not weight:
                continue
            possible += weight
            if _filled(values.get(spec.key)):
                got += weight
            elif where + spec.label not in missing[spec.level]:
                missing[spec.level].append(where + spec.label)

    tally(DATASET_FIELDS, record, 1.0, "")
    distributions = [d for d in record.get("distribution") or [] if isinstance(d, Mapping)]
    if distributions:
        for index, resource in enumerate(distributions):
            where = f"資料資源{index + 1}的" if len(distributions) > 1 else ""
            tally(RESOURCE_FIELDS, resource, 1 / len(distributions), where)
    else:
        tally(RESOURCE_FIELDS, {}, 1.0, "")
    score = got / possible if possible else 0.0
    required, recommended = missing[Level.REQUIRED], missing[Level.RECOMMENDED]
    parts = []
    if required:
        parts.append(f"必填欄位未填：{'、'.join(required)}")
    if recommended:
        parts.append(f"建議欄位未填：{'、'.join(recommended)}")
    explanation = f"詮釋資料完整度 {score:.0%}。" + ("；".join(parts) + "。" if parts else "")
    fix = "請補齊上列欄位，必填欄位優先。" if parts else ""
    return CompletenessScore(score, required, recommended, explanation, fix)


def quality_settings() -> Mapping[str, Any]:
    """The overrides in ``settings.STEWARD_QUALITY`` (empty when there are none)."""
    return getattr(settings, "STEWARD_QUALITY", None) or {}


def configured(name: str, default: Any) -> Any:
    """A quality setting from ``settings.STEWARD_QUALITY[name]``, or ``default``.

    Names: ``MARK_RULES``, ``MARK_WEIGHTS``, ``STAR_TABLE``, ``OPEN_LICENCES``.
    """
    return quality_settings().get(name, default)
