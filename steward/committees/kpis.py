"""The committees' KPI measures (績效指標), registered by the plan file's `measure` name.

- `working_group_meetings` (MOL 「召開工作小組會議次數」, 註1 「工作小組原則以每季召開一次」): the
  meetings the organisation's working group held in the period, each drilling down to its
  meeting; with `include_subtree`, the working groups of every organisation below it too.
- `civil_representatives` (MOJ 「將敦聘至少4位民間代表加入法務部政府資料開放諮詢小組」): the civil
  representatives (民間代表) seated on the ministry's advisory committee on the period's last day.

No committee set up means no data (None), never a made-up 0.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from steward.committees.models import Committee, Kind, Meeting, Member, Seat, seated_on
from steward.evaluation.registry import Counted, Figure, MeasureContext, measure


@measure("working_group_meetings", label=gettext_lazy("Working-group meetings held"), unit="count")
def working_group_meetings(context: MeasureContext) -> Figure:
    organisation = context.organisation
    groups = Committee.objects.filter(kind=Kind.WORKING_GROUP)
    if context.include_subtree:
        groups = groups.filter(organisation__path__startswith=organisation.path)
    else:
        groups = groups.filter(organisation=organisation)
    if not groups.exists():
        return Figure(
            None,
            note=_("%(organisation)s has no working group set up.")
            % {"organisation": organisation},
        )
    last_day = min(context.end, timezone.localdate())
    meetings = (
        Meeting.objects.filter(
            committee__in=groups, held_on__gte=context.start, held_on__lte=last_day
        )
        .select_related("committee")
        .order_by("held_on", "pk")
    )
    return Figure.count(
        (
            Counted(term="meetings", label=str(meeting), url=meeting.get_absolute_url())
            for meeting in meetings
        ),
        term="meetings",
    )


@measure(
    "civil_representatives",
    label=gettext_lazy("Civil representatives on the advisory committee"),
    unit="count",
)
def civil_representatives(context: MeasureContext) -> Figure:
    ministry = context.organisation.ministry
    committee = Committee.objects.filter(organisation=ministry, kind=Kind.ADVISORY).first()
    if committee is None:
        return Figure(
            None, note=_("%(ministry)s has no advisory committee set up.") % {"ministry": ministry}
        )
    members = Member.objects.filter(committee=committee, seat=Seat.CIVIL).filter(
        seated_on(context.end)
    )
    return Figure.count(
        (
            Counted(
                term="civil_representatives", label=str(member), url=committee.get_absolute_url()
            )
            for member in members.order_by("name", "pk")
        ),
        term="civil_representatives",
        note=_("Seats held on %(day)s.") % {"day": context.end.isoformat()},
    )
