"""The real format of a resource, sniffed from its bytes, against the declared 檔案格式.

Magic numbers first (PDF, OLE2 XLS, ZIP and the zip-based XLSX/ODS/DOCX/KMZ, images, gzip), then
text: HTML (a landing or login page served instead of the file: not directly downloadable), XML
and its flavours KML and RDF, JSON (and JSON-LD), CSV by a consistent delimiter, plain text.
Zip archives are listed from their central directory when the whole file is given, or from the
local headers in the head otherwise; no member is ever extracted beyond a small sniffing window,
and members with a suspicious compression ratio (zip bombs) are not opened at all.
"""

from __future__ import annotations

import csv
import enum
import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field

from steward.datasets.standard import normalise_format_label

from .encoding import Encoding, EncodingReport, identify_encoding
from .findings import Finding, error, info, warning
from .structured import check_json

#: Text formats are sniffed (and their encoding detected) from at most this many first bytes.
SNIFF_BYTES = 65536
#: Never read more than this from one zip member when sniffing it.
ZIP_SNIFF_BYTES = 4096
#: Sniff at most this many members of one archive.
ZIP_MAX_SNIFFED_MEMBERS = 50
#: A member expanding more than this many times, and to more than ZIP_RATIO_MIN_SIZE, is a bomb.
ZIP_MAX_RATIO = 100
ZIP_RATIO_MIN_SIZE = 10 * 1024 * 1024
#: Total declared uncompressed size above which an archive is refused.
ZIP_MAX_TOTAL = 4 * 1024**3


class FileFormat(enum.StrEnum):
    """A sniffed format, named as the portal's 檔案格式 where one exists."""

    EMPTY = "EMPTY"
    CSV = "CSV"
    JSON = "JSON"
    XML = "XML"
    KML = "KML"
    RDF = "RDF"
    XLSX = "XLSX"
    XLS = "XLS"
    ODS = "ODS"
    PDF = "PDF"
    ZIP = "ZIP"
    KMZ = "KMZ"
    DOCX = "DOCX"
    ODT = "ODT"
    DOC = "DOC"
    HTML = "HTML"
    TEXT = "TXT"
    IMAGE = "IMAGE"
    GZIP = "GZIP"
    SHP = "SHP"
    UNKNOWN = "UNKNOWN"


#: Formats that are structured, i.e. convertible to CSV (the platform's ``structure`` flag).
STRUCTURED: frozenset[FileFormat] = frozenset(
    {FileFormat.CSV, FileFormat.JSON, FileFormat.XML, FileFormat.KML, FileFormat.RDF,
     FileFormat.XLSX, FileFormat.XLS, FileFormat.ODS}
)  # fmt: skip


class FormatVerdict(enum.StrEnum):
    """How the sniffed format compares with the declared 檔案格式."""

    MATCH = "match"
    COMPATIBLE = "compatible"  # e.g. declared XLS, got XLSX; declared XML, got KML
    MISMATCH = "mismatch"
    NOT_DOWNLOADABLE = "not_downloadable"  # an HTML page where a file was promised
    REFUSED = "refused"  # zip bomb
    UNDECLARED = "undeclared"


