"""Installing plan files (資料開放行動方案) into the database: every state change of plans.

`install_plan_file(path, by=...)` checks the whole file first (planfile.py),
then, in one transaction with one audit event, upserts the file's
organisations by key (never deletes one), creates or updates the plan and each
version, and syncs the version's schedule, deadlines, targets and KPIs.
Re-installing an unchanged file is recognised by its sha256 and changes
nothing; a changed file adds or updates versions and says what changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from steward.audit.services import record
from steward.calendars.workdays import Source, WorkingCalendar, source_for_year
from steward.organisations.models import Organisation, Person
from steward.organisations.scope import Action, require
from steward.plans.compare import compare_documents
from steward.plans.locate import LineIndex
from steward.plans.models import (
    Deadline,
    KpiDefinition,
    KpiTarget,
    Plan,
    PlanVersion,
    ScheduleItem,
    Target,
)
from steward.plans.notices import letters_for, send_letters
from steward.plans.planfile import (
    PlanError,
    PlanFile,
    Problem,
    expand_organisations,
    read_plan_file,
    read_plan_text,
)
from steward.plans.schedule import ScheduleSync, sync_schedule

BUILTIN_DIR = Path(__file__).parent / "builtin"
ORGANISATION_FIELDS = ("name", "short_name", "name_en", "kind", "agency_code")


@dataclass
class InstallReport:
    """What installing a plan file did."""

    plan: Plan
    versions: list[PlanVersion]
    changes: list[str] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        return not self.changes


def builtin_plan_paths() -> list[Path]:
    """The built-in plan files (MOEA, DGBAS, MOJ, MOL), in a stable order."""
    return sorted(BUILTIN_DIR.glob("*.toml"))


def install_plan_file(path: Path, *, by: Person | None = None) -> list[PlanVersion]:
    """Check and install the plan file at `path`; return its versions, oldest first."""
    return install_plan(read_plan_file(path), by=by).versions


def install_plan_text(text: str, *, name: str, by: Person | None = None) -> InstallReport:
    """Check and install a plan file given as text (an upload); `name` is shown in errors."""
    return install_plan(read_plan_text(text, name), by=by)


def install_builtin_plans(*, by: Person | None = None) -> list[PlanVersion]:
    """Install the four built-in plans; return every version of them."""
    versions: list[PlanVersion] = []
    for path in builtin_plan_paths():
        versions.extend(install_plan(read_plan_file(path), by=by, built_in=True).versions)
    return versions


def install_plan(
    plan_file: PlanFile, *, by: Person | None = None, built_in: bool = False
) -> InstallReport:
    """Install a checked plan file in one transaction with one audit event.

    With `by` (a person, not the command line), the person must be allowed to
    manage plans (Action.PLAN_MANAGE) in the plan's ministry, which must exist.
    """
    with transaction.atomic():
        ministry = Organisation.objects.filter(key=plan_file.plan["ministry"]).first()
        if by is not None and not by.is_superuser:
            if ministry is None:
                raise PermissionDenied(
                    _("Only an administrator may install a plan for a new ministry.")
                )
            require(by, Action.PLAN_MANAGE, ministry)
        _check_database(plan_file)
        plan = Plan.objects.filter(key=plan_file.key).first()
        if plan is not None and _already_installed(plan, plan_file):
            versions = list(
                plan.versions.filter(label__in=[v["label"] for v in plan_file.versions])
            )
            return InstallReport(plan, sorted(versions, key=lambda v: (v.adopted_on, v.pk)))
        changes: list[str] = []
        organisations = _upsert_organisations(plan_file, changes)
        ministry = organisations[plan_file.plan["ministry"]]
        if plan is None:
            plan = Plan.objects.create(
                key=plan_file.key,
                name=plan_file.plan["name"],
                ministry=ministry,
                built_in=built_in,
            )
            changes.append(f"new plan {plan.key}: {plan.name}")
        elif plan.name != plan_file.plan["name"] or plan.ministry_id != ministry.pk:
            plan.name = plan_file.plan["name"]
            plan.ministry = ministry
            plan.save(update_fields=["name", "ministry"])
            changes.append(f"plan {plan.key} renamed: {plan.name}")
        versions = [
            _sync_version(plan, plan_file, document, organisations, by, changes)
            for document in plan_file.versions
        ]
        kept = plan.versions.exclude(label__in=[v["label"] for v in plan_file.versions])
        for version in kept:
            changes.append(f"version {version.label} is not in the file; kept as it was")
        record(
            actor=by,
            action="plan.install",
            subject=plan,
            organisation=ministry,
            comment=plan_file.name,
            changes={"sha256": plan_file.sha256, "changes": changes},
        )
        return InstallReport(plan, versions, changes)


def _already_installed(plan: Plan, plan_file: PlanFile) -> bool:
    labels = {version["label"] for version in plan_file.versions}
    stored = {version.label: version.sha256 for version in plan.versions.all()}
    return labels <= set(stored) and all(stored[label] == plan_file.sha256 for label in labels)


def _check_database(plan_file: PlanFile) -> None:
    """Problems only the database can show (agency codes held by others, foreign keys)."""
    lines = LineIndex(plan_file.text)
    problems: list[Problem] = []
    ministry_key = plan_file.plan["ministry"]
    plan = Plan.objects.filter(key=plan_file.key).select_related("ministry").first()
    if plan is not None and plan.ministry is not None and plan.ministry.key != ministry_key:
        problems.append(
            Problem(
                plan_file.name,
                "plan.ministry",
                _("plan '%(plan)s' already belongs to '%(ministry)s'.")
                % {"plan": plan.key, "ministry": plan.ministry.key},
                lines.line_of("plan.ministry"),
            )
        )
    for index, raw in enumerate(plan_file.organisations):
        path = f"organisations[{index}]"
        code = raw.get("agency_code", "")
        if code:
            holder = Organisation.objects.filter(agency_code=code).exclude(key=raw["key"]).first()
            if holder is not None:
                problems.append(
                    Problem(
                        plan_file.name,
                        f"{path}.agency_code",
                        _("agency code %(code)s already belongs to '%(key)s' (%(name)s).")
                        % {"code": code, "key": holder.key, "name": holder.name},
                        lines.line_of(f"{path}.agency_code"),
                    )
                )
        existing = Organisation.objects.filter(key=raw["key"]).first()
        # Ministries are walls: a plan file creates and changes organisations of its own
        # ministry only. Another ministry's root (no parent) counts too: re-parenting it
        # would hand its whole tree to this ministry's roles.
        if existing is not None:
            root = existing.ministry
            if root.key != ministry_key:
                problems.append(
                    Problem(
                        plan_file.name,
                        f"{path}.key",
                        _(
                            "The organisation “%(key)s” belongs to another ministry"
                            " (%(ministry)s); a plan file may only add or change"
                            " organisations of its own ministry (“%(own)s”)."
                        )
                        % {"key": raw["key"], "ministry": root.name, "own": ministry_key},
                        lines.line_of(f"{path}.key"),
                    )
                )
    if problems:
        raise PlanError(problems)


def _upsert_organisations(plan_file: PlanFile, changes: list[str]) -> dict[str, Organisation]:
    """Create or update the file's organisations by key, parents first; never delete."""
    organisations: dict[str, Organisation] = {}
    pending = list(plan_file.organisations)
    while pending:
        waiting = []
        for raw in pending:
            parent_key = raw.get("parent")
            if parent_key and parent_key not in organisations:
                waiting.append(raw)
                continue
            organisations[raw["key"]] = _upsert_organisation(
                raw, organisations.get(parent_key) if parent_key else None, changes
            )
        if len(waiting) == len(pending):  # cannot happen after planfile's cycle check
            raise PlanError([Problem(plan_file.name, "organisations", _("parents form a cycle."))])
        pending = waiting
    return organisations


