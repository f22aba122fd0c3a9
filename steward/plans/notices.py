"""Telling the people responsible for schedule items (工作時程分工表) that their deadlines moved.

When a revised office calendar (辦公日曆表) moves deadlines, `recompute_deadlines` returns
what moved; `letters_for` works out who answers for each moved item — the data liaisons and
information-centre officers of its lead organisations (主辦), and the information centre of the
plan's ministry, which keeps the schedule — and `send_letters` e-mails each person once,
listing every item of theirs with its old and new due date. Only deadlines of the plan version
in force for that year and not yet past are told: nobody can act on a past deadline.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence

from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from steward.lib.notify import notify_each
from steward.organisations.models import (
    Organisation,
    OrganisationKind,
    Person,
    Role,
    RoleAssignment,
)
from steward.plans.models import PlanVersion, ScheduleItem
from steward.plans.schedule import MovedDeadline, version_in_force

#: Roles told about a lead organisation's moved deadlines.
RESPONSIBLE_ROLES = (Role.LIAISON, Role.INFORMATION_CENTRE)

Letters = dict[Person, list[MovedDeadline]]


def _own(organisation: Organisation) -> Q:
    """Role assignments held in `organisation` or its units, not in the agencies under it
    (the ministry's own units answer for 本部; each agency answers for itself)."""
    q = Q(organisation__path__startswith=organisation.path)
    below = Organisation.objects.filter(
        path__startswith=organisation.path, kind=OrganisationKind.AGENCY
    ).exclude(pk=organisation.pk)
    for agency in below:
        q &= ~Q(organisation__path__startswith=agency.path)
    return q


def responsible_people(item: ScheduleItem) -> set[Person]:
    """Who answers for `item`: its lead organisations' liaisons and information-centre
    officers, and the information centre of the plan's ministry."""
    wanted = Q(pk__in=[])
    for lead in item.lead_organisations.all():
        wanted |= _own(lead) & Q(role__in=RESPONSIBLE_ROLES)
    ministry = item.version.plan.ministry
    if ministry is not None:
        wanted |= Q(role=Role.INFORMATION_CENTRE, organisation__path__startswith=ministry.path)
    assignments = RoleAssignment.objects.filter(
        wanted, active=True, person__is_active=True
    ).select_related("person")
    return {assignment.person for assignment in assignments}


def _in_force(version: PlanVersion, year: int, cache: dict[tuple[int, int], int | None]) -> bool:
    """Is `version` the one of its plan in force for plan year `year`?"""
    key = (version.plan_id, year)
    if key not in cache:
        chosen = version_in_force(version.plan, year)
        cache[key] = chosen.pk if chosen is not None else None
    return cache[key] == version.pk


def letters_for(moved: Sequence[MovedDeadline], *, today: datetime.date | None = None) -> Letters:
    """Each person to tell, with the moves of their items (in-force versions, not yet past)."""
    today = today or timezone.localdate()
    in_force: dict[tuple[int, int], int | None] = {}
    people_of: dict[int, set[Person]] = {}
    letters: Letters = defaultdict(list)
    for move in moved:
        row = move.scheduled_deadline
        item = row.deadline.schedule_item
        if max(move.old_due_date, move.new_due_date) < today:
            continue
        if not _in_force(item.version, row.year, in_force):
            continue
        if item.pk not in people_of:
            people_of[item.pk] = responsible_people(item)
        for person in people_of[item.pk]:
            letters[person].append(move)
    return dict(letters)


def _day(date: datetime.date) -> str:
    return f"{date.isoformat()} ({formats.date_format(date, 'D')})"


def _line(move: MovedDeadline) -> str:
    deadline = move.scheduled_deadline.deadline
    item = deadline.schedule_item
    return _(
        "- %(plan)s, item %(code)s %(title)s (%(period)s, as written %(written)s): %(old)s → %(new)s"
    ) % {
        "plan": item.version.plan.name,
        "code": item.code,
        "title": item.title,
        "period": deadline.get_period_display(),
        "written": deadline.label or f"{deadline.month}/{deadline.day}",
        "old": _day(move.old_due_date),
        "new": _day(move.new_due_date),
    }


def send_letters(letters: Letters, *, cause: str) -> int:
    """E-mail each person once, listing their moved items (after the transaction commits)."""
    mail: list[tuple[Person, str, str]] = []
    for person in sorted(letters, key=lambda p: p.pk):
        moves = sorted(
            letters[person],
            key=lambda m: (m.new_due_date, m.scheduled_deadline.deadline.schedule_item.code),
        )
        plans = sorted(
            {m.scheduled_deadline.deadline.schedule_item.version.plan.key for m in moves}
        )
        subject = ngettext(
            "[Open data] %(count)d deadline you answer for moved: the office calendar changed",
            "[Open data] %(count)d deadlines you answer for moved: the office calendar changed",
            len(moves),
        ) % {"count": len(moves)}
        body = _(
            "The office calendar (辦公日曆表) changed (%(cause)s), so these deadlines of the "
            "schedule (工作時程分工表) you answer for moved to another working day:\n\n"
            "%(lines)s\n\nThe schedule: %(links)s\n"
        ) % {
            "cause": cause,
            "lines": "\n".join(_line(move) for move in moves),
            "links": " ".join(reverse("plans:detail", args=[key]) for key in plans),
        }
        mail.append((person, subject, body))
    return notify_each(mail)
