"""Every change to a feedback item (民眾意見): one function per step.

Each function checks permission before anything is written, then the item's state against
`workflow.STEPS`, makes the change in one transaction with the row locked, and writes one audit
event. E-mails go out after commit. Public intake (`receive`) needs no account but is limited
per address; staff entry (`enter`) keeps the time the item was received elsewhere.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from steward.audit.services import record
from steward.datasets.models import Dataset
from steward.datasets.workflow import ON_PORTAL
from steward.feedback.deadlines import NoCalendarForYear, due_for, rule_in_force_at
from steward.feedback.models import Channel, FeedbackItem, Kind, Status
from steward.feedback.workflow import STEPS, Step, rule_for
from steward.lib.notify import notify
from steward.organisations.models import Organisation, Person
from steward.organisations.scope import Action, can, people_who_can, require

#: Longest text accepted from anyone (characters); a 100 KB paste is refused, not cut.
MAX_TEXT_CHARS = 5000


class FeedbackError(Exception):
    """A step that cannot be taken; the message is translated and says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidFeedback(FeedbackError):
    """The input itself is wrong (empty, too long, a received time in the future …);
    `field` names the form field it is about, if one."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotAllowedNow(FeedbackError):
    """The item's status does not allow this step."""


class TooManySubmissions(FeedbackError):
    """One address sent more than the limit allows."""


# ---------------------------------------------------------------- helpers


def address_hash(address: str) -> str:
    """A keyed hash of the sender's address: enough to count a flood, not to identify anyone."""
    if not address:
        return ""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"feedback:{address}".encode(), hashlib.sha256).hexdigest()


def tracking_path(item: FeedbackItem) -> str:
    return reverse("feedback:track", args=[item.tracking_token])


def tracking_url(item: FeedbackItem, site_url: str = "") -> str:
    """The tracking page's address for an e-mail: on STEWARD_PUBLIC_URL when set, else on the
    address the request came to (`site_url`), else relative."""
    base = settings.STEWARD_PUBLIC_URL or site_url
    return f"{base.rstrip('/')}{tracking_path(item)}"


def _clean_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidFeedback(_("Please write your comment: the text is empty."), field="text")
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidFeedback(
            _("The text is %(length)s characters long; at most %(limit)s are accepted.")
            % {"length": len(text), "limit": MAX_TEXT_CHARS},
            field="text",
        )
    return text


def _clean_email(address: str) -> str:
    address = (address or "").strip()
    if address:
        try:
            validate_email(address)
        except ValidationError:
            raise InvalidFeedback(
                _("“%(address)s” is not an e-mail address.") % {"address": address},
                field="contact_email",
            ) from None
    return address


def _lock(item: FeedbackItem) -> FeedbackItem:
    return FeedbackItem.objects.select_for_update().select_related("organisation").get(pk=item.pk)


def _check(item: FeedbackItem, step: Step, person: Person) -> None:
    """Permission first, then the state: a refused step writes nothing."""
    require(person, STEPS[step].action, item.organisation)
    rule = rule_for(step, item)
    if rule is None:
        raise NotAllowedNow(
            _("“%(step)s” is not a step of this item: its plan does not ask for it.")
            % {"step": STEPS[step].label}
        )
    if item.status not in rule.starts_from:
        raise NotAllowedNow(
            _("“%(step)s” is not possible while the item is “%(status)s”.")
            % {"step": rule.label, "status": Status(item.status).label}
        )


def _audit(
    item: FeedbackItem,
    *,
    by: Person | None,
    action: str,
    from_status: str,
    comment: str = "",
    changes: dict[str, Any] | None = None,
) -> None:
    record(
        actor=by,
        action=action,
        subject=item,
        organisation=item.organisation,
        from_state=from_status,
        to_state=item.status,
        comment=comment,
        changes=changes,
    )


