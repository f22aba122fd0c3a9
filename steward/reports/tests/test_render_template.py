"""A civil servant's own ODT template drives the document; a bad one gets a clear error."""

from __future__ import annotations

import io
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import translation
from odf import draw, table, teletype, text
from odf.opendocument import load

from steward.reports.render import render
from steward.reports.render.template import TemplateError
from steward.reports.tests.render_documents import (
    comparison_document,
    convert,
    odt_template,
    quarterly_document,
)

SHIPPED_EXAMPLE = Path(__file__).resolve().parents[1] / "templates" / "odt" / "example.odt"


@pytest.fixture(autouse=True)
def chinese() -> Iterator[None]:
    with translation.override("zh-hant"):
        yield


@pytest.fixture(scope="module")
def saved_by_libreoffice(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A template as a civil servant makes it: typed, then saved by LibreOffice Writer."""
    written = odt_template(
        ("<title>",),
        ("機關：", "<organisation>", "　期間：", "<period>", "　製表：", "<generated>"),
        ("本期開放資料集 ", "<dataset_count>", " 項；費用 $100 與 ${organisation} 照印。"),
        ('relatorio://for each="section in sections"',),
        ("章節：", "<section.heading>"),
        ("relatorio:///for",),
        ("<sections>",),
        ("聯絡人：", "<contact>"),
    )
    folder = tmp_path_factory.mktemp("template")
    return convert(written, "odt", "odt", folder).read_bytes()


def _paragraphs(content: bytes) -> list[str]:
    doc = load(io.BytesIO(content))
    return [teletype.extractText(p) for p in doc.getElementsByType(text.P)]


def test_a_template_saved_by_libreoffice_is_filled_with_the_report(
    saved_by_libreoffice: bytes,
) -> None:
    rendered = render(quarterly_document(), "odt", template=saved_by_libreoffice)

    assert rendered.problems == ()
    paragraphs = _paragraphs(rendered.content)
    assert paragraphs[0] == "勞動部 115 年第 4 季資料開放辦理情形報告"
    assert paragraphs[1] == "機關：勞動部　期間：115 年第 4 季　製表：115 年 12 月 5 日"
    # A field of the report, formatted as in a table; `$` in the template's text stays text.
    assert paragraphs[2] == "本期開放資料集 2,903 項；費用 $100 與 ${organisation} 照印。"
    # The template's own loop over the sections.
    assert [p for p in paragraphs if p.startswith("章節：")] == [
        "章節：壹、辦理概況",
        "章節：貳、開放資料集與目標值",
        "章節：參、資料品質",
        "章節：肆、民眾意見",
        "章節：伍、工作時程",
    ]
    assert paragraphs[-1] == "聯絡人：資訊處 王小明"
    # <sections> became every section: headings, tables, the six charts' pictures.
    doc = load(io.BytesIO(rendered.content))
    headings = [teletype.extractText(h) for h in doc.getElementsByType(text.H)]
    assert headings == [
        "壹、辦理概況",
        "貳、開放資料集與目標值",
        "參、資料品質",
        "肆、民眾意見",
        "伍、工作時程",
    ]
    assert len(doc.getElementsByType(table.Table)) == 8
    images = [i.getAttribute("href") for i in doc.getElementsByType(draw.Image)]
    assert len(images) == 6
    package = zipfile.ZipFile(io.BytesIO(rendered.content))
    manifest = package.read("META-INF/manifest.xml").decode()
    for href in images:
        assert package.read(href).startswith(b"\x89PNG") and href in manifest


def test_the_pdf_is_made_from_the_filled_template(
    saved_by_libreoffice: bytes, tmp_path: Path
) -> None:
    rendered = render(quarterly_document(), "pdf", template=saved_by_libreoffice)

    assert rendered.problems == () and rendered.content.startswith(b"%PDF")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(rendered.content)
    words = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "本期開放資料集 2,903 項" in words
    assert "參、資料品質" in words and "2,311" in words


def test_the_shipped_example_template_fills_and_libreoffice_opens_it(tmp_path: Path) -> None:
    rendered = render(quarterly_document(), "odt", template=SHIPPED_EXAMPLE)

    words = convert(rendered.content, "odt", "txt:Text (encoded):UTF8", tmp_path).read_text(
        encoding="utf-8-sig"
    )
    assert "勞動部 115 年第 4 季資料開放辦理情形報告" in words
    assert "壹、辦理概況" in words and "勞動部勞動及職業安全衛生研究所" in words


def test_a_misspelt_placeholder_is_named_with_the_names_there_are() -> None:
    template = odt_template(("<titel>",), ("<sections>",))

    with pytest.raises(TemplateError) as caught:
        render(quarterly_document(), "odt", template=template)

    assert caught.value.names == ("titel",)
    assert caught.value.message == (
        "範本中有本報告沒有的預留位置：「titel」（是否為「title」？）。"
        "可用的名稱：contact、dataset_count、generated、organisation、period、sections、title。"
    )


def test_a_placeholder_for_a_field_this_report_lacks_is_named() -> None:
    template = odt_template(("<title>",), ("<dataset_count>",), ("<sections>",))

    with pytest.raises(TemplateError) as caught:
        render(comparison_document(), "pdf", template=template)

    assert caught.value.names == ("dataset_count",)
    assert "「dataset_count」" in caught.value.message


def test_a_template_that_never_places_the_sections_says_so() -> None:
    with pytest.raises(TemplateError) as caught:
        render(quarterly_document(), "odt", template=odt_template(("<title>",)))

    assert caught.value.names == ("sections",)
    assert (
        caught.value.message == "範本沒有放置報告的各章節：請在單獨的段落加入預留位置 <sections>。"
    )


def test_a_misspelt_attribute_in_a_loop_is_a_clear_error() -> None:
    template = odt_template(
        ('relatorio://for each="section in sections"',),
        ("<section.headng>",),
        ("relatorio:///for",),
    )

    with pytest.raises(TemplateError) as caught:
        render(quarterly_document(), "odt", template=template)

    assert caught.value.names == ("section.headng",)
    assert caught.value.message.startswith(
        "範本中有本報告沒有的預留位置：「section.headng」（是否為「section.heading」？）。"
    )


@pytest.mark.parametrize(
    "placeholder",
    [
        "<__import__('os').system('touch /tmp/steward-pwned')>",
        "<title.__class__>",
        "<[x for x in sections]>",
    ],
)
def test_a_placeholder_that_would_run_code_is_refused(placeholder: str) -> None:
    template = odt_template((placeholder,), ("<sections>",))

    with pytest.raises(TemplateError) as caught:
        render(quarterly_document(), "odt", template=template)

    assert caught.value.names == (placeholder,)
    assert not Path("/tmp/steward-pwned").exists()


def test_a_file_that_is_not_an_odt_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TemplateError) as caught:
        render(quarterly_document(), "odt", template=b"%PDF-1.7 not a template")
    assert caught.value.message == "範本不是 ODT 文件（ODF 文字文件）。"


def test_a_template_may_use_conditions_and_loop_over_each_sections_paragraphs() -> None:
    template = odt_template(
        ('relatorio://if test="dataset_count"',),
        ("共 ", "<dataset_count>", " 項"),
        ("relatorio:///if",),
        ('relatorio://for each="section in sections"',),
        ("<section.heading>",),
        ('relatorio://for each="paragraph in section.paragraphs"',),
        ("・", "<paragraph>"),
        ("relatorio:///for",),
        ("relatorio:///for",),
    )

    paragraphs = _paragraphs(render(quarterly_document(), "odt", template=template).content)

    assert paragraphs[:4] == [
        "共 2,903 項",
        "壹、辦理概況",
        "・本季各機關共開放資料集 2,903 項，較上季增加 112 項。",
        "・資料品質檢測結果：金標章 19 項、銀標章 38 項、銅標章 57 項。",
    ]
    assert paragraphs[4] == "貳、開放資料集與目標值"
