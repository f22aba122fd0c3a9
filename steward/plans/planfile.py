"""Reading and checking plan files (資料開放行動方案 as TOML): pure functions, no database.

`read_plan_text(text, name)` returns a `PlanFile` with every version resolved
(inheritance applied, organisation tokens expanded), or raises `PlanError`
listing every problem found, each with the file name, the key path, the line
(where it can be found) and the reason. See docs/plans.md for the format.
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError

from steward.plans.locate import LineIndex

FORMAT_VERSION = 1
SCHEMA_PATH = Path(__file__).parent / "schema" / "plan.schema.json"

# Tokens that stand for several organisations of the file (本部及各機關(構) and the like).
ORGANISATION_TOKENS = {
    "*all": "the ministry and every agency (本部及各機關(構))",
    "*agencies": "every agency (各機關(構))",
    "*units": "every unit (各單位)",
}

# Months each deadline period covers; a deadline must fall in its period (unless next_year).
PERIOD_MONTHS: dict[str, range] = {
    "Q1": range(1, 4),
    "Q2": range(4, 7),
    "Q3": range(7, 10),
    "Q4": range(10, 13),
    "H1": range(1, 7),
    "H2": range(7, 13),
    "Y": range(1, 13),
}

# Sections a version may state; with `inherit = true` each one given replaces the previous
# version's section as a whole (rules: each rule, e.g. rules.feedback, separately).
VERSION_SECTIONS = ("targets", "schedule", "kpis")
VERSION_OWN_KEYS = ("label", "title", "adopted_on", "adopted_on_stated", "inherit", "note")

#: The inventory chains a plan may state (`rules.inventory.stages`).
INVENTORY_STAGE_ORDERS = (
    ["compilation", "approval"],
    ["agency_approval", "compilation", "approval"],
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a plan file."""

    file: str
    path: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        key = f" [{self.path}]" if self.path else ""
        return f"{where}{key}: {self.reason}"


class PlanError(Exception):
    """A plan file is not valid; `problems` lists every reason. Nothing was loaded."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


@dataclass
class PlanFile:
    """A checked plan file: the plan header, its organisations and its resolved versions."""

    name: str
    text: str
    sha256: str
    plan: dict[str, Any]
    organisations: list[dict[str, Any]]
    versions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def key(self) -> str:
        return str(self.plan["key"])

    def version(self, label: str) -> dict[str, Any]:
        for version in self.versions:
            if version["label"] == label:
                return version
        raise KeyError(label)


@cache
def schema_validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def read_plan_file(path: Path) -> PlanFile:
    """Read and check the plan file at `path` (UTF-8). A file that cannot be read raises
    OSError (the command line says which and why)."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise PlanError(
            [
                Problem(
                    path.name,
                    "",
                    _("the file is not UTF-8 text (%(reason)s).") % {"reason": error.reason},
                )
            ]
        ) from None
    return read_plan_text(text, path.name)


def read_plan_text(text: str, name: str) -> PlanFile:
    """Parse, validate and resolve a plan file's text; raise `PlanError` listing every problem."""
    try:
        return _read_plan_text(text, name)
    except RecursionError:
        # A hostile file of arrays inside arrays a thousand deep exhausts the parser's stack.
        raise PlanError(
            [Problem(name, "", _("The file nests arrays or tables too deeply to be read."))]
        ) from None


def _read_plan_text(text: str, name: str) -> PlanFile:
    text = text.removeprefix("\ufeff")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        match = re.search(r"\(at line (\d+), column (\d+)\)", message)
        line = int(match.group(1)) if match else None
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
        if match:
            reason = _("%(reason)s (column %(column)s)") % {
                "reason": reason,
                "column": match.group(2),
            }
        raise PlanError(
            [Problem(name, "", _("not valid TOML: %(reason)s.") % {"reason": reason}, line)]
        ) from None
    lines = LineIndex(text)
    plain = _jsonable(data)
    problems = [
        Problem(name, path, reason, lines.line_of(path)) for path, reason in schema_problems(plain)
    ]
    if problems:
        raise PlanError(problems)
    problems = [
        Problem(name, path, reason, lines.line_of(path))
        for path, reason in semantic_problems(plain)
    ]
    if problems:
        raise PlanError(problems)
    return PlanFile(
        name=name,
        text=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        plan=plain["plan"],
        organisations=plain["organisations"],
        versions=resolve_versions(plain),
    )


def _jsonable(value: Any) -> Any:
    """TOML values as JSON values: dates become ISO strings (the schema checks their shape)."""
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    return value


