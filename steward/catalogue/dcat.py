"""The public catalogue as DCAT-AP 3.0.1, for harvesters (data.europa.eu and national portals).

`catalogue_graph(entries, …)` builds one page of the catalogue as an rdflib graph: the catalogue,
its datasets (資料集) with their distributions (資料資源), the agencies as `foaf:Agent` with their
agency codes, and Hydra's paging terms as ckanext-dcat writes them. The national standard's
values map onto the EU vocabularies: 更新頻率 → the frequency NAL, 檔案格式 → the file-type NAL,
語系 → the language NAL, and the licence → its URI. Each vocabulary term carries its type and
`skos:inScheme`, as the DCAT-AP shapes require of the data (they validate offline, with no
vocabulary downloaded). Served at /catalog.ttl, /catalog.jsonld and /catalog.rdf.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD

from steward.catalogue.models import CatalogueEntry
from steward.datasets.standard import normalise_format_label
from steward.datasets.standard.frequency import (
    FrequencyKind,
    UpdateFrequencyError,
    parse_update_frequency,
)

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
EU = "http://publications.europa.eu/resource/authority/"
FREQUENCY = URIRef(EU + "frequency")
FILE_TYPE = URIRef(EU + "file-type")
LANGUAGE = URIRef(EU + "language")
LANG = "zh-hant"
#: The national standard's own keys, for the values DCAT-AP has no exact term for (服務分類,
#: 主要欄位說明, 計費方式, the contacts, 更新頻率 as written …): `steward harvest dcat` reads
#: them back, so one steward harvesting another loses nothing; other harvesters ignore them.
STANDARD = Namespace("urn:opendata-steward:standard#")
#: Keys DCAT-AP carries exactly (dct:identifier, dct:title …), not repeated as STANDARD terms.
_EXACT = {"identifier", "title", "description", "landingPage",
          "temporalCoverageFrom", "temporalCoverageTo", "distribution"}  # fmt: skip
_EXACT_RESOURCE = {"resourceID", "downloadURL"}

#: 更新頻率 in calendar months → the EU frequency code.
_MONTHS = {1: "MONTHLY", 2: "BIMONTHLY", 3: "QUARTERLY", 4: "ANNUAL_3", 6: "BIANNUAL",
           12: "ANNUAL", 24: "BIENNIAL", 36: "TRIENNIAL", 48: "QUADRENNIAL",
           60: "QUINQUENNIAL", 120: "DECENNIAL"}  # fmt: skip
#: 更新頻率 as a fixed period, in minutes → the EU frequency code.
_MINUTES = {1: "1MIN", 5: "5MIN", 10: "10MIN", 15: "15MIN", 30: "30MIN", 60: "HOURLY",
            120: "BIHOURLY", 180: "TRIHOURLY", 720: "12HRS", 1440: "DAILY",
            10080: "WEEKLY", 20160: "BIWEEKLY"}  # fmt: skip
#: 檔案格式 (normalised) → the EU file-type code; a format with none gets no dct:format.
FILE_TYPES = {"CSV": "CSV", "JSON": "JSON", "XML": "XML", "PDF": "PDF", "XLS": "XLS",
              "XLSX": "XLSX", "ODS": "ODS", "ODT": "ODT", "KML": "KML", "KMZ": "KMZ",
              "SHP": "SHP", "RDF": "RDF_XML", "JSON-LD": "JSON_LD", "GEOJSON": "GEOJSON",
              "TXT": "TXT", "ZIP": "ZIP", "HTML": "HTML", "DOC": "DOC", "DOCX": "DOCX",
              "JPG": "JPEG", "JPEG": "JPEG", "PNG": "PNG", "GML": "GML", "WMS": "WMS_SRVC"}  # fmt: skip
#: Licences by name → their URI (the national open licence, version 1).
LICENCES = {"政府資料開放授權條款-第1版": "https://data.gov.tw/license"}


def frequency_code(text: str) -> str:
    """更新頻率 → an EU frequency code (UNKNOWN when it cannot be read, OTHER when no code fits)."""
    try:
        parsed = parse_update_frequency(text)
    except UpdateFrequencyError:
        return "UNKNOWN"
    if parsed.kind is FrequencyKind.REALTIME:
        return "UPDATE_CONT"
    if parsed.kind is FrequencyKind.IRREGULAR:
        return "IRREG"
    if parsed.kind is FrequencyKind.NEVER:
        return "NEVER"
    if parsed.months is not None:
        return _MONTHS.get(parsed.months, "OTHER")
    if parsed.period is not None:
        return _MINUTES.get(int(parsed.period.total_seconds() // 60), "OTHER")
    return "UNKNOWN"


def file_type_code(declared: str) -> str | None:
    return FILE_TYPES.get(normalise_format_label(declared))


#: The EU vocabularies' English labels of the terms used here (skos:prefLabel is required).
_LABELS = {"UPDATE_CONT": "continuously updated", "IRREG": "irregular", "NEVER": "never",
           "OTHER": "other", "UNKNOWN": "unknown", "ZHO": "Chinese", "ANNUAL_3": "three times a year",
           "BIANNUAL": "semiannual", "BIWEEKLY": "biweekly", "12HRS": "twice a day",
           "BIHOURLY": "bihourly", "TRIHOURLY": "trihourly"}  # fmt: skip


def _concept(graph: Graph, uri: URIRef, kind: URIRef, scheme: URIRef) -> URIRef:
    """A term of an EU vocabulary, typed and placed in its scheme, with its label."""
    code = str(uri).rsplit("/", 1)[-1]
    label = _LABELS.get(code) or (code if scheme == FILE_TYPE else code.lower().replace("_", " "))
    graph.add((uri, RDF.type, kind))
    graph.add((uri, RDF.type, SKOS.Concept))
    graph.add((uri, SKOS.inScheme, scheme))
    graph.add((uri, SKOS.prefLabel, Literal(label, lang="en")))
    return uri


def _when(value: Any) -> Literal | None:
    """A standard date or date-time ("2026-01-02", "2026-01-02 10:00:00") as an XSD literal."""
    if not value:
        return None
    text = str(value).strip()
    try:
        if len(text) <= 10:
            return Literal(date.fromisoformat(text), datatype=XSD.date)
        return Literal(datetime.fromisoformat(text.replace(" ", "T")), datatype=XSD.dateTime)
    except ValueError:
        return None


def _web(value: Any) -> URIRef | None:
    text = str(value or "").strip()
    return URIRef(text) if re.match(r"^https?://\S+$", text) else None


class CatalogueGraph:
    """Builds one page of the catalogue; agents and vocabulary terms are written once each."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.graph = Graph()
        for prefix, namespace in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF),
                                  ("vcard", VCARD), ("hydra", HYDRA), ("skos", SKOS),
                                  ("dcatap", DCATAP), ("std", STANDARD)):  # fmt: skip
            self.graph.bind(prefix, namespace)
        self.catalogue = URIRef(f"{self.base}/catalog")
        self._agents: dict[int, URIRef] = {}

    def agent(self, organisation: Any) -> URIRef:
        if organisation.pk not in self._agents:
            code = (organisation.agency_code or organisation.key).lower()
            uri = URIRef(f"{self.base}/organization/{code}")
            g = self.graph
            g.add((uri, RDF.type, FOAF.Agent))
            g.add((uri, FOAF.name, Literal(organisation.name, lang=LANG)))
            if organisation.agency_code:
                g.add((uri, DCTERMS.identifier, Literal(organisation.agency_code)))
            self._agents[organisation.pk] = uri
        return self._agents[organisation.pk]

    def header(self, *, title: str, description: str, publisher: Any) -> None:
        g, catalogue = self.graph, self.catalogue
        g.add((catalogue, RDF.type, DCAT.Catalog))
        g.add((catalogue, DCTERMS.title, Literal(title, lang=LANG)))
        g.add((catalogue, DCTERMS.description, Literal(description, lang=LANG)))
        g.add((catalogue, DCTERMS.publisher, self.agent(publisher)))
        g.add((catalogue, FOAF.homepage, self._document(URIRef(f"{self.base}/"))))
        g.add((catalogue, DCTERMS.language, self._language()))

    def _document(self, uri: URIRef) -> URIRef:
        self.graph.add((uri, RDF.type, FOAF.Document))
        return uri

    def _language(self) -> URIRef:
        return _concept(self.graph, URIRef(EU + "language/ZHO"), DCTERMS.LinguisticSystem, LANGUAGE)

    def dataset(self, entry: CatalogueEntry) -> URIRef:
        g, record = self.graph, entry.record
        uri = URIRef(f"{self.base}/dataset/{entry.name}")
        g.add((self.catalogue, DCAT.dataset, uri))
        g.add((uri, RDF.type, DCAT.Dataset))
        g.add((uri, DCTERMS.identifier, Literal(entry.identifier)))
        g.add((uri, DCTERMS.title, Literal(entry.title, lang=LANG)))
        g.add(
            (uri, DCTERMS.description, Literal(record.get("description") or entry.title, lang=LANG))
        )
        for keyword in record.get("keyword") or []:
            g.add((uri, DCAT.keyword, Literal(str(keyword), lang=LANG)))
        g.add((uri, DCTERMS.publisher, self.agent(entry.agency)))
        frequency = URIRef(f"{EU}frequency/{frequency_code(entry.update_frequency)}")
        g.add(
            (uri, DCTERMS.accrualPeriodicity, _concept(g, frequency, DCTERMS.Frequency, FREQUENCY))
        )
        g.add((uri, DCTERMS.language, self._language()))
        for key, term in (("issued", DCTERMS.issued), ("modified", DCTERMS.modified)):
            literal = _when(record.get(key))
            if literal is not None:
                g.add((uri, term, literal))
        landing = _web(record.get("landingPage"))
        if landing is not None:
            g.add((uri, DCAT.landingPage, self._document(landing)))
        self._contact(uri, record)
        self._temporal(uri, record)
        for position, resource in enumerate(entry.resources):
            self._distribution(uri, entry, resource, position)
        self._standard(uri, record, _EXACT)
        return uri

    def _standard(self, subject: URIRef, values: dict[str, Any], exact: set[str]) -> None:
        """The standard's values DCAT-AP does not carry exactly, as `std:<key>` literals."""
        for key, value in values.items():
            if key in exact or value in (None, "", []) or not re.fullmatch(r"[A-Za-z]+", key):
                continue
            if isinstance(value, list):  # 標籤, in order (dcat:keyword has none)
                value = json.dumps(value, ensure_ascii=False)
            self.graph.add((subject, STANDARD[key], Literal(value)))

    def _contact(self, dataset: URIRef, record: dict[str, Any]) -> None:
        name = str(record.get("publisherContactName") or record.get("publisher") or "").strip()
        if not name:
            return
        g, contact = self.graph, BNode()
        g.add((dataset, DCAT.contactPoint, contact))
        g.add((contact, RDF.type, VCARD.Kind))
        g.add((contact, VCARD.fn, Literal(name, lang=LANG)))
        email = str(record.get("publisherContactEmail") or "").split(",")[0].strip()
        if email and "@" in email:
            g.add((contact, VCARD.hasEmail, URIRef(f"mailto:{email}")))
        phone = re.sub(r"[^0-9+#]", "", str(record.get("publisherContactPhone") or ""))
        if phone:
            g.add((contact, VCARD.hasTelephone, URIRef(f"tel:{phone.replace('#', ';ext=')}")))

    def _temporal(self, dataset: URIRef, record: dict[str, Any]) -> None:
        start = _when(record.get("temporalCoverageFrom"))
        end = _when(record.get("temporalCoverageTo"))
        if start is None and end is None:
            return
        g, period = self.graph, BNode()
        g.add((dataset, DCTERMS.temporal, period))
        g.add((period, RDF.type, DCTERMS.PeriodOfTime))
        if start is not None:
            g.add((period, DCAT.startDate, start))
        if end is not None:
            g.add((period, DCAT.endDate, end))

    def _distribution(
        self, dataset: URIRef, entry: CatalogueEntry, resource: dict[str, Any], position: int
    ) -> None:
        g = self.graph
        identifier = resource.get("resourceID") or f"{entry.identifier}-{position + 1:03d}"
        uri = URIRef(f"{self.base}/dataset/{entry.name}/resource/{identifier}")
        g.add((dataset, DCAT.distribution, uri))
        g.add((uri, RDF.type, DCAT.Distribution))
        g.add((uri, DCTERMS.identifier, Literal(identifier)))
        download = _web(resource.get("downloadURL"))
        access = _web(resource.get("accessURL")) or download
        if access is None:  # DCAT-AP needs an access URL: the dataset's page says how to get it
            access = URIRef(f"{self.base}/dataset/{entry.name}")
        g.add((uri, DCAT.accessURL, access))
        if download is not None:
            g.add((uri, DCAT.downloadURL, download))
        description = str(resource.get("resourceDescription") or "").strip()
        if description:
            g.add((uri, DCTERMS.description, Literal(description, lang=LANG)))
        code = file_type_code(str(resource.get("format") or ""))
        if code is not None:
            file_type = URIRef(f"{EU}file-type/{code}")
            g.add(
                (uri, DCTERMS.format, _concept(g, file_type, DCTERMS.MediaTypeOrExtent, FILE_TYPE))
            )
        licence = LICENCES.get(entry.licence.strip()) or str(entry.record.get("licenseURL") or "")
        licence_uri = _web(licence)
        if licence_uri is not None:
            g.add((uri, DCTERMS.license, licence_uri))
            g.add((licence_uri, RDF.type, DCTERMS.LicenseDocument))
        modified = _when(resource.get("resourceModified"))
        if modified is not None:
            g.add((uri, DCTERMS.modified, modified))
        self._standard(uri, resource, _EXACT_RESOURCE)

    def paging(self, page_url: str, *, page: int, per_page: int, total: int) -> None:
        """Hydra's paging terms, as ckanext-dcat writes them (page URLs as literals)."""
        g, node = self.graph, URIRef(f"{page_url}page={page}")
        last = max(1, -(-total // per_page))
        g.add((node, RDF.type, HYDRA.PagedCollection))
        g.add((node, HYDRA.totalItems, Literal(total)))
        g.add((node, HYDRA.itemsPerPage, Literal(per_page)))
        g.add((node, HYDRA.firstPage, Literal(f"{page_url}page=1")))
        g.add((node, HYDRA.lastPage, Literal(f"{page_url}page={last}")))
        if page > 1:
            g.add((node, HYDRA.previousPage, Literal(f"{page_url}page={page - 1}")))
        if page < last:
            g.add((node, HYDRA.nextPage, Literal(f"{page_url}page={page + 1}")))


def catalogue_graph(
    entries: Iterable[CatalogueEntry],
    *,
    base: str,
    publisher: Any,
    title: str,
    description: str,
    page_url: str,
    page: int,
    per_page: int,
    total: int,
) -> Graph:
    """One page of the catalogue as a DCAT-AP graph."""
    builder = CatalogueGraph(base)
    builder.header(title=title, description=description, publisher=publisher)
    for entry in entries:
        builder.dataset(entry)
    builder.paging(page_url, page=page, per_page=per_page, total=total)
    return builder.graph
