"""Issue 11, points 2, 3 and 5 without a browser: every id on a page is unique (a
statement shown in several rows of the grid has one set of tools per card), the
editor's tools offer only what will succeed, and a card opened on the comparison page
has a URL that shows it open again."""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from imports.models import ImportDraft
from incidents.models import Statement
from tests import factories as f
from tests.incidents.test_pages import Scene

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: Counter[str] = Counter()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "id" and value:
                self.ids[value] += 1


def duplicate_ids(html: str) -> list[str]:
    parser = _Ids()
    parser.feed(html)
    return sorted(i for i, n in parser.ids.items() if n > 1)


def scene_in_several_rows() -> Scene:
    """Northland's statement answers both points: it shows in two rows of the grid."""
    s = Scene()
    f.claim(s.w.north_says, s.point2, "when it was seized")
    return s


def test_no_duplicate_id_on_the_comparison_page_as_editor(editor_client):
    s = scene_in_several_rows()
    north = s.w.north_says
    url = s.incident.get_absolute_url()
    html = editor_client.get(url).content.decode()
    claim_keys = [f"claim-{pk}" for pk in north.claims.values_list("pk", flat=True)]
    assert len(claim_keys) == 2
    for key in claim_keys:  # both cards, each with its own tools
        assert f'id="{key}-tools"' in html and f'id="{key}-withdraw-reason"' in html
    assert duplicate_ids(html) == []
    # Opened cards, the timeline, the statement page: unique too.
    for page in (
        f"{url}?card={claim_keys[1]}",
        f"{url}?tab=timeline",
        f"{url}?tab=sources",
        north.get_absolute_url(),
        f"{north.get_absolute_url()}?card={claim_keys[0]}",
    ):
        assert duplicate_ids(editor_client.get(page).content.decode()) == [], page


def test_no_duplicate_id_on_the_import_review(editor_client):
    w = f.World()
    text = (
        "Northland's Defence Ministry said the patrol was repairing a bridge. "
        "Southland's Foreign Ministry said the patrol was laying mines."
    )
    item = {
        "speaker": "Northland's Defence Ministry",
        "speaker_surface": "Northland's Defence Ministry",
        "party": w.north.slug,
        "text": "the patrol was repairing a bridge",
        "kind": "reported",
        "statement_type": "other",
        "start": 45,
        "end": 67,
        "sentence_start": 0,
        "sentence_end": 67,
        "decision": "",
    }
    draft = ImportDraft.objects.create(
        text=text, proposals={"statements": [item, {**item, "party": w.south.slug}]}
    )
    html = editor_client.get(reverse("imports:review", args=[draft.pk])).content.decode()
    assert 'id="proposal-0-speaker"' in html and 'id="proposal-1-speaker"' in html
    assert 'for="proposal-1-speaker"' in html
    assert duplicate_ids(html) == []


def test_tools_of_the_clicked_card_come_back_with_the_other_cards_out_of_band(editor_client):
    s = scene_in_several_rows()
    north = s.w.north_says
    first, second = (
        f"claim-{pk}" for pk in north.claims.order_by("pk").values_list("pk", flat=True)
    )
    response = editor_client.post(
        reverse("editing:statement_withdraw", args=[north.pk]),
        # What the tools' hx-include sends: the keys of the statement's cards on the page.
        {
            "reason": "Mis-attributed.",
            "card": second,
            "shown": [first, second, f"statement-{north.pk}", "claim-999999"],
        },
        headers=HX,
    )
    html = response.content.decode()
    # The clicked card's tools first, swapped where the click happened ...
    assert html.index(f'id="{second}-tools"') < html.index(f'id="{first}-tools"')
    assert f'id="{second}-tools">' in html
    # ... and the statement's other cards updated out of band.
    assert f'id="{first}-tools" hx-swap-oob="outerHTML"' in html
    assert f'id="statement-{north.pk}-tools" hx-swap-oob="outerHTML"' in html
    assert html.count("badge-withdrawn") == 3
    assert "claim-999999" not in html  # not one of this statement's cards
    # A made-up key is ignored, not echoed.
    response = editor_client.post(
        reverse("editing:statement_publish", args=[north.pk]),
        {"action": "publish", "card": '"><script>'},
        headers=HX,
    )
    assert "<script>" not in response.content.decode()


