"""URL converters with bounds: `<year:year>` matches only the years we keep (1912–2200), so a
page given year 3000 or 2^63 answers 404 instead of reaching a database column."""

from __future__ import annotations

from django.urls import register_converter

from steward.lib.bounds import year_in_range


class YearConverter:
    regex = "[0-9]{4}"

    def to_python(self, value: str) -> int:
        year = int(value)
        if not year_in_range(year):
            raise ValueError(value)  # Django then tries the next pattern: 404 in the end
        return year

    def to_url(self, value: int) -> str:
        return f"{value:04d}"


register_converter(YearConverter, "year")
