"""Synthetic Taiwanese government-style data for the benchmarks (deterministic, seedable).

Rows look like real open-data CSVs: agency names, counties and districts, addresses, items,
amounts, counts, dates and notes, in Traditional Chinese. ``CP950_ONLY`` characters can be mixed
in to reproduce files that only CP950 (not strict Big5) can read.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

AGENCIES = [
    "行政院主計總處", "法務部", "勞動部", "經濟部", "內政部", "財政部", "教育部", "衛生福利部",
    "交通部", "文化部", "農業部", "環境部", "國家發展委員會", "勞動部勞動力發展署",
    "經濟部水利署", "法務部矯正署", "內政部警政署", "財政部關務署", "交通部公路局",
]  # fmt: skip
COUNTIES = [
    "臺北市", "新北市", "桃園市", "臺中市", "臺南市", "高雄市", "基隆市", "新竹市", "嘉義市",
    "新竹縣", "苗栗縣", "彰化縣", "南投縣", "雲林縣", "嘉義縣", "屏東縣", "宜蘭縣", "花蓮縣",
    "臺東縣", "澎湖縣", "金門縣", "連江縣",
]  # fmt: skip
DISTRICTS = ["中正區", "大安區", "信義區", "板橋區", "中壢區", "西屯區", "東區", "北區", "鳳山區", "竹北市", "頭份市", "員林市"]  # fmt: skip
ROADS = ["中山路", "中正路", "民生東路", "忠孝西路", "仁愛路", "和平東路", "復興南路", "建國北路", "光復路", "成功路"]  # fmt: skip
ITEMS = [
    "一般行政", "資訊業務", "公共工程", "社會福利", "職業訓練", "就業服務", "災害防救",
    "國土保育", "水資源管理", "矯正業務", "統計調查", "預算編製", "會計決算", "人事費",
]  # fmt: skip
NOTES = ["", "", "", "含追加預算", "依法定預算", "資料來源：各機關填報", "單位：新臺幣千元", "本年度首次辦理", "配合政策調整"]  # fmt: skip
CP950_ONLY = "碁銹裏墻恒粧嫺"

HEADER = ["年度", "機關名稱", "縣市", "鄉鎮市區", "地址", "項目", "金額", "件數", "日期", "備註"]


def rows(seed: int = 1, *, cp950_only: bool = False) -> Iterator[list[str]]:
    """Endless rows of government-style data."""
    rng = random.Random(seed)
    while True:
        note = rng.choice(NOTES)
        if cp950_only and rng.random() < 0.3:
            note = f"{rng.choice(CP950_ONLY)}{rng.choice(['盤', '蝕', '面', '壁', '春', '品', '熟'])}相關"
        yield [
            str(rng.randint(2015, 2026)),
            rng.choice(AGENCIES),
            rng.choice(COUNTIES),
            rng.choice(DISTRICTS),
            f"{rng.choice(COUNTIES)}{rng.choice(DISTRICTS)}{rng.choice(ROADS)}{rng.randint(1, 300)}號",
            rng.choice(ITEMS),
            str(rng.randint(0, 9_999_999)),
            str(rng.randint(0, 5000)),
            f"{rng.randint(2015, 2026)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            note,
        ]


SPARSE_HEADER = ["year", "county", "amount", "count", "date"]


def csv_text(n_bytes: int, seed: int = 1, *, cp950_only: bool = False, sparse: bool = False) -> str:
    """CSV text (header + rows, CRLF) of at least ``n_bytes`` characters' worth of UTF-8.

    ``sparse`` gives the hard case for detectors: an English header and mostly digits, with
    one short Chinese column (a county name) per row.
    """
    lines = [",".join(SPARSE_HEADER if sparse else HEADER)]
    size = len(lines[0].encode())
    for row in rows(seed, cp950_only=cp950_only):
        if sparse:
            row = [row[0], row[2], row[6], row[7], row[8]]
            if cp950_only and seed % 2 == 0:
                row[1] = "碁" + row[1]
        line = ",".join(row)
        lines.append(line)
        size += len(line.encode()) + 2
        if size >= n_bytes:
            break
    return "\r\n".join(lines) + "\r\n"
