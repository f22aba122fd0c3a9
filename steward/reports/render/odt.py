"""The text document (ODT, 文件) of a report, written with odfpy.

The default layout needs no template file: an A4 page with the title block at the top of the
first page (title, organisation, period, the date it was made in 民國 form, as the MOEA
comparison table's first lines), then each section: a numbered heading, paragraphs, tables with
a header row repeated on every page, and charts as pictures with their text alternative and
their data as a table. Fonts are Noto Serif CJK TC (text) and Noto Sans CJK TC (headings,
table heads), named for Latin and Asian text alike, so LibreOffice never substitutes one.

`write_sections` writes the sections alone with automatic styles only (every style is in
content.xml, prefixed `Steward`), so that a civil servant's own template (`template.py`) can
take them into its document whatever styles it defines.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from odf import dc, draw, style, svg, table, teletype, text
from odf.element import Element
from odf.opendocument import OpenDocumentText

from steward.lib.years import date_label
from steward.reports.document import Cell, Chart, Paragraph, ReportDocument, Section, Table
from steward.reports.render.images import chart_image
from steward.reports.render.text import cell_text, is_number, xml_safe

SERIF = "Noto Serif CJK TC"
SANS = "Noto Sans CJK TC"
PAGE_WIDTH_CM = 21.0
PAGE_HEIGHT_CM = 29.7
MARGIN_CM = 2.0
TEXT_WIDTH_CM = PAGE_WIDTH_CM - 2 * MARGIN_CM
TABLE_PIECE_ROWS = 500

CONTENT_TYPE = "application/vnd.oasis.opendocument.text"


def _font(size: str, *, family: str, bold: bool = False, color: str = "") -> style.TextProperties:
    """Text properties naming the font for Latin, Asian and complex text alike."""
    weight = {"fontweight": "bold", "fontweightasian": "bold"} if bold else {}
    colour = {"color": color} if color else {}
    return style.TextProperties(
        fontname=family,
        fontnameasian=family,
        fontnamecomplex=family,
        fontsize=size,
        fontsizeasian=size,
        fontsizecomplex=size,
        language="zh",
        country="TW",
        languageasian="zh",
        countryasian="TW",
        **weight,
        **colour,
    )


@dataclass
class _Writer:
    """Writes blocks into an odfpy document, adding the automatic styles it needs once."""

    doc: OpenDocumentText
    problems: list[str] = field(default_factory=list)
    _styles: dict[str, style.Style] = field(default_factory=dict)
    _pictures: int = 0
    _tables: int = 0

    def __post_init__(self) -> None:
        for family, generic in ((SERIF, "roman"), (SANS, "swiss")):
            self.doc.fontfacedecls.addElement(
                style.FontFace(
                    name=family,
                    fontfamily=f"'{family}'",
                    fontfamilygeneric=generic,
                    fontpitch="variable",
                )
            )

    # Styles -----------------------------------------------------------------------------

    def _style(self, name: str, make: Callable[[], style.Style]) -> style.Style:
        if name not in self._styles:
            made = make()
            self.doc.automaticstyles.addElement(made)
            self._styles[name] = made
        return self._styles[name]

    def paragraph_style(self, kind: str) -> style.Style:
        def make() -> style.Style:
            s = style.Style(name=f"Steward{kind}", family="paragraph")
            body = {"margintop": "0cm", "marginbottom": "0.2cm"}
            if kind == "Title":
                s.addElement(
                    style.ParagraphProperties(
                        textalign="center", margintop="0cm", marginbottom="0.3cm"
                    )
                )
                s.addElement(_font("18pt", family=SANS, bold=True))
            elif kind == "Subtitle":
                s.addElement(style.ParagraphProperties(textalign="center", marginbottom="0.1cm"))
                s.addElement(_font("13pt", family=SERIF))
            elif kind == "Date":
                s.addElement(style.ParagraphProperties(textalign="end", marginbottom="0.5cm"))
                s.addElement(_font("11pt", family=SERIF))
            elif kind == "Heading":
                s.setAttribute("defaultoutlinelevel", "1")
                s.addElement(
                    style.ParagraphProperties(
                        margintop="0.4cm", marginbottom="0.2cm", keepwithnext="always"
                    )
                )
                s.addElement(_font("15pt", family=SANS, bold=True))
            elif kind == "Caption":
                s.addElement(
                    style.ParagraphProperties(
                        margintop="0.3cm", marginbottom="0.15cm", keepwithnext="always"
                    )
                )
                s.addElement(_font("11pt", family=SANS, bold=True))
            elif kind == "Picture":
                s.addElement(style.ParagraphProperties(textalign="center", keepwithnext="always"))
            elif kind == "Note":
                s.addElement(style.ParagraphProperties(**body))
                s.addElement(_font("10.5pt", family=SERIF, color="#333333"))
            elif kind == "Cell":
                s.addElement(style.ParagraphProperties(margintop="0cm", marginbottom="0cm"))
                s.addElement(_font("10.5pt", family=SERIF))
            elif kind == "CellNumber":
                s.addElement(
                    style.ParagraphProperties(textalign="end", margintop="0cm", marginbottom="0cm")
                )
                s.addElement(_font("10.5pt", family=SERIF))
            elif kind == "CellHead":
                s.addElement(
                    style.ParagraphProperties(
                        textalign="center", margintop="0cm", marginbottom="0cm"
                    )
                )
                s.addElement(_font("10.5pt", family=SANS, bold=True))
            else:  # Body
                s.addElement(
                    style.ParagraphProperties(textalign="justify", lineheight="150%", **body)
                )
                s.addElement(_font("12pt", family=SERIF))
            return s

        return self._style(f"P{kind}", make)

    def cell_style(self, *, head: bool) -> style.Style:
        def make() -> style.Style:
            s = style.Style(
                name="StewardCellHead" if head else "StewardCellBody", family="table-cell"
            )
            s.addElement(
                style.TableCellProperties(
                    border="0.5pt solid #000000",
                    padding="0.1cm",
                    verticalalign="middle" if head else "top",
                    backgroundcolor="#e6e6e6" if head else "transparent",
                )
            )
            return s

        return self._style("CHead" if head else "CBody", make)

    def picture_style(self) -> style.Style:
        def make() -> style.Style:
            s = style.Style(name="StewardPicture", family="graphic")
            s.addElement(
                style.GraphicProperties(
                    anchortype="as-char", verticalpos="top", verticalrel="baseline", wrap="none"
                )
            )
            return s

        return self._style("GPicture", make)

    # Blocks -----------------------------------------------------------------------------

    def paragraph(self, kind: str, value: str) -> text.P:
        p = text.P(stylename=self.paragraph_style(kind))
        teletype.addTextToElement(p, xml_safe(value))
        return p

    def heading(self, value: str) -> text.H:
        h = text.H(outlinelevel=1, stylename=self.paragraph_style("Heading"))
        teletype.addTextToElement(h, xml_safe(value))
        return h

    def table(self, block: Table) -> list[Element]:
        """The caption, then the table with its head repeated on every page (or its
        `empty_text` when it has no rows)."""
        out: list[Element] = []
        if block.caption:
            out.append(self.paragraph("Caption", block.caption))
        if not block.rows:
            out.append(self.paragraph("Note", block.empty_text or _("No data for this period.")))
            return out
        self._tables += 1
        name = f"StewardTable{self._tables}"
        table_style = style.Style(name=name, family="table")
        table_style.addElement(
            style.TableProperties(
                width=f"{TEXT_WIDTH_CM}cm",
                align="margins",
                maybreakbetweenrows="true",
                margintop="0cm",
                marginbottom="0cm",
            )
        )
        self.doc.automaticstyles.addElement(table_style)
        widths = block.widths if len(block.widths) == len(block.columns) else ()
        weights = widths or tuple(1 for _column in block.columns)
        total = sum(weights) or 1
        columns = []
        for index, weight in enumerate(weights, start=1):
            column_style = style.Style(name=f"{name}.C{index}", family="table-column")
            column_style.addElement(
                style.TableColumnProperties(
                    columnwidth=f"{TEXT_WIDTH_CM * weight / total:.2f}cm",
                    relcolumnwidth=f"{round(65535 * weight / total)}*",
                )
            )
            self.doc.automaticstyles.addElement(column_style)
            columns.append(column_style)
        # LibreOffice lays a table out in time growing faster than its rows (a 3,000-row table:
        # 25 s to PDF; in pieces of 500: 6 s), so a long table is written as pieces one under
        # the other, each with the head row; the reader sees the head again every 500 rows.
        for piece, first in enumerate(range(0, len(block.rows), TABLE_PIECE_ROWS), start=1):
            node = table.Table(
                name=name if piece == 1 else f"{name}.{piece}", stylename=table_style
            )
            for column_style in columns:
                node.addElement(table.TableColumn(stylename=column_style))
            head = table.TableHeaderRows()
            head_row = table.TableRow()
            for title in block.columns:
                cell = table.TableCell(stylename=self.cell_style(head=True), valuetype="string")
                cell.addElement(self.paragraph("CellHead", title))
                head_row.addElement(cell)
            head.addElement(head_row)
            node.addElement(head)
            for values in block.rows[first : first + TABLE_PIECE_ROWS]:
                node.addElement(self.row(values))
            out.append(node)
        return out

    def row(self, values: tuple[Cell, ...]) -> Element:
        row = table.TableRow()
        for value in values:
            number = is_number(value)
            cell = table.TableCell(
                stylename=self.cell_style(head=False),
                valuetype="float" if number else "string",
                **({"value": str(value)} if number else {}),
            )
            cell.addElement(self.paragraph("CellNumber" if number else "Cell", cell_text(value)))
            row.addElement(cell)
        return row

    def chart(self, block: Chart) -> list[Element]:
        """The chart's title, its picture (alternative text as the frame's title and
        description), the text alternative as a paragraph, and its data as a table."""
        out: list[Element] = [self.paragraph("Caption", block.title)]
        if block.table.rows:
            try:
                image = chart_image(block, max_width_cm=TEXT_WIDTH_CM)
            except Exception:  # vl-convert's own errors: say it, keep the data
                self.problems.append(
                    _("The chart 「%(title)s」 could not be drawn; its data is in the table.")
                    % {"title": block.title}
                )
            else:
                self._pictures += 1
                href = self.doc.addPicture(
                    filename=f"Pictures/steward-chart{self._pictures}.png",
                    mediatype="image/png",
                    content=image.png,
                )
                frame = draw.Frame(
                    stylename=self.picture_style(),
                    name=f"chart{self._pictures}",
                    anchortype="as-char",
                    width=f"{image.width_cm}cm",
                    height=f"{image.height_cm}cm",
                )
                frame.addElement(draw.Image(href=href))
                frame.addElement(svg.Title(text=xml_safe(block.title)))
                frame.addElement(svg.Desc(text=xml_safe(block.description)))
                picture = text.P(stylename=self.paragraph_style("Picture"))
                picture.addElement(frame)
                out.append(picture)
        out.append(self.paragraph("Note", block.description))
        out.extend(self.table(block.table))
        return out

    def section(self, block: Section) -> list[Element]:
        out: list[Element] = [self.heading(block.heading)]
        for item in block.blocks:
            if isinstance(item, Paragraph):
                out.append(self.paragraph("Body", item.text))
            elif isinstance(item, Table):
                out.extend(self.table(item))
            elif isinstance(item, Chart):
                out.extend(self.chart(item))
        return out


def _page(doc: OpenDocumentText) -> None:
    """A4 portrait, 2 cm margins, the page number centred in the footer."""
    layout = style.PageLayout(name="StewardPage")
    layout.addElement(
        style.PageLayoutProperties(
            pagewidth=f"{PAGE_WIDTH_CM}cm",
            pageheight=f"{PAGE_HEIGHT_CM}cm",
            printorientation="portrait",
            margintop=f"{MARGIN_CM}cm",
            marginbottom="1.5cm",
            marginleft=f"{MARGIN_CM}cm",
            marginright=f"{MARGIN_CM}cm",
        )
    )
    footer_layout = style.FooterStyle()
    footer_layout.addElement(style.HeaderFooterProperties(minheight="0.6cm", margintop="0.3cm"))
    layout.addElement(footer_layout)
    doc.automaticstyles.addElement(layout)
    footer_text = style.Style(name="StewardFooter", family="paragraph")
    footer_text.addElement(style.ParagraphProperties(textalign="center"))
    footer_text.addElement(_font("9pt", family=SERIF))
    doc.styles.addElement(footer_text)
    master = style.MasterPage(name="Standard", pagelayoutname=layout)
    footer = style.Footer()
    number = text.P(stylename=footer_text)
    number.addElement(text.PageNumber(selectpage="current"))
    footer.addElement(number)
    master.addElement(footer)
    doc.masterstyles.addElement(master)
    # The default style: Noto for every script, so nothing falls back to another font.
    default = style.DefaultStyle(family="paragraph")
    default.addElement(_font("12pt", family=SERIF))
    doc.styles.addElement(default)


def title_lines(document: ReportDocument) -> list[tuple[str, str]]:
    """The title block as (style, text): title, organisation, period, date made."""
    generated = timezone.localtime(document.generated_at).date()
    return [
        ("Title", document.title),
        ("Subtitle", document.organisation),
        ("Subtitle", document.period_label),
        ("Date", _("Made on %(date)s") % {"date": date_label(generated)}),
    ]


def write_sections(document: ReportDocument) -> tuple[bytes, list[str]]:
    """An ODT holding only the sections, every style automatic (for templates)."""
    doc = OpenDocumentText()
    writer = _Writer(doc)
    for section in document.sections:
        for element in writer.section(section):
            doc.text.addElement(element)
    return _save(doc), writer.problems


def write_odt(document: ReportDocument) -> tuple[bytes, list[str]]:
    """The report as an ODT in the default layout, and the problems met on the way."""
    doc = OpenDocumentText()
    _page(doc)
    # The title and language a PDF viewer shows and a screen reader reads.
    doc.meta.addElement(dc.Title(text=xml_safe(document.title)))
    chinese = (get_language() or "zh-hant").lower().startswith("zh")
    doc.meta.addElement(dc.Language(text="zh-TW" if chinese else "en"))
    writer = _Writer(doc)
    for kind, value in title_lines(document):
        doc.text.addElement(writer.paragraph(kind, value))
    for section in document.sections:
        for element in writer.section(section):
            doc.text.addElement(element)
    return _save(doc), writer.problems


def _save(doc: OpenDocumentText) -> bytes:
    buffer = io.BytesIO()
    doc.write(buffer)
    with zipfile.ZipFile(buffer) as package:
        files = {name: package.read(name) for name in package.namelist()}
    return package_odf(files)


def package_odf(files: dict[str, bytes]) -> bytes:
    """An ODF package of these files: the mimetype first and stored, as ODF asks, the rest
    compressed (odfpy stores pictures as they are, and vl-convert's PNGs shrink to a fourth)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("mimetype", files["mimetype"], compress_type=zipfile.ZIP_STORED)
        for name, data in files.items():
            if name != "mimetype":
                package.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()
