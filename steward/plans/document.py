"""Typed, read-only views of a plan version's rules, for the apps that follow them.

    from steward.plans.document import rules_for, rules_for_organisation
    rules = rules_for(version)
    rules.feedback.limit_days           # 7 (MOJ), 6 (MOL)
    rules.feedback.cio_approves_replies # True at MOJ (資訊長核准)
    rules.review_stage("unit_review")   # the 初審 stage, or None
    rules.committee.min_civil_representatives
    rules.inventory.shortfall_requires_reason

Every rule has `stated`: False when the plan says nothing about it and the
documented default below applies. Nothing here touches the database except
the two lookup helpers at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from steward.organisations.models import Organisation
    from steward.plans.models import PlanVersion

# How many times a year each cadence happens (None: not a fixed number).
CADENCE_TIMES_PER_YEAR: dict[str, int | None] = {
    "continuous": None,
    "monthly": 12,
    "quarterly": 4,
    "half_yearly": 2,
    "yearly": 1,
    "as_scheduled": None,
    "as_needed": None,
}

CADENCE_LABELS: dict[str, str] = {
    "continuous": "持續",
    "monthly": "每月",
    "quarterly": "每季",
    "half_yearly": "每半年",
    "yearly": "每年",
    "as_scheduled": "依工作時程分工表",
    "as_needed": "視需要",
}


@dataclass(frozen=True)
class DeadlineRule:
    """What happens to a deadline that falls on a day off (如遇假日則往前推至上班日)."""

    move_to_previous_working_day: bool = True
    as_written: str = ""
    stated: bool = False


@dataclass(frozen=True)
class FeedbackRule:
    """The response limit for public feedback (民眾意見回應時限)."""

    limit_days: int = 7
    day_kind: str = "calendar"  # "calendar" or "working" days
    cio_approves_replies: bool = False  # 經機關資訊長核准 (MOJ)
    on_time_share_target: Decimal | None = None  # e.g. 95 (%) at MOL
    as_written: str = ""
    stated: bool = False

    @property
    def counts_working_days(self) -> bool:
        return self.day_kind == "working"


@dataclass(frozen=True)
class InventoryRule:
    """The inventory (盤點) cadence, who approves it, and what a shortfall requires."""

    cadence: str = "yearly"
    approved_by: str = "cio"
    shortfall_requires_reason: bool = False  # 未能達預計目標值者，請敍明理由
    # The submission chain in order: agency_approval (the agency's own CIO, MOEA 經內部資訊長
    # 核定), compilation (資訊中心彙整), approval (the ministry's CIO).
    stages: tuple[str, ...] = ("compilation", "approval")
    as_written: str = ""
    stated: bool = False

    @property
    def agency_approval_first(self) -> bool:
        """Does the agency's own CIO approve the return before the centre compiles it?"""
        return "agency_approval" in self.stages


@dataclass(frozen=True)
class ReviewStage:
    """One stage of the review chain: 初審 (unit_review), 複審 (centre_review), 諮詢小組 (committee), 核定 (approval)."""

    key: str
    name: str
    role: str
    cadence: str = "as_scheduled"
    as_written: str = ""


@dataclass(frozen=True)
class PublishedEditRule:
    """Who approves an edit to a published dataset (DGBAS: the unit reviewer alone)."""

    approved_by: str = "unit_reviewer"
    as_written: str = ""
    stated: bool = False


@dataclass(frozen=True)
class WithdrawalRule:
    """Stopping an open dataset (停止提供)."""

    requires_reason: bool = True
    committee_discussion: bool = True
    approved_by: str = "head_of_agency"
    public_notice: bool = True
    may_become: tuple[str, ...] = ("on_request", "not_provided")
    as_written: str = ""
    stated: bool = False


@dataclass(frozen=True)
class NotProvidedRule:
    """A classification as not provided (不予提供): DGBAS 捌一 「應提諮詢小組會議討論後，得敘明理由經
    機關首長核可後不予提供」. Unstated: no committee discussion, the inventory's chain approves."""

    committee_discussion: bool = False
    approved_by: str = ""  # head_of_agency | cio; "" when the plan names nobody
    as_written: str = ""
    stated: bool = False


