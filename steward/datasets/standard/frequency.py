"""更新頻率 (update frequency): parse the declared text into a period for timeliness checks.

Values seen: 即時, 每小時, 每日, 每周/每週, 每10日, 每月, 每1月, 每季, 每半年, 每年, 每1年, 每10年,
每10分鐘, 不定期, 不定期更新, 不更新. Calendar units (month, quarter, year) are kept as months,
because "every month" is not a fixed number of days.
"""

from __future__ import annotations

import calendar
import enum
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta


class UpdateFrequencyError(ValueError):
    """Text that is not a known 更新頻率; the message is Chinese and lists what is accepted."""


class FrequencyKind(enum.StrEnum):
    """REALTIME 即時, PERIODIC 每…, IRREGULAR 不定期 (not judged), NEVER 不更新."""

    REALTIME = "realtime"
    PERIODIC = "periodic"
    IRREGULAR = "irregular"
    NEVER = "never"


@dataclass(frozen=True)
class UpdateFrequency:
    """A parsed 更新頻率: a fixed ``period`` or a number of calendar ``months``, or neither."""

    text: str
    kind: FrequencyKind
    period: timedelta | None = None
    months: int | None = None

    @property
    def is_judged(self) -> bool:
        """Whether timeliness can be judged (irregular and never-updated data cannot be late)."""
        return self.kind in (FrequencyKind.PERIODIC, FrequencyKind.REALTIME)

    def due_after(
        self, last_update: datetime, *, realtime_grace: timedelta | None = None
    ) -> datetime | None:
        """When the next update is due, given the last one; None when it is never due.

        Real-time data is due within ``realtime_grace`` (default one day).
        """
        if self.kind is FrequencyKind.REALTIME:
            return last_update + (realtime_grace or timedelta(days=1))
        if self.period is not None:
            return last_update + self.period
        if self.months is not None:
            return add_months(last_update, self.months)
        return None


def add_months(moment: datetime, months: int) -> datetime:
    """Add calendar months, clamping the day (31 Jan + 1 month = 28/29 Feb)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


_CHINESE_DIGITS = {
    "一": 1,
    "二": 2,
    "兩": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_FIXED_UNITS = {
    "分鐘": timedelta(minutes=1),
    "分": timedelta(minutes=1),
    "小時": timedelta(hours=1),
    "時": timedelta(hours=1),
    "日": timedelta(days=1),
    "天": timedelta(days=1),
    "周": timedelta(weeks=1),
    "週": timedelta(weeks=1),
    "星期": timedelta(weeks=1),
}
_MONTH_UNITS = {"月": 1, "個月": 1, "季": 3, "半年": 6, "年": 12}
_PERIODIC_RE = re.compile(
    r"^每(?P<number>[0-9一二兩三四五六七八九十]*)(?P<unit>分鐘|小時|個月|半年|星期|分|時|日|天|周|週|月|季|年)(?:更新)?(?:一次|1次)?$"
)
_REALTIME = {"即時", "即時更新", "隨時", "隨時更新"}
_IRREGULAR = {"不定期", "不定期更新", "不定時", "不定時更新"}
_NEVER = {"不更新", "無須更新", "不再更新", "無更新"}

ACCEPTED_EXAMPLES = (
    "即時、每10分鐘、每小時、每日、每週、每月、每季、每半年、每年、每1年、不定期、不更新"
)


def _number(text: str) -> int:
    if not text:
        return 1
    if text.isdigit():
        return int(text)
    # Chinese numerals up to 99: 十, 十二, 二十, 二十四
    if "十" in text:
        tens, _, units = text.partition("十")
        return (_CHINESE_DIGITS.get(tens, 1) if tens else 1) * 10 + (
            _CHINESE_DIGITS.get(units, 0) if units else 0
        )
    if len(text) == 1 and text in _CHINESE_DIGITS:
        return _CHINESE_DIGITS[text]
    raise UpdateFrequencyError(f"更新頻率「{text}」的數字看不懂。")


def parse_update_frequency(text: str) -> UpdateFrequency:
    """Parse 更新頻率 text; unknown text raises :class:`UpdateFrequencyError` (Chinese message)."""
    cleaned = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))
    if not cleaned:
        raise UpdateFrequencyError(f"更新頻率未填寫，請填例如：{ACCEPTED_EXAMPLES}。")
    if cleaned in _REALTIME:
        return UpdateFrequency(text, FrequencyKind.REALTIME)
    if cleaned in _IRREGULAR:
        return UpdateFrequency(text, FrequencyKind.IRREGULAR)
    if cleaned in _NEVER:
        return UpdateFrequency(text, FrequencyKind.NEVER)
    match = _PERIODIC_RE.match(cleaned)
    if match is None:
        raise UpdateFrequencyError(
            f"更新頻率「{text}」無法辨識，請改用「每」加數字與單位，或下列其中之一：{ACCEPTED_EXAMPLES}。"
        )
    count = _number(match["number"])
    if count <= 0:
        raise UpdateFrequencyError(f"更新頻率「{text}」的間隔必須大於 0。")
    unit = match["unit"]
    if unit in _MONTH_UNITS:
        return UpdateFrequency(text, FrequencyKind.PERIODIC, months=count * _MONTH_UNITS[unit])
    return UpdateFrequency(text, FrequencyKind.PERIODIC, period=count * _FIXED_UNITS[unit])
