"""Who may open which URL: every URL pattern of the URLconf, found by walking the
resolver, against an anonymous visitor, an analyst and an editor.

The expected answers come from EXPECTED, keyed by "namespace:name". A URL added
without an entry fails test_every_url_has_an_entry, so nobody can add a page
without deciding who may see it. Path parameters are filled with real objects.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from incidents.models import Annotation, Claim, ClaimRelation, Statement
from tests import factories as f

LOGIN = "login"  # a redirect to the sign-in page

# (anonymous, analyst, editor) for a GET without parameters beyond the path.
PUBLIC = (200, 200, 200)
SIGNED_IN = (LOGIN, 200, 200)
EDITOR = (LOGIN, 403, 200)
EDITOR_POST = (LOGIN, 403, 405)  # POST-only editing actions
PLAIN_GET_REDIRECT = (LOGIN, 403, 302)  # htmx-only endpoint: plain GET is sent to its page

# Namespaces left out, with the reason.
EXCLUDED_NAMESPACES = {
    # Django's admin has its own staff login and permission checks, tested by Django;
    # its URLs take admin-specific ids (content types, object paths).
    "admin": "Django admin: its own is_staff login and model permissions",
}


@dataclass(frozen=True)
class Entry:
    get: tuple[Any, Any, Any]
    kwargs: dict[str, Any] = field(default_factory=dict)
    # Editor-only URLs are also checked with POSTs (sign-in, 403, CSRF).
    editor_only: bool = False


def ed(get: tuple[Any, Any, Any] = EDITOR, **kwargs: Any) -> Entry:
    return Entry(get, kwargs, editor_only=True)


EXPECTED: dict[str, Entry] = {
    # public pages (issue 2)
    "incidents:home": Entry(PUBLIC),
    "incidents:list": Entry(PUBLIC),
    "incidents:detail": Entry(PUBLIC),
    "incidents:statement_detail": Entry(PUBLIC),
    "incidents:actor_detail": Entry(PUBLIC),
    "incidents:party_detail": Entry(PUBLIC),
    "incidents:source_detail": Entry(PUBLIC),
    # accounts
    "accounts:login": Entry((200, 302, 302)),  # signed-in users are sent on
    "accounts:logout": Entry((405, 405, 405)),  # POST only: a link cannot sign anyone out
    "accounts:profile": Entry(SIGNED_IN),
    "accounts:password_change": Entry(SIGNED_IN),
    "accounts:password_change_done": Entry(SIGNED_IN),
    "accounts:password_reset": Entry(PUBLIC),
    "accounts:password_reset_done": Entry(PUBLIC),
    "accounts:password_reset_confirm": Entry(PUBLIC, {"uidb64": "MQ", "token": "bad-token"}),
    "accounts:password_reset_complete": Entry(PUBLIC),
    # editing (this issue): editors only
    "editing:index": ed(),
    "editing:incident_create": ed(),
    "editing:incident_edit": ed(),
    "editing:incident_publish": ed(EDITOR_POST),
    "editing:points": ed(),
    "editing:point_create": ed(EDITOR_POST),
    "editing:point_edit": ed(EDITOR_POST),
    "editing:point_move": ed(EDITOR_POST),
    "editing:statement_create": ed(),
    "editing:actor_search": ed(PLAIN_GET_REDIRECT),
    "editing:actor_create": ed(EDITOR_POST),
    "editing:statement_edit": ed(),
    "editing:statement_spans": ed(),
    "editing:statement_publish": ed(EDITOR_POST),
    "editing:statement_withdraw": ed(),
    "editing:annotation_create": ed(EDITOR_POST),
    "editing:claim_create": ed(EDITOR_POST),
    "editing:annotation_edit": ed(),
    "editing:annotation_delete": ed(EDITOR_POST),
    "editing:claim_edit": ed(),
    "editing:claim_delete": ed(EDITOR_POST),
    "editing:relation_create": ed(EDITOR_POST),
    "editing:relation_delete": ed(EDITOR_POST),
    "editing:places": ed(),
    "editing:place_create": ed(),
    "editing:place_edit": ed(),
    "editing:source_create": ed(),
    "editing:source_edit": ed(),
    "editing:history": ed(kind="statement"),
    "editing:history_revert": ed(EDITOR_POST, kind="statement"),
    # article import: editors only
    "imports:new": ed(),
    "imports:review": ed(pk=lambda data: data.import_draft()),
    "imports:decide": ed(EDITOR_POST, pk=lambda data: data.import_draft(), index=0),
    "imports:save_count": ed(pk=lambda data: data.import_draft()),
    "imports:save": ed(EDITOR_POST, pk=lambda data: data.import_draft()),
    "imports:discard": ed(EDITOR_POST, pk=lambda data: data.import_draft()),
    "imports:bulk": ed(),
    "imports:job": ed(pk=lambda data: data.import_job()),
    "imports:job_retry": ed(EDITOR_POST, pk=lambda data: data.import_job()),
    "imports:job_discard": ed(EDITOR_POST, pk=lambda data: data.import_job()),
    # search and the public API: read-only, published data, everyone
    "search:results": Entry(PUBLIC),
    "api:index": Entry(PUBLIC),
    "api:incident_list": Entry(PUBLIC),
    "api:incident_detail": Entry(PUBLIC),
    "api:incident_annotations": Entry(PUBLIC),
    "api:statement_list": Entry(PUBLIC),
    "api:statement_detail": Entry(PUBLIC),
    "api:statement_annotations": Entry(PUBLIC),
    "api:statement_claim": Entry(PUBLIC),
    "api:actor_list": Entry(PUBLIC),
    "api:actor_detail": Entry(PUBLIC),
    "api:party_list": Entry(PUBLIC),
    "api:party_detail": Entry(PUBLIC),
    "api:source_list": Entry(PUBLIC),
    "api:source_detail": Entry(PUBLIC),
    "api:source_archive": Entry(PUBLIC),
    "api:annotation_collection": Entry(PUBLIC),
    "api:annotation_detail": Entry(PUBLIC),
    "api:export_incidents": Entry(PUBLIC, {"fmt": "csv"}),
    "api:export_statements": Entry(PUBLIC, {"fmt": "json"}),
    "api:export_annotations": Entry(PUBLIC, {"fmt": "excel.csv"}),
    "api:openapi": Entry(PUBLIC),
    "api:statement_text": Entry(PUBLIC),
    "api:export_incidents_geojson": Entry(PUBLIC),
    "api:export_locations_geojson": Entry(PUBLIC),
    "api:incident_feed": Entry(PUBLIC),
    # The catch-all JSON 404 under /api/ (reversed without a path it is /api/ itself).
    "api:unknown_path": Entry(PUBLIC),
    # analysis pages: read-only, built from what the user may see (published data for
    # the public), so open to everyone
    "analysis:index": Entry(PUBLIC),
    "analysis:conflict_timeline": Entry(PUBLIC),
    "analysis:conflict_leanings": Entry(PUBLIC),
    "analysis:conflict_terms": Entry(PUBLIC),
    "analysis:conflict_map": Entry(PUBLIC),
    "analysis:incident_framing": Entry(PUBLIC),
    "analysis:incident_figures": Entry(PUBLIC),
}


@dataclass
class Route:
    name: str
    namespace: str
    route: str
    pattern: URLPattern
    params: list[str]


def _params(pattern: Any) -> list[str]:
    converters = getattr(pattern, "converters", None)
    if converters:
        return list(converters)
    regex = getattr(pattern, "regex", None)
    return list(regex.groupindex) if regex is not None else []


def walk(patterns: list[Any], prefix: str = "", ns: str = "", params=()) -> Iterator[Route]:
    for p in patterns:
        if isinstance(p, URLResolver):
            namespace = ":".join(x for x in (ns, p.namespace or "") if x)
            yield from walk(
                p.url_patterns, prefix + str(p.pattern), namespace, (*params, *_params(p.pattern))
            )
        elif isinstance(p, URLPattern):
            yield Route(
                name=f"{ns}:{p.name}" if ns else str(p.name),
                namespace=ns.split(":")[0],
                route=prefix + str(p.pattern),
                pattern=p,
                params=[*params, *_params(p.pattern)],
            )


def all_routes() -> list[Route]:
    return [r for r in walk(get_resolver().url_patterns) if r.namespace not in EXCLUDED_NAMESPACES]


class Data:
    """Objects to fill path parameters with: public ones (for the matrix) and hidden
    ones (a draft incident, a draft statement, an internal annotation)."""

    SECRET_NOTE = "Internal-only note 7f3a: the ministry's figure is unconfirmed"
    SECRET_WORDS = "Draft words 9c1e never published"

    def __init__(self) -> None:
        w = self.world = f.World()
        self.source = f.source("Harbour Gazette report", text=w.north_says.text + " More text.")
        w.north_says.source = self.source
        w.north_says.save()
        text = w.north_says.text
        self.public_note = Annotation(
            statement=w.north_says,
            tag=Annotation.Tag.DISPUTED,
            body="Southland disputes this.",
            visibility=Annotation.Visibility.PUBLIC,
        )
        self.public_note.set_span(text, 4, 10)
        self.public_note.save()
        self.internal_note = Annotation(
            statement=w.north_says,
            tag=Annotation.Tag.UNVERIFIED,
            body=self.SECRET_NOTE,
            visibility=Annotation.Visibility.INTERNAL,
        )
        self.internal_note.set_span(text, 15, 24)
        self.internal_note.save()
        self.claim = Claim(statement=w.north_says, point=w.point)
        self.claim.set_span(text, 0, 10)
        self.claim.save()
        other = Claim(statement=w.south_says, point=w.point)
        other.set_span(w.south_says.text, 0, 14)
        other.save()
        self.relation = ClaimRelation.objects.create(
            from_claim=self.claim, to_claim=other, kind=ClaimRelation.Kind.CONTRADICTS
        )
        self.place = f.place("River crossing", "river-crossing")
        w.incident.places.add(self.place)
        self.draft_incident = f.incident(
            w.conflict, "Unconfirmed report of a drone", published=False
        )
        self.draft_statement = f.statement(self.draft_incident, w.north_mod, self.SECRET_WORDS)
        self.draft_in_public = f.statement(
            w.incident, w.south_mfa, self.SECRET_WORDS + " (second)", published=False
        )

    def import_draft(self) -> int:
        from imports.models import ImportDraft

        if not hasattr(self, "_import_draft"):
            self._import_draft = ImportDraft.objects.create(
                title="Harbour Gazette article",
                text="Northland said its patrol was repairing a bridge.",
                proposals={"statements": []},
            ).pk
        return self._import_draft

    def import_job(self) -> int:
        from imports.models import ImportJob

        if not hasattr(self, "_import_job"):
            self._import_job = ImportJob.objects.create().pk
        return self._import_job

    def public_values(self) -> dict[str, Any]:
        w = self.world
        return {
            "incidents": w.incident.slug,
            "conflicts": w.conflict.slug,
            "statements": w.north_says.pk,
            "actors": w.north_mod.slug,
            "parties": w.north.slug,
            "sources": self.source.pk,
            "points": w.point.pk,
            "claims": self.claim.pk,
            "annotations": self.public_note.pk,
            "relations": self.relation.pk,
            "history": w.north_says.pk,
            "places": self.place.slug,
        }

    def hidden_values(self) -> dict[str, Any]:
        return {
            **self.public_values(),
            "incidents": self.draft_incident.slug,
            "statements": self.draft_statement.pk,
            "annotations": self.internal_note.pk,
        }

    def kwargs_for(self, route: Route, entry: Entry | None, hidden: bool = False) -> dict[str, Any]:
        values = self.hidden_values() if hidden else self.public_values()
        kwargs = {
            k: (v(self) if callable(v) else v) for k, v in (entry.kwargs if entry else {}).items()
        }
        # The parameter is named after the path segment before it: /statements/<pk>/.
        segments = re.findall(r"([\w-]+)/(?:\^)?(?:<[^>]+>|\(\?P<[^>]+>[^)]*\))", route.route)
        for param in route.params:
            if param in kwargs:
                continue
            if param == "history_id":
                kwargs[param] = Statement.history.filter(id=values["history"]).first().history_id
                continue
            for segment in reversed(segments):
                key = segment.rstrip("/")
                if key in values:
                    kwargs[param] = values[key]
                    break
            else:
                raise AssertionError(f"No test object for {param!r} in {route.route}")
        return kwargs


def _check(response, expected: Any, label: str) -> None:
    if expected == LOGIN:
        assert response.status_code == 302, f"{label}: {response.status_code}, expected sign-in"
        assert response["Location"].startswith(reverse("accounts:login")), label
    else:
        assert response.status_code == expected, (
            f"{label}: answered {response.status_code}, expected {expected}"
        )


def test_every_url_has_an_entry() -> None:
    missing = sorted({r.name for r in all_routes()} - set(EXPECTED))
    assert not missing, (
        "URL patterns without an entry in tests/contracts/test_permissions.py EXPECTED "
        f"(decide who may open them): {missing}"
    )
    unnamed = [r.route for r in all_routes() if r.name.endswith(":None") or r.name == "None"]
    assert not unnamed, f"Unnamed URL patterns cannot be checked: {unnamed}"


@pytest.mark.django_db
def test_permission_matrix(client, analyst, editor) -> None:
    data = Data()
    failures = []
    for route in all_routes():
        entry = EXPECTED.get(route.name)
        if entry is None:
            continue  # reported by test_every_url_has_an_entry
        url = reverse(route.name, kwargs=data.kwargs_for(route, entry))
        for who, user, expected in zip(
            ("anonymous", "analyst", "editor"), (None, analyst, editor), entry.get, strict=True
        ):
            client.logout()
            if user is not None:
                client.force_login(user)
            response = client.get(url)
            try:
                _check(response, expected, f"GET {url} as {who}")
            except AssertionError as exc:
                failures.append(str(exc))
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_editor_only_urls_refuse_posts_and_enforce_csrf(analyst, editor) -> None:
    data = Data()
    anonymous, as_analyst = Client(), Client()
    as_analyst.force_login(analyst)
    csrf_checked = Client(enforce_csrf_checks=True)
    csrf_checked.force_login(editor)
    checked = 0
    for route in all_routes():
        entry = EXPECTED.get(route.name)
        if entry is None or not entry.editor_only:
            continue
        url = reverse(route.name, kwargs=data.kwargs_for(route, entry))
        _check(anonymous.post(url, {}), LOGIN, f"POST {url} anonymous")
        _check(as_analyst.post(url, {}), 403, f"POST {url} analyst")
        # htmx too: an anonymous htmx request is told to go to the sign-in page,
        # an analyst's gets 403; neither gets a fragment.
        hx = anonymous.post(url, {}, headers={"HX-Request": "true"})
        target = hx.get("HX-Redirect") or (hx["Location"] if hx.status_code == 302 else "")
        assert target.startswith(reverse("accounts:login")), url
        assert hx.content == b"", url
        assert as_analyst.post(url, {}, headers={"HX-Request": "true"}).status_code == 403
        # No CSRF token: refused even for an editor.
        assert csrf_checked.post(url, {}).status_code == 403, f"{url} accepted a POST without CSRF"
        checked += 1
    assert checked >= 20


@pytest.mark.django_db
def test_empty_and_garbage_posts_never_fail_with_500(editor_client) -> None:
    data = Data()
    for route in all_routes():
        entry = EXPECTED.get(route.name)
        if entry is None or not entry.editor_only:
            continue
        url = reverse(route.name, kwargs=data.kwargs_for(route, entry))
        for payload in (
            {},
            {
                "version": "abc",
                "span_start": "-5",
                "span_end": "x",
                "to_claim": "0",
                "direction": "sideways",
                "action": "explode",
                "point": "999999",
                "actor": "nope",
                "date_start": "2024-02-31",
                "reason": " ",
            },
        ):
            for headers in ({}, {"HX-Request": "true"}):
                response = editor_client.post(url, payload, headers=headers)
                assert response.status_code < 500, f"POST {url} {payload} -> {response.status_code}"


@pytest.mark.django_db
def test_hidden_content_never_reaches_anonymous_visitors(client) -> None:
    """Walk every URL again with parameters pointing at a draft incident, a draft
    statement and an internal annotation (and at public ones): no page, partial,
    export or feed shows the hidden words to an anonymous visitor."""
    data = Data()
    secrets = [data.SECRET_NOTE, data.SECRET_WORDS]
    for route in all_routes():
        entry = EXPECTED.get(route.name)
        for hidden in (False, True):
            url = reverse(route.name, kwargs=data.kwargs_for(route, entry, hidden=hidden))
            # Also as a search for the hidden words (search pages, API filters).
            for query, headers in (
                ("", {}),
                ("", {"HX-Request": "true"}),
                ("?q=9c1e+7f3a&search=9c1e&format=json", {}),
            ):
                response = client.get(url + query, headers=headers)
                assert response.status_code < 500, url
                body = b"".join(response) if response.streaming else response.content
                text = body.decode("utf-8", "replace")
                for secret in secrets:
                    assert secret not in text, f"{url} shows hidden content to the public"
