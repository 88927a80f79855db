"""Issue 11 in a real browser: ids are unique in the live DOM (as an editor, with a
statement in several rows, after opening a card and its editing forms), the editor's
tools act on the card that was clicked, every pushed URL shows the same view when
reloaded, and in-page jumps land below the sticky "X says" bar, outlined."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.urls import reverse
from playwright.sync_api import expect

from imports.models import ImportDraft
from incidents.models import ClaimRelation, Statement
from tests import factories as f
from tests.browser.test_browser_editing import sign_in
from tests.conftest import make_user
from tests.incidents.test_pages import Scene

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DUPLICATE_IDS = """() => {
  const seen = {};
  document.querySelectorAll('[id]').forEach((el) => { seen[el.id] = (seen[el.id] || 0) + 1; });
  return Object.keys(seen).filter((id) => seen[id] > 1);
}"""


@pytest.fixture
def roles(transactional_db):
    create_roles = importlib.import_module("accounts.migrations.0002_roles").create_roles
    create_roles(apps, None)
    yield
    create_roles(apps, None)


def axe_findings(page, impacts=("serious", "critical")) -> list:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        (v["id"], [n["target"] for n in v["nodes"]][:3])
        for v in results.response["violations"]
        if v["impact"] in impacts or v["id"] == "duplicate-id"
    ]


def two_row_scene() -> Scene:
    s = Scene()
    f.claim(s.w.north_says, s.point2, "when it was seized")
    return s


def test_editor_tools_act_on_the_clicked_card_and_ids_stay_unique(live_server, browser, roles):
    make_user("eddie_editor", "editor")
    s = two_row_scene()
    north = s.w.north_says
    first, second = (
        f"claim-{pk}" for pk in north.claims.order_by("pk").values_list("pk", flat=True)
    )
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, live_server, "eddie_editor", s.incident.get_absolute_url())
    assert page.evaluate(DUPLICATE_IDS) == []
    assert axe_findings(page) == []
    page.evaluate("window.__stillHere = true")

    # Withdraw from the second row's card: that card's tools answer, and the first
    # row's copy of the same statement shows the new status too.
    card = page.locator(f"#{second}")
    card.locator("summary:has-text('Withdraw')").click()
    card.get_by_label("Reason (shown to the public)").fill("Attributed to the wrong ministry.")
    card.locator("button:has-text('Withdraw')").click()
    expect(card.locator(".statement-tools .badge-withdrawn")).to_be_visible()
    expect(card.locator(".statement-tools")).to_contain_text("The statement is withdrawn")
    expect(page.locator(f"#{first} .statement-tools .badge-withdrawn")).to_be_visible()
    expect(page.locator(f"#{first} .statement-tools")).not_to_contain_text("is withdrawn")
    assert page.evaluate("window.__stillHere") is True
    north.refresh_from_db()
    assert north.status == Statement.Status.WITHDRAWN

    # Open the second card and its editing forms: still no duplicate id.
    card.locator("a.expand").click()
    opened = page.locator(f"article#{second}.is-expanded")
    expect(opened).to_be_visible()
    opened.locator("details.span-tools summary").click()
    expect(opened.locator("form[action$='/annotations/new/']")).to_be_visible()
    assert page.evaluate(DUPLICATE_IDS) == []
    assert axe_findings(page) == []
    context.close()


def test_saving_an_annotation_in_a_card_returns_to_the_card(live_server, browser, roles):
    make_user("eddie_editor", "editor")
    s = two_row_scene()
    key = f"claim-{s.claim_south.pk}"
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, live_server, "eddie_editor", s.incident.get_absolute_url())
    page.locator(f"#{key} a.expand").click()
    opened = page.locator(f"article#{key}.is-expanded")
    expect(opened).to_be_visible()
    opened.locator("details.span-tools summary").click()
    form = opened.locator("form[action$='/annotations/new/']")
    form.locator("[name=span_quote]").fill("lay mines")
    form.locator("[name=tag]").select_option("context")
    form.locator("[name=body]").fill("Mines, says Southland only.")
    form.locator("button[type=submit]").click()
    detail = f"{live_server.url}{s.incident.get_absolute_url()}"
    page.wait_for_url(f"{detail}?card={key}#{key}")
    opened = page.locator(f"article#{key}.is-expanded")
    expect(opened).to_contain_text("Mines, says Southland only.")
    expect(page.locator("h1")).to_have_text(s.incident.title)
    context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_every_pushed_url_reloaded_shows_the_same_view(live_server, browser, width):
    s = Scene()
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    detail = f"{live_server.url}{s.incident.get_absolute_url()}"
    page.goto(detail)
    pushed: list[str] = []

    def snapshot() -> tuple:
        return (
            page.title(),
            page.locator("h1").inner_text(),
            page.locator("#incident-view").inner_text(),
        )

    def check_reload() -> None:
        url = page.url
        pushed.append(url)
        before = snapshot()
        page.reload()
        assert page.url == url
        assert snapshot() == before, url

    # A tab, a filter, an opened card: each pushes a URL.
    page.get_by_role("link", name="Timeline").click()
    expect(page).to_have_url(f"{detail}?tab=timeline")
    check_reload()
    page.locator(".tabs").get_by_role("link", name="Points of contention").click()
    expect(page.locator("#points-grid")).to_be_visible()
    check_reload()
    page.get_by_label("Point of contention").select_option(str(s.point2.pk))
    expect(page).to_have_url(f"{detail}?tab=grid&point={s.point2.pk}&party=")
    check_reload()
    page.goto(detail)
    key = f"claim-{s.claim_south.pk}"
    page.locator(f"#{key} a.expand").click()
    expect(page.locator(f"article#{key}.is-expanded")).to_be_visible()
    expect(page).to_have_url(f"{detail}?card={key}#{key}")
    check_reload()
    # After the reload the opened card is the jump target: outlined, below the top.
    card = page.locator(f"article#{key}")
    expect(card).to_have_class(__import__("re").compile("is-expanded"))
    assert card.evaluate("el => el.matches(':target')")
    assert card.evaluate("el => getComputedStyle(el).outlineStyle") == "solid"
    assert len(pushed) == 4
    context.close()


def test_a_jump_to_the_other_sides_account_lands_below_the_sticky_bar(live_server, browser):
    s = Scene()
    # Enough rows that the target is far above: the bar is stuck at the top then.
    last = s.claim_south
    for n in range(6):
        point = f.point(s.incident, f"Further question {n}", order=2 + n)
        words = "to lay mines"
        last = f.claim(s.w.south_says, point, words)
    ClaimRelation.objects.create(from_claim=last, to_claim=s.claim_north, kind="contradicts")
    context = browser.new_context(viewport={"width": 1280, "height": 600})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}{s.incident.get_absolute_url()}")
    link = page.locator(f"#claim-{last.pk} .claim-relations a")
    link.scroll_into_view_if_needed()
    link.click()
    target = page.locator(f"#claim-{s.claim_north.pk}")
    page.wait_for_function(
        "id => document.getElementById(id).matches(':target')", arg=f"claim-{s.claim_north.pk}"
    )
    bar = page.locator(".grid-head").bounding_box()
    box = target.bounding_box()
    assert bar is not None and box is not None
    assert box["y"] >= bar["y"] + bar["height"], (box, bar)
    assert target.evaluate("el => getComputedStyle(el).outlineStyle") == "solid"
    context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_editor_pages_have_no_serious_axe_findings_nor_duplicate_ids(
    live_server, browser, roles, width
):
    make_user("eddie_editor", "editor")
    s = two_row_scene()
    north = s.w.north_says
    text = "Northland's Defence Ministry said the patrol was repairing a bridge."
    item = {
        "speaker": "Northland's Defence Ministry",
        "speaker_surface": "Northland's Defence Ministry",
        "party": s.w.north.slug,
        "text": "the patrol was repairing a bridge",
        "kind": "reported",
        "statement_type": "other",
        "start": 36,
        "end": 68,
        "sentence_start": 0,
        "sentence_end": 69,
        "decision": "",
    }
    draft = ImportDraft.objects.create(
        text=text,
        proposals={
            "statements": [
                item,
                {**item, "decision": "accepted"},
                {**item, "decision": "dropped"},
            ]
        },
    )
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, live_server, "eddie_editor", reverse("editing:index"))
    failures = {}
    for url in (
        reverse("editing:index"),
        reverse("editing:incident_edit", args=[s.incident.slug]),
        reverse("editing:statement_spans", args=[north.pk]),
        reverse("editing:statement_edit", args=[north.pk]),
        reverse("editing:points", args=[s.incident.slug]),
        reverse("imports:review", args=[draft.pk]),
        s.incident.get_absolute_url(),
    ):
        page.goto(live_server.url + url)
        found = axe_findings(page)
        dupes = page.evaluate(DUPLICATE_IDS)
        if found or dupes:
            failures[url] = (found, dupes)
    context.close()
    assert failures == {}
