"""The anonymous crawl: a draft-only object of every model, every public URL pattern.

Each model of the project gets one object that only drafts know (a speaker heard
only in a draft statement, a conflict whose incidents are all drafts, a place of a
draft incident...), named with the marker DRAFTONLY. Then an anonymous client asks
every public URL pattern of the URLconf, with the public objects and with the
draft-only ones as path parameters and as filters, as a page and as an htmx partial,
and follows every same-site link it finds. No answer may contain the marker, and
every draft-only object's own URL must be a 404.

A model or a URL pattern added without an entry here fails the two coverage tests,
so nobody can add one without deciding how the public crawl covers it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from api.exports import WRITERS
from imports.models import ImportDraft, ImportJob
from incidents.models import (
    Annotation,
    ClaimRelation,
    Conflict,
    ConflictSide,
    PlaceName,
    Statement,
)
from tests import factories as f
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

MARK = "DRAFTONLY"
HX = {"HX-Request": "true"}

# Namespaces that are not public, with the reason; test_permissions covers them.
NOT_PUBLIC_NAMESPACES = {
    "admin": "Django admin, staff only",
    "editing": "editors only (login and role required)",
    "imports": "editors only (login and role required)",
}

# Models that no public URL shows, with the reason; every other model of the
# project's apps must have a draft-only object in DraftOnlyWorld.
NOT_SHOWN = {
    "search.StatementSearch": "an index of statements; search results come from "
    "Statement.visible_to (the draft statement's words are crawled through /search/)",
}


class DraftOnlyWorld:
    """f.World() (published) plus one draft-only object of every model."""

    def __init__(self) -> None:
        w = self.w = f.World()
        self.public_place = f.place("River crossing", "river-crossing")
        w.incident.places.add(self.public_place)
        self.public_source = f.source("Harbour Post report", text=w.north_says.text)
        Statement.objects.filter(pk=w.north_says.pk).update(
            source=self.public_source, source_start=0, source_end=len(w.north_says.text)
        )
        self.public_claim = f.claim(w.north_says, w.point, "repairing a bridge")
        self.public_note = f.annotation(w.north_says, "patrol", body="Public note.")

        # Party and Actor: a third party heard only in a draft statement, and a new
        # speaker of a public party heard only in a draft (the import case).
        self.party = f.party(f"{MARK} Party", "dx-party", aliases=[f"{MARK} alias"])
        w.conflict.third_parties.add(self.party)
        self.party_actor = f.actor(
            f"{MARK} Party Spokesman", self.party, role=f"{MARK} role", slug="dx-spokesman"
        )
        self.actor = f.actor(
            f"{MARK} Actor",
            w.north,
            role=f"{MARK} actor role",
            aliases=[f"{MARK} aka"],
            slug="dx-actor",
        )
        # Source: quoted only by the draft statement.
        self.source = f.source(
            f"{MARK} Source", text=f"{MARK} Statement words, {MARK} Claim words.", publisher=MARK
        )
        # Statement (draft) on the public incident, with a Claim and a ClaimRelation to a
        # public claim, and a public-visibility Annotation (public note, draft statement).
        self.statement = f.quoted_statement(
            w.incident,
            self.actor,
            self.source,
            f"{MARK} Statement words, {MARK} Claim words.",
            published=False,
        )
        f.statement(w.incident, self.party_actor, f"{MARK} third-party words.", published=False)
        self.claim = f.claim(self.statement, w.point, f"{MARK} Claim words")
        self.relation = ClaimRelation.objects.create(
            from_claim=self.claim, to_claim=self.public_claim, kind="denies"
        )
        author = make_user(f"{MARK}_user", "editor")
        author.first_name = MARK
        author.save()
        self.annotation = f.annotation(
            self.statement, "Statement words", body=f"{MARK} Annotation on draft"
        )
        # Annotation: an internal note on a public statement, written by a User.
        self.internal_note = f.annotation(
            w.north_says, "bridge", body=f"{MARK} internal Annotation", public=False
        )
        Annotation.objects.filter(pk=self.internal_note.pk).update(author=author)

        # Conflict and ConflictSide: a conflict whose only incident is a draft, with a
        # side known only from it; Incident, Place, PlaceName, PointOfContention too.
        self.side_party = f.party(f"{MARK} Side", "dx-side")
        self.conflict = Conflict.objects.create(name=f"{MARK} Conflict", slug="dx-conflict")
        ConflictSide.objects.create(conflict=self.conflict, party=self.side_party, order=0)
        ConflictSide.objects.create(conflict=self.conflict, party=w.north, order=1)
        self.side_actor = f.actor(f"{MARK} Side Ministry", self.side_party, slug="dx-ministry")
        self.incident = f.incident(
            self.conflict,
            f"{MARK} Incident",
            published=False,
            date_start=date(2024, 4, 1),
            slug="dx-incident",
        )
        self.incident.summary = f"{MARK} summary"
        self.incident.save()
        f.statement(self.incident, self.side_actor, f"{MARK} side words.")  # published
        self.place = f.place(f"{MARK} Place", "dx-place", names={w.north: f"{MARK} PlaceName"})
        self.incident.places.add(self.place)
        self.draft_point = f.point(self.incident, f"{MARK} Point")
        # A draft incident of the public conflict too, related to the public one.
        self.incident2 = f.incident(
            w.conflict, f"{MARK} Incident two", published=False, slug="dx-incident-2"
        )
        self.incident2.related.add(w.incident)
        f.point(self.incident2, f"{MARK} Point two")

        # Imports: a job and a draft awaiting review.
        job = ImportJob.objects.create(created_by=author, total=1, results=[f"{MARK} job"])
        ImportDraft.objects.create(
            job=job, title=f"{MARK} ImportDraft", text=f"{MARK} import text", proposals={}
        )
        # Which model each object above covers (test_every_model_has_a_draft_only_object).
        self.covered = {
            "incidents.Party": self.party,
            "incidents.Actor": self.actor,
            "incidents.Source": self.source,
            "incidents.Statement": self.statement,
            "incidents.Claim": self.claim,
            "incidents.ClaimRelation": self.relation,
            "incidents.Annotation": self.internal_note,
            "incidents.Conflict": self.conflict,
            "incidents.ConflictSide": ConflictSide.objects.get(party=self.side_party),
            "incidents.Incident": self.incident,
            "incidents.Place": self.place,
            "incidents.PlaceName": PlaceName.objects.get(place=self.place),
            "incidents.PointOfContention": self.draft_point,
            "accounts.User": author,
            "imports.ImportJob": job,
            "imports.ImportDraft": ImportDraft.objects.get(job=job),
        }


def project_models() -> set[str]:
    """Every concrete model of the project's own apps (history tables included under
    their model: they are only shown in the editors' history pages)."""
    labels = set()
    for model in apps.get_models():
        module = model.__module__.split(".")[0]
        if module in {"incidents", "accounts", "imports", "search", "analysis", "api", "ops"}:
            if model.__name__.startswith("Historical"):
                continue
            labels.add(model._meta.label)
    return labels


