"""Report documents for the renderer's tests: a quarterly report of a ministry of 7 agencies
with the six charts, the MOEA amendment comparison table, and an empty period."""

from __future__ import annotations

import datetime
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from steward.reports import charts
from steward.reports.document import Chart, Paragraph, ReportDocument, Section, Table

AGENCIES = (
    "勞動部勞動力發展署",
    "勞動部勞工保險局",
    "勞動部職業安全衛生署",
    "勞動部勞動基金運用局",
    "勞動部勞動及職業安全衛生研究所",
    "勞動部勞工保險局台北辦事處",
    "勞動部綜合規劃司",
)
GENERATED = datetime.datetime(2026, 12, 5, 9, 30, tzinfo=datetime.UTC)


def six_charts() -> list[Chart]:
    targets = [
        charts.TargetRow(name, year, opened, target)
        for index, name in enumerate(AGENCIES)
        for year, opened, target in (
            ("114 年", 30 + index * 7, 40),
            ("115 年", 41 + index * 9, 50 if index != 3 else None),
        )
    ]
    marks = [
        charts.MarkRow(period, mark, count)
        for period, base in (("115 年第 1 季", 10), ("115 年第 2 季", 14), ("115 年第 3 季", 19))
        for mark, count in (("金標章", base), ("銀標章", base * 2), ("銅標章", base * 3))
    ]
    achievements = [
        charts.AchievementRow(name, Decimal(95) - index * Decimal("7.5") if index != 5 else None)
        for index, name in enumerate(AGENCIES)
    ]
    schedule = [
        charts.ScheduleRow("1-5 內部初審開放資料集", datetime.date(2026, 3, 10), datetime.date(2026, 3, 9), False),
        charts.ScheduleRow("1-6 召開諮詢小組會議", datetime.date(2026, 4, 30), datetime.date(2026, 5, 6), True),
        charts.ScheduleRow("1-7 登載與發布資料集", datetime.date(2026, 5, 31), None, True),
        charts.ScheduleRow("1-4 訂定次年度目標值", datetime.date(2026, 10, 31), None, False),
    ]  # fmt: skip
    return [
        charts.datasets_against_target(targets),
        charts.star_distribution({0: 3, 1: 12, 2: 140, 3: 2311, 4: 420, 5: 17}),
        charts.quality_marks_over_time(marks),
        charts.reply_time_distribution([1, 2, 2, 3, 3, 3, 4, 5, 6, 6, 7, 9, 12], 6),
        charts.kpi_achievement_ranked(achievements),
        charts.schedule_timeline(schedule),
    ]


def quarterly_document(*, organisation: str = "勞動部") -> ReportDocument:
    """A quarterly progress report as a report kind would build it (zh-Hant active)."""
    per_agency = Table(
        caption="各機關開放資料集辦理情形",
        columns=("機關", "目標值", "已開放", "達成率（%）", "最近上架日"),
        rows=tuple(
            (name, 50, 41 + index * 9, Decimal(41 + index * 9) * 2, datetime.date(2026, 9, 1 + index))
            for index, name in enumerate(AGENCIES)
        ),
        empty_text="本期無資料。",
    )  # fmt: skip
    hostile = Table(
        caption="民眾意見回復情形",
        columns=("機關", "意見數", "逾時回復", "備註"),
        rows=(
            ("勞動部勞工保險局", 1234, 3, '=HYPERLINK("http://example.com","x")'),
            ("勞動部綜合規劃司", 7, 0, "+886-2-8590-2567"),
        ),
        empty_text="本期無民眾意見。",
    )
    empty = Table(
        caption="停止提供之資料集",
        columns=("資料集", "停止日期", "理由"),
        rows=(),
        empty_text="本期無停止提供之資料集。",
    )
    chart_list = six_charts()
    return ReportDocument(
        kind="quarterly_progress",
        title="勞動部 115 年第 4 季資料開放辦理情形報告",
        organisation=organisation,
        period_label="115 年第 4 季",
        generated_at=GENERATED,
        sections=(
            Section(
                "壹、辦理概況",
                (
                    Paragraph("本季各機關共開放資料集 2,903 項，較上季增加 112 項。"),
                    Paragraph("資料品質檢測結果：金標章 19 項、銀標章 38 項、銅標章 57 項。"),
                    per_agency,
                ),
            ),
            Section("貳、開放資料集與目標值", (chart_list[0], chart_list[4])),
            Section("參、資料品質", (chart_list[1], chart_list[2])),
            Section("肆、民眾意見", (chart_list[3], hostile)),
            Section("伍、工作時程", (chart_list[5], empty)),
        ),
        fields={"dataset_count": 2903, "contact": "資訊處 王小明"},
    )


