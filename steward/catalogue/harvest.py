"""Harvesting in (匯入他站目錄): a ministry's datasets taken from another CKAN or DCAT catalogue.

`harvest(kind, url, by=, agency=)` reads every dataset of the source — CKAN's Action API with
the `ckanapi` client (package_search, page by page), or DCAT (rdflib, following Hydra's
`nextPage`) — maps each back to the national standard's record (§1 JSON) and then:

1. checks every record before writing anything: the standard's validator
   (`validate_metadata`), one identifier once per source, and an identifier already used here
   only by a published dataset of the same agency; each record that fails is reported with
   its identifier and field, and then nothing is written (all-or-nothing per run);
2. in one transaction, takes in new datasets (`datasets.services.import_published`) and
   brings earlier harvested ones up to date (`datasets.services.update_from_source`), leaving
   unchanged ones alone.

A record's 資料集編號 takes the target agency's code (the serial is kept), so the datasets are
that agency's and a later run matches them again. Every request goes through `lib/http.py`
(address policy on every hop, redirect cap and loop detection, time and size limits); the
source's failures (a web page instead of data, 404, a redirect loop, an answer over the size
limit, a private address) end the run with one clear `HarvestError`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import ckanapi
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF
from rdflib.term import Node

from steward.catalogue.dcat import _MINUTES, _MONTHS, FILE_TYPES, HYDRA, LICENCES, STANDARD, VCARD
from steward.datasets import services
from steward.datasets.metadata import agency_code_of, errors_only, last_published_record
from steward.datasets.models import Dataset
from steward.datasets.standard import IDENTIFIER_RE, validate_metadata
from steward.datasets.standard.fields import DATASET_FIELDS, RESOURCE_FIELDS
from steward.datasets.workflow import Status
from steward.lib.http import AddressPolicy, FetchError, Response, Timeouts, fetch_sync
from steward.organisations.models import Organisation, Person
from steward.organisations.scope import Action, require

KINDS = ("ckan", "dcat")
DEFAULT_MAX_BYTES = 32 * 1024 * 1024  # one answer (one page of the source)
PAGE_ROWS = 100
MAX_PAGES = 2000
DATASET_KEYS = {spec.key for spec in DATASET_FIELDS}
RESOURCE_KEYS = {spec.key for spec in RESOURCE_FIELDS}
_LICENCE_NAMES = {"OGDL-Taiwan-1.0": "政府資料開放授權條款-第1版"}
_RDF_SYNTAX = {"text/turtle": "turtle", "application/ld+json": "json-ld",
               "application/rdf+xml": "xml", "application/n-triples": "nt"}  # fmt: skip


class HarvestError(Exception):
    """A harvest that stopped and wrote nothing: the message says why, `problems` list the
    refused records (identifier, field, why), one a line."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


