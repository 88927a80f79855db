"""What each public page shows and what each editorial change touches, in the cache
scopes of core.cache. The one home of these rules: views declare their page's scopes
(core.cache.depends_on) from the *_scopes() functions below; connect(), called from
IncidentsConfig.ready(), registers the footprint of every editorial model's change.

Scopes:
    incident:<pk>  the incident and everything under it (statements, points, claims,
                   claim relations, annotations, places): its comparison page and
                   partials, its statement pages, its analysis pages.
    conflict:<pk>  what many pages of a conflict show besides their own rows: actor,
                   source and place names and kinds. Rarely changes.
    list:<pk>      what lists and counts of the conflict show: incidents' titles, dates,
                   places, statuses; statements' status, party, date, leaning... (the
                   list page, the analysis pages, the API lists).
    text:<pk>      the words of the conflict's published accounts (search, terms).
    match:<pk>     what a search for words finds of the conflict's statements besides
                   their words (speakers, parties, sources, titles, statuses): as
                   text:<pk>, but not bumped by an edit of a statement's words.
    term:<key>     the searches for words of that key (search.terms): bumped by an
                   edit of a statement's words for the keys of its old and new words
                   and of the names it is found by.
    actor:<pk>, party:<pk>, source:<pk>
                   the page of that row and the statements it lists.
Changes of the conflicts' structure (conflicts, sides, parties, places) make
everything stale (core.cache.SITE): they are rare and show everywhere.

So an edit of a statement's words makes stale its incident's pages, its speaker's,
party's and source's pages and the searches for words it had, has or is found by
(searches by filters alone follow text:<pk>); the incident list stays cached (it
shows no words of statements), and so do the other incidents' pages and searches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.apps import apps

from core.cache import SITE, is_watched, remember, watch

# --- scope names ----------------------------------------------------------------------


def incident(pk: int | None) -> str:
    return f"incident:{pk}"


def conflict(pk: int | None) -> str:
    return f"conflict:{pk}"


def listing(pk: int | None) -> str:
    return f"list:{pk}"


def words(pk: int | None) -> str:
    return f"text:{pk}"


def matches(pk: int | None) -> str:
    return f"match:{pk}"


def actor(pk: int | None) -> str:
    return f"actor:{pk}"


def party(pk: int | None) -> str:
    return f"party:{pk}"


def source(pk: int | None) -> str:
    return f"source:{pk}"


# --- what pages show ---------------------------------------------------------------------


def conflict_ids() -> list[int]:
    """Every conflict's pk (pages across all conflicts depend on each of them)."""
    from .models import Conflict

    return remember(
        "incidents:conflict-ids",
        lambda: list(Conflict.objects.order_by("pk").values_list("pk", flat=True)),
        scopes=[SITE],
    )


def incident_scopes(incident_pk: int, conflict_pk: int) -> list[str]:
    """The comparison page, its partials, a statement page, an incident's analysis."""
    return [incident(incident_pk), conflict(conflict_pk)]


def list_scopes(conflict_pks: Iterable[int] | None = None) -> list[str]:
    """Lists of incidents (and their counts) of these conflicts (all by default)."""
    pks = conflict_ids() if conflict_pks is None else list(conflict_pks)
    return [*(listing(pk) for pk in pks), *(conflict(pk) for pk in pks)]


def text_scopes(conflict_pks: Iterable[int] | None = None) -> list[str]:
    """Pages that show or search the words of statements (search, terms)."""
    pks = conflict_ids() if conflict_pks is None else list(conflict_pks)
    return [*list_scopes(pks), *(words(pk) for pk in pks)]


def search_scopes(
    word_scopes: Iterable[str], conflict_pks: Iterable[int] | None = None
) -> list[str]:
    """A search page: for a query with words, the scopes of its words (search.terms)
    and what matches besides words; without words (a list by filters, showing the
    statements' words), every word of the conflicts."""
    word_scopes = list(word_scopes)
    if not word_scopes:
        return text_scopes(conflict_pks)
    pks = conflict_ids() if conflict_pks is None else list(conflict_pks)
    return [*list_scopes(pks), *(matches(pk) for pk in pks), *word_scopes]


def _names_of_every_conflict() -> list[str]:
    # The pages of a speaker, party or source list statements of any conflict with
    # their speakers' and sources' names.
    return [conflict(pk) for pk in conflict_ids()]


def actor_scopes(pk: int, party_pk: int) -> list[str]:
    return [actor(pk), party(party_pk), *_names_of_every_conflict()]


def party_scopes(pk: int) -> list[str]:
    # The party page also lists the conflicts the visitor may see (those with a
    # published incident): the conflicts' lists.
    return [party(pk), *list_scopes()]


