"""Pages of tasks: the list (with the overdue filter), the overdue view per agency, one task
with its evidence and steps."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Min
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from steward.lib.pagination import page_rows
from steward.organisations.models import Person
from steward.tasks import services
from steward.tasks.access import (
    STEP_LABELS,
    available_steps,
    may_work,
    task_for,
    visible_tasks,
)
from steward.tasks.forms import FileForm, LinkForm, StepForm
from steward.tasks.models import UNFINISHED, TaskStatus

SHOW_CHOICES = ("unfinished", "overdue", "done", "all")


def _person(request: HttpRequest) -> Person:
    return request.user  # type: ignore[return-value]


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The tasks the person may see: unfinished by default, or overdue, done or all, for one
    organisation when asked."""
    today = timezone.localdate()
    show = request.GET.get("show", "unfinished")
    if show not in SHOW_CHOICES:
        show = "unfinished"
    tasks = visible_tasks(_person(request)).select_related("organisation")
    if show == "unfinished":
        tasks = tasks.filter(status__in=UNFINISHED)
    elif show == "overdue":
        tasks = tasks.filter(status__in=UNFINISHED, due_date__lt=today)
    elif show == "done":
        tasks = tasks.filter(status__in=[TaskStatus.DONE, TaskStatus.SIGNED_OFF])
    organisation = request.GET.get("organisation", "")
    if organisation.isdigit():
        tasks = tasks.filter(organisation_id=int(organisation))
    else:
        organisation = ""
    page = page_rows(tasks.order_by("due_date", "code", "organisation__path", "pk"), request)
    query = f"show={show}&" + (f"organisation={organisation}&" if organisation else "")
    return render(
        request,
        "tasks/index.html",
        {"page": page, "show": show, "today": today, "query": query},
    )


@login_required
def overdue(request: HttpRequest) -> HttpResponse:
    """Overdue tasks per organisation, side by side (the information centre sees every agency
    of its ministry; an agency its own): one grouped query."""
    today = timezone.localdate()
    rows = (
        visible_tasks(_person(request))
        .filter(status__in=UNFINISHED, due_date__lt=today)
        .values("organisation_id", "organisation__name", "organisation__path")
        .annotate(count=Count("pk"), oldest=Min("due_date"))
        .order_by("organisation__path")
    )
    return render(request, "tasks/overdue.html", {"rows": rows, "today": today})


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request)
    task = task_for(person, pk)
    steps = available_steps(person, task)
    return render(
        request,
        "tasks/detail.html",
        {
            "task": task,
            "evidence": task.evidence.select_related("added_by"),
            "steps": [(key, STEP_LABELS[key]) for key in steps],
            "may_add_evidence": task.status != TaskStatus.SIGNED_OFF
            and may_work(person, task.organisation),
            "link_form": LinkForm(),
            "file_form": FileForm(),
            "step_form": StepForm(),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def add_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request)
    task = task_for(person, pk)
    try:
        if "file" in request.FILES:
            form = FileForm(request.POST, request.FILES)
            if not form.is_valid():
                raise services.TaskError(_("Choose a file to attach."))
            services.add_file(task, by=person, upload=form.cleaned_data["file"])
        else:
            link = LinkForm(request.POST)
            if not link.is_valid():
                raise services.TaskError(_("Give the link to attach."))
            services.add_link(
                task, by=person, url=link.cleaned_data["url"], name=link.cleaned_data["name"]
            )
    except services.TaskError as error:
        messages.error(request, error.message)
        return redirect("tasks:detail", pk=task.pk)
    messages.success(request, _("Evidence attached."))
    return redirect("tasks:detail", pk=task.pk)


@login_required
def evidence_file(request: HttpRequest, pk: int, evidence_pk: int) -> FileResponse:
    task = task_for(_person(request), pk)
    evidence = task.evidence.filter(pk=evidence_pk).exclude(file="").first()
    if evidence is None:
        raise Http404(_("No such file."))
    return FileResponse(evidence.file.open("rb"), as_attachment=True, filename=evidence.name)


@login_required
@require_POST
def step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    person = _person(request)
    task = task_for(person, pk)
    form = StepForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    takers = {
        "start": lambda: services.start(task, by=person),
        "complete": lambda: services.complete(task, by=person, note=comment),
        "sign_off": lambda: services.sign_off(task, by=person, comment=comment),
        "reopen": lambda: services.reopen(task, by=person, reason=comment),
    }
    if step not in takers:
        raise Http404(_("No such step."))
    try:
        task = takers[step]()  # a refusal by role is PermissionDenied: 403, nothing changed
    except services.TaskError as error:
        messages.error(request, error.message)
        return redirect("tasks:detail", pk=task.pk)
    messages.success(
        request, _("Done: the task is now %(status)s.") % {"status": task.get_status_display()}
    )
    return redirect("tasks:detail", pk=task.pk)
