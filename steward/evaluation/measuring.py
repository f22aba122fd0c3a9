"""Small helpers every app's `kpis.py` shares: which organisations and which instants a
`MeasureContext` covers, and a percentage computed exactly.

Without `include_subtree` a ministry is 本部 (its own units), not its agencies, as in MOL's
table of KPI targets per organisation; an agency is itself with its units.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from steward.evaluation.registry import MeasureContext


def organisation_ids(context: MeasureContext, *, include_subtree: bool | None = None) -> list[int]:
    """The organisations whose records count for the context's organisation."""
    from steward.quality.measures.datasets import covered_organisations

    subtree = context.include_subtree if include_subtree is None else include_subtree
    return covered_organisations(context.organisation, include_subtree=subtree)


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