@dataclass
class HarvestReport:
    """What one run did (or, refused, would not do): identifiers per outcome."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Fetcher:
    """GET through `lib/http.py`, turning what is not data into one clear HarvestError."""

    policy: AddressPolicy
    max_bytes: int = DEFAULT_MAX_BYTES
    timeouts: Timeouts = field(default_factory=lambda: Timeouts(connect=10, read=30, total=120))

    def request(
        self,
        method: str,
        url: str,
        *,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        accept_error_json: bool = False,
    ) -> Response:
        try:
            response = fetch_sync(
                method,
                url,
                max_bytes=self.max_bytes,
                timeouts=self.timeouts,
                policy=self.policy,
                headers=headers,
                data=data,
            )
        except FetchError as error:
            raise HarvestError(
                _("The harvest source could not be read at %(url)s: %(why)s")
                % {"url": error.url or url, "why": error.message}
            ) from None
        if response.truncated:
            raise HarvestError(
                _(
                    "The harvest source's answer at %(url)s is larger than %(size)d MB; nothing was read."
                )
                % {"url": url, "size": self.max_bytes // (1024 * 1024)}
            )
        head = response.body[:512].lstrip().lower()
        if response.content_type in ("text/html", "application/xhtml+xml") or head.startswith(
            (b"<!doctype html", b"<html")
        ):
            raise HarvestError(
                _(
                    "The harvest source answered a web page (HTTP %(status)d) at %(url)s, not a "
                    "catalogue; check the address."
                )
                % {"status": response.status, "url": response.url}
            )
        if response.status >= 400 and not (accept_error_json and _is_json(response.body)):
            raise HarvestError(
                _("The harvest source answered HTTP %(status)d at %(url)s.")
                % {"status": response.status, "url": response.url}
            )
        return response


def _is_json(body: bytes) -> bool:
    try:
        return isinstance(json.loads(body), dict)
    except ValueError:
        return False


# --- CKAN -------------------------------------------------------------------------------------


class _CkanAnswer:
    def __init__(self, response: Response) -> None:
        self.status_code = response.status
        self.text = response.body.decode("utf-8", errors="replace")


class _CkanSession:
    """The `requests`-like session ckanapi calls, made of `lib/http.py` requests."""

    def __init__(self, fetcher: Fetcher) -> None:
        self.fetcher = fetcher

    def _answer(self, response: Response) -> _CkanAnswer:
        if not _is_json(response.body):
            raise HarvestError(
                _("The harvest source at %(url)s does not answer as CKAN's Action API does.")
                % {"url": response.url}
            )
        return _CkanAnswer(response)

    def post(self, url: str, data: Any = None, headers: Any = None, **_options: Any) -> Any:
        body = data.encode("utf-8") if isinstance(data, str) else data
        response = self.fetcher.request(
            "POST", url, data=body, headers=dict(headers or {}), accept_error_json=True
        )
        return self._answer(response)

    def get(self, url: str, params: Any = None, headers: Any = None, **_options: Any) -> Any:
        raise NotImplementedError  # ckanapi uses post unless get_only

    def close(self) -> None:
        return None


def _extras(package: Mapping[str, Any]) -> dict[str, Any]:
    extras = {}
    for item in package.get("extras") or []:
        if isinstance(item, Mapping) and item.get("key") in DATASET_KEYS:
            extras[str(item["key"])] = item.get("value")
    return extras


def record_from_package(package: Mapping[str, Any]) -> dict[str, Any]:
    """A CKAN package as the national standard's record (the inverse of `ckan.package_dict`)."""
    record: dict[str, Any] = {}
    for key, value in _extras(package).items():
        if key == "numberOfData":
            record[key] = int(value) if str(value).strip().isdigit() else value
        else:
            record[key] = value
    licence = str(package.get("license_title") or "") or _LICENCE_NAMES.get(
        str(package.get("license_id") or ""), str(package.get("license_id") or "")
    )
    mapped = {
        "identifier": package.get("identifier") or record.get("identifier"),
        "title": package.get("title"),
        "description": package.get("notes"),
        "keyword": [t.get("name") for t in package.get("tags") or [] if isinstance(t, Mapping)],
        "license": licence,
        "licenseURL": package.get("license_url"),
        "landingPage": package.get("url"),
        "publisher": package.get("author"),
        "publisherContactName": package.get("maintainer"),
        "publisherContactEmail": package.get("maintainer_email"),
    }
    record.update({k: v for k, v in mapped.items() if v not in (None, "", [])})
    resources = []
    for resource in package.get("resources") or []:
        item = {k: v for k, v in resource.items() if k in RESOURCE_KEYS and v not in (None, "")}
        item.setdefault("resourceID", resource.get("id"))
        item.setdefault("resourceDescription", resource.get("description") or resource.get("name"))
        item.setdefault("format", resource.get("format"))
        item.setdefault("resourceModified", resource.get("last_modified"))
        if not item.get("accessURL"):
            item.setdefault("downloadURL", resource.get("url"))
        resources.append({k: v for k, v in item.items() if v not in (None, "")})
    record["distribution"] = resources
    return record


