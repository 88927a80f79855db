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
