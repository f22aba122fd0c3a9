"""Ministries are walls, tried on every route: generated from the URL conf and the OpenAPI schema.

Every page (the URL conf) and every API operation (`/api/openapi.json`) is requested by each of
ministry A's roles (`cast`) with its parameters filled with ministry B's objects (`ministry_b`,
the Ministry of Justice): pages by GET and POST, API operations by their own method with a
plausible body built from the schema. What must happen:

- a route naming an object of ministry B (in its path, query or body) answers 404, so that
  B's objects do not even show that they exist (403 only where EXPECT_403 says why);
- a route naming no object (a list, a form) may answer, but never shows B's names;
- whatever the answer, no table changes (`table_snapshot`).

Routes added later are covered without anybody remembering to: a parameter this module cannot
fill FAILS the test, asking the developer to add it to `object_params()`/`VALUES`. Public
routes and the admin are listed in EXEMPT with the reason.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, path, re_path, reverse
from django.utils import timezone

from steward.conftest import Cast, MinistryB, Tree, changed_tables, table_snapshot
from steward.datasets.services import record_meeting
from steward.datasets.workflow import Status, Step
from steward.feedback.workflow import Step as FeedbackStep
from steward.inventory.services import (
    compile_inventories,
    create_item,
    inventory_for,
    submit_inventory,
)
from steward.inventory.tests.helpers import plan_with_targets
from steward.organisations.models import Organisation, Person
from steward.plans.models import Plan
from steward.publishing.services import request_publication
from steward.publishing.tests.helpers import make_dataset
from steward.quality.models import CheckKind, CheckRun, RunStatus
from steward.reports.models import StoredReport

YEAR = 2026
UPLOAD_NAME, UPLOAD = "walls.csv", "名稱,數量\n牆,1\n".encode()  # any file field's content

# Routes nobody needs to be signed in for, or that act on the visitor's own account, or that
# only staff reach: not part of this wall (each has its own tests).
EXEMPT: dict[str, str] = {
    **{
        name: "sign-in, sign-out and the visitor's own password: no ministry's data"
        for name in (
            "login",
            "logout",
            "password_change",
            "password_change_done",
            "password_reset",
            "password_reset_done",
            "password_reset_confirm",
            "password_reset_complete",
        )
    },
    "set_language": "the visitor's language choice, kept in their session",
    "datasets:notices": "withdrawal notices are public by law (停止提供公告), no sign-in",
    "feedback:track": "the public tracking page: its token is the secret a sender was given",
    "feedback:new": "the public form: anyone may send feedback about any published dataset",
    "catalogue:": (
        "the public catalogue (CKAN Action API, DCAT): every ministry's published metadata is "
        "public by design, and only that (steward/catalogue/tests: drafts and pending edits "
        "never appear)"
    ),
    "admin:": "staff only: every role here is refused (test_the_admin_is_closed_to_every_role)",
    "api:openapi-json": "the API's own description",
    "api:openapi-view": "the API's own description",
    "api:api-root": "the API's own description",
}

# Routes whose data belongs to no ministry: the national office calendar (辦公日曆表) is the
# same for everybody, so there is nothing of ministry B to reach. They still may not change
# anything here, and may not show B's names.
NATIONAL: dict[str, str] = {
    "calendars:year": "the national office calendar of one year",
    "GET /api/calendars/years/{year}/days": "the national office calendar of one year",
    "GET /api/calendars/years/{year}/changes": "the national office calendar's revisions",
}

# Routes that act in the actor's own ministry and name no object of another: they cannot
# reach across the wall. Sent with an empty body (refused as incomplete), must change nothing.
OWN_MINISTRY_ONLY: dict[str, str] = {
    "POST /api/datasets/meetings": "records a committee meeting in the actor's own ministry",
    "POST /api/calendars/imports": "the national office calendar; a file, no ministry's object",
}

# Object-scoped routes that answer 403 rather than 404, and why that reveals nothing.
EXPECT_403: dict[str, str] = {}

# A page view that only accepts POST answers 405 to GET before it looks anything up.
POST_ONLY_GET = 405

# Parameters that name no object: the values to send.
VALUES: dict[str, Any] = {
    "year": [YEAR, YEAR + 1],  # a year with a return and one without
    "step": [step.value for step in Step],
    "period": f"{YEAR}Q1",
    "date": f"{YEAR}-05-01",
    "format": "csv",
    "state": "",
    "status": "",
    "classification": "",
    "q": "",
    "mine": False,
    "subtree": True,
    "gender_statistics": None,
    "limit": 50,
    "offset": 0,
    "check_only": False,
    "page": 1,
    "page_size": 50,
    "start": f"{YEAR}-01-01",
    "end": f"{YEAR}-12-31",
    "accept": [True, False],
    "comment": "測試",
    "value": "1",
    "summary": "測試成果",
    "evidence_links": [["https://example.org/evidence"]],
    "text": "測試報告",
}


@dataclass
class Objects:
    """One ministry's objects: one of each kind a route can name."""

    ministry: Organisation
    agency: Organisation
    unit: Organisation
    centre: Person
    draft: Any
    scheduled: Any
    item: Any
    inventory: Any
    compilation: Any
    entry: Any
    run: Any
    meeting: Any
    plan: Plan
    upload: Any = None  # an inventory file kept for its preview (inventory:import_*)
    catalogue_run: Any = None  # a catalogue import run (publishing:catalogue_run)
    feedback: Any = None  # an item of public feedback (feedback:*)
    committee: Any = None  # the advisory committee (committees:*)
    committee_meeting: Any = None  # one of its meetings, with an agenda
    member: Any = None  # a seat on it
    not_provided_review: Any = None  # a not-provided classification it agreed to
    task: Any = None  # a schedule task of the agency (tasks:*)
    evidence: Any = None  # a link attached to it as evidence
    markers: list[str] = field(default_factory=list)
    evaluation: Any = None  # an evaluation run (evaluation:*)
    self_report: Any = None  # a self-report awaiting review
    improvement_report: Any = None  # an improvement report required of the agency
    stored_report: Any = None  # a report the schedule stored (reports:stored)


