"""The full check of each hostile case: format, encoding, header, personal data, scores."""

from __future__ import annotations

import asyncio

import pytest

from steward.lib.http import AddressPolicy, Timeouts
from steward.quality.crawl.crawler import CrawlConfig, ResourceRef, ResourceReport, crawl
from steward.quality.crawl.fetch import State
from steward.quality.tests.hostile_server import (  # noqa: F401  (fixtures)
    GOOD_FIELDS,
    HostileServer,
    fresh_server,
    running_hostile_server,
)

CONFIG = CrawlConfig(
    per_host=4, per_host_rate=0, max_attempts=1, timeouts=Timeouts(connect=2, read=2, total=3)
)
PATHS = [
    "/good.csv",
    "/big5-declared-utf8.csv",
    "/header-mismatch.csv",
    "/national-ids.csv",
    "/lying-type.csv",
    "/html-200.csv",
    "/status/404",
    "/bomb.zip",
    "/endless.csv",
    "/always-429",
]


@pytest.fixture(scope="module")
def reports(hostile_server: HostileServer) -> dict[str, ResourceReport]:
    refs = [
        ResourceRef(
            key=path,
            url=hostile_server.url(path),
            declared_format="CSV",
            declared_encoding="UTF-8",
            field_description=GOOD_FIELDS,
            update_frequency="不定期",
            metadata={"licence": "政府資料開放授權條款-第1版"},
        )
        for path in PATHS
    ]

    async def collect() -> dict[str, ResourceReport]:
        policy = AddressPolicy.from_entries(["127.0.0.0/8"])
        return {r.ref.key: r async for r in crawl(refs, config=CONFIG, policy=policy)}

    return asyncio.run(collect())


def codes(report: ResourceReport) -> set[str]:
    return {finding["code"] for finding in report.findings}


def test_a_good_csv_earns_gold_and_three_stars(reports: dict[str, ResourceReport]) -> None:
    good = reports["/good.csv"]
    assert (good.state, good.detected_format, good.mark, good.stars) == (
        State.OK,
        "CSV",
        "gold",
        3,
    )
    assert set(good.flags.values()) == {1}
    assert good.pii == {}


def test_a_big5_file_declared_utf8_fails_only_the_encoding_match(
    reports: dict[str, ResourceReport],
) -> None:
    big5 = reports["/big5-declared-utf8.csv"]
    assert big5.detected_encoding in {"big5", "cp950"}
    assert big5.encoding_matches is False
    assert big5.flags["encoding_match"] == 0
    assert big5.fields_match is True  # the header was read in its real encoding
    assert big5.mark == "silver"


def test_a_header_that_does_not_match_the_field_description_fails_desc_match(
    reports: dict[str, ResourceReport],
) -> None:
    mismatch = reports["/header-mismatch.csv"]
    assert mismatch.fields_match is False
    assert mismatch.flags["desc_match"] == 0
    assert {"missing_field", "extra_field"} <= codes(mismatch)


def test_national_id_numbers_are_counted_per_column(reports: dict[str, ResourceReport]) -> None:
    assert reports["/national-ids.csv"].pii == {"身分證字號": 20}


def test_a_lying_content_type_is_seen_through(reports: dict[str, ResourceReport]) -> None:
    lying = reports["/lying-type.csv"]
    assert (lying.state, lying.detected_format) == (State.OK, "CSV")


def test_an_html_page_is_linkable_but_not_downloadable(reports: dict[str, ResourceReport]) -> None:
    page = reports["/html-200.csv"]
    assert (page.state, page.reason, page.detected_format) == (
        State.BROKEN,
        "html_instead_of_file",
        "HTML",
    )
    assert (page.flags["linkable"], page.flags["downloadable"], page.mark) == (1, 0, "none")


def test_a_404_scores_nothing(reports: dict[str, ResourceReport]) -> None:
    missing = reports["/status/404"]
    assert (missing.flags["linkable"], missing.mark, missing.stars) == (0, "none", 0)


def test_a_zip_bomb_is_refused_unopened(reports: dict[str, ResourceReport]) -> None:
    bomb = reports["/bomb.zip"]
    assert (bomb.state, bomb.reason, bomb.detected_format) == (
        State.BROKEN,
        "refused_archive",
        "ZIP",
    )
    assert bomb.fetch.bytes_read <= CONFIG.need_bytes


def test_an_endless_body_is_checked_from_its_head(reports: dict[str, ResourceReport]) -> None:
    endless = reports["/endless.csv"]
    assert (endless.state, endless.reason, endless.mark) == (State.OK, "ok_truncated", "gold")
    assert endless.fetch.bytes_read == CONFIG.need_bytes
    assert endless.checks["table"]["ragged_rows"] == 0  # the cut last line was not judged


def test_an_unknown_outcome_gets_no_mark_that_would_count_against_it(
    reports: dict[str, ResourceReport],
) -> None:
    busy = reports["/always-429"]
    assert (busy.state, busy.flags, busy.mark, busy.stars) == (State.UNKNOWN, {}, "", None)