def source_scopes(pk: int) -> list[str]:
    return [source(pk), *_names_of_every_conflict()]


# --- what changes touch ---------------------------------------------------------------------

# Statement fields whose change shows only where the statement's words are shown:
# its incident's pages, its speaker's, party's and source's pages, search.
WORDS_ONLY = {
    "text",
    "original_text",
    "original_language",
    "translation_note",
    "kind",
    "statement_type",
    "source_start",
    "source_end",
    "quote_verified",
    "version",
    "updated_at",
}
STATEMENT_ROW = [
    "incident_id",
    "incident__conflict_id",
    "actor_id",
    "party_id",
    "source_id",
    "text",
    "original_text",
    "original_language",
    "translation_note",
    "kind",
    "statement_type",
    "leaning",
    "leaning_towards_id",
    "issued_on",
    "issued_precision",
    "source_start",
    "source_end",
    "status",
    "published_at",
    "withdrawn_reason",
    "quote_verified",
]


def _statement_before(instance: Any) -> dict[str, Any] | None:
    if instance.pk is None:
        return None
    from .models import Statement

    return Statement.objects.filter(pk=instance.pk).values(*STATEMENT_ROW).first()


def _conflict_of(incident_pk: int | None) -> int | None:
    from .models import Incident

    if incident_pk is None:
        return None
    return Incident.objects.filter(pk=incident_pk).values_list("conflict_id", flat=True).first()


def _statement_rows(statement: Any, before: dict[str, Any] | None) -> list[dict[str, Any]]:
    now = {f: getattr(statement, f) for f in STATEMENT_ROW if "__" not in f}
    if before is not None and before["incident_id"] == statement.incident_id:
        now["incident__conflict_id"] = before["incident__conflict_id"]
    else:
        now["incident__conflict_id"] = _conflict_of(statement.incident_id)
    return [now] if before is None else [before, now]


WordsEdit = Callable[[Any, list[str]], Iterable[str]]
# The scopes of the searches an edit of a statement's words changes, given the statement
# and its old and new texts: search.terms.edit_scopes, registered by the search app
# (SearchConfig.ready; the domain does not import the apps built on it). Without it,
# every search of the conflict.
_words_edit: list[WordsEdit] = []


def follow_words_edits(scopes_of: WordsEdit) -> None:
    _words_edit[:] = [scopes_of]


def _statement_footprint(statement: Any, before: Any, event: str) -> set[str]:
    rows = _statement_rows(statement, before)
    scopes: set[str] = set()
    for row in rows:
        c = row["incident__conflict_id"]
        scopes |= {
            incident(row["incident_id"]),
            actor(row["actor_id"]),
            party(row["party_id"]),
            words(c),
        }
        if row["source_id"]:
            scopes.add(source(row["source_id"]))
    changed = {f for f in STATEMENT_ROW if len(rows) == 2 and rows[0][f] != rows[1][f]}
    if event != "save" or len(rows) == 1 or changed - WORDS_ONLY:
        scopes |= {listing(row["incident__conflict_id"]) for row in rows}
        scopes |= {matches(row["incident__conflict_id"]) for row in rows}
    elif _words_edit:
        # Only its words (or what shows with them) changed: only the searches that can
        # find it, before or after.
        scopes.update(_words_edit[0](statement, [row["text"] for row in rows]))
    else:
        scopes |= {matches(row["incident__conflict_id"]) for row in rows}
    return scopes


def _incident_before(instance: Any) -> dict[str, Any] | None:
    """Its conflict, and the incidents whose pages list it as related: a delete
    removes those links without m2m signals, so they are read before it."""
    if instance.pk is None:
        return None
    from .models import Incident

    conflict_pk = (
        Incident.objects.filter(pk=instance.pk).values_list("conflict_id", flat=True).first()
    )
    related = Incident.objects.filter(related=instance.pk).values_list("pk", flat=True)
    return {"conflict": conflict_pk, "related": list(related)}


def _incident_footprint(instance: Any, before: Any, event: str) -> set[str]:
    conflicts = {instance.conflict_id, before["conflict"] if before else None} - {None}
    scopes = {incident(instance.pk)}
    if before:
        # Its title and status show on the comparison pages of its related incidents.
        scopes |= {incident(pk) for pk in before["related"]}
    scopes |= {listing(c) for c in conflicts} | {words(c) for c in conflicts}
    scopes |= {matches(c) for c in conflicts}
    if event in ("save", "link"):
        # Its title, date and status show on the pages of its speakers, their parties
        # and the sources quoted (a delete deletes the statements, which say so).
        from .models import Statement

        rows = Statement.objects.filter(incident=instance.pk).values_list(
            "actor_id", "party_id", "source_id"
        )
        for actor_pk, party_pk, source_pk in rows.distinct():
            scopes |= {actor(actor_pk), party(party_pk)}
            if source_pk:
                scopes.add(source(source_pk))
        # Its title and status show on the comparison pages of its related incidents:
        # unpublished, it must leave them at once.
        from .models import Incident

        related = Incident.objects.filter(related=instance.pk).values_list("pk", flat=True)
        scopes |= {incident(pk) for pk in related}
    return scopes