@dataclass(frozen=True)
class CommitteeRule:
    """The advisory committee (諮詢小組)."""

    meetings_per_year: int | None = None
    meetings_at_least: bool = False
    min_civil_representatives: int | None = None
    agency_representatives: int | None = None
    reviews_plan_yearly: bool = False
    as_written: str = ""
    stated: bool = False


@dataclass(frozen=True)
class WorkingGroupRule:
    """The agency-level working group (工作小組), MOL."""

    meetings_per_year: int | None = None
    as_written: str = ""
    stated: bool = False


@dataclass(frozen=True)
class QualityRule:
    """Quality checks: agency self-check (2-1) and information-centre spot check (2-2)."""

    self_check: str = "quarterly"
    spot_check: str | None = None
    as_written: str = ""
    stated: bool = False

    @property
    def self_checks_per_year(self) -> int | None:
        return CADENCE_TIMES_PER_YEAR[self.self_check]


@dataclass(frozen=True)
class EvaluationRule:
    """Performance evaluation (績效評估/考核), awards (敘獎) and improvement reports."""

    cadence: str = "yearly"
    award_top_n: int | None = None
    improvement_report_below_target: bool = False
    as_written: str = ""
    stated: bool = False


@dataclass(frozen=True)
class Rules:
    """Every rule of one plan version."""

    deadlines: DeadlineRule = field(default_factory=DeadlineRule)
    feedback: FeedbackRule = field(default_factory=FeedbackRule)
    inventory: InventoryRule = field(default_factory=InventoryRule)
    review_stages: tuple[ReviewStage, ...] = ()
    published_edits: PublishedEditRule = field(default_factory=PublishedEditRule)
    withdrawal: WithdrawalRule = field(default_factory=WithdrawalRule)
    not_provided: NotProvidedRule = field(default_factory=NotProvidedRule)
    committee: CommitteeRule = field(default_factory=CommitteeRule)
    working_group: WorkingGroupRule = field(default_factory=WorkingGroupRule)
    quality: QualityRule = field(default_factory=QualityRule)
    evaluation: EvaluationRule = field(default_factory=EvaluationRule)

    def review_stage(self, key: str) -> ReviewStage | None:
        """The stage `key` (unit_review, centre_review, committee, approval) if the plan has it."""
        return next((stage for stage in self.review_stages if stage.key == key), None)


def _rule(cls: type[Any], raw: dict[str, Any] | None) -> Any:
    if raw is None:
        return cls()
    values = dict(raw)
    if "may_become" in values:
        values["may_become"] = tuple(values["may_become"])
    if "stages" in values:
        values["stages"] = tuple(values["stages"])
    if "on_time_share_target" in values:
        values["on_time_share_target"] = Decimal(str(values["on_time_share_target"]))
    return cls(**values, stated=True)


def rules_from_document(document: dict[str, Any]) -> Rules:
    """The rules of a resolved version document (as stored in PlanVersion.document)."""
    raw = document.get("rules", {})
    return Rules(
        deadlines=_rule(DeadlineRule, raw.get("deadlines")),
        feedback=_rule(FeedbackRule, raw.get("feedback")),
        inventory=_rule(InventoryRule, raw.get("inventory")),
        review_stages=tuple(ReviewStage(**stage) for stage in raw.get("review_stages", [])),
        published_edits=_rule(PublishedEditRule, raw.get("published_edits")),
        withdrawal=_rule(WithdrawalRule, raw.get("withdrawal")),
        not_provided=_rule(NotProvidedRule, raw.get("not_provided")),
        committee=_rule(CommitteeRule, raw.get("committee")),
        working_group=_rule(WorkingGroupRule, raw.get("working_group")),
        quality=_rule(QualityRule, raw.get("quality")),
        evaluation=_rule(EvaluationRule, raw.get("evaluation")),
    )


def rules_for(version: PlanVersion) -> Rules:
    """The rules of `version`."""
    return rules_from_document(version.document)


def current_version_for(organisation: Organisation) -> PlanVersion | None:
    """The current version of the plan of `organisation`'s ministry, if one is installed."""
    from steward.plans.models import PlanVersion

    return (
        PlanVersion.objects.filter(plan__ministry=organisation.ministry)
        .order_by("-adopted_on", "-pk")
        .first()
    )


def rules_for_organisation(organisation: Organisation) -> Rules:
    """The rules that apply to `organisation` now; defaults when its ministry has no plan."""
    version = current_version_for(organisation)
    return rules_for(version) if version is not None else Rules()
