"""Shared machinery of the dataset services: locking, snapshots, the audit-and-notify tail."""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from steward.audit.services import diff, record
from steward.datasets.errors import DatasetError, StaleStep, TransitionNotAllowed
from steward.datasets.metadata import (
    EDITABLE_KEYS,
    EDITABLE_RESOURCE_KEYS,
    flatten,
    record_of,
)
from steward.datasets.models import (
    CommitteeMeeting,
    Dataset,
    DatasetVersion,
    Resource,
)
from steward.datasets.standard import IDENTIFIER_RE, next_resource_id
from steward.datasets.workflow import (
    Status,
    allowed,
)
from steward.lib.notify import notify
from steward.organisations.models import Person
from steward.organisations.scope import Action, people_who_can

WORKFLOW_KEYS = ("status", "scheduled_publish_on", "portal_identifier", "returned_reasons")


# ---------------------------------------------------------------- helpers


def _lock(dataset: Dataset) -> Dataset:
    return Dataset.objects.select_for_update().select_related("organisation").get(pk=dataset.pk)


@contextmanager
def at_stage(dataset: Dataset, stage: str) -> Iterator[Dataset]:
    """Hold the dataset's row locked at `stage`, the status the person saw when choosing a step.

    Every step request (page form and API) names its stage. When the dataset has moved on
    meanwhile, StaleStep says so and nothing changes: a second click on "approve" is refused
    instead of approving the next stage too. The step's service runs inside this block, so no
    other request can move the dataset between the check and the step.
    """
    if stage not in Status.values:
        raise StaleStep(
            _("The request does not say which stage it acts on; reload the page and try again.")
        )
    with transaction.atomic():
        current = _lock(dataset)
        if current.status != stage:
            raise StaleStep(
                _(
                    "This dataset is now “%(status)s”, no longer “%(stage)s” as when you chose "
                    "this step; nothing was changed. Reload the page to see what it needs now."
                )
                % {"status": Status(current.status).label, "stage": Status(stage).label}
            )
        yield current


def _snapshot(dataset: Dataset) -> dict[str, Any]:
    """Metadata (flat) plus the workflow fields, for the audit diff."""
    flat = flatten(record_of(dataset))
    for key in WORKFLOW_KEYS:
        value = getattr(dataset, key)
        flat[key] = value.isoformat() if isinstance(value, datetime.date) else value
    return flat


def _refuse(dataset: Dataset, *, doing: str) -> NoReturn:
    raise TransitionNotAllowed(
        _("%(doing)s is not possible while the dataset is “%(status)s”.")
        % {"doing": doing, "status": Status(dataset.status).label}
    )


def _expect(dataset: Dataset, to: Status, *, doing: str) -> None:
    """Refuse a step the allowed-transition table does not permit from the current status."""
    if not allowed(dataset.status, to):
        _refuse(dataset, doing=doing)


def _require_status(dataset: Dataset, statuses: Collection[str], *, doing: str) -> None:
    """Refuse a step that may only start from one of `statuses`."""
    if dataset.status not in statuses:
        _refuse(dataset, doing=doing)


def _finish(
    dataset: Dataset,
    *,
    by: Person | None,
    verb: str,
    before: dict[str, Any],
    from_status: str,
    comment: str = "",
    next_action: Action | None = None,
    tell: Iterable[Person] = (),
) -> None:
    """Save, audit, keep the public catalogue true and notify: the common tail of every step."""
    dataset.save()
    if dataset.status in (Status.PUBLISHED, Status.WITHDRAWN):
        # the entry the public sees: written with the version that makes it public, and
        # removed with the withdrawal that ends it, in this same transaction
        from steward.catalogue.services import refresh_entries

        refresh_entries([dataset.pk])
    record(
        actor=by,
        action=f"dataset.{verb}",
        subject=dataset,
        organisation=dataset.organisation,
        from_state=from_status,
        to_state=dataset.status,
        comment=comment,
        changes=diff(before, _snapshot(dataset)),
    )
    people = set(tell)
    if next_action is not None:
        people |= set(people_who_can(next_action, dataset.organisation))
    if by is not None:
        people.discard(by)
    if people:
        status = Status(dataset.status).label
        link = reverse("datasets:detail", args=[dataset.pk])
        notify(
            sorted(people, key=lambda p: p.pk),
            subject=_("[Open data] %(identifier)s %(title)s: %(status)s")
            % {"identifier": dataset.identifier, "title": dataset.title, "status": status},
            body=_(
                "Dataset %(identifier)s “%(title)s” is now “%(status)s”.\n"
                "%(who)s: %(comment)s\n\nOpen it: %(link)s\n"
            )
            % {
                "identifier": dataset.identifier,
                "title": dataset.title,
                "status": status,
                "who": by or _("OpenData Steward"),
                "comment": comment or "—",
                "link": link,
            },
        )


def _keep_published_version(dataset: Dataset, *, by: Person | None) -> DatasetVersion:
    """Keep the dataset's metadata as its next published version (what the public sees)."""
    last = dataset.versions.order_by("-number").first()
    return DatasetVersion.objects.create(
        dataset=dataset,
        number=(last.number + 1) if last else 1,
        metadata=record_of(dataset),
        portal_identifier=dataset.portal_identifier,
        published_at=timezone.now(),
        published_by=by,
    )


