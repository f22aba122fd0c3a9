"""A catalogue file's bytes to text: its own size limit, gzip, UTF-8 (else Big5/CP950).

The national export is about 68 MB, so the catalogue has its own limit,
STEWARD_MAX_CATALOGUE_BYTES (200 MiB by default), apart from the general upload limit
(STEWARD_MAX_UPLOAD_BYTES, 20 MiB). A `.csv.gz` file (recognised by its content, not its
name) is decompressed with the same limit on what it expands to, so a small gzip bomb is
refused before it fills memory.
"""

from __future__ import annotations

import io
import zlib
from typing import IO

from django.conf import settings
from django.utils.translation import gettext as _

from steward.publishing.catalogue.report import ImportReport

GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20


def catalogue_limit() -> int:
    """The largest catalogue file accepted, in bytes, and the most a gzip file may expand to."""
    return int(settings.STEWARD_MAX_CATALOGUE_BYTES)


def refuse_if_too_large(size: int, report: ImportReport) -> bool:
    """Record the refusal of a file over the catalogue limit; True if it is too large."""
    limit = catalogue_limit()
    if size <= limit:
        return False
    report.refuse(
        0,
        "",
        _(
            "The file is %(size)s bytes; the most accepted for a catalogue is %(limit)s bytes "
            "(STEWARD_MAX_CATALOGUE_BYTES). Compress it as .csv.gz if it is larger."
        )
        % {"size": f"{size:,}", "limit": f"{limit:,}"},
    )
    return True


def _gunzip(data: bytes, report: ImportReport) -> bytes | None:
    limit = catalogue_limit()
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    parts: list[bytes] = []
    size = 0
    try:
        for start in range(0, len(data), _CHUNK):
            chunk = inflater.decompress(data[start : start + _CHUNK], limit + 1 - size)
            while True:
                parts.append(chunk)
                size += len(chunk)
                if size > limit:
                    report.refuse(
                        0,
                        "",
                        _(
                            "Decompressed, the file is over %(limit)s bytes, the most accepted "
                            "for a catalogue (STEWARD_MAX_CATALOGUE_BYTES)."
                        )
                        % {"limit": f"{limit:,}"},
                    )
                    return None
                if not inflater.unconsumed_tail:
                    break
                chunk = inflater.decompress(inflater.unconsumed_tail, limit + 1 - size)
        parts.append(inflater.flush())
    except zlib.error:
        report.refuse(
            0, "", _("The file looks like gzip but cannot be decompressed; it may be cut off.")
        )
        return None
    if not inflater.eof:
        report.refuse(0, "", _("The gzip file ends before its data does; it was probably cut off."))
        return None
    return b"".join(parts)


def _readable(data: bytes, report: ImportReport) -> tuple[bytes, str] | None:
    """The file's bytes (decompressed) and their codec, or None with the reason in the report."""
    if refuse_if_too_large(len(data), report):
        return None
    if data.startswith(GZIP_MAGIC):
        report.compressed = True
        inflated = _gunzip(data, report)
        if inflated is None:
            return None
        data = inflated
    if not data.strip():
        report.refuse(0, "", _("The file is empty."))
        return None
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0") or b"\x00" in data:
        report.refuse(
            0,
            "",
            _(
                "This is not a CSV text file (it looks like an Excel workbook or another binary "
                "file). Save it as “CSV UTF-8” and upload that."
            ),
        )
        return None
    try:
        data.decode("utf-8-sig")  # checked whole here; the text is read as a stream later
        report.encoding = "UTF-8"
        return data, "utf-8-sig"
    except UnicodeDecodeError as error:
        utf8_error = error
    try:
        data.decode("cp950")
    except UnicodeDecodeError:
        line = data[: utf8_error.start].count(b"\n") + 1
        report.refuse(
            0,
            "",
            _(
                "The file is neither UTF-8 nor Big5 (CP950): byte %(offset)d on line %(line)d "
                "cannot be read. Export it again as “CSV UTF-8”."
            )
            % {"offset": utf8_error.start, "line": line},
        )
        return None
    report.encoding = "CP950"
    report.warn(
        0,
        "",
        _(
            "The file is not UTF-8; it was read as Big5 (CP950), as Excel saves it. Check the names."
        ),
    )
    return data, "cp950"


def open_text(data: bytes, report: ImportReport) -> tuple[IO[str], int] | None:
    """The file as a text stream and its size in bytes, or None with the reason in the report.

    The stream reads the bytes as they are (no decoded copy of a 68 MB file in memory).
    """
    readable = _readable(data, report)
    if readable is None:
        return None
    raw, codec = readable
    return io.TextIOWrapper(io.BytesIO(raw), encoding=codec, newline=""), len(raw)
