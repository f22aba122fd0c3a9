"""Writing a quality run out: a JSON document and a readable report in Traditional Chinese.

Both are written while the run goes on (`RunWriter.add(report)`), so a catalogue of 50,000
resources never sits in memory: JSON results are streamed into the file, and the text
report's per-resource sections are spooled to temporary files, one per verdict, and joined
at the end (broken first, then unknown, then the ok ones that still have findings).
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from typing import IO, Any

from django.utils import timezone, translation

from steward.quality.crawler import ResourceReport
from steward.quality.fetch import State
from steward.quality.models import CheckRun

STATE_LABELS = {
    State.OK: "正常",
    State.BROKEN: "失效",
    State.UNKNOWN: "暫時無法判定",
}


def _worth_telling(report: ResourceReport) -> bool:
    return any(finding.get("severity") != "ok" for finding in report.findings)


class RunWriter:
    """Streams reports to a JSON file and a text report (either may be None)."""

    def __init__(self, json_out: IO[str] | None, text_out: IO[str] | None, *, source: str) -> None:
        self.json_out = json_out
        self.text_out = text_out
        self.source = source
        self.count = 0
        self.states: Counter[str] = Counter()
        self.sections = {
            state: tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 (closed in close())
            for state in (State.BROKEN, State.UNKNOWN, State.OK)
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
        if self.text_out is not None and (report.state is not State.OK or _worth_telling(report)):
            self.sections[report.state].write(self._entry(report))

    def _entry(self, report: ResourceReport) -> str:
        ref = report.ref
        with translation.override("zh-hant"):
            lines = [
                f"■ {ref.dataset_identifier} {ref.dataset_title}（{ref.publisher}）".rstrip(),
                f"  資料資源：{ref.key}　宣告格式：{ref.declared_format or '未填'}"
                f"　宣告編碼：{ref.declared_encoding or '未填'}",
                f"  網址：{ref.url or '（未填）'}",
                f"  判定：{STATE_LABELS[report.state]}（{report.reason}）— {report.explanation}",
            ]
            if report.fetch.status:
                lines.append(
                    f"  HTTP 狀態：{report.fetch.status}，讀取 {report.fetch.bytes_read} 位元組"
                )
            if report.how_to_fix:
                lines.append(f"  改善方式：{report.how_to_fix}")
            if report.detected_format or report.detected_encoding:
                lines.append(
                    f"  實際格式：{report.detected_format or '—'}　實際編碼：{report.detected_encoding or '—'}"
                )
            if report.mark or report.stars is not None:
                lines.append(
                    f"  標章：{report.mark or '—'}　星等：{report.stars if report.stars is not None else '—'}"
                )
            if report.pii:
                columns = "、".join(
                    f"{column}（{count} 筆）" for column, count in report.pii.items()
                )
                lines.append(f"  疑似個人資料：{columns}")
            for finding in report.findings:
                if finding.get("severity") == "ok":
                    continue  # informational ("matches"): not worth a line in the report
                fix = f" 改善方式：{finding['fix']}" if finding.get("fix") else ""
                lines.append(f"  - {finding['message']}{fix}")
        return "\n".join(lines) + "\n\n"

    def close(self, run: CheckRun | None = None, totals: dict[str, Any] | None = None) -> None:
        totals = totals if totals is not None else (run.totals if run else {})
        if self.json_out is not None:
            self.json_out.write("\n]")
            summary = {"totals": totals, "run": run.pk if run else None}
            self.json_out.write(', "summary": ' + json.dumps(summary, ensure_ascii=False) + "}\n")
        if self.text_out is not None:
            self.text_out.write(self._summary(totals))
            headings = {
                State.BROKEN: "一、失效的資料資源（請優先處理）",
                State.UNKNOWN: "二、暫時無法判定（伺服器忙碌或逾時，將自動再檢查）",
                State.OK: "三、可取得但有待改善之處",
            }
            for state, spool in self.sections.items():
                spool.seek(0)
                body = spool.read() or "（無）\n\n"
                self.text_out.write(f"{headings[state]}\n\n{body}")
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
            lines.append("  標章：" + "　".join(f"{k} {v}" for k, v in sorted(marks.items())))
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
