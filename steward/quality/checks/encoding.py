"""Character encoding (編碼格式) of a resource, detected from its first bytes, against the declared one.

Strategy, in this order, each step a strict decode (no statistics):
1. byte-order marks (UTF-8, UTF-16 LE/BE);
2. the NUL pattern of BOM-less UTF-16 (every other byte 0 in ASCII-heavy text);
3. pure ASCII (valid as UTF-8 and as Big5);
4. strict UTF-8, unless the result only has two-byte Latin/Greek characters while CP950 reads
   Chinese ideographs (short Big5 samples can be accidentally valid UTF-8);
5. strict CP950 (Big5 plus Microsoft's additions). Characters that only CP950 knows, such as the
   Eten extensions 0xF9D6–0xF9FE (碁 銹 裏 墻 恒 粧 嫺 ╔ ╗ …), make it CP950 rather than pure Big5.
A sample cut in the middle of a multibyte character is fine unless ``complete=True``.
General-purpose statistical detectors misjudge Big5 on short samples; see bench/encoding.py.
"""

from __future__ import annotations

import codecs
import enum
import re
from dataclasses import dataclass, field

from steward.datasets.standard import normalise_encoding_label

from .findings import Finding, error, info, warning


class Encoding(enum.StrEnum):
    """A detected encoding."""

    EMPTY = "empty"
    ASCII = "ascii"
    UTF8 = "utf-8"
    UTF8_BOM = "utf-8-sig"
    UTF16_LE = "utf-16-le"
    UTF16_BE = "utf-16-be"
    BIG5 = "big5"
    CP950 = "cp950"
    UNKNOWN = "unknown"
    BINARY = "binary"

    @property
    def label(self) -> str:
        """How the portal would write it in 編碼格式."""
        return _LABELS.get(self, "其他")

    @property
    def codec(self) -> str | None:
        """The Python codec that decodes this text (None when nothing can)."""
        return _CODECS.get(self)

    @property
    def words(self) -> str:
        """What a civil servant reads in a report or page (never a codec name)."""
        return _WORDS[self]


_LABELS: dict[Encoding, str] = {
    Encoding.ASCII: "UTF-8",
    Encoding.UTF8: "UTF-8",
    Encoding.UTF8_BOM: "UTF-8",
    Encoding.BIG5: "BIG5",
    Encoding.CP950: "BIG5",
}
_WORDS: dict[Encoding, str] = {
    Encoding.EMPTY: "空白檔案",
    Encoding.ASCII: "UTF-8（僅含英數字）",
    Encoding.UTF8: "UTF-8",
    Encoding.UTF8_BOM: "UTF-8（含 BOM）",
    Encoding.UTF16_LE: "UTF-16",
    Encoding.UTF16_BE: "UTF-16",
    Encoding.BIG5: "BIG5",
    Encoding.CP950: "BIG5（含微軟擴充字）",
    Encoding.UNKNOWN: "無法判定",
    Encoding.BINARY: "非文字檔",
}


def encoding_words(value: str) -> str:
    """The words for a stored encoding value ("cp950" → "BIG5（含微軟擴充字）"); "" stays ""."""
    if not value:
        return ""
    try:
        return Encoding(value).words
    except ValueError:
        return "其他"


_CODECS: dict[Encoding, str] = {
    Encoding.ASCII: "utf-8",
    Encoding.UTF8: "utf-8",
    Encoding.UTF8_BOM: "utf-8-sig",
    Encoding.UTF16_LE: "utf-16",  # BOM-aware; a BOM-less file decodes as LE anyway
    Encoding.UTF16_BE: "utf-16-be",
    Encoding.BIG5: "cp950",  # CP950 decodes all of Big5 and more
    Encoding.CP950: "cp950",
}


@dataclass
class EncodingReport:
    """What the bytes are, whether that matches 編碼格式, and why."""

    encoding: Encoding
    declared: str = ""
    #: True/False against the declared value; None when nothing usable was declared.
    matches: bool | None = None
    bom: bool = False
    truncated_tail: bool = False
    #: CP950-only characters seen (at most 10), e.g. 碁 from 0xF9D6.
    cp950_only: list[str] = field(default_factory=list)
    #: Byte offset of the first byte no candidate could decode (for UNKNOWN).
    bad_offset: int | None = None
    findings: list[Finding] = field(default_factory=list)
    #: The sample strictly decoded, when that was part of the detection (so nobody decodes twice).
    text: str | None = field(default=None, repr=False, compare=False)

    @property
    def codec(self) -> str | None:
        return self.encoding.codec


