"""The OpenAPI schema documents every answer: each error with its own schema, no two schemas
sharing a name (four `ErrorOut` and four `ProblemOut` classes used to merge into one each)."""

from __future__ import annotations

import importlib
import inspect
from collections import defaultdict
from pathlib import Path
from typing import Any

from django.conf import settings
from django.test import Client
from ninja import Schema

STEWARD = Path(settings.BASE_DIR) / "steward"


def schema_classes() -> dict[str, set[str]]:
    """Every API schema class by name → the modules that define a class of that name."""
    modules = ["steward.lib.api"] + [
        f"steward.{path.parent.name}.api" for path in sorted(STEWARD.glob("*/api.py"))
    ]
    defined: dict[str, set[str]] = defaultdict(set)
    for name in modules:
        module = importlib.import_module(name)
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and issubclass(value, Schema)
                and value.__module__ == module.__name__
            ):
                defined[value.__name__].add(module.__name__)
    return defined


def test_no_two_api_schemas_share_a_name() -> None:
    clashes = {name: modules for name, modules in schema_classes().items() if len(modules) > 1}
    assert not clashes


def test_every_operation_documents_the_errors_it_can_give(db: None) -> None:
    document: dict[str, Any] = Client().get("/api/openapi.json").json()
    components = document["components"]["schemas"]
    operations = 0
    missing: list[str] = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            operations += 1
            responses = operation["responses"]
            expected = {"401", "403"}
            if operation.get("parameters") or operation.get("requestBody"):
                expected |= {"404", "422"}
            if method != "get":
                expected.add("400")
            for code in sorted(expected - responses.keys()):
                missing.append(f"{method.upper()} {path}: {code}")
            for code, answer in responses.items():
                if code.startswith(("4", "5")):
                    ref = answer["content"]["application/json"]["schema"]["$ref"]
                    assert ref.rsplit("/", 1)[-1] in components, (path, code, ref)
    assert operations >= 53
    assert not missing
    assert components["ValidationErrorOut"]["properties"]["detail"]["type"] == "array"
    assert {"detail"} <= components["ErrorOut"]["properties"].keys()


def test_a_step_answers_409_with_the_error_schema(db: None) -> None:
    document = Client().get("/api/openapi.json").json()
    approve = document["paths"]["/api/datasets/{dataset_id}/approve"]["post"]
    conflict = approve["responses"]["409"]["content"]["application/json"]["schema"]["$ref"]
    assert conflict.endswith("/ErrorOut")
    body = approve["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    step = document["components"]["schemas"][body.rsplit("/", 1)[-1]]
    assert "stage" in step["required"]