def _upsert_organisation(
    raw: dict[str, Any], parent: Organisation | None, changes: list[str]
) -> Organisation:
    organisation = Organisation.objects.filter(key=raw["key"]).first()
    wanted: dict[str, Any] = {name: raw.get(name, "") for name in ORGANISATION_FIELDS}
    if organisation is None:
        organisation = Organisation(key=raw["key"], parent=parent, **wanted)
        organisation.full_clean()
        organisation.save()
        changes.append(f"new organisation {organisation.key}: {organisation.name}")
        return organisation
    updated = []
    for name, value in wanted.items():
        # An empty value in the file means "not stated": never erase what is known.
        if value and getattr(organisation, name) != value:
            setattr(organisation, name, value)
            updated.append(name)
    if organisation.parent_id != (parent.pk if parent else None):
        organisation.parent = parent
        updated.append("parent")
    if updated:
        organisation.full_clean()
        organisation.save()
        changes.append(f"organisation {organisation.key} updated: {', '.join(updated)}")
    return organisation


def _stored_document(plan_file: PlanFile, document: dict[str, Any]) -> dict[str, Any]:
    return {**document, "plan": plan_file.plan, "organisations": plan_file.organisations}


def _sync_version(
    plan: Plan,
    plan_file: PlanFile,
    document: dict[str, Any],
    organisations: dict[str, Organisation],
    by: Person | None,
    changes: list[str],
) -> PlanVersion:
    stored = _stored_document(plan_file, document)
    version = PlanVersion.objects.filter(plan=plan, label=document["label"]).first()
    if version is not None and version.document == stored:
        if version.sha256 != plan_file.sha256:
            version.sha256 = plan_file.sha256
            version.source_name = plan_file.name
            version.source_text = plan_file.text
            version.save(update_fields=["sha256", "source_name", "source_text"])
        return version
    if version is None:
        version = PlanVersion(plan=plan, label=document["label"])
        changes.append(f"new version {document['label']}")
    else:
        rows = compare_documents(version.document, stored)
        changes.append(f"version {document['label']} changed")
        changes.extend(f"  {row.explanation}" for row in rows)
        if not rows:
            changes.append("  (title, date or notes)")
    version.title = document.get("title", "")
    version.adopted_on = document["adopted_on"]
    version.adopted_on_stated = document.get("adopted_on_stated", True)
    version.source_name = plan_file.name
    version.source_text = plan_file.text
    version.sha256 = plan_file.sha256
    version.document = stored
    version.loaded_by = by
    version.save()
    version.refresh_from_db()  # adopted_on back as a date
    _sync_schedule(version, document, plan_file, organisations)
    _sync_targets(version, document, organisations)
    _sync_kpis(version, document, organisations)
    return version


