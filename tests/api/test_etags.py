"""Validators follow content: whenever an API answer's body changes, its ETag does,
and the old ETag no longer gets a 304. Checked for publish, unpublish, withdraw,
edit and delete against every list and detail endpoint."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from incidents.models import Statement
from tests.api.test_api import ApiWorld

pytestmark = pytest.mark.django_db


def endpoints(w: ApiWorld) -> list[str]:
    lists = [
        "api:incident_list",
        "api:statement_list",
        "api:actor_list",
        "api:party_list",
        "api:source_list",
        "api:annotation_collection",
    ]
    return [
        *(reverse(name) for name in lists),
        reverse("api:statement_list") + "?party=northland",
        reverse("api:index"),
        reverse("api:incident_detail", args=[w.incident.slug]),
        reverse("api:incident_annotations", args=[w.incident.slug]),
        *(
            reverse(name, args=[w.north_says.pk])
            for name in (
                "api:statement_detail",
                "api:statement_annotations",
                "api:statement_claim",
                "api:statement_text",
            )
        ),
        reverse("api:statement_detail", args=[w.south_says.pk]),
        reverse("api:actor_detail", args=[w.north_mod.slug]),
        reverse("api:actor_detail", args=[w.south_mfa.slug]),
        reverse("api:party_detail", args=["northland"]),
        reverse("api:party_detail", args=["southland"]),
        reverse("api:source_detail", args=[w.source.pk]),
        reverse("api:source_archive", args=[w.source.pk]),
        reverse("api:annotation_detail", args=[w.public_note.pk]),
    ]


def publish(w: ApiWorld) -> None:
    w.draft_statement.publish()


def unpublish(w: ApiWorld) -> None:
    w.incident.unpublish()


def withdraw(w: ApiWorld) -> None:
    w.south_says.withdraw("The ministry corrected this.")


def edit_place(w: ApiWorld) -> None:
    # A place has no updated_at of its own: its new name shows in incident items.
    w.river.name = "Ford of the river"
    w.river.save()


def edit_statement(w: ApiWorld) -> None:
    w.north_says.text = w.north_says.text + " (corrected)"
    w.north_says.save()


def delete(w: ApiWorld) -> None:
    w.public_note.delete()
    Statement.objects.get(pk=w.withdrawn.pk).delete()


ACTIONS: list[Callable[[ApiWorld], None]] = [
    publish,
    unpublish,
    withdraw,
    edit_place,
    edit_statement,
    delete,
]


def snapshot(client: Client, urls: list[str]) -> dict[str, tuple[int, str, bytes]]:
    found = {}
    for url in urls:
        r = client.get(url)
        found[url] = (r.status_code, r.get("ETag", ""), r.content)
    return found


@pytest.mark.parametrize("insider", [False, True], ids=["public", "analyst"])
@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.__name__)
def test_every_changed_answer_gets_a_new_etag(
    action, insider, analyst, django_capture_on_commit_callbacks
):
    w = ApiWorld()
    urls = endpoints(w)
    client = Client()
    if insider:
        client.force_login(analyst)
    before = snapshot(client, urls)
    assert all(status == 200 and etag for status, etag, _ in before.values()), before
    # Generations are replaced when the change commits (core.cache, issue 16.2).
    with django_capture_on_commit_callbacks(execute=True):
        action(w)
    changed = 0
    for url, (_, etag, body) in before.items():
        r = client.get(url, headers={"If-None-Match": etag})
        if r.status_code == 404:  # e.g. the unpublished incident, for the public
            changed += 1
            continue
        fresh = client.get(url)
        if fresh.content != body:
            changed += 1
            assert r.status_code == 200, (action.__name__, url, "stale 304")
            assert fresh["ETag"] != etag, (action.__name__, url)
        else:
            assert fresh["ETag"] == r["ETag"], url  # stable while nothing changes
    # Each action changes what several endpoints show: the check is not vacuous.
    assert changed >= 2, action.__name__


def test_unpublishing_an_incident_changes_the_source_lists_etag(client):
    """The reported case: statement_count drops, the sources themselves are unchanged."""
    w = ApiWorld()
    url = reverse("api:source_list")
    first = client.get(url)
    w.incident.unpublish()
    again = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 200
    assert again.json() != first.json()


def test_validators_follow_what_the_answer_shows(client, django_capture_on_commit_callbacks):
    """Issue 15: an edit in one incident gives new validators to that incident's
    answers and to the lists that show what changed, and leaves another incident's
    alone (core.cache.validator over the scopes of incidents/caching.py)."""
    from tests import factories as f

    # The world's own changes commit (and bump their scopes) before the first look.
    with django_capture_on_commit_callbacks(execute=True):
        w = ApiWorld()
        other = f.incident(w.conflict, "Shelling of the grain depot")
        other_says = f.statement(other, w.south_mfa, "The depot was hit twice at night.")
    here = {
        "incident": reverse("api:incident_detail", args=[w.incident.slug]),
        "statement": reverse("api:statement_detail", args=[w.north_says.pk]),
        "claim": reverse("api:statement_claim", args=[w.north_says.pk]),
    }
    elsewhere = {
        "incident": reverse("api:incident_detail", args=[other.slug]),
        "statement": reverse("api:statement_detail", args=[other_says.pk]),
        "claim": reverse("api:statement_claim", args=[other_says.pk]),
    }
    statements = reverse("api:statement_list")
    incidents = reverse("api:incident_list")

    def etags() -> dict[str, str]:
        urls = {**{f"here {k}": u for k, u in here.items()}}
        urls |= {f"elsewhere {k}": u for k, u in elsewhere.items()}
        urls |= {"statement list": statements, "incident list": incidents}
        return {name: client.get(url)["ETag"] for name, url in urls.items()}

    before = etags()
    # A statement's words: its incident's answers and the statement list change; the
    # incident list shows no words and keeps its validator, as does the other incident.
    with django_capture_on_commit_callbacks(execute=True):
        s = Statement.objects.get(pk=w.north_says.pk)
        s.text += " (corrected)"
        s.save()
    after = etags()
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"here incident", "here statement", "here claim", "statement list"}
    # Still confirmed with a 304 where nothing changed.
    response = client.get(
        elsewhere["incident"], headers={"If-None-Match": after["elsewhere incident"]}
    )
    assert response.status_code == 304

    # Publishing a statement in the first incident changes the lists too (counts and
    # rows), still not the other incident.
    with django_capture_on_commit_callbacks(execute=True):
        w.draft_statement.publish()
    final = etags()
    changed = {name for name in after if after[name] != final[name]}
    assert {"here incident", "statement list"} <= changed
    assert not any(name.startswith("elsewhere") for name in changed), changed
