"""One year system per page: pages about the programme write years as the seeds do (民國,
「115 年」), through one filter (`lib/years.year_label`); no page mixes 「2026 年」 and 「115 年」;
machine fields (ISO dates, `?year=2026`) stay Gregorian."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone, translation

from steward.inventory.models import InventoryItem
from steward.lib.years import year_label
from steward.organisations.models import Person

pytestmark = pytest.mark.django_db

GREGORIAN = re.compile(r"(?<![\d\-/.])(?:19|20)\d\d\s*年")
ROC = re.compile(r"(?<![\d\-/.])1\d\d\s*年")
#: A Gregorian year standing alone (not in an ISO date, a time, a file name or 2026H1).
BARE_GREGORIAN = re.compile(r"(?<![\w\-/.:])(?:19|20)\d\d(?![\w\-/.:])", re.ASCII)


def _text(html: str) -> str:
    main = html.split('<main id="main">', 1)[-1].split("</main>", 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


@pytest.fixture
def demo() -> None:
    call_command("demo", stdout=StringIO())


def test_year_label_writes_roc_years_in_chinese_and_gregorian_in_english() -> None:
    with translation.override("zh-hant"):
        assert year_label(2026) == "115 年"
        assert year_label("2017") == "106 年"
        assert year_label("每年") == "每年"  # not a year: as it is
    with translation.override("en"):
        assert year_label(2026) == "2026"


def test_no_page_mixes_gregorian_and_roc_years(client: Client, demo: None) -> None:
    year = timezone.localdate().year
    item = InventoryItem.objects.filter(planned_year__isnull=False).first()
    assert item is not None
    pages = {
        # pages about the programme: 民國 years only, as the seeds write them
        "/inventory/": "roc",
        f"/inventory/returns/?year={year}": "roc",
        f"/inventory/items/{item.pk}/": "roc",
        "/plans/": "roc",
        "/plans/mol/": "roc",
        "/calendars/": "roc",
        f"/calendars/{year}/": "roc",
        # other pages: whichever system, never both
        "/": "one",
        "/datasets/": "one",
        "/feedback/": "one",
        "/publishing/": "one",
        "/quality/": "one",
        "/quality/measures/": "one",
    }
    problems = []
    for username in ("centre", "liaison", "cio"):
        client.force_login(Person.objects.get(username=username))
        for path, rule in pages.items():
            response = client.get(path)
            if response.status_code in (403, 404):
                continue
            assert response.status_code == 200, (username, path)
            text = _text(response.content.decode())
            gregorian = sorted(set(GREGORIAN.findall(text)))
            roc = sorted(set(ROC.findall(text)))
            if gregorian and roc:
                problems.append(f"{username} {path}: both {gregorian[:3]} and {roc[:3]}")
            if rule == "roc" and (gregorian or BARE_GREGORIAN.search(text)):
                shown = gregorian[:3] or BARE_GREGORIAN.findall(text)[:3]
                problems.append(f"{username} {path}: Gregorian {shown}, not 民國")
            if rule == "roc" and path.startswith(("/inventory/", "/calendars/")):
                assert roc, (username, path)  # the page does show its year
    assert not problems, "\n".join(problems)


def test_a_flash_message_on_the_inventory_page_uses_the_pages_years(
    client: Client, demo: None
) -> None:
    year = timezone.localdate().year
    with translation.override("zh-hant"):
        from django.utils.translation import gettext as _

        message = _("The %(year)s inventory was approved.") % {"year": year_label(year)}
    assert message == f"{year - 1911} 年盤點表已核定。"
