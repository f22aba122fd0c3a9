"""Demo activity of evaluation: the evaluations of the periods already over in the demo year
(each quarter and half year so far, and the whole previous year, which has an award list),
run through the real service as the server's operator, so the pages have content."""

from __future__ import annotations

import datetime

from steward.evaluation.runs import EvaluationError, parts_of, run_evaluation
from steward.organisations.models import Organisation
from steward.plans.models import Plan
from steward.quality.measures.periods import Period


def past_periods(today: datetime.date) -> list[Period]:
    """The quarters and halves of `today`'s year already over, then the previous year."""
    year = today.year
    periods = [Period(year, "quarter", n) for n in range(1, 5)]
    periods += [Period(year, "half", n) for n in range(1, 3)]
    return [p for p in periods if p.end < today] + [Period(year - 1)]


def populate(ministry: Organisation, *, today: datetime.date) -> None:
    for plan in Plan.objects.filter(ministry=ministry):
        for period in past_periods(today):
            if not parts_of(plan, period.start, period.end):
                continue
            try:
                run_evaluation(plan, period, by=None)
            except EvaluationError:
                continue  # nothing to evaluate in that period: the page says so