def _tell_staff(item: FeedbackItem, *actions: Action, by: Person | None, what: str) -> None:
    """One e-mail to each person who may take the next step (whichever of `actions`)."""
    people: set[Person] = set()
    for action in actions:
        people |= set(people_who_can(action, item.organisation))
    if item.assigned_to is not None and Action.FEEDBACK_REPLY in actions:
        people.add(item.assigned_to)
    if by is not None:
        people.discard(by)
    if not people:
        return
    link = reverse("feedback:detail", args=[item.pk])
    notify(
        sorted(people, key=lambda p: p.pk),
        subject=_("[Open data] Feedback #%(number)s: %(what)s") % {"number": item.pk, "what": what},
        body=_(
            "Feedback #%(number)s (%(kind)s) for %(organisation)s: %(what)s.\n"
            "Reply due by the end of %(due)s.\n\nOpen it: %(link)s\n"
        )
        % {
            "number": item.pk,
            "kind": Kind(item.kind).label,
            "organisation": item.organisation.name,
            "what": what,
            "due": item.due_on.isoformat(),
            "link": link,
        },
    )


def _mail_public(item: FeedbackItem, subject: str, body: str) -> None:
    if not item.contact_email:
        return
    address = item.contact_email
    transaction.on_commit(lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address]))


def _new_item(
    *,
    kind: str,
    text: str,
    organisation: Organisation,
    dataset: Dataset | None,
    received_at: datetime.datetime,
    channel: str,
    subject: str,
    contact_email: str,
) -> FeedbackItem:
    """An unsaved item with its due time from the plan version in force at `received_at`."""
    if kind not in Kind.values:
        raise InvalidFeedback(
            _("Please choose what you are sending: comment, error report or data request.")
        )
    version, rule = rule_in_force_at(organisation, received_at)
    try:
        due = due_for(received_at, limit_days=rule.limit_days, day_kind=rule.day_kind)
    except NoCalendarForYear as error:
        raise InvalidFeedback(str(error)) from None
    return FeedbackItem(
        kind=kind,
        channel=channel,
        organisation=organisation,
        dataset=dataset,
        subject=(subject or "").strip()[:200],
        text=_clean_text(text),
        contact_email=_clean_email(contact_email),
        received_at=received_at,
        plan_version=version,
        limit_days=rule.limit_days,
        day_kind=rule.day_kind,
        cio_approval_required=rule.cio_approves_replies,
        due_on=due.due_on,
        due_at=due.due_at,
        due_source=due.source,
    )


# ---------------------------------------------------------------- intake


def receive(
    *,
    kind: str,
    text: str,
    organisation: Organisation | None = None,
    dataset: Dataset | None = None,
    subject: str = "",
    contact_email: str = "",
    address: str = "",
    site_url: str = "",
) -> FeedbackItem:
    """A member of the public sends an item through our form (no account needed).

    About a published dataset (answered by its organisation) or an agency. At most
    `STEWARD_FEEDBACK_PER_ADDRESS_PER_HOUR` items per sender address in an hour.
    """
    if dataset is not None:
        if dataset.status not in ON_PORTAL:
            raise InvalidFeedback(_("This dataset is not published, so it takes no comments."))
        organisation = dataset.organisation
    if organisation is None:
        raise InvalidFeedback(_("Please say which dataset or agency your comment is about."))
    hashed = address_hash(address)
    now = timezone.now()
    with transaction.atomic():
        if hashed:
            limit = int(settings.STEWARD_FEEDBACK_PER_ADDRESS_PER_HOUR)
            recent = FeedbackItem.objects.filter(
                address_hash=hashed, received_at__gte=now - datetime.timedelta(hours=1)
            ).count()
            if recent >= limit:
                raise TooManySubmissions(
                    _(
                        "You have sent %(count)s comments in the last hour, the most we accept "
                        "from one address. Please try again later."
                    )
                    % {"count": recent}
                )
        item = _new_item(
            kind=kind,
            text=text,
            organisation=organisation,
            dataset=dataset,
            received_at=now,
            channel=Channel.PUBLIC_FORM,
            subject=subject,
            contact_email=contact_email,
        )
        item.address_hash = hashed
        item.save()
        _audit(item, by=None, action="feedback.receive", from_status="")
        _tell_staff(item, Action.FEEDBACK_ROUTE, Action.FEEDBACK_REPLY, by=None, what=_("received"))
        _mail_public(
            item,
            _("We received your comment (#%(number)s)") % {"number": item.pk},
            _(
                "Thank you. %(organisation)s will reply by the end of %(due)s.\n"
                "Follow your comment here: %(link)s\n"
            )
            % {
                "organisation": organisation.name,
                "due": item.due_on.isoformat(),
                "link": tracking_url(item, site_url),
            },
        )
    return item


