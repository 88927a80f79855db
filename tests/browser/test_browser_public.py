"""The public pages in a real browser (Playwright driving Debian's Chromium): htmx
expansion in place with a pushed URL, tab switching, list filters, and an axe-core
accessibility check."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.incidents.test_pages import Scene

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_expand_a_statement_in_place_then_switch_to_the_timeline(live_server, page):
    s = Scene()
    north = s.w.north_says
    detail = f"{live_server.url}/incidents/{s.incident.slug}/"
    page.goto(detail)
    expect(page.locator("h1")).to_have_text(s.incident.title)

    card = page.locator(f"#claim-{s.claim_north.pk}")
    expect(card).to_contain_text("repairing a bridge")
    card.locator("a.expand").click()

    key = f"claim-{s.claim_north.pk}"
    # The opened card keeps the id of the card it replaced.
    expanded = page.locator(f"article#{key}.is-expanded")
    expect(expanded).to_be_visible()
    # The swapped-in card holds the full text, the source excerpt and the notes section.
    expect(expanded.locator(".statement-text")).to_contain_text(north.text)
    expect(expanded.locator(".excerpt mark.quoted")).to_have_text(north.text)
    expect(expanded.locator(".excerpt")).to_contain_text("The Northland Defence Ministry said:")
    expect(expanded).to_contain_text("Editors' notes")
    # The pushed URL is the comparison page's, with the open card (see the reload test).
    expect(page).to_have_url(f"{detail}?card={key}#{key}")
    # Swapped in place: the comparison page is still there around it.
    expect(page.locator("#points-grid")).to_be_visible()
    expect(page.locator(f"#{key}:not(.is-expanded)")).to_have_count(0)
    expect(expanded).to_be_focused()

    page.get_by_role("link", name="Timeline").click()
    expect(page).to_have_url(f"{detail}?tab=timeline")
    timeline = page.locator("#timeline")
    expect(timeline).to_be_visible()
    expect(page.locator("#points-grid")).to_have_count(0)
    expect(timeline.locator(".timeline-entry")).to_have_count(5)
    expect(timeline).to_contain_text("2 days after Northland’s first statement")
    expect(page.locator('.tabs a[aria-current="page"]')).to_have_text("Timeline")
    # The history entry works: back returns to the opened card's URL.
    page.go_back()
    expect(page).to_have_url(f"{detail}?card={key}#{key}")


def test_filters_update_results_and_url_without_reload(live_server, page):
    s = Scene()
    page.goto(f"{live_server.url}/incidents/")
    page.evaluate("window.__same_document = true")
    page.get_by_label("Place").select_option("river-crossing")
    expect(page).to_have_url(re.compile(r"place=river-crossing"))
    expect(page.locator("#incident-results")).to_contain_text("1 incident matching the filters")
    assert page.evaluate("window.__same_document") is True  # swapped, not reloaded
    page.get_by_label("From").fill("2030-01-01")
    page.get_by_label("From").dispatch_event("change")
    expect(page.locator("#incident-results")).to_contain_text("0 incidents")
    expect(page).to_have_url(re.compile(r"date_from=2030-01-01"))
    link = page.get_by_role("link", name="Show all incidents")
    link.click()
    expect(page.locator("#incident-results")).to_contain_text(s.incident.title)


def test_point_filter_on_the_comparison_page(live_server, page):
    s = Scene()
    page.goto(f"{live_server.url}/incidents/{s.incident.slug}/")
    page.get_by_label("Point of contention").select_option(str(s.point2.pk))
    expect(page).to_have_url(re.compile(rf"point={s.point2.pk}"))
    expect(page.locator("#points-grid")).not_to_contain_text("repairing a bridge")
    expect(page.locator("#points-grid")).to_contain_text("Who is responsible?")


@pytest.mark.parametrize("width", [1280, 390])
def test_list_and_comparison_pages_have_no_serious_axe_violations(live_server, browser, width):
    from axe_playwright_python.sync_playwright import Axe

    s = Scene()
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    axe = Axe()
    try:
        for path in (
            "/incidents/",
            f"/incidents/{s.incident.slug}/",
            f"/incidents/{s.incident.slug}/?tab=timeline",
            f"/statements/{s.w.south_says.pk}/",
            f"/sources/{s.src.pk}/",
        ):
            page.goto(live_server.url + path)
            results = axe.run(page)
            serious = [
                (v["id"], v["help"], [n["target"] for n in v["nodes"]][:3])
                for v in results.response["violations"]
                if v["impact"] in ("serious", "critical")
            ]
            assert serious == [], (path, serious)
    finally:
        context.close()


def test_demo_incident_expand_and_timeline_without_csp_errors(live_server, page):
    """The demo incident from `load_demo`, reached from the list as a visitor would."""
    from django.core.management import call_command

    from incidents.models import Incident

    call_command("load_demo", verbosity=0)
    demo = Incident.objects.published().order_by("-date_start").first()
    assert demo is not None
    csp_errors: list[str] = []
    page.on(
        "console",
        lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(f"{live_server.url}/")
    page.locator(f'#incident-results a[href="/incidents/{demo.slug}/"]').click()
    expect(page).to_have_url(f"{live_server.url}/incidents/{demo.slug}/")
    grid = page.locator("#points-grid")
    expect(grid.locator(".grid-row").first).to_be_visible()
    first_card = grid.locator(".statement-card").first
    expand = first_card.locator("a.expand")
    key = first_card.get_attribute("id")
    expand.click()
    expanded = page.locator(".statement-card.is-expanded")
    expect(expanded).to_have_count(1)
    expect(expanded.locator(".source-excerpt")).to_contain_text("In the source")
    expect(expanded.locator(".excerpt mark.quoted")).not_to_be_empty()
    expect(page).to_have_url(f"{live_server.url}/incidents/{demo.slug}/?card={key}#{key}")
    page.get_by_role("link", name="Timeline").click()
    expect(page).to_have_url(f"{live_server.url}/incidents/{demo.slug}/?tab=timeline")
    expect(page.locator("#timeline .timeline-entry").first).to_be_visible()
    assert csp_errors == []
