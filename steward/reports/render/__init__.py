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
import unicodedata
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
    """The file's name: the report's title as it reads, spaces kept (「勞動部 115 年第 4 季…」),
    without what no file system takes or a name must not hold: path separators, the
    characters Windows refuses, control and invisible format characters (a right-to-left
    override could disguise the extension), and leading or trailing dots and spaces."""
    stem = "".join(
        " " if character.isspace() else character
        for character in document.title
        if character.isspace() or unicodedata.category(character) not in ("Cc", "Cf")
    )
    stem = re.sub(r'[\\/:*?"<>|]+', "", stem)
    stem = re.sub(r" {2,}", " ", stem)[:120].strip(" .") or document.kind
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