def enter(
    *,
    by: Person,
    kind: str,
    text: str,
    organisation: Organisation,
    received_at: datetime.datetime,
    channel: str,
    dataset: Dataset | None = None,
    subject: str = "",
    contact_email: str = "",
    external_reference: str = "",
) -> FeedbackItem:
    """Staff enter an item received elsewhere (national portal, letter), keeping its received time."""
    require(by, Action.FEEDBACK_ROUTE, organisation)
    if channel not in Channel.values:
        raise InvalidFeedback(_("Please say where the item was received."))
    if timezone.is_naive(received_at):
        raise InvalidFeedback(_("The received time needs a time zone."))
    if received_at > timezone.now():
        raise InvalidFeedback(
            _("The received time %(at)s is in the future.")
            % {"at": timezone.localtime(received_at).strftime("%Y-%m-%d %H:%M")},
            field="received_at",
        )
    if dataset is not None and dataset.organisation_id != organisation.pk:
        organisation = dataset.organisation
        require(by, Action.FEEDBACK_ROUTE, organisation)
    with transaction.atomic():
        item = _new_item(
            kind=kind,
            text=text,
            organisation=organisation,
            dataset=dataset,
            received_at=received_at,
            channel=channel,
            subject=subject,
            contact_email=contact_email,
        )
        item.entered_by = by
        item.external_reference = (external_reference or "").strip()[:100]
        item.save()
        _audit(item, by=by, action="feedback.enter", from_status="")
        _tell_staff(item, Action.FEEDBACK_REPLY, by=by, what=_("entered"))
    return item


# ---------------------------------------------------------------- handling


def assign(
    item: FeedbackItem,
    *,
    by: Person,
    organisation: Organisation,
    liaison: Person | None = None,
    comment: str = "",
) -> FeedbackItem:
    """Give the item to another organisation of the ministry and/or a liaison there.

    The received time and the due time stay as they were: passing an item on gives nobody
    more time.
    """
    with transaction.atomic():
        item = _lock(item)
        _check(item, Step.ASSIGN, by)
        if not organisation.is_within(item.organisation.ministry):
            raise InvalidFeedback(
                _("%(organisation)s is not in this ministry.") % {"organisation": organisation}
            )
        if liaison is not None and not can(liaison, Action.FEEDBACK_REPLY, organisation):
            raise InvalidFeedback(
                _("%(person)s cannot answer feedback for %(organisation)s.")
                % {"person": liaison, "organisation": organisation}
            )
        before = {
            "organisation": item.organisation.name,
            "assigned_to": str(item.assigned_to or ""),
        }
        item.organisation = organisation
        item.assigned_to = liaison
        item.save(update_fields=["organisation", "assigned_to", "updated_at"])
        after = {"organisation": organisation.name, "assigned_to": str(liaison or "")}
        _audit(
            item,
            by=by,
            action="feedback.assign",
            from_status=item.status,
            comment=comment,
            changes={
                k: {"from": before[k], "to": after[k]} for k in before if before[k] != after[k]
            },
        )
        _tell_staff(item, Action.FEEDBACK_REPLY, by=by, what=_("assigned to you"))
    return item


def draft_reply(item: FeedbackItem, *, by: Person, text: str) -> FeedbackItem:
    """Save the reply as drafted; editing an approved reply sends it back for approval."""
    with transaction.atomic():
        item = _lock(item)
        _check(item, Step.DRAFT, by)
        text = _clean_text(text)
        from_status = item.status
        changes = {"reply_text": {"from": item.reply_text, "to": text}}
        item.reply_text = text
        item.status = Status.DRAFTED
        item.approved_by = None
        item.approved_at = None
        item.save()
        _audit(item, by=by, action="feedback.draft", from_status=from_status, changes=changes)
    return item


