"""The one rule for uploaded text: the size limit, then UTF-8 (with or without BOM), else CP950."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from steward.lib.uploads import UploadRefused, decode_upload

TEXT = "機關,資料名稱\r\n甲署,碁盤路網\r\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("cp950"), "cp950"),  # 碁 is one of CP950's own characters
    ],
)
def test_utf8_with_or_without_bom_and_big5_are_read(data: bytes, encoding: str) -> None:
    decoded = decode_upload(data)
    assert (decoded.text, decoded.encoding) == (TEXT, encoding)


def refusal(data: bytes, **options: Any) -> UploadRefused:
    with translation.override("en"), pytest.raises(UploadRefused) as refused:
        decode_upload(data, **options)
    return refused.value


def test_what_is_not_utf8_or_big5_is_refused_with_a_reason_and_line() -> None:
    assert "UTF-16" in refusal(TEXT.encode("utf-16")).reason
    assert "NUL" in refusal(TEXT.encode("utf-16-le")).reason
    assert "Excel workbook" in refusal(b"PK\x03\x04" + b"\x00" * 40).reason
    assert "empty" in refusal(b" \r\n").reason
    broken = refusal(TEXT.encode() + b"\xff\xfe\xfa\r\n")
    assert "neither UTF-8 nor Big5" in broken.reason and broken.line == 3
    bom = refusal(b"\xef\xbb\xbf" + TEXT.encode("cp950"))
    assert "BOM" in bom.reason and bom.line == 1  # 機 in Big5 is no UTF-8 already


def test_the_size_limit_is_checked_first(settings: Any) -> None:
    settings.STEWARD_MAX_UPLOAD_BYTES = 10
    assert "the most accepted is 10 bytes" in refusal(TEXT.encode()).reason
    assert decode_upload(TEXT.encode(), limit=1000).encoding == "utf-8"


def test_reasons_are_in_traditional_chinese_by_default() -> None:
    with translation.override("zh-hant"), pytest.raises(UploadRefused) as refused:
        decode_upload(TEXT.encode("utf-16"))
    assert refused.value.reason == "檔案為 UTF-16 編碼，請另存為 UTF-8（或 Big5）的 CSV。"
