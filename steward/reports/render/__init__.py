"""Turning a `ReportDocument` into a file: ODT, ODS, XLSX, PDF (converted from the ODT).

    render(document, "pdf") -> Rendered(content, content_type, filename, problems)

`problems` lists what went wrong without stopping the delivery, in the reader's language,
e.g. a PDF conversion that timed out: the ODT is delivered instead and the problem said.
`template` is a civil servant's own ODT template (`template.py`) for the text formats (ODT,
and the PDF made from it); a template with a placeholder the document lacks raises
`TemplateError` naming it, before anything is made.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from steward.reports.document import ReportDocument


@dataclass(frozen=True)
class Rendered:
    content: bytes
    content_type: str
    filename: str
    problems: tuple[str, ...] = field(default=())


CONTENT_TYPES = {
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def filename(document: ReportDocument, fmt: str) -> str:
    """The file's name: the report's title (characters no file system takes removed)."""
    stem = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "", document.title).strip()
    stem = re.sub(r"\s+", "_", stem)[:120] or document.kind
    return f"{stem}.{fmt}"


def render(document: ReportDocument, fmt: str, *, template: bytes | Path | None = None) -> Rendered:
    """The document as a file in `fmt` (one of `kinds.FORMATS`)."""
    from steward.reports.kinds import FORMATS

    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r}; one of {', '.join(FORMATS)}")
    if fmt in ("ods", "xlsx"):
        from steward.reports.render import sheets

        content = sheets.write_ods(document) if fmt == "ods" else sheets.write_xlsx(document)
        return Rendered(content, CONTENT_TYPES[fmt], filename(document, fmt))
    if template is not None:
        from steward.reports.render.template import fill_template

        odt, problems = fill_template(document, template)
    else:
        from steward.reports.render.odt import write_odt

        odt, problems = write_odt(document)
    if fmt == "odt":
        return Rendered(odt, CONTENT_TYPES["odt"], filename(document, "odt"), tuple(problems))
    from steward.reports.render.pdf import convert_to_pdf

    pdf, failure = convert_to_pdf(odt)
    if pdf is None:
        return Rendered(odt, CONTENT_TYPES["odt"], filename(document, "odt"), (*problems, failure))
    return Rendered(pdf, CONTENT_TYPES["pdf"], filename(document, "pdf"), tuple(problems))
