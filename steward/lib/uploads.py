"""Uploaded text files: the one size limit and the one encoding rule (UTF-8, else CP950).

Every importer of a CSV or other text file (inventory, office calendar, national catalogue)
reads its bytes through `decode_upload`: the size is checked against the limit
(`STEWARD_MAX_UPLOAD_BYTES` unless the importer documents its own), then the encoding is
decided strictly — UTF-8 with or without BOM, else CP950 (Big5 as Windows writes it), and
anything else (UTF-16, binary files, other encodings) is refused with a reason a person can
act on and, where it helps, the line. Importers turn `UploadRefused` into their own problem
rows; the words are translated in steward/lib's catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

UTF8_BOM = b"\xef\xbb\xbf"
# A zip (XLSX, ODS) or an OLE compound file (old .xls) is no text file.
_BINARY_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")


class UploadRefused(Exception):
    """The upload cannot be read as text; `reason` says why, `line` where (1-based) if known."""

    def __init__(self, reason: str, *, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str  # "utf-8-sig", "utf-8" or "cp950"

    @property
    def is_big5(self) -> bool:
        return self.encoding == "cp950"


def upload_limit() -> int:
    """The largest upload accepted, in bytes (STEWARD_MAX_UPLOAD_BYTES)."""
    return int(settings.STEWARD_MAX_UPLOAD_BYTES)


def check_upload_size(size: int, *, limit: int | None = None) -> None:
    """Refuse a file over the limit, before it is read into memory when the size is known."""
    most = upload_limit() if limit is None else limit
    if size > most:
        raise UploadRefused(
            _("The file is %(size)s bytes, over the limit: the most accepted is %(limit)s bytes.")
            % {"size": f"{size:,}", "limit": f"{most:,}"}
        )


def _line_of(data: bytes, offset: int) -> int:
    return data[:offset].count(b"\n") + 1


def decode_upload(data: bytes, *, limit: int | None = None) -> DecodedText:
    """The text of an uploaded file: UTF-8 (with or without BOM), else CP950; else refused."""
    check_upload_size(len(data), limit=limit)
    if not data.strip():
        raise UploadRefused(_("The file is empty."))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UploadRefused(_("The file is in UTF-16; save it as CSV in UTF-8 (or Big5)."))
    if data.startswith(_BINARY_SIGNATURES):
        raise UploadRefused(
            _(
                "This is not a CSV text file (it looks like an Excel workbook or another binary "
                "file). Save it as “CSV UTF-8” and upload that."
            )
        )
    if b"\x00" in data:
        raise UploadRefused(
            _(
                "The file contains NUL bytes: it is not a text file in UTF-8 or Big5 (perhaps"
                " UTF-16, or a binary file)."
            )
        )
    if data.startswith(UTF8_BOM):
        try:
            return DecodedText(data[len(UTF8_BOM) :].decode("utf-8"), "utf-8-sig")
        except UnicodeDecodeError as error:
            offset = error.start + len(UTF8_BOM)
            raise UploadRefused(
                _(
                    "The file is neither UTF-8 nor Big5 (CP950): it starts as UTF-8 (with a"
                    " BOM) but byte %(offset)d on line %(line)d is not UTF-8. Save it as CSV in"
                    " UTF-8."
                )
                % {"offset": offset, "line": _line_of(data, offset)},
                line=_line_of(data, offset),
            ) from None
    try:
        return DecodedText(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as error:
        not_utf8_at = error.start
    try:
        return DecodedText(data.decode("cp950"), "cp950")
    except UnicodeDecodeError:
        # Name where UTF-8 broke: a file that is neither is most often UTF-8 with a stray byte.
        line = _line_of(data, not_utf8_at)
        raise UploadRefused(
            _(
                "The file is neither UTF-8 nor Big5 (CP950): byte %(offset)d on line %(line)d"
                " cannot be read. Save it as CSV in UTF-8."
            )
            % {"offset": not_utf8_at, "line": line},
            line=line,
        ) from None
