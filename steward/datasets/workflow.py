"""The review chain of a dataset as data: statuses, allowed transitions, stages from the plan.

Statuses live here and nowhere else. `ALLOWED` is the explicit table every service consults;
`review_stages()` is the one place that asks the action plan which review stages (初審 / 複審 /
諮詢小組 / 資訊長核定) apply, so a plan without a committee stage simply skips it;
`edit_approval_action()` and `withdrawal_stages()` read the plan's rules on edits of published
datasets and on withdrawal (停止提供) the same way, and `stage_action()` says who acts where.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from steward.organisations.scope import Action

if TYPE_CHECKING:
    from steward.organisations.models import Organisation, Person


class Status(models.TextChoices):
    """Where a dataset (資料集) stands in the review chain, publishing and withdrawal (停止提供)."""

    DRAFT = "draft", _("Draft")
    UNIT_REVIEW = "unit_review", _("Awaiting unit review")
    CENTRE_REVIEW = "centre_review", _("Awaiting information-centre review")
    COMMITTEE = "committee", _("Awaiting advisory committee")
    CIO_APPROVAL = "cio_approval", _("Awaiting CIO approval")
    APPROVED = "approved", _("Approved, to be scheduled")
    SCHEDULED = "scheduled", _("Scheduled for publishing")
    PUBLISHED = "published", _("Published")
    RETURNED = "returned", _("Returned for correction")
    EDIT_REVIEW = "edit_review", _("Edit awaiting review")
    EDIT_RETURNED = "edit_returned", _("Edit returned for correction")
    WITHDRAWAL_REQUESTED = "withdrawal_requested", _("Withdrawal: awaiting committee discussion")
    WITHDRAWAL_APPROVAL = "withdrawal_approval", _("Withdrawal: awaiting approval")
    WITHDRAWAL_NOTICE = "withdrawal_notice", _("Withdrawal: awaiting public notice")
    WITHDRAWN = "withdrawn", _("Withdrawn")


S = Status

#: The review stages in the order the seeds give them (MOEA 柒四/五): 初審 → 複審 → 諮詢小組 → 核定.
ALL_REVIEW_STAGES: tuple[Status, ...] = (
    S.UNIT_REVIEW,
    S.CENTRE_REVIEW,
    S.COMMITTEE,
    S.CIO_APPROVAL,
)
DEFAULT_REVIEW_STAGES = ALL_REVIEW_STAGES

#: The action a person needs to move a dataset on from each stage (approve or reject it there).
#: For an edit under review and a withdrawal awaiting approval this is the default; the plan
#: may name another approver, so ask `stage_action()`.
STAGE_ACTION: dict[Status, Action] = {
    S.UNIT_REVIEW: Action.DATASET_UNIT_REVIEW,
    S.CENTRE_REVIEW: Action.DATASET_CENTRE_REVIEW,
    S.COMMITTEE: Action.DATASET_COMMITTEE_DECISION,
    S.CIO_APPROVAL: Action.DATASET_APPROVE,
    S.APPROVED: Action.DATASET_PUBLISH,
    S.SCHEDULED: Action.DATASET_PUBLISH,
    S.DRAFT: Action.DATASET_DRAFT,
    S.RETURNED: Action.DATASET_DRAFT,
    S.PUBLISHED: Action.DATASET_DRAFT,
    S.EDIT_REVIEW: Action.DATASET_UNIT_REVIEW,
    S.EDIT_RETURNED: Action.DATASET_DRAFT,
    S.WITHDRAWAL_REQUESTED: Action.DATASET_COMMITTEE_DECISION,
    S.WITHDRAWAL_APPROVAL: Action.WITHDRAWAL_APPROVE,
    S.WITHDRAWAL_NOTICE: Action.DATASET_PUBLISH,
}

_STAGES_AFTER_DRAFT = frozenset(ALL_REVIEW_STAGES)

#: Every allowed move. Skip edges (e.g. centre_review → cio_approval) exist for plans whose
#: review chain lacks a stage; which one is taken is decided by `next_stage()`.
ALLOWED: dict[Status, frozenset[Status]] = {
    S.DRAFT: _STAGES_AFTER_DRAFT,
    S.RETURNED: frozenset({S.DRAFT} | _STAGES_AFTER_DRAFT),
    S.UNIT_REVIEW: frozenset(
        {S.CENTRE_REVIEW, S.COMMITTEE, S.CIO_APPROVAL, S.APPROVED, S.RETURNED}
    ),
    S.CENTRE_REVIEW: frozenset({S.COMMITTEE, S.CIO_APPROVAL, S.APPROVED, S.RETURNED}),
    S.COMMITTEE: frozenset({S.CIO_APPROVAL, S.APPROVED, S.RETURNED}),
    S.CIO_APPROVAL: frozenset({S.APPROVED, S.RETURNED}),
    S.APPROVED: frozenset({S.SCHEDULED}),
    # Back to the liaison when the portal refuses the metadata for good (a new dataset goes
    # through the chain again, an edit back to its edit review).
    S.SCHEDULED: frozenset({S.SCHEDULED, S.PUBLISHED, S.RETURNED, S.EDIT_RETURNED}),
    # An edit goes to its review, or straight to re-publishing when the plan needs none; a
    # withdrawal starts at the first stage the plan requires (`withdrawal_stages()`).
    S.PUBLISHED: frozenset(
        {
            S.EDIT_REVIEW,
            S.SCHEDULED,
            S.WITHDRAWAL_REQUESTED,
            S.WITHDRAWAL_APPROVAL,
            S.WITHDRAWAL_NOTICE,
        }
    ),
    S.EDIT_REVIEW: frozenset({S.SCHEDULED, S.EDIT_RETURNED}),
    S.EDIT_RETURNED: frozenset({S.EDIT_REVIEW, S.SCHEDULED, S.PUBLISHED}),
    S.WITHDRAWAL_REQUESTED: frozenset(
        {S.WITHDRAWAL_APPROVAL, S.WITHDRAWAL_NOTICE, S.WITHDRAWN, S.PUBLISHED}
    ),
    S.WITHDRAWAL_APPROVAL: frozenset({S.WITHDRAWAL_NOTICE, S.WITHDRAWN, S.PUBLISHED}),
    S.WITHDRAWAL_NOTICE: frozenset({S.WITHDRAWN}),
    S.WITHDRAWN: frozenset(),
}

#: Statuses whose metadata the liaison may change in place (as a draft).
EDITABLE = frozenset({S.DRAFT, S.RETURNED})
#: Where a dataset waiting on somebody is worked on in its form (a draft, or returned for
#: correction), not on its review page: where "my work" opens it.
IN_THE_FORM = frozenset({S.DRAFT, S.RETURNED, S.EDIT_RETURNED})
#: Statuses in which the dataset is on the national portal (counts as open).
ON_PORTAL = frozenset(
    {
        S.PUBLISHED,
        S.EDIT_REVIEW,
        S.EDIT_RETURNED,
        S.WITHDRAWAL_REQUESTED,
        S.WITHDRAWAL_APPROVAL,
        S.WITHDRAWAL_NOTICE,
    }
)
#: Statuses that are somebody's review work (shown on the review page).
IN_REVIEW = frozenset(ALL_REVIEW_STAGES) | {S.EDIT_REVIEW}
WITHDRAWAL_STAGES = frozenset({S.WITHDRAWAL_REQUESTED, S.WITHDRAWAL_APPROVAL, S.WITHDRAWAL_NOTICE})


def allowed(from_status: str, to_status: str) -> bool:
    """May a dataset move from `from_status` to `to_status` at all?"""
    return Status(to_status) in ALLOWED.get(Status(from_status), frozenset())


#: Stage keys the plan files use (steward/plans/document.py ReviewStage.key) → our statuses.
PLAN_STAGE_KEYS: dict[str, Status] = {
    "unit_review": S.UNIT_REVIEW,
    "centre_review": S.CENTRE_REVIEW,
    "committee": S.COMMITTEE,
    "approval": S.CIO_APPROVAL,
    "cio_approval": S.CIO_APPROVAL,
}


def _plan_stage_keys(organisation: Organisation) -> list[str]:
    """The review stage keys the organisation's current action plan lists (maybe none)."""
    from steward.plans.document import rules_for_organisation

    return [stage.key for stage in rules_for_organisation(organisation).review_stages]