def comparison_document() -> ReportDocument:
    """The MOEA seed's amendment comparison table (000_f537ebc8eb002dab.txt), two rows."""
    rows = (
        (
            "柒、推動措施\n三、深入盤點資料集：\n(七)本部及各機關(構)須配合年度開放資料集預計目標值完成「經濟部政府資料資產盤點表」，經內部資訊長核定後，應於每年規定期限前提報本部資訊中心彙整。",
            "柒、推動措施\n三、深入盤點資料集：\n(七)本部及各機關(構)之「經濟部政府資料資產盤點表」經內部資訊長核定後，應於每年規定期限前提報本部資訊中心彙整。",
            "新增「須配合年度開放資料集預計目標值完成」說明。",
        ),
        (
            "1-6召開本部資料開放諮詢小組會議及成果陳報\n預計完成時程4/30 10/31",
            "1-6召開本部資料開放諮詢小組會議及成果陳報\n完成期限 3/25 6/25 9/25 12/25",
            "1-6 完成期限由 3/25、6/25、9/25、12/25 改為 4/30、10/31",
        ),
    )
    return ReportDocument(
        kind="amendment_comparison",
        title="經濟部及所屬機關(構)政府資料開放推動策略修正對照表",
        organisation="經濟部",
        period_label="106 年",
        generated_at=GENERATED,
        sections=(
            Section(
                "修正對照表",
                (
                    Table(
                        caption="",
                        columns=("修正規定", "現行規定", "說明"),
                        rows=rows * 12,  # long enough to need a second page
                        widths=(40, 40, 20),
                    ),
                ),
            ),
        ),
    )


def empty_document() -> ReportDocument:
    """A period with no data: every table and chart empty."""
    return ReportDocument(
        kind="quarterly_progress",
        title="勞動部 115 年第 1 季資料開放辦理情形報告",
        organisation="勞動部",
        period_label="115 年第 1 季",
        generated_at=timezone.now(),
        sections=(
            Section(
                "壹、辦理概況",
                (
                    Table("各機關開放資料集辦理情形", ("機關", "已開放"), (), "本期無資料。"),
                    charts.star_distribution({}),
                    charts.reply_time_distribution([], 6),
                ),
            ),
        ),
    )


def soffice() -> str:
    """LibreOffice, which the product needs for PDFs: scripts/system-deps installs it.
    Missing, the test fails (in CI too), rather than passing without having looked."""
    found = shutil.which("soffice")
    if found is None:
        pytest.fail("LibreOffice (soffice) is not installed: run scripts/system-deps")
    return found


def convert(content: bytes, suffix: str, target: str, tmp_path: Path) -> Path:
    """Save `content` as a file and convert it with LibreOffice headless (its own profile)."""
    source = tmp_path / f"report.{suffix}"
    source.write_bytes(content)
    out = tmp_path / "converted"
    subprocess.run(
        [
            soffice(),
            f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}",
            "--headless",
            "--convert-to",
            target,
            "--outdir",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    produced = list(out.iterdir())
    assert len(produced) == 1, produced
    return produced[0]


def odt_template(*lines: str | tuple[str, ...]) -> bytes:
    """An ODT template as odfpy writes it: each line a paragraph; a tuple is a paragraph of
    text and `<placeholders>` (LibreOffice: Insert ▸ Field ▸ More Fields ▸ Placeholder) and
    `relatorio://` links."""
    import io

    from odf.opendocument import OpenDocumentText
    from odf.text import A, Placeholder
    from odf.text import P as TextP

    doc = OpenDocumentText()
    for line in lines:
        paragraph = TextP()
        for part in (line,) if isinstance(line, str) else line:
            if part.startswith("<") and part.endswith(">"):
                paragraph.addElement(Placeholder(placeholdertype="text", text=part))
            elif part.startswith("relatorio://"):
                paragraph.addElement(A(href=part, text=part.removeprefix("relatorio://")))
            else:
                paragraph.addText(part)
        doc.text.addElement(paragraph)
    buffer = io.BytesIO()
    doc.write(buffer)
    return buffer.getvalue()