def ckan_records(
    url: str, fetcher: Fetcher, *, fq: str = ""
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(reference, record) of every dataset package_search finds (`fq` narrows), page by page."""
    remote = ckanapi.RemoteCKAN(url.rstrip("/"), session=_CkanSession(fetcher))
    start = 0
    for _page in range(MAX_PAGES):
        try:
            result = remote.action.package_search(
                rows=PAGE_ROWS, start=start, sort="name asc", **({"fq": fq} if fq else {})
            )
        except ckanapi.errors.CKANAPIError as error:
            raise HarvestError(
                _("The CKAN source at %(url)s refused package_search: %(why)s")
                % {"url": url, "why": str(error)[:200]}
            ) from None
        packages = result.get("results") if isinstance(result, Mapping) else None
        if not isinstance(packages, list):
            raise HarvestError(
                _("The harvest source at %(url)s does not answer as CKAN's Action API does.")
                % {"url": url}
            )
        for package in packages:
            if isinstance(package, Mapping):
                yield (
                    str(package.get("name") or package.get("id") or ""),
                    record_from_package(package),
                )
        start += len(packages)
        if not packages or start >= int(result.get("count") or 0):
            return
    raise HarvestError(_("The harvest source has more than %(n)d pages.") % {"n": MAX_PAGES})


# --- DCAT -------------------------------------------------------------------------------------

_FREQUENCY_TEXT = {
    **{code: f"每{months}月" for months, code in _MONTHS.items() if months not in (12, 24, 36)},
    "ANNUAL": "每1年", "BIENNIAL": "每2年", "TRIENNIAL": "每3年",
    **{code: f"每{minutes}分鐘" for minutes, code in _MINUTES.items() if minutes < 60},
    "HOURLY": "每1小時", "DAILY": "每1日", "WEEKLY": "每1週", "UPDATE_CONT": "即時",
    "IRREG": "不定期",
}  # fmt: skip
_FILE_TYPE_LABELS = {code: label for label, code in FILE_TYPES.items()}


def _text(graph: Graph, subject: Node, predicate: URIRef) -> str:
    """The value of a property, preferring Traditional Chinese among language-tagged ones."""
    values = list(graph.objects(subject, predicate))
    values.sort(key=lambda v: 0 if getattr(v, "language", None) == "zh-hant" else 1)
    return str(values[0]).strip() if values else ""


def _standard_time(value: Any) -> str:
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    return str(value or "")


def _standard_terms(graph: Graph, subject: Node) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for predicate, value in graph.predicate_objects(subject):
        if isinstance(predicate, URIRef) and str(predicate).startswith(str(STANDARD)):
            key = str(predicate)[len(str(STANDARD)) :]
            python = value.toPython() if isinstance(value, Literal) else str(value)
            if key == "keyword" and isinstance(python, str):
                try:
                    python = json.loads(python)
                except ValueError:
                    python = [python]
            values[key] = python
    return values


def _distribution(graph: Graph, node: Node) -> dict[str, Any]:
    item: dict[str, Any] = {
        "resourceID": _text(graph, node, DCTERMS.identifier),
        "resourceDescription": _text(graph, node, DCTERMS.description),
        "downloadURL": _text(graph, node, DCAT.downloadURL),
        "accessURL": _text(graph, node, DCAT.accessURL),
        "resourceModified": _standard_time(graph.value(node, DCTERMS.modified)),
    }
    file_type = _text(graph, node, DCTERMS.format).rsplit("/", 1)[-1]
    item["format"] = _FILE_TYPE_LABELS.get(file_type, file_type)
    standard = _standard_terms(graph, node)
    if "accessURL" not in standard and item["accessURL"] == item["downloadURL"]:
        item.pop("accessURL")  # DCAT-AP needs one; the standard has only the download
    item.update(standard)
    return {k: v for k, v in item.items() if v not in (None, "")}


def record_from_dcat(graph: Graph, dataset: Node) -> dict[str, Any]:
    """A dcat:Dataset as the national standard's record; `std:` terms win where present."""
    publisher = graph.value(dataset, DCTERMS.publisher)
    contact = graph.value(dataset, DCAT.contactPoint)
    frequency = _text(graph, dataset, DCTERMS.accrualPeriodicity).rsplit("/", 1)[-1]
    period = graph.value(dataset, DCTERMS.temporal)
    licences = {
        str(o)
        for d in graph.objects(dataset, DCAT.distribution)
        for o in graph.objects(d, DCTERMS.license)
    }
    licence_name = next((name for name, uri in LICENCES.items() if uri in licences), "")
    record: dict[str, Any] = {
        "identifier": _text(graph, dataset, DCTERMS.identifier),
        "title": _text(graph, dataset, DCTERMS.title),
        "description": _text(graph, dataset, DCTERMS.description),
        "keyword": sorted(str(k) for k in graph.objects(dataset, DCAT.keyword)),
        "landingPage": _text(graph, dataset, DCAT.landingPage),
        "publisher": _text(graph, publisher, FOAF.name) if publisher is not None else "",
        "accrualPeriodicity": _FREQUENCY_TEXT.get(frequency, ""),
        "issued": _standard_time(graph.value(dataset, DCTERMS.issued)),
        "modified": _standard_time(graph.value(dataset, DCTERMS.modified)),
        "license": licence_name,
        "licenseURL": next(iter(sorted(licences)), ""),
    }
    if contact is not None:
        email = _text(graph, contact, VCARD.hasEmail).removeprefix("mailto:")
        record.update(
            publisherContactName=_text(graph, contact, VCARD.fn), publisherContactEmail=email
        )
    if period is not None:
        record["temporalCoverageFrom"] = _standard_time(graph.value(period, DCAT.startDate))
        record["temporalCoverageTo"] = _standard_time(graph.value(period, DCAT.endDate))
    record.update(_standard_terms(graph, dataset))
    record = {k: v for k, v in record.items() if v not in (None, "", [])}
    distributions = [_distribution(graph, d) for d in graph.objects(dataset, DCAT.distribution)]
    record["distribution"] = sorted(distributions, key=lambda d: str(d.get("resourceID", "")))
    return record


def _syntax(response: Response) -> str:
    if response.content_type in _RDF_SYNTAX:
        return _RDF_SYNTAX[response.content_type]
    path = response.url.split("?", 1)[0].lower()
    for suffix, syntax in ((".jsonld", "json-ld"), (".rdf", "xml"), (".xml", "xml")):
        if path.endswith(suffix):
            return syntax
    return "turtle"


def dcat_records(url: str, fetcher: Fetcher) -> Iterator[tuple[str, dict[str, Any]]]:
    """(reference, record) of every dcat:Dataset, following hydra:nextPage."""
    seen: set[str] = set()
    page: str | None = url
    while page is not None:
        if page in seen:
            raise HarvestError(
                _("The harvest source's pages lead back to %(url)s.") % {"url": page}
            )
        if len(seen) >= MAX_PAGES:
            raise HarvestError(
                _("The harvest source has more than %(n)d pages.") % {"n": MAX_PAGES}
            )
        seen.add(page)
        response = fetcher.request(
            "GET",
            page,
            headers={"Accept": "text/turtle, application/ld+json;q=0.9, application/rdf+xml;q=0.8"},
        )
        syntax = _syntax(response)
        graph = Graph()
        try:
            graph.parse(data=response.body, format=syntax)
        except Exception:  # rdflib raises many kinds; none of them is for people
            raise HarvestError(
                _(
                    "The harvest source's answer at %(url)s is not DCAT that can be read (%(syntax)s)."
                )
                % {"url": page, "syntax": syntax}
            ) from None
        datasets = sorted(set(graph.subjects(RDF.type, DCAT.Dataset)), key=str)
        for dataset in datasets:
            yield str(dataset), record_from_dcat(graph, dataset)
        following = next(iter(graph.objects(None, HYDRA.nextPage)), None)
        page = str(following) if following is not None else None


# --- the run ----------------------------------------------------------------------------------


def rekey(record: dict[str, Any], agency_code: str) -> dict[str, Any]:
    """The record with its 資料集編號 (and 資料資源編號) under `agency_code`, the serial kept."""
    identifier = str(record.get("identifier") or "").strip()
    if not IDENTIFIER_RE.match(identifier) or identifier.startswith(f"{agency_code}-"):
        return record
    new = f"{agency_code}-{identifier.split('-', 1)[1]}"
    copy = dict(record, identifier=new)
    copy["distribution"] = [
        dict(r, resourceID=new + str(r["resourceID"])[len(identifier) :])
        if str(r.get("resourceID") or "").startswith(f"{identifier}-")
        else dict(r)
        for r in record.get("distribution") or []
    ]
    return copy


def _comparable(record: Mapping[str, Any] | None) -> Any:
    if record is None:
        return None
    data = {k: v for k, v in record.items() if v not in (None, "", []) and k != "distribution"}
    data["distribution"] = [
        {k: v for k, v in r.items() if v not in (None, "")}
        for r in record.get("distribution") or []
    ]
    return json.loads(json.dumps(data, sort_keys=True, default=str))


def _in_subtree(dataset: Dataset, agency: Organisation) -> bool:
    return dataset.organisation.path.startswith(agency.path)


def harvest(
    kind: str,
    url: str,
    *,
    by: Person,
    agency: Organisation,
    policy: AddressPolicy | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    fq: str = "",
) -> HarvestReport:
    """Harvest every dataset of the source into `agency`, all or nothing (see the module)."""
    require(by, Action.DATASET_PUBLISH, agency)
    if kind not in KINDS:
        raise HarvestError(_("Unknown kind of harvest source: %(kind)s") % {"kind": kind})
    code = agency_code_of(agency)
    if not code:
        raise HarvestError(
            _("%(agency)s has no agency code, which identifiers need.") % {"agency": agency.name}
        )
    fetcher = Fetcher(policy=policy or AddressPolicy.from_settings(), max_bytes=max_bytes)
    found = ckan_records(url, fetcher, fq=fq) if kind == "ckan" else dcat_records(url, fetcher)
    records = [(reference, rekey(record, code)) for reference, record in found]

    report = HarvestReport()
    problems: list[str] = []
    plan: list[tuple[dict[str, Any], Dataset | None]] = []
    seen: set[str] = set()
    existing = {
        d.identifier: d
        for d in Dataset.objects.select_related("organisation").filter(
            identifier__in=[str(r.get("identifier") or "") for _ref, r in records]
        )
    }
    for reference, record in records:
        identifier = str(record.get("identifier") or "").strip()
        name = identifier or reference
        refused = [f"{name}: {p.key}: {p.message}" for p in errors_only(validate_metadata(record))]
        dataset = existing.get(identifier)
        if identifier in seen:
            refused.append(
                f"{name}: identifier: " + _("the source has this identifier more than once.")
            )
        elif dataset is not None and not _in_subtree(dataset, agency):
            refused.append(
                f"{name}: identifier: " + _("already used by a dataset of another agency here.")
            )
        elif dataset is not None and dataset.status != Status.PUBLISHED:
            refused.append(
                f"{name}: identifier: "
                + _("the dataset here is “%(status)s”; only a published one is updated.")
                % {"status": Status(dataset.status).label}
            )
        seen.add(identifier)
        if refused:
            report.refused.append(name)
            problems.extend(refused)
        elif dataset is None:
            plan.append((record, None))
        elif _comparable(last_published_record(dataset)) == _comparable(record):
            report.unchanged.append(identifier)
        else:
            plan.append((record, dataset))
    if problems:
        raise HarvestError(
            _(
                "%(count)d record(s) of the source do not meet the national standard or cannot be taken in; nothing was written."
            )
            % {"count": len(report.refused)},
            problems,
        )
    with transaction.atomic():
        for record, dataset in plan:
            if dataset is None:
                services.import_published(by=by, organisation=agency, metadata=record)
                report.added.append(str(record["identifier"]))
            else:
                services.update_from_source(dataset, by=by, metadata=record, source=url)
                report.updated.append(str(record["identifier"]))
    return report
