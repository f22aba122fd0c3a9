"""A civil servant's own ODT template (自訂範本), filled with a report by relatorio.

The template is any text document saved by LibreOffice (or another ODF program) holding
placeholders (Insert ▸ Field ▸ More Fields ▸ Functions ▸ Placeholder, type Text, written
`<title>`), or hyperlinks to `relatorio://…` for loops and conditions:

* `<title>`, `<organisation>`, `<period>`, `<generated>` (the date made, 民國 form): the
  document's standard fields; `<sections>` alone in a paragraph: every section as the default
  layout writes it (headings, paragraphs, tables, charts), in the template's page;
* any name of `ReportDocument.fields` (e.g. `<dataset_count>`), formatted as in a table;
* `sections` as a list too, for a layout of one's own: `relatorio://for each="section in
  sections"` … `<section.heading>` … `relatorio:///for`; each has `heading` and `paragraphs`.

Before anything is filled, every placeholder is read: one naming something the report does
not have (misspelt, or a field this kind of report lacks), or a template that never places the
sections, raises `TemplateError` naming each and listing the names there are. A placeholder is
a name, an attribute, a constant or a comparison, nothing else: a template is a file somebody
uploads, so it may never run code (no calls, no private attributes, no Genshi markup of its
own, no `$` expressions in its text).
"""

from __future__ import annotations

import ast
import difflib
import gc
import io
import re
import urllib.parse
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree

from steward.lib.years import date_label
from steward.reports.document import Paragraph, ReportDocument
from steward.reports.render.odt import package_odf, write_sections
from steward.reports.render.text import cell_text, xml_safe

STANDARD = ("title", "organisation", "period", "generated", "sections")
SECTION_ATTRIBUTES = ("heading", "paragraphs")

NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
    "xlink": "http://www.w3.org/1999/xlink",
    "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0",
    "dc": "http://purl.org/dc/elements/1.1/",
    "manifest": "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0",
}
GENSHI = "http://genshi.edgewall.org/"
LINK = "relatorio://"
# relatorio's own reading of a statement: [/]directive attr="value", or an expression.
_DIRECTIVE = re.compile(
    r"(/)?(for|if|choose|when|otherwise|with|attrs|content|replace|strip)\s*"
    r"(?:\s([\w:-]+)=[\"'](.*)[\"']|$)"
)
_ALLOWED_NODES = (
    ast.Expression, ast.Name, ast.Load, ast.Store, ast.Attribute, ast.Constant, ast.Compare,
    ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.Eq, ast.NotEq, ast.Lt,
    ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn,
)  # fmt: skip