def review_stages(organisation: Organisation) -> tuple[Status, ...]:
    """The review stages that apply to a dataset of `organisation`, in the seeds' order.

    The one place that asks the plan. A plan that lists no stage (or no plan at all) gets the
    default chain 初審 → 複審 → 諮詢小組 → 核定; unknown keys are ignored.
    """
    wanted = {
        PLAN_STAGE_KEYS[key] for key in _plan_stage_keys(organisation) if key in PLAN_STAGE_KEYS
    }
    stages = tuple(stage for stage in ALL_REVIEW_STAGES if stage in wanted)
    return stages or DEFAULT_REVIEW_STAGES


#: Plan roles (plans/schema: rules.published_edits.approved_by, rules.withdrawal.approved_by)
#: → the action their holders need to approve. A liaison approving means nobody else does.
APPROVER_ACTIONS: dict[str, Action] = {
    "unit_reviewer": Action.DATASET_UNIT_REVIEW,
    "information_centre": Action.DATASET_CENTRE_REVIEW,
    "cio": Action.DATASET_APPROVE,
    "head_of_agency": Action.WITHDRAWAL_APPROVE,
}


def edit_approval_action(organisation: Organisation) -> Action | None:
    """The action needed to approve an edit of a published dataset of `organisation`.

    The plan's `published_edits.approved_by` (DGBAS 伍五: the unit reviewer alone, also the
    default); None when the plan lets the owning unit edit directly (approved_by = liaison).
    """
    from steward.plans.document import rules_for_organisation

    approver = rules_for_organisation(organisation).published_edits.approved_by
    if approver == "liaison":
        return None
    return APPROVER_ACTIONS.get(approver, STAGE_ACTION[S.EDIT_REVIEW])


