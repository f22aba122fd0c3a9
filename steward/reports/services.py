"""Producing reports: the one way the command line, the download view and the schedule get
a report file, and the one writer of stored reports (`StoredReport`).

    produce(kind, organisation, "2026Q4", "odt", by=person) -> Produced(document, rendered)

Everything asked is checked before anything is built: the kind, the format, the period,
the plan (it must be the organisation's ministry's), and the person's right to see reports
of the organisation (`scope`, action `report.view`); `by=None` is the server's operator (the
command line, the schedule).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from steward.audit.services import record
from steward.organisations.models import Organisation, Person
from steward.organisations.scope import Action, require
from steward.plans.models import Plan
from steward.reports import kinds, periods
from steward.reports.document import ReportDocument
from steward.reports.errors import ReportError
from steward.reports.models import StoredReport

if TYPE_CHECKING:
    from steward.reports.render import Rendered


@dataclass(frozen=True)
class Asked:
    """A report asked for, checked: which kind, of whom, for when, in which format."""

    kind: kinds.ReportKind
    organisation: Organisation
    period: str  # as parsed: 2026Q4, 2026H1, 2026
    format: str
    request: kinds.ReportRequest


@dataclass(frozen=True)
class Produced:
    document: ReportDocument
    rendered: Rendered


def kind_named(key: str) -> kinds.ReportKind:
    kind = kinds.get(key)
    if kind is None:
        raise ReportError(
            _("There is no report kind “%(kind)s”: choose one from the list of reports.")
            % {"kind": key}
        )
    return kind


def plan_for(organisation: Organisation, plan: Plan | None) -> Plan | None:
    """The plan the report follows: the one given (it must be the organisation's ministry's),
    else the ministry's."""
    ministry = organisation.ministry
    if plan is None:
        return Plan.objects.filter(ministry=ministry).order_by("pk").first()
    if plan.ministry_id != ministry.pk:
        raise ReportError(
            _("%(organisation)s does not follow the plan “%(plan)s”.")
            % {"organisation": organisation.name, "plan": plan.name}
        )
    return plan


def ask(
    kind: str,
    organisation: Organisation,
    period: str,
    fmt: str,
    *,
    by: Person | None,
    plan: Plan | None = None,
    options: dict[str, Any] | None = None,
) -> Asked:
    """Check everything asked (ReportError or PermissionDenied) before anything is built."""
    if by is not None:
        require(by, Action.REPORT_VIEW, organisation)
    found = kind_named(kind)
    if fmt not in found.formats:
        raise ReportError(
            _("“%(format)s” is not a format of this report; it comes as %(formats)s.")
            % {"format": fmt, "formats": ", ".join(found.formats)}
        )
    parsed = periods.parse(period)
    request = kinds.ReportRequest(
        organisation=organisation,
        start=parsed.start,
        end=parsed.end,
        period_label=periods.label(parsed),
        plan=plan_for(organisation, plan),
        actor=by,
        options=dict(options or {}),
    )
    return Asked(found, organisation, parsed.label, fmt, request)


def build(asked: Asked) -> ReportDocument:
    return kinds.build(asked.kind.key, asked.request)


def render(document: ReportDocument, fmt: str, *, template: bytes | Path | None = None) -> Rendered:
    """The document as a file; a custom template's problem becomes a ReportError."""
    from steward.reports import render as renderers

    if template is None:
        return renderers.render(document, fmt)
    from steward.reports.render.template import TemplateError

    try:
        return renderers.render(document, fmt, template=template)
    except TemplateError as error:
        raise ReportError(str(error)) from None


def produce(
    kind: str,
    organisation: Organisation,
    period: str,
    fmt: str,
    *,
    by: Person | None,
    plan: Plan | None = None,
    options: dict[str, Any] | None = None,
    template: bytes | Path | None = None,
) -> Produced:
    """Check, build and render one report."""
    asked = ask(kind, organisation, period, fmt, by=by, plan=plan, options=options)
    document = build(asked)
    return Produced(document, render(document, fmt, template=template))


def latest_stored(asked: Asked) -> StoredReport | None:
    return (
        StoredReport.objects.filter(
            kind=asked.kind.key,
            organisation=asked.organisation,
            period=asked.period,
            options=asked.request.options or {},
        )
        .order_by("-created_at", "-pk")
        .first()
    )


def store(asked: Asked, produced: Produced, *, by: Person | None) -> StoredReport:
    """Keep a report file with what it was built from (one audit event)."""
    if by is not None:
        require(by, Action.REPORT_VIEW, asked.organisation)
    document, rendered = produced.document, produced.rendered
    with transaction.atomic():
        stored = StoredReport(
            kind=asked.kind.key,
            organisation=asked.organisation,
            period=asked.period,
            options=asked.request.options or {},
            format=rendered.filename.rsplit(".", 1)[-1],
            title=document.title[:300],
            filename=rendered.filename,
            content_type=rendered.content_type,
            size=len(rendered.content),
            problems=list(rendered.problems),
            inputs_version=document.inputs_version,
            inputs=_json_safe(document.inputs),
            requested_by=by,
        )
        stored.file.save(rendered.filename, ContentFile(rendered.content), save=False)
        stored.save()
        record(
            actor=by,
            action="report.store",
            subject=stored,
            organisation=asked.organisation,
            comment=f"{asked.kind.key} {asked.period}",
            changes={"inputs_version": stored.inputs_version, "format": stored.format},
        )
    return stored


def _json_safe(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value, default=str, ensure_ascii=False))
