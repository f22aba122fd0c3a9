"""Pages of feedback: the public form and tracking page (no account), the agency's inbox with
due-time colours, the CIO's approval queue, an item with its steps, and staff entry.

Views parse input and call one service each; what a person may do next comes from
`workflow.available_steps`, so no page restates who acts when.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from steward.audit.services import history
from steward.calendars.workdays import current_calendar
from steward.datasets.models import Dataset
from steward.datasets.workflow import ON_PORTAL
from steward.feedback import services
from steward.feedback.forms import (
    EnterItemForm,
    PublicFeedbackForm,
    form_started_token,
    seconds_since_started,
)
from steward.feedback.importing import OPTIONAL, REQUIRED, ImportRefused, import_items
from steward.feedback.models import DueSource, FeedbackItem, Status
from steward.feedback.workflow import STEPS, Step, available_steps
from steward.lib.pagination import page_rows
from steward.organisations.models import Organisation, OrganisationKind, Person
from steward.organisations.scope import Action, organisations_for, roles_allowing, scope_q
from steward.organisations.signin.lockouts import client_address

OPEN_STATUSES = (Status.RECEIVED, Status.DRAFTED, Status.AWAITING_APPROVAL, Status.APPROVED)


def _person(request: HttpRequest) -> Person:
    user = request.user
    assert isinstance(user, Person)
    return user


def reminder_horizon(now: datetime.datetime) -> datetime.date:
    """The last day that counts as "due soon": the reminder period, in working days."""
    today = timezone.localtime(now).date()
    return current_calendar().add_working_days(
        today, int(settings.STEWARD_FEEDBACK_REMIND_WORKING_DAYS)
    )


def due_state(item: FeedbackItem, now: datetime.datetime, soon: datetime.date) -> str:
    """The colour of an item's due time: done, overdue (bad), due soon (warn) or ok."""
    if item.replied_at is not None:
        return "done"
    if now >= item.due_at:
        return "bad"
    return "warn" if item.due_on <= soon else "ok"


def _visible(person: Person) -> QuerySet[FeedbackItem]:
    return FeedbackItem.objects.filter(scope_q(person, Action.VIEW)).select_related(
        "organisation", "assigned_to", "dataset"
    )


#: Rows per inbox page.
PAGE_SIZE = 100


def _rows(items: QuerySet[FeedbackItem] | list[FeedbackItem]) -> list[dict[str, Any]]:
    now = timezone.now()
    soon = reminder_horizon(now)  # once per page, not per row
    return [{"item": item, "due_state": due_state(item, now, soon)} for item in items]


# ---------------------------------------------------------------- staff pages


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """Items the person's organisations answer; open ones by due time, then the answered."""
    person = _person(request)
    show = request.GET.get("show", "open")
    items = _visible(person).order_by("due_at", "pk")
    if show == "open":
        items = items.filter(status__in=OPEN_STATUSES)
    page = page_rows(items, request, size=PAGE_SIZE)
    return render(
        request,
        "feedback/inbox.html",
        {
            "rows": _rows(list(page.object_list)),
            "page": page,
            "show": show,
            "may_enter": organisations_for(person, Action.FEEDBACK_ROUTE).exists(),
            "may_approve": organisations_for(person, Action.FEEDBACK_APPROVE_REPLY).exists(),
        },
    )


@login_required
def approvals(request: HttpRequest) -> HttpResponse:
    """The CIO's queue: replies awaiting approval (資訊長核准)."""
    person = _person(request)
    items = (
        FeedbackItem.objects.filter(
            scope_q(person, Action.FEEDBACK_APPROVE_REPLY), status=Status.AWAITING_APPROVAL
        )
        .select_related("organisation", "assigned_to", "dataset")
        .order_by("due_at", "pk")
    )
    page = page_rows(items, request, size=PAGE_SIZE)
    return render(
        request, "feedback/approvals.html", {"rows": _rows(list(page.object_list)), "page": page}
    )


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request)
    item = get_object_or_404(_visible(person), pk=pk)
    steps = available_steps(item, person)
    targets: list[Organisation] = []
    liaisons: list[Person] = []
    if Step.ASSIGN in steps:
        ministry = item.organisation.ministry
        targets = list(Organisation.objects.filter(path__startswith=ministry.path).order_by("path"))
        # Candidates only: the service checks the one chosen can answer for the organisation.
        liaisons = list(
            Person.objects.filter(
                is_active=True,
                role_assignments__active=True,
                role_assignments__role__in=roles_allowing(Action.FEEDBACK_REPLY),
                role_assignments__organisation__path__startswith=ministry.path,
            )
            .distinct()
            .order_by("username")
        )
    return render(
        request,
        "feedback/detail.html",
        {
            "item": item,
            "due_state": _rows([item])[0]["due_state"],
            "steps": [(step.value, STEPS[step].label) for step in steps],
            "events": [
                {
                    "event": event,
                    "who": event.actor
                    or (
                        _("the public")
                        if event.action == "feedback.receive"
                        else _("OpenData Steward")
                    ),
                }
                for event in history(item)
            ],
            "targets": targets,
            "liaisons": liaisons,
            "tracking_path": services.tracking_path(item),
            "fallback": item.due_source == DueSource.HOLIDAYS,
        },
    )