def test_no_unpublish_button_where_unpublishing_is_refused(editor_client):
    w = f.World()
    # Published statement of a public incident: withdraw only.
    html = editor_client.get(w.north_says.get_absolute_url()).content.decode()
    tools = html[html.index('class="statement-tools"') :]
    assert 'value="unpublish"' not in tools and "Withdraw…" in tools
    # Of a draft incident: unpublishing is allowed, and offered.
    draft = f.incident(w.conflict, "Draft incident", published=False)
    s = f.statement(draft, w.north_mod, "Said before publication.")
    html = editor_client.get(s.get_absolute_url()).content.decode()
    assert 'value="unpublish"' in html
    response = editor_client.post(
        reverse("editing:statement_publish", args=[s.pk]), {"action": "unpublish"}
    )
    assert response.status_code == 302
    s.refresh_from_db()
    assert s.status == Statement.Status.DRAFT


def test_secondary_and_destructive_buttons_are_styled_alike_everywhere(editor_client):
    """One stylesheet rule for .secondary and .danger buttons, loaded on every page,
    and the destructive actions use it."""
    from pathlib import Path

    css = Path("static/css/parallax.css").read_text()
    assert re.search(r"^button\.secondary \{", css, re.M)
    assert re.search(r"^button\.danger \{", css, re.M)
    editing_css = Path("static/css/editing.css").read_text()
    assert "button.secondary" not in editing_css and "button.danger" not in editing_css
    review = Path("templates/imports/review.html").read_text()
    assert 'value="dropped" class="secondary"' in review
    assert 'class="danger">Discard this import' in review
    s = scene_in_several_rows()
    html = editor_client.get(s.incident.get_absolute_url()).content.decode()
    assert 'class="danger">Withdraw</button>' in html


def test_an_opened_card_url_shows_the_card_open(client):
    s = scene_in_several_rows()
    key = f"claim-{s.claim_south.pk}"
    url = f"{s.incident.get_absolute_url()}?card={key}"
    html = client.get(url).content.decode()
    # The comparison page, with that card open in place (full text, source, notes).
    assert '<h1 id="incident-title">' in html
    card = re.search(rf'<article class="statement-card[^"]*is-expanded[^"]*"\s+id="{key}"', html)
    assert card, "the card is not open"
    assert "Only Southland says so." in html  # its public note
    assert "SECRET-NOTE" not in html
    # Other cards stay closed.
    assert html.count("is-expanded") == 1
    # Bad or foreign keys show the page as usual.
    for bad in ("claim-999999", "statement-0", "nonsense", f"statement-{s.draft.pk}"):
        html = client.get(f"{s.incident.get_absolute_url()}?card={bad}").content.decode()
        assert "is-expanded" not in html and "DRAFT-WORDS" not in html, bad


def test_a_draft_card_never_opens_for_the_public(client, editor):
    s = Scene()
    url = f"{s.incident.get_absolute_url()}?card=statement-{s.draft.pk}"
    assert "DRAFT-WORDS" not in client.get(url).content.decode()
    c = Client()
    c.force_login(editor)
    html = c.get(url).content.decode()
    assert "DRAFT-WORDS" in html and "is-expanded" in html


def test_the_expanded_fragment_keeps_the_card_id(client):
    s = Scene()
    key = f"claim-{s.claim_north.pk}"
    html = client.get(
        f"{s.w.north_says.get_absolute_url()}?card={key}", headers=HX
    ).content.decode()
    assert "<html" not in html
    assert re.search(rf'class="statement-card[^"]*is-expanded[^"]*"\s+id="{key}"', html)


def test_no_duplicate_id_on_the_editor_pages(editor_client):
    s = scene_in_several_rows()
    north = s.w.north_says
    for url in (
        reverse("editing:index"),
        reverse("editing:incident_edit", args=[s.incident.slug]),
        reverse("editing:points", args=[s.incident.slug]),
        reverse("editing:statement_edit", args=[north.pk]),
        reverse("editing:statement_spans", args=[north.pk]),
        reverse("editing:history", args=["statement", north.pk]),
        reverse("editing:source_edit", args=[s.src.pk]),
    ):
        html = editor_client.get(url).content.decode()
        assert duplicate_ids(html) == [], url


def test_no_duplicate_id_in_a_card_with_the_editor_span_forms(editor_client):
    s = scene_in_several_rows()
    north = s.w.north_says
    key = f"claim-{s.claim_north.pk}"
    comparison = f"http://testserver{s.incident.get_absolute_url()}?card={key}"
    page = editor_client.get(f"{s.incident.get_absolute_url()}?card={key}").content.decode()
    forms = editor_client.get(
        reverse("editing:statement_spans", args=[north.pk]) + f"?part=forms&card={key}",
        headers={**HX, "HX-Current-URL": comparison},
    ).content.decode()
    # The forms are loaded into the open card: the page and the forms together.
    assert duplicate_ids(page + forms) == []
