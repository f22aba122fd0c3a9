"""The feedback summary items of agendas already recorded wrote their days as 2026-08-11
under a 民國 heading; write the Chinese ones as 「115 年 8 月 11 日」, as `agenda.py` now does.
English items (no Chinese in the title) keep their ISO days."""

import datetime
import re

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

ISO_DAY = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
ROC_OFFSET = 1911


def _roc(match: re.Match[str]) -> str:
    day = datetime.date(int(match[1]), int(match[2]), int(match[3]))
    return f"{day.year - ROC_OFFSET} 年 {day.month} 月 {day.day} 日"


def _chinese(text: str) -> bool:
    return any("\u4e00" <= character <= "\u9fff" for character in text)


def forwards(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    AgendaItem = apps.get_model("committees", "AgendaItem")
    changed = []
    for item in AgendaItem.objects.filter(kind="feedback_summary"):
        if not _chinese(item.title):
            continue
        item.title = ISO_DAY.sub(_roc, item.title)
        item.summary = ISO_DAY.sub(_roc, item.summary)
        changed.append(item)
    AgendaItem.objects.bulk_update(changed, ["title", "summary"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("committees", "0001_committees_meetings_agendas"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
