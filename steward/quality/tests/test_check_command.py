"""`steward quality check` over a catalogue export, against the hostile local server."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from steward.audit.models import AuditEvent
from steward.datasets.standard import CATALOGUE_COLUMNS
from steward.quality.models import CheckResult, CheckRun, ResourceHealth, RunStatus
from steward.quality.services import catalogue_resource_key
from steward.quality.tests.hostile_server import (  # noqa: F401  (fixtures)
    GOOD_FIELDS,
    HostileServer,
    fresh_server,
    running_hostile_server,
)

pytestmark = pytest.mark.django_db


def catalogue_row(identifier: str, title: str, urls: list[str], **extra: str) -> list[str]:
    cells = {
        "資料集識別碼": identifier,
        "資料集名稱": title,
        "資料提供屬性": "原始資料",
        "服務分類": "公共資訊",
        "品質檢測": "銀標章",
        "檔案格式": ";".join("CSV" for _ in urls),
        "資料下載網址": ";".join(urls),
        "編碼格式": ";".join("UTF-8" for _ in urls),
        "資資料集上架方式": "系統介接程式",
        "資料集描述": "測試用資料集",
        "主要欄位說明": GOOD_FIELDS,
        "提供機關": "甲署",
        "更新頻率": "每1年",
        "授權方式": "政府資料開放授權條款-第1版",
        "相關網址": "",
        "計費方式": "免費",
        "提供機關聯絡人姓名": "王小明",
        "提供機關聯絡人電話": "02-12345678",
        "上架日期": "2024-01-02",
        "詮釋資料更新時間": "2026-01-02 10:00:00",
        "備註": "",
        "資料量": ";".join("3" for _ in urls),
    }
    cells.update(extra)
    return [cells[column] for column in CATALOGUE_COLUMNS]


def write_catalogue(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\r\n")
        writer.writerow(CATALOGUE_COLUMNS)
        writer.writerows(rows)
    return path


def run_check(catalogue: Path, tmp_path: Path, *extra: str) -> tuple[dict[str, Any], str]:
    call_command(
        "quality", "check",
        "--catalogue", str(catalogue),
        "--allow-private", "127.0.0.0/8",
        "--rate", "0",
        "--timeout", "3",
        "--json", str(tmp_path / "out.json"),
        "--report", str(tmp_path / "out.txt"),
        *extra,
    )  # fmt: skip
    return (
        json.loads((tmp_path / "out.json").read_text(encoding="utf-8")),
        (tmp_path / "out.txt").read_text(encoding="utf-8"),
    )


@pytest.fixture
def catalogue(tmp_path: Path, server: HostileServer) -> Path:
    return write_catalogue(
        tmp_path / "export.csv",
        [
            catalogue_row(
                "A17010000J-000001",
                "年度預算",
                [server.url("/good.csv"), server.url("/status/404")],
            ),
            catalogue_row("A17010000J-000002", "補助名冊", [server.url("/html-200.csv")]),
            catalogue_row("A17010000J-000003", "繁忙伺服器", [server.url("/retry/1/cli")]),
            catalogue_row("A17010000J-000004", "內部網址", [server.url("/to-private")]),
            catalogue_row("A17010000J-000005", "舊系統", [server.url("/big5-declared-utf8.csv")]),
        ],
    )


def test_a_catalogue_check_writes_json_a_report_and_the_run(
    catalogue: Path, tmp_path: Path, tree: Any
) -> None:
    document, report = run_check(catalogue, tmp_path)
    states = {
        (item["dataset"], item["url"].rsplit("/", 1)[-1]): (item["state"], item["reason"])
        for item in document["results"]
    }
    assert states == {
        ("A17010000J-000001", "good.csv"): ("ok", "ok"),
        ("A17010000J-000001", "404"): ("broken", "not_found"),
        ("A17010000J-000002", "html-200.csv"): ("broken", "html_instead_of_file"),
        ("A17010000J-000003", "cli"): ("ok", "ok"),  # 429 then the file, after Retry-After
        ("A17010000J-000004", "to-private"): ("broken", "forbidden_address"),
        ("A17010000J-000005", "big5-declared-utf8.csv"): ("ok", "ok"),
    }
    assert all(
        item["key"] == catalogue_resource_key(item["dataset"], item["url"])
        for item in document["results"]
    )
    assert document["summary"]["totals"]["broken"] == 3
    assert document["summary"]["totals"]["datasets"] == 5

    run = CheckRun.objects.get()
    assert run.status == RunStatus.DONE
    assert run.totals["checked"] == 6
    assert CheckResult.objects.filter(run=run).count() == 6
    # The publisher 甲署 is matched to the organisation of that name.
    assert set(CheckResult.objects.values_list("organisation", flat=True)) == {tree.agency_a.pk}
    assert AuditEvent.objects.filter(action__startswith="quality.run_").count() == 2

    assert "資料集品質檢核報告" in report
    assert "失效：3" in report
    assert report.index("A17010000J-000001") < report.index("三、")
    assert "伺服器表示檔案不存在（404）。" in report
    assert "改善方式：請重新上傳檔案或更正資料下載網址。" in report


def test_a_second_run_extends_each_resource_history(
    catalogue: Path, tmp_path: Path, server: HostileServer
) -> None:
    broken_key = catalogue_resource_key("A17010000J-000001", server.url("/status/404"))
    run_check(catalogue, tmp_path)
    first = ResourceHealth.objects.get(key=broken_key)
    assert (first.consecutive_failures, first.last_state) == (1, "broken")
    run_check(catalogue, tmp_path)
    again = ResourceHealth.objects.get(key=broken_key)
    assert again.consecutive_failures == 2
    assert again.first_failure_at == first.first_failure_at
    assert again.next_check_due and again.last_checked_at
    assert first.next_check_due and first.last_checked_at
    # Still broken: the next check comes later than after the first failure (capped back-off).
    assert (
        again.next_check_due - again.last_checked_at > first.next_check_due - first.last_checked_at
    )
    healthy = ResourceHealth.objects.get(
        key=catalogue_resource_key("A17010000J-000001", server.url("/good.csv"))
    )
    assert (healthy.consecutive_ok, healthy.last_success_at) == (2, healthy.last_checked_at)


def test_limit_checks_only_the_first_resources(catalogue: Path, tmp_path: Path) -> None:
    document, _report = run_check(catalogue, tmp_path, "--limit", "2")
    assert len(document["results"]) == 2


def test_a_broken_catalogue_is_refused_with_its_row_and_nothing_is_recorded(
    tmp_path: Path, server: HostileServer
) -> None:
    path = tmp_path / "broken.csv"
    good = catalogue_row("A17010000J-000001", "好", [server.url("/good.csv")])
    write_catalogue(path, [good])
    # A third row saved in Big5 by a spreadsheet: the file is no longer UTF-8.
    with path.open("ab") as stream:
        stream.write(",".join(catalogue_row("A17010000J-000002", "舊檔", ["x"])).encode("big5"))
    with pytest.raises(CommandError, match=r"broken\.csv.*UTF-8"):
        run_check(path, tmp_path)
    assert CheckRun.objects.count() == 0
    assert server.log == []


def test_a_file_with_the_wrong_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "wrong.csv"
    path.write_text("id,url\n1,http://example.org/\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"wrong\.csv"):
        run_check(path, tmp_path)
    assert CheckRun.objects.count() == 0


def test_steward_check_is_djangos_system_check_and_the_quality_check_needs_a_source() -> None:
    call_command("check", "--fail-level", "WARNING")
    with pytest.raises(CommandError, match="--catalogue"):
        call_command("check", "--catalogue", "x.csv")  # not an option of the system check
    with pytest.raises(CommandError, match="須指定下列參數之一：--catalogue --datasets"):
        call_command("quality", "check", "--json", "x.json")


def test_a_resource_whose_server_says_retry_in_an_hour_is_due_again_then(
    tmp_path: Path, server: HostileServer, tree: Any
) -> None:
    url = server.url("/retry/3600/cli-hour")
    path = write_catalogue(
        tmp_path / "hour.csv", [catalogue_row("A17010000J-000009", "晚點", [url])]
    )
    document, _report = run_check(path, tmp_path)
    assert [item["state"] for item in document["results"]] == ["unknown"]
    health = ResourceHealth.objects.get(key=catalogue_resource_key("A17010000J-000009", url))
    assert health.next_check_due and health.last_checked_at
    assert (health.next_check_due - health.last_checked_at).total_seconds() == 3600
