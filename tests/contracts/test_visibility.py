"""Nothing unpublished and no internal annotation reaches an anonymous visitor: not in
any page, not in any htmx partial, not in counts, choices or related links."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from incidents.models import ClaimRelation, Incident, Statement
from tests import factories as f
from tests.incidents.test_pages import Scene

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}
SECRETS = (
    "DRAFT-WORDS",
    "SECRET-NOTE",
    "HIDDEN-INCIDENT",
    "HIDDEN-STATEMENT",
    "DRAFT-SOURCE-TITLE",
    "Hidden Hill",
    "hidden-hill",
)


class HiddenWorld(Scene):
    """Scene() (with its draft statement and internal note) plus a draft incident with a
    statement that was itself published, a source quoted only by a draft statement, and
    a place used only by the draft incident, related to the public incident."""

    def __init__(self) -> None:
        super().__init__()
        w = self.w
        self.hidden = f.incident(w.conflict, "HIDDEN-INCIDENT at the ford", published=False)
        self.hidden.places.add(f.place("Hidden Hill", "hidden-hill"))
        self.hidden.related.add(self.incident)
        self.hidden_statement = f.statement(self.hidden, w.south_mfa, "HIDDEN-STATEMENT words.")
        self.hidden_note = f.annotation(self.hidden_statement, "words", body="SECRET-NOTE too")
        self.draft_source = f.source("DRAFT-SOURCE-TITLE", text="DRAFT-WORDS never to be public.")
        self.draft.source, self.draft.source_start, self.draft.source_end = (
            self.draft_source,
            0,
            len(self.draft.text),
        )
        self.draft.save()
        Statement.objects.filter(pk=self.draft.pk).update(quote_verified=False)
        # A relation from the draft's claim to a public claim must not show its words.
        draft_claim = f.claim(self.draft, w.point, "DRAFT-WORDS")
        ClaimRelation.objects.create(
            from_claim=draft_claim, to_claim=self.claim_north, kind="denies"
        )
        # A public statement quoting the draft source would make it public: none does.


def public_urls(h: HiddenWorld) -> list[str]:
    w = h.w
    detail = f"/incidents/{h.incident.slug}/"
    return [
        "/",
        "/incidents/",
        "/incidents/?party=northland",
        "/incidents/?party=southland",
        f"/incidents/?conflict={w.conflict.slug}",
        "/incidents/?date_from=2000-01-01",
        detail,
        detail + "?tab=timeline",
        detail + "?tab=sources",
        detail + "?party=northland",
        detail + "?party=northland&tab=timeline",
        detail + f"?point={h.w.point.pk}",
        f"/statements/{w.north_says.pk}/",
        f"/statements/{w.south_says.pk}/",
        f"/statements/{h.withdrawn.pk}/",
        f"/actors/{w.north_mod.slug}/",
        f"/actors/{w.south_mfa.slug}/",
        "/parties/northland/",
        "/parties/southland/",
        "/parties/league/",
        f"/sources/{h.src.pk}/",
    ]


def test_anonymous_never_sees_drafts_or_internal_notes_in_any_page_or_partial():
    h = HiddenWorld()
    client = Client()
    for url in public_urls(h):
        for headers in ({}, HX):
            r = client.get(url, headers=headers)
            assert r.status_code == 200, url
            html = r.content.decode()
            for secret in SECRETS:
                assert secret not in html, (url, headers, secret)
            assert "Draft — not public" not in html, url
            assert "Internal — analysts and editors only" not in html, url
            assert "Quote not found in source" not in html, url


def test_hidden_objects_are_404_for_anonymous_full_and_partial():
    h = HiddenWorld()
    client = Client()
    for url in (
        f"/incidents/{h.hidden.slug}/",
        f"/incidents/{h.hidden.slug}/?tab=timeline",
        f"/incidents/{h.hidden.slug}/?tab=sources",
        f"/statements/{h.draft.pk}/",
        f"/statements/{h.hidden_statement.pk}/",
        f"/sources/{h.draft_source.pk}/",
    ):
        for headers in ({}, HX):
            r = client.get(url, headers=headers)
            assert r.status_code == 404, url
            assert "HIDDEN" not in r.content.decode() and "DRAFT" not in r.content.decode()


def test_counts_leave_out_what_the_public_cannot_see():
    h = HiddenWorld()
    client = Client()
    # Public statements: north, south, league, unassigned, withdrawn = 5 (the draft is left out).
    listing = client.get("/incidents/").content.decode()
    assert "5 statements" in listing and "6 statements" not in listing
    assert "1 incident" in listing
    detail = client.get(f"/incidents/{h.incident.slug}/").content.decode()
    assert "5 statements from 1 source" in detail
    # South's card counts only its public note.
    assert "1 note" in detail and "2 notes" not in detail
    party = client.get("/parties/northland/", headers=HX).content.decode()
    assert "Statements (2)" in party  # north_says and the withdrawn one, not the draft
    # A place used only by a draft incident is not offered as a filter choice.
    assert 'value="hidden-hill"' not in listing
    assert 'value="river-crossing"' in listing


def test_filter_choices_are_kept_apart_per_audience_and_follow_edits(analyst_client):
    """The list's filter choices are cached per content generation (incidents.forms.
    filter_choices): an analyst's choices, which include drafts' places, must never be
    served to the public, and publishing must add the place at once."""
    h = HiddenWorld()
    assert 'value="hidden-hill"' in analyst_client.get("/incidents/").content.decode()
    public = Client()
    assert 'value="hidden-hill"' not in public.get("/incidents/").content.decode()
    # The public's choices are now cached too; a publish must replace them.
    h.hidden.status = Incident.Status.PUBLISHED
    h.hidden.save()
    assert 'value="hidden-hill"' in public.get("/incidents/").content.decode()
    # A renamed conflict shows its new name at once.
    h.incident.conflict.name = "Renamed conflict"
    h.incident.conflict.save()
    assert "Renamed conflict</option>" in public.get("/incidents/").content.decode()


def test_party_filter_does_not_reveal_draft_incidents():
    h = HiddenWorld()
    html = Client().get("/incidents/?party=southland", headers=HX).content.decode()
    assert h.incident.title in html and "HIDDEN-INCIDENT" not in html
    assert re.search(r">\s*1 incident matching", html)


def test_analysts_see_what_the_public_does_not(analyst_client):
    h = HiddenWorld()
    assert analyst_client.get(f"/incidents/{h.hidden.slug}/").status_code == 200
    detail = analyst_client.get(f"/incidents/{h.incident.slug}/").content.decode()
    assert "DRAFT-WORDS" in detail and "HIDDEN-INCIDENT" in detail  # related, marked draft
    frag = analyst_client.get(f"/statements/{h.w.south_says.pk}/", headers=HX).content.decode()
    assert "SECRET-NOTE" in frag
    assert analyst_client.get(f"/sources/{h.draft_source.pk}/").status_code == 200
    assert "hidden-hill" in analyst_client.get("/incidents/").content.decode()


def test_publishing_makes_an_incident_public_and_unpublishing_hides_it_again():
    h = HiddenWorld()
    client = Client()
    url = f"/incidents/{h.hidden.slug}/"
    assert client.get(url).status_code == 404
    h.hidden.publish()
    html = client.get(url).content.decode()
    assert "HIDDEN-STATEMENT" in html
    Incident.objects.filter(pk=h.hidden.pk).update(status=Incident.Status.DRAFT)
    assert client.get(url).status_code == 404
    assert client.get(f"/statements/{h.hidden_statement.pk}/", headers=HX).status_code == 404


class DraftOnlySpeakers:
    """World() plus a speaker and a party heard only in draft statements, and a
    conflict whose only incident is a draft (what imports create all the time)."""

    def __init__(self) -> None:
        w = self.w = f.World()
        self.ghost = f.actor("Ghost Spokesman", w.north, role="Ghost role", aliases=["Ghosty"])
        f.statement(w.incident, self.ghost, "Words still in draft.", published=False)
        self.observer = f.party("Observer Union", "observer-union")
        w.conflict.third_parties.add(self.observer)
        self.observer_voice = f.actor("Observer voice", self.observer)
        f.statement(w.incident, self.observer_voice, "Draft reaction.", published=False)
        self.quiet_side = f.party("Quietland", "quietland")
        self.quiet = f.conflict("Quiet–North", [self.quiet_side, w.north])
        f.incident(self.quiet, "Drafted incident", published=False)


def test_a_speaker_known_only_from_drafts_is_not_public(analyst_client):
    d = DraftOnlySpeakers()
    public = Client()
    assert public.get(f"/actors/{d.ghost.slug}/").status_code == 404
    party_page = public.get("/parties/northland/").content.decode()
    assert "Ghost" not in party_page and d.w.north_mod.name in party_page
    assert public.get(f"/api/actors/{d.ghost.slug}/").status_code == 404
    # Analysts see the speaker, on both pages.
    assert analyst_client.get(f"/actors/{d.ghost.slug}/").status_code == 200
    assert "Ghost Spokesman" in analyst_client.get("/parties/northland/").content.decode()


def test_parties_and_conflicts_known_only_from_drafts_are_not_listed():
    d = DraftOnlySpeakers()
    public = Client()
    assert public.get("/parties/observer-union/").status_code == 404
    assert public.get("/parties/quietland/").status_code == 404
    # A side of a public conflict is public even before it has spoken (its column).
    assert public.get("/parties/southland/").status_code == 200
    listing = public.get("/incidents/").content.decode()
    for hidden in ("Observer Union", "Quietland", "Quiet–North"):
        assert hidden not in listing, hidden
    assert "Quiet–North" not in public.get("/parties/northland/").content.decode()
    assert "Quiet–North" not in public.get("/analysis/").content.decode()
    parties = public.get("/api/parties/").json()
    assert {p["slug"] for p in parties["results"]} == {"northland", "southland", "league"}
    north = public.get("/api/parties/northland/").json()
    assert [c["slug"] for c in north["side_in"]] == [d.w.conflict.slug]
    detail = public.get(f"/api/incidents/{d.w.incident.slug}/").json()
    assert [p["slug"] for p in detail["third_parties"]] == ["league"]
    assert public.get(f"/api/feeds/incidents/?conflict={d.quiet.slug}").status_code == 404


def test_pages_showing_drafts_to_signed_in_users_are_private(analyst_client):
    h = HiddenWorld()
    url = f"/incidents/{h.incident.slug}/"
    response = analyst_client.get(url)
    assert "DRAFT-WORDS" in response.content.decode()
    assert "private" in response["Cache-Control"]
    for other in ("/incidents/", f"/statements/{h.draft.pk}/", "/api/incidents/"):
        assert "private" in analyst_client.get(other)["Cache-Control"], other
    assert "private" not in Client().get(url).get("Cache-Control", "")