def public_patterns() -> dict[str, str]:
    """{"namespace:name": route} of every URL pattern outside NOT_PUBLIC_NAMESPACES."""
    found: dict[str, str] = {}

    def walk(resolver: URLResolver, prefix: str, namespace: str | None) -> None:
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                walk(p, prefix + str(p.pattern), p.namespace or namespace)
            elif isinstance(p, URLPattern) and namespace not in NOT_PUBLIC_NAMESPACES:
                found[f"{namespace}:{p.name}"] = prefix + str(p.pattern)

    walk(get_resolver(), "/", None)
    return found


def pattern_urls(d: DraftOnlyWorld) -> dict[str, tuple[list[str], list[str]]]:
    """For each public URL pattern: (URLs about public objects, which must answer,
    URLs about the draft-only objects, which must be 404)."""
    w = d.w
    inc, st = w.incident, w.north_says
    filters = [
        f"party={d.party.slug}",
        f"party={d.side_party.slug}",
        f"conflict={d.conflict.slug}",
        f"actor={d.actor.slug}",
        f"place={d.place.slug}",
        f"incident={d.incident.slug}",
        f"source={d.source.pk}",
        f"point={d.draft_point.pk}",
        # Words of the draft statement, of the draft incident's statement, of both.
        "q=Claim+words",
        "q=side+words",
        "q=words",
    ]

    def listing(path: str) -> list[str]:
        return [path, *(f"{path}?{q}" for q in filters)]

    def r(name: str, *args: Any) -> str:
        return reverse(name, args=args)

    def slugs_404(name: str) -> list[str]:
        return [r(name, s) for s in (d.incident.slug, d.incident2.slug)]

    return {
        "incidents:home": (listing("/"), []),
        "incidents:list": (listing(r("incidents:list")), []),
        "incidents:detail": (
            [
                r("incidents:detail", inc.slug) + q
                for q in ("", "?tab=timeline", "?tab=sources", f"?party={d.party.slug}")
            ],
            slugs_404("incidents:detail"),
        ),
        "incidents:statement_detail": (
            [r("incidents:statement_detail", st.pk)],
            [r("incidents:statement_detail", d.statement.pk)],
        ),
        "incidents:actor_detail": (
            [r("incidents:actor_detail", w.north_mod.slug)],
            [r("incidents:actor_detail", a.slug) for a in (d.actor, d.party_actor, d.side_actor)],
        ),
        "incidents:party_detail": (
            [r("incidents:party_detail", p.slug) for p in (w.north, w.south, w.league)],
            [r("incidents:party_detail", p.slug) for p in (d.party, d.side_party)],
        ),
        "incidents:source_detail": (
            [r("incidents:source_detail", d.public_source.pk)],
            [r("incidents:source_detail", d.source.pk)],
        ),
        "accounts:login": ([r("accounts:login")], []),
        "accounts:logout": ([], []),  # POST only
        "accounts:profile": ([r("accounts:profile")], []),
        "accounts:password_change": ([r("accounts:password_change")], []),
        "accounts:password_change_done": ([r("accounts:password_change_done")], []),
        "accounts:password_reset": ([r("accounts:password_reset")], []),
        "accounts:password_reset_done": ([r("accounts:password_reset_done")], []),
        "accounts:password_reset_confirm": ([r("accounts:password_reset_confirm", "MQ", "x")], []),
        "accounts:password_reset_complete": ([r("accounts:password_reset_complete")], []),
        "search:results": (listing(r("search:results")), []),
        "analysis:index": ([r("analysis:index")], []),
        **{
            f"analysis:{name}": (
                [r(f"analysis:{name}", w.conflict.slug)],
                [r(f"analysis:{name}", d.conflict.slug)],
            )
            for name in ("conflict_timeline", "conflict_leanings", "conflict_terms", "conflict_map")
        },
        **{
            f"analysis:{name}": ([r(f"analysis:{name}", inc.slug)], slugs_404(f"analysis:{name}"))
            for name in ("incident_framing", "incident_figures")
        },
        "api:index": ([r("api:index")], []),
        **{
            f"api:{name}": (listing(r(f"api:{name}")), [])
            for name in (
                "incident_list",
                "statement_list",
                "actor_list",
                "party_list",
                "source_list",
                "annotation_collection",
            )
        },
        "api:incident_detail": (
            [r("api:incident_detail", inc.slug)],
            slugs_404("api:incident_detail"),
        ),
        "api:incident_annotations": (
            [r("api:incident_annotations", inc.slug)],
            slugs_404("api:incident_annotations"),
        ),
        **{
            f"api:{name}": ([r(f"api:{name}", st.pk)], [r(f"api:{name}", d.statement.pk)])
            for name in (
                "statement_detail",
                "statement_annotations",
                "statement_claim",
                "statement_text",
            )
        },
        "api:openapi": ([r("api:openapi")], []),
        "api:actor_detail": (
            [r("api:actor_detail", w.north_mod.slug)],
            [r("api:actor_detail", a.slug) for a in (d.actor, d.party_actor, d.side_actor)],
        ),
        "api:party_detail": (
            [r("api:party_detail", p.slug) for p in (w.north, w.south, w.league)],
            [r("api:party_detail", p.slug) for p in (d.party, d.side_party)],
        ),
        **{
            f"api:{name}": (
                [r(f"api:{name}", d.public_source.pk)],
                [r(f"api:{name}", d.source.pk)],
            )
            for name in ("source_detail", "source_archive")
        },
        "api:annotation_detail": (
            [r("api:annotation_detail", d.public_note.pk)],
            [r("api:annotation_detail", a.pk) for a in (d.annotation, d.internal_note)],
        ),
        **{
            f"api:{name}": (
                [u for fmt in WRITERS for u in listing(r(f"api:{name}", fmt))],
                [],
            )
            for name in ("export_incidents", "export_statements", "export_annotations")
        },
        **{
            f"api:{name}": (listing(r(f"api:{name}")), [])
            for name in ("export_incidents_geojson", "export_locations_geojson")
        },
        "api:unknown_path": ([], ["/api/no-such-endpoint/", f"/api/actors/{d.actor.slug}/x/"]),
        "api:incident_feed": (
            [r("api:incident_feed"), r("api:incident_feed") + f"?conflict={w.conflict.slug}"],
            [r("api:incident_feed") + f"?conflict={d.conflict.slug}"],
        ),
    }


