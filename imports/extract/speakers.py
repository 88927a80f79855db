"""Who speaks: the cue's subject as written, without stacked titles, resolved
through the mentions met so far; media and joint attributions are no speakers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..registry import ActorEntry, norm
from .cue import _Cue
from .furniture import Furniture
from .lexicon import (
    DOC_NOUNS,
    JOINT_NOUNS,
    MEDIUM_NOUNS,
    NOT_SPEAKER_NOUNS,
    OPEN_QUOTES,
    PERSON_NOUNS,
    SPEAKER_NOUNS,
    TITLE_WORDS,
)
from .model import Speaker
from .parties import PartyFinder
from .syntax import (
    _is_cue_lemma,
    _strip,
    _surnames,
    _text,
)

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token


class SpeakerResolver(PartyFinder):
    def _not_a_speaker(self, subj: Token) -> bool:
        """Media ("TASS reported", "local media said", "our correspondent"), joint
        attributions ("the two sides", "Kinshasa and UN experts"), figures ("according
        to official figures"): never a party's statement (ANNOTATION.md)."""
        doc = subj.doc
        i, j = self._mention(subj)
        span = doc[min(i, subj.i) : max(j, subj.i) + 1]
        words = {t.lower_ for t in span}
        head = subj.lemma_.lower()
        # A capitalised plural at a sentence start ("Reports say") may keep its -s.
        if subj.lower_.removesuffix("s") in NOT_SPEAKER_NOUNS:
            head = subj.lower_.removesuffix("s")
        if head in NOT_SPEAKER_NOUNS or "our" in words:
            return True
        if self.registry.is_media(span.text) or self.registry.is_media(subj.text):
            return True
        if words & {"both", "two", "each"} and head in JOINT_NOUNS | SPEAKER_NOUNS:
            return True
        if any(c.dep_ == "conj" for c in subj.children):
            return True
        if any(t.lower_ in ("sides", "side") and t.dep_ == "pobj" for t in span):
            return any(t.lower_ == "both" for t in span)
        return False

    def _speakerish(self, subj: Token, surnames: set[str]) -> bool:
        span = subj.doc[subj.left_edge.i : subj.right_edge.i + 1]
        if len(span) == 1 and subj.text in surnames:
            return True
        if any(t.pos_ == "PROPN" for t in span) or subj.ent_type_:
            return True
        if subj.lemma_.lower() in SPEAKER_NOUNS or subj.lemma_.lower() in DOC_NOUNS:
            return True
        return bool(self.registry.party_of_text(span.text))

    def _is_mention(self, tok: Token) -> bool:
        """A subject that names a possible speaker (for later pronouns)."""
        if tok.pos_ == "PROPN" or tok.ent_type_ in ("PERSON", "ORG", "GPE", "NORP"):
            return True
        if tok.lemma_.lower() in SPEAKER_NOUNS:
            span = tok.doc[tok.left_edge.i : tok.right_edge.i + 1]
            return any(t.pos_ == "PROPN" for t in span) or bool(
                self.registry.party_of_text(span.text)
            )
        return False

    @staticmethod
    def _speaker_token(subj: Token) -> Token:
        """ "The ministry's statement", "a statement by the ministry", "a statement
        released by the ministry" speak for the ministry."""
        if subj.lemma_.lower() in DOC_NOUNS:
            for c in subj.children:
                if c.dep_ == "poss":
                    return c
            for c in subj.children:
                if c.dep_ == "prep" and c.lower_ in ("by", "from", "of"):
                    for o in c.children:
                        if o.dep_ == "pobj":
                            return o
            for c in subj.children:
                if c.dep_ == "acl":
                    for a in c.children:
                        if a.dep_ in ("agent", "prep") and a.lower_ in ("by", "from"):
                            for o in a.children:
                                if o.dep_ == "pobj":
                                    return o
        return subj

    @staticmethod
    def _subject_after_dateline(doc: Doc, verb: Token, furn: Furniture) -> Token | None:
        """The parser took the dateline ("CARACAS, Venezuela (AP) —") for the subject:
        the speaker is the phrase between the dateline and the verb."""
        start = furn.text_start(verb.idx, _text(doc))
        own = [c for c in verb.children if c.dep_ == "nsubj" and c.idx >= start]
        if own:
            return own[0]
        span = doc.char_span(start, verb.idx, alignment_mode="contract")
        if span is None or not len(span):
            return None
        root = span.root
        return root if root.pos_ in ("NOUN", "PROPN") else None

    def _mention(self, tok: Token) -> tuple[int, int]:
        """The speaker's words, without a relative clause ("The Council, which brokered
        the agreement," names the Council)."""
        doc = tok.doc
        i, j = tok.left_edge.i, tok.right_edge.i
        for c in tok.rights:
            if c.dep_ == "relcl" or c.dep_ == "acl" and c.pos_ == "VERB" and _is_cue_lemma(c):
                j = min(j, c.left_edge.i - 1)
        # A hyphenated head the tokenizer split ("Co-Chairs") stays whole.
        while i >= 2 and doc[i - 1].text == "-" and not doc[i - 2].whitespace_:
            if doc[i - 1].whitespace_:
                break
            i = doc[i - 2].left_edge.i
        # Not the dateline or time stamp before it, nor a parenthesis, colon or
        # quotation after its head ("A spokesperson for the China Coast Guard (CCG)").
        furn = getattr(self, "_furn", None)
        if furn is not None:
            start = furn.text_start(tok.idx, _text(doc))
            while i < tok.i and doc[i].idx < start:
                i += 1
        for k in range(tok.i + 1, j + 1):
            if doc[k].text in ("(", ":") or doc[k].text in OPEN_QUOTES:
                j = k - 1
                break
        # "The Foreign Office of Pakistan in the statement": where it spoke, not who.
        for c in tok.rights:
            if (
                c.dep_ == "prep"
                and c.lower_ in ("in", "on", "at", "during", "via")
                and any(o.dep_ == "pobj" and o.lemma_.lower() in MEDIUM_NOUNS for o in c.children)
            ):
                j = min(j, c.left_edge.i - 1)
        i, j = _strip(doc, i, j)
        return i, j

    @staticmethod
    def _head_phrase(doc: Doc, tok: Token, i: int, j: int) -> int:
        """Last token of the mention before an apposition ("The M23, a rebel group
        that ..." -> "The M23")."""
        for k in range(tok.i + 1, j + 1):
            if doc[k].text == ",":
                return k - 1
        return j

    @staticmethod
    def _person_name(doc: Doc, tok: Token, i: int, j: int) -> str:
        """The name without the titles stacked in front ("Defence Ministry spokeswoman
        Marta Kowalska" -> "Marta Kowalska"), when the mention's head is a named person."""
        if tok.lower_ in TITLE_WORDS:
            # "Iran's foreign ministry spokesman, Nasser Kanaani": the name in apposition.
            appos = next((c for c in tok.rights if c.dep_ == "appos" and c.i <= j), None)
            if appos is None or appos.pos_ != "PROPN":
                return ""
            tok = appos
        if tok.pos_ != "PROPN" or tok.lower_ in SPEAKER_NOUNS:
            return ""
        k = tok.i
        while k - 1 >= i and doc[k - 1].pos_ == "PROPN" and doc[k - 1].lower_ not in TITLE_WORDS:
            k -= 1
        end = tok.i
        while end + 1 <= j and doc[end + 1].pos_ == "PROPN" and doc[end + 1].ent_type_ == "PERSON":
            end += 1
        run = doc[k : end + 1]
        titled = k > i and doc[k - 1].lower_ in TITLE_WORDS
        named = titled or any(t.ent_type_ == "PERSON" for t in run)
        if len(run) >= 2 and named and all(t.text[:1].isupper() for t in run):
            return str(run.text)
        return ""

    def _explicit(self, doc: Doc, tok: Token) -> Speaker:
        i, j = self._mention(tok)
        span = doc[i : j + 1]
        text = span.text
        actor: ActorEntry | None = self.registry.actor_for(text)
        if actor is None and tok.pos_ == "PROPN" and i == j:
            actor = self.registry.actor_by_surname(text)
        name = self._person_name(doc, tok, i, j)
        head_end = self._head_phrase(doc, tok, i, j)
        head_text = doc[i : head_end + 1].text
        if any(t.pos_ in ("VERB", "AUX") for t in doc[head_end + 1 : j + 1]) or (
            head_end < j and tok.pos_ == "PROPN" and tok.i <= head_end and not name
        ):
            # "The M23, a rebel group that Kinshasa says is backed by ...", "CARICOM, the
            # regional bloc of Caribbean states": the name, not what the reporter adds.
            text = head_text
        party = actor.party if actor else self.registry.party_of_text(head_text)
        if not party and not actor and not name:
            party = self._armed_group(doc, tok, i, self._head_phrase(doc, tok, i, j))
        if not party and not actor:
            party = self.registry.party_of_text(text)
        if not party:
            # "The Tavush regional administration": the party administering the place.
            party = next((pl.party for pl in self.registry.places_in(text) if pl.party), "")
        if not party and (name or tok.pos_ == "PROPN"):
            # "Petrov said" after "Russian Foreign Minister Sergei Petrov".
            party = self._named_people.get(name or tok.text, "")
        if actor is not None:
            is_person = actor.is_person
        elif tok.lemma_.lower() in SPEAKER_NOUNS:
            is_person = tok.lemma_.lower() in PERSON_NOUNS
        else:
            is_person = tok.ent_type_ == "PERSON" or (
                tok.pos_ == "PROPN" and not party and tok.ent_type_ not in ("ORG", "GPE", "NORP")
            )
        return Speaker(
            text=name or text,
            party=party,
            actor=actor.slug if actor else "",
            actor_name=actor.name if actor else "",
            is_person=is_person or bool(name),
            head=tok.lemma_.lower(),
            start=span.start_char,
            end=span.end_char,
        )

    def _speaker_inside(self, doc: Doc, cue: _Cue) -> Speaker | None:
        span = doc.char_span(cue.start, cue.end, alignment_mode="expand")
        if span is None:
            return None
        subj = next((t for t in span if t.dep_ == "nsubj" and self._is_mention(t)), None)
        if subj is None or subj.ent_type_ != "PERSON":
            return None
        return self._explicit(doc, subj)

    def _resolve(self, doc: Doc, tok: Token, history: list[Speaker]) -> Speaker | None:
        low = tok.lower_
        i, j = self._mention(tok)
        span = doc[i : j + 1]
        surface = Speaker(
            text=span.text, start=span.start_char, end=span.end_char, head=tok.lemma_.lower()
        )

        def inherit(ante: Speaker) -> Speaker:
            return Speaker(
                text=ante.text,
                party=ante.party,
                actor=ante.actor,
                actor_name=ante.actor_name,
                is_person=ante.is_person,
                head=ante.head,
                start=surface.start,
                end=surface.end,
                resolved_from=surface.text,
                party_guessed=ante.party_guessed,
            )

        if tok.pos_ == "PRON":
            if low in ("he", "she", "him", "her"):
                ante = next((h for h in reversed(history) if h.is_person), None)
            elif low in ("it", "they"):
                ante = next((h for h in reversed(history) if not h.is_person), None)
                if ante is None and low == "they":
                    ante = history[-1] if history else None
            else:
                ante = None
            return inherit(ante) if ante else None
        # "the Ministry", capitalised, is still a common noun that refers back.
        has_proper = any(t.pos_ == "PROPN" and t.lower_ not in SPEAKER_NOUNS for t in span)
        party = self.registry.party_of_text(span.text)
        actor = self.registry.actor_for(span.text)
        if (
            tok.lemma_.lower() in PERSON_NOUNS
            and any(c.lower_ == "the" and c.dep_ == "det" for c in tok.children)
            and not self._person_name(doc, tok, i, j)
        ):
            # "the Kremlin spokesman", "the president": the person named before.
            ante = next(
                (h for h in reversed(history) if h.is_person and (not party or h.party == party)),
                None,
            )
            if ante:
                return inherit(ante)
        if (
            i == j
            and tok.text[:1].isupper()
            and (tok.pos_ == "PROPN" or tok.text in _surnames(doc))
            and not party
        ):
            # A surname alone names the person met before under the full name.
            ante = next(
                (h for h in reversed(history) if h.is_person and low in norm(h.text).split()),
                None,
            )
            if ante:
                return inherit(ante)
        head = tok.lemma_.lower()
        if head in DOC_NOUNS:
            # "The release said", "The French statement also said": the last speaker
            # (of the party the phrase names, if it names one).
            ante = next(
                (h for h in reversed(history) if not party or h.party == party),
                None,
            )
            if ante:
                return inherit(ante)
        possessive = next(
            (c for c in tok.children if c.dep_ == "poss" and c.lower_ in ("its", "their")), None
        )
        if possessive is not None and not has_proper and not party:
            # "Its interior ministry": the body of the party met last.
            ante = next((h for h in reversed(history) if not h.is_person and h.party), None)
            if ante:
                rest = norm(doc[possessive.i + 1 : j + 1].text)
                found = next(
                    (
                        a
                        for a in self.registry.actors
                        if a.party == ante.party and rest and rest in norm(a.name)
                    ),
                    None,
                )
                resolved = inherit(ante)
                if found:
                    resolved.text, resolved.actor, resolved.actor_name = (
                        found.name,
                        found.slug,
                        found.name,
                    )
                    resolved.is_person = found.is_person
                else:
                    resolved.text, resolved.actor, resolved.actor_name = surface.text, "", ""
                    resolved.resolved_from = ""
                return resolved
        if not has_proper and not party and actor is None:
            ante = next(
                (h for h in reversed(history) if h.head == head or head in norm(h.text).split()),
                None,
            )
            if ante:
                return inherit(ante)
            surface.is_person = head in PERSON_NOUNS
            return surface
        explicit = self._explicit(doc, tok)
        if not explicit.party:
            # "A government spokesman, Pavel Hruby": the party of the government met
            # before.
            nouns = {t.lemma_.lower() for t in span if t.pos_ == "NOUN"} & SPEAKER_NOUNS
            ante = next(
                (h for h in reversed(history) if h.party and h.head in nouns - PERSON_NOUNS),
                None,
            )
            if ante:
                explicit.party = ante.party
        return explicit
