"""A chart as a picture for a document (圖表圖片): the chart's Vega-Lite spec drawn by vl-convert.

The specs say `width: "container"` (a page's chart fills its box); a document has no
container, so the width is set for print: `PRINT_WIDTH` CSS pixels at vl-convert's 72 per
inch is about the width of an A4 page's text, so the chart's words print at the size the
spec gives them. The PNG is drawn at `PPI` (print resolution) and placed at its natural size,
or smaller to fit the text width.
"""

from __future__ import annotations

import copy
import functools
import json
import struct
from dataclasses import dataclass
from typing import Any

from steward.reports.document import Chart

PRINT_WIDTH = 400  # CSS pixels of the plot area: with axes and legend about 15–16 cm
PPI = 200  # print resolution of the PNG
CM_PER_INCH = 2.54


@dataclass(frozen=True)
class ChartImage:
    png: bytes
    width_cm: float
    height_cm: float


def print_spec(spec: Any) -> Any:
    """A copy of the spec with every container width made a fixed print width."""
    spec = copy.deepcopy(spec)

    def fix(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("width") == "container":
                node["width"] = PRINT_WIDTH
            if node.get("height") == "container":
                node["height"] = PRINT_WIDTH // 2
            for value in node.values():
                fix(value)
        elif isinstance(node, list):
            for value in node:
                fix(value)

    fix(spec)
    return spec


def _png_size(png: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk
    return width, height


@functools.lru_cache(maxsize=32)
def _png(spec_json: str) -> bytes:
    """The PNG of a spec. Kept for the next call: one report is often asked for in several
    formats in a row (the ODT, then the PDF made from another ODT), and drawing is most of
    an ODT's time (about 0.3 s a chart)."""
    import vl_convert

    png: bytes = vl_convert.vegalite_to_png(print_spec(json.loads(spec_json)), ppi=PPI)
    return png


def chart_image(chart: Chart, *, max_width_cm: float) -> ChartImage:
    """The chart drawn as a PNG, with the size it takes in a document.

    Raises whatever vl-convert raises for a spec it cannot draw; the caller says so.
    """
    png = _png(json.dumps(chart.spec, sort_keys=True, default=str))
    width_px, height_px = _png_size(png)
    width_cm = width_px / PPI * CM_PER_INCH
    height_cm = height_px / PPI * CM_PER_INCH
    if width_cm > max_width_cm:
        height_cm *= max_width_cm / width_cm
        width_cm = max_width_cm
    return ChartImage(png=png, width_cm=round(width_cm, 2), height_cm=round(height_cm, 2))