#: declared 檔案格式 → (formats that match, formats that are compatible)
_EXPECTATIONS: dict[str, tuple[frozenset[FileFormat], frozenset[FileFormat]]] = {
    "CSV": (frozenset({FileFormat.CSV}), frozenset({FileFormat.TEXT})),
    "TXT": (frozenset({FileFormat.TEXT}), frozenset({FileFormat.CSV})),
    "JSON": (frozenset({FileFormat.JSON}), frozenset()),
    "JSON-LD": (frozenset({FileFormat.JSON}), frozenset()),
    "GEOJSON": (frozenset({FileFormat.JSON}), frozenset()),
    "XML": (frozenset({FileFormat.XML}), frozenset({FileFormat.KML, FileFormat.RDF})),
    "KML": (frozenset({FileFormat.KML}), frozenset({FileFormat.XML, FileFormat.KMZ})),
    "KMZ": (frozenset({FileFormat.KMZ}), frozenset({FileFormat.ZIP})),
    "RDF": (frozenset({FileFormat.RDF}), frozenset({FileFormat.XML})),
    "XLS": (frozenset({FileFormat.XLS}), frozenset({FileFormat.XLSX})),
    "XLSX": (frozenset({FileFormat.XLSX}), frozenset({FileFormat.XLS})),
    "ODS": (frozenset({FileFormat.ODS}), frozenset()),
    "PDF": (frozenset({FileFormat.PDF}), frozenset()),
    "ZIP": (frozenset({FileFormat.ZIP}), frozenset({FileFormat.KMZ, FileFormat.GZIP})),
    "SHP": (frozenset({FileFormat.SHP}), frozenset({FileFormat.ZIP})),
    "DOC": (frozenset({FileFormat.DOC}), frozenset({FileFormat.DOCX})),
    "DOCX": (frozenset({FileFormat.DOCX}), frozenset({FileFormat.DOC})),
    "ODT": (frozenset({FileFormat.ODT}), frozenset()),
    "JPG": (frozenset({FileFormat.IMAGE}), frozenset()),
    "PNG": (frozenset({FileFormat.IMAGE}), frozenset()),
    "HTML": (frozenset({FileFormat.HTML}), frozenset()),
    # services and tools are not files: any structured answer is what was promised
    "SERVICES": (STRUCTURED, frozenset({FileFormat.HTML})),
    "TOOLS": (STRUCTURED, frozenset({FileFormat.HTML, FileFormat.ZIP})),
}


@dataclass(frozen=True)
class ZipMember:
    """One archive member: sizes from the directory, the sniffed format unless refused."""

    name: str
    size: int
    compressed_size: int
    format: FileFormat | None = None
    refused: bool = False

    @property
    def ratio(self) -> float:
        return self.size / max(self.compressed_size, 1)


@dataclass
class FormatReport:
    """The sniffed format, the declared one and the verdict, with Chinese findings."""

    format: FileFormat
    declared: str = ""
    verdict: FormatVerdict = FormatVerdict.UNDECLARED
    #: Finer detail: "login page", "landing page", an XML root element, "JSON-LD", …
    flavour: str = ""
    delimiter: str | None = None
    members: list[ZipMember] = field(default_factory=list)
    #: True when only part of the archive's directory could be read (head only).
    members_partial: bool = False
    zip_bomb: bool = False
    encoding: Encoding | None = None
    #: The encoding detection behind ``encoding`` (of the first SNIFF_BYTES), for reuse.
    identified: EncodingReport | None = field(default=None, repr=False, compare=False)
    findings: list[Finding] = field(default_factory=list)

    @property
    def structured(self) -> bool:
        """Convertible to CSV (the platform's ``structure`` flag)."""
        return self.format in STRUCTURED

    @property
    def downloadable(self) -> bool:
        """A file came back rather than a web page (or nothing)."""
        return self.format not in (FileFormat.HTML, FileFormat.EMPTY)


# --- binary formats ---------------------------------------------------------------------------

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ODF_MIMETYPES = {
    "application/vnd.oasis.opendocument.spreadsheet": FileFormat.ODS,
    "application/vnd.oasis.opendocument.text": FileFormat.ODT,
}


#: The first bytes of the magic numbers below: any other first byte is text (or unknown).
_MAGIC_FIRST_BYTES = frozenset(b"%\xd0P\x89\xffG\x1f\x00")


def _sniff_magic(head: bytes, file_name: str) -> FileFormat | None:
    if not head or head[0] not in _MAGIC_FIRST_BYTES:
        return None
    if head.startswith(b"%PDF-"):
        return FileFormat.PDF
    if head.startswith(_OLE2):
        # OLE2 holds XLS and DOC; their directory entries name the stream in UTF-16
        if "Workbook".encode("utf-16-le") in head or "Book".encode("utf-16-le") in head:
            return FileFormat.XLS
        if "WordDocument".encode("utf-16-le") in head:
            return FileFormat.DOC
        return FileFormat.DOC if file_name.lower().endswith(".doc") else FileFormat.XLS
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return FileFormat.ZIP  # refined by _inspect_zip
    if head.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")):
        return FileFormat.IMAGE
    if head.startswith(b"\x1f\x8b"):
        return FileFormat.GZIP
    if head.startswith(b"\x00\x00\x27\x0a"):
        return FileFormat.SHP
    return None


