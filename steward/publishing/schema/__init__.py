"""The JSON Schema of the portal's dataset body (資料集詮釋資料, data-gov-tw.md §1).

`dataset.schema.json` is the one schema: the adapter checks a body against it
before sending (no network call for an invalid body) and the stand-in portal
enforces it on every POST and PUT. `validate_body` is a pure check returning
every problem found, with a key path such as ``distribution/0/resourceID``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

SCHEMA_PATH = Path(__file__).with_name("dataset.schema.json")


@dataclass(frozen=True)
class SchemaProblem:
    """One reason a body breaks the standard: where (key path) and why."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '(body)'}: {self.message}"

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


@cache
def load_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return schema


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(load_schema(), format_checker=FormatChecker())


def validate_body(body: Any) -> list[SchemaProblem]:
    """Every way `body` breaks the dataset schema, plus the cross-field rules JSON Schema
    cannot say: each resourceID starts with the dataset identifier and is unique."""
    problems = [
        SchemaProblem("/".join(str(part) for part in error.absolute_path), error.message)
        for error in sorted(_validator().iter_errors(body), key=lambda e: list(e.absolute_path))
    ]
    if not isinstance(body, dict):
        return problems
    identifier = body.get("identifier")
    distribution = body.get("distribution")
    if isinstance(identifier, str) and isinstance(distribution, list):
        seen: set[str] = set()
        for index, resource in enumerate(distribution):
            if not isinstance(resource, dict):
                continue
            resource_id = resource.get("resourceID")
            if not isinstance(resource_id, str):
                continue
            if not resource_id.startswith(identifier + "-"):
                problems.append(
                    SchemaProblem(
                        f"distribution/{index}/resourceID",
                        f"{resource_id!r} does not start with the dataset identifier "
                        f"{identifier!r} and a dash",
                    )
                )
            if resource_id in seen:
                problems.append(
                    SchemaProblem(
                        f"distribution/{index}/resourceID", f"{resource_id!r} appears twice"
                    )
                )
            seen.add(resource_id)
    return problems