def _utf16_by_nul_pattern(sample: bytes) -> Encoding | None:
    if len(sample) < 4 or b"\x00" not in sample:
        return None  # (without NUL bytes neither half can be 30 % NUL)
    even, odd = sample[0::2], sample[1::2]
    even_nul = even.count(0) / len(even)
    odd_nul = odd.count(0) / max(len(odd), 1)
    if odd_nul > 0.3 and even_nul < 0.05:
        return Encoding.UTF16_LE
    if even_nul > 0.3 and odd_nul < 0.05:
        return Encoding.UTF16_BE
    return None


def _decode_prefix(sample: bytes, codec: str, *, complete: bool) -> tuple[str | None, int, bool]:
    """Strictly decode; returns (text or None, offset of the first bad byte, tail was cut)."""
    if complete and codec == "utf-8":
        # the whole sample at once, as the incremental decoder would with final=True
        try:
            return sample.decode(codec), -1, False
        except UnicodeDecodeError as exc:
            return None, exc.start, False
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    try:
        text = decoder.decode(sample, final=complete)
    except UnicodeDecodeError as exc:
        return None, exc.start, False
    pending = decoder.getstate()[0]
    return text, -1, bool(pending)


_LONG_UTF8_LEAD = re.compile(rb"[\xe0-\xf4]")


def _looks_like_misread_big5(sample: bytes) -> bool:
    """Valid UTF-8, not ASCII, whose characters are all two-byte (U+0080–U+07FF): no CJK at all.

    In valid UTF-8 a character from U+0800 up starts with a byte 0xE0–0xF4, so the bytes tell.
    """
    return not sample.isascii() and _LONG_UTF8_LEAD.search(sample) is None


def _cp950_only_characters(sample: bytes, limit: int = 10) -> list[str]:
    """Characters whose two-byte code exists in CP950 but not in strict Big5."""
    found: list[str] = []
    index, end = 0, len(sample)
    while index < end and len(found) < limit:
        byte = sample[index]
        if byte < 0x80:
            index += 1
            continue
        pair = sample[index : index + 2]
        if len(pair) < 2:
            break
        try:
            pair.decode("big5")
        except UnicodeDecodeError:
            try:
                character = pair.decode("cp950")
            except UnicodeDecodeError:
                character = ""
            if character and character not in found:
                found.append(character)
        index += 2
    return found


_UTF16_BOMS = ((codecs.BOM_UTF16_LE, Encoding.UTF16_LE), (codecs.BOM_UTF16_BE, Encoding.UTF16_BE))


def identify_encoding(sample: bytes, *, complete: bool = False) -> EncodingReport:
    """What encoding ``sample`` is in, without judging it against 編碼格式 (no findings).

    The strictly decoded text is kept on the report when the detection decoded it anyway.
    """
    if not sample:
        return EncodingReport(Encoding.EMPTY)
    if sample.startswith(codecs.BOM_UTF8):
        text, bad, cut = _decode_prefix(sample[3:], "utf-8", complete=complete)
        if text is not None:
            return EncodingReport(Encoding.UTF8_BOM, bom=True, truncated_tail=cut, text=text)
        return EncodingReport(Encoding.UNKNOWN, bom=True, bad_offset=bad + 3)
    for bom, encoding in _UTF16_BOMS:
        if sample.startswith(bom):
            return EncodingReport(encoding, bom=True, truncated_tail=len(sample) % 2 == 1)
    if b"\x00" in sample:  # (else neither BOM-less UTF-16 nor binary)
        by_nul = _utf16_by_nul_pattern(sample[:4096])
        if by_nul is not None:
            return EncodingReport(by_nul, truncated_tail=len(sample) % 2 == 1)
        return EncodingReport(Encoding.BINARY, bad_offset=sample.index(b"\x00"))
    if sample.isascii():
        return EncodingReport(Encoding.ASCII, text=sample.decode("ascii"))

    utf8_text, utf8_bad, utf8_cut = _decode_prefix(sample, "utf-8", complete=complete)
    if utf8_text is not None and not _looks_like_misread_big5(sample):
        # three-byte (CJK) sequences that decode strictly are UTF-8: no need to try CP950
        return EncodingReport(Encoding.UTF8, truncated_tail=utf8_cut, text=utf8_text)
    big5_text, big5_bad, big5_cut = _decode_prefix(sample, "cp950", complete=complete)
    if utf8_text is not None and not (
        big5_text is not None and any("\u4e00" <= c <= "\u9fff" for c in big5_text)
    ):
        return EncodingReport(Encoding.UTF8, truncated_tail=utf8_cut, text=utf8_text)
    if big5_text is not None:
        # strict Big5 reading the same bytes means no CP950-only character: skip the scan
        pure, _, _ = _decode_prefix(sample, "big5", complete=complete)
        cp950_only = [] if pure is not None else _cp950_only_characters(sample)
        encoding = Encoding.CP950 if cp950_only else Encoding.BIG5
        return EncodingReport(
            encoding, truncated_tail=big5_cut, cp950_only=cp950_only, text=big5_text
        )
    return EncodingReport(Encoding.UNKNOWN, bad_offset=max(utf8_bad, big5_bad))


