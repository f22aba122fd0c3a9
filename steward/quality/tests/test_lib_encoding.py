"""Encoding detection on real bytes: Big5 vs CP950, UTF-8 with and without BOM, UTF-16, cut samples."""

from __future__ import annotations

import codecs

import pytest

from steward.quality.checks.encoding import Encoding, detect_encoding

CSV_TEXT = "機關名稱,年度,預算數\r\n行政院主計總處,2025,1200\r\n法務部,2024,980\r\n"
CP950_ONLY = "碁銹裏墻恒粧嫺╔╗"


def test_big5_file_declared_utf8_is_a_mismatch_with_a_fix() -> None:
    report = detect_encoding(CSV_TEXT.encode("big5"), declared="UTF-8")
    assert report.encoding is Encoding.BIG5
    assert report.matches is False
    [mismatch] = [f for f in report.findings if f.code == "mismatch"]
    assert "UTF-8" in mismatch.message and "BIG5" in mismatch.fix


def test_big5_file_declared_big5_matches_in_any_spelling() -> None:
    data = CSV_TEXT.encode("big5")
    assert detect_encoding(data, declared="BIG5").matches is True
    assert detect_encoding(data, declared="BIG-5").matches is True


@pytest.mark.parametrize("character", list(CP950_ONLY))
def test_cp950_only_characters_are_named(character: str) -> None:
    data = f"地名,說明\r\n{character}山,{character}字測試\r\n".encode("cp950")
    with pytest.raises(UnicodeDecodeError):
        data.decode("big5")  # the point: strict Big5 cannot read these bytes
    report = detect_encoding(data, declared="BIG5")
    assert report.encoding is Encoding.CP950
    assert report.cp950_only == [character]
    assert report.matches is True
    assert any(f.code == "cp950_only" for f in report.findings)


def test_eten_extension_range_f9d6_to_f9fe_is_cp950() -> None:
    data = b"".join(bytes([0xF9, trail]) for trail in range(0xD6, 0xFF))
    report = detect_encoding(b"a,b\r\n" + data, complete=True)
    assert report.encoding is Encoding.CP950
    assert report.cp950_only[:3] == ["碁", "銹", "裏"]


def test_utf8_without_bom() -> None:
    report = detect_encoding(CSV_TEXT.encode("utf-8"), declared="UTF-8")
    assert (report.encoding, report.bom, report.matches) == (Encoding.UTF8, False, True)


def test_utf8_with_bom_matches_utf8() -> None:
    report = detect_encoding(codecs.BOM_UTF8 + CSV_TEXT.encode("utf-8"), declared="UTF-8")
    assert (report.encoding, report.bom, report.matches) == (Encoding.UTF8_BOM, True, True)
    assert report.codec == "utf-8-sig"


def test_utf16_with_bom_and_without() -> None:
    assert detect_encoding(CSV_TEXT.encode("utf-16")).encoding is Encoding.UTF16_LE
    assert detect_encoding("year,amount\r\n2025,1\r\n".encode("utf-16-le")).encoding is (
        Encoding.UTF16_LE
    )
    report = detect_encoding("year,amount\r\n".encode("utf-16-be"), declared="UTF-8")
    assert report.encoding is Encoding.UTF16_BE and report.matches is False


@pytest.mark.parametrize("codec", ["utf-8", "cp950"])
def test_a_sample_cut_inside_a_multibyte_character_is_still_recognised(codec: str) -> None:
    data = CSV_TEXT.encode(codec)
    # cut one byte into the first Chinese character of the second line
    cut = data.index("行".encode(codec)) + 1
    report = detect_encoding(data[:cut])
    assert report.encoding is (Encoding.UTF8 if codec == "utf-8" else Encoding.BIG5)
    assert report.truncated_tail is True


def test_a_cut_character_at_the_end_of_a_complete_file_is_an_error() -> None:
    data = CSV_TEXT.encode("utf-8")[:-2] + "年".encode()[:2]
    report = detect_encoding(data, complete=True)
    assert report.encoding is Encoding.UNKNOWN


def test_ascii_matches_both_utf8_and_big5() -> None:
    for declared in ("UTF-8", "BIG5"):
        report = detect_encoding(b"year,amount\r\n2025,1\r\n", declared=declared)
        assert report.encoding is Encoding.ASCII and report.matches is True


def test_short_big5_that_happens_to_be_valid_utf8_is_still_big5() -> None:
    # 「禮」 in Big5 is C2 A7: also a valid two-byte UTF-8 sequence (U+00A7 §)
    data = "禮".encode("big5")
    assert data.decode("utf-8")  # valid UTF-8 by accident
    assert detect_encoding(b"name\r\n" + data + b"\r\n").encoding is Encoding.BIG5


def test_neither_utf8_nor_big5_is_unknown_with_the_offset() -> None:
    report = detect_encoding(b"ok,\xff\xfe\xfd\xfc", declared="UTF-8", complete=True)
    assert report.encoding is Encoding.UNKNOWN
    assert report.bad_offset == 3
    assert report.matches is False


def test_unknown_declared_label_is_a_warning() -> None:
    report = detect_encoding(CSV_TEXT.encode("utf-8"), declared="Unicode")
    assert report.matches is None
    assert [f.code for f in report.findings] == ["declared_unknown"]


def test_a_whole_utf8_sample_is_decoded_as_the_incremental_decoder_would() -> None:
    from steward.quality.checks.encoding import _decode_prefix

    samples = [
        "年度,金額\n".encode(),
        "年度".encode()[:-1],
        b"a\xff\xfeb",
        b"\xe4\xb8",
        b"",
        "碁".encode("cp950"),
    ]
    for sample in samples:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
        try:
            text = decoder.decode(sample, final=True)
            expected: tuple[str | None, int, bool] = (text, -1, False)
        except UnicodeDecodeError as exc:
            expected = (None, exc.start, False)
        assert _decode_prefix(sample, "utf-8", complete=True) == expected
