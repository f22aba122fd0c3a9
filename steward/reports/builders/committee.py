"""The committee's agenda (議程) and minutes (會議紀錄), advisory committee (諮詢小組) or
working group (工作小組).

With the option `meeting` (its id), the agenda is the meeting's own, as `committees.agenda`
built it when the meeting was recorded, and the minutes are its minutes with each item's
decision and whether it was applied. Without it, the agenda is what waits on the
organisation's committee now (`agenda.waiting_for`, a draft for the next meeting) and the
minutes are those of the last meeting of the period that has them.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from steward.committees import agenda
from steward.committees.models import Committee, Decision, ItemKind, Kind, Meeting, Outcome
from steward.lib.years import date_label
from steward.organisations.models import Organisation
from steward.reports.builders.common import document, option
from steward.reports.document import Cell, Paragraph, ReportDocument, Section, Table
from steward.reports.errors import ReportError
from steward.reports.kinds import ReportRequest, report_kind

AGENDA = "committee_agenda"
MINUTES = "committee_minutes"


def _meetings(organisation: Organisation) -> Any:
    return Meeting.objects.filter(
        committee__organisation__path__startswith=organisation.path
    ).select_related("committee")


def meeting_asked(request: ReportRequest) -> Meeting | None:
    """The meeting named by the option `meeting`, within the organisation; None if not asked."""
    text = option(request, "meeting")
    if not text:
        return None
    found = _meetings(request.organisation).filter(pk=int(text)).first() if text.isdigit() else None
    if found is None:
        raise ReportError(
            _("No meeting “%(meeting)s” of %(organisation)s's committees.")
            % {"meeting": text, "organisation": request.organisation.name}
        )
    return found


def committee_asked(request: ReportRequest) -> Committee | None:
    """The committee named by the option `committee` (one of the organisation's own), else
    the organisation's advisory committee, else its working group; None if it has neither."""
    text = option(request, "committee")
    committees = Committee.objects.filter(organisation=request.organisation)
    if text:
        found = committees.filter(pk=int(text)).first() if text.isdigit() else None
        if found is None:
            raise ReportError(
                _("%(organisation)s has no committee “%(committee)s”.")
                % {"committee": text, "organisation": request.organisation.name}
            )
        return found
    return (
        committees.filter(kind=Kind.ADVISORY).first()
        or committees.filter(kind=Kind.WORKING_GROUP).first()
    )


def _heading(meeting: Meeting) -> Paragraph:
    return Paragraph(
        _("%(committee)s, %(number)s, held on %(day)s.")
        % {
            "committee": meeting.committee.name,
            "number": meeting.number,
            "day": date_label(meeting.held_on),
        }
    )


@report_kind(
    AGENDA,
    label=gettext_lazy("Committee agenda"),
)
def committee_agenda(request: ReportRequest) -> ReportDocument:
    organisation = request.organisation
    meeting = meeting_asked(request)
    columns = (_("No."), _("Kind"), _("Item"), _("Summary"))
    if meeting is not None:
        items = list(meeting.agenda.order_by("position"))
        rows: tuple[tuple[Cell, ...], ...] = tuple(
            (i.position, str(ItemKind(i.kind).label), i.title, i.summary) for i in items
        )
        intro = _heading(meeting)
        inputs: dict[str, Any] = {
            "meeting": meeting.pk,
            "items": [(i.pk, i.title, i.summary) for i in items],
        }
        name = meeting.committee.name
    else:
        committee = committee_asked(request)
        if committee is None:
            return document(
                AGENDA,
                _("%(organisation)s committee agenda") % {"organisation": organisation.name},
                request,
                (
                    Section(
                        _("Agenda"),
                        (
                            Paragraph(
                                _("%(organisation)s has no committee.")
                                % {"organisation": organisation.name}
                            ),
                        ),
                    ),
                ),
                {},
            )
        day = min(request.end, timezone.localdate())
        waiting = agenda.waiting_for(committee, on=day)
        rows = tuple(
            (n, str(ItemKind(w.kind).label), w.title, w.summary)
            for n, w in enumerate(waiting, start=1)
        )
        intro = Paragraph(
            _("What waits on %(committee)s on %(day)s: a draft agenda for its next meeting.")
            % {"committee": committee.name, "day": date_label(day)}
        )
        inputs = {
            "committee": committee.pk,
            "day": day.isoformat(),
            "items": [(w.kind, w.title, w.summary) for w in waiting],
        }
        name = committee.name
    table = Table(
        caption=_("Agenda"),
        columns=columns,
        rows=rows,
        empty_text=_("Nothing waits on the committee."),
        widths=(1, 3, 6, 6),
    )
    return document(
        AGENDA,
        _("%(committee)s agenda") % {"committee": name},
        request,
        (Section(_("Agenda"), (intro, table)),),
        inputs,
    )


@report_kind(
    MINUTES,
    label=gettext_lazy("Committee minutes"),
)
def committee_minutes(request: ReportRequest) -> ReportDocument:
    organisation = request.organisation
    # the organisation's own committees' meetings (a ministry's minutes are not an agency's)
    own = Meeting.objects.filter(committee__organisation=organisation).select_related("committee")
    if option(request, "committee"):
        own = own.filter(committee=committee_asked(request))
    meeting = meeting_asked(request) or (
        own.filter(
            held_on__gte=request.start,
            held_on__lte=request.end,
            minutes_recorded_at__isnull=False,
        )
        .order_by("-held_on", "-pk")
        .first()
    )
    title = _("%(organisation)s committee minutes") % {"organisation": organisation.name}
    if meeting is None:
        return document(
            MINUTES,
            title,
            request,
            (
                Section(
                    _("Minutes"),
                    (
                        Paragraph(
                            _("No meeting with minutes was held in %(period)s.")
                            % {"period": request.period_label}
                        ),
                    ),
                ),
            ),
            {"meeting": None},
        )
    title = _("%(committee)s minutes, %(number)s") % {
        "committee": meeting.committee.name,
        "number": meeting.number,
    }
    if not meeting.has_minutes:
        return document(
            MINUTES,
            title,
            request,
            (
                Section(
                    _("Minutes"),
                    (
                        _heading(meeting),
                        Paragraph(_("The minutes of this meeting have not been recorded yet.")),
                    ),
                ),
            ),
            {"meeting": meeting.pk, "recorded": None},
        )
    items = list(meeting.agenda.order_by("position"))
    decisions = Table(
        caption=_("Decisions"),
        columns=(_("No."), _("Item"), _("Decision"), _("Reasons"), _("Outcome")),
        rows=tuple(
            (
                i.position,
                i.title,
                str(Decision(i.decision).label) if i.decision else "",
                i.reasons,
                str(Outcome(i.outcome).label)
                + (
                    f"：{i.outcome_note}"
                    if i.outcome == Outcome.NOT_APPLIED and i.outcome_note
                    else ""
                ),
            )
            for i in items
        ),
        empty_text=_("The meeting had no agenda items."),
        widths=(1, 5, 3, 4, 3),
    )
    blocks: list[Any] = [_heading(meeting)]
    if meeting.attendees:
        blocks.append(Paragraph(_("Attendees: %(names)s") % {"names": meeting.attendees}))
    blocks.extend(Paragraph(line) for line in meeting.minutes.splitlines() if line.strip())
    return document(
        MINUTES,
        title,
        request,
        (Section(_("Minutes"), tuple(blocks)), Section(_("Decisions"), (decisions,))),
        {
            "meeting": meeting.pk,
            "recorded": meeting.minutes_recorded_at,
            "items": [(i.pk, i.decision, i.outcome) for i in items],
        },
    )
