"""CSV import of items received elsewhere (the national portal's export, a letter log).

All rows or none: every row goes through `services.enter` (the one home of the rules: text,
e-mail, received time not in the future, the due time from the plan in force), inside one
transaction that is rolled back when any row has a problem; every problem is listed by file,
row and column. Files are UTF-8 (with or without BOM) or Big5 (CP950), decoded by the same
strict rule as the inventory import.

Columns (header row, any order): 類型, 收件管道, 收件時間, 回復機關, 內容 (required);
資料集編號, 主旨, 電子郵件, 案號 (optional). 回復機關 is an agency code or an organisation's name.
"""

from __future__ import annotations

import csv
import datetime
import io

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from steward.datasets.models import Dataset
from steward.feedback import services
from steward.feedback.models import Channel, FeedbackItem, Kind
from steward.inventory.spreadsheets import Problem, SpreadsheetError, decode_csv
from steward.lib.cells import read_cell
from steward.organisations.models import Organisation, Person
from steward.organisations.scope import Action, organisations_for

REQUIRED = ("類型", "收件管道", "收件時間", "回復機關", "內容")
OPTIONAL = ("資料集編號", "主旨", "電子郵件", "案號")
TIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d %H:%M:%S")
MAX_ROWS = 5000


class ImportRefused(services.FeedbackError):
    """Nothing was imported; `problems` lists every row's problems."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(_("Nothing was imported: %(count)s problems.") % {"count": len(problems)})
        self.problems = problems


def _choices(choices: type[Kind] | type[Channel], allowed: list[str]) -> dict[str, str]:
    """Value by key, by Chinese label and by English label."""
    found: dict[str, str] = {}
    for value in allowed:
        member = choices(value)
        found[value] = value
        found[str(member.label).casefold()] = value
        with translation.override("zh-hant"):
            found[str(member.label)] = value
    return found


def _time(text: str) -> datetime.datetime | None:
    for pattern in TIME_FORMATS:
        try:
            naive = datetime.datetime.strptime(text, pattern)
        except ValueError:
            continue
        return timezone.make_aware(naive)
    return None


def import_items(name: str, data: bytes, *, by: Person) -> list[FeedbackItem]:
    """Import every row of a CSV as an entered item, or none and raise ImportRefused."""
    if not organisations_for(by, Action.FEEDBACK_ROUTE).exists():
        raise PermissionDenied
    try:
        text, _encoding = decode_csv(name, data)
    except SpreadsheetError as error:
        raise ImportRefused(error.problems) from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise ImportRefused([Problem(name, _("The file is empty."))])
    header = [read_cell(cell).strip() for cell in rows[0]]
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        raise ImportRefused(
            [Problem(name, _("The header row has no column “%(column)s”.") % {"column": c}, row=1)
             for c in missing]
        )  # fmt: skip
    if len(rows) - 1 > MAX_ROWS:
        raise ImportRefused(
            [Problem(name, _("At most %(count)s rows can be imported at once.") % {"count": MAX_ROWS})]
        )  # fmt: skip
    kinds = _choices(Kind, list(Kind.values))
    channels = _choices(Channel, [Channel.NATIONAL_PORTAL.value, Channel.LETTER.value])
    routable = list(organisations_for(by, Action.FEEDBACK_ROUTE))
    by_code = {org.agency_code: org for org in routable if org.agency_code}
    by_name = {org.name: org for org in routable}
    problems: list[Problem] = []
    items: list[FeedbackItem] = []
    with transaction.atomic():
        for number, raw in enumerate(rows[1:], start=2):
            if not any(cell.strip() for cell in raw):
                continue
            cells = {column: read_cell(raw[i]).strip() if i < len(raw) else ""
                     for i, column in enumerate(header)}  # fmt: skip
            here: list[Problem] = []

            def problem(
                column: str, reason: str, row: int = number, into: list[Problem] = here
            ) -> None:
                into.append(Problem(name, reason, row=row, column=column))

            kind = kinds.get(cells["類型"]) or kinds.get(cells["類型"].casefold())
            if kind is None:
                problem("類型", _("“%(value)s” is not a type: use 意見, 錯誤回報 or 資料需求.")
                        % {"value": cells["類型"]})  # fmt: skip
            channel = channels.get(cells["收件管道"]) or channels.get(cells["收件管道"].casefold())
            if channel is None:
                problem("收件管道", _("“%(value)s” is not a channel: use 政府資料開放平臺 or 書函.")
                        % {"value": cells["收件管道"]})  # fmt: skip
            received_at = _time(cells["收件時間"])
            if received_at is None:
                problem("收件時間", _("“%(value)s” is not a time like 2026-03-02 14:30.")
                        % {"value": cells["收件時間"]})  # fmt: skip
            organisation: Organisation | None = by_code.get(cells["回復機關"]) or by_name.get(
                cells["回復機關"]
            )
            if organisation is None:
                problem("回復機關", _("“%(value)s” is not an organisation you may enter items for.")
                        % {"value": cells["回復機關"]})  # fmt: skip
            dataset = None
            identifier = cells.get("資料集編號", "")
            if identifier:
                dataset = Dataset.objects.filter(identifier=identifier).first()
                if dataset is None:
                    problem("資料集編號", _("No dataset has this identifier."))
            if not here:
                assert kind and channel and received_at and organisation
                try:
                    item = services.enter(
                        by=by, kind=kind, text=cells["內容"], organisation=organisation,
                        received_at=received_at, channel=channel, dataset=dataset,
                        subject=cells.get("主旨", ""), contact_email=cells.get("電子郵件", ""),
                        external_reference=cells.get("案號", ""),
                    )  # fmt: skip
                    items.append(item)
                except services.InvalidFeedback as error:
                    column = {"text": "內容", "contact_email": "電子郵件",
                              "received_at": "收件時間"}.get(error.field or "", "")  # fmt: skip
                    problem(column, error.message)
                except PermissionDenied:
                    problem(
                        "回復機關", _("You may not enter items for this dataset's organisation.")
                    )
            problems.extend(here)
        if problems:
            transaction.set_rollback(True)
    if problems:
        raise ImportRefused(problems)
    return items
