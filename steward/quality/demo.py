"""A year of quality checks for the demo (`steward demo` calls `populate` for each ministry).

One self-check run (自主檢測) per quarter of the past year over the ministry's datasets on the
portal, started, recorded and finished by the real services (`start_run`, `record_results`,
`finish_run`). The demo's download addresses are outside hosts, so nothing is fetched: each
resource gets the answer a server could have given (a small CSV, a 404, a JSON file under a
CSV label, a CSV with national ID numbers) and the crawler's own checks (`run_checks`) judge
it, so marks, stars, findings and explanations are the ones a real crawl would record.

Mostly fine; a few broken links, one late update, one format mismatch (which earns four stars) and one file with
personal data, so that the quality pages, the accuracy and three-star KPIs, the catalogue's
quality facets and the evaluation have something to show. The runs are dated in their
quarter (the services stamp "now"; the demo moves the stamps back, as a year of runs would
have left them).
"""

from __future__ import annotations

import dataclasses
import datetime

from django.utils import timezone

from steward.organisations.models import Organisation
from steward.quality import services
from steward.quality.checks.pipeline import run_checks
from steward.quality.crawl.crawler import ResourceRef, ResourceReport
from steward.quality.crawl.fetch import FetchResult, State
from steward.quality.models import CheckEntry, CheckKind, CheckResult, CheckRun
from steward.quality.services.sources import refs_from_database

#: The columns the demo's datasets describe (see organisations/demo_activity.py).
GOOD_CSV = "year,month,county,count\n2026,1,臺北市,120\n2026,1,新北市,98\n2026,2,臺中市,77\n"
#: Columns that say nothing of 主要欄位說明: the check finds the description does not match.
LOOSE_CSV = "a,b,c,d\n2026,1,臺北市,120\n2026,2,新北市,98\n"
#: A file with national ID numbers (身分證字號): the personal-data scan finds them.
PII_CSV = (
    "year,month,county,count,身分證字號\n"
    "2026,1,臺北市,1,A123456789\n2026,1,新北市,2,B223456780\n2026,2,臺中市,3,F131234567\n"
)
#: A JSON-LD file behind a link declared CSV: the format check says so.
JSON_LD = (
    '{"@context": {"@vocab": "https://schema.org/"}, "@type": "Dataset", '
    '"name": "勞工統計", "year": 2026, "month": 1, "county": "臺北市", "count": 120}'
)

QUARTERS = 4


def _ok(ref: ResourceRef, body: str, content_type: str = "text/csv") -> FetchResult:
    data = body.encode("utf-8")
    return FetchResult(
        url=ref.url,
        state=State.OK,
        reason="ok",
        status=200,
        final_url=ref.url,
        headers={"content-type": f"{content_type}; charset=utf-8"},
        head=data,
        bytes_read=len(data),
        method="GET",
    )


def _answer(ref: ResourceRef, n: int, quarter: int) -> tuple[ResourceRef, FetchResult]:
    """What resource `n` answered in `quarter` (0 is the oldest): most answer a good file.

    The first three carry the year's problems, one each, so that even a ministry with four
    datasets on the portal shows them: a link broken for a quarter and then fixed, a file with
    personal data that, at the latest check, had not been updated for four months although
    it is monthly, and a JSON-LD file put behind a CSV label half-way through the year (the
    format check says so; JSON-LD earns four stars). Beyond those, one in seven links is
    broken and one in three other files has columns its 主要欄位說明 does not describe (a silver
    mark, not gold).
    """
    good = _ok(ref, GOOD_CSV)
    if n == 0:
        return ref, _broken(ref) if quarter == 1 else good
    if n == 1:
        if quarter < QUARTERS - 1:
            return ref, _ok(ref, PII_CSV)
        stale = timezone.localtime() - datetime.timedelta(days=120)
        return dataclasses.replace(ref, modified=stale.strftime("%Y-%m-%d %H:%M:%S")), _ok(
            ref, PII_CSV
        )
    if n == 2:
        return ref, _ok(ref, JSON_LD, "application/ld+json") if quarter >= 2 else good
    if n % 7 == 6:
        return ref, _broken(ref)
    return ref, _ok(ref, LOOSE_CSV) if n % 3 == 2 else good


def _broken(ref: ResourceRef) -> FetchResult:
    return FetchResult(
        url=ref.url, state=State.BROKEN, reason="not_found", status=404, method="GET"
    )


def _quarter_days(today: datetime.date) -> list[datetime.datetime]:
    """A check day in each of the last four quarters, oldest first (the latest is today)."""
    days = [today - datetime.timedelta(days=91 * back) for back in range(QUARTERS - 1, -1, -1)]
    at = [timezone.make_aware(datetime.datetime.combine(day, datetime.time(2, 30))) for day in days]
    return [*at[:-1], min(at[-1], timezone.now())]


def _date_run(run: CheckRun, at: datetime.datetime) -> None:
    """Put a run and what it recorded on its day."""
    CheckRun.objects.filter(pk=run.pk).update(
        started_at=at, finished_at=at + datetime.timedelta(minutes=4), progressed_at=at
    )
    CheckEntry.objects.filter(run=run).update(checked_at=at)
    CheckResult.objects.filter(run=run).update(checked_at=at)


def populate(ministry: Organisation, *, today: datetime.date) -> None:
    """Four quarterly self-check runs of `ministry`'s datasets on the portal."""
    refs = refs_from_database(organisation=ministry)
    if not refs or CheckRun.objects.filter(organisation=ministry).exists():
        return
    for quarter, at in enumerate(_quarter_days(today)):
        run = services.start_run(
            kind=CheckKind.SELF_CHECK, by=None, organisation=ministry, source="demo"
        )
        reports: list[ResourceReport] = []
        for n, ref in enumerate(refs):
            checked_ref, fetched = _answer(ref, n, quarter)
            reports.append(run_checks(checked_ref, fetched))
        tally = services.Tally()
        services.record_results(run, reports, tally=tally)
        services.finish_run(run, totals=tally.totals(), by=None)
        _date_run(run, at)
