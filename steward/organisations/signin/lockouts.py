"""Sign-in lockouts (登入鎖定): who is locked, the audit event when it happens, and unlocking.

django-axes counts failed sign-ins per account (username) and per address (IP); when
either reaches AXES_FAILURE_LIMIT within AXES_COOLOFF_TIME, it is locked until the cool-off
passes or the information centre unlocks it here. An account is in a centre's ministry when
its person holds a role there; an address is, when somebody tried one of its people's
accounts from it. Superusers see every lockout.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from axes.models import AccessAttempt
from axes.signals import user_locked_out
from axes.utils import reset
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Max, Sum
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from steward.audit.services import record
from steward.organisations.models import Organisation, Person
from steward.organisations.scope import Action, organisations_for


class LockoutKind(models.TextChoices):
    ACCOUNT = "account", "account"
    ADDRESS = "address", "address"


@dataclass(frozen=True)
class Lockout:
    """One locked account or address, with its failures in the cool-off window."""

    kind: LockoutKind
    key: str  # the username or the IP address
    failures: int
    last_attempt: datetime.datetime
    person: Person | None = None

    @property
    def locked_until(self) -> datetime.datetime:
        return self.last_attempt + settings.AXES_COOLOFF_TIME


def client_address(request: HttpRequest) -> str | None:
    """The client's IP: the peer, or behind STEWARD_SIGNIN_PROXY_COUNT proxies the address
    the outermost of them saw (counted from the right of X-Forwarded-For, so a client
    cannot choose it)."""
    proxies = int(settings.STEWARD_SIGNIN_PROXY_COUNT)
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    address = request.META.get("REMOTE_ADDR")
    return str(address) if address else None


def _ministry_of(person: Person) -> Organisation | None:
    assignment = person.role_assignments.filter(active=True).select_related("organisation").first()
    return assignment.organisation.ministry if assignment else None


def _window() -> models.QuerySet[AccessAttempt]:
    return AccessAttempt.objects.filter(
        attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME
    )


def _locked(field: str) -> list[dict[str, Any]]:
    return list(
        _window()
        .exclude(**{f"{field}__isnull": True})
        .values(field)
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        .order_by("-last")
    )


def _people_in_scope(person: Person) -> models.QuerySet[Person] | None:
    """People whose lockouts `person` may see and lift; None means everybody (superuser)."""
    if person.is_superuser and person.is_active:
        return None
    organisations = organisations_for(person, Action.ACCOUNT_UNLOCK)
    if not organisations.exists():
        raise PermissionDenied(_("You may not unlock sign-ins."))
    return Person.objects.filter(
        role_assignments__active=True, role_assignments__organisation__in=organisations
    ).distinct()


def lockouts_for(person: Person) -> list[Lockout]:
    """Every account and address locked now that `person` may unlock, latest first."""
    people = _people_in_scope(person)
    accounts = _locked("username")
    usernames = [row["username"] for row in accounts]
    known = {p.username: p for p in Person.objects.filter(username__in=usernames)}
    visible = set(known) if people is None else set(people.values_list("username", flat=True))
    result = [
        Lockout(
            LockoutKind.ACCOUNT,
            row["username"],
            row["failures"],
            row["last"],
            known.get(row["username"]),
        )
        for row in accounts
        if people is None or row["username"] in visible
    ]
    for row in _locked("ip_address"):
        address = row["ip_address"]
        if people is not None:
            tried = _window().filter(ip_address=address).values_list("username", flat=True)
            if not visible & set(tried):
                continue
        result.append(Lockout(LockoutKind.ADDRESS, address, row["failures"], row["last"]))
    return result


def unlock(kind: LockoutKind, key: str, *, by: Person) -> Lockout:
    """Lift the lockout of an account or address in `by`'s scope; LookupError if none."""
    lockout = next((lo for lo in lockouts_for(by) if lo.kind == kind and lo.key == key), None)
    if lockout is None:
        raise LookupError(key)
    with transaction.atomic():
        subject: models.Model | None = lockout.person
        organisation = _ministry_of(lockout.person) if lockout.person else None
        if subject is None:
            subject = _window().filter(**{_FIELDS[kind]: key}).order_by("-attempt_time").first()
        if subject is None:  # the cool-off ended meanwhile
            raise LookupError(key)
        if kind == LockoutKind.ACCOUNT:
            reset(username=key)
        else:
            reset(ip=key)
        record(
            actor=by,
            action="signin.unlocked",
            subject=subject,
            organisation=organisation,
            from_state="locked",
            to_state="unlocked",
            changes={"kind": kind.value, _FIELDS[kind]: key, "failures": lockout.failures},
        )
    return lockout


_FIELDS = {LockoutKind.ACCOUNT: "username", LockoutKind.ADDRESS: "ip_address"}


@receiver(user_locked_out)
def record_lockout(
    sender: object, *, request: HttpRequest, username: str | None, ip_address: str | None,
    **kwargs: object,
) -> None:  # fmt: skip
    """One audit event when an account or an address reaches the limit (not on every later
    refused try). axes sends the signal on every failure at or past the limit."""
    limit = settings.AXES_FAILURE_LIMIT
    for kind, value in ((LockoutKind.ACCOUNT, username), (LockoutKind.ADDRESS, ip_address)):
        if not value:
            continue
        attempts = _window().filter(**{_FIELDS[kind]: value})
        if attempts.aggregate(total=Sum("failures_since_start"))["total"] != limit:
            continue
        person = (
            Person.objects.filter(username=value).first() if kind == LockoutKind.ACCOUNT else None
        )
        subject: models.Model | None = person or attempts.order_by("-attempt_time").first()
        if subject is None:
            continue
        record(
            actor=None,
            action="signin.locked_out",
            subject=subject,
            organisation=_ministry_of(person) if person else None,
            from_state="",
            to_state="locked",
            changes={"kind": kind.value, "username": username or "",
                     "ip_address": ip_address or "", "failures": limit},
        )  # fmt: skip
