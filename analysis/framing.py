"""How each side words the same point: verbs, actions and noun phrases from spaCy.

For an incident, the claims of each side on each point of contention (and, in a last
row, each side's statements as a whole) are parsed with the process-wide spaCy pipeline
(imports.nlp.get_nlp) and reduced to:

- actions: a verb with the verbs coordinated with it ("surrounded and captured",
  "detained and disarmed"), and a verb with its object ("lay mines");
- descriptions: noun phrases without determiners ("reconnaissance and sabotage group",
  "engineering works").

A term is marked as the side's own when some of its lemmas appear in no other side's
words on that point. An incident's rows are remembered until something in the
incident changes (core.cache.remember with the incident's scopes); the parse of each
text is kept under a hash of the text (core.cache.memo_many), so after an edit spaCy
runs only for the text it has not seen.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from accounts.models import audience
from core.cache import memo_many, remember
from incidents import caching
from incidents.models import Claim, Incident, Party, Statement

# Bump when parse_doc() changes: cached parses of the old kind are then ignored.
CACHE_VERSION = "framing-v2"
# A parse depends only on its text: kept long.
PARSE_SECONDS = 60 * 60 * 24 * 30
MAX_TERMS = 10
CONTENT_POS = {"NOUN", "PROPN", "ADJ", "VERB", "NUM"}
# Speech cues and light verbs say nothing about how the event is framed.
LIGHT_VERBS = {"be", "have", "do", "say", "state", "add", "try", "tell", "report", "note", "make"}


@dataclass
class Term:
    text: str
    count: int
    own: bool


@dataclass
class Cell:
    party: Party
    side_index: int
    texts: int = 0
    actions: list[Term] = field(default_factory=list)
    descriptions: list[Term] = field(default_factory=list)


@dataclass
class Row:
    label: str
    point_id: int | None
    cells: list[Cell]

    @property
    def has_words(self) -> bool:
        return any(c.texts for c in self.cells)


def text_key(text: str) -> str:
    return f"{CACHE_VERSION}:{hashlib.sha256(text.encode('utf-8')).hexdigest()}"


def parse_doc(doc: Any) -> dict[str, list]:
    """Reduce one parsed text to JSON-serialisable terms: (display, lemma key) pairs."""
    actions: list[tuple[str, str]] = []
    for token in doc:
        if token.pos_ != "VERB" or token.dep_ == "amod":  # "so-called", "armed"
            continue
        if token.dep_ == "conj" and token.head.pos_ == "VERB":
            continue
        chain = [token] + [t for t in token.subtree if t.dep_ == "conj" and t.pos_ == "VERB"]
        chain = sorted(
            {t.i: t for t in chain if _coordinated(t, token)}.values(), key=lambda t: t.i
        )
        chain = [t for t in chain if t.lemma_.lower() not in LIGHT_VERBS]
        if not chain:
            continue
        words = [t.text.lower() for t in chain]
        with_object = []
        for verb in chain:
            for obj in verb.children:
                if obj.dep_ in ("dobj", "obj") and obj.pos_ in ("NOUN", "PROPN"):
                    particle = "".join(
                        " " + c.text.lower() for c in verb.children if c.dep_ == "prt"
                    )
                    obj_span = _trimmed(doc, obj.left_edge.i, obj.i + 1, max_tokens=4)
                    if obj_span is None:
                        continue
                    verb_lemma = verb.lemma_.lower()
                    with_object.append(
                        (
                            f"{verb_lemma}{particle} {obj_span.text}",
                            f"{verb_lemma} {_key(obj_span)}",
                        )
                    )
        # A lone verb is shown with its object when it has one ("lay mines").
        if len(chain) > 1 or not with_object:
            display = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
            actions.append((display, " ".join(t.lemma_.lower() for t in chain)))
        actions.extend(with_object)
    descriptions: list[tuple[str, str]] = []
    for chunk in doc.noun_chunks:
        if chunk.root.pos_ == "PRON":
            continue
        span = _trimmed(doc, chunk.start, chunk.end, max_tokens=6)
        if span is not None:
            descriptions.append((span.text, _key(span)))
    lemmas = sorted(
        {t.lemma_.lower() for t in doc if t.pos_ in CONTENT_POS and not t.is_stop and t.is_alpha}
    )
    return {"actions": actions, "descriptions": descriptions, "lemmas": lemmas}


def _trimmed(doc: Any, start: int, end: int, max_tokens: int) -> Any:
    """doc[start:end] without leading determiners, pronouns and punctuation, cut to its
    last `max_tokens` tokens; None when no real word is left. A span (not joined
    tokens) keeps hyphenated words whole: "de-escalation", not "de - escalation"."""
    start = max(start, end - max_tokens)
    # Take back the parts of a hyphenated word the parser left outside ("de-" of
    # "de-escalation"): dropping them can reverse the meaning.
    while (
        start > 0
        and doc[start - 1].whitespace_ == ""
        and (doc[start - 1].text == "-" or doc[start - 1].is_alpha)
    ):
        start -= 1
    while start < end and (
        doc[start].pos_ in ("DET", "PRON", "PUNCT", "CCONJ") or doc[start].is_space
    ):
        start += 1
    span = doc[start:end]
    if not any(t.is_alpha and len(t.text) > 2 for t in span):
        return None
    return span


def _key(span: Any) -> str:
    return " ".join(t.lemma_.lower() for t in span if t.is_alpha)


def _coordinated(t: Any, root: Any) -> bool:
    # Only verbs joined to the root by a chain of `conj` links, not verbs in clauses below.
    while t.i != root.i:
        if t.dep_ != "conj" or t.pos_ != "VERB":
            return False
        t = t.head
    return True


def analyse_texts(texts: list[str]) -> dict[str, dict[str, list]]:
    """Parsed terms per text: from the per-text entries, else from spaCy (for unseen
    texts only)."""
    unique = sorted(dict.fromkeys(t for t in texts if t.strip()))

    def parse(missing: list[str]) -> dict[str, dict[str, list]]:
        from imports.nlp import get_nlp

        docs = get_nlp().pipe(missing, batch_size=32)
        return {text: parse_doc(doc) for text, doc in zip(missing, docs, strict=True)}

    return memo_many({text: text_key(text) for text in unique}, parse, PARSE_SECONDS)


def _cell_terms(parsed: list[dict[str, list]], others: set[str], kind: str) -> list[Term]:
    counts: Counter[str] = Counter()
    display: dict[str, str] = {}
    for p in parsed:
        for shown, key in p[kind]:
            counts[key] += 1
            display.setdefault(key, shown)
    terms = []
    for key, n in counts.most_common():
        lemmas = {w for w in key.split() if w.isalpha()}
        terms.append(Term(display[key], n, own=bool(lemmas - others)))
    # The side's own words first, then by frequency (stable).
    terms.sort(key=lambda t: (not t.own, -t.count))
    return terms[:MAX_TERMS]


def incident_framing(incident: Incident, user: Any) -> list[Row]:
    return remember(
        f"analysis:{CACHE_VERSION}:{incident.pk}:{audience(user).value}",
        lambda: _framing(incident, user),
        scopes=caching.incident_scopes(incident.pk, incident.conflict_id),
    )


def _framing(incident: Incident, user: Any) -> list[Row]:
    sides = incident.sides()
    side_ids = [p.pk for p in sides]
    claims = list(
        Claim.objects.visible_to(user)
        .filter(point__incident=incident, statement__party_id__in=side_ids)
        .select_related("point")
        .only("quote", "point__label", "point__order", "statement__party_id")
        .order_by("point__order", "point_id", "start")
        .values_list("point_id", "point__label", "statement__party_id", "quote")
    )
    statements = list(
        Statement.objects.visible_to(user)
        .filter(incident=incident, party_id__in=side_ids)
        .values_list("party_id", "text")
    )
    parsed = analyse_texts([q for *_, q in claims] + [t for _, t in statements])

    groups: dict[tuple[int | None, str], dict[int, list[str]]] = {}
    for point_id, label, party_id, quote in claims:
        groups.setdefault((point_id, label), {}).setdefault(party_id, []).append(quote)
    if statements:
        everything: dict[int, list[str]] = {}
        for party_id, text in statements:
            everything.setdefault(party_id, []).append(text)
        groups[(None, "All of each side's statements")] = everything

    rows = []
    for (point_id, label), by_party in groups.items():
        per_side = {
            pid: [parsed[t] for t in by_party.get(pid, []) if t in parsed] for pid in side_ids
        }
        lemmas = {pid: {w for p in items for w in p["lemmas"]} for pid, items in per_side.items()}
        cells = []
        for index, party in enumerate(sides):
            others = set().union(*(lemmas[p] for p in side_ids if p != party.pk))
            items = per_side[party.pk]
            cells.append(
                Cell(
                    party=party,
                    side_index=index,
                    texts=len(items),
                    actions=_cell_terms(items, others, "actions"),
                    descriptions=_cell_terms(items, others, "descriptions"),
                )
            )
        rows.append(Row(label=label, point_id=point_id, cells=cells))
    return rows
