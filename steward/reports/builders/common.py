"""What the built-in report kinds share: which organisations a report covers, its plan,
its period, and the words every kind prints (「未訂目標」, 「無資料」)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from steward.lib.years import date_label
from steward.organisations.models import Organisation, OrganisationKind
from steward.plans.models import Plan, PlanVersion
from steward.quality.measures.periods import Period
from steward.reports.document import Cell, ReportDocument, Section
from steward.reports.errors import ReportError
from steward.reports.kinds import ReportRequest


def no_target() -> str:
    """A KPI or an agency without a target: said, never shown as 0 % (「未訂目標」)."""
    return _("No target set")


def no_data() -> str:
    return _("No data")


def no_data_text() -> str:
    """Said in place of a table's rows when the period has none (「本期無資料」)."""
    return _("No data for this period.")


def agencies_of(organisation: Organisation) -> list[Organisation]:
    """The organisations a report lists one row each: a ministry's agencies (所屬機關), or
    the organisation itself."""
    if organisation.kind == OrganisationKind.MINISTRY:
        found = list(organisation.subtree().filter(kind=OrganisationKind.AGENCY).order_by("path"))
        return found or [organisation]
    return [organisation]


def plan_of(request: ReportRequest) -> Plan | None:
    """The plan the report follows: the one asked for, else its ministry's."""
    if request.plan is not None:
        return request.plan
    return Plan.objects.filter(ministry=request.organisation.ministry).order_by("pk").first()


def version_in_force(plan: Plan, day: datetime.date) -> PlanVersion | None:
    """The latest version adopted on or before `day` (else the first one)."""
    versions = plan.versions.order_by("adopted_on", "pk")
    return versions.filter(adopted_on__lte=day).last() or versions.first()


def period_of(request: ReportRequest) -> Period:
    """The quarter, half year or year the request's days are (as `periods.parse` gave)."""
    for kind, count in (("quarter", 4), ("half", 2), ("year", 1)):
        for number in range(1, count + 1):
            period = Period(request.start.year, kind, number)
            if period.start == request.start and period.end == request.end:
                return period
    raise ReportError(
        _("%(start)s to %(end)s is not a quarter, a half year or a year.")
        % {"start": date_label(request.start), "end": date_label(request.end)}
    )


def percent(value: Decimal | None) -> Decimal | None:
    """A percentage to one decimal, as the reports print it (None stays None)."""
    if value is None:
        return None
    return Decimal(value).quantize(Decimal("0.1"))


def now() -> datetime.datetime:
    return timezone.localtime()


def option(request: ReportRequest, name: str) -> str:
    value = (request.options or {}).get(name)
    return "" if value is None else str(value).strip()


def document(
    kind: str,
    title: str,
    request: ReportRequest,
    sections: tuple[Section, ...],
    inputs: Mapping[str, Any],
    fields: Mapping[str, Cell] | None = None,
) -> ReportDocument:
    """A report of `request`'s organisation and period, made now; its inputs always name
    the kind and the organisation."""
    return ReportDocument(
        kind=kind,
        title=title,
        organisation=request.organisation.name,
        period_label=request.period_label,
        generated_at=now(),
        sections=sections,
        fields=fields or {},
        inputs={"kind": kind, "organisation": request.organisation.pk, **inputs},
    )
