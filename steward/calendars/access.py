"""Who may do what with the office calendar: viewing is for everybody signed in,
importing for those whose role allows Action.CALENDAR_IMPORT (the information centre)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from steward.organisations.models import Person
from steward.organisations.scope import Action, organisations_for


def can_import_calendars(person: Person) -> bool:
    """The calendar is national, so holding CALENDAR_IMPORT anywhere is enough."""
    if not person.is_authenticated or not person.is_active:
        return False
    return person.is_superuser or organisations_for(person, Action.CALENDAR_IMPORT).exists()


def require_calendar_import(person: Person) -> None:
    if not can_import_calendars(person):
        raise PermissionDenied(_("Only the information centre may import office calendars."))