#: The withdrawal stages in the seeds' order (DGBAS 捌二): 諮詢小組 → 機關首長 → 公告.
ALL_WITHDRAWAL_STAGES: tuple[Status, ...] = (
    S.WITHDRAWAL_REQUESTED,
    S.WITHDRAWAL_APPROVAL,
    S.WITHDRAWAL_NOTICE,
)


def withdrawal_stages(organisation: Organisation) -> tuple[Status, ...]:
    """The withdrawal stages the plan requires of `organisation`, in order.

    Committee discussion, approval and public notice each as `rules.withdrawal` says
    (default: all three, with the head of agency approving). A committee that approves
    (approved_by = committee_member) is discussion and approval at once.
    """
    from steward.plans.document import rules_for_organisation

    rule = rules_for_organisation(organisation).withdrawal
    committee_approves = rule.approved_by == "committee_member"
    wanted = {
        S.WITHDRAWAL_REQUESTED: rule.committee_discussion or committee_approves,
        S.WITHDRAWAL_APPROVAL: not committee_approves,
        S.WITHDRAWAL_NOTICE: rule.public_notice,
    }
    return tuple(stage for stage in ALL_WITHDRAWAL_STAGES if wanted[stage])


def next_withdrawal_stage(current: Status, stages: Sequence[Status]) -> Status:
    """The status after `current` (published: the request) given the plan's withdrawal stages;
    withdrawn when none is left."""
    position = ALL_WITHDRAWAL_STAGES.index(current) if current in ALL_WITHDRAWAL_STAGES else -1
    later = [stage for stage in stages if ALL_WITHDRAWAL_STAGES.index(stage) > position]
    return later[0] if later else S.WITHDRAWN


def withdrawal_approval_action(organisation: Organisation) -> Action:
    """The action needed to approve a withdrawal (default: the head of agency, 機關首長)."""
    from steward.plans.document import rules_for_organisation

    approver = rules_for_organisation(organisation).withdrawal.approved_by
    return APPROVER_ACTIONS.get(approver, STAGE_ACTION[S.WITHDRAWAL_APPROVAL])


def stage_action(status: Status, organisation: Organisation) -> Action | None:
    """The action a person needs to act on a dataset of `organisation` in `status`, as the plan
    says: the edit's approver, the withdrawal's approver, otherwise `STAGE_ACTION`."""
    if status == S.EDIT_REVIEW:
        # An edit already under review when the plan dropped the review keeps a reviewer.
        return edit_approval_action(organisation) or STAGE_ACTION[S.EDIT_REVIEW]
    if status == S.WITHDRAWAL_APPROVAL:
        return withdrawal_approval_action(organisation)
    return STAGE_ACTION.get(status)


def edit_approver_label(organisation: Organisation) -> str:
    """Who approves an edit of `organisation`'s published datasets, for pages and messages
    (a role's name); empty when the plan needs no approval."""
    from steward.organisations.models import Role
    from steward.plans.document import rules_for_organisation

    approver = rules_for_organisation(organisation).published_edits.approved_by
    if approver == "liaison":
        return ""
    role = Role(approver) if approver in Role.values else Role.UNIT_REVIEWER
    return str(role.label)


