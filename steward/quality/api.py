"""JSON API of quality (mounted under /api/quality/): runs, results, KPI measures, checks.

Every call is scoped: runs outside the caller's organisations are 404; starting a check
needs the quality.run action on the organisation (403 otherwise).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Schema, Status

from steward.lib.api import ErrorOut, Id, Router
from steward.lib.pagination import DEFAULT_PAGE_SIZE, PageNumber, PageOut, PageSize, page_of
from steward.organisations.models import Person
from steward.organisations.scope import organisation_for
from steward.quality import services
from steward.quality.measures import (
    DatasetQuality,
    MeasureError,
    OpenDataset,
    Period,
    measures_for,
)
from steward.quality.models import CheckEntry, CheckState

router = Router(tags=["quality"])

RunsLimit = Annotated[int, Field(ge=1, le=500)]
ResultsLimit = Annotated[int, Field(ge=1, le=1000)]


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

    @staticmethod
    def resolve_checked_at(obj: Any) -> datetime:
        """When this run checked the resource (the verdict may have been found earlier)."""
        return getattr(obj, "seen_at", None) or obj.checked_at  # type: ignore[no-any-return]


class CheckRequestIn(Schema):
    organisation_id: Id


class CheckRequestOut(Schema):
    job_id: int
    status: str


class RunPageOut(PageOut):
    items: list[RunOut]


class ResultPageOut(PageOut):
    items: list[ResultOut]


@router.get("/runs", response=RunPageOut)
def list_runs(
    request: HttpRequest, page: PageNumber = 1, page_size: PageSize = DEFAULT_PAGE_SIZE
) -> Any:
    """Check runs in scope, newest first, a page at a time (see steward/lib/pagination.py)."""
    runs = services.visible_runs(_person(request))
    return page_of(runs, number=page, size=page_size).as_dict()


@router.get("/runs/{run_id}", response=RunOut)
def get_run(request: HttpRequest, run_id: Id) -> Any:
    return services.run_for(_person(request), run_id)


@router.get("/runs/{run_id}/results", response=ResultPageOut)
def list_results(
    request: HttpRequest,
    run_id: Id,
    state: str = "",
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> Any:
    """A run's results in the order their verdicts were found (result id), a page at a
    time; `state` keeps one verdict (ok, broken, …)."""
    run = services.run_for(_person(request), run_id)
    # The page's result ids come from the run's entries in their own key's order (run,
    # result), read in that index without a sort; then those results whole. (By resource
    # key, every page sorted all the run's results: 50,000 of them cost 50–100 ms.)
    entries = CheckEntry.objects.filter(run=run)
    if state in CheckState.values:
        entries = entries.filter(result__state=state)
    listed = page_of(
        entries.order_by("result_id").values_list("result_id", flat=True),
        number=page,
        size=page_size,
    )
    rows = {row.pk: row for row in services.run_results(run).filter(pk__in=listed.items)}
    listed.items = [rows[pk] for pk in listed.items]
    return listed.as_dict()


@router.post("/checks", response={202: CheckRequestOut})
def start_check(request: HttpRequest, body: CheckRequestIn) -> Any:
    person = _person(request)
    organisation = organisation_for(person, body.organisation_id)
    job = services.request_check(organisation=organisation, by=person)
    return Status(202, {"job_id": job.pk, "status": job.status})


class ResourceVerdictOut(Schema):
    key: str
    url: str
    state: str
    reason: str
    explanation: str
    run_id: int
    checked_at: datetime
    stars: int | None
    timely: bool | None
    lateness: str
    mismatches: list[str]


class TermOut(Schema):
    term: str
    label: str
    count: int


class MeasureOut(Schema):
    measure: str
    name: str
    kpi_code: str
    formula: str
    formula_from_plan: bool
    note: str
    unit: str
    evaluation_period: str
    weight: Decimal | None
    target: Decimal | None
    value: Decimal | None
    met: bool | None
    bonus_rule: str
    terms: list[TermOut]


class MeasureDatasetOut(Schema):
    identifier: str
    title: str
    organisation_id: int | None
    status: str = Field(
        description="checked (judged in the period), undetermined (only unknown verdicts) or "
        "not_checked (open, with no result in the period)."
    )
    terms: list[str] = Field(
        description="The terms this dataset counts in, as measure.term "
        "(e.g. accuracy_rate.broken_links)."
    )
    resources: list[ResourceVerdictOut]


class MeasuresOut(PageOut):
    """The measures of the period and, a page at a time, the datasets behind them."""

    organisation_id: int
    organisation: str
    period: str
    start: date
    end: date
    include_subtree: bool
    plan_version: str
    measures: list[MeasureOut]
    items: list[MeasureDatasetOut]


MEASURE_FIELDS = (
    "measure", "name", "kpi_code", "formula", "formula_from_plan", "note", "unit",
    "evaluation_period", "weight", "target", "value", "met", "bonus_rule",
)  # fmt: skip


def _dataset(
    dataset: DatasetQuality | OpenDataset, status: str, terms: dict[str, list[str]]
) -> dict[str, Any]:
    resources = getattr(dataset, "resources", ())
    return {
        "identifier": dataset.identifier,
        "title": dataset.title,
        "organisation_id": dataset.organisation_id,
        "status": status,
        "terms": terms.get(dataset.identifier, []),
        "resources": [
            {**resource._asdict(), "mismatches": list(resource.mismatches)}
            for resource in resources
        ],
    }


@router.get("/measures", response={200: MeasuresOut, 400: ErrorOut})
def get_measures(
    request: HttpRequest,
    organisation_id: Id,
    period: str,
    subtree: bool = False,
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> Any:
    """The accuracy rate (正確率) and three-star ratio of an organisation in a period.

    `period` is a quarter (2026Q1), a half year (2026H1) or a year (2026). `measures` gives
    each term's count on every page; `items` are the datasets behind them, a page at a time
    (checked first, then undetermined, then not checked), each with the terms it counts in
    and its resources' verdicts.
    """
    organisation = organisation_for(_person(request), organisation_id)
    try:
        parsed = Period.parse(period)
    except MeasureError as error:
        return Status(400, {"detail": str(error)})
    result = measures_for(organisation, parsed, include_subtree=subtree)
    terms: dict[str, list[str]] = {}
    for measure in result.measures:
        for row in measure.rows:
            for dataset, _evidence in row.datasets:
                terms.setdefault(dataset.identifier, []).append(f"{measure.measure}.{row.term}")
    datasets: list[tuple[DatasetQuality | OpenDataset, str]] = [
        *((dataset, "checked") for dataset in result.checked),
        *((dataset, "undetermined") for dataset in result.undetermined),
        *((dataset, "not_checked") for dataset in result.not_checked),
    ]
    shown = page_of(datasets, number=page, size=page_size)
    return {
        **shown.as_dict(),
        "items": [_dataset(dataset, status, terms) for dataset, status in shown.items],
        "organisation_id": organisation.pk,
        "organisation": organisation.name,
        "period": parsed.label,
        "start": parsed.start,
        "end": parsed.end,
        "include_subtree": subtree,
        "plan_version": result.plan_version,
        "measures": [
            {
                **{name: getattr(measure, name) for name in MEASURE_FIELDS},
                "terms": [
                    {
                        "term": row.term,
                        "label": row.label,
                        "count": row.count,
                    }
                    for row in measure.rows
                ],
            }
            for measure in result.measures
        ],
    }
