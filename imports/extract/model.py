"""What extraction proposes: statements, their speakers, the article's analysis."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any


@dataclass
class Speaker:
    text: str  # as the article names it (pronouns resolved to the nearest naming)
    party: str = ""  # party slug or ""
    actor: str = ""  # actor slug or "" when unknown
    actor_name: str = ""
    is_person: bool = False
    head: str = ""  # head noun lemma, for "the ministry" style coreference
    start: int = 0
    end: int = 0
    resolved_from: str = ""  # the surface form when it was a pronoun or "the ministry"
    party_guessed: bool = False  # party from the article's context, not the speaker's words


@dataclass
class ProposedStatement:
    start: int
    end: int
    text: str
    kind: str  # direct / reported / mixed (Statement.Kind values)
    speaker: str
    party: str
    actor: str
    actor_name: str
    speaker_start: int
    speaker_end: int
    speaker_surface: str
    cue: str
    cue_start: int
    cue_end: int
    sentence_start: int
    sentence_end: int
    party_guessed: bool = False
    statement_type: str = "other"
    leaning: str = ""
    leaning_towards: str = ""
    points: list[str] = field(default_factory=list)
    new_actor: dict[str, str] | None = None
    # A party the site does not have yet (from the gazetteer, or an armed group named
    # in the text): proposed on review, created only when the editor accepts it.
    new_party: dict[str, str] | None = None
    # Other spans the annotation rules allow for this statement, offered on review
    # ("with the verb" when the verb carries the meaning, the whole sentence).
    alternatives: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Analysis:
    text: str
    statements: list[ProposedStatement]
    incident_date: date | None
    incident_date_text: str
    places: list[dict[str, str]]
    parties: list[str]
    word_count: int
    sides: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "statements": [s.as_dict() for s in self.statements],
            "incident_date": self.incident_date.isoformat() if self.incident_date else "",
            "incident_date_text": self.incident_date_text,
            "places": self.places,
            "parties": self.parties,
            "word_count": self.word_count,
        }