def next_stage(current: Status, stages: Sequence[Status]) -> Status:
    """The status after approving `current` (or after submitting a draft) given the chain."""
    if current in (S.DRAFT, S.RETURNED):
        return stages[0]
    later = [stage for stage in stages if ALL_REVIEW_STAGES.index(stage) > _position(current)]
    return later[0] if later else S.APPROVED


def _position(status: Status) -> int:
    return ALL_REVIEW_STAGES.index(status) if status in ALL_REVIEW_STAGES else -1


class Step(models.TextChoices):
    """The steps a person can take on a dataset page; each maps to one service function."""

    EDIT = "edit", _("Edit")
    SUBMIT = "submit", _("Submit for review")
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Return to the liaison")
    COMMITTEE = "committee", _("Record the committee decision")
    APPROVE_EDIT = "approve_edit", _("Approve the edit")
    SCHEDULE = "schedule", _("Schedule publishing")
    PUBLISH = "publish", _("Record as published")
    RETURN_REFUSED = "return_refused", _("Return to the liaison with the portal's reason")
    DISCARD_EDIT = "discard_edit", _("Discard the edit")
    REQUEST_WITHDRAWAL = "request_withdrawal", _("Request withdrawal")
    WITHDRAWAL_DISCUSSION = "withdrawal_discussion", _("Record the committee discussion")
    APPROVE_WITHDRAWAL = "approve_withdrawal", _("Approve the withdrawal")
    REFUSE_WITHDRAWAL = "refuse_withdrawal", _("Keep it open")
    WITHDRAWAL_NOTICE = "withdrawal_notice", _("Publish the withdrawal notice")


#: (step, statuses it starts from, action it needs; None: as the plan says, `stage_action()`).
#: The services check again; this only decides which buttons a page shows and what lands in
#: somebody's work queue.
STEPS: tuple[tuple[Step, frozenset[Status], Action | None], ...] = (
    (
        Step.EDIT,
        frozenset({S.DRAFT, S.RETURNED, S.PUBLISHED, S.EDIT_RETURNED}),
        Action.DATASET_DRAFT,
    ),
    (Step.SUBMIT, EDITABLE, Action.DATASET_DRAFT),
    (Step.APPROVE, frozenset({S.UNIT_REVIEW}), Action.DATASET_UNIT_REVIEW),
    (Step.APPROVE, frozenset({S.CENTRE_REVIEW}), Action.DATASET_CENTRE_REVIEW),
    (Step.APPROVE, frozenset({S.CIO_APPROVAL}), Action.DATASET_APPROVE),
    (Step.COMMITTEE, frozenset({S.COMMITTEE}), Action.DATASET_COMMITTEE_DECISION),
    (Step.APPROVE_EDIT, frozenset({S.EDIT_REVIEW}), None),
    (Step.REJECT, frozenset({S.UNIT_REVIEW}), Action.DATASET_UNIT_REVIEW),
    (Step.REJECT, frozenset({S.EDIT_REVIEW}), None),
    (Step.REJECT, frozenset({S.CENTRE_REVIEW}), Action.DATASET_CENTRE_REVIEW),
    (Step.REJECT, frozenset({S.CIO_APPROVAL}), Action.DATASET_APPROVE),
    (Step.SCHEDULE, frozenset({S.APPROVED, S.SCHEDULED}), Action.DATASET_PUBLISH),
    (Step.PUBLISH, frozenset({S.SCHEDULED}), Action.DATASET_PUBLISH),
    # Only while the portal's refusal is on record (see `portal_refused`).
    (Step.RETURN_REFUSED, frozenset({S.SCHEDULED}), Action.DATASET_PUBLISH),
    (Step.DISCARD_EDIT, frozenset({S.EDIT_RETURNED}), Action.DATASET_DRAFT),
    (Step.REQUEST_WITHDRAWAL, frozenset({S.PUBLISHED}), Action.WITHDRAWAL_REQUEST),
    (
        Step.WITHDRAWAL_DISCUSSION,
        frozenset({S.WITHDRAWAL_REQUESTED}),
        Action.DATASET_COMMITTEE_DECISION,
    ),
    (Step.APPROVE_WITHDRAWAL, frozenset({S.WITHDRAWAL_APPROVAL}), None),
    (Step.REFUSE_WITHDRAWAL, frozenset({S.WITHDRAWAL_APPROVAL}), None),
    (Step.WITHDRAWAL_NOTICE, frozenset({S.WITHDRAWAL_NOTICE}), Action.DATASET_PUBLISH),
)