def decision_data(data: Any) -> dict[str, Any]:
    """The inventory fields of a decision on a data request, as posted."""
    year = (data.get("planned_year") or "").strip()
    return {
        "name": (data.get("name") or "").strip(),
        "classification": data.get("classification") or "",
        "planned_year": int(year) if year.isdigit() else None,
        "planned_half": data.get("planned_half") or "",
        "restriction_reason": data.get("restriction_reason") or "",
        "legal_basis": (data.get("legal_basis") or "").strip(),
        "restriction_note": (data.get("restriction_note") or "").strip(),
    }


@login_required
@require_POST
def step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """Take one step on an item; a refusal is shown on the item's page and changes nothing."""
    person = _person(request)
    item = get_object_or_404(_visible(person), pk=pk)
    try:
        chosen = Step(step)
    except ValueError:
        raise Http404(_("No such step.")) from None
    data = request.POST
    try:
        if chosen is Step.ASSIGN:
            organisation = get_object_or_404(Organisation, pk=int(data.get("organisation") or 0))
            liaison_id = data.get("liaison") or ""
            liaison = get_object_or_404(Person, pk=int(liaison_id)) if liaison_id else None
            services.assign(item, by=person, organisation=organisation, liaison=liaison,
                            comment=data.get("comment", ""))  # fmt: skip
        elif chosen is Step.DRAFT:
            services.draft_reply(item, by=person, text=data.get("reply_text", ""))
        elif chosen is Step.SUBMIT:
            services.submit_for_approval(item, by=person)
        elif chosen is Step.APPROVE:
            services.approve_reply(item, by=person, comment=data.get("comment", ""))
        elif chosen is Step.RETURN:
            services.return_reply(item, by=person, reasons=data.get("reasons", ""))
        elif chosen is Step.DECIDE:
            services.record_decision(item, by=person, data=decision_data(data))
        elif chosen is Step.SEND:
            services.send_reply(item, by=person, site_url=request.build_absolute_uri("/"))
        else:
            services.close(item, by=person, comment=data.get("comment", ""))
    except services.FeedbackError as error:
        messages.error(request, error.message)
    except PermissionDenied:
        messages.error(request, _("Your roles do not allow this step on this item."))
    else:
        messages.success(request, _("Done: %(step)s.") % {"step": STEPS[chosen].label})
        if not _visible(person).filter(pk=pk).exists():
            return redirect("feedback:index")  # passed on outside the person's scope
    return redirect("feedback:detail", pk=pk)


def _organisation_choices(person: Person) -> list[tuple[int, str]]:
    return [
        (org.pk, org.name)
        for org in organisations_for(person, Action.FEEDBACK_ROUTE).order_by("path")
    ]


