"""Atom feed of newly published incidents: published only, the same for everyone
(feed readers do not sign in, and a feed must never carry a draft)."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AnonymousUser
from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from incidents.models import Conflict, Incident

from .endpoint import endpoint

FEED_SIZE = 50


class IncidentFeed(Feed):
    feed_type = Atom1Feed
    title = "Parallax: newly published incidents"
    subtitle = (
        "Incidents on which official accounts differ, with each party's statements "
        "side by side. Parallax attributes claims; it does not rate them."
    )

    def get_object(self, request: HttpRequest) -> Conflict | None:
        # ?conflict=<slug> narrows the feed to one conflict.
        slug = request.GET.get("conflict")
        # The feed is public whoever fetches it: a conflict with no published
        # incident is not found (Conflict.visible_to for an anonymous visitor).
        public = Conflict.objects.visible_to(AnonymousUser())
        return get_object_or_404(public, slug=slug) if slug else None

    def link(self, obj: Conflict | None) -> str:
        return obj.get_absolute_url() if obj else reverse("incidents:list")

    def feed_url(self, obj: Conflict | None) -> str:
        url = reverse("api:incident_feed")
        return f"{url}?conflict={obj.slug}" if obj else url

    def get_feed(self, obj: Conflict | None, request: HttpRequest):  # type: ignore[no-untyped-def]
        if obj is not None:
            self.title = f"Parallax: newly published incidents ({obj.name})"
        return super().get_feed(obj, request)

    def items(self, obj: Conflict | None) -> QuerySet[Incident]:
        # Incident.objects.published(), never visible_to(): the feed is public even
        # when an analyst's browser fetches it.
        qs = Incident.objects.published().filter(published_at__isnull=False)
        if obj is not None:
            qs = qs.filter(conflict=obj)
        return qs.select_related("conflict").order_by("-published_at", "-pk")[:FEED_SIZE]

    def item_title(self, item: Incident) -> str:
        return item.title

    def item_description(self, item: Incident) -> str:
        return f"{item.date_display()} · {item.conflict.name}. {item.summary}".strip()

    def item_link(self, item: Incident) -> str:
        return item.get_absolute_url()

    def item_guid(self, item: Incident) -> str:
        return f"parallax:incident:{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: Incident) -> datetime | None:
        return item.published_at

    def item_updateddate(self, item: Incident) -> datetime:
        return item.updated_at

    def item_categories(self, item: Incident) -> list[str]:
        return [item.conflict.name]


_feed = IncidentFeed()


@endpoint(params=("conflict",))
def incident_feed(request: HttpRequest) -> HttpResponse:
    return _feed(request)
