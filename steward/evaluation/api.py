"""JSON API of evaluation (mounted under /api/evaluation/): runs with their ranking and
figures (each with the records counted), running an evaluation, the head's decision on the
award list, self-reports and improvement reports. Lists are paged (`lib/pagination.py`);
everything is scoped like the pages (404 outside the caller's scope)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Schema, Status

from steward.evaluation import access, presenting, services
from steward.evaluation.kpis import OTHER_ACHIEVEMENTS
from steward.evaluation.models import AwardList, EvaluationRun, ImprovementReport
from steward.evaluation.runs import EvaluationError, run_evaluation
from steward.lib.api import Day, ErrorOut, Id, Router
from steward.lib.pagination import DEFAULT_PAGE_SIZE, PageNumber, PageOut, PageSize, page_of
from steward.organisations.models import Person
from steward.organisations.scope import Action, can
from steward.quality.measures.periods import MeasureError, Period

router = Router(tags=["evaluation"])


def _person(request: HttpRequest) -> Person:
    return request.user  # type: ignore[return-value]


class EvaluationRunOut(Schema):
    id: int
    plan: str
    period: str
    period_label: str
    start: datetime.date
    end: datetime.date
    computed_at: datetime.datetime
    parts: list[dict[str, str]]
    changes: list[dict[str, Any]]
    award_top_n: int | None

    @staticmethod
    def resolve_plan(obj: EvaluationRun) -> str:
        return obj.plan.name

    @staticmethod
    def resolve_period_label(obj: EvaluationRun) -> str:
        return presenting.period_label(obj.period)


class EvaluationRunPageOut(PageOut):
    items: list[EvaluationRunOut]


class EvaluationCountedOut(Schema):
    term: str
    label: str
    url: str


class EvaluationFigureOut(Schema):
    id: int
    organisation_id: int
    organisation: str
    kpi: str
    unit: str
    version: str
    value: Decimal | None
    target: Decimal | None
    achievement: Decimal | None
    bonus: Decimal
    note: str
    terms: dict[str, str]
    counted: list[EvaluationCountedOut]


class EvaluationFigurePageOut(PageOut):
    items: list[EvaluationFigureOut]


class EvaluationScoreOut(Schema):
    organisation_id: int
    organisation: str
    rank: int | None
    overall: Decimal | None
    bonus: Decimal
    below_target: list[str]
    evaluated_from: datetime.date | None


class EvaluationAwardOut(Schema):
    status: str
    organisation_ids: list[int]
    comment: str


class EvaluationRankingOut(Schema):
    run: EvaluationRunOut
    scores: list[EvaluationScoreOut]
    award: EvaluationAwardOut | None


class EvaluationRunIn(Schema):
    plan: str = Field(max_length=40)
    period: str = Field(max_length=8, description="2026, 2026H1 or 2026Q1")


class EvaluationDecisionIn(Schema):
    accept: bool
    comment: str = Field("", max_length=2000)


class SelfReportIn(Schema):
    organisation_id: Id
    start: Day
    end: Day
    value: Decimal = Field(max_digits=12, decimal_places=4)
    summary: str = Field(max_length=5000)
    evidence_links: list[str] = Field(default_factory=list, max_length=20)


class SelfReportOut(Schema):
    id: int
    organisation_id: int
    start: datetime.date
    end: datetime.date
    value: Decimal
    summary: str
    evidence_links: list[str]
    status: str
    review_comment: str

    @staticmethod
    def resolve_start(obj: Any) -> datetime.date:
        return obj.period_start  # type: ignore[no-any-return]

    @staticmethod
    def resolve_end(obj: Any) -> datetime.date:
        return obj.period_end  # type: ignore[no-any-return]

    @staticmethod
    def resolve_evidence_links(obj: Any) -> list[str]:
        return obj.links  # type: ignore[no-any-return]


class SelfReportPageOut(PageOut):
    items: list[SelfReportOut]


class ImprovementReportOut(Schema):
    id: int
    organisation_id: int
    run_id: int
    period: str
    kpis: list[str]
    due_on: datetime.date
    status: str
    text: str
    review_comment: str


class ImprovementReportPageOut(PageOut):
    items: list[ImprovementReportOut]


class ImprovementTextIn(Schema):
    text: str = Field(max_length=20000)


def _runs(person: Person) -> Any:
    return EvaluationRun.objects.filter(plan__in=access.visible_plans(person)).select_related(
        "plan"
    )


@router.get("/runs", response=EvaluationRunPageOut)
def list_runs(
    request: HttpRequest,
    plan: str = "",
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> Any:
    """Evaluation runs of the plans in scope, newest first; `plan` keeps one plan's (its key)."""
    runs = _runs(_person(request)).order_by("-computed_at", "-pk")
    if plan:
        runs = runs.filter(plan__key=plan)
    return page_of(runs, number=page, size=page_size).as_dict()


