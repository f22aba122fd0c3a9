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
from steward.evaluation.measuring import ministry_path, organisation_tree, rows_of
from steward.evaluation.registry import Counted, Figure, MeasureContext, measure, shared


@measure("working_group_meetings", label=gettext_lazy("Working-group meetings held"), unit="count")
def working_group_meetings(context: MeasureContext) -> Figure:
    organisation = context.organisation
    if context.include_subtree:
        ids = [pk for pk, _kind, _path in organisation_tree(organisation)]
    else:
        ids = [organisation.pk]
    # computed together: the ministry's working groups, and their meetings, read once
    groups = rows_of(
        organisation,
        ids,
        ("working_groups",),
        lambda ids: list(
            Committee.objects.filter(kind=Kind.WORKING_GROUP, organisation_id__in=list(ids))
            .order_by("pk")
            .values_list("pk", "organisation_id")
        ),
        lambda group: group[1],
    )
    if not groups:
        return Figure(
            None,
            note=_("%(organisation)s has no working group set up.")
            % {"organisation": organisation},
        )
    last_day = min(context.end, timezone.localdate())
    meetings = rows_of(
        organisation,
        ids,
        ("working_group_meetings", context.start, last_day),
        lambda ids: list(
            Meeting.objects.filter(
                committee__kind=Kind.WORKING_GROUP,
                committee__organisation_id__in=list(ids),
                held_on__gte=context.start,
                held_on__lte=last_day,
            )
            .select_related("committee")
            .order_by("held_on", "pk")
        ),
        lambda meeting: meeting.committee.organisation_id,
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
    ministry_id = int(ministry_path(context.organisation).strip("/"))

    def read() -> tuple[Committee | None, list[Member]]:
        committee = Committee.objects.filter(
            organisation_id=ministry_id, kind=Kind.ADVISORY
        ).first()
        if committee is None:
            return None, []
        members = Member.objects.filter(committee=committee, seat=Seat.CIVIL).filter(
            seated_on(context.end)
        )
        return committee, list(members.order_by("name", "pk"))

    # the ministry's seats: the same for every organisation computed together
    committee, members = shared(("civil_representatives", ministry_id, context.end), read)
    if committee is None:
        ministry = context.organisation.ministry
        return Figure(
            None, note=_("%(ministry)s has no advisory committee set up.") % {"ministry": ministry}
        )
    return Figure.count(
        (
            Counted(
                term="civil_representatives", label=str(member), url=committee.get_absolute_url()
            )
            for member in members
        ),
        term="civil_representatives",
        note=_("Seats held on %(day)s.") % {"day": context.end.isoformat()},
    )
