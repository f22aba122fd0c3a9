"""The ranges every year, date, id and offset a person or a client sends must fall in.

One home for them, so a year of 3000 or an id of 2^63 is refused as bad input (a clear 4xx)
before it reaches a database column or the calendar maths, for pages and API alike.
"""

from __future__ import annotations

import datetime

#: Years we keep: 民國元年 (1912) to 2200, the range the office calendar answers for.
MIN_YEAR = 1912
MAX_YEAR = 2200
FIRST_DAY = datetime.date(MIN_YEAR, 1, 1)
LAST_DAY = datetime.date(MAX_YEAR, 12, 31)
#: Primary keys are signed 64-bit integers on every database we run on.
MAX_ID = 2**63 - 1
#: The furthest a client may page into a list (far beyond any real list, well within SQL).
MAX_OFFSET = 10_000_000


def year_in_range(year: int) -> bool:
    """Is `year` one we keep records for (1912–2200)?"""
    return MIN_YEAR <= year <= MAX_YEAR
