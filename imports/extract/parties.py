"""Which party a speaker speaks for, when the speaker's own words do not say: the
fullest naming of the person, the article's context, an armed group's own name."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..gazetteer import slugify
from ..registry import Registry
from .cue import _Cue
from .furniture import Furniture
from .lexicon import (
    SPEAKER_NOUNS,
)
from .model import ProposedStatement
from .syntax import (
    _surnames,
    _text,
)

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token


class PartyFinder:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        # Per article, set by analyse(): its furniture and its named people's parties.
        self._furn: Furniture | None = None
        self._named_people: dict[str, str] = {}

    def _armed_group(self, doc: Doc, tok: Token, i: int, j: int) -> str:
        """A named group that is neither a state, an organisation the gazetteer knows,
        nor a person ("Hezbollah", "the M23"): a party of its own, slug from its name."""
        if tok.pos_ != "PROPN" or tok.ent_type_ in ("PERSON", "LOC", "DATE", "TIME"):
            return ""
        if tok.lemma_.lower() in SPEAKER_NOUNS or tok.lower_ in SPEAKER_NOUNS:
            return ""  # "the Marovian Interior Ministry" is a state's body, not a group
        words = [t for t in doc[i : j + 1] if t.lower_ not in ("the", "'s")]
        if not words or len(words) > 3 or any(t.pos_ not in ("PROPN", "NUM") for t in words):
            return ""
        if tok.text in _surnames(doc) or self.registry.is_media(doc[i : j + 1].text):
            return ""
        return slugify(" ".join(t.text for t in words))

    def _people(self, doc: Doc) -> dict[str, str]:
        """Each named person's party from the fullest naming in the article ("Russian
        Foreign Minister Sergei Petrov"), keyed by full name and by surname."""
        out: dict[str, str] = {}
        for ent in doc.ents:
            if ent.label_ != "PERSON" or len(ent) < 2:
                continue
            root = ent.root
            lo = root.left_edge.i
            hi = root.right_edge.i
            for c in root.rights:
                if c.dep_ == "relcl":
                    hi = min(hi, c.left_edge.i - 1)
            words = doc[lo : ent.start].text + " " + doc[ent.end : hi + 1].text
            party = self.registry.party_of_text(words)
            if party:
                out.setdefault(ent.text, party)
                out.setdefault(ent[-1].text, party)
        return out

    def _guess_party(self, doc: Doc, cue: _Cue) -> str:
        """A speaker without a party ("the presidential administration", "a government
        spokesman"): the first party named in its sentence outside what was said,
        else in its paragraph before it."""
        sent = cue.token.sent
        text = _text(doc)
        before = text[sent.start_char : cue.start] if cue.start > sent.start_char else ""
        party = self.registry.party_of_text(before)
        if party:
            return party
        para_start = text.rfind("\n\n", 0, sent.start_char)
        party = self.registry.party_of_text(text[para_start + 1 : sent.start_char])
        return party or self._dateline_party(text) or self._headline_party(text)

    def _headline_party(self, text: str) -> str:
        """Last resort for a speaker the article gives no country ("President X"): the
        first party the headline names, which is usually whose action the story is."""
        furn = self._furn
        if furn is None or not furn.headlines or furn.headlines[0][0] > 0:
            return ""
        s, e = furn.headlines[0]
        return self.registry.party_of_text(text[s:e])

    def _dateline_party(self, text: str) -> str:
        """The state of the dateline's capital ("KINSHASA, Feb 18 (AFP) -"), when the
        article names that state elsewhere too: an agency's bureau city ("ISTANBUL
        (AA)") says nothing about a story on another continent."""
        furn = self._furn
        if furn is None or not furn.dateline_places:
            return ""
        if furn.dateline_party is not None:
            return furn.dateline_party
        furn.dateline_party = ""
        found = {
            slug for place in furn.dateline_places for _, _, slug in self.registry.parties_in(place)
        }
        if len(found) != 1:
            return ""
        party = found.pop()
        body = text[max(furn.lead_ins.values(), default=0) :]
        if any(slug == party for _, _, slug in self.registry.parties_in(body)):
            furn.dateline_party = party
        return furn.dateline_party

    def _new_party(self, st: ProposedStatement) -> dict[str, str] | None:
        if not st.party or st.party in self.registry.parties:
            return None
        name, kind = self.registry.party_name(st.party)
        if not name:
            # An armed group named in the text: its name as written, without "the".
            name, kind = re.sub(r"(?i)^the\s+", "", st.speaker_surface or st.speaker), "group"
        return {"slug": st.party, "name": name, "kind": kind}
