"""Every state change of a task: start, evidence, complete, sign off, reopen.

Each service checks the person's role first, then locks the task and checks its state
against `models.TRANSITIONS`, makes the change and writes one audit event; a refusal
raises `TaskError` (or PermissionDenied) and changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from steward.audit.services import record
from steward.lib.notify import notify
from steward.lib.uploads import UploadRefused, check_upload_size
from steward.organisations.models import Person
from steward.organisations.scope import Action, people_who_can
from steward.tasks.access import may_sign_off, may_work, workers_of
from steward.tasks.models import (
    TRANSITIONS,
    EvidenceKind,
    Task,
    TaskEvidence,
    TaskStatus,
)


class TaskError(Exception):
    """A task step refused for a reason the person can act on (translated)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _refuse_unless_worker(task: Task, person: Person) -> None:
    if not may_work(person, task.organisation):
        raise PermissionDenied(
            _("%(person)s does not work on the tasks of %(organisation)s.")
            % {"person": person, "organisation": task.organisation}
        )


def _refuse_unless_signer(task: Task, person: Person) -> None:
    if not may_sign_off(person, task.organisation):
        raise PermissionDenied(
            _("%(person)s may not sign off the tasks of %(organisation)s.")
            % {"person": person, "organisation": task.organisation}
        )


def _locked(task: Task) -> Task:
    return Task.objects.select_for_update().select_related("organisation").get(pk=task.pk)


def _move(task: Task, step: str) -> str:
    """Check `step` may be taken from the task's state; return the state it leads to."""
    starts, goes_to = TRANSITIONS[step]
    if task.status not in starts:
        raise TaskError(
            _("This task is %(status)s: it cannot be %(step)s now.")
            % {"status": TaskStatus(task.status).label, "step": STEP_VERBS[step]}
        )
    return goes_to


STEP_VERBS: dict[str, Any] = {
    "start": gettext_lazy("started"),
    "complete": gettext_lazy("marked done"),
    "sign_off": gettext_lazy("signed off"),
    "reopen": gettext_lazy("reopened"),
}


def _letter(task: Task, headline: str) -> tuple[str, str]:
    subject = _("[Open data] Task %(code)s %(title)s: %(what)s") % {
        "code": task.code,
        "title": task.title,
        "what": headline,
    }
    body = _(
        "%(organisation)s: %(code)s %(title)s (%(period)s %(year)s), due %(due)s.\n"
        "%(what)s.\n\nOpen it: %(link)s\n"
    ) % {
        "organisation": task.organisation.name,
        "code": task.code,
        "title": task.title,
        "period": task.period,
        "year": task.year,
        "due": task.due_date.isoformat(),
        "what": headline,
        "link": reverse("tasks:detail", args=[task.pk]),
    }
    return subject, body


def start(task: Task, *, by: Person) -> Task:
    """The organisation starts work on the task (辦理中)."""
    _refuse_unless_worker(task, by)
    with transaction.atomic():
        task = _locked(task)
        old = task.status
        task.status = _move(task, "start")
        task.save(update_fields=["status"])
        record(actor=by, action="task.start", subject=task, organisation=task.organisation,
               from_state=old, to_state=task.status)  # fmt: skip
    return task


def _refuse_if_closed(task: Task) -> None:
    if task.status == TaskStatus.SIGNED_OFF:
        raise TaskError(_("This task is signed off: its evidence can no longer change."))


def add_link(task: Task, *, by: Person, url: str, name: str = "") -> TaskEvidence:
    """Attach a link (e.g. the meeting minutes on the agency's website) as evidence."""
    _refuse_unless_worker(task, by)
    url = url.strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise TaskError(_("Give a full web address starting with http:// or https://.")) from None
    with transaction.atomic():
        task = _locked(task)
        _refuse_if_closed(task)
        evidence = TaskEvidence.objects.create(
            task=task, kind=EvidenceKind.LINK, url=url, name=name.strip()[:255] or url[:255],
            added_by=by,
        )  # fmt: skip
        record(actor=by, action="task.evidence", subject=task, organisation=task.organisation,
               changes={"link": url})  # fmt: skip
    return evidence


def add_file(task: Task, *, by: Person, upload: UploadedFile) -> TaskEvidence:
    """Attach a file as evidence, within the upload limit (STEWARD_MAX_UPLOAD_BYTES)."""
    _refuse_unless_worker(task, by)
    try:
        check_upload_size(upload.size or 0)
    except UploadRefused as refused:
        raise TaskError(refused.reason) from None
    if not upload.size:
        raise TaskError(_("The file is empty."))
    name = (upload.name or "evidence").rsplit("/", 1)[-1][:255]
    with transaction.atomic():
        task = _locked(task)
        _refuse_if_closed(task)
        evidence = TaskEvidence(
            task=task, kind=EvidenceKind.FILE, name=name, size=upload.size, added_by=by
        )
        evidence.file.save(name, upload, save=False)
        evidence.save()
        record(actor=by, action="task.evidence", subject=task, organisation=task.organisation,
               changes={"file": name, "size": upload.size})  # fmt: skip
    return evidence


def complete(task: Task, *, by: Person, note: str = "") -> Task:
    """The organisation says the work is done; the information centre is asked to sign off.
    Needs at least one piece of evidence."""
    _refuse_unless_worker(task, by)
    with transaction.atomic():
        task = _locked(task)
        old = task.status
        new = _move(task, "complete")
        if not task.evidence.exists():
            raise TaskError(_("Attach a file or a link as evidence before marking it done."))
        task.status = new
        task.completed_at = timezone.now()
        task.completed_by = by
        if note.strip():
            task.note = note.strip()
        task.save(update_fields=["status", "completed_at", "completed_by", "note"])
        record(actor=by, action="task.complete", subject=task, organisation=task.organisation,
               from_state=old, to_state=task.status, comment=note.strip())  # fmt: skip
        subject, body = _letter(task, _("done, awaiting your sign-off"))
        notify(people_who_can(Action.TASK_SIGN_OFF, task.organisation), subject=subject, body=body)
    return task


def sign_off(task: Task, *, by: Person, comment: str = "") -> Task:
    """The information centre confirms the work and its evidence (列管解除)."""
    _refuse_unless_signer(task, by)
    with transaction.atomic():
        task = _locked(task)
        old = task.status
        task.status = _move(task, "sign_off")
        task.signed_off_at = timezone.now()
        task.signed_off_by = by
        task.save(update_fields=["status", "signed_off_at", "signed_off_by"])
        record(actor=by, action="task.sign_off", subject=task, organisation=task.organisation,
               from_state=old, to_state=task.status, comment=comment.strip())  # fmt: skip
    return task


def reopen(task: Task, *, by: Person, reason: str) -> Task:
    """The information centre sends a task marked done back, saying what is missing."""
    _refuse_unless_signer(task, by)
    if not reason.strip():
        raise TaskError(_("Say what is missing, so the organisation knows what to do."))
    with transaction.atomic():
        task = _locked(task)
        old = task.status
        task.status = _move(task, "reopen")
        task.completed_at = None
        task.completed_by = None
        task.save(update_fields=["status", "completed_at", "completed_by"])
        record(actor=by, action="task.reopen", subject=task, organisation=task.organisation,
               from_state=old, to_state=task.status, comment=reason.strip())  # fmt: skip
        subject, body = _letter(task, _("sent back: %(reason)s") % {"reason": reason.strip()})
        notify(workers_of(task.organisation), subject=subject, body=body)
    return task
