"""Writing a quality run out: a JSON document and a readable report in Traditional Chinese.

Both are written while the run goes on (`RunWriter.add(report)`), so a catalogue of 50,000
resources never sits in memory: JSON results are streamed into the file, and the text
report's per-resource sections are spooled to temporary files, one per verdict, and joined
at the end, in the order to act on them: personal data first, then broken, unknown, the
files that answer but could be better, and last the files with nothing to fix. Every file
appears with all its advice (`resource_advice`), which the results page lists too.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import IO, Any

from django.utils import timezone, translation

from steward.quality.checks.encoding import encoding_words
from steward.quality.checks.scores import mark_words
from steward.quality.crawl.crawler import ResourceReport
from steward.quality.crawl.fetch import State
from steward.quality.models import CheckRun

STATE_LABELS = {
    State.OK: "正常",
    State.BROKEN: "失效",
    State.UNKNOWN: "暫時無法判定",
}

#: The readable report's sections, in the order a civil servant should act on them.
PERSONAL_DATA, BROKEN, UNKNOWN, TO_IMPROVE, FINE = (
    "personal_data",
    "broken",
    "unknown",
    "to_improve",
    "fine",
)
SECTION_HEADINGS = {
    PERSONAL_DATA: "一、請立即處理：疑似含個人資料（請先下架或去識別化）",
    BROKEN: "二、失效的資料資源（請優先處理）",
    UNKNOWN: "三、暫時無法判定（伺服器忙碌或逾時，將自動再檢查）",
    TO_IMPROVE: "四、可取得但有待改善之處",
    FINE: "五、沒有待改善事項的資料資源",
}


def resource_advice(
    findings: Iterable[Mapping[str, Any]], checks: Mapping[str, Any], mark: str = ""
) -> list[tuple[str, str]]:
    """Every piece of advice on one resource as (what is wrong, how to fix it), once each.

    The checks' findings first, then what keeps it from three stars and from the gold mark,
    which the checks do not report as findings. The text report and the results page both
    list exactly these.
    """
    advice: list[tuple[str, str]] = []
    seen: set[str] = set()

    def add(message: str, fix: str) -> None:
        key = fix or message
        if message and key not in seen:
            seen.add(key)
            advice.append((message, fix))

    for finding in findings:
        if finding.get("severity") != "ok":  # "ok" findings are informational ("matches")
            add(str(finding.get("message", "")), str(finding.get("fix", "")))
    stars = checks.get("stars") or {}
    if stars.get("fix"):
        add(str(stars.get("explanation", "")), str(stars["fix"]))
    mark_check = checks.get("mark") or {}
    if mark and mark != "gold" and mark_check.get("fix"):
        add(f"目前為{mark_words(mark)}。", str(mark_check["fix"]))
    return advice


def _section(report: ResourceReport) -> str:
    if report.pii:
        return PERSONAL_DATA
    if report.state is State.BROKEN:
        return BROKEN
    if report.state is State.UNKNOWN:
        return UNKNOWN
    if resource_advice(report.findings, report.checks, report.mark):
        return TO_IMPROVE
    return FINE


class RunWriter:
    """Streams reports to a JSON file and a text report (either may be None)."""

    def __init__(self, json_out: IO[str] | None, text_out: IO[str] | None, *, source: str) -> None:
        self.json_out = json_out
        self.text_out = text_out
        self.source = source
        self.count = 0
        self.states: Counter[str] = Counter()
        self.sections = {
            section: tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 (closed in close())
            for section in SECTION_HEADINGS
        }
        if json_out is not None:
            json_out.write('{"source": ' + json.dumps(source, ensure_ascii=False))
            json_out.write(', "results": [\n')

    def add(self, report: ResourceReport) -> None:
        if self.json_out is not None:
            if self.count:
                self.json_out.write(",\n")
            json.dump(report.as_dict(), self.json_out, ensure_ascii=False)
        self.count += 1
        self.states[report.state.value] += 1
        if self.text_out is not None:
            section = _section(report)
            if section == FINE:
                ref = report.ref
                self.sections[FINE].write(
                    f"■ {ref.dataset_identifier} {ref.dataset_title}：{ref.url or ref.key}\n"
                )
            else:
                self.sections[section].write(self._entry(report))

    def _entry(self, report: ResourceReport) -> str:
        ref = report.ref
        with translation.override("zh-hant"):
            lines = [
                f"■ {ref.dataset_identifier} {ref.dataset_title}（{ref.publisher}）".rstrip(),
                f"  資料資源：{ref.key}　宣告格式：{ref.declared_format or '未填'}"
                f"　宣告編碼：{ref.declared_encoding or '未填'}",
                f"  網址：{ref.url or '（未填）'}",
                f"  判定：{STATE_LABELS[report.state]}。{report.explanation}",
            ]
            if report.fetch.status:
                lines.append(
                    f"  HTTP 狀態：{report.fetch.status}，讀取 {report.fetch.bytes_read:,} 位元組"
                )
            if report.how_to_fix:
                lines.append(f"  改善方式：{report.how_to_fix}")
            if report.detected_format or report.detected_encoding:
                lines.append(
                    f"  實際格式：{report.detected_format or '—'}"
                    f"　實際編碼：{encoding_words(report.detected_encoding) or '—'}"
                )
            if report.mark or report.stars is not None:
                stars = f"{report.stars} 星" if report.stars is not None else "—"
                lines.append(f"  標章：{mark_words(report.mark) or '—'}　開放星等：{stars}")
            if report.pii:
                columns = "、".join(
                    f"{column}（{count} 筆）" for column, count in report.pii.items()
                )
                lines.append(f"  疑似個人資料：{columns}")
            for message, fix in resource_advice(report.findings, report.checks, report.mark):
                lines.append(f"  - {message}" + (f" 改善方式：{fix}" if fix else ""))
        return "\n".join(lines) + "\n\n"

    def close(self, run: CheckRun | None = None, totals: dict[str, Any] | None = None) -> None:
        totals = totals if totals is not None else (run.totals if run else {})
        if self.json_out is not None:
            self.json_out.write("\n]")
            summary = {"totals": totals, "run": run.pk if run else None}
            self.json_out.write(', "summary": ' + json.dumps(summary, ensure_ascii=False) + "}\n")
        if self.text_out is not None:
            self.text_out.write(self._summary(totals))
            for section, spool in self.sections.items():
                spool.seek(0)
                body = spool.read() or "（無）\n"
                self.text_out.write(f"{SECTION_HEADINGS[section]}\n\n{body}\n")
        for spool in self.sections.values():
            spool.close()

    def _summary(self, totals: dict[str, Any]) -> str:
        marks = totals.get("marks") or {}
        stars = totals.get("stars") or {}
        checked = totals.get("checked", self.count)
        broken = totals.get("broken", self.states[State.BROKEN])
        lines = [
            "資料集品質檢核報告",
            f"產生時間：{timezone.localtime():%Y-%m-%d %H:%M}",
            f"來源：{self.source}",
            "",
            f"檢核資料資源數：{checked}（資料集 {totals.get('datasets', '—')} 筆）",
            f"  正常：{totals.get('ok', self.states[State.OK])}"
            f"　失效：{broken}"
            f"　暫時無法判定：{totals.get('unknown', self.states[State.UNKNOWN])}",
        ]
        if marks:
            order = {"gold": 0, "silver": 1, "bronze": 2, "none": 3}
            lines.append(
                "  標章："
                + "　".join(
                    f"{mark_words(k)} {v}"
                    for k, v in sorted(marks.items(), key=lambda kv: order.get(kv[0], 9))
                )
            )
        if stars:
            lines.append(
                "  開放星等：" + "　".join(f"{k} 星 {v}" for k, v in sorted(stars.items()))
            )
            if checked:
                ratio = totals.get("three_star_or_more", 0) / checked
                lines.append(f"  三星等級以上比率：{ratio:.1%}")
        if totals.get("not_timely"):
            lines.append(f"  未依更新頻率更新：{totals['not_timely']}")
        if totals.get("encoding_mismatch"):
            lines.append(f"  編碼與宣告不符：{totals['encoding_mismatch']}")
        if totals.get("fields_mismatch"):
            lines.append(f"  欄位與主要欄位說明不符：{totals['fields_mismatch']}")
        if totals.get("with_personal_data"):
            lines.append(f"  疑似含個人資料：{totals['with_personal_data']}")
        lines.append(
            "說明：「暫時無法判定」是伺服器忙碌、逾時或連線中斷，不計為錯誤連結；"
            "連續多次仍無法判定時請洽系統維護廠商。"
        )
        return "\n".join(lines) + "\n\n"
