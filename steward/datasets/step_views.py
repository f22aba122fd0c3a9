"""Pages that take one step of the chain, and the committee meetings and public notices.

Each step parses its small form and calls its one service function; a refusal becomes a
message and nothing changes.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from steward.datasets import services
from steward.datasets.access import dataset_for, person_of
from steward.datasets.errors import DatasetError, MetadataIncomplete
from steward.datasets.forms import (
    CommentForm,
    CommitteeDecisionForm,
    MeetingForm,
    NoticeForm,
    PublishedForm,
    ReasonsForm,
    ScheduleForm,
    WithdrawalRequestForm,
)
from steward.datasets.models import CommitteeMeeting, Dataset, Withdrawal
from steward.datasets.planning import planned_publication_date
from steward.datasets.workflow import (
    Status,
    Step,
    approve_label,
    available_steps,
)
from steward.lib.pagination import page_rows
from steward.organisations.models import Organisation, Person
from steward.organisations.scope import Action, organisations_for
from steward.publishing.services import portal_reason, refused_entry


def step_forms(person: Person, dataset: Dataset) -> dict[str, Any]:
    """The forms for the steps `person` may take on `dataset` now (the pages' side panel)."""
    steps = available_steps(person, dataset)
    meetings = CommitteeMeeting.objects.filter(ministry=dataset.organisation.ministry)
    forms: dict[str, Any] = {"steps": steps}
    if Step.APPROVE in steps or Step.APPROVE_EDIT in steps or Step.APPROVE_WITHDRAWAL in steps:
        forms["comment_form"] = CommentForm()
    if Step.APPROVE in steps:
        forms["approve_label"] = approve_label(Status(dataset.status))
    if Step.REJECT in steps or Step.REFUSE_WITHDRAWAL in steps:
        forms["reasons_form"] = ReasonsForm()
    if Step.COMMITTEE in steps:
        forms["committee_form"] = CommitteeDecisionForm(meetings=meetings)
    if Step.WITHDRAWAL_DISCUSSION in steps:
        forms["withdrawal_committee_form"] = CommitteeDecisionForm(
            meetings=meetings, withdrawal=True
        )
    if Step.SCHEDULE in steps:
        forms["schedule_form"] = ScheduleForm(
            initial={"on": dataset.scheduled_publish_on or planned_publication_date(dataset)}
        )
    if Step.PUBLISH in steps:
        forms["published_form"] = PublishedForm()
    if Step.RETURN_REFUSED in steps:
        refused = refused_entry(dataset)
        forms["portal_refusal"] = portal_reason(refused) if refused is not None else ""
        forms["return_form"] = CommentForm()
    if Step.REQUEST_WITHDRAWAL in steps:
        forms["withdrawal_form"] = WithdrawalRequestForm(organisation=dataset.organisation)
    if Step.WITHDRAWAL_NOTICE in steps:
        withdrawal = dataset.withdrawals.filter(closed=False).first()
        forms["notice_form"] = NoticeForm(
            initial={
                "notice_text": services.default_notice(dataset, withdrawal) if withdrawal else ""
            }
        )
    return forms


# ---------------------------------------------------------------- steps


def _form_or_error(form: BaseForm) -> dict[str, Any]:
    if not form.is_valid():
        problems = "; ".join(
            f"{form.fields[name].label if name in form.fields else ''} {' '.join(str(e) for e in errors)}".strip()
            for name, errors in form.errors.items()
        )
        raise DatasetError(problems)
    return form.cleaned_data


def _meetings(dataset: Dataset) -> Any:
    return CommitteeMeeting.objects.filter(ministry=dataset.organisation.ministry)


STEP_DONE = {
    Step.SUBMIT: gettext_lazy("Submitted for review."),
    Step.APPROVE: gettext_lazy("Approved and passed on."),
    Step.REJECT: gettext_lazy("Returned to the liaison with your reasons."),
    Step.COMMITTEE: gettext_lazy("Committee decision recorded."),
    Step.APPROVE_EDIT: gettext_lazy("Edit approved; it will be re-published."),
    Step.SCHEDULE: gettext_lazy("Scheduled."),
    Step.PUBLISH: gettext_lazy("Recorded as published."),
    Step.RETURN_REFUSED: gettext_lazy("Returned to the liaison with the portal's reason."),
    Step.DISCARD_EDIT: gettext_lazy("Edit discarded; the published version is back."),
    Step.REQUEST_WITHDRAWAL: gettext_lazy("Withdrawal requested."),
    Step.WITHDRAWAL_DISCUSSION: gettext_lazy("Committee discussion recorded."),
    Step.APPROVE_WITHDRAWAL: gettext_lazy("Withdrawal approved."),
    Step.REFUSE_WITHDRAWAL: gettext_lazy("Withdrawal refused; the dataset stays open."),
    Step.WITHDRAWAL_NOTICE: gettext_lazy("Notice published; the dataset is withdrawn."),
}


def _run_step(step: Step, dataset: Dataset, person: Person, data: Any) -> None:
    """Parse the step's form and call its one service function."""
    if step == Step.SUBMIT:
        services.submit_for_review(dataset, by=person)
    elif step == Step.APPROVE:
        comment = _form_or_error(CommentForm(data))["comment"]
        services.approve(dataset, stage=Status(dataset.status), by=person, comment=comment)
    elif step == Step.REJECT:
        services.reject(dataset, by=person, reasons=_form_or_error(ReasonsForm(data))["reasons"])
    elif step in (Step.COMMITTEE, Step.WITHDRAWAL_DISCUSSION):
        withdrawal = step == Step.WITHDRAWAL_DISCUSSION
        cleaned = _form_or_error(
            CommitteeDecisionForm(data, meetings=_meetings(dataset), withdrawal=withdrawal)
        )
        record = (
            services.record_withdrawal_discussion
            if withdrawal
            else services.record_committee_decision
        )
        record(
            dataset,
            meeting=cleaned["meeting"],
            decision=cleaned["decision"],
            by=person,
            reasons=cleaned["reasons"],
        )
    elif step == Step.APPROVE_EDIT:
        services.approve_edit(
            dataset, by=person, comment=_form_or_error(CommentForm(data))["comment"]
        )
    elif step == Step.SCHEDULE:
        cleaned = _form_or_error(ScheduleForm(data))
        services.schedule_publication(
            dataset, by=person, on=cleaned["on"], comment=cleaned["comment"]
        )
    elif step == Step.PUBLISH:
        cleaned = _form_or_error(PublishedForm(data))
        services.mark_published(dataset, by=person, portal_identifier=cleaned["portal_identifier"])
    elif step == Step.RETURN_REFUSED:
        services.return_refused_publication(
            dataset, by=person, comment=_form_or_error(CommentForm(data))["comment"]
        )
    elif step == Step.DISCARD_EDIT:
        services.discard_edit(dataset, by=person)
    elif step == Step.REQUEST_WITHDRAWAL:
        cleaned = _form_or_error(WithdrawalRequestForm(data, organisation=dataset.organisation))
        services.request_withdrawal(
            dataset, by=person, reason=cleaned["reason"], becomes=cleaned["becomes"]
        )
    elif step == Step.APPROVE_WITHDRAWAL:
        services.approve_withdrawal(
            dataset, by=person, comment=_form_or_error(CommentForm(data))["comment"]
        )
    elif step == Step.REFUSE_WITHDRAWAL:
        services.refuse_withdrawal(
            dataset, by=person, reasons=_form_or_error(ReasonsForm(data))["reasons"]
        )
    elif step == Step.WITHDRAWAL_NOTICE:
        cleaned = _form_or_error(NoticeForm(data))
        services.publish_withdrawal_notice(
            dataset, by=person, notice_text=cleaned["notice_text"], on=cleaned["on"]
        )
    else:  # Step.EDIT has its own page
        raise Http404


@login_required
@require_POST
def take_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """Take one step of the chain at the stage the form names; a refusal (a stale or repeated
    form among them) is shown as a message and nothing changes."""
    person = person_of(request)
    dataset = dataset_for(person, pk)
    if step not in Step.values:
        raise Http404
    # The form names the stage the person saw (a hidden input): a second click, or a page
    # opened before somebody else acted, is refused with a message instead of acting again.
    stage = request.POST.get("stage", "")
    try:
        with services.at_stage(dataset, stage) as current:
            _run_step(Step(step), current, person, request.POST)
    except MetadataIncomplete as error:
        messages.error(request, error.message)
        return redirect("datasets:edit", pk=dataset.pk)
    except (DatasetError, PermissionDenied) as error:
        messages.error(request, str(error))
        return redirect("datasets:detail", pk=dataset.pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("datasets:detail", pk=dataset.pk)
    messages.success(request, STEP_DONE.get(Step(step), _("Done.")))
    return redirect("datasets:detail", pk=dataset.pk)


# ---------------------------------------------------------------- committee meetings, notices


def _committee_ministry(person: Person) -> Organisation | None:
    for organisation in organisations_for(person, Action.DATASET_COMMITTEE_DECISION).order_by(
        "path"
    ):
        return organisation.ministry
    return None


def _ministry_ids(person: Person) -> set[int]:
    return {
        int(organisation.path.strip("/").split("/")[0])
        for organisation in organisations_for(person, Action.VIEW)
    }


@login_required
def meetings(request: HttpRequest) -> HttpResponse:
    """Advisory-committee meetings (諮詢小組會議): list, and record a new one."""
    person = person_of(request)
    ministry = _committee_ministry(person)
    visible = CommitteeMeeting.objects.filter(ministry_id__in=_ministry_ids(person))
    form = MeetingForm(request.POST or None) if ministry is not None else None
    back = request.POST.get("next") or request.GET.get("next") or ""
    if not back.startswith("/datasets/"):
        back = ""  # only ever go back to one of our own pages
    if request.method == "POST":
        if form is None or ministry is None:
            raise PermissionDenied(_("You may not record committee meetings."))
        if form.is_valid():
            try:
                meeting = services.record_meeting(by=person, ministry=ministry, **form.cleaned_data)
            except ValidationError as error:
                for key, errors in error.message_dict.items():
                    for message in errors:
                        form.add_error(key if key in form.fields else None, message)
            else:
                messages.success(
                    request, _("Meeting %(number)s recorded.") % {"number": meeting.number}
                )
                return redirect(back or "datasets:meetings")
    return render(
        request,
        "datasets/meetings.html",
        {
            "meetings": page_rows(
                visible.prefetch_related("decisions__dataset").order_by("-held_on", "-pk"),
                request,
            ),
            "form": form,
            "next": back,
        },
    )


def notices(request: HttpRequest) -> HttpResponse:
    """Public notices of withdrawn datasets (停止提供公告) with their reasons; no sign-in."""
    published = (
        Withdrawal.objects.filter(notice_published_on__isnull=False)
        .select_related("dataset")
        .order_by("-notice_published_on", "-pk")
    )
    return render(request, "datasets/notices.html", {"withdrawals": page_rows(published, request)})
