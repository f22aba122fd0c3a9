"""The API keeps its contract: schemathesis fuzzes every operation as two roles.

Schemathesis (PyPI) reads `/api/openapi.json` and sends each operation examples that fit
its schema and examples that break it, in process through the WSGI application (the whole
Django stack: sessions, CSRF, middleware), signed in by session cookie as a liaison and as the
information centre. Every answer must be a documented status with a body matching its
documented schema, and none may be a server error. Examples are bounded and derandomised so
the test is the same in CI every time and takes well under two minutes.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from steward.conftest import Cast, Tree
from steward.datasets import services as dataset_services
from steward.datasets.tests.conftest import complete_resource, complete_values
from steward.inventory import services as inventory_services

#: Examples per operation and generation mode (schema-conforming, schema-breaking).
EXAMPLES = 8
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def connection_kept() -> Iterator[None]:
    """Keep the test's database connection across requests, as Django's test client does: the
    WSGI handler would otherwise close it (and with it the test's transaction on PostgreSQL)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def signed_in(person: Any) -> tuple[dict[str, str], dict[str, str]]:
    """The cookies and headers a signed-in browser sends: session cookie, CSRF cookie and header."""
    client = Client()
    client.force_login(person)
    token = secrets.token_hex(16)
    cookies = {
        settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value,
        settings.CSRF_COOKIE_NAME: token,
    }
    return cookies, {"X-CSRFToken": token}


def real_objects(cast: Cast, tree: Tree) -> dict[str, Any]:
    """Path parameters that name objects both roles may see, so examples reach past the 404."""
    draft = dataset_services.create_dataset(
        by=cast.liaison,
        organisation=tree.unit_a1,
        values=complete_values(),
        resources=[complete_resource()],
    )
    item = inventory_services.create_item(
        by=cast.liaison,
        organisation=tree.unit_a1,
        data={
            "name": "案件統計",
            "classification": "open",
            "planned_year": 2026,
            "planned_half": "H1",
        },
    )
    return {
        "dataset_id": draft.pk,
        "item_id": item.pk,
        "agency_id": tree.agency_a.pk,
        "ministry_id": tree.ministry.pk,
        "year": 2026,
    }


@pytest.mark.parametrize("role", ["liaison", "centre"])
def test_every_operation_keeps_its_contract(
    cast: Cast, tree: Tree, role: str, connection_kept: None
) -> None:
    cookies, headers = signed_in(getattr(cast, role))
    known = real_objects(cast, tree)
    # Django's WSGI stack, as steward.wsgi serves it (that module also refuses the development
    # key outside debug mode, which a test run uses on purpose)
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()
        operations += 1
        strategies = [
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        ]
        names = {parameter.name for parameter in operation.path_parameters}
        if names and names <= known.keys():
            fixed = {name: known[name] for name in names}
            strategies.append(operation.as_strategy(path_parameters=fixed))
        strategy = st.one_of(strategies)

        @given(case=strategy)
        @hypothesis_settings(
            max_examples=EXAMPLES * len(strategies),
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def call(case: Any) -> None:
            case.call_and_validate(headers=headers, cookies=cookies, checks=CHECKS)

        try:
            call()
        except (Exception, BaseExceptionGroup) as error:  # one failure must not hide the others
            failures.append(f"{operation.label}: {error}")
    assert operations >= 50
    assert not failures, "\n\n".join(failures)
