"""A year of committee work for the demo (`steward demo` calls `populate` for each ministry).

Through the real services: the committees the plan calls for, realistic members (the demo's
committee-member logins with their seats, civil representatives and academics recorded by
name, an agency representative per agency), and a meeting in each past period of the plan's
cadence over the last year with its agenda and minutes. Each meeting decides at most one
dataset waiting on the committee (the rest wait for later meetings, as in real committees),
the latest meeting's minutes are left to write, and the running period has no meeting yet, so
the information centre's home page shows both. One agency's working group skipped a quarter,
so MOL's 「召開工作小組會議次數」 is short of its target there.
"""

from __future__ import annotations

import datetime

from steward.committees import services
from steward.committees.models import Committee, Decision, ItemKind, Kind, Meeting, Seat
from steward.committees.rules import meeting_rule
from steward.organisations.models import (
    CommitteeSeat,
    Organisation,
    OrganisationKind,
    Person,
    RoleAssignment,
)
from steward.organisations.models import Role as PersonRole

#: Outside members recorded by name (civil representatives rarely have an account).
CIVIL_REPRESENTATIVES = (
    ("林美惠", "台灣開放資料協會"),
    ("陳建宏", "g0v 零時政府社群"),
    ("張淑芬", "中華民國消費者文教基金會"),
    ("黃志明", "台灣資料科學協會"),
)
ACADEMICS = (
    ("劉育成", "國立臺灣大學資訊管理學系"),
    ("蔡佩君", "國立政治大學統計學系"),
)
SEATS: dict[str, str] = {
    CommitteeSeat.CHAIR: Seat.CHAIR,
    CommitteeSeat.CIVIL: Seat.CIVIL,
    CommitteeSeat.AGENCY: Seat.AGENCY,
}


def _secretariat(ministry: Organisation) -> Person | None:
    """The person who keeps the committee's records: the ministry's information centre."""
    assignment = (
        RoleAssignment.objects.filter(
            role=PersonRole.INFORMATION_CENTRE,
            active=True,
            organisation__path__startswith=ministry.path,
            person__is_active=True,
        )
        .select_related("person")
        .order_by("pk")
        .first()
    )
    return assignment.person if assignment is not None else None


def _weekday(day: datetime.date) -> datetime.date:
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return day


def _meeting_days(committee: Committee, today: datetime.date, offset: int) -> list[datetime.date]:
    """One day in each period of the plan's cadence that ended in the last year (periods of
    the running one excluded), `offset` days into the period's middle month."""
    per_year = meeting_rule(committee).per_year or 2
    months = 12 // per_year if 12 % per_year == 0 else 6
    days: list[datetime.date] = []
    for year in (today.year - 1, today.year):
        for first_month in range(1, 13, months):
            middle = first_month + months // 2
            day = _weekday(datetime.date(year, middle, 10 + offset))
            end_month = first_month + months
            end = (
                datetime.date(year + 1, 1, 1)
                if end_month > 12
                else datetime.date(year, end_month, 1)
            )
            if today - datetime.timedelta(days=365) <= day and end <= today:
                days.append(day)
    return days


