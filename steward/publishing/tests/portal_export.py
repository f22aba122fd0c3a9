"""A generated national catalogue export shaped like the real one (data-gov-tw.md §2).

Used by the tests (a few dozen rows) and by `bench/catalogue_import.py` (53,000 rows):
UTF-8 with BOM, CRLF, the 22 columns in the portal's order (the 9th with its typo), the
portal's dataset numbers (digits) in 資料集識別碼, 服務分類 by name, descriptions with quoted
newlines and full-width punctuation, `;` inside 備註, one to four resources per dataset with
per-resource 資料量 (`48762;23744`), 上架日期 as a date and 詮釋資料更新時間 with fractions.
"""

from __future__ import annotations

import codecs
import csv
import io
import random
from collections.abc import Iterator, Sequence

from steward.datasets.standard import CATALOGUE_COLUMNS, CATEGORY_CODES
from steward.organisations.models import Organisation, OrganisationKind

#: (name, agency code) of the generated ministry's agencies.
AGENCIES: tuple[tuple[str, str], ...] = tuple(
    (name, f"A170{index:05d}J")
    for index, name in enumerate(
        [
            "勞動力發展署",
            "職業安全衛生署",
            "勞動基金運用局",
            "勞工保險局",
            "勞動及職業安全衛生研究所",
            "北區職業訓練中心",
            "中彰投分署",
            "雲嘉南分署",
            "高屏澎東分署",
            "桃竹苗分署",
            "技能檢定中心",
            "統計處",
        ],
        start=1,
    )
)
ITEMS = ["就業服務", "職業訓練", "勞工保險", "職業災害", "薪資", "工時", "外籍勞工", "技能檢定"]
MARKS = ["金標章", "銀標章", "銅標章", "無標章", "白金標章"]
METHODS = ["單筆上架", "批次上架", "API介接", ""]
FORMATS = ["CSV", "JSON", "XML", "ODS", "XLSX", "PDF", "ZIP"]
FREQUENCIES = ["每日", "每月", "每1月", "每季", "每半年", "每年", "每1年", "不定期", "即時"]
CATEGORY_NAMES = list(CATEGORY_CODES.values())


def make_agencies(ministry: Organisation) -> list[Organisation]:
    """The generated export's agencies under `ministry` (created if missing)."""
    made = []
    for index, (name, code) in enumerate(AGENCIES, start=1):
        organisation, _ = Organisation.objects.get_or_create(
            key=f"{ministry.key}-gen-{index}",
            defaults={
                "name": name,
                "kind": OrganisationKind.AGENCY,
                "parent": ministry,
                "agency_code": code,
            },
        )
        made.append(organisation)
    return made


def portal_row(number: int, rng: random.Random) -> dict[str, str]:
    """One dataset as the portal exports it, keyed by column."""
    agency = AGENCIES[number % len(AGENCIES)][0]
    item = rng.choice(ITEMS)
    service = number % 17 == 0
    count = 1 if service else rng.randint(1, 4)
    formats = ["JSON"] if service else rng.sample(FORMATS, count)
    host = f"https://data{number % 7}.example.gov.tw"
    urls = [
        f"{host}/api/v1/{number}" if service else f"{host}/{number}/{k}.{fmt.lower()}"
        for k, fmt in enumerate(formats)
    ]
    amounts = "" if number % 11 == 0 else ";".join(str(rng.randint(0, 99999)) for _ in formats)
    notes = ""
    if number % 5 == 0:
        notes = f"資料來源：{agency};更新時間：每月5日前；欄位「金額」單位為新臺幣元;另見附件"
    elif number % 9 == 0:
        notes = '第一行備註\r\n第二行備註，含「引號」與"半形引號"'
    return {
        "資料集識別碼": str(number),
        "資料集名稱": f"{agency}{item}統計（{number % 100 + 100}年）",
        "資料提供屬性": "系統介接程式" if service else "原始資料",
        "服務分類": CATEGORY_NAMES[number % len(CATEGORY_NAMES)],
        "品質檢測": MARKS[number % len(MARKS)],
        "檔案格式": ";".join(formats),
        "資料下載網址": ";".join(urls),
        "編碼格式": ";".join(rng.choice(["UTF-8", "UTF-8", "BIG5", "其他"]) for _ in formats),
        "資資料集上架方式": METHODS[number % len(METHODS)],
        "資料集描述": f"本資料集提供{agency}{item}相關統計，包含：\n一、年度；\n二、件數。",
        "主要欄位說明": "year(年度)、count(件數)、amount(金額)",
        "提供機關": agency,
        "更新頻率": FREQUENCIES[number % len(FREQUENCIES)],
        "授權方式": "政府資料開放授權條款-第1版",
        "相關網址": "" if number % 3 == 0 else f"{host}/intro/{number}",
        "計費方式": "免費",
        "提供機關聯絡人姓名": "王小明",
        "提供機關聯絡人電話": f"02-2345{number % 10000:04d}#{number % 1000}",
        "上架日期": f"20{15 + number % 11}-0{1 + number % 9}-1{number % 10}",
        "詮釋資料更新時間": f"2026-1{number % 2}-0{1 + number % 9} 0{number % 10}:30:00.000000",
        "備註": notes,
        "資料量": amounts,
    }


def portal_rows(count: int, *, first: int = 10001, seed: int = 11) -> Iterator[dict[str, str]]:
    rng = random.Random(seed)
    for number in range(first, first + count):
        yield portal_row(number, rng)


def export_bytes(
    rows: Sequence[dict[str, str]] | Iterator[dict[str, str]],
    *,
    columns: Sequence[str] = CATALOGUE_COLUMNS,
) -> bytes:
    """Rows as the portal writes them: UTF-8 with BOM, CRLF, minimal quoting."""
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(column, "") for column in columns])
    return codecs.BOM_UTF8 + text.getvalue().encode()


def read_cells(data: bytes) -> dict[str, dict[str, str]]:
    """An export read back as {資料集識別碼: {column: cell}}."""
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    return {row["資料集識別碼"]: dict(row) for row in reader}
