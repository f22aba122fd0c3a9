"""JSON API of organisations: who am I, and which organisations may I see."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Schema

from steward.lib.api import Router
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


@router.get("/", response=list[OrganisationOut])
def list_organisations(request: HttpRequest) -> object:
    return organisations_for(request.user, Action.VIEW).order_by("path")  # type: ignore[arg-type]
