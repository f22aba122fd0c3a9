"""The demo's year of committee work, made through the services for MOL as installed from its
built-in plan."""

from __future__ import annotations

import datetime

from steward.committees.demo import populate
from steward.committees.models import Committee, Kind, Meeting, Outcome, Seat
from steward.committees.rules import composition
from steward.conftest import _person
from steward.datasets.models import Dataset
from steward.datasets.workflow import Status
from steward.evaluation.registry import MeasureContext, get
from steward.organisations.models import CommitteeSeat, Organisation, Role
from steward.plans.services import BUILTIN_DIR, install_plan_file
from steward.publishing.tests.helpers import make_dataset

TODAY = datetime.date(2026, 8, 20)


def test_a_year_of_meetings_at_the_plans_cadence(db: None, today: datetime.date) -> None:
    install_plan_file(BUILTIN_DIR / "mol.toml")
    mol = Organisation.objects.get(key="mol")
    Organisation.objects.filter(pk=mol.pk).update(agency_code="A17000000J")
    bli = Organisation.objects.get(key="mol-bli")
    Organisation.objects.filter(pk=bli.pk).update(agency_code="A17010000J")
    bli.refresh_from_db()
    _person("centre", mol, Role.INFORMATION_CENTRE)
    _person("chair", mol, Role.COMMITTEE_MEMBER, committee_seat=CommitteeSeat.CHAIR)
    _person("liaison", bli, Role.LIAISON)
    for serial in (1, 2, 3):
        make_dataset(bli, serial=serial, status=Status.COMMITTEE, title=f"勞保統計{serial}")

    populate(mol, today=TODAY)

    advisory = Committee.objects.get(organisation=mol, kind=Kind.ADVISORY)
    seats = composition(advisory, on=TODAY).seats
    assert seats[Seat.CIVIL] == 4 and seats[Seat.CHAIR] == 1 and seats[Seat.AGENCY] == 5
    meetings = list(advisory.meetings.order_by("held_on"))
    # Quarterly: the last year's ended quarters (2025 Q4, 2026 Q1, Q2; 2025 Q3's mid-August
    # day is more than a year ago), the running quarter not yet.
    assert [m.held_on.strftime("%Y-%m") for m in meetings] == ["2025-11", "2026-02", "2026-05"]
    assert [m.has_minutes for m in meetings] == [True, True, False]
    decided = [
        i
        for m in meetings
        for i in m.agenda.all()
        if i.outcome == Outcome.APPLIED and i.kind == "dataset"
    ]
    assert len(decided) == 2  # one a meeting, while another still waits
    assert Dataset.objects.filter(status=Status.COMMITTEE).count() == 1
    assert Committee.objects.filter(kind=Kind.WORKING_GROUP).count() == 6  # ministry + 5 agencies
    measure = get("working_group_meetings").function
    counts = sorted(
        int(
            measure(MeasureContext(group.organisation, datetime.date(2025, 8, 21), TODAY)).value
            or 0
        )
        for group in Committee.objects.filter(kind=Kind.WORKING_GROUP)
    )
    assert counts[0] < counts[-1] == 3  # one working group skipped a quarter

    before = Meeting.objects.count()
    populate(mol, today=TODAY)  # again: nothing new
    assert Meeting.objects.count() == before
