"""The plan's rules for committees, applied: composition (組成) and meeting cadence (開會頻率).

`composition(committee, on=day)` counts the seats held on a day and checks the plan's rule
(MOJ: at least 4 civil representatives, 「將敦聘至少4位民間代表」), quoting it when broken.
`cadence(committee, year, today=)` splits the year into the periods the plan's number of
meetings gives (4: quarters, MOL 「工作小組原則以每季召開一次」; 2: halves) and says of each
whether a meeting was held, is due now, is overdue or is still to come.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from steward.committees.models import Committee, Kind, Meeting, Member, Seat, seated_on
from steward.plans.document import Rules, rules_for_organisation

if TYPE_CHECKING:
    from collections.abc import Sequence

    from steward.organisations.models import Organisation


@dataclass(frozen=True)
class MeetingRule:
    """How often the plan wants this committee to meet, as written."""

    per_year: int | None
    at_least: bool
    as_written: str
    stated: bool


def meeting_rule(committee: Committee, rules: Rules | None = None) -> MeetingRule:
    rules = rules or rules_for_organisation(committee.organisation)
    if committee.kind == Kind.ADVISORY:
        rule: Any = rules.committee
        return MeetingRule(
            rule.meetings_per_year, rule.meetings_at_least, rule.as_written, rule.stated
        )
    rule = rules.working_group
    return MeetingRule(rule.meetings_per_year, False, rule.as_written, rule.stated)


class RulesByMinistry:
    """The plan's rules, read once per ministry (lists of many committees or agencies)."""

    def __init__(self) -> None:
        self._rules: dict[int, Rules] = {}

    def of(self, organisation: Organisation) -> Rules:
        ministry_id = int(organisation.path.strip("/").split("/")[0])
        if ministry_id not in self._rules:
            self._rules[ministry_id] = rules_for_organisation(organisation)
        return self._rules[ministry_id]


# ---------------------------------------------------------------- composition (組成)


@dataclass
class Composition:
    committee: Committee
    on: datetime.date
    members: list[Member]
    seats: dict[str, int]  # seat → how many hold it on the day
    problems: list[str] = field(default_factory=list)  # each rule broken, in a sentence
    rule_text: str = ""  # the plan's rule as written, quoted when a rule is broken
    min_civil: int | None = None

    @property
    def civil(self) -> int:
        return self.seats.get(Seat.CIVIL, 0)

    @property
    def ok(self) -> bool:
        return not self.problems


def composition(
    committee: Committee,
    *,
    on: datetime.date,
    rules: Rules | None = None,
    members: Sequence[Member] | None = None,
) -> Composition:
    """The seats held on `on` and every composition rule of the plan they break (`members`:
    the committee's members, already read, to save the query)."""
    if members is None:
        members = list(committee.members.filter(seated_on(on)).select_related("person"))
    else:
        members = [m for m in members if m.since <= on and (m.until is None or m.until >= on)]
    seats = {seat: sum(1 for m in members if m.seat == seat) for seat in Seat.values}
    result = Composition(committee, on, list(members), seats)
    if committee.kind != Kind.ADVISORY:
        return result
    rule = (rules or rules_for_organisation(committee.organisation)).committee
    result.rule_text = rule.as_written
    result.min_civil = rule.min_civil_representatives
    if rule.min_civil_representatives is not None and result.civil < rule.min_civil_representatives:
        result.problems.append(
            _(
                "The plan asks for at least %(required)d civil representatives (民間代表); "
                "%(held)d hold a seat on %(day)s."
            )
            % {
                "required": rule.min_civil_representatives,
                "held": result.civil,
                "day": on.isoformat(),
            }
        )
    if seats[Seat.CHAIR] > 1:
        result.problems.append(
            _("%(count)d members hold the chair (召集人) at once; a committee has one chair.")
            % {"count": seats[Seat.CHAIR]}
        )
    return result


# ---------------------------------------------------------------- cadence (開會頻率)


class PeriodState:
    HELD = "held"
    DUE = "due"
    OVERDUE = "overdue"
    UPCOMING = "upcoming"


STATE_LABELS: dict[str, Any] = {
    PeriodState.HELD: gettext_lazy("Held"),
    PeriodState.DUE: gettext_lazy("Due now"),
    PeriodState.OVERDUE: gettext_lazy("Overdue"),
    PeriodState.UPCOMING: gettext_lazy("To come"),
}


@dataclass
class Period:
    label: str
    start: datetime.date
    end: datetime.date  # inclusive
    meetings: list[Meeting]
    state: str

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS[self.state])


@dataclass
class Cadence:
    year: int
    rule: MeetingRule
    periods: list[Period]
    held: list[Meeting]  # meetings of the year that took place (on or before today)

    @property
    def expected(self) -> int | None:
        return self.rule.per_year

    @property
    def short_by(self) -> int:
        """Meetings still missing against the plan's yearly number (0 when met)."""
        if self.rule.per_year is None:
            return 0
        return max(0, self.rule.per_year - len(self.held))

    @property
    def overdue(self) -> list[Period]:
        return [period for period in self.periods if period.state == PeriodState.OVERDUE]

    @property
    def due(self) -> list[Period]:
        return [period for period in self.periods if period.state == PeriodState.DUE]


def _period_label(index: int, count: int) -> str:
    if count == 4:
        return _("Quarter %(n)d") % {"n": index + 1}
    if count == 2:
        return _("First half") if index == 0 else _("Second half")
    if count == 1:
        return _("The whole year")
    if count == 12:
        return _("Month %(n)d") % {"n": index + 1}
    return _("Period %(n)d of %(count)d") % {"n": index + 1, "count": count}


def _month_start(year: int, month: int) -> datetime.date:
    return datetime.date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def cadence(
    committee: Committee,
    year: int,
    *,
    today: datetime.date,
    meetings: Sequence[Meeting] | None = None,
    rules: Rules | None = None,
) -> Cadence:
    """The plan's expected meetings in `year` and what happened in each period.

    A period is held when a meeting took place in it (on or before today), overdue when it
    ended without one, due when it is running without one, and to come otherwise. A number of
    meetings that does not divide the year into whole months (e.g. 5) gives no periods, only
    the yearly count.
    """
    rule = meeting_rule(committee, rules)
    if meetings is None:
        meetings = list(committee.meetings.filter(held_on__year=year).order_by("held_on"))
    in_year = [m for m in meetings if m.held_on.year == year]
    held = [m for m in in_year if m.held_on <= today]
    periods: list[Period] = []
    count = rule.per_year
    if count and 12 % count == 0:
        months = 12 // count
        for index in range(count):
            start = _month_start(year, 1 + index * months)
            end = _month_start(year, 1 + (index + 1) * months) - datetime.timedelta(days=1)
            inside = [m for m in in_year if start <= m.held_on <= end]
            if any(m.held_on <= today for m in inside):
                state = PeriodState.HELD
            elif end < today:
                state = PeriodState.OVERDUE
            elif start <= today:
                state = PeriodState.DUE
            else:
                state = PeriodState.UPCOMING
            periods.append(Period(_period_label(index, count), start, end, inside, state))
    return Cadence(year, rule, periods, held)
