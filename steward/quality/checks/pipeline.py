"""The checks run on one fetched resource: sniff → encoding → table → personal data → scores.

`run_checks(ref, fetched)` is the crawler's default checker. It only feeds the pure checks
(`sniff`, `encoding`, `tables`, `pii`, `scores`, written as functions returning report
objects) with the first bytes the crawler read, and gathers their findings into one
`ResourceReport`: the platform flags and mark (品質檢測 標章), openness stars (星等),
timeliness against 更新頻率, the header against 主要欄位說明, and personal-data columns.

Only the head of the file is checked (`CrawlConfig.need_bytes`): a cut last line is dropped
before the table and personal-data checks, and spreadsheets/zips that were cut are not
opened (their structure cannot be judged from a part).

It runs for every resource of a crawl, so it avoids repeated work: a small CSV head is decoded
once (while its encoding is detected) and parsed once for both the table and the personal-data
checks. Each fast path kept here was re-measured with `bench/crawler.py --fast-paths` and
gains more than 2 % (the figure is beside it); those that did not were removed.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from django.utils import timezone

from steward.datasets.standard import (
    DeclaredField,
    FieldDescriptionError,
    parse_field_description,
)
from steward.quality.checks import scores
from steward.quality.checks.encoding import EncodingReport, detect_encoding
from steward.quality.checks.pii import SCREEN_BYTES, scan_csv, scan_parsed_csv
from steward.quality.checks.sniff import (
    SNIFF_BYTES,
    FileFormat,
    FormatReport,
    FormatVerdict,
    sniff_format,
)
from steward.quality.checks.table_report import TableReport
from steward.quality.checks.tables import parse_small_csv, validate_parsed_csv, validate_table
from steward.quality.checks.tables_csv import SMALL_CSV_BYTES, ParsedCsv
from steward.quality.crawl.crawler import ResourceRef, ResourceReport, link_only_report
from steward.quality.crawl.fetch import FetchResult, State, reason

#: Formats whose character encoding is worth checking.
TEXT_FORMATS = frozenset({"CSV", "JSON", "XML", "KML", "RDF", "TXT"})
#: Formats that can be checked from a head (row by row); others need the whole file.
STREAMABLE_FORMATS = frozenset({"CSV", "TXT", "JSON", "XML", "KML", "RDF"})
#: Formats read line by line: a cut last line is dropped before the table check.
LINE_FORMATS = frozenset({"CSV", "TXT"})
#: Rows sampled for personal data.
PII_SAMPLE_ROWS = 2000
#: Broken outcomes where the link did answer (linkable), but not with the file.
ANSWERED_BUT_NOT_A_FILE = frozenset({"html_instead_of_file", "empty_file"})
#: Up to this size a CSV head is decoded and parsed once for the table and personal-data checks.
ONE_PARSE_BYTES = min(SMALL_CSV_BYTES, SCREEN_BYTES)


def _finding(item: Any) -> dict[str, str]:
    severity = getattr(item, "severity", "bad")
    return {
        "code": str(getattr(item, "code", "")),
        "severity": str(getattr(severity, "value", severity)),
        "message": str(getattr(item, "message", item)),
        "fix": str(getattr(item, "fix", "")),
    }


def _codec(enc: EncodingReport | None) -> str:
    """The codec both the table and the personal-data checks read a CSV with."""
    codec = enc.codec if enc is not None else None
    return codec or "utf-8-sig"


def _file_name(url: str) -> str:
    return url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def _whole_lines(head: bytes, *, complete: bool) -> bytes:
    """The head without its cut last line (unless it is the whole file)."""
    if complete:
        return head
    end = head.rfind(b"\n")
    return head[: end + 1] if end >= 0 else b""


#: The forms of 最後更新時間 read besides ISO 8601.
_MODIFIED_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d",
)


def _modified_as_written(text: str) -> datetime | None:
    """最後更新時間 as written: a naive wall time (of the current time zone), or None."""
    text = text.strip()
    # The usual "2025-01-31 09:00:00" and ISO forms by fromisoformat, before strptime: the
    # crawler bench's CPU is 3.2 % lower with it (`bench/crawler.py --fast-paths`, 2026-12-04).
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = None
    if parsed is not None and parsed.utcoffset() is None:
        return parsed
    # (a time with an offset is not taken, as make_aware refused it: it reads as unreadable)
    for fmt in _MODIFIED_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def _last_modified_header(header: str) -> datetime | None:
    if header:
        from email.utils import parsedate_to_datetime

        try:
            return parsedate_to_datetime(header)
        except (TypeError, ValueError):
            return None
    return None


def judge_timeliness(report: ResourceReport, ref: ResourceRef, last_modified: str) -> None:
    """Judge the update against 更新頻率 (today), into `report`: timely, checks, finding.

    `last_modified` is the answer's Last-Modified header, read when 最後更新時間 is not given.
    Also run on a verdict kept after a 304: an unchanged file can become late.
    """
    # 最後更新時間 is a wall time of the current time zone
    written = _modified_as_written(ref.modified)
    modified = (
        timezone.make_aware(written)
        if written is not None
        else _last_modified_header(last_modified)
    )
    timeliness = scores.update_timeliness(
        ref.update_frequency, last_modified=modified, now=timezone.now()
    )
    status = timeliness.status.value
    report.timely = {"on_time": True, "late": False}.get(status)
    report.checks["timeliness"] = {
        "status": status,
        "explanation": timeliness.explanation,
    }
    if report.timely is False:
        report.findings.append(
            {
                "code": "not_timely",
                "severity": "bad",
                "message": timeliness.explanation,
                "fix": timeliness.fix,
            }
        )


def run_checks(ref: ResourceRef, fetched: FetchResult) -> ResourceReport:
    """Check one fetched resource and score it (see the module docstring)."""
    report = link_only_report(ref, fetched)
    complete = not fetched.truncated
    answered = fetched.state is State.OK or fetched.reason in ANSWERED_BUT_NOT_A_FILE
    fmt = enc = table = None
    if answered and fetched.head:
        fmt = check_format(report, ref, fetched)
        if fmt.format in TEXT_FORMATS:
            enc = check_encoding(report, ref, fetched, fmt)
        if fmt.structured and (complete or fmt.format in STREAMABLE_FORMATS):
            table = check_table_and_personal_data(report, ref, fetched, fmt, enc)
    if fetched.state is State.UNKNOWN:
        # Not judged this time: no flags, no mark, no stars (they would count it as broken).
        return report
    score_mark_and_stars(report, ref, fetched, answered=answered, fmt=fmt, enc=enc, table=table)
    judge_timeliness(report, ref, fetched.headers.get("last-modified", ""))
    return report


def check_format(report: ResourceReport, ref: ResourceRef, fetched: FetchResult) -> FormatReport:
    """What the head is (sniffed against the declared format); a zip bomb breaks the link."""
    fmt = sniff_format(
        fetched.head,
        declared=ref.declared_format or None,
        file_name=_file_name(fetched.final_url or ref.url),
        content_type=fetched.content_type or None,
        complete=not fetched.truncated,
    )
    report.detected_format = fmt.format.value
    report.checks["format"] = {
        "verdict": fmt.verdict.value,
        "flavour": fmt.flavour,
        "structured": fmt.structured,
        "downloadable": fmt.downloadable,
    }
    report.findings.extend(map(_finding, fmt.findings))
    if fmt.verdict is FormatVerdict.REFUSED:
        # A zip bomb: the link answers, but nobody can use what it gives.
        report.state, report.reason = State.BROKEN, "refused_archive"
        report.explanation = str(reason("refused_archive").explanation)
        report.how_to_fix = str(reason("refused_archive").how_to_fix)
    return fmt


def check_encoding(
    report: ResourceReport, ref: ResourceRef, fetched: FetchResult, fmt: FormatReport
) -> EncodingReport:
    """The text's encoding against 編碼格式."""
    head = fetched.head
    # sniffing identified the encoding of the same bytes already: judge that one
    enc = detect_encoding(
        head,
        declared=ref.declared_encoding or None,
        complete=not fetched.truncated,
        identified=fmt.identified if len(head) <= SNIFF_BYTES else None,
    )
    report.detected_encoding = enc.encoding.value
    report.encoding_matches = enc.matches
    report.findings.extend(map(_finding, enc.findings))
    return enc