def build_objects(
    *,
    ministry: Organisation,
    agency: Organisation,
    unit: Organisation,
    liaison: Person,
    centre: Person,
    plan: Plan,
    title: str,
) -> Objects:
    """A dataset of each kind, an item, a submitted and compiled return, an outbox entry, a
    check run and a committee meeting in `unit`'s ministry, made by its own people."""
    draft = make_dataset(unit, serial=1, status=Status.DRAFT, title=f"{title}草稿資料集")
    scheduled = make_dataset(unit, serial=2, status=Status.SCHEDULED, title=f"{title}排程資料集")
    entry = request_publication(scheduled, by=centre)
    item = create_item(
        by=liaison,
        organisation=unit,
        data={
            "name": f"{title}資產",
            "classification": "open",
            "planned_year": YEAR,
            "planned_half": "H1",
            "status": "planned",
        },
    )
    inventory = submit_inventory(inventory_for(agency, YEAR), by=liaison, shortfall_reason="測試")
    compilation = compile_inventories(ministry, YEAR, by=centre)
    inventory.refresh_from_db()
    run = CheckRun.objects.create(
        kind=CheckKind.SELF_CHECK,
        organisation=agency,
        source=f"datasets:{agency.key}",
        status=RunStatus.DONE,
        finished_at=timezone.now(),
    )
    meeting = record_meeting(
        by=centre, ministry=ministry, held_on=datetime.date(YEAR, 4, 20), number=f"{title}第1次"
    )
    from steward.feedback.services import enter as enter_feedback
    from steward.inventory.models import InventoryImport
    from steward.publishing.models import CatalogueImportRun

    upload = InventoryImport.objects.create(
        token=f"{title}-token".encode().hex()[:40],
        created_by=liaison,
        default_organisation=unit,
        file_name=f"{title}.csv",
    )
    catalogue_run = CatalogueImportRun.objects.create(
        ministry=ministry, requested_by=centre, file_name=f"{title}.csv"
    )
    feedback = enter_feedback(
        by=centre,
        kind="comment",
        text=f"{title}意見",
        organisation=agency,
        received_at=timezone.now() - datetime.timedelta(hours=1),
        channel="national_portal",
    )
    from steward.committees import services as committee_services
    from steward.committees.models import AgendaItem, Committee, Kind, NotProvidedReview

    committee_services.set_up_from_plan(ministry, by=centre)
    committee = Committee.objects.get(organisation=ministry, kind=Kind.ADVISORY)
    member = committee_services.add_member(
        committee, by=centre, seat="civil", since=datetime.date(YEAR, 1, 1), name=f"{title}委員"
    )
    committee_meeting = committee_services.record_meeting(
        committee, by=centre, held_on=datetime.date(YEAR, 4, 21)
    )
    agenda_item = AgendaItem.objects.create(
        meeting=committee_meeting, position=99, kind="not_provided", title=f"{title}不予提供",
        inventory_item=item,
    )  # fmt: skip
    review = NotProvidedReview.objects.create(
        item=item, agenda_item=agenda_item, committee_agrees=True
    )
    from steward.tasks.models import Task
    from steward.tasks.services import add_link

    task = Task.objects.create(
        key=f"{title}-task",
        version=plan.versions.get(),
        organisation=agency,
        part="lead",
        year=YEAR,
        code="1-3",
        title=f"{title}工作事項",
        due_date=datetime.date(YEAR, 6, 30),
    )
    evidence = add_link(task, by=liaison, url="https://example.gov.tw/e", name=f"{title}佐證")
    markers = [title, agency.name, unit.name, liaison.username, plan.name, agency.agency_code]
    result = Objects(
        ministry,
        agency,
        unit,
        centre,
        draft,
        scheduled,
        item,
        inventory,
        compilation,
        entry,
        run,
        meeting,
        plan,
        upload,
        catalogue_run,
        feedback,
        committee,
        committee_meeting,
        member,
        review,
        task,
        evidence,
        markers,
    )
    from steward.evaluation.kpis import OTHER_ACHIEVEMENTS
    from steward.evaluation.models import ImprovementReport
    from steward.evaluation.runs import run_evaluation
    from steward.evaluation.services import submit_self_report
    from steward.plans.models import KpiDefinition
    from steward.quality.measures.periods import Period

    version = plan.versions.get()
    if not version.kpis.exists():  # the own ministry's plan is bare: give it one yearly KPI
        KpiDefinition.objects.create(
            version=version, code="growth", name=f"{title}指標", measure="datasets_new",
            evaluation_period="yearly",
        )  # fmt: skip
    result.evaluation = run_evaluation(plan, Period(YEAR), by=centre)
    result.self_report = submit_self_report(
        unit, by=liaison, measure=OTHER_ACHIEVEMENTS, start=datetime.date(YEAR, 1, 1),
        end=datetime.date(YEAR, 6, 30), value=Decimal(1), summary=f"{title}成果",
        evidence_links="https://example.org/evidence",
    )  # fmt: skip
    result.improvement_report = ImprovementReport.objects.create(
        plan=plan, period=str(YEAR), run=result.evaluation, organisation=agency,
        kpis=[f"{title}指標"], due_on=datetime.date(YEAR + 1, 2, 1),
    )  # fmt: skip
    result.stored_report = StoredReport(
        kind="quarterly_progress", organisation=agency, period=f"{YEAR}Q1", format="odt",
        title=f"{title}季報", filename="report.odt", inputs_version="0",
        content_type="application/vnd.oasis.opendocument.text",
    )  # fmt: skip
    result.stored_report.file.save("report.odt", ContentFile(f"{title}季報".encode()), save=True)
    return result


