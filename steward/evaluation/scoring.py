"""How figures become achievement, bonus, an overall score and a rank (pure: no database).

* **Achievement** of a KPI = figure ÷ target × 100, at most 100 (MOL 「年度目標達成率」).
  No figure ("no data") or no target: no achievement, and the KPI is left out of the overall
  score rather than counted as 0 % or 100 %. A target of zero is met by any figure: 100.
* **Bonus** (加分) only where the plan writes a bonus rule for the KPI (MOL: the share of
  four- and five-star datasets; the share of replies faster than the limit). The plan says
  「依比率酌以加分」 without a number; we give `BONUS_POINTS_PER_PERCENT` points per percent
  of that share (at most 5 points a KPI), shown beside the figure so it can be questioned.
* **Overall** = the weighted mean of the achievements (the plan's `weight`) plus the bonuses.
* **Several plan versions in one period**: each part is computed under its own version
  (its KPIs, formula, targets). A share's achievement and bonus for the period are the
  means of its parts weighted by their days, over the parts that have one; a count adds
  up over the parts against the parts' targets weighted by their days.
* **Rank**: by overall score, highest first; equal scores share a rank; organisations
  without any achievement are unranked ("no data").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

HUNDRED = Decimal(100)
BONUS_POINTS_PER_PERCENT = Decimal("0.05")
PLACES = Decimal("0.0001")


def _round(value: Decimal) -> Decimal:
    return value.quantize(PLACES, rounding=ROUND_HALF_UP)


def achievement(value: Decimal | None, target: Decimal | None) -> Decimal | None:
    if value is None or target is None:
        return None
    if target <= 0:
        return HUNDRED
    return _round(min(value / target * HUNDRED, HUNDRED))


def bonus(bonus_rule: str, terms: Mapping[str, object]) -> Decimal:
    share = terms.get("bonus_share")
    if not bonus_rule.strip() or share is None:
        return Decimal(0)
    return _round(Decimal(str(share)) * BONUS_POINTS_PER_PERCENT)


def below_target(value: Decimal | None, target: Decimal | None) -> bool:
    return value is not None and target is not None and value < target


@dataclass(frozen=True)
class PartResult:
    days: int
    achievement: Decimal | None
    bonus: Decimal
    value: Decimal | None = None
    target: Decimal | None = None


def combine_parts(
    parts: Sequence[PartResult], *, unit: str = "percent"
) -> tuple[Decimal | None, Decimal]:
    """(achievement, bonus) of one KPI over the period from its parts.

    A count (datasets added, meetings held) adds up over the parts and is measured against
    the parts' targets weighted by their days (the same target in each part: that target);
    a share is each part's achievement weighted by its days."""
    if unit == "count" and len(parts) > 1:
        values = [part.value for part in parts if part.value is not None]
        targeted = [part for part in parts if part.target is not None]
        target = None
        if targeted:
            weighted = sum(((p.target or Decimal(0)) * p.days for p in targeted), Decimal(0))
            target = _round(weighted / sum(p.days for p in targeted))
        total = sum(values, Decimal(0)) if values else None
        return achievement(total, target), Decimal(0)
    with_data = [part for part in parts if part.achievement is not None]
    if not with_data:
        return None, Decimal(0)
    days = sum(part.days for part in with_data)
    achieved = sum((part.achievement or Decimal(0)) * part.days for part in with_data)
    bonuses = sum(part.bonus * part.days for part in with_data)
    return _round(Decimal(achieved) / days), _round(Decimal(bonuses) / days)


def overall(kpis: Iterable[tuple[Decimal, Decimal | None, Decimal]]) -> Decimal | None:
    """(weight, achievement, bonus) of each KPI → overall score, or None with no achievement."""
    rows = [(w, a, b) for w, a, b in kpis if a is not None]
    weights = sum((w for w, _a, _b in rows), Decimal(0))
    if not rows or weights <= 0:
        return None
    mean = sum((w * (a or Decimal(0)) for w, a, _b in rows), Decimal(0)) / weights
    return _round(mean + sum((b for _w, _a, b in rows), Decimal(0)))


def ranks(scores: Mapping[int, Decimal | None]) -> dict[int, int | None]:
    """Competition ranking (1, 2, 2, 4) of the keys by score; None scores are unranked."""
    ordered = sorted((s, k) for k, s in scores.items() if s is not None)
    ordered.reverse()
    found: dict[int, int | None] = {k: None for k, s in scores.items() if s is None}
    previous: Decimal | None = None
    rank = 0
    for position, (score, key) in enumerate(ordered, start=1):
        if score != previous:
            rank = position
            previous = score
        found[key] = rank
    return found
