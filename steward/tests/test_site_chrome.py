"""What every page carries: the icon browsers ask for, the skip link, the reports link."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from steward.conftest import Cast
from steward.favicon import ICON


def test_the_browser_finds_the_icon_at_favicon_ico(client: Client, db: None) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content == ICON.read_bytes()
    assert response.content[:4] == b"\x00\x00\x01\x00"  # an ICO file


def test_every_page_links_the_icon_and_starts_with_the_skip_link(
    client: Client, cast: Cast
) -> None:
    for path in ("/accounts/login/", "/catalogue/"):
        page = client.get(path, follow=True).content.decode()
        assert 'rel="icon" href="/static/steward/favicon.ico"' in page
        body = page.split("<body", 1)[1]
        first_link = body.index("<a ")
        assert body[first_link:].startswith('<a class="skip-link" href="#main">跳至主要內容</a>')
        assert '<main id="main"' in page


def test_the_navigation_links_the_reports_page_to_whoever_it_offers_a_report(
    client: Client, cast: Cast
) -> None:
    reports, dashboards = reverse("reports:index"), reverse("reports:dashboards:index")
    offered = []
    for name, person in vars(cast).items():
        client.force_login(person)
        page = client.get(reverse("home")).content.decode()
        nav = page.split('<nav class="main-nav"', 1)[1].split("</nav>", 1)[0]
        linked = f'<a href="{reports}">報告</a>' in nav
        form = 'id="produce"' in client.get(reports).content.decode()
        assert linked == form, name  # the link and the page's form follow one rule
        if linked:
            assert nav.index(f'href="{reports}"') > nav.index(f'href="{dashboards}"')
            offered.append(name)
    # the centre, the CIO, the committee, and everybody of an agency (its units' liaison and
    # reviewer too: the agency's reports are theirs); not somebody with no role
    assert {"centre", "cio", "head", "committee_civil", "liaison", "reviewer"} <= set(offered)
    assert "outsider" not in offered
