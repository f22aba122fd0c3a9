"""Scores: platform flags and marks, openness stars by ordered rules, timeliness, completeness."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime, timedelta

import pytest
import time_machine

from steward.datasets.standard import Level
from steward.quality.checks.encoding import detect_encoding
from steward.quality.checks.scores import (
    FLAG_NAMES,
    MARK_RULES,
    Flag,
    Mark,
    PlatformFlags,
    Timeliness,
    licence_is_open,
    mark_for,
    metadata_completeness,
    openness_stars,
    platform_flags,
    update_timeliness,
)
from steward.quality.checks.sniff import sniff_format
from steward.quality.checks.tables import validate_table

OPEN = "政府資料開放授權條款-第1版"
CSV = b"year,amount\r\n2025,1\r\n"
P, F, N = Flag.PASS, Flag.FAIL, Flag.NOT_EVALUATED


def flags_for(
    data: bytes, *, declared_format: str, declared_encoding: str, fields: str
) -> PlatformFlags:
    from steward.datasets.standard import parse_field_description

    sniffed = sniff_format(data, declared=declared_format, complete=True)
    encoding = detect_encoding(data, declared=declared_encoding, complete=True)
    table = None
    if sniffed.structured:
        table = validate_table(
            io.BytesIO(data),
            format=sniffed.format,
            encoding=encoding.encoding,
            declared_fields=parse_field_description(fields),
        )
    return platform_flags(
        linkable=True, format_report=sniffed, encoding_report=encoding, table_report=table
    )


# --- flags and marks --------------------------------------------------------------------------


def test_broken_link_fails_linkable_and_leaves_the_rest_unevaluated() -> None:
    flags = platform_flags(linkable=False)
    assert flags.as_dict() == {
        "linkable": 0,
        "downloadable": 2,
        "structure": 2,
        "encoding_match": 2,
        "desc_match": 2,
        "csv": 2,
    }
    assert mark_for(flags).mark is Mark.NONE


def test_html_page_is_linkable_but_not_downloadable_so_no_mark() -> None:
    flags = flags_for(
        b"<html><body>hi</body></html>",
        declared_format="CSV",
        declared_encoding="UTF-8",
        fields="a",
    )
    assert (flags.linkable, flags.downloadable, flags.structure) == (P, F, N)
    score = mark_for(flags)
    assert score.mark is Mark.NONE and "直接下載" in score.explanation + score.fix


def test_pdf_earns_bronze() -> None:
    flags = flags_for(b"%PDF-1.4\n", declared_format="PDF", declared_encoding="UTF-8", fields="a")
    assert (flags.downloadable, flags.structure) == (P, F)
    score = mark_for(flags)
    assert (score.mark, score.weight) == (Mark.BRONZE, 0.3)
    assert "CSV" in score.fix  # how to reach silver


def test_csv_with_wrong_encoding_earns_silver() -> None:
    flags = flags_for(
        CSV.decode().replace("year", "年度").encode("big5"),
        declared_format="CSV",
        declared_encoding="UTF-8",
        fields="年度、amount",
    )
    assert (flags.structure, flags.encoding_match, flags.desc_match, flags.csv) == (P, F, P, P)
    score = mark_for(flags)
    assert (score.mark, score.weight) == (Mark.SILVER, 0.6)
    assert "編碼" in score.fix


def test_csv_with_wrong_fields_earns_silver() -> None:
    flags = flags_for(CSV, declared_format="CSV", declared_encoding="UTF-8", fields="year、total")
    assert flags.desc_match is F
    assert mark_for(flags).mark is Mark.SILVER


def test_clean_csv_earns_gold() -> None:
    flags = flags_for(CSV, declared_format="CSV", declared_encoding="UTF-8", fields="year、amount")
    assert flags.as_dict() == dict.fromkeys(flags.as_dict(), 1)
    score = mark_for(flags)
    assert (score.mark, score.weight, score.fix) == (Mark.GOLD, 1.0, "")


def test_xlsx_gold_does_not_need_an_encoding() -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["year", "amount"])
    sheet.append([2025, 1])
    out = io.BytesIO()
    workbook.save(out)
    flags = flags_for(
        out.getvalue(), declared_format="XLSX", declared_encoding="UTF-8", fields="year、amount"
    )
    assert (flags.encoding_match, flags.desc_match, flags.csv) == (N, P, N)
    assert mark_for(flags).mark is Mark.GOLD


def test_flags_are_given_in_the_platforms_order() -> None:
    flags = PlatformFlags(Flag.PASS, Flag.FAIL, Flag.NOT_EVALUATED, Flag.PASS, Flag.FAIL, Flag.PASS)
    assert list(flags.as_dict().items()) == [
        (name, int(getattr(flags, name))) for name in FLAG_NAMES
    ]


def test_mark_rules_can_be_overridden() -> None:
    flags = PlatformFlags(P, P, P, F, P, P)
    assert mark_for(flags).mark is Mark.SILVER
    lenient = dict(MARK_RULES, gold=("linkable", "downloadable", "structure", "desc_match"))
    assert mark_for(flags, rules=lenient).mark is Mark.GOLD


def test_mark_rules_come_from_settings(settings: object) -> None:
    from steward.quality.checks.scores import configured

    settings.STEWARD_QUALITY = {"MARK_RULES": {"bronze": ("linkable",)}}  # type: ignore[attr-defined]
    rules = configured("MARK_RULES", MARK_RULES)
    assert mark_for(PlatformFlags(P, F), rules=rules).mark is Mark.BRONZE


# --- openness stars ---------------------------------------------------------------------------


def test_stars_rule_1_broken_link_is_zero_whatever_the_format() -> None:
    score = openness_stars(linkable=False, licence=OPEN, declared_format="RDF")
    assert (score.stars, score.rule) == (0, "broken_link")


def test_stars_rule_2_sniffed_format_wins_over_the_declared_one() -> None:
    score = openness_stars(
        linkable=True, licence=OPEN, declared_format="CSV", sniffed=sniff_format(b"%PDF-1.4")
    )
    assert (score.stars, score.rule, score.format) == (1, "sniffed_format", "PDF")
    assert "3 星" in score.fix


def test_stars_rule_3_declared_format_when_nothing_was_sniffed() -> None:
    assert openness_stars(linkable=True, licence=OPEN, declared_format="XLS").stars == 2
    assert openness_stars(linkable=True, licence=OPEN, declared_format="CSV").stars == 3
    unknown = openness_stars(linkable=True, licence=OPEN, declared_format="WMS")
    assert (unknown.stars, unknown.rule) == (1, "on_the_web")


def test_stars_rule_4_closed_licence_is_zero() -> None:
    score = openness_stars(linkable=True, licence="CC BY-NC 4.0", declared_format="CSV")
    assert (score.stars, score.rule) == (0, "licence")
    assert openness_stars(linkable=True, licence="", declared_format="CSV").stars == 0


@pytest.mark.parametrize(
    ("fmt", "stars"),
    [
        ("PDF", 1),
        ("XLS", 2),
        ("XLSX", 2),
        ("CSV", 3),
        ("JSON", 3),
        ("XML", 3),
        ("ODS", 3),
        ("KML", 3),
        ("RDF", 4),
    ],
)
def test_default_star_table(fmt: str, stars: int) -> None:
    assert openness_stars(linkable=True, licence=OPEN, declared_format=fmt).stars == stars


def test_json_ld_earns_four_stars_and_the_table_can_award_five() -> None:
    sniffed = sniff_format(b'{"@context": "https://schema.org", "@id": "x"}')
    assert openness_stars(linkable=True, licence=OPEN, sniffed=sniffed).stars == 4
    five = openness_stars(linkable=True, licence=OPEN, sniffed=sniffed, table={"JSON-LD": 5})
    assert five.stars == 5


def test_zip_counts_as_its_best_member() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("a.pdf", b"%PDF-1.4\n")
        archive.writestr("a.csv", CSV)
    sniffed = sniff_format(out.getvalue(), complete=True)
    score = openness_stars(linkable=True, licence=OPEN, declared_format="ZIP", sniffed=sniffed)
    assert (score.stars, score.format) == (3, "CSV")


def test_licences() -> None:
    assert licence_is_open(OPEN)
    assert licence_is_open("CC BY 4.0")
    assert not licence_is_open("CC BY-ND 4.0")
    assert not licence_is_open("本機關所有，禁止轉載")


def test_licences_are_judged_against_any_sequence_of_open_names() -> None:
    # the answers are remembered per (licence, open names): lists and generators must work too
    for _ in range(2):
        assert licence_is_open("其他授權", open_licences=["其他授權"])
        assert not licence_is_open("其他授權", open_licences=iter(["CC0"]))  # type: ignore[arg-type]
        assert licence_is_open(OPEN, open_licences=("政府資料開放授權條款",))
        assert not licence_is_open(OPEN, open_licences=[])


# --- timeliness -------------------------------------------------------------------------------

NOW = datetime(2026, 11, 23, 12, 0)


def test_monthly_data_updated_last_week_is_on_time() -> None:
    score = update_timeliness("每月", last_modified=NOW - timedelta(days=7), now=NOW)
    assert score.status is Timeliness.ON_TIME and score.late_by is None


def test_monthly_data_late_by_n_days() -> None:
    score = update_timeliness("每月", last_modified=datetime(2026, 9, 1), now=NOW)
    assert score.status is Timeliness.LATE
    assert score.due_at == datetime(2026, 10, 1)
    assert score.late_by == NOW - datetime(2026, 10, 1)
    assert "已逾期 53 天" in score.explanation and "不更新" in score.fix


def test_grace_period_is_configurable() -> None:
    last = NOW - timedelta(days=1, hours=3)
    assert update_timeliness("每日", last_modified=last, now=NOW).status is Timeliness.LATE
    assert (
        update_timeliness("每日", last_modified=last, now=NOW, grace=timedelta(hours=6)).status
        is Timeliness.ON_TIME
    )


@pytest.mark.parametrize("text", ["不定期", "不定期更新", "不更新"])
def test_irregular_data_is_not_judged(text: str) -> None:
    score = update_timeliness(text, last_modified=datetime(2000, 1, 1), now=NOW)
    assert score.status is Timeliness.NOT_JUDGED


def test_unknown_frequency_or_time_cannot_be_judged() -> None:
    assert update_timeliness("偶爾", last_modified=NOW, now=NOW).status is Timeliness.UNKNOWN
    assert update_timeliness("每日", last_modified=None, now=NOW).status is Timeliness.UNKNOWN


@pytest.mark.parametrize(
    "last", [datetime(2026, 1, 31, 9, 5), datetime(999, 12, 31, 23, 59), datetime(9999, 1, 1)]
)
def test_the_due_time_is_written_to_the_minute(last: datetime) -> None:
    due = last + timedelta(days=1)
    on_time = update_timeliness("每日", last_modified=last, now=last)
    late = update_timeliness("每日", last_modified=last - timedelta(days=2), now=last)
    assert f"下次應於 {due:%Y-%m-%d %H:%M} 前更新" in on_time.explanation
    assert f"應於 {last - timedelta(days=1):%Y-%m-%d %H:%M} 前更新" in late.explanation


def test_the_same_moment_in_two_time_zones_is_due_at_each_zones_own_time() -> None:
    from datetime import UTC, timezone
    from zoneinfo import ZoneInfo

    taipei = datetime(2026, 11, 1, 8, 0, tzinfo=ZoneInfo("Asia/Taipei"))
    utc = taipei.astimezone(UTC)
    named = taipei.astimezone(timezone(timedelta(hours=8), "CST"))
    now = datetime(2026, 11, 23, tzinfo=UTC)
    for _ in range(2):  # computed, then remembered
        scores = [update_timeliness("每月", last_modified=t, now=now) for t in (taipei, utc, named)]
        assert [s.due_at for s in scores] == [taipei.replace(month=12)] * 3
        assert [getattr(s.due_at, "tzinfo", None) for s in scores] == [
            t.tzinfo for t in (taipei, utc, named)
        ]
        assert "2026-12-01 08:00" in scores[0].explanation
        assert "2026-12-01 00:00" in scores[1].explanation


def test_an_unreadable_frequency_is_explained_every_time() -> None:
    for _ in range(2):  # the message is remembered, not an exception
        score = update_timeliness("每零年", last_modified=NOW, now=NOW)
        assert score.status is Timeliness.UNKNOWN and "每零年" in score.explanation


def test_a_written_last_update_is_a_wall_time_of_the_sites_time_zone() -> None:
    from datetime import UTC

    from django.utils import timezone

    from steward.quality.checks.pipeline import judge_timeliness
    from steward.quality.crawl.crawler import ResourceRef, link_only_report
    from steward.quality.crawl.fetch import FetchResult, State

    # due a month after 2026-10-23 12:00 wall time: 13:00 in Taipei is late, 00:00 in New York not
    ref = ResourceRef(
        key="k", url="http://example.test/a.csv", update_frequency="每月",
        modified="2026-10-23 12:00:00",
    )  # fmt: skip
    now = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
    for zone, timely in [("Asia/Taipei", False), ("America/New_York", True)]:
        report = link_only_report(ref, FetchResult(url=ref.url, state=State.OK, reason="ok"))
        with timezone.override(zone), time_machine.travel(now, tick=False):
            judge_timeliness(report, ref, "")
        assert report.timely is timely, zone


def test_realtime_data_late_after_a_day() -> None:
    score = update_timeliness("即時", last_modified=NOW - timedelta(hours=30), now=NOW)
    assert score.status is Timeliness.LATE and "6 小時" in score.explanation


# --- completeness -----------------------------------------------------------------------------


def test_completeness_weights_required_over_recommended() -> None:
    from steward.datasets.tests.test_standard import good_record

    assert metadata_completeness(good_record()).score == 1.0
    no_spatial = good_record(spatial="")
    no_title = good_record(title="")
    assert metadata_completeness(no_title).score < metadata_completeness(no_spatial).score < 1
    score = metadata_completeness(no_title)
    assert score.missing_required == ["資料集名稱"] and "資料集名稱" in score.explanation


def test_completeness_averages_over_resources_and_names_them() -> None:
    from steward.datasets.tests.test_standard import good_record

    record = good_record()
    second = dict(record["distribution"][0], format="")
    record["distribution"] = [record["distribution"][0], second]
    score = metadata_completeness(record)
    assert score.missing_required == ["資料資源2的檔案格式"]
    only = metadata_completeness(record, weights={Level.REQUIRED: 1.0})
    assert only.missing_recommended == []