def declared_fields(report: ResourceReport, ref: ResourceRef) -> list[DeclaredField] | None:
    """主要欄位說明 parsed into fields; an unreadable one is a warning, not a failure."""
    if not ref.field_description:
        return None
    try:
        return parse_field_description(ref.field_description)
    except FieldDescriptionError as exc:
        report.findings.append(
            {"code": "field_description", "severity": "warn", "message": str(exc), "fix": ""}
        )
        return None


def parse_csv_once(
    body: bytes, fetched: FetchResult, fmt: FormatReport, enc: EncodingReport | None
) -> ParsedCsv | None:
    """A small CSV head decoded and parsed once, for both the table and personal-data checks."""
    if fmt.format is not FileFormat.CSV or len(body) > ONE_PARSE_BYTES:
        return None
    text = None
    whole_head_sniffed = len(fetched.head) <= SNIFF_BYTES
    if enc is not None and enc is fmt.identified and not fetched.truncated and whole_head_sniffed:
        text = enc.text  # the whole head, decoded strictly to detect its encoding
    return parse_small_csv(body, codec=_codec(enc), delimiter=fmt.delimiter or ",", text=text)


def check_table(
    report: ResourceReport,
    body: bytes,
    parsed: ParsedCsv | None,
    *,
    fmt: FormatReport,
    enc: EncodingReport | None,
    declared: list[DeclaredField] | None,
    complete: bool,
) -> TableReport:
    """Rows, columns and header against 主要欄位說明."""
    if parsed is not None:
        table = validate_parsed_csv(
            parsed,
            declared_fields=declared,
            encoding=enc.encoding if enc else None,
            complete=complete,
        )
    else:
        table = validate_table(
            io.BytesIO(body),
            format=fmt.format,
            declared_fields=declared,
            encoding=enc.encoding if enc else None,
            delimiter=fmt.delimiter or ",",
            complete=complete,
        )
    if not complete and fmt.format not in LINE_FORMATS:
        # A cut JSON/XML document is not malformed: judge the header only.
        table.well_formed = table.well_formed or bool(table.header)
    report.fields_match = table.desc_match
    report.checks["table"] = {
        "header": table.header[:50],
        "rows_sampled": table.rows,
        "ragged_rows": table.ragged.count,
        "well_formed": table.well_formed,
    }
    report.findings.extend(map(_finding, table.findings))
    return table