def _format_of_zip_names(names: list[str], mimetype: str) -> FileFormat:
    if mimetype in _ODF_MIMETYPES:
        return _ODF_MIMETYPES[mimetype]
    if "xl/workbook.xml" in names:
        return FileFormat.XLSX
    if "word/document.xml" in names:
        return FileFormat.DOCX
    if any(n.lower().endswith(".kml") for n in names) and len(names) <= 3:
        return FileFormat.KMZ
    return FileFormat.ZIP


def _inspect_zip(data: bytes, report: FormatReport) -> None:
    """List members and sniff each (bounded); refuse to open members that look like bombs."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        _inspect_zip_head(data, report)
        return
    with archive:
        infos = archive.infolist()
        total = sum(i.file_size for i in infos)
        names = [i.filename for i in infos]
        mimetype = ""
        sniffed = 0
        for item in infos:
            bomb = (
                item.file_size > ZIP_RATIO_MIN_SIZE
                and item.file_size / max(item.compress_size, 1) > ZIP_MAX_RATIO
            )
            member_format: FileFormat | None = None
            if not bomb and not item.is_dir() and sniffed < ZIP_MAX_SNIFFED_MEMBERS:
                sniffed += 1
                try:
                    with archive.open(item) as member:
                        member_head = member.read(ZIP_SNIFF_BYTES)  # bounded decompression
                except (zipfile.BadZipFile, NotImplementedError, RuntimeError, zlib.error, OSError):
                    member_head = b""
                if item.filename == "mimetype":
                    mimetype = member_head.decode("ascii", "replace").strip()
                member_format = _sniff_bytes(member_head, item.filename).format
            report.members.append(
                ZipMember(item.filename, item.file_size, item.compress_size, member_format, bomb)
            )
            report.zip_bomb = report.zip_bomb or bomb
    if total > ZIP_MAX_TOTAL:
        report.zip_bomb = True
    report.format = _format_of_zip_names(names, mimetype)


def _inspect_zip_head(head: bytes, report: FormatReport) -> None:
    """Walk the local file headers present in a head-only sample."""
    offset, names, mimetype = 0, [], ""
    while head.startswith(b"PK\x03\x04", offset) and offset + 30 <= len(head):
        (flags, method, compressed, size, name_len, extra_len) = struct.unpack(
            "<2xHH8xIIHH", head[offset + 4 : offset + 30]
        )
        name = head[offset + 30 : offset + 30 + name_len].decode("utf-8", "replace")
        start = offset + 30 + name_len + extra_len
        body = head[start : start + compressed]
        names.append(name)
        bomb = size > ZIP_RATIO_MIN_SIZE and size / max(compressed, 1) > ZIP_MAX_RATIO
        member_format = None
        if not bomb:
            sample = b""
            if method == 0:
                sample = body[:ZIP_SNIFF_BYTES]
            elif method == 8:
                try:
                    sample = zlib.decompressobj(-15).decompress(body, ZIP_SNIFF_BYTES)
                except zlib.error:
                    sample = b""
            if name == "mimetype":
                mimetype = sample.decode("ascii", "replace").strip()
            member_format = _sniff_bytes(sample, name).format if sample else None
        report.members.append(ZipMember(name, size, compressed, member_format, bomb))
        report.zip_bomb = report.zip_bomb or bomb
        if flags & 0x08:
            break  # sizes follow the data: we cannot skip to the next header
        offset = start + compressed
    report.members_partial = True
    if b"spreadsheetml" in head or any(n.startswith("xl/") for n in names):
        report.format = FileFormat.XLSX
    else:
        report.format = _format_of_zip_names(names, mimetype)


# --- text formats -----------------------------------------------------------------------------

_XML_ROOT = re.compile(r"<([A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?)[\s/>]")


def _sniff_text(
    text: str,
    report: FormatReport,
    *,
    complete: bool,
    utf8: bytes | None = None,
    declared: str = "",
) -> None:
    """Text formats; ``declared`` (normalised 檔案格式) decides between a malformed file of that
    format and another format: a broken JSON file declared JSON stays JSON, and a CSV with
    ragged rows declared CSV stays CSV, so their own checks judge them (not a relabelling)."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("<"):
        lowered = stripped[:2048].lower()
        xml_prolog = lowered.startswith("<?xml")
        if (
            "<html" in lowered
            or "<!doctype html" in lowered
            or ("<body" in lowered and not xml_prolog)
        ):
            report.format = FileFormat.HTML
            login = 'type="password"' in text.lower() or "登入" in text or "login" in lowered
            report.flavour = "login page" if login else "landing page"
            return
        body = re.sub(r"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>", "", stripped[:8192], flags=re.S)
        root = _XML_ROOT.search(body)
        name = root.group(1) if root else ""
        report.flavour = name
        local = name.rsplit(":", 1)[-1].lower()
        if local == "kml":
            report.format = FileFormat.KML
        elif name == "rdf:RDF" or local == "rdf":
            report.format = FileFormat.RDF
        else:
            report.format = FileFormat.XML
        return
    if stripped.startswith(("{", "[")):
        # a CSV whose first cell starts with a bracket must not pass for JSON: parse the head
        parsed = check_json(iter([stripped.encode("utf-8")]))
        if parsed.well_formed or (parsed.ended_early and not complete):
            report.format = FileFormat.JSON
            if '"@context"' in stripped[:4096]:
                report.flavour = "JSON-LD"
            elif '"FeatureCollection"' in stripped[:4096]:
                report.flavour = "GeoJSON"
            return
        if declared == "JSON":  # a malformed JSON file, which the JSON check will show
            report.format, report.flavour = FileFormat.JSON, "broken JSON"
            return
        if stripped.startswith("{"):  # no CSV header starts with a brace: it is broken JSON
            report.format, report.flavour = FileFormat.TEXT, "broken JSON"
            return
    delimiter = _csv_delimiter(text, complete=complete, utf8=utf8)
    if delimiter is None and declared == "CSV":
        # too many ragged lines to be sure from the lines alone: the declared CSV's header
        # names its delimiter, and the table check counts the ragged rows
        delimiter = _header_delimiter(text)
    if delimiter is not None:
        report.format = FileFormat.CSV
        report.delimiter = delimiter
    else:
        report.format = FileFormat.TEXT
        if stripped.startswith(("{", "[")):
            report.flavour = "broken JSON"


