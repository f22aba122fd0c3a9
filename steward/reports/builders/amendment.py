"""The amendment comparison table (修正對照表) between two versions of a plan, in the
three-column layout of the MOEA seed: 修正規定 / 現行規定 / 說明.

The rows are `plans.compare.compare_versions`'s. Options `from` and `to` name the versions
by label; by default `to` is the version in force at the end of the period and `from` the
one before it.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from steward.plans.compare import compare_versions
from steward.plans.models import PlanVersion
from steward.reports.builders.common import document, option, plan_of, version_in_force
from steward.reports.document import Paragraph, ReportDocument, Section, Table
from steward.reports.errors import ReportError
from steward.reports.kinds import ReportRequest, report_kind

KEY = "amendment_table"
#: The two options as the reports page labels them; an error names them so.
VERSION_LABELS = {
    "from": pgettext_lazy("report form", "Version before the amendment"),
    "to": pgettext_lazy("report form", "Version after the amendment"),
}


def _version(plan_versions: list[PlanVersion], label: str, which: str) -> PlanVersion:
    for version in plan_versions:
        if version.label == label:
            return version
    raise ReportError(
        _("The plan has no version “%(label)s” (%(which)s); its versions: %(labels)s.")
        % {
            "label": label,
            "which": VERSION_LABELS[which],
            "labels": "、".join(v.label for v in plan_versions),
        }
    )


@report_kind(
    KEY,
    label=gettext_lazy("Amendment comparison table"),
)
def amendment_table(request: ReportRequest) -> ReportDocument:
    plan = plan_of(request)
    if plan is None:
        raise ReportError(
            _("%(organisation)s follows no plan.") % {"organisation": request.organisation.name}
        )
    versions = list(plan.versions.order_by("adopted_on", "pk"))
    asked_to, asked_from = option(request, "to"), option(request, "from")
    new = _version(versions, asked_to, "to") if asked_to else version_in_force(plan, request.end)
    old: PlanVersion | None
    if asked_from:
        old = _version(versions, asked_from, "from")
    else:
        earlier = [
            v for v in versions if new is not None and versions.index(v) < versions.index(new)
        ]
        old = earlier[-1] if earlier else None
    title = _("%(plan)s amendment comparison table") % {"plan": plan.name}
    if new is None or old is None:
        blocks: tuple[Paragraph | Table, ...] = (
            Paragraph(_("The plan has no earlier version to compare with.")),
        )
        inputs: dict[str, Any] = {"from": None, "to": new.pk if new else None}
    else:
        rows = compare_versions(old, new)
        blocks = (
            Paragraph(
                _("From version %(old)s (in force) to version %(new)s (amended).")
                % {"old": old.label, "new": new.label}
            ),
            Table(
                caption=title,
                columns=(_("Amended provision"), _("Current provision"), _("Explanation")),
                rows=tuple((r.amended, r.current, r.explanation) for r in rows),
                empty_text=_("The two versions say the same."),
                widths=(4, 4, 3),
            ),
        )
        inputs = {"from": [old.pk, old.sha256], "to": [new.pk, new.sha256]}
    return document(
        KEY,
        title,
        request,
        (Section(_("Amendment comparison table"), blocks),),
        {"plan": plan.pk, **inputs},
        fields={"plan": plan.name},
    )
