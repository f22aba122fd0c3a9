"""The amendment comparison table (修正對照表) between two plan versions: a pure function.

Rows follow the seeds' own layout: 修正內容 (the new text), 現行內容 (the text
in force) and 說明 (what changed, generated, e.g. "1-6 完成期限由 3/25、6/25、
9/25、12/25 改為 4/30、10/31"). One row per schedule item, rule, target or KPI
that differs. The generated text is in the plan's language (Chinese), like
the document it reproduces.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from steward.plans.document import CADENCE_LABELS

if TYPE_CHECKING:
    from steward.plans.models import PlanVersion

PERIOD_LABELS = {
    "Q1": "第一季",
    "Q2": "第二季",
    "Q3": "第三季",
    "Q4": "第四季",
    "H1": "上半年",
    "H2": "下半年",
    "Y": "全年",
}

ROLE_LABELS = {
    "liaison": "資料開放聯絡人",
    "unit_reviewer": "資料審查者",
    "information_centre": "資訊中心",
    "cio": "資訊長",
    "head_of_agency": "機關首長",
    "committee_member": "諮詢小組",
    "auditor": "稽核",
    "working_group": "工作小組",
}

MEASURE_LABELS = {
    "datasets_total": "資料集總數量",
    "datasets_new": "新增開放項數",
}

RULE_LABELS = {
    "deadlines": "完成期限遇假日",
    "feedback": "民眾意見回應",
    "inventory": "資料盤點",
    "published_edits": "已開放資料集修改",
    "withdrawal": "停止提供",
    "not_provided": "不予提供",
    "committee": "諮詢小組",
    "working_group": "工作小組",
    "quality": "品質檢核",
    "evaluation": "績效評估",
}

FIELD_LABELS = {
    "move_to_previous_working_day": "往前推至上班日",
    "limit_days": "回應時限（日）",
    "day_kind": "日數計算",
    "cio_approves_replies": "回應經資訊長核准",
    "on_time_share_target": "時限內回復比率目標（%）",
    "cadence": "頻率",
    "approved_by": "核定者",
    "shortfall_requires_reason": "未達預計目標值須敘明理由",
    "requires_reason": "須敘明理由",
    "committee_discussion": "提諮詢小組討論",
    "public_notice": "於平臺公告",
    "may_become": "得轉為",
    "meetings_per_year": "每年開會次數",
    "meetings_at_least": "開會次數為下限",
    "min_civil_representatives": "民間代表至少人數",
    "agency_representatives": "機關代表人數",
    "reviews_plan_yearly": "每年檢視修正行動方案",
    "self_check": "各機關自行檢核頻率",
    "spot_check": "資訊中心抽檢頻率",
    "award_top_n": "敘獎名額",
    "improvement_report_below_target": "未達目標須提改善或說明報告",
    "name": "名稱",
    "role": "辦理者",
}

DAY_KIND_LABELS = {"calendar": "日曆天", "working": "工作天"}
BECOME_LABELS = {"on_request": "依申請提供", "not_provided": "不予提供"}


@dataclass(frozen=True)
class AmendmentRow:
    """One row of the amendment comparison table (修正對照表)."""

    section: str  # schedule, rules, targets, kpis, version
    key: str  # e.g. "1-6", "committee", "datasets_total 2016"
    amended: str  # 修正內容
    current: str  # 現行內容
    explanation: str  # 說明


def compare_versions(old: PlanVersion, new: PlanVersion) -> list[AmendmentRow]:
    """The amendment comparison table from `old` (現行) to `new` (修正)."""
    return compare_documents(old.document, new.document)


def _value(value: Any, field: str = "") -> str:
    if value is None or value == "":
        return "（未載明）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if field in ("cadence", "self_check", "spot_check") and value in CADENCE_LABELS:
        return CADENCE_LABELS[value]
    if field in ("approved_by", "role") and value in ROLE_LABELS:
        return ROLE_LABELS[value]
    if field == "day_kind":
        return DAY_KIND_LABELS.get(value, value)
    if field == "may_become":
        return "、".join(BECOME_LABELS.get(item, item) for item in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class _Names:
    """Organisation keys → names, from both documents."""

    def __init__(self, *documents: dict[str, Any]) -> None:
        self.names: dict[str, str] = {}
        for document in documents:
            for organisation in document.get("organisations", []):
                self.names.setdefault(organisation["key"], organisation["name"])
        self.names.update(
            {"*all": "本部及各機關(構)", "*agencies": "各機關(構)", "*units": "各單位"}
        )

    def __call__(self, keys: list[str]) -> str:
        return "、".join(self.names.get(key, key) for key in keys)


def deadline_dates(item: dict[str, Any]) -> str:
    """The item's deadlines as the seeds write them: "3/25、6/25、9/25、12/25"."""
    if item.get("deadlines"):
        return "、".join(d.get("label") or d["date"] for d in item["deadlines"])
    if item.get("continuous"):
        return item.get("continuous_label") or "持續辦理"
    if item.get("months"):
        return "、".join(f"{month}月" for month in item["months"])
    return "（未載明）"


