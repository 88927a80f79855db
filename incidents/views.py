"""Public pages: the incident list, the comparison page and the statement, actor, party
and source pages.

Every query goes through `visible_to(request.user)`: the public sees published
incidents, their public statements and public annotations; analysts and editors see
drafts and internal notes too. A partial is checked exactly like its page, because a
client can request any partial directly.

The comparison page loads an incident's statements once (with their claims and
annotations prefetched) and arranges them in Python, so its number of queries does
not grow with the number of statements or annotations.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.context import make_context
from django.template.loader import get_template, render_to_string
from django.urls import get_script_prefix, get_urlconf
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from accounts.models import audience, can_edit
from core.cache import depends_on, memo_parts, remember, values_enabled
from core.http import HtmxHttpRequest

from . import caching, maps
from .cards import CARD_TEMPLATE, card_digest, expanded_card, open_card, statements_for
from .comparison import ComparisonPage, build_page
from .forms import IncidentFilterForm
from .models import Actor, Conflict, ConflictSide, Incident, Party, Source, Statement
from .segments import segment_text
from .templatetags.cards import card_key, valid_card_key

PAGE_SIZE = 20
STATEMENTS_PAGE_SIZE = 25


def wants_fragment(request: HtmxHttpRequest) -> bool:
    """An htmx request gets the partial; a history restore after a cache miss needs
    the whole page, because htmx swaps it in as the document body."""
    return bool(request.htmx) and not request.htmx.history_restore_request


# --- incident list -------------------------------------------------------------------


@require_safe
@vary_on_headers("HX-Request")
def incident_list(request: HtmxHttpRequest) -> HttpResponse:
    user = request.user
    depends_on(*caching.list_scopes())
    form = IncidentFilterForm(request.GET or None, user=user)
    incidents = form.filter(Incident.objects.visible_to(user))
    list_map_html = incident_list_map(incidents, form, user)
    statement_count = (
        Statement.objects.visible_to(user)
        .filter(incident=OuterRef("pk"))
        .order_by()
        .values("incident")
        .annotate(n=Count("pk"))
        .values("n")
    )
    incidents = (
        incidents.select_related("conflict")
        .prefetch_related(
            "places",
            Prefetch(
                "conflict__conflictside_set",
                queryset=ConflictSide.objects.select_related("party").order_by("order"),
            ),
        )
        .annotate(
            statement_count=Coalesce(Subquery(statement_count, output_field=IntegerField()), 0)
        )
        .order_by("-date_start", "-id")
    )
    page = Paginator(incidents, PAGE_SIZE).get_page(request.GET.get("page"))
    filtered = bool(form.valid_values())
    context = {"form": form, "page": page, "filtered": filtered, "list_map_html": list_map_html}
    template = "incidents/incident_list.html"
    if wants_fragment(request):
        template += "#incident-results"
        context["fragment"] = True
    return render(request, template, context)


def incident_list_map(incidents: QuerySet[Incident], form: IncidentFilterForm, user: Any) -> str:
    """The list's map and its table as HTML, rendered once per content generation,
    filter set and audience and shared by every worker: its two aggregate queries
    and the rendering of a hundred table rows cost as much as the rest of the page,
    and the page cache does not serve analysts and editors."""
    query = {
        k: v.isoformat() if isinstance(v, date) else str(v) for k, v in form.valid_values().items()
    }
    who = audience(user).value
    key = hashlib.sha256(repr(sorted(query.items())).encode()).hexdigest()[:32]

    def compute() -> str:
        context = {"list_map": maps.incident_list_map(incidents, query)}
        return render_to_string("incidents/incident_list.html#list-map", context)

    # Rendered by the template engine (escaped there), so safe to insert as it is.
    # The list's scopes, as the page declares them: the places and incidents it shows.
    html = remember(f"parallax:list-map:{who}:{key}", compute, caching.list_scopes())
    return mark_safe(html)  # noqa: S308


# --- comparison page -----------------------------------------------------------------


@require_safe
@vary_on_headers("HX-Request")
def incident_detail(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    user = request.user
    incident = get_object_or_404(
        Incident.objects.visible_to(user).select_related("conflict"), slug=slug
    )
    depends_on(*caching.incident_scopes(incident.pk, incident.conflict_id))
    page = build_page(incident, user, request.GET)
    # Editors get their tools on every card (templates/editing/_statement_tools.html).
    context = {**page.context(), "can_edit": can_edit(user)}
    # Opening a card pushes this page's URL with ?card=KEY (the card's id): the same
    # URL, reloaded or shared, shows that card open in place.
    context["card_url_head"], context["card_url_tail"] = card_url_parts(request, incident)
    open_key = valid_card_key(request.GET.get("card"))
    if open_key:
        context["open_card"] = open_card(incident, user, open_key)
    context["card_html"] = comparison_cards(request, page, context)
    template = "incidents/incident_detail.html"
    if wants_fragment(request):
        template += "#incident-view"
    return render(request, template, context)


# Stands for a card's id in card_url_parts (letters only: not changed by urlencode).
CARD_PLACEHOLDER = "CARDKEYPLACEHOLDER"


def card_url_parts(request: HtmxHttpRequest, incident: Incident) -> tuple[str, str]:
    """This page's URL with ?card= set, as the text before and after the card's id:
    what {% querystring card=key %} gives, worked out once for the page's cards
    rather than once for each of its hundreds of cards."""
    query = request.GET.copy()
    query["card"] = CARD_PLACEHOLDER
    head, _, tail = f"{incident.get_absolute_url()}?{query.urlencode()}".partition(CARD_PLACEHOLDER)
    return head, tail


def comparison_cards(
    request: HtmxHttpRequest, page: ComparisonPage, context: dict[str, Any]
) -> dict[str, str]:
    """The HTML of each statement card of a comparison page, by card id (the
    template's {% comparison_card %} puts them in place).

    Rendering the cards is most of the page's cost (docs/performance.md), so for the
    public and for analysts each card is kept (core.cache.memo_parts) under a digest
    of what it shows (cards.card_digest: its statement's version, speaker, parties,
    source, note count, claim and relations) and the page's URL and audience (cards
    link to the page's own query string), all read in one round trip. After an edit,
    only the cards it changed are rendered. They are rendered from the page's data
    (comparison.CARD_FIELDS), which its digests are made from. The card opened by
    ?card= is rendered every time (open_card loads it fresh); editors' cards carry
    their tools (forms with the visitor's CSRF token): rendered every time."""
    user = request.user
    shown = {card_key(s, claim): (s, claim, side) for s, claim, side in page.shown_cards()}
    opened = context.get("open_card")
    open_key = opened.key if opened is not None else ""
    card = get_template(CARD_TEMPLATE).template  # type: ignore[attr-defined]
    cards_context = make_context(context, request)
    # Editors' cards carry their tools (forms with the visitor's CSRF token): never kept.
    keep = not context["can_edit"] and values_enabled()
    digests = {key: card_digest(*shown[key]) for key in shown if key != open_key} if keep else {}

    def render(keys: list[str]) -> dict[str, tuple[str | None, str]]:
        rendered: dict[str, tuple[str | None, str]] = {}
        # One context for all cards: the context processors run once, not per card.
        with cards_context.bind_template(card):
            for key in keys:
                statement, claim, side_class = shown[key]
                with cards_context.push(statement=statement, claim=claim, side_class=side_class):
                    html = card.render(cards_context)
                rendered[key] = (digests.get(key), html)
        return rendered

    if not keep:
        return {key: html for key, (_, html) in render(list(shown)).items()}
    incident = page.incident
    # What the cards' links depend on besides the card: the page's URL and query
    # string (all but ?card=, the opened card rendered apart), and where the site is
    # mounted.
    query = [(k, v) for k, values in request.GET.lists() if k != "card" for v in values]
    urlconf = get_urlconf() or settings.ROOT_URLCONF  # as models.fast_reverse reads it
    where = repr((incident.slug, query, get_script_prefix(), urlconf))
    url = hashlib.sha256(where.encode()).hexdigest()[:32]
    cards = memo_parts(
        f"comparison-cards:{incident.pk}:{audience(user).value}:{url}", digests, render
    )
    if open_key in shown:
        cards[open_key] = render([open_key])[open_key][1]
    return cards


# --- statement, actor, party and source pages -----------------------------------------


@require_safe
@vary_on_headers("HX-Request")
def statement_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    # `card`: the id of the card this one replaces, when a comparison page opens it.
    key = valid_card_key(request.GET.get("card"))
    try:
        card = expanded_card(user, Statement.objects.visible_to(user), pk, key)
    except Statement.DoesNotExist:
        raise Http404("No such statement.") from None
    incident = card.statement.incident
    depends_on(*caching.incident_scopes(incident.pk, incident.conflict_id))
    context = {
        **card.context(),
        "incident": card.statement.incident,
        "can_edit": can_edit(user),
    }
    template = "incidents/statement_detail.html"
    if wants_fragment(request):
        template += "#statement-full"
    return render(request, template, context)


def paginate_statements(request: HtmxHttpRequest, statements: QuerySet[Statement]) -> Any:
    return Paginator(statements.order_by("-issued_on", "-id"), STATEMENTS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )


@require_safe
@vary_on_headers("HX-Request")
def actor_detail(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    actor = get_object_or_404(
        Actor.objects.visible_to(request.user).select_related("party"), slug=slug
    )
    depends_on(*caching.actor_scopes(actor.pk, actor.party_id))
    page = paginate_statements(request, statements_for(request.user).filter(actor=actor))
    template = "incidents/actor_detail.html"
    if wants_fragment(request):
        template += "#actor-statements"
    context = {"actor": actor, "page": page, "can_edit": can_edit(request.user)}
    return render(request, template, context)


@require_safe
@vary_on_headers("HX-Request")
def party_detail(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    user = request.user
    party = get_object_or_404(Party.objects.visible_to(user), slug=slug)
    depends_on(*caching.party_scopes(party.pk))
    page = paginate_statements(request, statements_for(user).filter(party=party))
    conflicts = Conflict.objects.visible_to(user).order_by("name")
    context = {
        "party": party,
        "page": page,
        "side_of": list(conflicts.filter(sides=party)),
        "observer_of": list(conflicts.filter(third_parties=party)),
        "actors": list(Actor.objects.visible_to(user).filter(party=party).order_by("name")),
        "can_edit": can_edit(request.user),
    }
    template = "incidents/party_detail.html"
    if wants_fragment(request):
        template += "#party-statements"
    return render(request, template, context)


@require_safe
@vary_on_headers("HX-Request")
def source_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    source = get_object_or_404(Source.objects.visible_to(user), pk=pk)
    depends_on(*caching.source_scopes(source.pk))
    quoting = list(
        statements_for(user)
        .filter(source=source)
        .order_by(Coalesce("source_start", 0), "issued_on", "id")
    )
    spans = []
    for n, s in enumerate(quoting, start=1):
        s.number = n  # type: ignore[attr-defined]
        if s.source_start is not None and s.source_end is not None:
            spans.append((s.source_start, s.source_end, n, "quoted"))
    context = {
        "source": source,
        "statements": quoting,
        "segments": segment_text(source.archived_text, spans),
        "text_length": len(source.archived_text),
        "can_edit": can_edit(user),
    }
    template = "incidents/source_detail.html"
    if wants_fragment(request):
        template += "#source-body"
    return render(request, template, context)
