"""Every state change of a dataset: drafting, the review chain, publishing, edits, withdrawal.

Each public function is one step: it opens a transaction, locks the dataset row, checks the
person's role (`scope.require`) and the current status against `workflow.ALLOWED`, makes the
change, writes one audit event (who, from → to, comment, metadata diff) and e-mails whoever
must act next. Pages, the JSON API and the publishing outbox all call these same functions:
`from steward.datasets import services; services.approve_unit_review(dataset, by=person)`.

The chain (MOEA 柒四/五, DGBAS 伍三/伍五/捌二):
liaison drafts → unit review 初審 → centre review 複審 → committee 諮詢小組 → CIO 核定 →
scheduled on the plan's date → published (登載); a rejection anywhere returns it to the liaison.
"""

from steward.datasets.errors import (
    DatasetError,
    MetadataIncomplete,
    StaleStep,
    TransitionNotAllowed,
)
from steward.datasets.services._common import at_stage
from steward.datasets.services.drafting import (
    create_and_submit,
    create_dataset,
    import_published,
    update_dataset,
)
from steward.datasets.services.harvesting import update_from_source
from steward.datasets.services.importing import (
    PublishedImport,
    PublishedRecord,
    import_published_many,
)
from steward.datasets.services.publishing import (
    approve_edit,
    discard_edit,
    mark_published,
    propose_edit,
    return_refused_publication,
    schedule_publication,
)
from steward.datasets.services.review import (
    approve,
    approve_by_cio,
    approve_centre_review,
    approve_unit_review,
    record_committee_decision,
    record_meeting,
    reject,
    submit_for_review,
)
from steward.datasets.services.withdrawal import (
    approve_withdrawal,
    default_notice,
    publish_withdrawal_notice,
    record_withdrawal_discussion,
    refuse_withdrawal,
    request_withdrawal,
)

__all__ = [
    "DatasetError",
    "MetadataIncomplete",
    "PublishedImport",
    "PublishedRecord",
    "StaleStep",
    "TransitionNotAllowed",
    "approve",
    "approve_by_cio",
    "approve_centre_review",
    "approve_edit",
    "approve_unit_review",
    "approve_withdrawal",
    "at_stage",
    "create_and_submit",
    "create_dataset",
    "default_notice",
    "discard_edit",
    "import_published",
    "import_published_many",
    "mark_published",
    "propose_edit",
    "publish_withdrawal_notice",
    "record_committee_decision",
    "record_meeting",
    "record_withdrawal_discussion",
    "refuse_withdrawal",
    "reject",
    "request_withdrawal",
    "return_refused_publication",
    "schedule_publication",
    "submit_for_review",
    "update_dataset",
    "update_from_source",
]