def available_steps(person: Person, dataset: Any) -> list[Step]:
    """The steps `person` may take on `dataset` now, in the table's order, without repeats."""
    from steward.organisations.scope import can

    steps: list[Step] = []
    for step, statuses, action in STEPS:
        if step in steps or dataset.status not in statuses:
            continue
        if step == Step.RETURN_REFUSED and not portal_refused(dataset):
            continue
        needed = action or stage_action(Status(dataset.status), dataset.organisation)
        if needed is not None and can(person, needed, dataset.organisation):
            steps.append(step)
    return steps


def portal_refused(dataset: Any) -> bool:
    """Has the national portal refused the dataset's metadata for good (a failed outbox row)?"""
    from steward.publishing.services import refused_entry

    return refused_entry(dataset) is not None


def queue_q(person: Person) -> Q:
    """A filter for the datasets that wait for `person` to act (my work, 待辦)."""
    from steward.organisations.scope import scope_q

    waiting: dict[Action, set[Status]] = {}
    plan_decides: set[Status] = set()
    for step, statuses, action in STEPS:
        if step in (Step.EDIT, Step.REQUEST_WITHDRAWAL):
            continue  # a published dataset waits for nobody
        if action is None:
            plan_decides |= statuses
        else:
            waiting.setdefault(action, set()).update(set(statuses))
    # Statuses waiting within the same scope are asked for together (one `status IN (…)` per
    # scope, not one OR branch per action), so the database can use the status index.
    by_scope: dict[Q, set[str]] = {}
    for action, waiting_statuses in waiting.items():
        by_scope.setdefault(scope_q(person, action), set()).update(waiting_statuses)
    # Who acts on an edit or a withdrawal approval depends on each ministry's plan.
    for ministry in _ministries_of(person):
        for status in sorted(plan_decides):
            needed = stage_action(status, ministry)
            if needed is not None:
                in_ministry = Q(organisation__path__startswith=ministry.path)
                by_scope.setdefault(in_ministry & scope_q(person, needed), set()).add(status)
    q = Q(pk__in=[])
    for scope, together in by_scope.items():
        q |= Q(status__in=sorted(together)) & scope
    return q


def _ministries_of(person: Person) -> list[Organisation]:
    """The ministries (roots of the tree) in whose trees `person` may see anything."""
    from steward.organisations.models import Organisation
    from steward.organisations.scope import scope_roots

    if person.is_authenticated and person.is_active and person.is_superuser:
        return list(Organisation.objects.filter(parent__isnull=True))
    ministries = {root.ministry.pk: root.ministry for root in scope_roots(person)}
    return [ministries[pk] for pk in sorted(ministries)]


#: The words of each audit event the datasets' services write (registered with the audit
#: trail in `DatasetsConfig.ready`, so the history page and the audit trail say the same).
EVENT_LABELS = {
    "dataset.create": _("drafted"),
    "dataset.edit": _("edited"),
    "dataset.submit": _("submitted for review"),
    "dataset.approve_unit_review": _("unit review passed (初審)"),
    "dataset.approve_centre_review": _("centre review passed (複審)"),
    "dataset.committee_decision": _("committee decision recorded"),
    "dataset.approve_by_cio": _("approved by the CIO (核定)"),
    "dataset.reject": _("returned to the liaison"),
    "dataset.schedule": _("scheduled for publishing"),
    "dataset.publish": _("published (登載)"),
    "dataset.return_refused": _("refused by the portal, returned to the liaison"),
    "dataset.propose_edit": _("edit proposed"),
    "dataset.approve_edit": _("edit approved"),
    "dataset.discard_edit": _("edit discarded"),
    "dataset.request_withdrawal": _("withdrawal requested"),
    "dataset.withdrawal_discussion": _("committee discussed the withdrawal"),
    "dataset.approve_withdrawal": _("withdrawal approved"),
    "dataset.refuse_withdrawal": _("withdrawal refused"),
    "dataset.withdraw": _("withdrawn, notice published"),
    "dataset.harvest_update": _("updated from another catalogue (harvest)"),
    "dataset.import": _("imported as already published"),
    "dataset.import_catalogue": _("catalogue imported"),
    "committee.meeting": _("committee meeting recorded"),
}


def approve_label(status: Status) -> Any:
    """The approve button's words at `status`: the CIO's approval (核定) ends the chain, every
    other stage passes the dataset on."""
    return _("Approve (核定)") if status == S.CIO_APPROVAL else _("Approve and pass on")
