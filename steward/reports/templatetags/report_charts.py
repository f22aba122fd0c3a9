"""`{% chart chart %}`: draws a `Chart` (steward/reports/charts.py) on a page.

A `<figure>` with the title, the text alternative as its caption, the data as a table (read
with JavaScript off, and by screen readers) and the Vega-Lite spec in a `json_script`, which
`static/reports/charts.js` draws with the vendored vega-embed (no inline script: the
Content-Security-Policy allows none; expressions run through vega-interpreter, not `eval`).
"""

from __future__ import annotations

import itertools
from typing import Any

from django import template

from steward.reports.document import Chart

register = template.Library()

# A page may draw the same chart definition twice; each figure gets its own element ids.
_numbers = itertools.count(1)


@register.inclusion_tag("reports/_chart.html")
def chart(chart: Chart) -> dict[str, Any]:
    element_id = f"chart-{chart.key.replace('_', '-')}-{next(_numbers)}"
    return {
        "chart": chart,
        "element_id": element_id,
        "spec_id": f"{element_id}-spec",
        "spec": dict(chart.spec),
    }


@register.simple_tag
def cell_text(value: Any) -> str:
    """A table cell as text: dates in ISO, decimals without trailing zeros, None as a dash."""
    if value is None or value == "":
        return "—"
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    if hasattr(value, "normalize"):
        text = format(value.normalize(), "f")
        return text
    return str(value)
