"""Harvesting (匯入他站目錄): a published dataset taken in again from the source it came from.

`steward harvest ckan|dcat` creates new datasets with `import_published` and brings those it
took in before up to date with `update_from_source`: the source's record becomes the dataset's
new published version (the source is where it is maintained), in one transaction with one
audit event. Only a published dataset can be updated this way; one in review or being edited
here is refused, so a harvest never overwrites work in progress.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from steward.datasets.errors import DatasetError
from steward.datasets.metadata import EDITABLE_RESOURCE_KEYS, values_from_record
from steward.datasets.models import Dataset, Resource
from steward.datasets.services._common import (
    _apply_values,
    _finish,
    _keep_published_version,
    _lock,
    _require_status,
    _snapshot,
    _standard_time,
)
from steward.datasets.workflow import Status
from steward.organisations.models import Person
from steward.organisations.scope import Action, require


def _replace_resources(dataset: Dataset, resources: Sequence[Mapping[str, Any]]) -> None:
    """Make the dataset's resources exactly the source's, keyed by 資料資源編號."""
    existing = {resource.resourceID: resource for resource in dataset.resources.all()}
    kept: list[Resource] = []
    for position, data in enumerate(resources):
        resource_id = str(data.get("resourceID") or "").strip()
        resource = existing.get(resource_id) or Resource(dataset=dataset, resourceID=resource_id)
        for key in EDITABLE_RESOURCE_KEYS:
            setattr(resource, key, data.get(key) or "")
        resource.position = position
        try:
            resource.full_clean(exclude=["dataset"])
        except ValidationError as error:
            raise ValidationError(
                {f"distribution[{position}].{k}": v for k, v in error.message_dict.items()}
            ) from None
        kept.append(resource)
    dataset.resources.exclude(resourceID__in=[r.resourceID for r in kept]).delete()
    for resource in kept:
        resource.save()


def update_from_source(
    dataset: Dataset, *, by: Person, metadata: Mapping[str, Any], source: str
) -> Dataset:
    """Take the harvest source's record (§1 JSON) as the dataset's new published version."""
    with transaction.atomic():
        current = _lock(dataset)
        require(by, Action.DATASET_PUBLISH, current.organisation)
        _require_status(current, (Status.PUBLISHED,), doing=_("Updating from a harvest source"))
        if str(metadata.get("identifier") or "").strip() != current.identifier:
            raise DatasetError(_("The harvested record is not this dataset's."))
        before = _snapshot(current)
        values, resources = values_from_record(metadata)
        _apply_values(current, values)
        for key in ("issued", "modified"):
            setattr(current, key, _standard_time(key, metadata.get(key)))
        current.full_clean(exclude=["organisation", "created_by", "identifier"])
        current.save()
        _replace_resources(current, resources)
        _keep_published_version(current, by=by)
        _finish(
            current,
            by=by,
            verb="harvest_update",
            before=before,
            from_status=Status.PUBLISHED,
            comment=_("Harvested from %(source)s") % {"source": source[:200]},
        )
    dataset.refresh_from_db()
    return dataset