def submit_for_approval(item: FeedbackItem, *, by: Person) -> FeedbackItem:
    """Send the drafted reply to the CIO (only where the plan says the CIO approves replies)."""
    with transaction.atomic():
        item = _lock(item)
        _check(item, Step.SUBMIT, by)
        from_status = item.status
        item.status = Status.AWAITING_APPROVAL
        item.save()
        _audit(item, by=by, action="feedback.submit", from_status=from_status)
        _tell_staff(item, Action.FEEDBACK_APPROVE_REPLY, by=by, what=_("reply awaits approval"))
    return item


def approve_reply(item: FeedbackItem, *, by: Person, comment: str = "") -> FeedbackItem:
    """The CIO approves the reply (資訊長核准); nobody else may."""
    with transaction.atomic():
        item = _lock(item)
        _check(item, Step.APPROVE, by)
        from_status = item.status
        item.status = Status.APPROVED
        item.approved_by = by
        item.approved_at = timezone.now()
        item.save()
        _audit(item, by=by, action="feedback.approve", from_status=from_status, comment=comment)
        _tell_staff(item, Action.FEEDBACK_REPLY, by=by, what=_("reply approved"))
    return item


def return_reply(item: FeedbackItem, *, by: Person, reasons: str) -> FeedbackItem:
    """The CIO sends the reply back for changes, with reasons."""
    reasons = (reasons or "").strip()
    with transaction.atomic():
        item = _lock(item)
        _check(item, Step.RETURN, by)
        if not reasons:
            raise InvalidFeedback(_("Please say what should change in the reply."))
        from_status = item.status
        item.status = Status.DRAFTED
        item.save()
        _audit(item, by=by, action="feedback.return", from_status=from_status, comment=reasons)
        _tell_staff(item, Action.FEEDBACK_REPLY, by=by, what=_("reply returned for changes"))
    return item


def send_reply(item: FeedbackItem, *, by: Person, site_url: str = "") -> FeedbackItem:
    """Send the reply: shown on the tracking page, and e-mailed when an address was given."""
    with transaction.atomic():
        item = _lock(item)
        _check(item, Step.SEND, by)
        if not item.reply_text.strip():
            raise InvalidFeedback(_("The reply is empty."))
        from_status = item.status
        item.status = Status.REPLIED
        item.replied_by = by
        item.replied_at = timezone.now()
        item.save()
        _audit(item, by=by, action="feedback.send", from_status=from_status)
        _mail_public(
            item,
            _("Reply to your comment (#%(number)s)") % {"number": item.pk},
            _("%(organisation)s replies:\n\n%(reply)s\n\nYour comment: %(link)s\n")
            % {
                "organisation": item.organisation.name,
                "reply": item.reply_text,
                "link": tracking_url(item, site_url),
            },
        )
    return item


def close(item: FeedbackItem, *, by: Person, comment: str = "") -> FeedbackItem:
    """Close a replied item; nothing more is sent on a closed item."""
    with transaction.atomic():
        item = _lock(item)
        _check(item, Step.CLOSE, by)
        from_status = item.status
        item.status = Status.CLOSED
        item.closed_at = timezone.now()
        item.save()
        _audit(item, by=by, action="feedback.close", from_status=from_status, comment=comment)
    return item


def record_decision(item: FeedbackItem, *, by: Person, data: dict[str, Any]) -> FeedbackItem:
    """Turn a data request (民間需求) into an inventory candidate with its classification:
    open (planned year and half), on request, or not provided (reason, legal basis or
    explanation). The inventory's rules and its approval chain apply; the request is marked
    as in demand (priority_high_demand). The public tracking page shows the decision."""
    from steward.inventory.services import create_item

    with transaction.atomic():
        item = _lock(item)
        _check(item, Step.DECIDE, by)
        values = {**data, "priority_high_demand": True}
        values.setdefault("source", "")
        try:
            inventory_item = create_item(by=by, organisation=item.organisation, data=values)
        except ValidationError as error:
            messages = (
                [str(m) for ms in error.message_dict.values() for m in ms]
                if hasattr(error, "error_dict")
                else [str(m) for m in error.messages]
            )
            raise InvalidFeedback("；".join(messages)) from None
        item.inventory_item = inventory_item
        item.save(update_fields=["inventory_item", "updated_at"])
        _audit(
            item,
            by=by,
            action="feedback.decide",
            from_status=item.status,
            changes={"inventory_item": {"from": None, "to": inventory_item.identifier}},
        )
    return item
