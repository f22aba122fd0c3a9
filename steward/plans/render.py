"""A plain-text rendering of a plan version, for `steward plan show` (pure functions)."""

from __future__ import annotations

from typing import Any

from steward.plans.compare import PERIOD_LABELS, ROLE_LABELS, AmendmentRow, _Names, _value
from steward.plans.document import CADENCE_LABELS, Rules, rules_from_document

QUARTERS = ("Q1", "Q2", "Q3", "Q4")


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(char) > 0x2E80 else 1 for char in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def table(headers: list[str], rows: list[list[str]]) -> list[str]:
    """A text table with columns padded to their widest cell."""
    widths = [
        max(_width(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)
    ]
    lines = ["  ".join(_pad(h, w) for h, w in zip(headers, widths, strict=False)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend(
        "  ".join(_pad(str(cell), w) for cell, w in zip(row, widths, strict=False)).rstrip()
        for row in rows
    )
    return lines


def quarter_cells(item: dict[str, Any]) -> list[str]:
    """Deadline text per quarter (Q1–Q4) as in the seeds' schedule tables; '—' where none."""
    cells = {quarter: [] for quarter in QUARTERS}  # type: dict[str, list[str]]
    other: list[str] = []
    for deadline in item.get("deadlines", []):
        text = deadline.get("label") or deadline["date"]
        if deadline["period"] in cells:
            cells[deadline["period"]].append(text)
        else:
            other.append(f"{PERIOD_LABELS[deadline['period']]} {text}")
    if item.get("continuous") and not item.get("deadlines"):
        return [item.get("continuous_label") or "持續辦理", "", "", ""]
    if item.get("months") and not item.get("deadlines"):
        months = item["months"]
        return [
            "■" if any(m in range(q * 3 + 1, q * 3 + 4) for m in months) else "—" for q in range(4)
        ]
    result = ["、".join(cells[q]) or "—" for q in QUARTERS]
    if other:
        result[-1] += "（" + "、".join(other) + "）"
    return result


def render_rules(rules: Rules) -> list[str]:
    lines: list[str] = []
    deadlines = rules.deadlines
    if deadlines.stated:
        lines.append(
            f"完成期限遇假日：{'往前推至上班日' if deadlines.move_to_previous_working_day else '不調整'}"
            + (f"（{deadlines.as_written}）" if deadlines.as_written else "")
        )
    feedback = rules.feedback
    lines.append(
        f"民眾意見回應：{feedback.limit_days} 個{'工作天' if feedback.counts_working_days else '日曆天'}內"
        f"{'，經資訊長核准' if feedback.cio_approves_replies else ''}"
        + (
            f"，時限內回復比率目標 {feedback.on_time_share_target}%"
            if feedback.on_time_share_target
            else ""
        )
        + ("" if feedback.stated else "（計畫未載明，採預設值）")
    )
    inventory = rules.inventory
    lines.append(
        f"資料盤點：{CADENCE_LABELS[inventory.cadence]}，由{ROLE_LABELS.get(inventory.approved_by, inventory.approved_by)}核定"
        f"，未達預計目標值須敘明理由：{_value(inventory.shortfall_requires_reason)}"
        + ("" if inventory.stated else "（計畫未載明，採預設值）")
    )
    for stage in rules.review_stages:
        lines.append(
            f"審查階段 {stage.key}：{stage.name}（{ROLE_LABELS.get(stage.role, stage.role)}，"
            f"{CADENCE_LABELS[stage.cadence]}）"
        )
    if rules.published_edits.stated:
        lines.append(
            f"已開放資料集修改：由{ROLE_LABELS.get(rules.published_edits.approved_by)}審查"
        )
    if rules.withdrawal.stated:
        withdrawal = rules.withdrawal
        lines.append(
            f"停止提供：敘明理由 {_value(withdrawal.requires_reason)}，提諮詢小組討論 "
            f"{_value(withdrawal.committee_discussion)}，由{ROLE_LABELS.get(withdrawal.approved_by)}核可，"
            f"平臺公告 {_value(withdrawal.public_notice)}，得轉為 {_value(list(withdrawal.may_become), 'may_become')}"
        )
    if rules.not_provided.stated:
        not_provided = rules.not_provided
        lines.append(
            f"不予提供：提諮詢小組討論 {_value(not_provided.committee_discussion)}，"
            f"由{ROLE_LABELS.get(not_provided.approved_by, '資料盤點核定者')}核可"
        )
    committee = rules.committee
    if committee.stated:
        parts = []
        if committee.meetings_per_year is not None:
            parts.append(
                f"每年開會{'不低於 ' if committee.meetings_at_least else ' '}{committee.meetings_per_year} 次"
            )
        if committee.min_civil_representatives is not None:
            parts.append(f"民間代表至少 {committee.min_civil_representatives} 人")
        if committee.agency_representatives is not None:
            parts.append(f"機關代表 {committee.agency_representatives} 人")
        if committee.reviews_plan_yearly:
            parts.append("每年年底檢視執行成果及修正行動方案")
        lines.append("諮詢小組：" + "，".join(parts))
    if rules.working_group.stated and rules.working_group.meetings_per_year is not None:
        lines.append(f"工作小組：每年 {rules.working_group.meetings_per_year} 次")
    if rules.quality.stated:
        quality = rules.quality
        lines.append(
            f"品質檢核：各機關{CADENCE_LABELS[quality.self_check]}自行檢核"
            + (f"，資訊中心{CADENCE_LABELS[quality.spot_check]}抽檢" if quality.spot_check else "")
        )
    if rules.evaluation.stated:
        evaluation = rules.evaluation
        lines.append(
            f"績效評估：{CADENCE_LABELS[evaluation.cadence]}"
            + (f"，前 {evaluation.award_top_n} 名建議敘獎" if evaluation.award_top_n else "")
            + (
                "，未達目標須提限期改善或說明報告"
                if evaluation.improvement_report_below_target
                else ""
            )
        )
    return lines


def render_version(document: dict[str, Any]) -> str:
    """The whole version as text: organisations, targets, schedule, rules, KPIs."""
    names = _Names(document)
    plan = document.get("plan", {})
    lines = [f"{plan.get('name', '')} · {document['label']}"]
    if document.get("title"):
        lines.append(document["title"])
    stated = "" if document.get("adopted_on_stated", True) else "（日期未載明，僅供排序）"
    lines.append(f"adopted on {document['adopted_on']}{stated}")
    lines += ["", "Organisations (機關)"]
    lines += table(
        ["key", "name", "kind", "agency code", "parent"],
        [
            [o["key"], o["name"], o["kind"], o.get("agency_code", "") or "—", o.get("parent", "")]
            for o in document.get("organisations", [])
        ],
    )
    if document.get("targets"):
        lines += ["", "Targets (目標值)"]
        rows = []
        for target in document["targets"]:
            year = str(target.get("year", "每年"))
            scope = "含所屬機關" if target.get("covers_subtree") else ""
            for key, value in target["values"].items():
                rows.append([target["measure"], year, scope, names([key]), str(value)])
        lines += table(["measure", "year", "scope", "organisation", "value"], rows)
        for target in document["targets"]:
            if target["measure"] == "datasets_total":
                lines.append(
                    f"  {target.get('year', '每年')} 合計 {sum(target['values'].values())}"
                )
    if document.get("schedule"):
        lines += ["", "Schedule (工作時程分工表)"]
        rows = []
        for item in document["schedule"]:
            lead = item.get("lead_as_written") or names(item["lead"])
            cooperating = item.get("cooperating_as_written") or names(item.get("cooperating", []))
            rows.append(
                [item["code"], item["title"], *quarter_cells(item), lead, cooperating or "—"]
            )
        lines += table(["item", "title", "Q1", "Q2", "Q3", "Q4", "lead", "cooperating"], rows)
    lines += ["", "Rules (規定)"]
    lines += [f"- {line}" for line in render_rules(rules_from_document(document))]
    if document.get("kpis"):
        lines += ["", "KPIs (績效指標)"]
        for kpi in document["kpis"]:
            lines.append(
                f"- {kpi['code']}: {kpi['name']} [{kpi.get('unit', 'count')}, weight "
                f"{_value(kpi.get('weight', 1))}, "
                f"{CADENCE_LABELS.get(kpi.get('evaluation_period', ''), '—')}]"
            )
            if kpi.get("formula"):
                lines.append(f"    formula: {kpi['formula']}")
            if kpi.get("bonus_rule"):
                lines.append(f"    bonus: {kpi['bonus_rule']}")
            if kpi.get("targets"):
                lines.append(
                    "    targets: "
                    + "、".join(f"{names([k])} {_value(v)}" for k, v in kpi["targets"].items())
                )
    return "\n".join(lines) + "\n"


def render_comparison(rows: list[AmendmentRow]) -> str:
    """The amendment comparison table as text blocks: 修正內容 / 現行內容 / 說明."""
    if not rows:
        return "No differences.\n"
    blocks = []
    for row in rows:
        blocks.append(
            f"[{row.section}] {row.key}\n"
            f"  修正內容：{row.amended or '（刪除）'}\n"
            f"  現行內容：{row.current or '（新增）'}\n"
            f"  說明：{row.explanation}"
        )
    return "\n\n".join(blocks) + "\n"
