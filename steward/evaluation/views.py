"""Pages of evaluation: the plans' evaluations, one run (ranking, KPI figures, awards,
improvement reports, what changed since the previous run), a figure's records, self-reports
and improvement reports."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from steward.evaluation import access, presenting, services
from steward.evaluation.forms import DecisionForm, ImprovementForm, RunForm, SelfReportForm
from steward.evaluation.kpis import OTHER_ACHIEVEMENTS
from steward.evaluation.models import (
    AwardList,
    AwardStatus,
    EvaluationRun,
    ReportStatus,
    SelfReportStatus,
)
from steward.evaluation.runs import EvaluationError, run_evaluation
from steward.organisations.models import Person
from steward.organisations.scope import Action, can
from steward.quality.measures.periods import MeasureError, Period


def _person(request: HttpRequest) -> Person:
    return request.user  # type: ignore[return-value]


@login_required
def index(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    plans = []
    for plan in access.visible_plans(person):
        runs = list(EvaluationRun.objects.filter(plan=plan).order_by("-period", "-computed_at"))
        latest: dict[str, EvaluationRun] = {}
        for run in runs:
            latest.setdefault(run.period, run)
        rows = [(presenting.period_label(r.period), r) for r in latest.values()]
        may_run = plan.ministry is not None and can(person, Action.EVALUATION_RUN, plan.ministry)
        plans.append((plan, rows, RunForm(initial={"plan": plan.key}) if may_run else None))
    return render(request, "evaluation/index.html", {"plans": plans})


@login_required
@require_POST
def run_new(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    form = RunForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the plan and the period."))
        return redirect("evaluation:index")
    plan = access.plan_for(person, form.cleaned_data["plan"])
    try:
        period = Period.parse(form.cleaned_data["period"])
        run = run_evaluation(plan, period, by=person)
    except (MeasureError, EvaluationError) as error:
        messages.error(request, str(error))
        return redirect("evaluation:index")
    except PermissionDenied:
        messages.error(request, _("You may not run evaluations of this plan."))
        return redirect("evaluation:index")
    messages.success(request, _("The evaluation was run."))
    return redirect("evaluation:run", pk=run.pk)


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request)
    run = access.run_for(person, pk)
    ministry = run.plan.ministry
    sees_all = ministry is not None and can(person, Action.REPORT_VIEW, ministry)
    rows = presenting.table(run, None if sees_all else access.visible_organisation_ids(person))
    award = AwardList.objects.filter(run=run).prefetch_related("organisations").first()
    may_decide = (
        award is not None
        and award.status == AwardStatus.PROPOSED
        and ministry is not None
        and can(person, Action.AWARD_APPROVE, ministry)
    )
    previous = (
        EvaluationRun.objects.filter(
            plan=run.plan, period=run.period, computed_at__lt=run.computed_at
        )
        .order_by("-computed_at")
        .first()
    )
    reports = run.improvement_reports.select_related("organisation")
    if not sees_all:
        reports = reports.filter(organisation_id__in=access.visible_organisation_ids(person))
    return render(
        request,
        "evaluation/run.html",
        {
            "run": run,
            "period_label": presenting.period_label(run.period),
            "rows": rows,
            "award": award,
            "may_decide": may_decide,
            "decision_form": DecisionForm(),
            "previous": previous,
            "reports": reports,
            "sees_all": sees_all,
        },
    )


@login_required
def figure(request: HttpRequest, pk: int, result: int) -> HttpResponse:
    person = _person(request)
    run = access.run_for(person, pk)
    found = (
        run.results.filter(pk=result, organisation_id__in=access.visible_organisation_ids(person))
        .select_related("organisation")
        .first()
    )
    if found is None:
        raise Http404(_("No such figure in your scope."))
    terms = [(presenting.term_label(term), value) for term, value in found.terms.items()]
    groups: dict[str, list[dict[str, str]]] = {}
    for counted in found.counted:
        groups.setdefault(presenting.term_label(counted["term"]), []).append(counted)
    return render(
        request,
        "evaluation/figure.html",
        {
            "run": run,
            "result": found,
            "terms": terms,
            "groups": groups,
            "period_label": presenting.period_label(run.period),
        },
    )


@login_required
@require_POST
def decide_awards(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request)
    run = access.run_for(person, pk)
    award = AwardList.objects.filter(run=run).first()
    if award is None:
        raise Http404(_("This evaluation has no award list."))
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or return."))
        return redirect("evaluation:run", pk=run.pk)
    try:
        services.decide_awards(
            award,
            by=person,
            approve=form.cleaned_data["decision"] == "accept",
            comment=form.cleaned_data["comment"],
        )
    except PermissionDenied:
        messages.error(request, _("Only the head of the ministry approves the award list."))
    except EvaluationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The decision on the award list was recorded."))
    return redirect("evaluation:run", pk=run.pk)


@login_required
def self_reports(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    organisations = access.reporting_for(person).order_by("path")
    form = None
    if organisations.exists():
        form = SelfReportForm(request.POST or None, request.FILES or None)
        form.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                report = services.submit_self_report(
                    data["organisation"],
                    by=person,
                    measure=OTHER_ACHIEVEMENTS,
                    start=data["period_start"],
                    end=data["period_end"],
                    value=data["value"],
                    summary=data["summary"],
                    evidence_links=data["evidence_links"],
                    evidence_file=data.get("evidence_file") or None,
                )
            except EvaluationError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("The self-report was submitted for review."))
                return redirect("evaluation:self_report", pk=report.pk)
    elif request.method == "POST":
        raise Http404(_("You may not hand in self-reports."))
    reports = access.self_reports_for(person)[:200]
    return render(request, "evaluation/self_reports.html", {"form": form, "reports": reports})


@login_required
def self_report(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request)
    report = access.self_report_for(person, pk)
    may_review = report.status == SelfReportStatus.SUBMITTED and can(
        person, Action.EVALUATION_RUN, report.organisation
    )
    form = DecisionForm(request.POST or None) if may_review else None
    if request.method == "POST":
        if form is None:
            raise Http404(_("This report is not awaiting your review."))
        if form.is_valid():
            try:
                services.review_self_report(
                    report,
                    by=person,
                    accept=form.cleaned_data["decision"] == "accept",
                    comment=form.cleaned_data["comment"],
                )
            except EvaluationError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("The review was recorded."))
                return redirect("evaluation:self_report", pk=report.pk)
    return render(request, "evaluation/self_report.html", {"report": report, "form": form})


@login_required
def improvement_report(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request)
    report = access.improvement_report_for(person, pk)
    may_write = report.status in (
        ReportStatus.REQUIRED,
        ReportStatus.RETURNED,
    ) and access.may_report_for(person, report.organisation)
    may_review = report.status == ReportStatus.SUBMITTED and can(
        person, Action.EVALUATION_RUN, report.organisation
    )
    write_form = ImprovementForm(request.POST or None) if may_write else None
    review_form = DecisionForm(request.POST or None) if may_review else None
    if request.method == "POST":
        try:
            if write_form is not None and write_form.is_valid():
                services.submit_improvement_report(
                    report, by=person, text=write_form.cleaned_data["text"]
                )
            elif review_form is not None and review_form.is_valid():
                services.review_improvement_report(
                    report,
                    by=person,
                    accept=review_form.cleaned_data["decision"] == "accept",
                    comment=review_form.cleaned_data["comment"],
                )
            elif write_form is None and review_form is None:
                raise Http404(_("This report is not waiting on you."))
            else:
                raise EvaluationError(_("Fill in the form."))
        except EvaluationError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Recorded."))
            return redirect("evaluation:improvement_report", pk=report.pk)
    return render(
        request,
        "evaluation/improvement_report.html",
        {
            "report": report,
            "period_label": presenting.period_label(report.period),
            "write_form": write_form,
            "review_form": review_form,
        },
    )