def _sync_schedule(
    version: PlanVersion,
    document: dict[str, Any],
    plan_file: PlanFile,
    organisations: dict[str, Organisation],
) -> None:
    """Update schedule items in place by code (other apps may point at them)."""
    default_move = (
        document.get("rules", {}).get("deadlines", {}).get("move_to_previous_working_day", True)
    )
    ministry = plan_file.plan["ministry"]
    existing = {item.code: item for item in version.schedule_items.all()}
    for position, raw in enumerate(document.get("schedule", [])):
        item = existing.pop(raw["code"], None) or ScheduleItem(version=version, code=raw["code"])
        item.phase = raw.get("phase", "")
        item.title = raw["title"]
        item.lead_as_written = raw.get("lead_as_written", "")
        item.cooperating_as_written = raw.get("cooperating_as_written", "")
        item.continuous = raw.get("continuous", False)
        item.continuous_label = raw.get("continuous_label", "")
        item.active_months = raw.get("months", [])
        item.move_to_previous_working_day = raw.get("move_to_previous_working_day", default_move)
        item.note = raw.get("note", "")
        item.position = position
        item.save()
        lead = expand_organisations(raw["lead"], plan_file.organisations, ministry)
        cooperating = expand_organisations(
            raw.get("cooperating", []), plan_file.organisations, ministry
        )
        item.lead_organisations.set([organisations[key] for key in lead])
        item.cooperating_organisations.set([organisations[key] for key in cooperating])
        _sync_deadlines(item, raw.get("deadlines", []))
    for item in existing.values():
        item.delete()