def format_path(parts: Any) -> str:
    """["versions", 1, "schedule", 3] → "versions[1].schedule[3]"."""
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def schema_problems(data: dict[str, Any]) -> list[tuple[str, str]]:
    """(key path, reason) for every place where `data` breaks plan.schema.json."""
    found: list[tuple[str, str]] = []
    errors = sorted(schema_validator().iter_errors(data), key=lambda e: list(map(str, e.path)))
    for error in errors:
        path = format_path(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            # Point at each unknown key itself (its own line), not at the table holding it.
            schema: dict[str, Any] = error.schema if isinstance(error.schema, dict) else {}
            allowed = sorted(schema.get("properties", {}))
            for extra in sorted(set(error.instance) - set(allowed)):
                found.append(
                    (
                        f"{path}.{extra}" if path else extra,
                        _("unknown key '%(key)s'; allowed keys: %(allowed)s.")
                        % {"key": extra, "allowed": ", ".join(allowed)},
                    )
                )
            continue
        found.append((path, _schema_reason(error)))
    return found


def _schema_reason(error: SchemaError) -> str:
    """A plain sentence for a schema error, naming the offending key where there is one."""
    schema: dict[str, Any] = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "required":
        return _("required key missing: %(key)s.") % {
            "key": error.message.split(" is a required")[0]
        }
    if error.validator == "enum":
        options = ", ".join(repr(option) for option in list(error.validator_value))  # type: ignore[arg-type]
        return _("%(value)s is not one of %(options)s.") % {
            "value": repr(error.instance),
            "options": options,
        }
    if error.validator == "const":
        return _("must be %(expected)s, not %(value)s.") % {
            "expected": repr(error.validator_value),
            "value": repr(error.instance),
        }
    if error.validator == "pattern":
        expected = schema.get("description") or error.validator_value
        return _("%(value)s does not have the expected form (%(expected)s).") % {
            "value": repr(error.instance),
            "expected": expected,
        }
    if error.validator == "type":
        return _("%(value)s should be of type %(type)s.") % {
            "value": repr(error.instance),
            "type": error.validator_value,
        }
    return error.message + "."


def _month_day(text: str) -> tuple[int, int] | None:
    month, day = (int(part) for part in text.split("/"))
    try:
        # 2001 is not a leap year: a recurring deadline must exist in every year.
        datetime.date(2001, month, day)
    except ValueError:
        return None
    return month, day


def semantic_problems(data: dict[str, Any]) -> list[tuple[str, str]]:
    """Checks the schema cannot express; `data` already satisfies the schema."""
    found: list[tuple[str, str]] = []
    organisations: dict[str, dict[str, Any]] = {}
    for index, organisation in enumerate(data["organisations"]):
        path = f"organisations[{index}]"
        if organisation["key"] in organisations:
            found.append(
                (
                    f"{path}.key",
                    _("organisation '%(key)s' is declared twice.") % {"key": organisation["key"]},
                )
            )
        organisations[organisation["key"]] = organisation
    codes: dict[str, str] = {}
    for index, organisation in enumerate(data["organisations"]):
        path = f"organisations[{index}]"
        parent = organisation.get("parent")
        if organisation["kind"] == "ministry" and parent:
            found.append((f"{path}.parent", _("a ministry is the root of its tree: no parent.")))
        if organisation["kind"] != "ministry" and not parent:
            found.append((f"{path}.parent", _("agencies and units need a parent.")))
        if parent and parent not in organisations:
            found.append((f"{path}.parent", _unknown_organisation(parent)))
        code = organisation.get("agency_code", "")
        if code:
            if code in codes:
                found.append(
                    (
                        f"{path}.agency_code",
                        _("agency code %(code)s is also '%(key)s'.")
                        % {"code": code, "key": codes[code]},
                    )
                )
            codes[code] = organisation["key"]
    ministry = data["plan"]["ministry"]
    if ministry not in organisations:
        found.append(("plan.ministry", _unknown_organisation(ministry)))
    elif organisations[ministry]["kind"] != "ministry":
        found.append(("plan.ministry", _("'%(key)s' is not a ministry.") % {"key": ministry}))
    cycles = _cycles(organisations)
    found.extend(cycles)
    if not cycles and ministry in organisations:
        for index, organisation in enumerate(data["organisations"]):
            root = organisation["key"]
            while organisations.get(root, {}).get("parent") in organisations:
                root = organisations[root]["parent"]
            if root != ministry and organisations.get(root, {}).get("kind") == "ministry":
                found.append(
                    (
                        f"organisations[{index}].parent",
                        _(
                            "'%(key)s' belongs to '%(root)s', not to the plan's "
                            "ministry '%(ministry)s'."
                        )
                        % {"key": organisation["key"], "root": root, "ministry": ministry},
                    )
                )

    labels: set[str] = set()
    previous: str | None = None
    for index, version in enumerate(data["versions"]):
        path = f"versions[{index}]"
        if version["label"] in labels:
            found.append(
                (
                    f"{path}.label",
                    _("version '%(label)s' appears twice.") % {"label": version["label"]},
                )
            )
        labels.add(version["label"])
        try:
            adopted = datetime.date.fromisoformat(version["adopted_on"]).isoformat()
        except ValueError:
            found.append(
                (
                    f"{path}.adopted_on",
                    _("'%(value)s' is not a real date.") % {"value": version["adopted_on"]},
                )
            )
            continue
        if previous is not None and adopted <= previous:
            found.append(
                (
                    f"{path}.adopted_on",
                    _(
                        "versions must be in the order adopted: %(adopted)s is not after "
                        "%(previous)s."
                    )
                    % {"adopted": adopted, "previous": previous},
                )
            )
        previous = adopted
        if index == 0 and version.get("inherit"):
            found.append(
                (f"{path}.inherit", _("the first version has no previous one to inherit."))
            )
        found.extend(_version_problems(version, path, organisations))
    return found


def _unknown_organisation(key: str) -> str:
    return _("unknown organisation '%(key)s'.") % {"key": key}


def _cycles(organisations: dict[str, dict[str, Any]]) -> list[tuple[str, str]]:
    found = []
    for index, key in enumerate(organisations):
        seen = {key}
        parent = organisations[key].get("parent")
        while parent and parent in organisations:
            if parent in seen:
                found.append(
                    (
                        f"organisations[{index}].parent",
                        _("'%(key)s' is inside itself.") % {"key": key},
                    )
                )
                break
            seen.add(parent)
            parent = organisations[parent].get("parent")
    return found


def _org_problems(
    refs: list[str], path: str, organisations: dict[str, dict[str, Any]]
) -> list[tuple[str, str]]:
    return [
        (f"{path}[{index}]", _unknown_organisation(ref))
        for index, ref in enumerate(refs)
        if ref not in ORGANISATION_TOKENS and ref not in organisations
    ]


def _version_problems(
    version: dict[str, Any], path: str, organisations: dict[str, dict[str, Any]]
) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    codes: set[str] = set()
    for index, item in enumerate(version.get("schedule", [])):
        item_path = f"{path}.schedule[{index}]"
        if item["code"] in codes:
            found.append(
                (
                    f"{item_path}.code",
                    _("schedule item '%(code)s' appears twice.") % {"code": item["code"]},
                )
            )
        codes.add(item["code"])
        found.extend(_org_problems(item["lead"], f"{item_path}.lead", organisations))
        found.extend(
            _org_problems(item.get("cooperating", []), f"{item_path}.cooperating", organisations)
        )
        if not item.get("deadlines") and not item.get("continuous") and not item.get("months"):
            found.append(
                (item_path, _("a schedule item needs deadlines, months, or continuous = true."))
            )
        for number, deadline in enumerate(item.get("deadlines", [])):
            deadline_path = f"{item_path}.deadlines[{number}]"
            month_day = _month_day(deadline["date"])
            if month_day is None:
                found.append(
                    (
                        f"{deadline_path}.date",
                        _("%(date)s is not a date that exists every year.")
                        % {"date": deadline["date"]},
                    )
                )
            elif (
                not deadline.get("next_year")
                and month_day[0] not in PERIOD_MONTHS[deadline["period"]]
            ):
                found.append(
                    (
                        f"{deadline_path}.date",
                        _("%(date)s is not in %(period)s.")
                        % {"date": deadline["date"], "period": deadline["period"]},
                    )
                )
    seen_targets: set[tuple[str, int | None, bool]] = set()
    for index, target in enumerate(version.get("targets", [])):
        target_path = f"{path}.targets[{index}]"
        identity = (target["measure"], target.get("year"), bool(target.get("covers_subtree")))
        if identity in seen_targets:
            found.append(
                (
                    target_path,
                    _("another target has the same measure, year and covers_subtree."),
                )
            )
        seen_targets.add(identity)
        for key in target["values"]:
            if key not in organisations:
                found.append((f"{target_path}.values.{key}", _unknown_organisation(key)))
    kpi_codes: set[str] = set()
    for index, kpi in enumerate(version.get("kpis", [])):
        kpi_path = f"{path}.kpis[{index}]"
        if kpi["code"] in kpi_codes:
            found.append(
                (f"{kpi_path}.code", _("KPI '%(code)s' appears twice.") % {"code": kpi["code"]})
            )
        kpi_codes.add(kpi["code"])
        for key in kpi.get("targets", {}):
            if key not in organisations:
                found.append((f"{kpi_path}.targets.{key}", _unknown_organisation(key)))
        if kpi.get("unit") == "percent":
            for key, value in kpi.get("targets", {}).items():
                if value > 100:
                    found.append(
                        (
                            f"{kpi_path}.targets.{key}",
                            _("%(value)s is more than 100%%.") % {"value": value},
                        )
                    )
    stages = [stage["key"] for stage in version.get("rules", {}).get("review_stages", [])]
    for index, key in enumerate(stages):
        if key in stages[:index]:
            found.append(
                (
                    f"{path}.rules.review_stages[{index}].key",
                    _("review stage '%(key)s' appears twice.") % {"key": key},
                )
            )
    inventory_stages = version.get("rules", {}).get("inventory", {}).get("stages")
    if inventory_stages is not None and inventory_stages not in INVENTORY_STAGE_ORDERS:
        found.append(
            (
                f"{path}.rules.inventory.stages",
                _(
                    "the inventory stages must be compilation then approval, optionally after"
                    " agency_approval (the agency's own CIO), each once and in that order."
                ),
            )
        )
    withdrawal = version.get("rules", {}).get("withdrawal", {})
    if (
        withdrawal.get("approved_by") == "committee_member"
        and withdrawal.get("committee_discussion") is False
    ):
        found.append(
            (
                f"{path}.rules.withdrawal.approved_by",
                _(
                    "the committee cannot approve a withdrawal it does not discuss "
                    "(committee_discussion = false)."
                ),
            )
        )
    return found


def expand_organisations(
    refs: list[str], organisations: list[dict[str, Any]], ministry: str
) -> list[str]:
    """Organisation keys for `refs`, tokens expanded over the file's organisations, in order."""
    keys: list[str] = []
    for ref in refs:
        if ref == "*all":
            expanded = [ministry] + [o["key"] for o in organisations if o["kind"] == "agency"]
        elif ref == "*agencies":
            expanded = [o["key"] for o in organisations if o["kind"] == "agency"]
        elif ref == "*units":
            expanded = [o["key"] for o in organisations if o["kind"] == "unit"]
        else:
            expanded = [ref]
        keys.extend(key for key in expanded if key not in keys)
    return keys


def resolve_versions(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every version in full: inherited sections copied in, nothing left implicit."""
    resolved: list[dict[str, Any]] = []
    for version in data["versions"]:
        if version.get("inherit") and resolved:
            content = copy.deepcopy(resolved[-1])
            for key in ("title", "note", "adopted_on_stated"):
                content.pop(key, None)
        else:
            content = {"rules": {}, "targets": [], "schedule": [], "kpis": []}
        for key in VERSION_OWN_KEYS:
            if key in version:
                content[key] = copy.deepcopy(version[key])
        content.setdefault("adopted_on_stated", True)
        content["inherit"] = bool(version.get("inherit"))
        for rule, value in version.get("rules", {}).items():
            content["rules"][rule] = copy.deepcopy(value)
        for section in VERSION_SECTIONS:
            if section in version:
                content[section] = copy.deepcopy(version[section])
        resolved.append(content)
    return resolved


def unknown_measure_problems(plan_file: PlanFile) -> list[Problem]:
    """Each KPI whose `measure` no app registered (`steward.evaluation.registry`), at the
    line of its `measure` key. Kept apart from `read_plan_file` because the measures are
    registered by the installed apps, not by the file format."""
    from steward.evaluation import registry

    raw = tomllib.loads(plan_file.text)
    lines = LineIndex(plan_file.text)
    found = []
    for number, version in enumerate(raw.get("versions", [])):
        for index, kpi in enumerate(version.get("kpis", [])):
            name = kpi.get("measure", "")
            if not registry.is_registered(name):
                path = f"versions[{number}].kpis[{index}].measure"
                known = ", ".join(spec.name for spec in registry.registered())
                found.append(
                    Problem(
                        plan_file.name,
                        path,
                        _("no measure is called '%(name)s' (known: %(known)s).")
                        % {"name": name, "known": known},
                        lines.line_of(path),
                    )
                )
    return found