@login_required
def enter(request: HttpRequest) -> HttpResponse:
    """Staff enter an item received on the national portal or by letter."""
    person = _person(request)
    choices = _organisation_choices(person)
    if not choices:
        raise PermissionDenied
    form = EnterItemForm(request.POST or None, organisations=choices)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        organisation = get_object_or_404(organisations_for(person, Action.FEEDBACK_ROUTE),
                                         pk=data["organisation"])  # fmt: skip
        dataset = None
        if data["dataset"].strip():
            dataset = Dataset.objects.filter(identifier=data["dataset"].strip()).first()
            if dataset is None:
                form.add_error("dataset", _("No dataset has this identifier."))
        if not form.errors:
            try:
                item = services.enter(
                    by=person, kind=data["kind"], text=data["text"], organisation=organisation,
                    received_at=data["received_at"], channel=data["channel"], dataset=dataset,
                    subject=data["subject"], contact_email=data["contact_email"],
                    external_reference=data["external_reference"],
                )  # fmt: skip
            except services.InvalidFeedback as error:
                form.add_error(error.field, error.message)
            except services.FeedbackError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Item #%(number)s entered.") % {"number": item.pk})
                return redirect("feedback:detail", pk=item.pk)
    return render(
        request, "feedback/enter.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
def import_csv(request: HttpRequest) -> HttpResponse:
    """Import a CSV of items received elsewhere: all rows or none, every problem listed."""
    person = _person(request)
    if not organisations_for(person, Action.FEEDBACK_ROUTE).exists():
        raise PermissionDenied
    problems: list[Any] = []
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("Please choose a CSV file."))
        else:
            try:
                items = import_items(upload.name or "upload.csv", upload.read(), by=person)
            except ImportRefused as error:
                problems = error.problems
                messages.error(request, error.message)
            else:
                messages.success(request, _("%(count)s items imported.") % {"count": len(items)})
                return redirect("feedback:index")
    return render(
        request,
        "feedback/import.html",
        {"problems": problems, "required": REQUIRED, "optional": OPTIONAL},
        status=400 if problems else 200,
    )


# ---------------------------------------------------------------- public pages (no account)


def _about(request: HttpRequest) -> tuple[Organisation, Dataset | None]:
    """The organisation (and dataset) the public form is about, from ?dataset= or ?agency=."""
    identifier = request.GET.get("dataset", "").strip()
    if identifier:
        dataset = Dataset.objects.filter(identifier=identifier, status__in=ON_PORTAL).first()
        if dataset is None:
            raise Http404(_("No published dataset has this identifier."))
        return dataset.organisation, dataset
    code = request.GET.get("agency", "").strip()
    organisation = Organisation.objects.filter(
        agency_code=code, kind__in=[OrganisationKind.MINISTRY, OrganisationKind.AGENCY]
    ).first() if code else None  # fmt: skip
    if organisation is None:
        raise Http404(_("No agency has this code."))
    return organisation, None


def public_form(request: HttpRequest) -> HttpResponse:
    """Comment on a published dataset or an agency, report an error or request data."""
    organisation, dataset = _about(request)
    form = PublicFeedbackForm(request.POST or None)
    # A re-shown form keeps its genuine start time; anything else starts the clock now.
    posted = request.POST.get("started", "")
    started = posted if seconds_since_started(posted) is not None else form_started_token()
    status = 200
    if request.method == "POST" and form.is_valid():
        if form.looks_automated():
            form.add_error(None, _("We could not accept this form. Please wait a few seconds "
                                   "after opening it and send it again."))  # fmt: skip
        else:
            data = form.cleaned_data
            try:
                item = services.receive(
                    kind=data["kind"], text=data["text"], organisation=organisation,
                    dataset=dataset, subject=data["subject"],
                    contact_email=data["contact_email"], address=client_address(request) or "",
                    site_url=request.build_absolute_uri("/"),
                )  # fmt: skip
            except services.TooManySubmissions as error:
                form.add_error(None, error.message)
                status = 429
            except services.InvalidFeedback as error:
                form.add_error(error.field, error.message)
            else:
                return redirect(reverse("feedback:track", args=[item.tracking_token]) + "?new=1")
    if form.errors and status == 200:
        status = 400
    return render(
        request,
        "feedback/public_form.html",
        {"form": form, "organisation": organisation, "dataset": dataset, "started": started},
        status=status,
    )


def track(request: HttpRequest, token: str) -> HttpResponse:
    """The public tracking page: status, due date, and the reply once sent."""
    item = get_object_or_404(FeedbackItem.objects.select_related("organisation", "dataset"),
                             tracking_token=token)  # fmt: skip
    public_status = _("Replied") if item.replied_at else _("Being handled")
    return render(
        request,
        "feedback/track.html",
        {
            "item": item,
            "public_status": public_status,
            "new": request.GET.get("new") == "1",
            "fallback": item.due_source == DueSource.HOLIDAYS,
        },
    )
