"""What every JSON API operation shares: bounded parameter types and the error bodies.

One home for the API's contract. Each app's router is a `Router` from here, which documents
the errors any operation can give beside the answers it declares itself:

- 401 `ErrorOut`: not signed in;
- 403 `ErrorOut`: the role may not do this (or the CSRF check failed on a write);
- 404 `ErrorOut`: the object is not in the person's scope (operations with parameters);
- 422 `ValidationErrorOut`: a parameter or body field breaks its type or bounds (likewise);
- 400 `BadRequestOut` on writes: a body that cannot be parsed, or input the rules refuse.

An operation with a 400 body of its own, or a 409, declares it with its own schema.
"""

from __future__ import annotations

import datetime
import inspect
from collections.abc import Callable
from typing import Annotated, Any

from ninja import Field, Schema
from ninja import Router as NinjaRouter
from ninja.constants import NOT_SET

from steward.lib.bounds import FIRST_DAY, LAST_DAY, MAX_ID, MAX_OFFSET, MAX_YEAR, MIN_YEAR

#: A primary key: 1 … 2^63 − 1 (a larger one is 422, not a database overflow).
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
#: A calendar year we keep records for (民國元年 1912 … 2200).
Year = Annotated[int, Field(ge=MIN_YEAR, le=MAX_YEAR)]
#: A date within the years we keep.
Day = Annotated[datetime.date, Field(ge=FIRST_DAY, le=LAST_DAY)]
#: How many rows to skip in a list.
Offset = Annotated[int, Field(ge=0, le=MAX_OFFSET)]


class ErrorOut(Schema):
    """A refusal with one sentence saying why (403, 404, 409, and 400 where no field is named)."""

    detail: str


class BadRequestOut(Schema):
    """Input refused as bad (400): why in one sentence and, where the rules name fields, the
    reasons field by field (`{"field": ["why", …]}`, `__all__` for the whole)."""

    detail: str
    fields: dict[str, list[str]] = {}


class ValidationIssueOut(Schema):
    """One parameter or field that breaks its type or bounds."""

    type: str
    loc: list[str | int]
    msg: str
    ctx: dict[str, Any] | None = None


class ValidationErrorOut(Schema):
    """The request breaks the operation's declared types or bounds (422)."""

    detail: list[ValidationIssueOut]


def _takes_parameters(view_func: Callable[..., Any]) -> bool:
    return len(inspect.signature(view_func).parameters) > 1  # beyond `request`


class Router(NinjaRouter):
    """A django-ninja router whose operations also document the errors every operation shares."""

    def add_api_operation(
        self,
        path: str,
        methods: list[str],
        view_func: Callable[..., Any],
        *,
        response: Any = NOT_SET,
        **kwargs: Any,
    ) -> None:
        declared: dict[Any, Any]
        if response is NOT_SET:
            declared = {200: None}
        elif isinstance(response, dict):
            declared = dict(response)
        else:
            declared = {200: response}
        if not any(isinstance(code, int) and 200 <= code < 300 for code in declared):
            declared[200] = None  # a file or other body the operation writes itself
        errors: dict[int, Any] = {401: ErrorOut, 403: ErrorOut}
        if _takes_parameters(view_func):
            errors |= {404: ErrorOut, 422: ValidationErrorOut}
        if any(method.upper() != "GET" for method in methods):
            errors[400] = BadRequestOut
        for code, schema in errors.items():
            declared.setdefault(code, schema)
        super().add_api_operation(path, methods, view_func, response=declared, **kwargs)