def render_schedule_item(item: dict[str, Any], names: _Names) -> str:
    """One schedule item as a line of text: code, title, deadlines, lead, cooperating."""
    if item.get("deadlines"):
        when = "、".join(
            f"{PERIOD_LABELS[d['period']]} {d.get('label') or d['date']}" for d in item["deadlines"]
        )
    else:
        when = deadline_dates(item)
    lead = item.get("lead_as_written") or names(item["lead"])
    text = f"{item['code']}{item['title']}；完成期限：{when}；主辦：{lead}"
    if item.get("cooperating"):
        cooperating = item.get("cooperating_as_written") or names(item["cooperating"])
        text += f"；配合：{cooperating}"
    return text


def _schedule_rows(old: dict[str, Any], new: dict[str, Any], names: _Names) -> list[AmendmentRow]:
    rows: list[AmendmentRow] = []
    old_items = {item["code"]: item for item in old.get("schedule", [])}
    new_items = {item["code"]: item for item in new.get("schedule", [])}
    codes = list(new_items) + [code for code in old_items if code not in new_items]
    for code in codes:
        before, after = old_items.get(code), new_items.get(code)
        if before == after:
            continue
        if before is None:
            assert after is not None
            rows.append(
                AmendmentRow(
                    "schedule", code, render_schedule_item(after, names), "", f"新增 {code}。"
                )
            )
            continue
        if after is None:
            rows.append(
                AmendmentRow(
                    "schedule", code, "", render_schedule_item(before, names), f"刪除 {code}。"
                )
            )
            continue
        reasons: list[str] = []
        if before["title"] != after["title"]:
            reasons.append(f"{code} 工作項目由「{before['title']}」改為「{after['title']}」")
        if deadline_dates(before) != deadline_dates(after):
            reasons.append(
                f"{code} 完成期限由 {deadline_dates(before)} 改為 {deadline_dates(after)}"
            )
        elif before.get("deadlines") != after.get("deadlines"):
            reasons.append(f"{code} 完成期限所屬期別調整")
        for key, label in (("lead", "主辦單位"), ("cooperating", "配合單位")):
            if before.get(key, []) != after.get(key, []):
                reasons.append(
                    f"{code} {label}由 {names(before.get(key, [])) or '（無）'} "
                    f"改為 {names(after.get(key, [])) or '（無）'}"
                )
        if before.get("move_to_previous_working_day") != after.get("move_to_previous_working_day"):
            reasons.append(f"{code} 遇假日往前推至上班日之規定調整")
        if not reasons:
            reasons.append(f"{code} 其他內容修正")
        rows.append(
            AmendmentRow(
                "schedule",
                code,
                render_schedule_item(after, names),
                render_schedule_item(before, names),
                "；".join(reasons) + "。",
            )
        )
    return rows


def _render_rule(rule: dict[str, Any] | None) -> str:
    if not rule:
        return "（未載明）"
    if rule.get("as_written"):
        return str(rule["as_written"])
    return "；".join(
        f"{FIELD_LABELS.get(field, field)}：{_value(value, field)}"
        for field, value in rule.items()
        if field != "key"
    )


def _field_changes(before: dict[str, Any], after: dict[str, Any], prefix: str) -> list[str]:
    changes = []
    for field in list(after) + [f for f in before if f not in after]:
        if field == "as_written" or before.get(field) == after.get(field):
            continue
        changes.append(
            f"{prefix}{FIELD_LABELS.get(field, field)}，由 {_value(before.get(field), field)} "
            f"改為 {_value(after.get(field), field)}"
        )
    return changes