def _statement_of(statement_pk: int) -> Any:
    from .models import Statement

    return (
        Statement.objects.filter(pk=statement_pk)
        .values("incident_id", "incident__conflict_id", "actor_id", "party_id", "source_id")
        .first()
    )


def _span_footprint(instance: Any, before: Any, event: str) -> set[str]:
    """Claims and annotations: their statement's pages (cards on the speaker's, party's
    and source's pages show them too)."""
    row = _statement_of(instance.statement_id)
    if row is None:  # deleted with its statement, whose delete says what changed
        return set()
    scopes = {incident(row["incident_id"]), actor(row["actor_id"]), party(row["party_id"])}
    if row["source_id"]:
        scopes.add(source(row["source_id"]))
    evidence = getattr(instance, "evidence_id", None)
    if evidence:
        scopes.add(source(evidence))
    # A claim's location shows on its conflict's map in the analysis, which follows
    # the conflict's lists (analysis.views.conflict_map). Any claim change counts: no
    # earlier value is kept for claims, so a removed location could not be told apart.
    if hasattr(instance, "location_id"):
        scopes.add(listing(row["incident__conflict_id"]))
    return scopes


def _point_footprint(instance: Any, before: Any, event: str) -> set[str]:
    return {incident(instance.incident_id)}


def _relation_footprint(instance: Any, before: Any, event: str) -> set[str]:
    from .models import Claim

    statements = Claim.objects.filter(pk__in=[instance.from_claim_id, instance.to_claim_id])
    return {incident(pk) for pk in statements.values_list("statement__incident_id", flat=True)}


def _conflicts_citing(**filters: Any) -> set[int]:
    from .models import Statement

    return set(
        Statement.objects.filter(**filters)
        .order_by()
        .values_list("incident__conflict_id", flat=True)
        .distinct()
    )


def _actor_footprint(instance: Any, before: Any, event: str) -> set[str]:
    scopes = {actor(instance.pk), party(instance.party_id)}
    if before is not None:
        scopes.add(party(before))
    if event != "create":
        conflicts = _conflicts_citing(actor=instance.pk)
        scopes |= {conflict(c) for c in conflicts} | {words(c) for c in conflicts}
        scopes |= {matches(c) for c in conflicts}
    return scopes


def _source_footprint(instance: Any, before: Any, event: str) -> set[str]:
    scopes = {source(instance.pk)}
    if event != "create":
        conflicts = _conflicts_citing(source=instance.pk)
        scopes |= {conflict(c) for c in conflicts} | {words(c) for c in conflicts}
        scopes |= {matches(c) for c in conflicts}
    return scopes


def _place_footprint(instance: Any, before: Any, event: str) -> set[str]:
    # Linking a place to an incident is the incident's change; a place's name or its
    # names in each party's language show across conflicts (and in the filters).
    return set() if event == "link" else {SITE}


def _site_footprint(instance: Any, before: Any, event: str) -> set[str]:
    return {SITE}


def _before_party_of_actor(instance: Any) -> int | None:
    if instance.pk is None:
        return None
    from .models import Actor

    return Actor.objects.filter(pk=instance.pk).values_list("party_id", flat=True).first()


def connect() -> None:
    """Register the footprint of each editorial model (IncidentsConfig.ready)."""
    m = apps.get_app_config("incidents")
    watch(m.get_model("Statement"), _statement_footprint, before=_statement_before)
    watch(m.get_model("Incident"), _incident_footprint, before=_incident_before)
    watch(m.get_model("Claim"), _span_footprint)
    watch(m.get_model("Annotation"), _span_footprint)
    watch(m.get_model("PointOfContention"), _point_footprint)
    watch(m.get_model("ClaimRelation"), _relation_footprint)
    watch(m.get_model("Actor"), _actor_footprint, before=_before_party_of_actor)
    watch(m.get_model("Source"), _source_footprint)
    watch(m.get_model("Place"), _place_footprint)
    # Everything else of the app (conflicts, sides, parties, place names, and models
    # added later) changes what every page may show.
    for model in m.get_models():
        if not model.__name__.startswith("Historical") and not is_watched(model):
            watch(model, _site_footprint)
