"""Writing and reading the audit trail. Call `record` inside the service's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from steward.audit.models import AuditEvent
from steward.organisations.models import Organisation, Person


def record(
    *,
    actor: Person | None,
    action: str,
    subject: models.Model,
    organisation: Organisation | None = None,
    from_state: str = "",
    to_state: str = "",
    comment: str = "",
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one audit event for a change just made to `subject`."""
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        organisation=organisation,
        action=action,
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=str(subject.pk),
        from_state=from_state,
        to_state=to_state,
        comment=comment,
        changes=changes or {},
    )


def history(subject: models.Model) -> models.QuerySet[AuditEvent]:
    """Every event about `subject`, oldest first."""
    return AuditEvent.objects.filter(
        subject_type=ContentType.objects.get_for_model(subject), subject_id=str(subject.pk)
    ).select_related("actor")


def histories(subjects: Sequence[models.Model]) -> dict[Any, list[AuditEvent]]:
    """Every event about each of `subjects` (all of one model), oldest first, in one query:
    {subject pk: events}."""
    if not subjects:
        return {}
    by_id: dict[str, Any] = {str(subject.pk): subject.pk for subject in subjects}
    found: dict[Any, list[AuditEvent]] = {pk: [] for pk in by_id.values()}
    for event in AuditEvent.objects.filter(
        subject_type=ContentType.objects.get_for_model(subjects[0]), subject_id__in=list(by_id)
    ).select_related("actor"):
        found[by_id[event.subject_id]].append(event)
    return found


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Field-by-field differences: {field: {"from": old, "to": new}} for changed fields only."""
    return {
        key: {"from": old.get(key), "to": new.get(key)}
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key)
    }
