"""A form as a browser submits it: parse the rendered HTML and build the POST from its controls.

Follows the HTML standard's "constructing the entry list" for the controls our pages use, and
the value sanitisation a browser applies first: an `<input type=date>` whose value is not
`YYYY-MM-DD` is empty (so `value="2020/01/01"` posts nothing), a number that does not parse is
empty, and a textarea's line breaks go out as CRLF. Tests build their POSTs with this rather
than from the model, so that what the page renders is what gets saved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NUMBER = re.compile(r"^-?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?$")


@dataclass
class _Select:
    name: str
    multiple: bool
    options: list[tuple[str, bool]] = field(default_factory=list)


class _FormParser(HTMLParser):
    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.depth = 0
        self.entries: list[tuple[str, str]] = []
        self.buttons: list[tuple[str, str]] = []
        self.select: _Select | None = None
        self.option: dict[str, str | None] | None = None
        self.option_text = ""
        self.textarea: str | None = None
        self.textarea_text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {key: ("" if value is None else value) for key, value in attrs}
        if tag == "form" and attributes.get("id") == self.form_id:
            self.inside = True
            return
        if not self.inside or "disabled" in attributes:
            return
        name = attributes.get("name", "")
        if tag == "input" and name:
            self._input(name, attributes)
        elif tag == "button" and name:
            self.buttons.append((name, attributes.get("value", "")))
        elif tag == "select" and name:
            self.select = _Select(name, "multiple" in attributes)
        elif tag == "option" and self.select is not None:
            self.option = dict(attributes)
            self.option_text = ""
        elif tag == "textarea" and name:
            self.textarea = name
            self.textarea_text = ""

    def _input(self, name: str, attributes: dict[str, str]) -> None:
        kind = attributes.get("type", "text").lower()
        value = attributes.get("value", "")
        if kind in ("checkbox", "radio"):
            if "checked" in attributes:
                self.entries.append((name, value or "on"))
        elif kind in ("submit", "button", "reset", "image", "file"):
            return
        else:
            valid = {"date": _DATE, "number": _NUMBER}.get(kind)
            if valid is not None and not valid.match(value):
                value = ""
            elif kind in ("email", "url"):
                value = value.replace("\n", "").replace("\r", "").strip()
            elif kind != "hidden":
                value = value.replace("\n", "").replace("\r", "")
            self.entries.append((name, value))

    def handle_data(self, data: str) -> None:
        if self.option is not None:
            self.option_text += data
        elif self.textarea is not None:
            self.textarea_text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "option" and self.option is not None and self.select is not None:
            value = self.option.get("value")
            text = value if value is not None else " ".join(self.option_text.split())
            self.select.options.append((text, "selected" in self.option))
            self.option = None
        elif tag == "select" and self.select is not None:
            chosen = [value for value, selected in self.select.options if selected]
            if not chosen and not self.select.multiple and self.select.options:
                chosen = [self.select.options[0][0]]  # a browser selects the first option
            if not self.select.multiple:
                chosen = chosen[-1:]
            self.entries.extend((self.select.name, value) for value in chosen)
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            text = self.textarea_text
            if text.startswith("\n"):  # the parser drops one newline right after <textarea>
                text = text[1:]
            text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")
            self.entries.append((self.textarea, text))
            self.textarea = None


def browser_post(html: str, form_id: str, *, button: str) -> dict[str, list[str]]:
    """The entries a browser posts when `button` (a submit button's name) of form `form_id`
    is pressed, as {name: [values]} for Django's test client."""
    parser = _FormParser(form_id)
    parser.feed(html)
    parser.close()
    pressed = [entry for entry in parser.buttons if entry[0] == button]
    if not pressed:
        raise AssertionError(f"form #{form_id} has no button named {button!r}")
    data: dict[str, list[str]] = {}
    for name, value in [*parser.entries, pressed[0]]:
        data.setdefault(name, []).append(value)
    return data
