"""The one home of chart definitions (圖表): each builds a `Chart` from plain figures.

One definition serves the pages and the documents: `spec` is Vega-Lite, drawn on a page by
the vendored vega-embed and rendered to SVG/PNG for documents by vl-convert, with no browser.
Every chart carries a text alternative (`description`) and its data as a `Table`, shown
beside it on a page and written as a spreadsheet's native chart.

The specs are written here as plain dicts, the JSON Vega-Lite reads: building them with
altair (its objects and its schema check) took 60–90 ms of every dashboard's six charts;
as dicts it is well under 1 ms. `test_charts.py` checks every spec against the Vega-Lite
schema altair ships, so a typo still fails a test, not a page.

The callers (report builders, dashboards) compute the figures; a chart never queries.
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from steward.reports.document import Chart, Table

# The font every chart uses, in the browser and in documents (installed with the CJK fonts).
FONT = "Noto Sans CJK TC"

# Series colours, each at least 4.5:1 against white (WCAG AA asks 3:1 of graphics), in the
# order a chart's categories take them; and the colours of the portal's quality marks.
PALETTE = ["#0b5cad", "#5b6776", "#1e7a3c", "#8a5300", "#7b3294", "#b3261e"]
MARK_COLOURS = {
    "金標章": "#8a6500",
    "銀標章": "#5b6776",
    "銅標章": "#8c3b12",
    "無標章": "#b3261e",
}
TARGET_COLOUR = "#b3261e"  # the target tick and the limit rule (5.9:1)
INK = "#1d2733"


#: The Vega-Lite version the specs are written for (the vendored vega-embed draws it).
SCHEMA = "https://vega.github.io/schema/vega-lite/v6.4.1.json"

# The marks, axes and legends carry no ARIA roles of their own: on a page the chart's
# container is one image named by the figure's title and described by its text alternative
# (and its data table), which says more than "rect mark container". Chinese reads across:
# category labels stay horizontal (never one character per line), and a vertical axis's
# title sits above it, level, not turned on its side.
CONFIG: dict[str, Any] = {
    "font": FONT,
    "view": {"continuousHeight": 300, "continuousWidth": 300, "stroke": None},
    "range": {"category": PALETTE},
    "mark": {"aria": False, "color": PALETTE[0]},
    "axis": {
        "aria": False,
        "labelColor": INK,
        "titleColor": INK,
        "labelFontSize": 11,
        "titleFontSize": 12,
    },
    "axisX": {"labelAngle": 0, "labelLimit": 140, "labelOverlap": True},
    "axisY": {
        "titleAngle": 0,
        "titleAlign": "left",
        "titleAnchor": "end",
        "titleY": -10,
        "titleX": 0,
    },
    "axisQuantitative": {"format": "~s"},
    "axisTemporal": {"format": "%Y-%m", "tickCount": "month"},
    "legend": {"aria": False, "labelColor": INK, "titleColor": INK, "orient": "bottom"},
    "title": {"color": INK},
}


def _spec(**chart: Any) -> dict[str, Any]:
    """A whole Vega-Lite spec: the schema, the shared configuration, and the chart."""
    return {"$schema": SCHEMA, "config": copy.deepcopy(CONFIG), **chart}


def _field(name: str, kind: str, **more: Any) -> dict[str, Any]:
    """An encoding channel: a data field of a Vega-Lite type (nominal, quantitative, ...)."""
    return {"field": name, "type": kind, **more}


@dataclass(frozen=True)
class TargetRow:
    organisation: str
    year: str  # as printed, e.g. 「115 年」
    opened: int  # datasets opened (or planned, as the caller says)
    target: int | None  # None: no target set


def datasets_against_target(rows: Sequence[TargetRow]) -> Chart:
    """Datasets against target per agency over the years (grouped bars across, one band per
    agency, the target as a tick)."""
    org, year, opened, target = _("Agency"), _("Year"), _("Datasets"), _("Target")
    data = [
        {"organisation": r.organisation, "year": r.year, "opened": r.opened, "target": r.target}
        for r in rows
    ]
    # Nothing opened and no target: a scale from 0 to 1 rather than Vega's empty one.
    top = max([r.opened for r in rows] + [r.target or 0 for r in rows] + [0])
    scale = {"scale": {"domain": [0, 1]}} if top == 0 else {}
    tooltip = [
        _field("organisation", "nominal", title=org),
        _field("year", "nominal", title=year),
        _field("opened", "quantitative", title=opened),
        _field("target", "quantitative", title=target),
    ]
    # Bars across, one band per agency: long Chinese names read level on the left at any
    # width (below one another, never cut to make room for their neighbours).
    bars = {
        "mark": {"type": "bar"},
        "encoding": {
            "y": _field("organisation", "nominal", sort=None, title=None, axis={"labelLimit": 220}),
            "yOffset": _field("year", "nominal"),
            "x": _field("opened", "quantitative", title=opened, axis={"tickMinStep": 1}, **scale),
            "color": _field("year", "nominal", title=year),
            "tooltip": tooltip,
        },
    }
    ticks = {
        "mark": {"type": "tick", "color": TARGET_COLOUR, "thickness": 2},
        "encoding": {
            "y": _field("organisation", "nominal", sort=None),
            "yOffset": _field("year", "nominal"),
            "x": _field("target", "quantitative"),
            "tooltip": tooltip,
        },
    }
    short = [r for r in rows if r.target is not None and r.opened < r.target]
    description = _(
        "%(count)d agency-years; %(short)d below target. The red marks are the targets."
    ) % {"count": len(rows), "short": len(short)}
    return Chart(
        key="datasets_against_target",
        title=_("Datasets against target per agency"),
        description=description,
        spec=_spec(
            data={"values": data},
            layer=[bars, ticks],
            width="container",
            height=max(80, 16 * len(rows) + 8 * len({r.organisation for r in rows})),
        ),
        table=Table(
            caption=_("Datasets against target per agency"),
            columns=(org, year, opened, target),
            rows=tuple((r.organisation, r.year, r.opened, r.target) for r in rows),
            empty_text=_("No data for this period."),
        ),
        kind="column",
        category_column=0,
        value_columns=(2, 3),
    )


def star_distribution(counts: Mapping[int, int]) -> Chart:
    """How many resources have 0–5 openness stars (開放星等)."""
    stars, resources = _("Stars"), _("Resources")
    data = [{"stars": f"{n} ★", "resources": counts.get(n, 0)} for n in range(0, 6)]
    total = sum(counts.values())
    chart = {
        "data": {"values": data},
        "mark": {"type": "bar"},
        "encoding": {
            "x": _field("stars", "nominal", sort=None, title=stars),
            "y": _field("resources", "quantitative", title=resources, axis={"tickMinStep": 1}),
            "tooltip": [
                _field("stars", "nominal", title=stars),
                _field("resources", "quantitative", title=resources),
            ],
        },
        "width": "container",
        "height": 220,
    }
    three_up = sum(v for k, v in counts.items() if k >= 3)
    description = _("%(total)d resources; %(three)d have three stars or more.") % {
        "total": total,
        "three": three_up,
    }
    return Chart(
        key="star_distribution",
        title=_("Openness stars"),
        description=description,
        spec=_spec(**chart),
        table=Table(
            caption=_("Openness stars"),
            columns=(stars, resources),
            rows=tuple((f"{n} ★", counts.get(n, 0)) for n in range(0, 6)) if total else (),
            empty_text=_("No data for this period."),
        ),
    )


@dataclass(frozen=True)
class MarkRow:
    period: str  # as printed, e.g. 「115 年第 3 季」
    mark: str  # the quality mark's label (金、銀、銅標章 or 未達標章)
    resources: int


def quality_marks_over_time(rows: Sequence[MarkRow]) -> Chart:
    """Quality marks (品質標章) per check period, stacked."""
    period, mark, resources = _("Period"), _("Quality mark"), _("Resources")
    data = [{"period": r.period, "mark": r.mark, "resources": r.resources} for r in rows]
    chart = {
        "data": {"values": data},
        "mark": {"type": "bar"},
        "encoding": {
            "x": _field("period", "nominal", sort=None, title=period),
            "y": _field(
                "resources", "quantitative", stack="zero", title=resources, axis={"tickMinStep": 1}
            ),
            "color": _field(
                "mark",
                "nominal",
                sort=list(MARK_COLOURS),
                scale={"domain": list(MARK_COLOURS), "range": list(MARK_COLOURS.values())},
                title=mark,
            ),
            "tooltip": [
                _field("period", "nominal", title=period),
                _field("mark", "nominal", title=mark),
                _field("resources", "quantitative", title=resources),
            ],
        },
        "width": "container",
        "height": 240,
    }
    periods = list(dict.fromkeys(r.period for r in rows))
    description = _("Quality marks in %(count)d periods, %(first)s to %(last)s.") % {
        "count": len(periods),
        "first": periods[0] if periods else "—",
        "last": periods[-1] if periods else "—",
    }
    return Chart(
        key="quality_marks_over_time",
        title=_("Quality marks over time"),
        description=description,
        spec=_spec(**chart),
        table=Table(
            caption=_("Quality marks over time"),
            columns=(period, mark, resources),
            rows=tuple((r.period, r.mark, r.resources) for r in rows),
            empty_text=_("No data for this period."),
        ),
    )


def reply_time_distribution(days: Sequence[int], limit_days: int) -> Chart:
    """Days taken to reply to the public (回復天數), with the plan's limit as a rule."""
    taken, replies = _("Days to reply"), _("Replies")
    counts: dict[int, int] = {}
    for d in days:
        counts[d] = counts.get(d, 0) + 1
    data = [{"days": d, "replies": counts[d]} for d in sorted(counts)]
    bars = {
        "data": {"values": data},
        "mark": {"type": "bar"},
        "encoding": {
            "x": _field("days", "ordinal", title=taken),
            "y": _field("replies", "quantitative", title=replies, axis={"tickMinStep": 1}),
            "tooltip": [
                _field("days", "ordinal", title=taken),
                _field("replies", "quantitative", title=replies),
            ],
        },
    }
    rule = {
        "data": {"values": [{"limit": limit_days}]},
        "mark": {"type": "rule", "color": TARGET_COLOUR, "strokeDash": [4, 3]},
        "encoding": {"x": _field("limit", "ordinal")},
    }
    late = sum(1 for d in days if d > limit_days)
    description = _("%(count)d replies; %(late)d took longer than the %(limit)d-day limit.") % {
        "count": len(days),
        "late": late,
        "limit": limit_days,
    }
    return Chart(
        key="reply_time_distribution",
        title=_("Reply times against the limit"),
        description=description,
        spec=_spec(layer=[bars, rule], width="container", height=220),
        table=Table(
            caption=_("Reply times against the limit"),
            columns=(taken, replies),
            rows=tuple((d["days"], d["replies"]) for d in data),
            empty_text=_("No replies in this period."),
        ),
    )