@pytest.fixture
def objects(ministry_b: MinistryB) -> Objects:
    """Ministry B's objects, behind the wall."""
    b = ministry_b
    return build_objects(
        ministry=b.ministry,
        agency=b.agency,
        unit=b.unit,
        liaison=b.liaison,
        centre=b.centre,
        plan=Plan.objects.get(key="moj"),
        title="法務部牆外",
    )


@pytest.fixture
def own_objects(tree: Tree, cast: Cast) -> Objects:
    """Ministry A's own objects, for the refused-requests-change-nothing matrix."""
    plan = plan_with_targets(tree.ministry, [])
    return build_objects(
        ministry=tree.ministry,
        agency=tree.agency_a,
        unit=tree.unit_a1,
        liaison=cast.liaison,
        centre=cast.centre,
        plan=plan.plan,
        title="甲署自家",
    )


def object_params(o: Objects) -> dict[str, Any]:
    """Parameter → ministry B's object (its pk or key). Pages' `pk` differs per page: those are
    keyed "<url name>.<parameter>". A list tries each value."""
    version = o.plan.current_version()
    assert version is not None
    return {
        # API path, query and body parameters
        "dataset_id": [o.draft.pk, o.scheduled.pk],
        "dataset": o.scheduled.pk,
        "item_id": o.item.pk,
        "agency_id": o.agency.pk,
        "unit_id": o.unit.pk,
        "organisation_id": [o.unit.pk, o.agency.pk, o.ministry.pk],
        "ministry_id": o.ministry.pk,
        "ministry": o.ministry.pk,
        "compilation_id": o.compilation.pk,
        "entry_id": o.entry.pk,
        "run_id": o.run.pk,
        "key": o.plan.key,
        "label": [version.label, "current"],
        "old": version.label,
        "new": version.label,
        # pages
        "agency_pk": o.agency.pk,
        "ministry_pk": o.ministry.pk,
        "inventory:import_detail.token": o.upload.token,
        "inventory:import_progress.token": o.upload.token,
        "inventory:import_confirm.token": o.upload.token,
        "publishing:catalogue_run.pk": o.catalogue_run.pk,
        "feedback:detail.pk": o.feedback.pk,
        "feedback:step.pk": o.feedback.pk,
        "feedback_item_id": o.feedback.pk,
        "feedback_step": [step.value for step in FeedbackStep],
        "feedback:step.step": [step.value for step in FeedbackStep],
        "inventory:item_edit.pk": o.item.pk,
        "inventory:approve.pk": o.compilation.pk,
        "datasets:detail.pk": [o.draft.pk, o.scheduled.pk],
        "datasets:edit.pk": o.draft.pk,
        "datasets:review.pk": o.draft.pk,
        "datasets:history.pk": o.scheduled.pk,
        "datasets:step.pk": [o.draft.pk, o.scheduled.pk],
        "publishing:retry.pk": o.entry.pk,
        "quality:run.pk": o.run.pk,
        "committee_id": o.committee.pk,
        "meeting_id": o.committee_meeting.pk,
        "member_id": o.member.pk,
        "review_id": o.not_provided_review.pk,
        "committees:detail.pk": o.committee.pk,
        "committees:member_add.pk": o.committee.pk,
        "committees:meeting_add.pk": o.committee.pk,
        "committees:member_end.pk": o.member.pk,
        "committees:meeting.pk": o.committee_meeting.pk,
        "committees:agenda_refresh.pk": o.committee_meeting.pk,
        "committees:minutes.pk": o.committee_meeting.pk,
        "committees:approve_not_provided.pk": o.not_provided_review.pk,
        "evaluation_run_id": o.evaluation.pk,
        "evaluation:run.pk": o.evaluation.pk,
        "evaluation:figure.pk": o.evaluation.pk,
        "evaluation:figure.result": [r.pk for r in o.evaluation.results.all()[:1]],
        "evaluation:awards.pk": o.evaluation.pk,
        "plan": o.plan.key,
        "self_report_id": o.self_report.pk,
        "evaluation:self_report.pk": o.self_report.pk,
        "improvement_report_id": o.improvement_report.pk,
        "evaluation:improvement_report.pk": o.improvement_report.pk,
        "reports:stored.pk": o.stored_report.pk,
        "reports:dashboards:figure.organisation_pk": [o.agency.pk, o.ministry.pk],
        "reports:dashboards:figure.key": [
            f"kpi:{kpi.code}" for kpi in version.kpis.order_by("pk")[:1]
        ],
        "tasks:detail.pk": o.task.pk,
        "tasks:add_evidence.pk": o.task.pk,
        "tasks:evidence_file.pk": o.task.pk,
        "evidence_pk": o.evidence.pk,
        "tasks:step.pk": o.task.pk,
        "tasks:step.step": ["start", "complete", "sign_off", "reopen"],
    }


