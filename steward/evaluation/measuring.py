"""Small helpers every app's `kpis.py` shares: which organisations and which instants a
`MeasureContext` covers, a percentage computed exactly, reads shared by every organisation of
a ministry when measures are computed together, and links to counted records.

Without `include_subtree` a ministry is 本部 (its own units), not its agencies, as in MOL's
table of KPI targets per organisation; an agency is itself with its units.

**Computed together** (`registry.computing_together`: the home page's standing, the
dashboards): a measure reads its rows once for the whole ministry and keeps each
organisation's share (`rows_of`), so a dashboard of every agency × every KPI costs a fixed
number of queries, not one set per agency. The rows read are the same query with a wider
list of organisations, kept in the query's order, so each figure is the one computed alone.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Hashable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, TypeVar

from django.urls import reverse
from django.utils import timezone

from steward.evaluation.registry import MeasureContext, scope, shared, sharing

if TYPE_CHECKING:
    from steward.organisations.models import Organisation

Row = TypeVar("Row")

#: (pk, kind, path) of an organisation of a ministry's tree.
TreeRow = tuple[int, str, str]


def ministry_path(organisation: Organisation) -> str:
    """The path of the root (the ministry) of the organisation's tree, read from its own path."""
    return "/" + organisation.path.strip("/").split("/")[0] + "/"


def _read_tree(path: str) -> list[TreeRow]:
    from steward.organisations.models import Organisation

    return list(
        Organisation.objects.filter(path__startswith=path)
        .order_by("path")
        .values_list("pk", "kind", "path")
    )


def _ministry_tree(root: str) -> list[TreeRow]:
    tree: list[TreeRow] = shared(("organisation_tree", root), lambda: _read_tree(root))
    return tree


def organisation_tree(organisation: Organisation) -> list[TreeRow]:
    """(pk, kind, path) of the organisation and everything below it, in tree order; computed
    together, the ministry's whole tree is read once and cut here."""
    if not sharing():
        return _read_tree(organisation.path)
    tree = _ministry_tree(ministry_path(organisation))
    return [row for row in tree if row[2].startswith(organisation.path)]


def covered_ids(organisation: Organisation, *, include_subtree: bool) -> list[int]:
    """The organisation and its units; with `include_subtree`, everything below it.

    Without the subtree a ministry is 本部 (its own units), not its agencies, as in MOL's
    table of KPI targets per organisation.
    """
    from steward.organisations.models import OrganisationKind

    rows = organisation_tree(organisation)
    if include_subtree:
        return [pk for pk, _kind, _path in rows]
    others = [
        path for pk, kind, path in rows if pk != organisation.pk and kind != OrganisationKind.UNIT
    ]
    return [pk for pk, _kind, path in rows if not any(path.startswith(o) for o in others)]


def organisation_ids(context: MeasureContext, *, include_subtree: bool | None = None) -> list[int]:
    """The organisations whose records count for the context's organisation."""
    subtree = context.include_subtree if include_subtree is None else include_subtree
    return covered_ids(context.organisation, include_subtree=subtree)


def rows_of(
    organisation: Organisation,
    ids: Sequence[int],
    key: Hashable,
    read: Callable[[Sequence[int]], list[Row]],
    organisation_of: Callable[[Row], int | None],
) -> list[Row]:
    """`read(ids)`: the rows of the organisations `ids` (within `organisation`'s ministry).

    Computed together, `read` is asked once for every organisation computed together (the
    subtrees of the block's organisations, else the whole ministry; under `key`, which
    names the read and its other arguments) and the rows of `ids` are kept, in the order
    read. `read` must be a filter on the organisation of each row (no row depends
    on another organisation's rows), so both ways give the same rows.
    """
    if not sharing():
        return read(ids)
    root = ministry_path(organisation)
    paths = tuple(path for path in scope() or (root,) if path.startswith(root)) or (root,)
    together = [
        pk
        for pk, _kind, path in _ministry_tree(root)
        if any(path.startswith(prefix) for prefix in paths)
    ]
    if not set(ids) <= set(together):  # rows beyond what is computed together: read alone
        return read(ids)
    everything: list[Row] = shared(("rows_of", paths, key), lambda: read(together))
    # each row's organisation, worked out once for all the organisations computed together
    # (each asks for its own rows: eight of them filtering 6,000 rows each, before)
    positions: dict[int | None, list[int]] = shared(
        ("rows_of_positions", paths, key), lambda: _positions(everything, organisation_of)
    )
    found = sorted(i for pk in set(ids) for i in positions.get(pk, ()))  # in the order read
    return [everything[i] for i in found]


def _positions(rows: list[Row], organisation_of: Callable[[Row], int | None]) -> dict[int | None, list[int]]:  # fmt: skip
    """Where each organisation's rows are in `rows`, in order."""
    found: dict[int | None, list[int]] = {}
    for position, row in enumerate(rows):
        found.setdefault(organisation_of(row), []).append(position)
    return found


def record_url(name: str) -> Callable[[int], str]:
    """The link to record `pk` of the URL pattern `name` (one integer argument), reversed once:
    a drill-down links thousands of records, and `reverse()` per record was 12,000 calls and
    0.46 s of the centre's dashboard under cProfile (bench/dashboard.py)."""
    marker = 987654321987
    template = reverse(name, args=[marker])
    before, _marker, after = template.partition(str(marker))
    return lambda pk: f"{before}{int(pk)}{after}"


def instants(context: MeasureContext) -> tuple[datetime.datetime, datetime.datetime]:
    """[start, end) of the context's days as aware datetimes (Asia/Taipei)."""
    start = datetime.datetime.combine(context.start, datetime.time())
    end = datetime.datetime.combine(context.end + datetime.timedelta(days=1), datetime.time())
    return timezone.make_aware(start), timezone.make_aware(end)


def percent(numerator: int, denominator: int) -> Decimal | None:
    """numerator ÷ denominator × 100 to 4 decimals; None ("no data") when nothing was counted."""
    if denominator <= 0:
        return None
    value = Decimal(100 * numerator) / Decimal(denominator)
    return value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
