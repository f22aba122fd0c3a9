"""The dashboards with their charts and the home page: p50/p95 against the 300 ms target.

    uv run python bench/dashboard.py [--datasets 3000] [--requests 30] [--served]
    DATABASE_URL=postgres://steward@127.0.0.1:54329/steward_dashboard_bench uv run python bench/dashboard.py

Without DATABASE_URL a throw-away SQLite file in a temporary directory is used; with it, the
named (empty, throw-away) PostgreSQL database is migrated and filled.

The ministry is MOL as its built-in plan installs it (its KPIs, targets and schedule), with
two agencies added to make 7, and a year of activity: `--datasets` published datasets with two
resources each spread over the agencies and the months (`bulk_create`: the dashboard only
reads them), a quality self-check run per agency and quarter with a verdict for every resource
(marks and stars varied), feedback items entered and answered through the feedback services,
the year's tasks from the plan (`tasks.generation`), and MOL's advisory committee with
COMMITTEE_ITEMS datasets awaiting its decision. The officer is the ministry's
information centre. Each request goes through Django's test Client (the whole view, templates
and chart specs, no network); the charts are drawn by the browser afterwards, so their cost
here is building the specs. Each dashboard is timed twice: computed on every request
(STEWARD_DASHBOARD_CACHE_SECONDS=0) and kept for the person (the default, 300 s; the first
request of the warm-up computes it); the committee's is always computed. `--profile PAGE`
profiles one computed request instead. The process's heap is frozen
before timing (`gc.freeze`), as steward/wsgi.py freezes start-up before gunicorn forks its
workers; the first row is the centre's dashboard without that, for comparison. `--served`
adds the centre's dashboard, computed, fetched over HTTP from `steward serve` (gunicorn,
--preload, one worker and thread, kept database connections) on the same database, signed in
through the login form. Prints a table with the load average; asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import serving, start_django, timed

AGENCIES = 7
FEEDBACK_ITEMS = 140
COMMITTEE_ITEMS = 20
TARGET_P95_MS = 300
PASSWORD = "bench-dashboard-password-115"  # a throw-away database's officer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", type=int, default=3000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument(
        "--served",
        action="store_true",
        help="also time the centre's dashboard (computed) through the production server "
        "(`steward serve`: gunicorn with --preload, one worker, one thread) over HTTP",
    )
    parser.add_argument(
        "--profile",
        choices=["home", "centre", "agency", "committee"],
        help="profile one request of this page (computed, cache off) and stop",
    )
    args = parser.parse_args()
    start_django(use_database_url="DATABASE_URL" in os.environ)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import timezone

    from steward.committees.models import Committee
    from steward.committees.models import Kind as CommitteeKind
    from steward.committees.services import set_up_from_plan
    from steward.datasets.models import Dataset, Resource
    from steward.datasets.workflow import Status
    from steward.feedback import services as feedback
    from steward.feedback.models import Channel, Kind
    from steward.organisations.models import (
        Organisation,
        OrganisationKind,
        Person,
        Role,
        RoleAssignment,
    )
    from steward.plans.models import PlanVersion
    from steward.plans.services import BUILTIN_DIR, install_plan_file
    from steward.quality.models import (
        CheckEntry,
        CheckKind,
        CheckResult,
        CheckRun,
        CheckState,
        RunStatus,
    )
    from steward.tasks.generation import generate_tasks

    vendor = connection.vendor
    built = time.perf_counter()
    install_plan_file(BUILTIN_DIR / "mol.toml")
    ministry = Organisation.objects.get(key="mol")
    agencies = list(
        Organisation.objects.filter(
            path__startswith=ministry.path, kind=OrganisationKind.AGENCY
        ).order_by("path")
    )
    for n in range(len(agencies), AGENCIES):
        agencies.append(
            Organisation.objects.create(
                key=f"mol-bench-{n}",
                name=f"勞動部測試機關{n}",
                kind=OrganisationKind.AGENCY,
                parent=ministry,
                agency_code=f"A17{n + 10:03d}000J",
            )
        )
    centre_unit = Organisation.objects.create(
        key="mol-bench-ic", name="資訊處", kind=OrganisationKind.UNIT, parent=ministry
    )
    officer = Person.objects.create(username="bench-centre", display_name="資訊處承辦")
    officer.set_password(PASSWORD)  # `--served` signs in through the login form
    officer.save(update_fields=["password"])
    RoleAssignment.objects.create(
        person=officer, organisation=centre_unit, role=Role.INFORMATION_CENTRE
    )
    liaisons = []
    for agency in agencies:
        liaison = Person.objects.create(username=f"bench-liaison-{agency.pk}")
        RoleAssignment.objects.create(person=liaison, organisation=agency, role=Role.LIAISON)
        liaisons.append(liaison)

    today = timezone.localdate()
    year_start = datetime.datetime(today.year, 1, 1, tzinfo=timezone.get_current_timezone())
    days_so_far = max((today - year_start.date()).days, 1)
    batch = 1000
    for start in range(0, args.datasets, batch):
        rows = Dataset.objects.bulk_create(
            Dataset(
                organisation=agencies[n % AGENCIES],
                identifier=f"{agencies[n % AGENCIES].agency_code}-{n + 1:06d}",
                title=f"測試資料集 {n}",
                status=Status.PUBLISHED,
                issued=year_start
                - datetime.timedelta(days=365 * (n % 3 == 0))
                + datetime.timedelta(days=n % days_so_far),
            )
            for n in range(start, min(start + batch, args.datasets))
        )
        Resource.objects.bulk_create(
            Resource(
                dataset=dataset,
                resourceID=f"{dataset.identifier}-{r:03d}",
                format="CSV",
                downloadURL=f"https://files.example.org/{dataset.identifier}/{r}.csv",
            )
            for dataset in rows
            for r in range(1, 3)
        )
    resources = list(
        Resource.objects.select_related("dataset").values_list(
            "resourceID", "dataset__identifier", "dataset__organisation_id", "downloadURL"
        )
    )
    marks = ["gold", "silver", "bronze", "none"]
    quarter = (today.month - 1) // 3 + 1
    for q in range(1, quarter + 1):
        checked_at = timezone.make_aware(datetime.datetime(today.year, 3 * q - 2, 15, 10, 0))
        if checked_at > timezone.now():
            checked_at = timezone.now() - datetime.timedelta(hours=1)
        runs = {
            agency.pk: CheckRun.objects.create(
                kind=CheckKind.SELF_CHECK,
                organisation=agency,
                source=f"datasets:{agency.key}:{q}",
                status=RunStatus.DONE,
                finished_at=checked_at,
            )
            for agency in agencies
        }
        # each run on its day, as the recorder leaves one (its checks within its span)
        CheckRun.objects.filter(pk__in=[run.pk for run in runs.values()]).update(
            started_at=checked_at, progressed_at=checked_at
        )
        for start in range(0, len(resources), batch * 5):
            chunk = resources[start : start + batch * 5]
            made = CheckResult.objects.bulk_create(
                CheckResult(
                    run=runs[organisation_id],
                    organisation_id=organisation_id,
                    key=key,
                    url=url,
                    dataset_identifier=identifier,
                    title=f"測試資料集 {identifier}",
                    state=CheckState.BROKEN if (n + q) % 17 == 0 else CheckState.OK,
                    reason="not_found" if (n + q) % 17 == 0 else "ok",
                    mark=marks[(n + q) % 4],
                    stars=(n + q) % 6,
                    timely=(n + q) % 11 != 0,
                    checked_at=checked_at,
                )
                for n, (key, identifier, organisation_id, url) in enumerate(chunk, start=start)
            )
            CheckEntry.objects.bulk_create(
                CheckEntry(run=result.run, result=result, checked_at=checked_at) for result in made
            )
    for n in range(FEEDBACK_ITEMS):
        agency = agencies[n % AGENCIES]
        received = timezone.now() - datetime.timedelta(days=3 + (n * 7) % days_so_far)
        item = feedback.enter(
            by=officer, kind=Kind.COMMENT, text="意見", subject=f"意見 {n}", organisation=agency,
            received_at=received, channel=Channel.NATIONAL_PORTAL,
        )  # fmt: skip
        if n % 4:
            feedback.draft_reply(item, by=liaisons[n % AGENCIES], text="回復")
            feedback.send_reply(item, by=liaisons[n % AGENCIES])
    version = PlanVersion.objects.filter(plan__ministry=ministry).latest("adopted_on")
    generate_tasks(version, today.year)
    # the committee: MOL's advisory committee with datasets awaiting its decision
    set_up_from_plan(ministry, by=officer)
    advisory = Committee.objects.get(organisation=ministry, kind=CommitteeKind.ADVISORY)
    Dataset.objects.filter(
        pk__in=Dataset.objects.order_by("pk").values_list("pk", flat=True)[:COMMITTEE_ITEMS]
    ).update(status=Status.COMMITTEE)
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    built = time.perf_counter() - built
    print(
        f"{vendor}: {AGENCIES} agencies, {Dataset.objects.count():,} datasets, "
        f"{Resource.objects.count():,} resources, {CheckResult.objects.count():,} verdicts in "
        f"{quarter} quarters, {FEEDBACK_ITEMS} feedback items, "
        f"{COMMITTEE_ITEMS} items before the committee; built in {built:.0f} s"
    )

    client = Client()
    client.force_login(officer)
    from django.conf import settings
    from django.core.cache import cache

    centre = reverse("reports:dashboards:centre", args=[ministry.pk])
    agency = reverse("reports:dashboards:agency", args=[agencies[0].pk])
    committee = reverse("reports:dashboards:committee", args=[advisory.pk])
    # as in a gunicorn worker of `steward serve`: what start-up made is frozen (steward/wsgi.py
    # calls gc.freeze() before the workers fork); the first row shows the page without that
    cases = [
        ("centre's dashboard, computed, unfrozen", centre, 0),
        ("/api/organisations/me (the floor)", "/api/organisations/me", 0),
        ("home page (its standing alone)", reverse("home"), 0),
        ("centre's dashboard, computed", centre, 0),
        ("centre's dashboard, kept (cache)", centre, 300),
        ("an agency's dashboard, computed", agency, 0),
        ("an agency's dashboard, kept (cache)", agency, 300),
        ("the committee's dashboard (computed)", committee, 0),
    ]
    import gc

    if args.profile:
        gc.freeze()
        import cProfile
        import pstats

        settings.STEWARD_DASHBOARD_CACHE_SECONDS = 0
        url = {"home": reverse("home"), "centre": centre, "agency": agency}.get(
            args.profile, committee
        )
        client.get(url)
        if os.environ.get("BENCH_QUERIES"):  # each query's time instead of the profile
            with CaptureQueriesContext(connection) as queries:
                client.get(url)
            for query in sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:12]:
                print(f"{float(query['time']) * 1000:7.1f} ms  {query['sql'][:300]}")
            return
        profiler = cProfile.Profile()
        profiler.runcall(client.get, url)
        pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(
            int(os.environ.get("BENCH_LINES", "40"))
        )
        return
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'page':38} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8} {'KiB':>6}")
    for label, url, seconds in cases:
        if "unfrozen" not in label and not gc.get_freeze_count():
            gc.freeze()
        settings.STEWARD_DASHBOARD_CACHE_SECONDS = seconds
        cache.clear()
        median, high, answer = timed(lambda url=url: client.get(url), args.requests)
        assert answer.status_code == 200, (url, answer.status_code)  # type: ignore[attr-defined]
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        size = len(answer.content) / 1024  # type: ignore[attr-defined]
        mark = ""
        if "dashboard" in label:
            mark = "  ok" if high <= TARGET_P95_MS else f"  over the {TARGET_P95_MS} ms target"
        print(f"{label:38} {median:8.0f} {high:8.0f} {len(queries):8d} {size:6.0f}{mark}")
    if args.served:
        median, high = served(centre, args.requests)
        mark = "  ok" if high <= TARGET_P95_MS else f"  over the {TARGET_P95_MS} ms target"
        print(f"{'centre, computed, via steward serve':38} {median:8.0f} {high:8.0f}{'':16}{mark}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def served(path: str, requests: int) -> tuple[float, float]:
    """p50 and p95 ms of GET `path` from `steward serve` on this database, signed in as the
    officer through the login form; the page computed on each request (no keeping)."""
    import http.cookiejar
    import re
    import secrets
    import socket
    import tempfile
    import urllib.parse
    import urllib.request

    from django.db import connections

    connections.close_all()  # (SQLite: the server's processes write the same file)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    var = tempfile.mkdtemp(prefix="steward-bench-var-")
    env = {
        **os.environ,
        "STEWARD_SECRET_KEY": secrets.token_urlsafe(50),
        "STEWARD_VAR_DIR": var,
        "STEWARD_DEBUG": "false",
        "STEWARD_LOG_LEVEL": "ERROR",
        "STEWARD_DASHBOARD_CACHE_SECONDS": "0",
        # as docs/deploy.md has production keep them: no connection set up per request
        "STEWARD_DB_CONN_MAX_AGE": "60",
        "STEWARD_DB_CONN_HEALTH_CHECKS": "true",
    }
    command = [sys.executable, "-m", "steward.cli", "serve", "--no-worker"]
    command += [f"--bind=127.0.0.1:{port}", "--workers=1", "--threads=1"]
    with serving(command, env=env, port=port, log=Path(var) / "serve.log"):
        base = f"http://127.0.0.1:{port}"
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        with opener.open(f"{base}/accounts/login/", timeout=60) as answer:
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', answer.read().decode())
        assert token, "no CSRF token on the login form"
        form = {"csrfmiddlewaretoken": token.group(1), "username": "bench-centre"}
        form |= {"password": PASSWORD, "next": path}
        data = urllib.parse.urlencode(form).encode()
        with opener.open(f"{base}/accounts/login/", data=data, timeout=60) as answer:
            assert answer.url.endswith(path), f"sign-in did not lead to the page: {answer.url}"

        def get() -> bytes:
            with opener.open(f"{base}{path}", timeout=60) as answer:
                assert answer.status == 200
                return bytes(answer.read())

        median, high, _answer = timed(get, requests)
        return median, high


if __name__ == "__main__":
    main()
