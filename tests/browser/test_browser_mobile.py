"""Issue 11, point 11, at 390 px: the active analysis tab is not cut off, wide tables
say they scroll, the list's filters fold behind "Filter" (a <details>, so also without
JavaScript), and the header stays under 80 px for an editor."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.test_browser_cards import roles  # noqa: F401 (fixture)
from tests.browser.test_browser_editing import sign_in
from tests.conftest import make_user
from tests.incidents.test_pages import Scene

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_analysis_tab_and_wide_tables_at_390(live_server, browser):
    s = Scene()
    context = browser.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    page.goto(live_server.url + reverse("analysis:conflict_terms", args=[s.w.conflict.slug]))
    active = page.locator('.tabs a[aria-current="page"]')
    box = active.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # The terms table is wider than the screen: it says so.
    region = page.locator(".table-scroll").first
    expect(region).to_have_attribute("data-scrolls", "more")
    hint = region.evaluate("el => getComputedStyle(el, '::before').content")
    assert "Scroll sideways" in hint
    region.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    expect(region).to_have_attribute("data-scrolls", "end")
    # The analysis index: its table scrolls inside its region, not the page.
    page.goto(live_server.url + reverse("analysis:index"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()


@pytest.mark.parametrize("javascript", [True, False])
def test_list_filters_fold_behind_a_filter_button_at_390(live_server, browser, javascript):
    Scene()
    context = browser.new_context(
        viewport={"width": 390, "height": 800}, java_script_enabled=javascript
    )
    page = context.new_page()
    page.goto(live_server.url + "/incidents/")
    place = page.get_by_label("Place")
    expect(place).to_be_hidden()
    page.locator(".filters-toggle > summary", has_text="Filter").click()
    expect(place).to_be_visible()
    place.select_option("river-crossing")
    page.locator(".filters button[type=submit]").click()
    expect(page).to_have_url(
        f"{live_server.url}/incidents/?conflict=&party=&place=river-crossing&date_from=&date_to="
    )
    expect(page.locator("#incident-results")).to_contain_text("1 incident matching the filters")
    # A new page, or (with htmx) the fragment's out-of-band label: either way the
    # button says how many filters are in use.
    expect(page.locator(".filters-toggle > summary")).to_contain_text("1 in use")
    if javascript:  # and clearing the filter by htmx takes the count away again
        place.select_option("")
        expect(page.locator("#incident-results")).not_to_contain_text("matching the filters")
        expect(page.locator(".filters-toggle > summary")).not_to_contain_text("in use")
    context.close()
    # Wide screens: no button, the filters are simply there.
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(live_server.url + "/incidents/")
    expect(page.get_by_label("Place")).to_be_visible()
    expect(page.locator(".filters-toggle > summary")).to_be_hidden()
    context.close()


def test_the_editor_header_is_under_80px_at_390(live_server, browser, roles):  # noqa: F811
    make_user("eddie_editor", "editor")
    Scene()
    context = browser.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    sign_in(page, live_server, "eddie_editor", reverse("editing:index"))
    for url in (reverse("editing:index"), "/incidents/", "/analysis/"):
        page.goto(live_server.url + url)
        height = page.locator(".site-header").bounding_box()["height"]
        assert height < 80, (url, height)
        expect(page.locator("#site-search")).to_be_visible()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    context.close()
