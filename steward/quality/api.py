"""JSON API of quality (mounted under /api/quality/): runs, their results, and starting a check.

Every call is scoped: runs outside the caller's organisations are 404; starting a check
needs the quality.run action on the organisation (403 otherwise).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from steward.organisations.models import Person
from steward.organisations.scope import organisation_for
from steward.quality import services
from steward.quality.models import CheckState

router = Router(tags=["quality"])


def _person(request: HttpRequest) -> Person:
    return request.user  # type: ignore[return-value]


class RunOut(Schema):
    id: int
    kind: str
    organisation_id: int | None
    source: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    totals: dict[str, Any]


class ResultOut(Schema):
    key: str
    url: str
    dataset_identifier: str
    title: str
    publisher: str
    state: str
    reason: str
    explanation: str
    http_status: int | None
    detected_format: str
    detected_encoding: str
    mark: str
    stars: int | None
    timely: bool | None
    flags: dict[str, int]
    pii: dict[str, int]
    details: dict[str, Any]
    checked_at: datetime


class CheckRequestIn(Schema):
    organisation_id: int


class CheckRequestOut(Schema):
    job_id: int
    status: str


@router.get("/runs", response=list[RunOut])
def list_runs(request: HttpRequest, limit: int = 50) -> Any:
    return list(services.visible_runs(_person(request))[: max(1, min(limit, 500))])


@router.get("/runs/{run_id}", response=RunOut)
def get_run(request: HttpRequest, run_id: int) -> Any:
    return services.run_for(_person(request), run_id)


@router.get("/runs/{run_id}/results", response=list[ResultOut])
def list_results(
    request: HttpRequest, run_id: int, state: str = "", offset: int = 0, limit: int = 500
) -> Any:
    run = services.run_for(_person(request), run_id)
    results = run.results.order_by("key")
    if state in CheckState.values:
        results = results.filter(state=state)
    offset = max(offset, 0)
    return list(results[offset : offset + max(1, min(limit, 1000))])


@router.post("/checks", response={202: CheckRequestOut})
def start_check(request: HttpRequest, body: CheckRequestIn) -> Any:
    person = _person(request)
    organisation = organisation_for(person, body.organisation_id)
    job = services.request_check(organisation=organisation, by=person)
    return Status(202, {"job_id": job.pk, "status": job.status})
