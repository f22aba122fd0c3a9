"""The one home of KPI measures (績效指標的計算), registered by the plan file's `measure` name.

A plan's `[[versions.kpis]]` row names a `measure` (e.g. `three_star_ratio`); the function
registered under that name computes it for one organisation and one period from the data,
and returns a `Figure`: the value (or `None` for "no data", never a made-up 0 % or 100 %),
the terms of the plan's formula, and every record it counted, so each figure drills down.

Any app registers its measures in a module named `kpis.py` (found at start-up, like
`admin.py`)::

    from steward.evaluation.registry import Counted, Figure, MeasureContext, measure

    @measure("working_group_meetings", label=_("Working-group meetings held"), unit="count")
    def working_group_meetings(context: MeasureContext) -> Figure:
        meetings = Meeting.objects.filter(...)
        return Figure.count(
            [Counted(term="meetings", label=str(m), url=m.get_absolute_url()) for m in meetings]
        )

`steward plan check` refuses a plan naming a measure nobody registered (`is_registered`).
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from django.utils.module_loading import autodiscover_modules

if TYPE_CHECKING:
    from steward.organisations.models import Organisation
    from steward.plans.models import KpiDefinition, PlanVersion


@dataclass(frozen=True)
class MeasureContext:
    """What a measure is asked: which organisation, which days, under which plan version."""

    organisation: Organisation
    start: datetime.date  # first day of the period
    end: datetime.date  # last day of the period, inclusive
    version: PlanVersion | None = None  # the plan version in force for these days
    kpi: KpiDefinition | None = None  # the plan's KPI row being computed, if any
    include_subtree: bool = False  # the organisation with every agency below it


class Counted(NamedTuple):
    """One record a figure counted, for the drill-down (label and link in the interface).

    A named tuple: a dashboard makes 17,000 of them, and a frozen dataclass took four
    times as long to make (bench/dashboard.py).
    """

    term: str  # which term of the formula it counted in, e.g. "broken_links"
    label: str
    url: str = ""


@dataclass(frozen=True)
class Figure:
    """A computed KPI figure: its value, the formula's terms, and what was counted."""

    value: Decimal | None  # None: no data for the period (shown as such, never 0 % or 100 %)
    terms: Mapping[str, Decimal | int] = field(default_factory=dict)
    counted: tuple[Counted, ...] = ()
    note: str = ""  # why the figure is as it is (translated), e.g. which formula applied

    @classmethod
    def count(cls, counted: Iterable[Counted], *, term: str = "count", note: str = "") -> Figure:
        """A figure that is the number of records counted (meetings held, datasets added)."""
        records = tuple(counted)
        return cls(Decimal(len(records)), {term: len(records)}, records, note)

    @property
    def no_data(self) -> bool:
        return self.value is None


MeasureFunction = Callable[[MeasureContext], Figure]


@dataclass(frozen=True)
class MeasureSpec:
    name: str  # the plan file's `measure`
    label: Any  # lazy translated text shown to people
    unit: str  # "count" or "percent", as the plan file's `unit`
    function: MeasureFunction
    self_reported: bool = False  # the agency reports it itself (DGBAS 其他項目), with evidence


class UnknownMeasure(KeyError):
    """No app registered a measure of this name."""


_REGISTRY: dict[str, MeasureSpec] = {}


def measure(
    name: str, *, label: Any, unit: str = "count", self_reported: bool = False
) -> Callable[[MeasureFunction], MeasureFunction]:
    """Register the decorated function as the measure `name` (once: a second is an error)."""

    def register(function: MeasureFunction) -> MeasureFunction:
        if name in _REGISTRY and _REGISTRY[name].function is not function:
            raise ValueError(f"the KPI measure {name!r} is registered twice")
        _REGISTRY[name] = MeasureSpec(name, label, unit, function, self_reported)
        return function

    return register


def get(name: str) -> MeasureSpec:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownMeasure(name) from None


def is_registered(name: str) -> bool:
    return name in _REGISTRY


def registered() -> list[MeasureSpec]:
    return sorted(_REGISTRY.values(), key=lambda spec: spec.name)


# What measures computed together have read, by key (see `computing_together`).
_SHARED: contextvars.ContextVar[dict[Any, Any] | None] = contextvars.ContextVar(
    "kpi_shared_reads", default=None
)


@contextlib.contextmanager
def computing_together(organisations: Iterable[Organisation] | None = None) -> Iterator[None]:
    """Measures computed inside this block share what they read: two measures of the same
    organisation and period (MOL's accuracy rate and three-star ratio both read the period's
    quality verdicts) read it once, and a measure of several organisations reads its rows
    once for all of them (`measuring.rows_of`). `organisations`: those computed in the block
    (their subtrees are read at once); None: their whole ministry. Outside such a block
    every measure reads afresh, for its own organisation.

    Measured (bench/dashboard.py --profile, MOL with 7 agencies, 3,000 datasets, 24,000
    verdicts, SQLite, under cProfile): the home page's standing 3.6 s → 2.1 s sharing one
    organisation's reads; see docs/benchmarks.md for the rows read once for every agency.
    """
    reads: dict[Any, Any] = {}
    if organisations is not None:
        reads[_SCOPE] = tuple(sorted({organisation.path for organisation in organisations}))
    token = _SHARED.set(reads)
    try:
        yield
    finally:
        _SHARED.reset(token)


_SCOPE = object()  # the key of the block's organisations (paths) among its reads


def scope() -> tuple[str, ...] | None:
    """The paths of the organisations computed together, if the block named them."""
    reads = _SHARED.get()
    if reads is None:
        return None
    found: tuple[str, ...] | None = reads.get(_SCOPE)
    return found


def sharing() -> bool:
    """Are measures being computed together (inside `computing_together`)?"""
    return _SHARED.get() is not None


def shared(key: Any, read: Callable[[], Any]) -> Any:
    """`read()`, or what it gave for `key` earlier inside the same `computing_together`."""
    reads = _SHARED.get()
    if reads is None:
        return read()
    if key not in reads:
        reads[key] = read()
    return reads[key]


def autodiscover() -> None:
    """Import every installed app's `kpis` module, which registers its measures."""
    autodiscover_modules("kpis")
