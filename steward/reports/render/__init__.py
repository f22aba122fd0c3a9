"""Turning a `ReportDocument` into a file: ODT, ODS, XLSX, PDF (converted from the ODT).

    render(document, "pdf") -> Rendered(content, content_type, filename, problems)

`problems` lists what went wrong without stopping the delivery, in the reader's language,
e.g. a PDF conversion that timed out: the ODT is delivered instead and the problem said.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rendered:
    content: bytes
    content_type: str
    filename: str
    problems: tuple[str, ...] = field(default=())