@dataclass(frozen=True)
class AchievementRow:
    organisation: str
    achievement: Decimal | None  # percent; None: no data


def _ranking_words(ranked: Sequence[AchievementRow]) -> str:
    """Who is highest and lowest, every one of them when tied; one sentence when all are."""
    if not ranked:
        return _("No data for this period.")
    high, low = ranked[0].achievement, ranked[-1].achievement
    if high == low:
        return _("Every agency with data at %(value)s %%.") % {"value": _number(high)}

    def named(value: Decimal | None) -> str:
        return "、".join(r.organisation for r in ranked if r.achievement == value)

    return _("Highest: %(first)s (%(high)s %%); lowest: %(last)s (%(low)s %%).") % {
        "first": named(high),
        "high": _number(high),
        "last": named(low),
        "low": _number(low),
    }


def _number(value: Decimal | None) -> str:
    """A percentage as a person reads it: 55.56, 90 (no trailing zeros)."""
    return "" if value is None else f"{value.quantize(Decimal('0.01')).normalize():f}"


def kpi_achievement_ranked(rows: Sequence[AchievementRow]) -> Chart:
    """KPI achievement (達成率) per agency, highest first; agencies with no data listed last."""
    org, achieved = _("Agency"), _("Achievement (%)")
    ranked = sorted(rows, key=lambda r: (r.achievement is None, -(r.achievement or Decimal(0))))
    data = [
        {"organisation": r.organisation, "achievement": float(r.achievement)}
        for r in ranked
        if r.achievement is not None
    ]
    chart = {
        "data": {"values": data},
        "mark": {"type": "bar"},
        "encoding": {
            "y": _field("organisation", "nominal", sort=None, title=None),
            "x": _field("achievement", "quantitative", title=achieved),
            "tooltip": [
                _field("organisation", "nominal", title=org),
                _field("achievement", "quantitative", title=achieved),
            ],
        },
        "width": "container",
        "height": max(80, 24 * len(data)),
    }
    description = _ranking_words([r for r in ranked if r.achievement is not None])
    return Chart(
        key="kpi_achievement_ranked",
        title=_("KPI achievement per agency"),
        description=description,
        spec=_spec(**chart),
        table=Table(
            caption=_("KPI achievement per agency"),
            columns=(org, achieved),
            rows=tuple((r.organisation, r.achievement) for r in ranked),
            empty_text=_("No data for this period."),
        ),
        kind="bar",
    )


