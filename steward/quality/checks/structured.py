"""Streaming well-formedness checks for JSON and XML resources, in bounded memory.

JSON: a small tokenizer + state machine that never builds the document; it counts the records
of the first array (top level, or the first array inside the top-level object) and collects the
keys of the first record, so the fields can be compared with 主要欄位說明.
XML: expat with every entity declaration refused (the defusedxml rule: no billion laughs, no
external entities); it counts the children of the root and collects the child tags of the first.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.parsers import expat

CHUNK = 1 << 20
#: A single JSON string longer than this is refused rather than buffered.
MAX_TOKEN = 64 << 20
MAX_KEYS = 500


@dataclass
class StructureResult:
    """What a streaming parse saw: well-formed or where it broke, records and their fields."""

    well_formed: bool = True
    error: str = ""
    line: int | None = None
    column: int | None = None
    records: int = 0
    fields: list[str] = field(default_factory=list)
    refused_entities: bool = False
    #: The input ended before the document did (a head, or a cut file).
    ended_early: bool = False


class _Stop(Exception):
    """Raised inside expat callbacks to abort the parse."""


# --- JSON -------------------------------------------------------------------------------------

_WS = re.compile(r"[ \t\r\n]+")
_STRING = re.compile(r'"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"')
_LOOSE_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_LITERAL = re.compile(r"true|false|null")

# parser states: what may come next
_VALUE, _VALUE_OR_END, _KEY, _KEY_OR_END, _COLON, _COMMA_OR_END, _DONE = range(7)


def _chunks_as_text(chunks: Iterator[bytes], codec: str) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    for chunk in chunks:
        yield decoder.decode(chunk)
    yield decoder.decode(b"", final=True)


def check_json(chunks: Iterator[bytes], *, codec: str = "utf-8") -> StructureResult:
    """Validate JSON syntax from a stream of byte chunks without building the document."""
    result = StructureResult()
    stack: list[str] = []
    state = _VALUE
    records_depth: int | None = None  # stack depth of the records array, once found
    first_record_open = False
    first_record_done = False
    lines_before = 0
    buffer = ""
    pos = 0

    def fail(message: str, at: int) -> StructureResult:
        result.well_formed = False
        result.line = lines_before + buffer.count("\n", 0, at) + 1
        result.column = at - (buffer.rfind("\n", 0, at) + 1) + 1
        result.error = message
        return result

    text_chunks = _chunks_as_text(chunks, codec)
    final = False
    try:
        while True:
            if pos >= len(buffer) or (len(buffer) - pos < 64 and not final):
                try:
                    more = next(text_chunks)
                except StopIteration:
                    final = True
                    more = ""
                lines_before += buffer.count("\n", 0, pos)
                buffer = buffer[pos:] + more
                pos = 0
                if final and not buffer:
                    break
                if not final and len(buffer) < 64:
                    continue
            char = buffer[pos]
            if char in " \t\r\n":
                pos = _WS.match(buffer, pos).end()  # type: ignore[union-attr]
                continue
            if state == _DONE:
                return fail("JSON 結束後還有多餘的內容", pos)
            token_start = pos
            if char == '"':
                match = _STRING.match(buffer, pos)
                if match is None:
                    if _LOOSE_STRING.match(buffer, pos) is not None:
                        return fail("字串中有不合法的字元或跳脫序列", pos)
                    if final:
                        result.ended_early = True
                        return fail("字串的引號沒有關閉", pos)
                    if len(buffer) - pos > MAX_TOKEN:
                        return fail("字串過長或引號沒有關閉", pos)
                    # the string goes on in the next chunk
                    lines_before += buffer.count("\n", 0, pos)
                    buffer, pos = buffer[pos:], 0
                    try:
                        buffer += next(text_chunks)
                    except StopIteration:
                        final = True
                    continue
                pos = match.end()
                kind = "string"
            elif char in "{}[]:,":
                pos += 1
                kind = char
            else:
                match = _NUMBER.match(buffer, pos) or _LITERAL.match(buffer, pos)
                if match is None or match.end() == pos:
                    # "tru" at the very end of the input is a cut literal, not a typo
                    result.ended_early = final and len(buffer) - pos < 5
                    return fail(f"無法辨識的內容「{buffer[pos : pos + 10]}」", pos)
                pos = match.end()
                kind = "scalar"

            # the grammar
            if state in (_VALUE, _VALUE_OR_END):
                if kind == "]" and state == _VALUE_OR_END:
                    stack.pop()
                elif kind in ("{", "[", "string", "scalar"):
                    depth = len(stack)
                    if records_depth is not None and depth == records_depth and stack[-1] == "[":
                        result.records += 1
                        if kind == "{" and not first_record_done:
                            first_record_open = True
                    if kind == "{":
                        stack.append("{")
                        state = _KEY_OR_END
                        continue
                    if kind == "[":
                        stack.append("[")
                        if records_depth is None and len(stack) <= 2:
                            records_depth = len(stack)
                        state = _VALUE_OR_END
                        continue
                else:
                    return fail(f"此處應為一個值，卻是「{buffer[token_start:pos]}」", token_start)
            elif state in (_KEY, _KEY_OR_END):
                if kind == "}" and state == _KEY_OR_END:
                    stack.pop()
                elif kind == "string":
                    if (
                        first_record_open
                        and records_depth is not None
                        and len(stack) == records_depth + 1
                        and len(result.fields) < MAX_KEYS
                    ):
                        result.fields.append(buffer[token_start + 1 : pos - 1])
                    state = _COLON
                    continue
                else:
                    return fail("此處應為以雙引號括住的欄位名稱", token_start)
            elif state == _COLON:
                if kind != ":":
                    return fail("欄位名稱後應為冒號「:」", token_start)
                state = _VALUE
                continue
            elif state == _COMMA_OR_END:
                if kind == ",":
                    state = _VALUE if stack[-1] == "[" else _KEY
                    continue
                if (kind == "]" and stack[-1] == "[") or (kind == "}" and stack[-1] == "{"):
                    stack.pop()
                else:
                    return fail(
                        f"此處應為逗號或結尾括號，卻是「{buffer[token_start:pos]}」", token_start
                    )
            # a value has just ended
            if first_record_open and records_depth is not None and len(stack) == records_depth:
                first_record_open, first_record_done = False, True
            state = _COMMA_OR_END if stack else _DONE
    except UnicodeDecodeError as exc:
        result.well_formed = False
        result.error = f"內容不是 {codec} 編碼（{exc.reason}）"
        return result
    if state != _DONE:
        result.ended_early = True
        return fail("檔案在 JSON 結構結束前就結束了（缺少結尾括號或內容不完整）", len(buffer))
    return result


# --- XML --------------------------------------------------------------------------------------


#: expat's error messages, in the words of the report (the rest: a general syntax error).
_EXPAT_WORDS = {
    expat.errors.codes[expat.errors.XML_ERROR_SYNTAX]: "語法錯誤",
    expat.errors.codes[expat.errors.XML_ERROR_NO_ELEMENTS]: "找不到任何元素（檔案是空的或不完整）",
    expat.errors.codes[expat.errors.XML_ERROR_INVALID_TOKEN]: "有不合法的字元或標記",
    expat.errors.codes[expat.errors.XML_ERROR_UNCLOSED_TOKEN]: "標記沒有關閉",
    expat.errors.codes[expat.errors.XML_ERROR_PARTIAL_CHAR]: "字元不完整（可能是編碼錯誤）",
    expat.errors.codes[expat.errors.XML_ERROR_TAG_MISMATCH]: "開始與結束標籤不一致",
    expat.errors.codes[expat.errors.XML_ERROR_DUPLICATE_ATTRIBUTE]: "同一元素有重複的屬性",
    expat.errors.codes[expat.errors.XML_ERROR_JUNK_AFTER_DOC_ELEMENT]: "根元素結束後還有多餘的內容",
    expat.errors.codes[expat.errors.XML_ERROR_UNDEFINED_ENTITY]: "使用了未定義的實體（entity）",
    expat.errors.codes[expat.errors.XML_ERROR_UNKNOWN_ENCODING]: "XML 宣告了無法辨識的編碼",
    expat.errors.codes[expat.errors.XML_ERROR_INCORRECT_ENCODING]: "XML 宣告的編碼與實際內容不符",
    expat.errors.codes[expat.errors.XML_ERROR_UNCLOSED_CDATA_SECTION]: "CDATA 區段沒有關閉",
    expat.errors.codes[expat.errors.XML_ERROR_MISPLACED_XML_PI]: "XML 宣告不在檔案開頭",
    expat.errors.codes[expat.errors.XML_ERROR_UNBOUND_PREFIX]: "使用了未宣告的命名空間前綴",
    expat.errors.codes[expat.errors.XML_ERROR_XML_DECL]: "XML 宣告的寫法不正確",
}


def expat_error_words(code: int | None) -> str:
    """What an expat error code means, in Traditional Chinese (never expat's English)."""
    return _EXPAT_WORDS.get(code or 0, "語法錯誤")


def check_xml(chunks: Iterator[bytes], *, codec: str | None = None) -> StructureResult:
    """Validate XML well-formedness with expat, refusing every entity declaration.

    ``codec`` (e.g. ``cp950``) transcodes the bytes to UTF-8 first, for encodings expat lacks.
    """
    result = StructureResult()
    parser = expat.ParserCreate(encoding="utf-8" if codec else None)
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    depth = 0
    first_record = True

    def refuse_entity(*_args: object) -> None:
        result.refused_entities = True
        raise _Stop("XML 宣告了實體（ENTITY），基於安全（如實體擴張攻擊）拒絕處理")

    def refuse_external(*_args: object) -> int:
        result.refused_entities = True
        raise _Stop("XML 引用了外部實體，基於安全拒絕處理")

    def start(name: str, _attributes: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        if depth == 2:
            result.records += 1
        elif (
            depth == 3
            and first_record
            and name not in result.fields
            and len(result.fields) < MAX_KEYS
        ):
            result.fields.append(name)

    def end(_name: str) -> None:
        nonlocal depth, first_record
        if depth == 2:
            first_record = False
        depth -= 1

    parser.EntityDeclHandler = refuse_entity
    parser.UnparsedEntityDeclHandler = refuse_entity
    parser.ExternalEntityRefHandler = refuse_external
    parser.StartElementHandler = start
    parser.EndElementHandler = end

    decoder = codecs.getincrementaldecoder(codec)(errors="strict") if codec else None
    try:
        for chunk in chunks:
            data = decoder.decode(chunk).encode("utf-8") if decoder else chunk
            parser.Parse(data, False)
        parser.Parse(decoder.decode(b"", final=True).encode("utf-8") if decoder else b"", True)
    except _Stop as stop:
        result.well_formed = False
        result.error = str(stop)
        result.line, result.column = parser.CurrentLineNumber, parser.CurrentColumnNumber + 1
    except expat.ExpatError as exc:
        result.well_formed = False
        result.error = expat_error_words(exc.code)
        result.line, result.column = exc.lineno, exc.offset + 1
    except UnicodeDecodeError as exc:
        result.well_formed = False
        result.error = f"內容不是 {codec} 編碼（{exc.reason}）"
    return result
