"""The periods a report is asked for: `2026Q4`, `2026H1`, `2026H2`, `2026` (and in 民國
years, `115Q4`, `115`), on the command line and in URLs.

The period itself is the KPIs' (`steward.quality.measures.periods.Period`, also what the
evaluation runs use), so a report and an evaluation of "2026H1" cover the same days; this
module only adds the 民國 spelling and one error type for reports. Labels are the period's
own (`str(period)`: 「115 年第 4 季」, through `steward.lib.years`).
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from steward.lib.years import gregorian_year
from steward.quality.measures.periods import MeasureError, Period
from steward.reports.errors import ReportError

# A 民國 year has two or three digits (民國 1 = 1912; 民國 115 = 2026).
_ROC = re.compile(r"^(?P<year>\d{2,3})(?P<rest>(?:-?[QqHh]\d)?)$")


def parse(text: str) -> Period:
    """The period `text` names; ReportError saying how to write one otherwise."""
    written = (text or "").strip()
    roc = _ROC.match(written)
    if roc is not None:
        written = f"{gregorian_year(int(roc['year']))}{roc['rest']}"
    try:
        return Period.parse(written)
    except MeasureError:
        raise ReportError(
            _(
                "“%(text)s” is not a period: write 2026Q4 (a quarter), 2026H1 or 2026H2 "
                "(a half year) or 2026 (a year); 民國 years such as 115Q4 also do."
            )
            % {"text": text}
        ) from None


def label(period: Period) -> str:
    """The period as a report prints it: 「115 年第 4 季」, 「115 年上半年」, 「115 年」."""
    return str(period)