def check_personal_data(
    report: ResourceReport,
    body: bytes,
    parsed: ParsedCsv | None,
    *,
    fmt: FormatReport,
    enc: EncodingReport | None,
) -> None:
    """Columns that look like personal data (a sample of rows)."""
    if parsed is not None:
        pii = scan_parsed_csv(parsed, max_rows=PII_SAMPLE_ROWS)
    else:
        pii = scan_csv(
            io.BytesIO(body),
            codec=_codec(enc),
            delimiter=fmt.delimiter or ",",
            max_rows=PII_SAMPLE_ROWS,
        )
    report.pii = {column: sum(kinds.values()) for column, kinds in pii.columns.items()}
    if pii.found:
        report.checks["pii"] = {
            column: {kind.value: n for kind, n in kinds.items()}
            for column, kinds in pii.columns.items()
        }
    report.findings.extend(map(_finding, pii.findings))


def check_table_and_personal_data(
    report: ResourceReport,
    ref: ResourceRef,
    fetched: FetchResult,
    fmt: FormatReport,
    enc: EncodingReport | None,
) -> TableReport:
    """The table checks of a structured head, and for a CSV its personal-data scan."""
    complete = not fetched.truncated
    declared = declared_fields(report, ref)
    head = fetched.head
    body = _whole_lines(head, complete=complete) if fmt.format in LINE_FORMATS else head
    # (parsing a small CSV once for both checks: the crawler bench's CPU is 7.4 % lower with
    # it, `bench/crawler.py --fast-paths`, 2026-12-04)
    parsed = parse_csv_once(body, fetched, fmt, enc)
    table = check_table(
        report, body, parsed, fmt=fmt, enc=enc, declared=declared, complete=complete
    )
    if fmt.format is FileFormat.CSV:
        check_personal_data(report, body, parsed, fmt=fmt, enc=enc)
    return table


def score_mark_and_stars(
    report: ResourceReport,
    ref: ResourceRef,
    fetched: FetchResult,
    *,
    answered: bool,
    fmt: FormatReport | None,
    enc: EncodingReport | None,
    table: TableReport | None,
) -> None:
    """The platform flags and mark (品質檢測 標章) and the openness stars (星等)."""
    overrides = scores.quality_settings()  # read once, not once per score
    flags = scores.platform_flags(
        linkable=answered, format_report=fmt, encoding_report=enc, table_report=table
    )
    report.flags = flags.as_dict()
    mark = scores.mark_for(
        flags,
        rules=overrides.get("MARK_RULES", scores.MARK_RULES),
        weights=overrides.get("MARK_WEIGHTS", scores.MARK_WEIGHTS),
    )
    report.mark = mark.mark.value
    report.checks["mark"] = {
        "weight": mark.weight,
        "explanation": mark.explanation,
        "fix": mark.fix,
    }
    stars = scores.openness_stars(
        linkable=answered and fetched.state is State.OK,
        licence=str(ref.metadata.get("licence", "")),
        declared_format=ref.declared_format,
        sniffed=fmt,
        table=overrides.get("STAR_TABLE", scores.STAR_TABLE),
        open_licences=overrides.get("OPEN_LICENCES", scores.OPEN_LICENCES),
        readable=table is None or table.well_formed,
    )
    report.stars = stars.stars
    report.checks["stars"] = {
        "rule": stars.rule,
        "explanation": stars.explanation,
        "fix": stars.fix,
    }