def _header_delimiter(text: str) -> str | None:
    """The delimiter the first non-blank line (a CSV header) is split by, if any."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: header.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else None


#: Delimiter detection looks at this many non-blank first lines.
DELIMITER_LINES = 50


def _first_lines(text: str, *, complete: bool) -> list[str]:
    """The first lines of ``text`` that delimiter detection looks at (blank ones included).

    Splits only a first chunk when it holds enough lines: a 64 KB head has thousands.
    """
    enough = DELIMITER_LINES + 2  # one more, so that the lines kept all end inside the chunk
    chunk = 8192
    lines = text[:chunk].splitlines() if len(text) > chunk else text.splitlines()
    if len(lines) >= enough:
        return lines[:DELIMITER_LINES]  # the whole text has a further (maybe cut) last line
    if len(text) > chunk:
        lines = text.splitlines()
    if not complete and len(lines) > 1:
        lines = lines[:-1]  # the last line of a head is probably cut
    return lines[:DELIMITER_LINES]


#: For each delimiter sniffed, the bytes other than it and the line feed (for bytes.translate).
_ALL_BUT = {
    delimiter: bytes(b for b in range(256) if b not in (ord(delimiter), 0x0A))
    for delimiter in (",", "\t", ";", "|")
}


def same_delimiter_count(lines: bytes, number: int, delimiter: str, count: int) -> bool:
    """Whether each of the ``number`` lines of ``lines`` holds ``count`` delimiters.

    ``lines`` are in UTF-8 (where delimiters and line feeds are bytes of their own), joined by
    line feeds and holding no other ones. The delimiters and line feeds are picked out and
    compared with the expected pattern at once, instead of counting line by line.
    """
    kept = lines.translate(None, _ALL_BUT[delimiter])
    return kept == ((delimiter * count + "\n").encode() * number)[:-1]


def _csv_delimiter(text: str, *, complete: bool, utf8: bytes | None = None) -> str | None:
    """The delimiter giving the same number (>1) of fields on most of the first lines.

    ``utf8``: the text in UTF-8, when known (it saves encoding the lines again).
    """
    lines = _first_lines(text, complete=complete)
    if not all(map(str.strip, lines)):
        lines = [line for line in lines if line.strip()]
    if not lines:
        return None
    best: tuple[float, str] | None = None
    sample = "\n".join(lines)  # (the lines hold no line feed)
    quoted = '"' in sample
    for delimiter in (",", "\t", ";", "|"):
        if delimiter not in sample:
            continue
        # delimiters per record (fields - 1); without quotes, simply those in each line, as
        # csv.reader splits a line that holds no quote and no line break
        if quoted:
            try:
                counts = [len(row) - 1 for row in csv.reader(lines, delimiter=delimiter)]
            except csv.Error:
                continue
        else:
            first = lines[0].count(delimiter)
            if first and same_delimiter_count(
                _in_utf8(sample, text, utf8), len(lines), delimiter, first
            ):
                return delimiter  # every line alike: the best share (1) of the first delimiter
            counts = [line.count(delimiter) for line in lines]
        if not counts or max(counts) < 1:
            continue
        if counts.count(counts[0]) == len(counts):
            usual = counts[0]
        else:
            usual = max(set(counts), key=counts.count)
        share = counts.count(usual) / len(counts)
        if usual >= 1 and share >= 0.6 and (best is None or share > best[0]):
            best = (share, delimiter)
            if share == 1:
                break  # nothing later can do better (ties go to the earlier delimiter)
    return best[1] if best else None


def _in_utf8(lines: str, text: str, utf8: bytes | None) -> bytes:
    """``lines`` (some lines of ``text`` joined by line feeds) in UTF-8."""
    if (
        utf8 is not None
        and len(lines) + 1 == len(text)
        and text.endswith("\n")
        and text.startswith(lines)  # all the lines: the text but for its last line feed
    ):
        return utf8[:-1]
    return lines.encode("utf-8", "surrogatepass")


def _sniff_bytes(
    head: bytes, file_name: str = "", *, complete: bool = False, declared: str = ""
) -> FormatReport:
    report = FormatReport(FileFormat.UNKNOWN)
    if not head:
        report.format = FileFormat.EMPTY
        return report
    magic = _sniff_magic(head, file_name)
    if magic is not None:
        report.format = magic
        return report
    sample = head[:SNIFF_BYTES]
    complete = complete and len(head) <= SNIFF_BYTES
    detected = identify_encoding(sample, complete=complete)
    report.encoding, report.identified = detected.encoding, detected
    if detected.codec is None:
        report.format = FileFormat.UNKNOWN
        return report
    text, utf8 = detected.text, None
    if text is None:
        text = sample.decode(detected.codec, errors="replace")
    elif not detected.truncated_tail and detected.encoding in _UTF8_ENCODINGS:
        # decoded strictly and whole: the sample is the text's UTF-8 (after a BOM)
        utf8 = sample[3:] if detected.bom else sample
    _sniff_text(text, report, complete=complete, utf8=utf8, declared=declared)
    return report


_UTF8_ENCODINGS = frozenset({Encoding.ASCII, Encoding.UTF8, Encoding.UTF8_BOM})


# --- the public check -------------------------------------------------------------------------


def sniff_format(
    head: bytes,
    *,
    declared: str | None = None,
    file_name: str | None = None,
    content_type: str | None = None,
    complete: bool = False,
) -> FormatReport:
    """Sniff the real format of ``head`` (the first bytes, or the whole file if ``complete``).

    Compares it with the declared 檔案格式 and returns a :class:`FormatReport` whose findings say,
    in Chinese, what is wrong and how to fix it. Zip members are listed from the central
    directory when ``complete`` (or when the directory happens to be in ``head``).
    """
    name = file_name or ""
    report = _sniff_bytes(
        head, name, complete=complete, declared=normalise_format_label(declared or "")
    )
    if report.format is FileFormat.ZIP:
        _inspect_zip(head, report)
    report.declared = (declared or "").strip()
    _judge(report, content_type or "", name)
    return report


_FIX_PAGE = (
    "請將資料下載網址改為檔案本身的直接下載網址（不經登入或點選），介接服務請填在資料存取網址。"
)


_NOTHING_EXPECTED: tuple[frozenset[FileFormat], frozenset[FileFormat]] = (frozenset(), frozenset())


def _match(declared: str) -> Finding:
    return info("match", f"實際格式與檔案格式「{declared}」相符。")


def _judge(report: FormatReport, content_type: str, file_name: str) -> None:
    findings = report.findings
    found = report.format
    if report.zip_bomb:
        report.verdict = FormatVerdict.REFUSED
        findings.append(
            error(
                "zip_bomb",
                "壓縮檔中有壓縮比異常高的檔案（可能是壓縮炸彈），基於安全未解壓縮。",
                "請提供未經異常壓縮的檔案，或直接提供 CSV 等原始檔。",
            )
        )
        return
    if found is FileFormat.EMPTY:
        findings.append(error("empty", "下載到的檔案是空的。", "請確認下載網址指向有內容的檔案。"))
    if content_type.split(";")[0].strip().lower() == "text/html" and found is not FileFormat.HTML:
        findings.append(
            warning(
                "content_type",
                f"伺服器宣告內容為網頁（text/html），實際卻是 {found.value} 檔，瀏覽器可能直接顯示而非下載。",
                "請網站管理者依檔案類型設定 Content-Type（例如 CSV 用 text/csv）。",
            )
        )
    extension = file_name.rsplit(".", 1)[-1].upper() if "." in file_name else ""
    if extension in _EXPECTATIONS and found is not FileFormat.HTML:
        exact, close = _EXPECTATIONS[extension]
        if found not in exact and found not in close and found is not FileFormat.EMPTY:
            findings.append(
                warning(
                    "extension",
                    f"檔名副檔名是 .{extension.lower()}，內容卻是 {found.value}。",
                    "請讓副檔名與實際格式一致，使用者才能用正確的程式開啟。",
                )
            )

    declared = normalise_format_label(report.declared)
    if found is FileFormat.HTML and declared not in ("HTML", "SERVICES", "TOOLS"):
        report.verdict = FormatVerdict.NOT_DOWNLOADABLE
        page = "登入頁面" if report.flavour == "login page" else "網頁"
        findings.append(
            error(
                "not_downloadable", f"下載網址回傳的是{page}，不是資料檔，無法直接下載。", _FIX_PAGE
            )
        )
        return
    if not report.declared:
        report.verdict = FormatVerdict.UNDECLARED
        findings.append(
            warning(
                "undeclared",
                f"未填檔案格式，實際為 {found.value}。",
                f"請將檔案格式填為「{found.value}」。",
            )
        )
        return
    exact, close = _EXPECTATIONS.get(declared, _NOTHING_EXPECTED)
    if found in exact:
        report.verdict = FormatVerdict.MATCH
        findings.append(_match(report.declared))
    elif found in close:
        report.verdict = FormatVerdict.COMPATIBLE
        findings.append(
            warning(
                "compatible",
                f"檔案格式填「{report.declared}」，實際為 {found.value}，相容但不一致。",
                f"請將檔案格式改為「{found.value}」。",
            )
        )
    else:
        report.verdict = FormatVerdict.MISMATCH
        findings.append(
            error(
                "mismatch",
                f"檔案格式填「{report.declared}」，但實際內容是 {found.value}。",
                f"請將檔案格式改為「{found.value}」，或提供真正的 {report.declared} 檔。",
            )
        )
