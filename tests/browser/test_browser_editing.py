"""In a real browser: an editor signs in, selects words in a statement, annotates
them (internal) and assigns them to a point, and publishes the statement; then an
anonymous visitor does not see the internal note and an analyst does."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from incidents.models import Annotation, Claim, Statement
from tests import factories as f
from tests.conftest import make_user

NOTE = "Internal: Southland's ministry has not confirmed any repair work"


@pytest.fixture
def roles(transactional_db):
    """Transactional tests flush the database, groups made by the migration included:
    make them here and again afterwards, for the tests that follow."""
    create_roles = importlib.import_module("accounts.migrations.0002_roles").create_roles
    create_roles(apps, None)
    yield
    create_roles(apps, None)


def select_words(page, words: str) -> None:
    """Select `words` inside the statement's text the way a mouse drag does, then
    release the mouse (selection.js listens for mouseup)."""
    page.evaluate(
        """(words) => {
          const root = document.querySelector('[data-span-text]');
          const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
          let node;
          while ((node = walker.nextNode())) {
            const at = node.data.indexOf(words);
            if (at !== -1) {
              const range = document.createRange();
              range.setStart(node, at);
              range.setEnd(node, at + words.length);
              const sel = window.getSelection();
              sel.removeAllRanges();
              sel.addRange(range);
              root.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
              return;
            }
          }
          throw new Error('words not found: ' + words);
        }""",
        words,
    )


def sign_in(page, live_server, username: str, next_url: str) -> None:
    page.goto(f"{live_server.url}{reverse('accounts:login')}?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", f"{username}-pass-123!")
    page.click("form button[type=submit]:has-text('Sign in')")
    page.wait_for_url(f"{live_server.url}{next_url}")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_editor_annotates_claims_and_publishes(live_server, browser, roles):
    editor = make_user("eddie_editor", "editor")
    make_user("anna_analyst", "analyst")
    world = f.World()
    statement = f.statement(
        world.incident,
        world.north_mod,
        "Our engineers were repairing a bridge on our own bank when they were seized.",
        published=False,
    )
    spans_url = reverse("editing:statement_spans", args=[statement.pk])

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.on("pageerror", lambda error: console.append(str(error)))
    sign_in(page, live_server, "eddie_editor", spans_url)

    # 1. Select words and annotate them, internal only.
    select_words(page, "repairing a bridge")
    annotate = page.locator("form[action$='/annotations/new/']")
    assert annotate.locator("[name=span_quote]").input_value() == "repairing a bridge"
    at = statement.text.index("repairing a bridge")
    assert annotate.locator("[name=span_start]").input_value() == str(at)
    assert page.locator("[data-selection-status]").inner_text().startswith("Selected:")
    annotate.locator("[name=tag]").select_option("unverified")
    annotate.locator("[name=body]").fill(NOTE)
    annotate.locator("[name=visibility][value=internal]").check()
    annotate.locator("button[type=submit]").click()
    mark = page.locator("[data-span-text] mark.hl-internal")
    mark.wait_for()
    assert mark.inner_text() == "repairing a bridge"
    # Keyboard focus on the highlight shows the note.
    mark.focus()
    assert NOTE in page.locator(".hl-popover").inner_text()

    # 2. Select other words and assign them to the point of contention; the grid
    #    of the incident updates in place, without a page load.
    page.evaluate("window.__sameDocument = true")
    # Note numbers inside the text (data-span-skip) do not shift the offsets.
    page.evaluate(
        """() => {
          const sup = document.createElement('sup');
          sup.setAttribute('data-span-skip', '');
          sup.textContent = '12';
          document.querySelector('[data-span-text] mark').appendChild(sup);
        }"""
    )
    select_words(page, "on our own bank")
    claim_form = page.locator("form[action$='/claims/new/']")
    at = statement.text.index("on our own bank")
    assert claim_form.locator("[name=span_start]").input_value() == str(at)
    assert claim_form.locator("[name=span_end]").input_value() == str(at + len("on our own bank"))
    claim_form.locator("[name=point]").select_option(str(world.point.pk))
    claim_form.locator("button[type=submit]").click()
    page.locator("#points-grid .grid-claim:has-text('on our own bank')").wait_for()
    assert page.evaluate("window.__sameDocument") is True

    # 3. Publish the statement (htmx, in place).
    page.locator(".statement-tools button:has-text('Publish')").first.click()
    page.locator(".statement-tools .badge-published").first.wait_for()
    assert page.evaluate("window.__sameDocument") is True
    # Nothing the Content Security Policy refused, no script errors.
    assert not [m for m in console if "Content Security Policy" in m or "Error" in m], console
    context.close()

    statement.refresh_from_db()
    assert statement.status == Statement.Status.PUBLISHED
    note = Annotation.objects.get(statement=statement)
    assert (note.quote, note.visibility, note.author) == ("repairing a bridge", "internal", editor)
    claim = Claim.objects.get(statement=statement)
    assert (claim.quote, claim.point) == ("on our own bank", world.point)
    assert statement.text[note.start : note.end] == "repairing a bridge"

    # 4. The public statement page: the words, but not the internal note.
    public = browser.new_context()
    anon = public.new_page()
    anon.goto(live_server.url + statement.get_absolute_url())
    body = anon.locator("main").inner_text()
    assert "repairing a bridge" in body
    assert NOTE not in anon.content()
    public.close()

    # 5. An analyst sees it, marked as internal.
    ctx = browser.new_context()
    analyst_page = ctx.new_page()
    sign_in(analyst_page, live_server, "anna_analyst", statement.get_absolute_url())
    assert NOTE in analyst_page.locator("main").inner_text()
    assert analyst_page.locator(".badge-internal").count() >= 1
    ctx.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_annotating_with_the_keyboard_only(live_server, page, roles):
    make_user("eddie_editor", "editor")
    world = f.World()
    s = world.south_says  # "An armed group crossed the river to lay mines."
    sign_in(page, live_server, "eddie_editor", reverse("editing:statement_spans", args=[s.pk]))
    form = page.locator("form[action$='/annotations/new/']")
    form.locator("[name=span_quote]").focus()
    page.keyboard.type("An armed group")
    page.keyboard.press("Tab")  # to the tag
    form.locator("[name=tag]").select_option("loaded_language")
    form.locator("[name=body]").focus()
    page.keyboard.type("Northland calls them engineers.")
    form.locator("button[type=submit]").focus()
    page.keyboard.press("Enter")
    mark = page.locator("[data-span-text] mark")
    mark.wait_for()
    assert mark.inner_text() == "An armed group"
    page.keyboard.press("Escape")
    note = Annotation.objects.get(statement=s)
    assert (note.start, note.end, note.tag) == (0, 14, "loaded_language")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_annotating_from_the_public_statement_page(live_server, page, roles):
    """The editor's tools in an expanded statement card: select words in the card's
    text, open the forms (loaded by htmx), annotate; the page comes back with it."""
    make_user("eddie_editor", "editor")
    world = f.World()
    s = world.north_says
    pub = Annotation(
        statement=s, tag="disputed", body="Southland disputes the repair.", visibility="public"
    )
    pub.set_span(s.text, s.text.index("repairing"), s.text.index("repairing") + 9)
    pub.save()
    sign_in(page, live_server, "eddie_editor", s.get_absolute_url())
    page.locator(".statement-tools details.span-tools summary").click()
    form = page.locator(".span-tools form[action$='/annotations/new/']")
    form.wait_for()
    select_words(page, "when it was seized")  # after a note number inside the text
    at = s.text.index("when it was seized")
    assert form.locator("[name=span_start]").input_value() == str(at)
    form.locator("[name=tag]").select_option("loaded_language")
    form.locator("[name=body]").fill("'Seized' is Northland's word.")
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}{s.get_absolute_url()}#statement-{s.pk}")
    assert "'Seized' is Northland's word." in page.locator("main").inner_text()
    note = Annotation.objects.get(statement=s, tag="loaded_language")
    assert (note.start, note.quote) == (at, "when it was seized")