def _rule_rows(old: dict[str, Any], new: dict[str, Any]) -> list[AmendmentRow]:
    rows: list[AmendmentRow] = []
    old_rules, new_rules = old.get("rules", {}), new.get("rules", {})
    for rule, label in RULE_LABELS.items():
        before, after = old_rules.get(rule) or {}, new_rules.get(rule) or {}
        if before == after:
            continue
        changes = _field_changes(before, after, f"{label}：")
        if not changes:
            changes = [f"{label}：文字修正"]
        rows.append(
            AmendmentRow(
                "rules", rule, _render_rule(after), _render_rule(before), "；".join(changes) + "。"
            )
        )
    old_stages = {s["key"]: s for s in old_rules.get("review_stages", [])}
    new_stages = {s["key"]: s for s in new_rules.get("review_stages", [])}
    for key in list(new_stages) + [k for k in old_stages if k not in new_stages]:
        before_stage, after_stage = old_stages.get(key), new_stages.get(key)
        if before_stage == after_stage:
            continue
        name = (after_stage or before_stage or {}).get("name", key)
        if before_stage is None:
            explanation = f"新增審查階段「{name}」"
        elif after_stage is None:
            explanation = f"刪除審查階段「{name}」"
        else:
            explanation = "；".join(_field_changes(before_stage, after_stage, f"{name}：")) or (
                f"{name}：文字修正"
            )
        rows.append(
            AmendmentRow(
                "rules",
                f"review_stages.{key}",
                _render_rule(after_stage),
                _render_rule(before_stage),
                explanation + "。",
            )
        )
    return rows


def _target_key(target: dict[str, Any]) -> str:
    year = target.get("year", "每年")
    scope = "（含所屬機關）" if target.get("covers_subtree") else ""
    return f"{MEASURE_LABELS[target['measure']]} {year}{scope}"


def _target_rows(old: dict[str, Any], new: dict[str, Any], names: _Names) -> list[AmendmentRow]:
    rows: list[AmendmentRow] = []
    before_all = {_target_key(t): t["values"] for t in old.get("targets", [])}
    after_all = {_target_key(t): t["values"] for t in new.get("targets", [])}

    def render(values: dict[str, int] | None) -> str:
        if not values:
            return ""
        return "、".join(f"{names([key])} {value}" for key, value in values.items())

    for key in list(after_all) + [k for k in before_all if k not in after_all]:
        before, after = before_all.get(key), after_all.get(key)
        if before == after:
            continue
        if before is None:
            explanation = f"新增目標值：{key}"
        elif after is None:
            explanation = f"刪除目標值：{key}"
        else:
            explanation = "；".join(
                f"{names([org])} {key} 由 {before.get(org, '（無）')} 改為 {after.get(org, '（無）')}"
                for org in list(after) + [o for o in before if o not in after]
                if before.get(org) != after.get(org)
            )
        rows.append(AmendmentRow("targets", key, render(after), render(before), explanation + "。"))
    return rows


def _render_kpi(kpi: dict[str, Any] | None, names: _Names) -> str:
    if kpi is None:
        return ""
    text = kpi["name"]
    if kpi.get("formula"):
        text += f"；{kpi['formula']}"
    if kpi.get("targets"):
        text += "；目標值：" + "、".join(
            f"{names([key])} {_value(value)}" for key, value in kpi["targets"].items()
        )
    return text


def _kpi_rows(old: dict[str, Any], new: dict[str, Any], names: _Names) -> list[AmendmentRow]:
    rows: list[AmendmentRow] = []
    before_all = {k["code"]: k for k in old.get("kpis", [])}
    after_all = {k["code"]: k for k in new.get("kpis", [])}
    for code in list(after_all) + [c for c in before_all if c not in after_all]:
        before, after = before_all.get(code), after_all.get(code)
        if before == after:
            continue
        name = (after or before or {}).get("name", code)
        if before is None:
            explanation = f"新增績效指標「{name}」"
        elif after is None:
            explanation = f"刪除績效指標「{name}」"
        else:
            parts = [
                label
                for field, label in (
                    ("name", "名稱"),
                    ("formula", "計算方式"),
                    ("targets", "目標值"),
                    ("weight", "權重"),
                    ("bonus_rule", "加分規定"),
                    ("evaluation_period", "評估時間"),
                )
                if before.get(field) != after.get(field)
            ]
            explanation = f"績效指標「{name}」修正" + ("、".join(parts) if parts else "內容")
        rows.append(
            AmendmentRow(
                "kpis",
                code,
                _render_kpi(after, names),
                _render_kpi(before, names),
                explanation + "。",
            )
        )
    return rows


def compare_documents(old: dict[str, Any], new: dict[str, Any]) -> list[AmendmentRow]:
    """The amendment comparison table between two resolved version documents."""
    names = _Names(new, old)
    return [
        *_rule_rows(old, new),
        *_schedule_rows(old, new, names),
        *_target_rows(old, new, names),
        *_kpi_rows(old, new, names),
    ]
