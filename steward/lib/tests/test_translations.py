"""The interface is Traditional Chinese first: every catalogue is complete and compiled."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest

STEWARD = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(STEWARD.glob("**/locale/zh_Hant/LC_MESSAGES/django.po"))


def entries(po_path: Path) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) for each entry of a .po file, with a small strict parser; an
    entry with a context (msgctxt) has its msgid as gettext keys it: context, \x04, msgid."""
    result: list[tuple[str, str, bool]] = []
    context: str | None = None
    msgid: list[str] | None = None
    msgstr: list[str] | None = None
    current: list[str] | None = None
    fuzzy = False
    next_fuzzy = False

    def flush() -> None:
        if msgid is not None and msgstr is not None:
            result.append(("".join(msgid), "".join(msgstr), fuzzy))

    for line in po_path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#,") and "fuzzy" in line:
            next_fuzzy = True
        elif line.startswith("msgctxt "):
            flush()
            msgid, msgstr, current = None, None, None
            context = ast.literal_eval(line[8:])
        elif line.startswith("msgid "):
            flush()
            msgid, msgstr, fuzzy, next_fuzzy = [], None, next_fuzzy, False
            current = msgid
            if context is not None:
                current.append(context + "\x04")
                context = None
            current.append(ast.literal_eval(line[6:]))
        elif line.startswith("msgstr"):
            msgstr = []
            current = msgstr
            current.append(ast.literal_eval(line.split(" ", 1)[1]))
        elif line.startswith('"') and current is not None:
            current.append(ast.literal_eval(line))
        elif line.startswith("msgid_plural"):
            current = []
    flush()
    return [entry for entry in result if entry[0]]  # drop the header entry


def test_there_are_catalogues() -> None:
    assert CATALOGUES, "no zh_Hant catalogue found"


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: str(p.relative_to(STEWARD)))
def test_every_message_is_translated_and_compiled(po_path: Path) -> None:
    untranslated = [msgid for msgid, msgstr, fuzzy in entries(po_path) if not msgstr or fuzzy]
    assert not untranslated, f"{po_path}: untranslated or fuzzy: {untranslated[:10]}"
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} is missing: run compilemessages"
    with mo_path.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [
        msgid
        for msgid, msgstr, _ in entries(po_path)
        if (compiled.pgettext(*msgid.split("\x04")) if "\x04" in msgid else compiled.gettext(msgid))
        != msgstr
    ]
    assert not stale, f"{mo_path} is older than its .po: run compilemessages ({stale[:5]})"


# A CJK character next to a half-width comma, colon, semicolon, !, ? or parenthesis.
_CJK = r"[\u3400-\u9fff\uf900-\ufaff]"
_HALF_WIDTH_BESIDE_CJK = re.compile(rf"(?<={_CJK})[,:;!?()]|[,:;!?(](?={_CJK})|\)(?={_CJK})")
#: Text quoted as written elsewhere (a file's header row), where half-width is right.
_QUOTED_AS_WRITTEN = ("西元日期,星期,是否放假,備註",)


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: str(p.relative_to(STEWARD)))
def test_chinese_text_uses_full_width_punctuation(po_path: Path) -> None:
    """Traditional Chinese uses ，：；！？（） — a half-width mark beside a CJK character is a slip."""
    slips = []
    for _msgid, msgstr, _fuzzy in entries(po_path):
        text = msgstr
        for quoted in _QUOTED_AS_WRITTEN:
            text = text.replace(quoted, "")
        if _HALF_WIDTH_BESIDE_CJK.search(text):
            slips.append(msgstr)
    assert not slips, slips[:5]
