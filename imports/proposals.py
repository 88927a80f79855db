"""Proposals an editor confirms or corrects on the review screen: each statement's
type, a third party's leaning, and the points of contention its content answers.

These are suggestions from the cue verb and the words of the content; the editor has
the last word on every one of them, and nothing here is saved without review.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING

from incidents.models import Statement

if TYPE_CHECKING:
    from .extract.model import Analysis, ProposedStatement
    from .registry import Registry

Type = Statement.Type
Leaning = Statement.Leaning

# Point-of-contention labels proposed for a new incident, with the words that suggest a
# claim answers them. Generic questions about any contested incident; editors rename
# or add their own on the incident.
POINTS: list[tuple[str, tuple[str, ...]]] = [
    (
        "Where did it happen, and whose territory is it?",
        ("territor", "border", "side of", "infiltrat", "crossed", "positions", "inside",
         "sovereign", "region", "area", "land"),
    ),
    (
        "What were the people involved doing?",
        ("carrying out", "works", "mines", "landmine", "sabotage", "reconnaissance", "patrol",
         "attempt", "engineering", "plant", "smuggl", "survey", "repair", "fishing", "lay"),
    ),
    (
        "What happened to them?",
        ("captur", "detain", "arrest", "killed", "wounded", "injured", "surrounded",
         "disarm", "seiz", "taken", "held", "prisoner", "missing", "dead"),
    ),
    (
        "Who is responsible?",
        ("responsib", "blame", "provocat", "escalat", "accus", "fault", "deliberate",
         "aggress", "tension", "destabilis", "destabiliz", "baseless", "false"),
    ),
    (
        "What should happen next?",
        ("should", "must", "urge", "call", "return", "release", "observers", "negotiat",
         "dialogue", "resolve", "demarcat", "delimit", "restraint", "withdraw", "de-escalat",
         "peaceful", "talks", "assist"),
    ),
]  # fmt: skip

_RESTRAINT = re.compile(
    r"restraint|de-?escalat|peaceful|dialogue|calm|avoid (?:any |further )?escalat|negotiat",
    re.I,
)
_CONCERN = re.compile(r"concern|worr(?:y|ied)|alarm|troubl|dismay", re.I)
_BOTH = re.compile(r"\b(?:both|all) (?:sides|parties|actors|countries|governments)\b", re.I)


def statement_type(st: ProposedStatement, side_slugs: set[str]) -> Type:
    cue = st.cue
    content = st.text
    if cue in ("condemn", "denounce", "deplore", "slam", "decry"):
        return Type.CONDEMNATION
    if cue in ("deny", "dismiss", "reject", "refute"):
        return Type.DENIAL
    if cue in ("propose", "suggest") or (cue == "call" and "proposal" in st.text.lower()):
        return Type.PROPOSAL
    if cue in ("urge", "call", "appeal", "ask", "demand", "request", "encourage", "implore"):
        return Type.RESTRAINT if _RESTRAINT.search(content) else Type.DEMAND
    if _CONCERN.search(content) or cue in ("express", "voice"):
        return Type.CONCERN
    if cue in ("accuse", "blame", "allege", "charge"):
        return Type.ALLEGATION
    if st.party in side_slugs:
        return Type.ALLEGATION
    if _RESTRAINT.search(content):
        return Type.RESTRAINT
    return Type.OTHER


def leaning(
    st: ProposedStatement, side_slugs: list[str], registry: Registry
) -> tuple[Leaning, str]:
    """(leaning, side slug) for a third party's statement; ("", "") for a side's own."""
    if not side_slugs or st.party in side_slugs or not st.party:
        return Leaning.NOT_APPLICABLE, ""
    named = {slug for _, _, slug in registry.parties_in(st.text) if slug in side_slugs}
    if _BOTH.search(st.text) or len(named) >= 2:
        return Leaning.BOTH, ""
    if len(named) == 1 and st.statement_type in (Type.DEMAND, Type.CONDEMNATION, Type.ALLEGATION):
        # Demands on, or condemnation of, one side lean towards the other's account.
        other = [s for s in side_slugs if s not in named]
        if len(other) == 1:
            return Leaning.SIDE, other[0]
    return Leaning.NONE, ""


def points_for(text: str) -> list[str]:
    low = text.lower()
    return [label for label, words in POINTS if any(w in low for w in words)]


def propose_types_and_points(
    analysis: Analysis, registry: Registry, side_slugs: list[str] | None = None
) -> None:
    if side_slugs is None:
        # Without a chosen conflict, the sides are the parties that speak most.
        counts = Counter(s.party for s in analysis.statements if s.party)
        side_slugs = [slug for slug, _ in counts.most_common(2)]
    analysis.sides = list(side_slugs)
    sides = set(side_slugs)
    for st in analysis.statements:
        st.statement_type = statement_type(st, sides)
        st.leaning, st.leaning_towards = leaning(st, list(side_slugs), registry)
        st.points = points_for(st.text)
