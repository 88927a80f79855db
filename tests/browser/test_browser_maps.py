"""The maps in a real browser (Playwright driving Debian's Chromium): visible, their
markers are links that open the incident, the table alternative is there, the list's
map follows the filters through htmx, and axe finds nothing serious."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from incidents.models import Conflict, Incident

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def demo() -> tuple[Incident, Incident]:
    call_command("load_demo", verbosity=0)
    main = Incident.objects.get(slug="2021-05-27-gegharkunik-soldiers-held")
    return main, Incident.objects.exclude(pk=main.pk).get()


def test_list_map_marker_opens_the_incident_and_has_its_table(live_server, page):
    main, other = demo()
    page.goto(f"{live_server.url}/")
    svg = page.locator("#incident-map svg")
    expect(svg).to_be_visible()
    box = svg.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 150
    # The table alternative: in a disclosure, with a row per place.
    page.get_by_text("The map as a table: incidents per place").click()
    table = page.locator("#incident-map-table")
    expect(table).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table).to_contain_text("Gegharkunik")
    # Syunik has one incident: its marker opens it.
    page.locator(f'#incident-map a[href="{other.get_absolute_url()}"] circle').click()
    expect(page).to_have_url(f"{live_server.url}{other.get_absolute_url()}")
    expect(page.locator("h1")).to_have_text(other.title)


def test_list_map_follows_the_filters(live_server, page):
    main, other = demo()
    page.goto(f"{live_server.url}/")
    page.evaluate("window.__same_document = true")
    page.get_by_label("From").fill("2021-05-20")
    page.get_by_label("From").dispatch_event("change")
    expect(page).to_have_url(re.compile(r"date_from=2021-05-20"))
    # Only the main incident is left: the Gegharkunik marker now opens it.
    marker = page.locator(f'#incident-map a[href="{main.get_absolute_url()}"]')
    expect(marker).to_have_count(1)
    expect(page.locator(f'#incident-map a[href="{other.get_absolute_url()}"]')).to_have_count(0)
    assert page.evaluate("window.__same_document") is True


def test_comparison_page_maps_each_sides_location(live_server, page):
    main, _ = demo()
    page.goto(f"{live_server.url}{main.get_absolute_url()}")
    row = page.locator(".grid-row", has_text="Whose territory was it?")
    expect(row.locator(".claimed-location")).to_have_count(2)
    point_map = row.locator(".row-map svg")
    expect(point_map).to_be_visible()
    expect(point_map.locator("path.map-area.side-0")).to_have_count(1)
    expect(point_map.locator("path.map-area.side-1")).to_have_count(1)
    row.get_by_text("The map as a table: where each side places it").click()
    expect(row.locator(".row-map table")).to_contain_text("border area of the Gegharkunik region")
    expect(row.locator(".row-map table")).to_contain_text("the territory of Azerbaijan")


@pytest.mark.parametrize("width", [1280, 390])
def test_map_pages_have_no_serious_axe_violations(live_server, browser, width):
    from axe_playwright_python.sync_playwright import Axe

    main, _ = demo()
    conflict = Conflict.objects.get()
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    axe = Axe()
    try:
        for path in (
            "/incidents/",
            main.get_absolute_url(),
            f"/analysis/conflicts/{conflict.slug}/map/",
        ):
            page.goto(live_server.url + path)
            for details in page.locator("details.map-data").all():
                details.locator("summary").click()  # the tables are checked open too
            results = axe.run(page)
            serious = [
                (v["id"], v["help"], [n["target"] for n in v["nodes"]][:3])
                for v in results.response["violations"]
                if v["impact"] in ("serious", "critical")
            ]
            assert serious == [], (path, serious)
    finally:
        context.close()
