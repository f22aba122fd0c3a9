"""Drafting (草稿): the liaison creates and edits datasets; imports of published ones."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from steward.audit.services import diff, record
from steward.catalogue.services import refresh_entries
from steward.datasets.errors import DatasetError, TransitionNotAllowed
from steward.datasets.metadata import (
    identifier_for,
    record_of,
    values_from_record,
)
from steward.datasets.models import (
    Dataset,
    DatasetVersion,
    Resource,
)
from steward.datasets.services._common import (
    _check_identifier,
    _finish,
    _lock,
    _save_metadata,
    _snapshot,
    _standard_time,
)
from steward.datasets.services.review import submit_for_review
from steward.datasets.standard import IdentifierError
from steward.datasets.workflow import (
    EDITABLE,
    Status,
)
from steward.organisations.models import Organisation, Person
from steward.organisations.scope import Action, require


def create_dataset(
    *,
    by: Person,
    organisation: Organisation,
    values: Mapping[str, Any],
    resources: Sequence[Mapping[str, Any]] = (),
    identifier: str = "",
) -> Dataset:
    """The liaison drafts a dataset (草稿); its identifier comes from the agency code.

    `identifier` may be given (e.g. a dataset already on the portal); it must be free.
    """
    require(by, Action.DATASET_DRAFT, organisation)
    for attempt in range(3):
        try:
            with transaction.atomic():
                if identifier:
                    chosen = _check_identifier(identifier.strip())
                else:
                    try:
                        chosen = identifier_for(organisation)
                    except IdentifierError as error:
                        raise DatasetError(str(error)) from None
                dataset = Dataset(
                    organisation=organisation,
                    identifier=chosen,
                    created_by=by,
                    status=Status.DRAFT,
                )
                _save_metadata(dataset, values, resources)
                record(
                    actor=by,
                    action="dataset.create",
                    subject=dataset,
                    organisation=organisation,
                    to_state=dataset.status,
                    changes=diff({}, _snapshot(dataset)),
                )
                return dataset
        except IntegrityError:
            # Two liaisons of one agency took the same serial at once: take the next one.
            if identifier or attempt == 2:
                raise ValidationError(
                    {"identifier": [_("That identifier was just taken; please try again.")]}
                ) from None
    raise AssertionError("unreachable")


def create_and_submit(
    *,
    by: Person,
    organisation: Organisation,
    values: Mapping[str, Any],
    resources: Sequence[Mapping[str, Any]] = (),
    comment: str = "",
) -> Dataset:
    """「儲存並送審」 on a new form: draft the dataset and submit it, or do neither.

    The identifier is taken only when the submission succeeds; metadata that breaks the
    standard raises `MetadataIncomplete` and leaves no draft behind, so no serial is used up.
    """
    with transaction.atomic():
        dataset = create_dataset(
            by=by, organisation=organisation, values=values, resources=resources
        )
        return submit_for_review(dataset, by=by, comment=comment)


def update_dataset(
    dataset: Dataset,
    *,
    by: Person,
    values: Mapping[str, Any],
    resources: Sequence[Mapping[str, Any]] | None = None,
    comment: str = "",
) -> Dataset:
    """The liaison edits a draft or a returned dataset (a returned one becomes a draft again).

    Published datasets change through `propose_edit`, which needs the unit reviewer.
    """
    with transaction.atomic():
        current = _lock(dataset)
        require(by, Action.DATASET_DRAFT, current.organisation)
        if current.status not in EDITABLE:
            raise TransitionNotAllowed(
                _("Only a draft or a returned dataset can be edited; this one is “%(status)s”.")
                % {"status": Status(current.status).label}
            )
        before, from_status = _snapshot(current), current.status
        _save_metadata(current, values, resources)
        current.status = Status.DRAFT
        _finish(
            current, by=by, verb="edit", before=before, from_status=from_status, comment=comment
        )
    dataset.refresh_from_db()
    return dataset


def import_published(
    *,
    by: Person | None,
    organisation: Organisation,
    metadata: Mapping[str, Any],
    portal_identifier: str = "",
) -> Dataset:
    """Take in a dataset that is already on the portal (e.g. from the catalogue export).

    It skips the review chain — it was reviewed when first opened — and starts published,
    with the record kept as its published version. The identifier must be free.
    `by=None` is the system (an import job); a person needs the publish action.
    """
    if by is not None:
        require(by, Action.DATASET_PUBLISH, organisation)
    values, resources = values_from_record(metadata)
    with transaction.atomic():
        dataset = Dataset(
            organisation=organisation,
            identifier=_check_identifier(str(metadata.get("identifier") or "").strip()),
            created_by=by,
            status=Status.PUBLISHED,
            portal_identifier=portal_identifier,
        )
        _save_metadata(dataset, values, [])
        for position, data in enumerate(resources):
            resource = Resource(dataset=dataset, position=position)
            for key, value in data.items():
                setattr(resource, key, value or "")
            try:
                resource.full_clean(exclude=["dataset"])
            except ValidationError as error:
                raise ValidationError(
                    {f"distribution[{position}].{k}": v for k, v in error.message_dict.items()}
                ) from None
            resource.save()
        for key in ("issued", "modified"):
            setattr(dataset, key, _standard_time(key, metadata.get(key)))
        dataset.save()
        DatasetVersion.objects.create(
            dataset=dataset,
            number=1,
            metadata=record_of(dataset),
            portal_identifier=portal_identifier,
            published_at=timezone.now(),
            published_by=by,
        )
        refresh_entries([dataset.pk])  # public from now on, as the portal already has it
        record(
            actor=by,
            action="dataset.import",
            subject=dataset,
            organisation=organisation,
            to_state=dataset.status,
            changes=diff({}, _snapshot(dataset)),
        )
    return dataset