@router.post("/runs", response={200: EvaluationRunOut, 400: ErrorOut})
def start_run(request: HttpRequest, payload: EvaluationRunIn) -> Any:
    """Run the evaluation of a plan for a period (the information centre)."""
    person = _person(request)
    plan = access.plan_for(person, payload.plan)
    try:
        return run_evaluation(plan, Period.parse(payload.period), by=person)
    except (MeasureError, EvaluationError) as error:
        return Status(400, {"detail": str(error)})


def _visible_ids(person: Person, run: EvaluationRun) -> set[int] | None:
    ministry = run.plan.ministry
    if ministry is not None and can(person, Action.REPORT_VIEW, ministry):
        return None
    return access.visible_organisation_ids(person)


@router.get("/runs/{evaluation_run_id}", response=EvaluationRankingOut)
def get_run(request: HttpRequest, evaluation_run_id: Id) -> Any:
    """A run with its ranking (organisations in the caller's scope) and award list."""
    person = _person(request)
    run = access.run_for(person, evaluation_run_id)
    visible = _visible_ids(person, run)
    scores = run.scores.select_related("organisation")
    if visible is not None:
        scores = scores.filter(organisation_id__in=visible)
    award = AwardList.objects.filter(run=run).first()
    return {
        "run": run,
        "scores": [
            {
                "organisation_id": s.organisation_id,
                "organisation": s.organisation.name,
                "rank": s.rank,
                "overall": s.overall,
                "bonus": s.bonus,
                "below_target": s.below_target,
                "evaluated_from": s.evaluated_from,
            }
            for s in scores
        ],
        "award": {
            "status": award.status,
            "organisation_ids": sorted(award.organisations.values_list("pk", flat=True)),
            "comment": award.comment,
        }
        if award
        else None,
    }


