"""JSON API of organisations: who am I, and which organisations may I see."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Schema

from steward.lib.api import Router
from steward.lib.pagination import DEFAULT_PAGE_SIZE, PageNumber, PageOut, PageSize, page_of
from steward.organisations.scope import Action, organisations_for

router = Router(tags=["organisations"])


class OrganisationOut(Schema):
    id: int
    key: str
    name: str
    kind: str
    agency_code: str
    parent_id: int | None


class RoleOut(Schema):
    role: str
    organisation_id: int
    committee_seat: str


class MeOut(Schema):
    username: str
    display_name: str
    roles: list[RoleOut]


@router.get("/me", response=MeOut)
def me(request: HttpRequest) -> dict[str, object]:
    person = request.user
    return {
        "username": person.get_username(),
        "display_name": str(person),
        "roles": [
            {
                "role": a.role,
                "organisation_id": a.organisation_id,
                "committee_seat": a.committee_seat,
            }
            for a in person.active_roles()  # type: ignore[union-attr]
        ],
    }


class OrganisationPageOut(PageOut):
    items: list[OrganisationOut]


@router.get("/", response=OrganisationPageOut)
def list_organisations(
    request: HttpRequest, page: PageNumber = 1, page_size: PageSize = DEFAULT_PAGE_SIZE
) -> dict[str, Any]:
    """The organisations you may see, as a tree (by path), a page at a time."""
    visible = organisations_for(request.user, Action.VIEW).order_by("path")  # type: ignore[arg-type]
    return page_of(visible, number=page, size=page_size).as_dict()