# Form fields a page's POST may carry, filled with B's objects (a form naming B must fail).
PAGE_FORM = {
    "organisation": "organisation_id",
    "default_organisation": "organisation_id",
    "agency": "agency_id",
    "unit": "unit_id",
    "ministry": "ministry",
    "dataset": "dataset",
    "meeting": None,
}


# ---- the routes ------------------------------------------------------------------------------


@dataclass
class Route:
    """One request to make: `label` names it in failures and in the lists above."""

    label: str
    name: str  # url name ("inventory:submit") or "METHOD /api/path"
    method: str
    path: str
    query: dict[str, Any]
    body: Any
    content_type: str | None
    names_b_object: bool
    params: dict[str, Any]


class Unfillable(Exception):
    """A parameter with no entry in the map: the developer must add it."""


def _values_for(name: str, key: str, objects: dict[str, Any]) -> tuple[list[Any], bool]:
    """The values to try for parameter `key` of route `name`, and whether they are B's."""
    for candidate in (f"{name}.{key}", key):
        if candidate in objects:
            value = objects[candidate]
            return (value if isinstance(value, list) else [value]), True
    if key in VALUES:
        value = VALUES[key]
        return (value if isinstance(value, list) else [value]), False
    raise Unfillable(
        f"{name}: cannot fill the parameter {key!r}. Add it to object_params() (an object of"
        f" ministry B, e.g. '{name}.{key}') or to VALUES (a value that names no object) in"
        f" {__name__}."
    )


