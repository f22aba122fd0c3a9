"""The one home of report kinds (報告種類): what a report is built from, by key.

Each kind is a function building a `ReportDocument` from a `ReportRequest`. Kinds live in
`steward/reports/builders/` (one module each) and any app may add one in a module named
`reports.py` (found at start-up, like `kpis.py`)::

    from steward.reports.kinds import ReportRequest, report_kind

    @report_kind("quarterly_progress", label=_("Quarterly progress report"),
                 formats=("odt", "xlsx", "pdf"), layout="text")
    def quarterly_progress(request: ReportRequest) -> ReportDocument:
        ...

The command line (`steward report KIND ...`), the download view, the dashboards' export
buttons and the scheduled report jobs all go through `build()`; none builds a document
another way.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.module_loading import autodiscover_modules

if TYPE_CHECKING:
    from steward.organisations.models import Organisation, Person
    from steward.plans.models import Plan
    from steward.reports.document import ReportDocument

# Every format a report comes in. "text" layouts are ODT first; "tables" layouts ODS first.
FORMATS = ("odt", "ods", "xlsx", "pdf")


@dataclass(frozen=True)
class ReportRequest:
    """Which report: of which organisation, for which days, under which plan, asked by whom."""

    organisation: Organisation
    start: datetime.date
    end: datetime.date  # inclusive
    period_label: str  # as printed, from steward.lib.years (e.g. 「115 年第 4 季」)
    plan: Plan | None = None
    actor: Person | None = None  # None: the system (a scheduled job, the command line)
    options: dict[str, Any] | None = None  # kind-specific (e.g. {"meeting": 12})


Builder = Callable[[ReportRequest], "ReportDocument"]


@dataclass(frozen=True)
class ReportKind:
    key: str
    label: Any  # translated
    builder: Builder
    formats: tuple[str, ...] = FORMATS
    layout: str = "text"  # "text": ODT is the primary document; "tables": ODS


_KINDS: dict[str, ReportKind] = {}


def report_kind(
    key: str, *, label: Any, formats: tuple[str, ...] = FORMATS, layout: str = "text"
) -> Callable[[Builder], Builder]:
    def register(builder: Builder) -> Builder:
        existing = _KINDS.get(key)
        if existing is not None and existing.builder is not builder:
            raise ValueError(f"report kind {key!r} is already registered")
        unknown = set(formats) - set(FORMATS)
        if unknown:
            raise ValueError(f"report kind {key!r}: unknown formats {sorted(unknown)}")
        _KINDS[key] = ReportKind(key, label, builder, formats, layout)
        return builder

    return register


def get(key: str) -> ReportKind | None:
    return _KINDS.get(key)


def all_kinds() -> list[ReportKind]:
    return [_KINDS[key] for key in sorted(_KINDS)]


def build(key: str, request: ReportRequest) -> ReportDocument:
    kind = _KINDS.get(key)
    if kind is None:
        raise KeyError(key)
    return kind.builder(request)


def autodiscover() -> None:
    import steward.reports.builders  # noqa: F401  (the built-in kinds)

    autodiscover_modules("reports")