def detect_encoding(
    sample: bytes,
    *,
    declared: str | None = None,
    complete: bool = False,
    identified: EncodingReport | None = None,
) -> EncodingReport:
    """Detect the encoding of ``sample`` (the first bytes of a file) and compare with 編碼格式.

    ``complete`` says the sample is the whole file, so a cut multibyte character at the end is
    an error rather than the edge of the sample. ``identified`` is a fresh
    :func:`identify_encoding` of the same sample (e.g. from :func:`sniff_format`), judged
    instead of detecting again; it is filled in and returned.
    """
    report = identified or identify_encoding(sample, complete=complete)
    report.declared = (declared or "").strip()
    wanted = normalise_encoding_label(report.declared) if report.declared else None
    found = report.encoding
    findings = report.findings

    if found is Encoding.EMPTY:
        findings.append(
            error("empty", "檔案是空的，無法判斷編碼。", "請確認下載網址提供的是完整檔案。")
        )
        return report
    if found is Encoding.BINARY:
        findings.append(
            error(
                "binary",
                f"檔案含有二進位內容（第 {report.bad_offset} 位元組是 NUL），不是純文字。",
                "若是試算表或壓縮檔，請將檔案格式填為實際格式；編碼格式只適用於文字檔。",
            )
        )
        return report
    if found is Encoding.UNKNOWN:
        findings.append(
            error(
                "undecodable",
                f"第 {report.bad_offset} 位元組起的內容既不是 UTF-8 也不是 Big5。",
                "請以 UTF-8 重新存檔（例如在試算表軟體另存新檔時選擇「CSV UTF-8」）。",
            )
        )
    if found is Encoding.CP950:
        findings.append(
            warning(
                "cp950_only",
                f"檔案含有 Big5 標準以外、只有 CP950 才有的字（{'、'.join(report.cp950_only)}），"
                "部分程式會讀成亂碼。",
                "建議改以 UTF-8 提供。",
            )
        )
    if found in (Encoding.UTF16_LE, Encoding.UTF16_BE):
        findings.append(
            warning(
                "utf16",
                "檔案是 UTF-16 編碼，多數資料處理工具預設無法讀取。",
                "請改存為 UTF-8，並將編碼格式填為 UTF-8。",
            )
        )
    if report.truncated_tail and complete:
        findings.append(
            error("cut_character", "檔案結尾有不完整的中文字。", "請確認檔案完整上傳。")
        )

    if wanted is None:
        if report.declared:
            findings.append(
                warning(
                    "declared_unknown",
                    f"編碼格式「{report.declared}」不是平臺的標準寫法。",
                    f"請填「{found.label}」。",
                )
            )
        return report
    if found is Encoding.ASCII:
        report.matches = wanted in ("UTF-8", "BIG5")
    elif found in (Encoding.UTF8, Encoding.UTF8_BOM):
        report.matches = wanted == "UTF-8"
    elif found in (Encoding.BIG5, Encoding.CP950):
        report.matches = wanted == "BIG5"
    else:
        report.matches = wanted == "OTHER"
    if report.matches:
        findings.append(_match(report.declared))
    else:
        findings.append(
            error(
                "mismatch",
                f"編碼格式填的是「{report.declared}」，但檔案實際是 {describe(found)}。",
                f"請將編碼格式改為「{found.label}」，或將檔案改存為 {report.declared}。",
            )
        )
    return report


def _match(declared: str) -> Finding:
    return info("match", f"實際編碼與編碼格式「{declared}」相符。")


def describe(encoding: Encoding) -> str:
    """A short Chinese description of an encoding, for messages."""
    return {
        Encoding.ASCII: "純英數字（ASCII）",
        Encoding.UTF8: "UTF-8",
        Encoding.UTF8_BOM: "UTF-8（含 BOM）",
        Encoding.UTF16_LE: "UTF-16",
        Encoding.UTF16_BE: "UTF-16（大端序）",
        Encoding.BIG5: "Big5",
        Encoding.CP950: "Big5（CP950）",
        Encoding.UNKNOWN: "無法辨識的編碼",
        Encoding.BINARY: "二進位檔",
        Encoding.EMPTY: "空檔案",
    }[encoding]
