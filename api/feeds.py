"""Atom feed (RFC 4287) of newly published incidents: published only, the same for
everyone (feed readers do not sign in, and a feed must never carry a draft).

Identifiers do not depend on the Host header a request came with: links are built
on settings.SITE_URL, and the feed's and entries' ids are tag: URIs (RFC 4151) on
its domain and settings.SITE_TAG_DATE, with the incident's id (its slug may be
edited, its id never). The feed names Parallax as its author (atom:author is
required on the feed or on every entry) and states the data licence as its rights.
Conditional GETs: ETag and Last-Modified, 304 when the reader's copy is current.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.syndication.views import Feed
from django.db.models import Count, Max, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.utils.feedgenerator import Atom1Feed
from django.utils.http import http_date

from core.cache import current_generation
from core.text import xml_safe
from incidents.models import Conflict, Incident

from .conditional import generation_time, latest, make_etag
from .endpoint import endpoint

FEED_SIZE = 50


def site_url(path: str) -> str:
    return settings.SITE_URL + path


def tag(specific: str) -> str:
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"tag:{host},{settings.SITE_TAG_DATE}:{specific}"


def public_conflict(slug: str | None) -> Conflict | None:
    # The feed is public whoever fetches it: a conflict with no published incident
    # is not found (Conflict.visible_to for an anonymous visitor).
    if not slug:
        return None
    return get_object_or_404(Conflict.objects.visible_to(AnonymousUser()), slug=slug)


def feed_items(obj: Conflict | None) -> QuerySet[Incident]:
    # Incident.objects.published(), never visible_to(): the feed is public even
    # when an analyst's browser fetches it.
    qs = Incident.objects.published().filter(published_at__isnull=False)
    if obj is not None:
        qs = qs.filter(conflict=obj)
    return qs


class IncidentFeed(Feed):
    feed_type = Atom1Feed
    title = "Parallax: newly published incidents"
    subtitle = (
        "Incidents on which official accounts differ, with each party's statements "
        "side by side. Parallax attributes claims; it does not rate them."
    )
    author_name = "Parallax"

    def get_object(self, request: HttpRequest) -> Conflict | None:
        # ?conflict=<slug> narrows the feed to one conflict.
        return public_conflict(request.GET.get("conflict"))

    def author_link(self) -> str:
        return site_url("/")

    def feed_copyright(self) -> str:
        return f"Data licence: {settings.DATA_LICENSE} ({settings.DATA_LICENSE_URL})"

    def link(self, obj: Conflict | None) -> str:
        return site_url(obj.get_absolute_url() if obj else reverse("incidents:list"))

    def feed_url(self, obj: Conflict | None) -> str:
        url = reverse("api:incident_feed")
        return site_url(f"{url}?conflict={obj.slug}" if obj else url)

    def feed_guid(self, obj: Conflict | None) -> str:
        return tag(f"feeds/incidents/{obj.slug}" if obj else "feeds/incidents")

    def get_feed(self, obj: Conflict | None, request: HttpRequest):  # type: ignore[no-untyped-def]
        if obj is not None:
            self.title = xml_safe(f"Parallax: newly published incidents ({obj.name})")
        return super().get_feed(obj, request)

    def items(self, obj: Conflict | None) -> QuerySet[Incident]:
        return (
            feed_items(obj).select_related("conflict").order_by("-published_at", "-pk")[:FEED_SIZE]
        )

    # XML cannot carry control characters: one left in a summary (saved before the
    # forms refused them, or loaded from elsewhere) must not break the whole feed.
    def item_title(self, item: Incident) -> str:
        return xml_safe(item.title)

    def item_description(self, item: Incident) -> str:
        return xml_safe(f"{item.date_display()} · {item.conflict.name}. {item.summary}".strip())

    def item_link(self, item: Incident) -> str:
        return site_url(item.get_absolute_url())

    def item_guid(self, item: Incident) -> str:
        return tag(f"incident/{item.pk}")

    item_guid_is_permalink = False

    def item_pubdate(self, item: Incident) -> datetime | None:
        return item.published_at

    def item_updateddate(self, item: Incident) -> datetime:
        return item.updated_at

    def item_categories(self, item: Incident) -> list[str]:
        return [xml_safe(item.conflict.name)]


_feed = IncidentFeed()


@endpoint(params=("conflict",))
def incident_feed(request: HttpRequest) -> HttpResponse:
    obj = public_conflict(request.GET.get("conflict"))
    agg: dict[str, Any] = feed_items(obj).aggregate(
        n=Count("pk"), changed=Max("updated_at"), published=Max("published_at")
    )
    generation = current_generation()
    etag = make_etag(request, [agg["n"], agg["changed"], agg["published"]], generation)
    changed = latest(agg["changed"], agg["published"], generation_time(generation))
    timestamp = int(changed.timestamp()) if changed else None
    response = get_conditional_response(request, etag=etag, last_modified=timestamp)
    if response is None:
        response = _feed(request)
    response["ETag"] = etag
    if changed is not None:
        response["Last-Modified"] = http_date(changed.timestamp())
    return response