LINK = re.compile(r"""(?:href|src|hx-get|action)=["'](/[^"'#]*)|"https?://testserver(/[^"#]*)\"""")


def links(body: str) -> Iterator[str]:
    for m in LINK.finditer(body):
        url = (m.group(1) or m.group(2)).replace("&amp;", "&")
        if not url.startswith(("/static/", "/edit/", "/import/", "/admin/")):
            yield url


def check(response: Any, url: str) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8", errors="replace")
    headers = "\n".join(f"{k}: {v}" for k, v in response.items())
    assert MARK.lower() not in text.lower(), (url, text[max(0, text.find(MARK) - 200) :][:400])
    assert MARK.lower() not in headers.lower(), (url, headers)
    return text


def test_every_model_has_a_draft_only_object():
    d = DraftOnlyWorld()
    assert project_models() == set(d.covered) | set(NOT_SHOWN)


def test_every_public_url_pattern_is_crawled():
    d = DraftOnlyWorld()
    assert set(public_patterns()) == set(pattern_urls(d))


def test_anonymous_crawl_finds_nothing_draft_only():
    d = DraftOnlyWorld()
    client = Client()
    queue: list[str] = []
    for name, (public, hidden) in pattern_urls(d).items():
        for url in hidden:
            for headers in ({}, HX):
                response = client.get(url, headers=headers)
                assert response.status_code == 404, (name, url, response.status_code)
                check(response, url)
        queue.extend(public)
    seen: set[str] = set()
    while queue and len(seen) < 1500:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        for headers in ({}, HX):
            response = client.get(url, headers=headers)
            # 302: the sign-in pages of accounts/ send anonymous visitors to sign in.
            assert response.status_code in (200, 302, 400), (url, response.status_code)
            text = check(response, url)
            if response.status_code == 200 and not headers:
                queue.extend(u for u in links(text) if u not in seen)
    assert len(seen) > 150  # the crawl really walked the site