def _liaisons(dataset: Dataset) -> set[Person]:
    people = set(people_who_can(Action.DATASET_DRAFT, dataset.organisation))
    if dataset.created_by is not None and dataset.created_by.is_active:
        people.add(dataset.created_by)
    return people


def _require_reason(text: str, what: str) -> str:
    cleaned = (text or "").strip()
    if not cleaned:
        raise DatasetError(_("Please give the %(what)s.") % {"what": what})
    return cleaned


# ---------------------------------------------------------------- metadata


def _apply_values(dataset: Dataset, values: Mapping[str, Any]) -> None:
    unknown = sorted(set(values) - set(EDITABLE_KEYS) - {"gender_statistics"})
    if unknown:
        raise ValidationError(
            {key: [_("“%(key)s” is not a field you can set.") % {"key": key}] for key in unknown}
        )
    for key, value in values.items():
        setattr(dataset, key, value)


def _apply_resources(dataset: Dataset, resources: Sequence[Mapping[str, Any]]) -> None:
    """Replace the dataset's resources with `resources`, keeping IDs of those that remain."""
    existing = {resource.resourceID: resource for resource in dataset.resources.all()}
    kept: list[Resource] = []
    ids = list(existing)
    for position, data in enumerate(resources):
        resource_id = str(data.get("resourceID") or "").strip()
        unknown = sorted(set(data) - set(EDITABLE_RESOURCE_KEYS) - {"resourceID"})
        if unknown:
            raise ValidationError(
                {
                    f"distribution[{position}].{key}": [
                        _("“%(key)s” is not a field you can set.") % {"key": key}
                    ]
                    for key in unknown
                }
            )
        if resource_id:
            if resource_id not in existing:
                raise ValidationError(
                    {
                        f"distribution[{position}].resourceID": [
                            _("Resource %(id)s does not belong to this dataset.")
                            % {"id": resource_id}
                        ]
                    }
                )
            resource = existing[resource_id]
        else:
            resource_id = next_resource_id(dataset.identifier, ids)
            ids.append(resource_id)
            resource = Resource(dataset=dataset, resourceID=resource_id)
        for key in EDITABLE_RESOURCE_KEYS:
            if key in data:
                setattr(resource, key, data[key] if data[key] is not None else "")
        resource.position = position
        try:
            resource.full_clean(exclude=["dataset"])
        except ValidationError as error:
            raise ValidationError(
                {
                    f"distribution[{position}].{field}": messages
                    for field, messages in error.message_dict.items()
                }
            ) from None
        kept.append(resource)
    kept_ids = {resource.resourceID for resource in kept}
    dataset.resources.exclude(resourceID__in=kept_ids).delete()
    for resource in kept:
        resource.save()


def _save_metadata(
    dataset: Dataset,
    values: Mapping[str, Any],
    resources: Sequence[Mapping[str, Any]] | None,
) -> None:
    """Apply `values` (and `resources`, when given); 最後更新時間 moves only if the metadata did.

    Saving a form unchanged must leave the record exactly as it was, 最後更新時間 included.
    """
    before = _metadata_without_modified(dataset) if dataset.pk else None
    _apply_values(dataset, values)
    dataset.full_clean(exclude=["organisation", "created_by", "identifier"])
    if before is None:
        dataset.modified = timezone.now().replace(microsecond=0)
    dataset.save()
    if resources is not None:
        _apply_resources(dataset, resources)
    if before is not None and _metadata_without_modified(dataset) != before:
        dataset.modified = timezone.now().replace(microsecond=0)
        dataset.save(update_fields=["modified", "updated_at"])


def _standard_time(key: str, value: Any) -> datetime.datetime | None:
    """A §1 time ("2026-01-31 09:00:00") as an aware datetime; blank is None."""
    text = str(value or "")
    if not text:
        return None
    try:
        moment = datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise ValidationError(
            {key: [_("“%(value)s” is not a time like 2026-01-31 09:00:00.") % {"value": text}]}
        ) from None
    return timezone.make_aware(moment)


def _metadata_without_modified(dataset: Dataset) -> dict[str, Any]:
    flat = flatten(record_of(dataset))
    flat.pop("modified", None)
    return flat


def _check_identifier(identifier: str) -> str:
    if not IDENTIFIER_RE.match(identifier):
        raise ValidationError(
            {
                "identifier": [
                    _(
                        "An identifier (資料集編號) is the 10-character agency code, a dash and "
                        "6 letters or digits, e.g. A17000000J-000123; “%(value)s” is not."
                    )
                    % {"value": identifier}
                ]
            }
        )
    if Dataset.objects.filter(identifier=identifier).exists():
        raise ValidationError(
            {
                "identifier": [
                    _("Identifier %(value)s is already used by another dataset.")
                    % {"value": identifier}
                ]
            }
        )
    return identifier


def _check_meeting(meeting: CommitteeMeeting, dataset: Dataset) -> None:
    if meeting.ministry_id != dataset.organisation.ministry.pk:
        raise DatasetError(_("That meeting belongs to another ministry's committee."))
