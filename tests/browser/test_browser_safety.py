"""In Chromium: a selection after emoji and other characters beyond U+FFFF is stored
on the words selected (the browser counts UTF-16 units, the server characters),
and an editor sees the message when an htmx save is refused (400/409/503)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from incidents.models import Annotation
from tests import factories as f
from tests.browser.test_browser_editing import roles, sign_in  # noqa: F401 (fixture)
from tests.conftest import make_user

# Astral characters before the words: an emoji, a flag (two of them), a math letter.
TEXT = "Residents saw 🚁 helicopters, 🇦🇲 flags and 𝒳 marks; later the helicopters left."


def select_occurrence(page, words: str, occurrence: int) -> None:
    """Select the n-th occurrence of `words` in the statement's text (mouse-like)."""
    page.evaluate(
        """([words, occurrence]) => {
          const root = document.querySelector('[data-span-text]');
          const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
          let node, seen = 0;
          while ((node = walker.nextNode())) {
            let at = node.data.indexOf(words);
            while (at !== -1) {
              if (seen === occurrence) {
                const range = document.createRange();
                range.setStart(node, at);
                range.setEnd(node, at + words.length);
                const sel = window.getSelection();
                sel.removeAllRanges();
                sel.addRange(range);
                root.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
                return;
              }
              seen++;
              at = node.data.indexOf(words, at + 1);
            }
          }
          throw new Error('words not found: ' + words);
        }""",
        [words, occurrence],
    )


@pytest.fixture
def spans_page(live_server, page, roles):  # noqa: F811 (the imported fixture)
    make_user("eddie_editor", "editor")
    world = f.World()
    statement = f.statement(world.incident, world.north_mod, TEXT, published=False)
    url = reverse("editing:statement_spans", args=[statement.pk])
    sign_in(page, live_server, "eddie_editor", url)
    return page, statement


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_selection_after_emoji_is_stored_on_the_selected_words(spans_page):
    page, statement = spans_page
    select_occurrence(page, "helicopters", 1)
    form = page.locator("form[action$='/annotations/new/']")
    second = TEXT.index("helicopters", TEXT.index("helicopters") + 1)
    # What Python counts, not what the browser counts (4 more: 🚁 one, 🇦🇲 two, 𝒳 one).
    assert form.locator("[name=span_start]").input_value() == str(second)
    assert form.locator("[name=span_end]").input_value() == str(second + len("helicopters"))
    assert str(second) in page.locator("[data-selection-status]").inner_text()
    form.locator("[name=tag]").select_option("context")
    form.locator("[name=body]").fill("Which helicopters?")
    form.locator("button[type=submit]").click()
    page.locator("[data-span-text] mark").first.wait_for()
    note = Annotation.objects.get(statement=statement)
    assert (note.start, note.end, note.quote) == (second, second + 11, "helicopters")
    assert TEXT[note.start : note.end] == "helicopters"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("status", "body", "shown"),
    [
        (503, "<html>…</html>", "database cannot be reached"),
        (409, "Another save collided with this one and nothing was saved.", "collided"),
        (400, "The parameter 'q' contains a NUL character.", "NUL character"),
    ],
)
def test_an_editor_sees_why_an_htmx_save_was_refused(spans_page, status, body, shown):
    page, statement = spans_page
    content_type = "text/html" if status == 503 else "text/plain; charset=utf-8"
    page.route(
        "**/annotations/new/",
        lambda route: route.fulfill(status=status, body=body, content_type=content_type),
    )
    select_occurrence(page, "flags", 0)
    form = page.locator("form[action$='/annotations/new/']")
    form.locator("[name=tag]").select_option("context")
    form.locator("button[type=submit]").click()
    alert = page.locator("#htmx-error")
    alert.wait_for()
    assert shown in alert.inner_text()
    assert alert.get_attribute("role") == "alert"
    assert not Annotation.objects.filter(statement=statement).exists()
