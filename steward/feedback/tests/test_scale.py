"""The inbox and the figures stay cheap with many items: a bounded number of queries."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from steward.conftest import Cast, Tree
from steward.feedback import services
from steward.feedback.figures import figures_for
from steward.feedback.models import Channel, FeedbackItem, Kind

TAIPEI = ZoneInfo("Asia/Taipei")
COUNT = 3000


def many(cast: Cast, tree: Tree) -> None:
    first = services.enter(
        by=cast.centre, kind=Kind.COMMENT, text="意見", organisation=tree.unit_a1,
        received_at=datetime.datetime(2026, 1, 2, 9, 0, tzinfo=TAIPEI),
        channel=Channel.NATIONAL_PORTAL,
    )  # fmt: skip
    copies = []
    for number in range(1, COUNT):
        copy = FeedbackItem.objects.get(pk=first.pk)
        copy.pk = None
        copy.tracking_token = f"t{number}"
        offset = datetime.timedelta(minutes=number * 40)
        copy.received_at += offset
        copy.due_at += offset
        copy.due_on = copy.due_at.astimezone(TAIPEI).date() - datetime.timedelta(days=1)
        if number % 3 == 0:
            copy.replied_at = copy.received_at + datetime.timedelta(hours=number % 200)
        copies.append(copy)
    FeedbackItem.objects.bulk_create(copies)


@time_machine.travel(datetime.datetime(2026, 4, 1, 9, 0, tzinfo=TAIPEI), tick=False)
def test_inbox_page_and_figures_with_thousands_of_items(
    client: Client, cast: Cast, tree: Tree, follow: Callable[[str], None], capsys: Any
) -> None:
    follow("mol")
    many(cast, tree)
    client.force_login(cast.liaison)
    client.get("/feedback/")  # the first request of the process compiles templates and URLs
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get("/feedback/?show=all")
        page_seconds = time.perf_counter() - started
    assert response.status_code == 200
    assert response.content.decode().count("feedback/t/") == 0  # no tokens on the inbox
    assert len(queries) < 40, len(queries)
    started = time.perf_counter()
    figures = figures_for(tree.agency_a, datetime.date(2026, 1, 1), datetime.date(2026, 4, 1))
    figure_seconds = time.perf_counter() - started
    assert figures.count == COUNT
    assert figures.on_time.percent is not None
    with capsys.disabled():
        print(f"\n{COUNT} items: inbox page {page_seconds:.2f}s, {len(queries)} queries;"
              f" figures {figure_seconds:.2f}s")  # fmt: skip