@dataclass(frozen=True)
class ScheduleRow:
    item: str  # the schedule item's title
    due: datetime.date
    done: datetime.date | None  # when it was completed, if it was
    late: bool  # past due and not done, or done after the due date
    # one item done by several organisations (the centre's view): how many, how many late
    organisations: int = 1
    late_organisations: int = 0


def schedule_timeline(rows: Sequence[ScheduleRow]) -> Chart:
    """The schedule (工作時程) as a timeline: each item at its deadline, late ones marked."""
    item, due, done, state = _("Item"), _("Deadline"), _("Completed"), _("Status")
    # late here is also done after its date (the page's "overdue" counts open tasks only)
    late_label, ok_label = _("Late (done late or not yet done)"), _("On time or not yet due")
    data = [
        {
            "item": r.item,
            "due": r.due.isoformat(),
            "done": r.done.isoformat() if r.done else None,
            "state": late_label if r.late else ok_label,
        }
        for r in rows
    ]
    states = [ok_label, late_label]
    chart = {
        "data": {"values": data},
        "mark": {"type": "point", "filled": True, "size": 90},
        "encoding": {
            "x": _field("due", "temporal", title=due),
            "y": _field("item", "nominal", sort=None, title=None),
            "color": _field(
                "state",
                "nominal",
                scale={"domain": states, "range": ["#1e7a3c", TARGET_COLOUR]},
                title=state,
            ),
            "shape": _field(
                "state",
                "nominal",
                scale={"domain": states, "range": ["circle", "square"]},
                title=state,
            ),
            "tooltip": [
                _field("item", "nominal", title=item),
                _field("due", "temporal", title=due),
                _field("done", "temporal", title=done),
                _field("state", "nominal", title=state),
            ],
        },
        "width": "container",
        "height": max(80, 22 * len(data)),
    }
    late = sum(1 for r in rows if r.late)
    if any(r.organisations > 1 for r in rows):
        description = _(
            "%(count)d schedule items, each done by every organisation it names; %(late)d "
            "late for at least one of them, done late or not yet done (%(tasks)d late tasks)."
        ) % {"count": len(rows), "late": late, "tasks": sum(r.late_organisations for r in rows)}
    else:
        description = _("%(count)d schedule items; %(late)d done late or not yet done.") % {
            "count": len(rows),
            "late": late,
        }
    return Chart(
        key="schedule_timeline",
        title=_("Schedule"),
        description=description,
        spec=_spec(**chart),
        table=Table(
            caption=_("Schedule"),
            columns=(item, due, done, state),
            rows=tuple((r.item, r.due, r.done, late_label if r.late else ok_label) for r in rows),
            empty_text=_("No schedule items in this period."),
        ),
        kind="timeline",
        value_columns=(1,),
    )