@router.get("/runs/{evaluation_run_id}/figures", response=EvaluationFigurePageOut)
def list_figures(
    request: HttpRequest,
    evaluation_run_id: Id,
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> Any:
    """Every figure of a run (organisation × KPI × part), each with the records counted."""
    person = _person(request)
    run = access.run_for(person, evaluation_run_id)
    results = run.results.select_related("organisation").order_by("organisation__path", "pk")
    visible = _visible_ids(person, run)
    if visible is not None:
        results = results.filter(organisation_id__in=visible)
    found = page_of(results, number=page, size=page_size).as_dict()
    found["items"] = [
        {
            "id": r.pk,
            "organisation_id": r.organisation_id,
            "organisation": r.organisation.name,
            "kpi": r.kpi_name,
            "unit": r.unit,
            "version": r.version_label,
            "value": r.value,
            "target": r.target,
            "achievement": r.achievement,
            "bonus": r.bonus,
            "note": r.note,
            "terms": {presenting.term_label(k): v for k, v in r.terms.items()},
            "counted": [{**c, "term": presenting.term_label(c["term"])} for c in r.counted],
        }
        for r in found["items"]
    ]
    return found


@router.post("/runs/{evaluation_run_id}/awards", response={200: EvaluationAwardOut, 400: ErrorOut})
def decide_awards(
    request: HttpRequest, evaluation_run_id: Id, payload: EvaluationDecisionIn
) -> Any:
    """The head of the ministry approves (`accept`) or returns the award list."""
    person = _person(request)
    run = access.run_for(person, evaluation_run_id)
    award = AwardList.objects.filter(run=run).first()
    if award is None:
        raise Http404("This evaluation has no award list.")
    try:
        award = services.decide_awards(
            award, by=person, approve=payload.accept, comment=payload.comment
        )
    except EvaluationError as error:
        return Status(400, {"detail": str(error)})
    return {
        "status": award.status,
        "organisation_ids": sorted(award.organisations.values_list("pk", flat=True)),
        "comment": award.comment,
    }


@router.get("/self-reports", response=SelfReportPageOut)
def list_self_reports(
    request: HttpRequest, page: PageNumber = 1, page_size: PageSize = DEFAULT_PAGE_SIZE
) -> Any:
    reports = access.self_reports_for(_person(request)).order_by("-submitted_at", "-pk")
    return page_of(reports, number=page, size=page_size).as_dict()


@router.post("/self-reports", response={200: SelfReportOut, 400: ErrorOut})
def submit_self_report(request: HttpRequest, payload: SelfReportIn) -> Any:
    """An organisation reports its other achievements (其他項目) with evidence links."""
    person = _person(request)
    organisation = access.reporting_for(person).filter(pk=payload.organisation_id).first()
    if organisation is None:
        raise Http404("No such organisation in your scope.")
    try:
        return services.submit_self_report(
            organisation,
            by=person,
            measure=OTHER_ACHIEVEMENTS,
            start=payload.start,
            end=payload.end,
            value=payload.value,
            summary=payload.summary,
            evidence_links="\n".join(payload.evidence_links),
        )
    except EvaluationError as error:
        return Status(400, {"detail": str(error)})


@router.post("/self-reports/{self_report_id}/review", response={200: SelfReportOut, 400: ErrorOut})
def review_self_report(
    request: HttpRequest, self_report_id: Id, payload: EvaluationDecisionIn
) -> Any:
    person = _person(request)
    report = access.self_report_for(person, self_report_id)
    try:
        return services.review_self_report(
            report, by=person, accept=payload.accept, comment=payload.comment
        )
    except EvaluationError as error:
        return Status(400, {"detail": str(error)})


def _improvement_reports(person: Person) -> Any:
    from django.db.models import Q

    from steward.organisations.scope import scope_q

    return ImprovementReport.objects.filter(
        scope_q(person, Action.REPORT_VIEW) | Q(organisation__in=access.reporting_for(person))
    )


@router.get("/improvement-reports", response=ImprovementReportPageOut)
def list_improvement_reports(
    request: HttpRequest, page: PageNumber = 1, page_size: PageSize = DEFAULT_PAGE_SIZE
) -> Any:
    reports = _improvement_reports(_person(request)).order_by("due_on", "pk")
    return page_of(reports, number=page, size=page_size).as_dict()


@router.post(
    "/improvement-reports/{improvement_report_id}/submit",
    response={200: ImprovementReportOut, 400: ErrorOut},
)
def submit_improvement_report(
    request: HttpRequest, improvement_report_id: Id, payload: ImprovementTextIn
) -> Any:
    person = _person(request)
    report = access.improvement_report_for(person, improvement_report_id)
    try:
        return services.submit_improvement_report(report, by=person, text=payload.text)
    except EvaluationError as error:
        return Status(400, {"detail": str(error)})


@router.post(
    "/improvement-reports/{improvement_report_id}/review",
    response={200: ImprovementReportOut, 400: ErrorOut},
)
def review_improvement_report(
    request: HttpRequest, improvement_report_id: Id, payload: EvaluationDecisionIn
) -> Any:
    person = _person(request)
    report = access.improvement_report_for(person, improvement_report_id)
    try:
        return services.review_improvement_report(
            report, by=person, accept=payload.accept, comment=payload.comment
        )
    except EvaluationError as error:
        return Status(400, {"detail": str(error)})