class TemplateError(ValueError):
    """The template cannot be filled with this report; the message says which placeholder."""

    def __init__(self, message: str, *, names: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.names = names  # the placeholders at fault


@dataclass(frozen=True)
class SectionView:
    """A section as a template's own loop sees it."""

    heading: str
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class _Statement:
    part: str  # the file in the package, e.g. content.xml
    text: str  # as written in the template, e.g. "<titel>"
    expression: str  # what is evaluated, e.g. "titel"
    binds: tuple[str, ...] = ()  # names a loop gives its body


def _available(document: ReportDocument) -> dict[str, Any]:
    generated = timezone.localtime(document.generated_at).date()
    values: dict[str, Any] = {
        name: cell_text(value)
        for name, value in document.fields.items()
        if name.isidentifier() and not name.startswith("_")
    }
    values.update(
        title=xml_safe(document.title),
        organisation=xml_safe(document.organisation),
        period=xml_safe(document.period_label),
        generated=date_label(generated),
        sections=[
            SectionView(
                xml_safe(s.heading),
                tuple(xml_safe(b.text) for b in s.blocks if isinstance(b, Paragraph)),
            )
            for s in document.sections
        ],
    )
    return values


def _read_package(template: bytes | Path) -> dict[str, bytes]:
    content = template.read_bytes() if isinstance(template, Path) else template
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            files = {name: package.read(name) for name in package.namelist()}
    except (zipfile.BadZipFile, OSError) as exc:
        raise TemplateError(_("The template is not an ODT document (ODF text).")) from exc
    if files.get("mimetype", b"").strip() != b"application/vnd.oasis.opendocument.text":
        raise TemplateError(_("The template is not an ODT document (ODF text)."))
    return files


def _parse_xml(part: str, data: bytes) -> Any:
    try:
        return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise TemplateError(
            _("The template's %(part)s cannot be read: %(reason)s")
            % {"part": part, "reason": exc.msg}
        ) from exc


def _statements(part: str, root: Any) -> list[_Statement]:
    """Every statement relatorio would evaluate in one XML part of the template."""
    found: list[_Statement] = []
    href = f"{{{NS['xlink']}}}href"
    for element in root.iter():
        if not isinstance(element.tag, str):
            if isinstance(element, etree._ProcessingInstruction):
                raise TemplateError(_("The template holds program code, which is not allowed."))
            continue
        namespaces = [element.tag, *element.attrib.keys()]
        if any(name.startswith(f"{{{GENSHI}}}") for name in namespaces):
            raise TemplateError(_("The template holds program code, which is not allowed."))
        tag = etree.QName(element).localname
        namespace = etree.QName(element).namespace
        if namespace == NS["text"] and tag == "placeholder":
            written = "".join(element.itertext())
            found.append(_Statement(part, written, written.strip()[1:-1]))
        elif namespace == NS["text"] and tag == "a" and element.get(href, "").startswith(LINK):
            expression = urllib.parse.unquote(element.get(href)[len(LINK) :])
            found.append(_Statement(part, element.get(href), expression))
        elif namespace == NS["draw"] and tag == "frame":
            name = element.get(f"{{{NS['draw']}}}name", "")
            if name.startswith("image:"):
                found.append(_Statement(part, name, name[len("image:") :]))
        elif namespace in (NS["meta"], NS["dc"]) and (element.text or "").startswith(LINK):
            found.append(_Statement(part, element.text, element.text[len(LINK) :]))
    return found


def _names(statement: _Statement) -> tuple[list[str], tuple[str, ...], str]:
    """The names a statement reads ("title", "section.heading"), the names it binds (a
    loop's variables) and what they loop over."""
    match = _DIRECTIVE.fullmatch(statement.expression.strip())
    if match is not None:
        closing, directive, attribute, value = match.groups()
        if closing or value is None:
            return [], (), ""
        if directive == "for" and attribute == "each":
            target, _in, iterable = value.partition(" in ")
            bound = tuple(n.strip() for n in target.split(",") if n.strip())
            if not _in or not all(n.isidentifier() for n in bound):
                _refuse(statement)
            return _expression_names(statement, iterable), bound, iterable.strip()
        if directive in ("if", "when", "choose", "content", "replace") and attribute in (
            "test",
            "value",
        ):
            return _expression_names(statement, value), (), ""
        _refuse(statement)
    return _expression_names(statement, statement.expression), (), ""


def _refuse(statement: _Statement) -> NoReturn:
    raise TemplateError(
        _("The placeholder 「%(placeholder)s」 (in %(part)s) is not a name this report knows how "
          "to fill: a placeholder is a name such as <title>, or a loop over sections.")
        % {"placeholder": statement.text, "part": statement.part},
        names=(statement.text,),
    )  # fmt: skip


def _expression_names(statement: _Statement, expression: str) -> list[str]:
    """The names an expression reads, an attribute written with its name (section.heading);
    anything but names, attributes of names, constants and comparisons is refused."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        _refuse(statement)
    names: list[str] = []
    attributes: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            _refuse(statement)
        if isinstance(node, ast.Attribute):
            if not isinstance(node.value, ast.Name) or node.attr.startswith("_"):
                _refuse(statement)
            attributes.add(id(node.value))
            names.append(f"{node.value.id}.{node.attr}")
        elif isinstance(node, ast.Name) and id(node) not in attributes:
            names.append(node.id)
    return names


def check_template(template: bytes | Path, document: ReportDocument) -> dict[str, bytes]:
    """The template's files, once every placeholder names something the report has.

    Raises `TemplateError` naming the unknown placeholders (with the closest known name) and
    listing the names there are, or saying the sections are never placed."""
    files = _read_package(template)
    available = _available(document)
    unknown: list[str] = []
    used: set[str] = set()
    for part in sorted(name for name in files if name.endswith(".xml")):
        bound: dict[str, str] = {}  # a loop's variable: what it loops over
        for statement in _statements(part, _parse_xml(part, files[part])):
            names, binds, iterable = _names(statement)
            for name in names:
                base, _dot, attribute = name.partition(".")
                used.add(base)
                if attribute:
                    known_here = bound.get(base) == "sections" and attribute in SECTION_ATTRIBUTES
                else:
                    known_here = name in available or name in bound
                if not known_here and name not in unknown:
                    unknown.append(name)
            bound.update(dict.fromkeys(binds, iterable))
    known = sorted(available)
    known = sorted(available)
    if unknown:
        hints = []
        for name in unknown:
            base, dot, _attribute = name.partition(".")
            choices = [f"{base}.{a}" for a in SECTION_ATTRIBUTES] if dot else known
            close = difflib.get_close_matches(name, choices, n=1)
            hints.append(
                _("「%(name)s」 (did you mean 「%(close)s」?)") % {"name": name, "close": close[0]}
                if close
                else f"「{name}」"
            )
        raise TemplateError(
            _("The template has placeholders this report does not have: %(names)s. "
              "The names there are: %(known)s.")
            % {"names": "、".join(hints), "known": "、".join(known)},
            names=tuple(unknown),
        )  # fmt: skip
    if "sections" not in used:
        raise TemplateError(
            _("The template never places the report's sections: add the placeholder "
              "<sections> in a paragraph of its own."),
            names=("sections",),
        )  # fmt: skip
    return files


def _escape_tails(root: Any) -> None:
    """A `$` in text after an element (which relatorio leaves as it is) is text, not an
    expression for Genshi: written twice, Genshi writes it once."""
    for element in root.iter():
        if element.tail and "$" in element.tail:
            element.tail = element.tail.replace("$", "$$")


def _mark_sections(root: Any, marker: str) -> None:
    """Each paragraph holding only the <sections> placeholder becomes a marker paragraph."""
    placeholder = f"{{{NS['text']}}}placeholder"
    for element in list(root.iter(placeholder)):
        if "".join(element.itertext()).strip() != "<sections>":
            continue
        paragraph = element.getparent()
        others = "".join(paragraph.itertext()).replace("<sections>", "").strip()
        if others or etree.QName(paragraph).localname not in ("p", "h"):
            continue  # not alone: relatorio writes it as text, which says it is misplaced
        replacement = etree.Element(f"{{{NS['text']}}}p")
        replacement.text = marker
        replacement.tail = paragraph.tail
        paragraph.getparent().replace(paragraph, replacement)


def _insert_sections(files: dict[str, bytes], sections_odt: bytes, marker: str) -> None:
    """Put the sections (written with automatic styles only) where the markers are."""
    with zipfile.ZipFile(io.BytesIO(sections_odt)) as package:
        ours = {name: package.read(name) for name in package.namelist()}
    source = etree.fromstring(ours["content.xml"])
    content = etree.fromstring(files["content.xml"])
    body = source.find("office:body/office:text", NS)
    blocks = [child for child in body if etree.QName(child).localname != "sequence-decls"]
    styles = content.find("office:automatic-styles", NS)
    if styles is None:
        styles = etree.SubElement(content, f"{{{NS['office']}}}automatic-styles")
        content.remove(styles)
        content.insert(list(content).index(content.find("office:body", NS)), styles)
    for style in source.find("office:automatic-styles", NS):
        styles.append(style)
    fonts = content.find("office:font-face-decls", NS)
    if fonts is not None:
        have = {f.get(f"{{{NS['style']}}}name") for f in fonts}
        for font in source.find("office:font-face-decls", NS):
            if font.get(f"{{{NS['style']}}}name") not in have:
                fonts.append(font)
    paragraph = f"{{{NS['text']}}}p"
    for element in list(content.iter(paragraph)):
        if element.text == marker and len(element) == 0:
            parent = element.getparent()
            index = list(parent).index(element)
            parent.remove(element)
            for offset, block in enumerate(blocks):
                parent.insert(index + offset, _copy(block))
    files["content.xml"] = etree.tostring(content, xml_declaration=True, encoding="UTF-8")
    manifest = etree.fromstring(files["META-INF/manifest.xml"])
    for name, data in ours.items():
        if name.startswith("Pictures/"):
            files[name] = data
            entry = etree.SubElement(manifest, f"{{{NS['manifest']}}}file-entry")
            entry.set(f"{{{NS['manifest']}}}full-path", name)
            entry.set(f"{{{NS['manifest']}}}media-type", "image/png")
    files["META-INF/manifest.xml"] = etree.tostring(
        manifest, xml_declaration=True, encoding="UTF-8"
    )


def _copy(element: Any) -> Any:
    return etree.fromstring(etree.tostring(element))


def _with_namespaces(root: Any, *prefixes: str) -> Any:
    """The same element declaring the namespaces relatorio looks for (odfpy's meta.xml
    declares only those it uses)."""
    missing = {p: NS[p] for p in prefixes if root.nsmap.get(p) != NS[p]}
    if not missing:
        return root
    made = etree.Element(root.tag, attrib=dict(root.attrib), nsmap={**root.nsmap, **missing})
    made.text = root.text
    made.extend(list(root))
    return made


def _prepared(files: dict[str, bytes], marker: str) -> bytes:
    """The template as relatorio should read it: section markers, `$` kept as text."""
    prepared = dict(files)
    for part in (name for name in files if name.endswith(".xml")):
        root = etree.fromstring(files[part])
        if part == "meta.xml":
            root = _with_namespaces(root, "meta", "dc")
        _escape_tails(root)
        if part == "content.xml":
            _mark_sections(root, marker)
        prepared[part] = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return package_odf(prepared)


def fill_template(document: ReportDocument, template: bytes | Path) -> tuple[bytes, list[str]]:
    """The template filled with the report: the ODT and the problems met on the way."""
    from genshi.template.base import TemplateError as GenshiError
    from relatorio.templates.opendocument import Template

    files = check_template(template, document)
    marker = f"STEWARD-SECTIONS-{uuid.uuid4().hex}"
    source = io.BytesIO(_prepared(files, marker))
    failure = ""
    try:
        filled = Template(source=None, filepath=source, allow_exec=False)
        output = filled.generate(**_available(document)).render().getvalue()
    except GenshiError as exc:  # an attribute a section lacks (<section.headng>), …
        failure = str(exc)
    except Exception as exc:  # relatorio's own asserts (a loop left open), XML errors
        failure = str(exc) or type(exc).__name__
    if failure:
        # relatorio leaves its zip of `source` in a reference cycle when it fails: collect
        # it now, while `source` is open (later, closing it would fail with a warning).
        gc.collect()
        raise TemplateError(_("The template cannot be filled: %(reason)s") % {"reason": failure})
    with zipfile.ZipFile(io.BytesIO(output)) as package:
        result = {name: package.read(name) for name in package.namelist()}
    sections_odt, problems = write_sections(document)
    _insert_sections(result, sections_odt, marker)
    return package_odf(result), problems