def _sync_deadlines(item: ScheduleItem, raw_deadlines: list[dict[str, Any]]) -> None:
    """Keep deadline rows by (period, n-th in period) so computed occurrences survive edits."""
    existing: dict[tuple[str, int], Deadline] = {}
    counts: dict[str, int] = {}
    for old in item.deadlines.order_by("pk"):
        n = counts.get(old.period, 0)
        counts[old.period] = n + 1
        existing[(old.period, n)] = old
    counts.clear()
    for raw in raw_deadlines:
        n = counts.get(raw["period"], 0)
        counts[raw["period"]] = n + 1
        month, day = (int(part) for part in raw["date"].split("/"))
        found = existing.pop((raw["period"], n), None)
        deadline = found or Deadline(schedule_item=item, period=raw["period"])
        values = {
            "month": month,
            "day": day,
            "year_offset": 1 if raw.get("next_year") else 0,
            "label": raw.get("label", ""),
        }
        if deadline.pk is None or any(getattr(deadline, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(deadline, key, value)
            deadline.save()
    for removed in existing.values():
        removed.delete()


def _sync_targets(
    version: PlanVersion, document: dict[str, Any], organisations: dict[str, Organisation]
) -> None:
    existing = {
        (t.organisation.key, t.year, t.measure, t.covers_subtree): t
        for t in version.targets.select_related("organisation")
    }
    for raw in document.get("targets", []):
        for key, value in raw["values"].items():
            identity = (key, raw.get("year"), raw["measure"], raw.get("covers_subtree", False))
            target = existing.pop(identity, None) or Target(
                version=version,
                organisation=organisations[key],
                year=raw.get("year"),
                measure=raw["measure"],
                covers_subtree=raw.get("covers_subtree", False),
            )
            target.value = value
            target.note = raw.get("note", "")
            target.save()
    for target in existing.values():
        target.delete()


def _sync_kpis(
    version: PlanVersion, document: dict[str, Any], organisations: dict[str, Organisation]
) -> None:
    existing = {kpi.code: kpi for kpi in version.kpis.all()}
    for position, raw in enumerate(document.get("kpis", [])):
        kpi = existing.pop(raw["code"], None) or KpiDefinition(version=version, code=raw["code"])
        kpi.name = raw["name"]
        kpi.measure = raw["measure"]
        kpi.formula = raw.get("formula", "")
        kpi.unit = raw.get("unit", "count")
        kpi.weight = Decimal(str(raw.get("weight", 1)))
        kpi.bonus_rule = raw.get("bonus_rule", "")
        kpi.note = raw.get("note", "")
        kpi.evaluated_by = raw.get("evaluated_by", "")
        kpi.evaluation_period = raw.get("evaluation_period", "")
        kpi.position = position
        kpi.save()
        targets = {
            (t.organisation.key, t.year): t for t in kpi.targets.select_related("organisation")
        }
        for key, value in raw.get("targets", {}).items():
            kpi_target = targets.pop((key, raw.get("year")), None) or KpiTarget(
                kpi=kpi, organisation=organisations[key], year=raw.get("year")
            )
            kpi_target.value = Decimal(str(value))
            kpi_target.save()
        for kpi_target in targets.values():
            kpi_target.delete()
    for kpi in existing.values():
        kpi.delete()


# ---------------------------------------------------------------- the year's deadlines


class NoCalendarError(Exception):
    """No office calendar and no `holidays` data for the year: deadlines cannot be placed."""


def schedule_year(
    version: PlanVersion,
    year: int,
    *,
    by: Person | None = None,
    calendar: WorkingCalendar | None = None,
) -> ScheduleSync:
    """Compute plan `year`'s deadlines of `version` on the office calendar (ScheduledDeadline).

    Idempotent: rows already right are left alone. With `by` (a person rather than the
    worker) they must be allowed to manage the plan. When rows are created or moved, one
    audit event says so; people whose deadlines moved are told (`plans.notices`) after commit.
    Raises NoCalendarError when no calendar covers the year (no file and beyond the
    `holidays` package's range); nothing is computed then.
    """
    ministry = version.plan.ministry
    if by is not None and ministry is not None:
        require(by, Action.PLAN_MANAGE, ministry)
    source = source_for_year(year)
    if source is None:
        raise NoCalendarError(
            _(
                "No working-day calendar covers %(year)d yet: import that year's office "
                "calendar (辦公日曆表) first."
            )
            % {"year": year}
        )
    with transaction.atomic():
        sync = sync_schedule(version, year, calendar=calendar)
        if sync.changed:
            record(
                actor=by,
                action="plan.schedule",
                subject=version,
                organisation=ministry,
                comment=_("%(year)d: %(created)d deadlines computed, %(moved)d moved (%(source)s)")
                % {
                    "year": year,
                    "created": sync.created,
                    "moved": len(sync.moved),
                    "source": Source(source).label,
                },
                changes={
                    "year": year,
                    "created": sync.created,
                    "source": str(source),
                    "moved_deadlines": [
                        {
                            "scheduled_deadline": move.scheduled_deadline.pk,
                            "from": move.old_due_date.isoformat(),
                            "to": move.new_due_date.isoformat(),
                        }
                        for move in sync.moved
                    ],
                },
            )
        if sync.moved:
            send_letters(
                letters_for(sync.moved),
                cause=_("the working days of %(year)d, per %(source)s")
                % {"year": year, "source": Source(source).label},
            )
    return sync
