"""Who may open which dataset page: the one scoping helper of the datasets pages."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from steward.datasets.models import Dataset
from steward.organisations.models import Person
from steward.organisations.scope import Action, scope_q


def dataset_for(person: Any, pk: int, action: Action = Action.VIEW) -> Dataset:
    """The dataset `pk` if `person` may perform `action` on it, else 404."""
    try:
        return (
            Dataset.objects.filter(scope_q(person, action))
            .select_related("organisation")
            .get(pk=pk)
        )
    except Dataset.DoesNotExist:
        raise Http404(_("No such dataset in your scope.")) from None


def person_of(request: HttpRequest) -> Person:
    user = request.user
    assert isinstance(user, Person)
    return user
