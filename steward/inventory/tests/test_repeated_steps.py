"""A repeated return step changes nothing: each step of the yearly return (submit, compile,
approve, return) starts only from states another step leaves, so, unlike a dataset's
"approve", a second identical request is refused instead of taking the next step."""

from __future__ import annotations

from steward.audit.models import AuditEvent
from steward.conftest import Cast, Tree
from steward.inventory.models import AgencyInventory, InventoryStatus
from steward.inventory.tests.test_api import API, client_for, post


def test_each_return_step_sent_twice_moves_once(tree: Tree, cast: Cast) -> None:
    submit = f"/returns/{tree.agency_a.pk}/2026/submit"
    compile_path = f"/compilations/{tree.ministry.pk}/2026/compile"
    give_back = f"/returns/{tree.agency_a.pk}/2026/return"
    for person, path, body, status in (
        (cast.liaison, submit, {}, InventoryStatus.SUBMITTED),
        (cast.centre, compile_path, {}, InventoryStatus.COMPILED),
        (cast.cio, give_back, {"reason": "目標數不足"}, InventoryStatus.RETURNED),
    ):
        client = client_for(person)
        assert post(client, path, body).status_code == 200, path
        events = AuditEvent.objects.count()
        assert post(client, path, body).status_code == 400, path
        assert AgencyInventory.objects.get().status == status
        assert AuditEvent.objects.count() == events
    assert client_for(cast.liaison).get(API + "/returns", {"year": 2026}).status_code == 200