def _url_patterns(
    patterns: list[Any], prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str, list[str]]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _url_patterns(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name or ''}" if namespace else pattern.name or ""
            params = list(pattern.pattern.regex.groupindex)
            yield prefix + str(pattern.pattern), name, params


# Unnamed routes exempt by where they start (`static()` and the like add such patterns).
EXEMPT_PREFIXES: dict[str, str] = {
    "static/": "static files (CSS, JavaScript, fonts): public, no ministry's data",
    "media/": "static files: public, no ministry's data",
}


def _exempt(name: str, route: str = "") -> bool:
    if route.lstrip("^").startswith(tuple(EXEMPT_PREFIXES)):
        return True
    return any(name == key or (key.endswith(":") and name.startswith(key)) for key in EXEMPT)


def page_routes(objects: dict[str, Any]) -> list[Route]:
    """Every page of the URL conf (not the API, not exempt ones), by GET and by POST."""
    routes: list[Route] = []
    for route, name, params in _url_patterns(get_resolver().url_patterns):
        if route.startswith("api/") or _exempt(name, route):
            continue
        if not name or name.endswith(":"):
            raise Unfillable(f"the page {route!r} has no name: name it so it can be reversed")
        combos: list[dict[str, Any]] = [{}]
        names_b = False
        for key in params:
            values, is_object = _values_for(name, key, objects)
            names_b = names_b or is_object
            combos = [{**combo, key: value} for combo in combos for value in values]
        if params and not names_b and name not in NATIONAL:
            raise Unfillable(
                f"{name}: none of its parameters {params} names an object of ministry B; map one"
                f" in object_params() or list the page in NATIONAL with the reason."
            )
        form = {
            field: objects[source][0] if isinstance(objects[source], list) else objects[source]
            for field, source in PAGE_FORM.items()
            if source is not None
        }
        for combo in combos:
            path = reverse(name, kwargs=combo)
            for method in ("GET", "POST"):
                routes.append(
                    Route(
                        label=f"{method} {path} ({name})",
                        name=name,
                        method=method,
                        path=path,
                        query={},
                        body=form if method == "POST" else None,
                        content_type=None,
                        names_b_object=names_b,
                        params=combo,
                    )
                )
    return routes


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _sample(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """A plausible value for a JSON schema (a valid one where the schema says enough)."""
    schema = _resolve(schema, components)
    if "anyOf" in schema:
        options = [s for s in schema["anyOf"] if _resolve(s, components).get("type") != "null"]
        return _sample(options[0], components) if options else None
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    kind, fmt = schema.get("type"), schema.get("format")
    if kind == "string":
        if fmt == "binary":
            return UPLOAD
        if fmt == "date":
            return f"{YEAR}-05-29"
        if fmt == "date-time":
            return f"{YEAR}-05-29T09:00:00+08:00"
        return "牆外測試"
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return False
    if kind == "array":
        return [_sample(schema.get("items", {}), components)]
    if kind == "object" or "properties" in schema:
        return {
            name: _sample(prop, components)
            for name, prop in schema.get("properties", {}).items()
            if name in schema.get("required", [])
        }
    return "牆外測試"


def _body(
    operation: dict[str, Any], components: dict[str, Any], objects: dict[str, Any], name: str
) -> tuple[Any, str | None, bool]:
    """A plausible request body, with every property that can name B's object naming it."""
    content = operation.get("requestBody", {}).get("content", {})
    if not content:
        return None, None, False
    content_type, media = next(iter(content.items()))
    schema = _resolve(media["schema"], components)
    body = _sample(schema, components)
    names_b = False
    if isinstance(body, dict):
        for prop in schema.get("properties", {}):
            for candidate in (f"{name}.{prop}", prop):
                if candidate in objects:
                    value = objects[candidate]
                    body[prop] = value[0] if isinstance(value, list) else value
                    names_b = True
                    break
    return body, content_type, names_b


def api_routes(schema: dict[str, Any], objects: dict[str, Any]) -> list[Route]:
    """Every operation of the OpenAPI schema, with path, query and body naming B's objects."""
    components = schema.get("components", {}).get("schemas", {})
    routes: list[Route] = []
    for template, operations in schema["paths"].items():
        for method, operation in operations.items():
            name = f"{method.upper()} {template}"
            combos: list[dict[str, Any]] = [{}]
            query: dict[str, Any] = {}
            names_b = False
            for parameter in operation.get("parameters", []):
                key, where = parameter["name"], parameter["in"]
                try:
                    values, is_object = _values_for(name, key, objects)
                except Unfillable:
                    if where == "path" or parameter.get("required"):
                        raise
                    continue  # an optional filter naming nothing: leave it out
                # An optional filter naming B's object may answer like one naming no object
                # (an empty list), as long as nothing of B shows: that reveals nothing either.
                names_b = names_b or (is_object and (where == "path" or parameter.get("required")))
                if where == "path":
                    combos = [{**combo, key: value} for combo in combos for value in values]
                elif values[0] is not None and values[0] != "":
                    query[key] = values[0]
            body, content_type, body_names_b = _body(operation, components, objects, name)
            names_b = names_b or body_names_b
            if method != "get" and not names_b and name not in OWN_MINISTRY_ONLY:
                raise Unfillable(
                    f"{name} names no object of ministry B: map its parameter in object_params()"
                    f" or list it in OWN_MINISTRY_ONLY with the reason."
                )
            if name in OWN_MINISTRY_ONLY:
                body = {} if content_type == "application/json" else body
            for combo in combos:
                path = template.format(**combo)
                routes.append(
                    Route(
                        label=f"{name} → {path}",
                        name=name,
                        method=method.upper(),
                        path=path,
                        query=query,
                        body=body,
                        content_type=content_type,
                        names_b_object=names_b,
                        params=combo,
                    )
                )
    return routes


def _fresh(body: Any) -> Any:
    """Uploaded files are read once: give every request its own."""
    if isinstance(body, dict):
        return {
            key: SimpleUploadedFile(UPLOAD_NAME, UPLOAD, "text/csv") if value is UPLOAD else value
            for key, value in body.items()
        }
    return body


def send(client: Client, route: Route) -> Any:
    if route.method == "GET":
        return client.get(route.path, route.query)
    path = route.path
    if route.query:
        path += "?" + "&".join(f"{k}={v}" for k, v in route.query.items())
    body = _fresh(route.body)
    if route.content_type == "application/json":
        return client.generic(
            route.method, path, json.dumps(body or {}), content_type="application/json"
        )
    if route.method == "POST":
        return client.post(path, body or {})
    return client.generic(route.method, path)


def _shows_b(response: Any, markers: list[str]) -> list[str]:
    raw = response.content
    text = raw.decode("utf-8", errors="replace")
    if response.get("Content-Type", "").startswith("application/json"):
        text = json.dumps(json.loads(raw or b"null"), ensure_ascii=False)
    return [marker for marker in markers if marker in text]


def check(client: Client, route: Route, markers: list[str]) -> str | None:
    """Send one request; what went wrong, or None."""
    response = send(client, route)
    status = response.status_code
    if status >= 500:
        return f"{route.label}: server error {status}"
    shown = _shows_b(response, markers)
    if shown:
        return f"{route.label}: answered {status} showing ministry B's {shown}"
    if route.names_b_object and route.name not in NATIONAL:
        allowed = {404}
        if route.name in EXPECT_403:
            allowed.add(403)
        if route.method == "GET" and not route.name.startswith(("GET ", "POST ")):
            allowed.add(POST_ONLY_GET)
        if status not in allowed:
            return f"{route.label}: answered {status}, not 404"
    return None


# ---- the tests -------------------------------------------------------------------------------

ROLES = [
    "liaison",
    "reviewer",
    "other_liaison",
    "centre",
    "cio",
    "head",
    "committee_civil",
    "auditor",
    "outsider",
]


@pytest.mark.parametrize("who", ROLES)
def test_no_role_of_ministry_a_reaches_ministry_b_on_any_route(
    tree: Tree, cast: Cast, objects: Objects, who: str
) -> None:
    params = object_params(objects)
    client = Client()
    client.force_login(getattr(cast, who))
    schema = client.get("/api/openapi.json").json()
    routes = page_routes(params) + api_routes(schema, params)
    problems: list[str] = []
    before = table_snapshot()
    for route in routes:
        problem = check(client, route, objects.markers)
        after = table_snapshot()
        changed = changed_tables(before, after)
        if changed:
            problems.append(f"{route.label}: changed {changed}")
            before = after
        if problem:
            problems.append(problem)
    assert not problems, f"{who} of ministry A reached ministry B:\n" + "\n".join(problems)


@pytest.mark.parametrize("who", ROLES)
def test_a_refused_request_changes_nothing_on_any_route_of_ones_own_ministry(
    tree: Tree, cast: Cast, own_objects: Objects, who: str
) -> None:
    """Refuse before you write, inside the wall: the same routes on ministry A's own objects.
    Whatever a role is refused (4xx) leaves every table as it was; what it may do, it does."""
    params = object_params(own_objects)
    client = Client()
    client.force_login(getattr(cast, who))
    schema = client.get("/api/openapi.json").json()
    routes = page_routes(params) + api_routes(schema, params)
    problems: list[str] = []
    before = table_snapshot()
    for route in routes:
        status = send(client, route).status_code
        after = table_snapshot()
        if status >= 500:
            problems.append(f"{route.label}: server error {status}")
        elif status >= 400 and (changed := changed_tables(before, after)):
            problems.append(f"{route.label}: refused with {status} but changed {changed}")
        before = after
    assert not problems, f"{who} was refused but something was written:\n" + "\n".join(problems)


def test_every_api_url_is_in_the_openapi_schema(client: Client, db: None) -> None:
    """Operations hidden from the schema would escape the generated test."""
    schema = client.get("/api/openapi.json").json()
    documented = set(schema["paths"])
    missing = []
    for route, name, _params in _url_patterns(get_resolver().url_patterns):
        if not route.startswith("api/") or _exempt(name):
            continue
        template = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
        if template not in documented:
            missing.append(f"{template} ({name})")
    assert not missing, f"API routes missing from /api/openapi.json: {missing}"


def test_a_route_with_a_parameter_nobody_mapped_fails_the_test(objects: Objects) -> None:
    """The guard that keeps new routes from being skipped silently."""
    schema = {
        "paths": {"/api/things/{thing_id}": {"get": {"parameters": [
            {"name": "thing_id", "in": "path", "required": True}]}}}
    }  # fmt: skip
    with pytest.raises(Unfillable, match=r"thing_id.*object_params"):
        api_routes(schema, object_params(objects))


class _UrlConfWithANewPage:
    """A URL conf as it might look after somebody adds a page (and static files in DEBUG)."""

    urlpatterns = [
        re_path(r"^static/(?P<path>.*)$", lambda request, path: HttpResponse()),  # exempt
        path("things/<int:thing_pk>/", lambda request, thing_pk: HttpResponse(), name="thing"),
    ]


def test_a_page_with_a_parameter_nobody_mapped_fails_the_test(
    objects: Objects, settings: Any
) -> None:
    settings.ROOT_URLCONF = _UrlConfWithANewPage
    with pytest.raises(Unfillable, match=r"thing: cannot fill the parameter 'thing_pk'"):
        page_routes(object_params(objects))


@pytest.mark.parametrize("who", ["liaison", "centre", "cio", "auditor", "outsider"])
def test_the_admin_is_closed_to_every_role(cast: Cast, who: str) -> None:
    client = Client()
    client.force_login(getattr(cast, who))
    for name in ("admin:index", "admin:organisations_organisation_changelist"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_ministry_bs_own_people_do_reach_their_objects(objects: Objects) -> None:
    """The same requests succeed inside the wall, so the 404s above are the wall's doing."""
    client = Client()
    client.force_login(objects.centre)
    assert client.get(f"/api/datasets/{objects.draft.pk}").status_code == 200
    assert client.get(f"/api/inventory/items/{objects.item.pk}").status_code == 200
    assert client.get(f"/api/quality/runs/{objects.run.pk}").status_code == 200
    assert client.get(f"/api/publishing/outbox/{objects.entry.pk}").status_code == 200
    assert client.get(reverse("plans:detail", args=["moj"])).status_code == 200
    assert client.get(reverse("datasets:detail", args=[objects.scheduled.pk])).status_code == 200