def _members(
    committee: Committee, ministry: Organisation, *, by: Person, since: datetime.date
) -> None:
    if committee.members.exists():
        return
    if committee.kind == Kind.ADVISORY:
        for assignment in RoleAssignment.objects.filter(
            role=PersonRole.COMMITTEE_MEMBER,
            active=True,
            organisation__path__startswith=ministry.path,
        ).select_related("person"):
            services.add_member(
                committee,
                by=by,
                seat=SEATS.get(assignment.committee_seat, Seat.AGENCY),
                since=since,
                person=assignment.person,
            )
        for name, affiliation in CIVIL_REPRESENTATIVES:
            services.add_member(
                committee, by=by, seat=Seat.CIVIL, since=since, name=name, affiliation=affiliation
            )
        for name, affiliation in ACADEMICS:
            services.add_member(
                committee,
                by=by,
                seat=Seat.ACADEMIC,
                since=since,
                name=name,
                affiliation=affiliation,
            )
        agencies = Organisation.objects.filter(
            path__startswith=ministry.path, kind=OrganisationKind.AGENCY
        ).order_by("path")[:7]
        for agency in agencies:
            services.add_member(
                committee,
                by=by,
                seat=Seat.AGENCY,
                since=since,
                name=f"{agency}代表",
                affiliation=agency.name,
            )
        return
    organisation = committee.organisation
    services.add_member(
        committee,
        by=by,
        seat=Seat.CHAIR,
        since=since,
        name=f"{organisation}主任秘書",
        affiliation=organisation.name,
    )
    people = Person.objects.filter(
        role_assignments__active=True,
        role_assignments__organisation__path__startswith=organisation.path,
    ).distinct()
    for person in people.order_by("username")[:4]:
        services.add_member(committee, by=by, seat=Seat.AGENCY, since=since, person=person)
    if not people.exists():
        services.add_member(
            committee,
            by=by,
            seat=Seat.AGENCY,
            since=since,
            name=f"{organisation}資訊業務代表",
            affiliation=organisation.name,
        )


def _minutes(meeting: Meeting, *, by: Person, today: datetime.date) -> None:
    """The minutes: summaries noted, one dataset decided (every third one returned) unless it is
    the last one waiting, the withdrawals and not-provided classifications discussed."""
    decisions: dict[int, services.DecisionIn] = {}
    datasets_decided = 0
    # one dataset stays waiting, so the demo's committee members have a decision to make
    datasets_waiting = meeting.agenda.filter(kind=ItemKind.DATASET).count()
    for item in meeting.agenda.order_by("position"):
        if item.kind in (ItemKind.FEEDBACK_SUMMARY, ItemKind.PLAN_REVIEW):
            decisions[item.pk] = services.DecisionIn(Decision.NOTED)
        elif item.kind == ItemKind.DATASET and datasets_decided == 0 and datasets_waiting > 1:
            datasets_decided += 1
            if item.dataset_id and item.dataset_id % 3 == 0:
                decisions[item.pk] = services.DecisionIn(
                    Decision.REJECT, "主要欄位說明與資料內容不一致，請補正後再提。"
                )
            else:
                decisions[item.pk] = services.DecisionIn(Decision.APPROVE)
        elif item.kind == ItemKind.WITHDRAWAL:
            decisions[item.pk] = services.DecisionIn(Decision.WITHDRAW)
        elif item.kind == ItemKind.NOT_PROVIDED:
            decisions[item.pk] = services.DecisionIn(Decision.AGREE, "涉及個人資料，依法不予提供。")
    lines = [f"{meeting.number}會議紀錄", "一、主席致詞（略）。", "二、報告事項：洽悉。"]
    if datasets_decided:
        lines.append("三、討論事項：資料集開放審議，決議如議程所載。")
    services.record_minutes(
        meeting, by=by, minutes="\n".join(lines), decisions=decisions, today=today
    )


def populate(ministry: Organisation, *, today: datetime.date) -> None:
    """Committees with members and a year of meetings at the plan's cadence for `ministry`."""
    by = _secretariat(ministry)
    if by is None:
        return  # nobody keeps the records: the demo of this ministry has no committee work
    services.set_up_from_plan(ministry, by=by)
    since = datetime.date(today.year - 1, 1, 1)
    committees = Committee.objects.filter(organisation__path__startswith=ministry.path).order_by(
        "kind", "organisation__path"
    )
    for index, committee in enumerate(committees):
        _members(committee, ministry, by=by, since=since)
        if committee.meetings.exists():
            continue
        days = _meeting_days(committee, today, offset=index % 5)
        if committee.kind == Kind.WORKING_GROUP and index % 3 == 2 and len(days) > 2:
            days.pop(-2)  # this agency's working group skipped a quarter
        for number, day in enumerate(days):
            attendees = "、".join(m.name for m in committee.members.order_by("seat", "name"))
            meeting = services.record_meeting(committee, by=by, held_on=day, attendees=attendees)
            last = number == len(days) - 1
            if not (last and committee.kind == Kind.ADVISORY):
                _minutes(meeting, by=by, today=today)
