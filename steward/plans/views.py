"""Pages of action plans: the list, a plan version, the comparison table, the upload.

Views only parse, call access helpers and services, and render.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from steward.organisations.models import OrganisationKind
from steward.plans.access import can_manage_plan, plan_for, plans_for, version_for
from steward.plans.compare import _Names, compare_versions
from steward.plans.document import CADENCE_LABELS, rules_from_document
from steward.plans.forms import PlanUploadForm
from steward.plans.planfile import PlanError, Problem, read_plan_text
from steward.plans.render import quarter_cells, render_rules
from steward.plans.services import InstallReport, install_plan


def _targets(document: dict[str, Any], names: _Names) -> list[dict[str, Any]]:
    """Targets as tables: one per measure and scope, organisations × years, with sums."""
    tables: dict[tuple[str, bool], dict[str, Any]] = {}
    for target in document.get("targets", []):
        key = (target["measure"], bool(target.get("covers_subtree")))
        table = tables.setdefault(
            key, {"measure": key[0], "subtree": key[1], "years": [], "rows": {}}
        )
        year = str(target.get("year", "每年"))
        table["years"].append(year)
        for organisation, value in target["values"].items():
            table["rows"].setdefault(organisation, {})[year] = value
    result = []
    for table in tables.values():
        rows = [
            {"name": names([key]), "values": [values.get(year, "") for year in table["years"]]}
            for key, values in table["rows"].items()
        ]
        sums = [
            sum(v for v in (row["values"][i] for row in rows) if v != "")
            for i in range(len(table["years"]))
        ]
        result.append({**table, "rows": rows, "sums": sums if len(rows) > 1 else None})
    return result


def _schedule(document: dict[str, Any], names: _Names) -> list[dict[str, Any]]:
    return [
        {
            "code": item["code"],
            "phase": item.get("phase", ""),
            "title": item["title"],
            "quarters": quarter_cells(item),
            "continuous": bool(item.get("continuous")) and not item.get("deadlines"),
            "months": item.get("months", []),
            "lead": item.get("lead_as_written") or names(item["lead"]),
            "cooperating": item.get("cooperating_as_written") or names(item.get("cooperating", [])),
            "note": item.get("note", ""),
        }
        for item in document.get("schedule", [])
    ]


def _kpis(document: dict[str, Any], names: _Names) -> list[dict[str, Any]]:
    return [
        {
            **kpi,
            "period": CADENCE_LABELS.get(kpi.get("evaluation_period", ""), ""),
            "target_rows": [(names([key]), value) for key, value in kpi.get("targets", {}).items()],
        }
        for kpi in document.get("kpis", [])
    ]


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The plans of the person's ministry (superusers: every plan)."""
    plans = plans_for(request.user).select_related("ministry").prefetch_related("versions")  # type: ignore[arg-type]
    return render(request, "plans/index.html", {"plans": plans})


@login_required
def detail(request: HttpRequest, key: str) -> HttpResponse:
    """One version of a plan (the current one unless ?version=): everything it decides."""
    plan = plan_for(request.user, key)  # type: ignore[arg-type]
    version = version_for(plan, request.GET.get("version"))
    document = version.document
    names = _Names(document)
    versions = list(plan.versions.all())
    return render(
        request,
        "plans/detail.html",
        {
            "plan": plan,
            "version": version,
            "versions": versions,
            "organisations": [
                {**organisation, "kind_label": _kind_label(organisation.get("kind", ""))}
                for organisation in document.get("organisations", [])
            ],
            "targets": _targets(document, names),
            "schedule": _schedule(document, names),
            "rules": render_rules(rules_from_document(document)),
            "kpis": _kpis(document, names),
            "can_manage": can_manage_plan(request.user, plan),  # type: ignore[arg-type]
        },
    )


def _kind_label(kind: str) -> str:
    """An organisation kind in words (本部 / 所屬機關 / 單位), never the plan file's key."""
    return str(OrganisationKind(kind).label) if kind in OrganisationKind.values else kind


@login_required
def compare(request: HttpRequest, key: str) -> HttpResponse:
    """The amendment comparison table (修正對照表) between two chosen versions."""
    plan = plan_for(request.user, key)  # type: ignore[arg-type]
    versions = list(plan.versions.all())
    default_old = (
        versions[-2].label if len(versions) > 1 else versions[0].label if versions else None
    )
    old = version_for(plan, request.GET.get("old") or default_old)
    new = version_for(plan, request.GET.get("new"))
    return render(
        request,
        "plans/compare.html",
        {
            "plan": plan,
            "versions": versions,
            "old": old,
            "new": new,
            "rows": compare_versions(old, new),
        },
    )


@login_required
def upload(request: HttpRequest, key: str) -> HttpResponse:
    """The information centre uploads the plan file with a new or amended version."""
    plan = plan_for(request.user, key)  # type: ignore[arg-type]
    if not can_manage_plan(request.user, plan):  # type: ignore[arg-type]
        raise PermissionDenied(_("Only the information centre may upload plan versions."))
    problems: list[Problem] = []
    form = PlanUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload_file = form.cleaned_data["file"]
        name = upload_file.name or "plan.toml"
        try:
            text = upload_file.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            problems = [Problem(name, "", _("The file is not UTF-8 text."))]
        else:
            try:
                report = _install_for_plan(plan.key, text, name, request)
            except PlanError as error:
                problems = error.problems
            else:
                if report.unchanged:
                    messages.info(request, _("The file is already installed; nothing changed."))
                else:
                    messages.success(
                        request,
                        _("Plan file installed: %(changes)s")
                        % {"changes": "; ".join(c.strip() for c in report.changes)},
                    )
                return redirect("plans:detail", key=plan.key)
    return render(request, "plans/upload.html", {"plan": plan, "form": form, "problems": problems})


def _install_for_plan(key: str, text: str, name: str, request: HttpRequest) -> InstallReport:
    """Install an uploaded file, refusing one that holds another plan."""
    plan_file = read_plan_text(text, name)
    if plan_file.key != key:
        raise PlanError(
            [
                Problem(
                    name,
                    "plan.key",
                    _("This file is the plan %(found)r, not %(expected)r.")
                    % {"found": plan_file.key, "expected": key},
                )
            ]
        )
    return install_plan(plan_file, by=request.user)  # type: ignore[arg-type]
