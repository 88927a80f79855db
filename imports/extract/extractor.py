from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from ..gazetteer import slugify
from ..proposals import propose_types_and_points
from ..registry import ActorEntry, Registry, norm
from .dates import proposed_date
from .furniture import Furniture, furniture
from .lexicon import (
    ALLEGATION_NOUNS,
    CLAUSE_ONLY,
    CLOSE_QUOTES,
    DOC_NOUNS,
    JOINT_NOUNS,
    NESTING_MARKS,
    NOT_SPEAKER_NOUNS,
    OPEN_QUOTES,
    PERSON_NOUNS,
    REJECTING_LEMMAS,
    RELEASE_HEADER,
    RELEASE_ISSUER,
    SEPARATE_CLAIM_LEMMAS,
    SKIP_DEPS,
    SPEAKER_NOUNS,
    TITLE_WORDS,
    VERB_INCLUDED,
    VERB_INCLUDED_WITH,
)
from .model import Analysis, ProposedStatement, Speaker
from .quotes import _Quotes
from .syntax import (
    _inherited_subject,
    _is_adjunct_prep,
    _is_cue_lemma,
    _own_subject,
    _span_text_range,
    _strip,
    _surnames,
    _text,
    _verbless_clause,
    verb_carries_meaning,
)

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token


@dataclass
class _Cue:
    token: Token
    subject: Token
    inherited: bool
    according: bool = False
    start: int = 0  # content char span
    end: int = 0
    dropped: bool = False
    bare: bool = False  # the verb alone is the statement ("an allegation X rejected")

    def start_token(self, doc: Doc) -> int:
        span = doc.char_span(self.start, self.end, alignment_mode="expand")
        return span.start if span is not None else self.token.i


class Extractor:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        # Per article, set by analyse(): its furniture and its named people's parties.
        self._furn: Furniture | None = None
        self._named_people: dict[str, str] = {}

    # 1. cues ---------------------------------------------------------------------
    def _cues(self, doc: Doc, quotes: _Quotes, furn: Furniture) -> list[_Cue]:
        cues: list[_Cue] = []
        surnames = _surnames(doc)
        for tok in doc:
            if quotes.strictly_inside(tok.idx) or furn.in_headline(tok.idx):
                continue
            if tok.lower_ == "according" and tok.i + 1 < len(doc) and doc[tok.i + 1].lower_ == "to":
                objs = [c for c in doc[tok.i + 1].children if c.dep_ == "pobj"]
                if objs and not self._not_a_speaker(objs[0]):
                    cues.append(_Cue(tok, self._speaker_token(objs[0]), False, according=True))
                continue
            if not _is_cue_lemma(tok):
                continue
            if tok.tag_ == "VBN" and tok.dep_ in ("amod", "acl") and not _verbless_clause(tok):
                continue
            if (
                tok.dep_ == "relcl"
                and tok.lemma_.lower() in REJECTING_LEMMAS
                and tok.head.lemma_.lower() in ALLEGATION_NOUNS
                and (own := _own_subject(tok)) is not None
                and own.pos_ in ("PROPN", "NOUN")
                and not self._not_a_speaker(own)
            ):
                # "..., a charge Asmara denied": the verb is the whole statement.
                cue = _Cue(tok, self._speaker_token(own), False)
                cue.bare = True
                cues.append(cue)
                continue
            subj = _own_subject(tok)
            inherited = False
            if subj is None:
                subj = _inherited_subject(tok)
                inherited = subj is not None
            if subj is not None and subj.idx < furn.text_start(tok.idx, _text(doc)):
                subj = self._subject_after_dateline(doc, tok, furn)
            if subj is None or subj.lower_ in ("i", "we", "you", "this", "that", "there", "which"):
                continue
            if subj.pos_ not in ("PRON", "PROPN") and not self._speakerish(subj, surnames):
                continue
            if self._not_a_speaker(subj) or not self._has_content(tok):
                continue
            cues.append(_Cue(tok, self._speaker_token(subj), inherited))
        return cues

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

    def _not_a_speaker(self, subj: Token) -> bool:
        """Media ("TASS reported", "local media said", "our correspondent"), joint
        attributions ("the two sides", "Kinshasa and UN experts"), figures ("according
        to official figures"): never a party's statement (ANNOTATION.md)."""
        doc = subj.doc
        i, j = self._mention(subj)
        span = doc[min(i, subj.i) : max(j, subj.i) + 1]
        words = {t.lower_ for t in span}
        head = subj.lemma_.lower()
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
    def _has_content(v: Token) -> bool:
        deps = {c.dep_ for c in v.children}
        if v.lemma_.lower() == "call" and not verb_carries_meaning(v):
            return False  # "Blinken called the two leaders": an action, not words
        if v.lemma_.lower() in CLAUSE_ONLY:
            deps &= {"ccomp"}
        if deps & {"ccomp", "xcomp", "dobj", "dative", "oprd", "prep", "advcl", "attr"}:
            return True
        # "“...,” the minister added." has only punctuation and the subject.
        return any(c.dep_ == "punct" and c.text in CLOSE_QUOTES + "”" for c in v.children) or (
            v.i > 0 and v.doc[v.i - 1].text in CLOSE_QUOTES
        )

    # 2. content spans ------------------------------------------------------------
    def _content(self, doc: Doc, cue: _Cue, cues: list[_Cue], quotes: _Quotes) -> None:
        if cue.according:
            self._according_content(doc, cue, quotes)
            return
        v = cue.token
        if cue.bare:
            cue.start, cue.end = v.idx, v.idx + len(v.text)
            return
        sent = v.sent
        lemma = v.lemma_.lower()
        kids: list[Token] = []
        adjuncts: list[Token] = []  # said when, where, to whom: "on Thursday", "to reporters"
        addressees: list[Token] = []  # "called on both sides", "told reporters"
        for c in v.rights:
            if c.dep_ in SKIP_DEPS or c.i == cue.subject.i:
                continue
            if c.dep_ == "prep" and lemma == "call" and c.lower_ in ("on", "upon"):
                addressees.append(c)
            elif c.dep_ == "prep" and _is_adjunct_prep(c, v):
                adjuncts.append(c)
            elif c.dep_ in ("dobj", "dative") and lemma in ("tell", "assure", "inform", "brief"):
                addressees.append(c)
                # "told a cabinet meeting that ...": the parser may hang the that-clause
                # on the addressee.
                kids.extend(
                    g
                    for g in c.rights
                    if g.dep_ in ("relcl", "ccomp", "acl")
                    and doc[g.left_edge.i].lower_ == "that"
                    and g.left_edge.i > c.i
                )
            else:
                kids.append(c)
        included = verb_carries_meaning(v)
        participle = v.tag_ == "VBG" and v.dep_ in ("advcl", "acl", "pcomp")
        if self._quote_before(doc, cue, quotes):
            return
        boundary = self._boundary(doc, cue, cues)
        end_tok = min(sent.end - 1, boundary)
        start_tok = -1
        if kids or included:
            ccomps = [c for c in kids if c.dep_ == "ccomp"]
            first = ccomps[0] if ccomps and not included else (kids[0] if kids else v)
            start_tok = v.i if included else first.left_edge.i
            if included:
                # The verb's own words run to the end of its last complement,
                # addressees included ("urged both sides to ...").
                kids = kids + addressees
            if start_tok < v.i:
                start_tok = v.i + 1
            # Skip the complementiser.
            while start_tok <= end_tok and (
                doc[start_tok].dep_ in ("mark", "dobj")
                and doc[start_tok].lower_ in ("that", "whether")
            ):
                start_tok += 1
            if not participle:
                right = max((c.right_edge.i for c in kids), default=v.i)
                # A time phrase after the content belongs to it ("the ceasefire agreed
                # in November 2020"); a medium ("in a statement") does not.
                for a in adjuncts:
                    if (
                        a.i > start_tok
                        and a.i == right + 1
                        and any(o.ent_type_ in ("DATE", "TIME") for o in a.children)
                    ):
                        right = a.right_edge.i
                end_tok = min(end_tok, right)
        elif addressees and addressees[-1].right_edge.i < end_tok:
            # "called on both sides “to ...”": what follows the addressee.
            start_tok = max([addressees[-1].right_edge.i, *(a.right_edge.i for a in adjuncts)]) + 1
        if start_tok >= 0:
            i, j = _strip(doc, start_tok, end_tok)
            if i <= j:
                s, e = _span_text_range(doc, i, j)
                if included:
                    # "called on both sides “to ...”": a quotation the parser left
                    # unattached right after the addressee is still the verb's.
                    nxt = next((q for q in quotes.spans if q[0] >= e), None)
                    if nxt and nxt[1] <= sent.end_char and not _text(doc)[e : nxt[0]].strip():
                        e = nxt[1]
                cue.start, cue.end = quotes.widen(s, e)
                return
        self._left_content(doc, cue, quotes)

    def _boundary(self, doc: Doc, cue: _Cue, cues: list[_Cue]) -> int:
        """Last token the content may reach: before the next cue of the same speaker
        ("... and added that") or before another speaker's subject in the same
        sentence (a sentence the parser failed to split)."""
        v = cue.token
        sent = v.sent
        limit = sent.end - 1
        first_child = next(
            (c for c in v.rights if c.dep_ not in SKIP_DEPS and c.i != cue.subject.i), None
        )
        for other in cues:
            t = other.token
            if other is cue or t.i <= v.i or t.i > limit or other.according:
                continue
            if other.subject.i == cue.subject.i or (other.inherited and other.subject.i < v.i):
                b = t.i - 1
            elif other.subject.i > v.i and not (
                first_child is not None
                and first_child.left_edge.i <= t.i <= first_child.right_edge.i
            ):
                if (
                    t.head.i == v.i
                    and t.dep_ == "ccomp"
                    and any(c.dep_ == "mark" for c in t.children)
                ):
                    continue
                b = other.subject.left_edge.i - 1
            else:
                continue
            while b > v.i and (
                doc[b].is_space
                or doc[b].dep_ in ("cc", "punct", "advmod")
                and doc[b].text not in CLOSE_QUOTES
            ):
                b -= 1
            limit = min(limit, b)
        return limit

    def _quote_before(self, doc: Doc, cue: _Cue, quotes: _Quotes) -> bool:
        """“...,” said the minister, speaking to reporters: with the speaker after the
        verb, a quotation that ends right before the verb is what was said, whatever
        follows. (With the speaker first, "X said" takes what follows it, and only a
        cue with nothing after it looks back: see _left_content.)"""
        v, subj = cue.token, cue.subject
        if subj.i < v.i or v.i == 0:
            return False
        left = v.i
        left_char = doc[left].idx
        text = _text(doc)
        k = bisect.bisect_right(quotes.starts, left_char) - 1
        while k >= 0 and quotes.spans[k][1] > left_char:
            k -= 1
        if k < 0:
            return False
        s, e = quotes.spans[k]
        # A quotation closed by a full stop ended its own sentence: what follows is a
        # new statement, not the attribution of that quotation.
        closed_by_stop = text[e - 2 : e - 1] == "."
        if not closed_by_stop and re.fullmatch(r"[ \t,;:\-–—]*", text[e:left_char]):
            cue.start, cue.end = s, e
            return True
        return False

    def _left_content(self, doc: Doc, cue: _Cue, quotes: _Quotes) -> None:
        """Content before the cue: “...,” Dujarric added / ..., the ministry said."""
        v = cue.token
        subj = cue.subject
        left = min(v.i, subj.left_edge.i)
        left_char = doc[left].idx
        # A quotation that ends right before the speaker.
        for s, e in reversed(quotes.spans):
            if e <= left_char:
                if re.fullmatch(r"[ \t,;:\-–—]*", _text(doc)[e:left_char]):
                    cue.start, cue.end = s, e
                    return
                break
        # A quotation right after the cue ("... said: “...”").
        after = doc[v.i].idx + len(v.text)
        for s, e in quotes.spans:
            if s >= after:
                if re.fullmatch(r"[ \t,:\-–—]*", _text(doc)[after:s]):
                    cue.start, cue.end = s, e
                    return
                break
        ccomps = [c for c in v.children if c.dep_ == "ccomp" and c.i < left]
        if ccomps:
            i, j = _strip(doc, ccomps[0].left_edge.i, left - 1)
            if i <= j:
                cue.start, cue.end = quotes.widen(*_span_text_range(doc, i, j))
                return
        sent = v.sent
        rest = [t for t in doc[v.i + 1 : sent.end] if not (t.is_punct or t.is_space)]
        if not rest and left > sent.start and doc[left - 1].text == ",":
            # "..., the president stressed." where the parser lost the clause: the
            # words from the sentence start to the comma before the speaker.
            lo = sent.start_char
            if self._furn is not None:
                lo = max(lo, self._furn.text_start(sent.start_char, _text(doc)))
            span = doc.char_span(lo, doc[left - 1].idx, alignment_mode="contract")
            if span is not None and len(span) >= 4:
                i, j = _strip(doc, span.start, span.end - 1)
                if i <= j:
                    cue.start, cue.end = quotes.widen(*_span_text_range(doc, i, j))
                    return
        cue.dropped = True

    def _according_content(self, doc: Doc, cue: _Cue, quotes: _Quotes) -> None:
        acc = cue.token
        head = acc.head if acc.head.i != acc.i else acc
        sent = acc.sent
        phrase_lo, phrase_hi = acc.i, acc.right_edge.i
        first, last = _strip(doc, sent.start, sent.end - 1)
        if phrase_lo <= first:  # "According to X, ..."
            i, j = _strip(doc, phrase_hi + 1, sent.end - 1)
        elif phrase_hi >= last:  # "..., according to X."
            i, j = _strip(doc, sent.start, phrase_lo - 1)
        else:  # "This, according to X, would ..."
            lo, hi = (head.left_edge.i, head.right_edge.i) if head.i != acc.i else (first, last)
            i, j = _strip(doc, max(lo, sent.start), min(hi, sent.end - 1))
        if j < i:
            cue.dropped = True
            return
        s, e = quotes.widen(*_span_text_range(doc, i, j))
        inner = quotes.within(s, e)
        if inner:
            # When a quotation carries the statement and the rest of the clause is
            # the writer's framing ("This, according to X, would ensure “...”"),
            # the quotation is what X said.
            qs, qe = inner[0][0], inner[-1][1]
            p0, p1 = doc[phrase_lo].idx, doc[phrase_hi].idx + len(doc[phrase_hi].text)
            outside = re.findall(
                r"\w+", _text(doc)[s:qs].replace(_text(doc)[p0:p1], "")
            ) + re.findall(r"\w+", _text(doc)[qe:e])
            if len(outside) <= 4 and len(re.findall(r"\w+", _text(doc)[qs:qe])) >= 4:
                s, e = qs, qe
        cue.start, cue.end = s, e

    # 3. speakers -----------------------------------------------------------------
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
        if any(t.pos_ in ("VERB", "AUX") for t in doc[head_end + 1 : j + 1]):
            # "The M23, a rebel group that Kinshasa says is backed by ...": the name.
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
        has_proper = any(t.pos_ == "PROPN" for t in span)
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

    # 4. the article --------------------------------------------------------------
    def analyse(self, doc: Doc, published: date | None = None) -> Analysis:
        quotes = _Quotes(_text(doc))
        furn = self._furn = furniture(_text(doc))
        self._named_people = self._people(doc)
        cues = self._cues(doc, quotes, furn)
        for cue in cues:
            self._content(doc, cue, cues, quotes)
            if not cue.dropped:
                # Never from the dateline or a live blog's time stamp.
                cue.start = max(cue.start, furn.text_start(cue.start, _text(doc)))
                content = _text(doc)[cue.start : cue.end]
                if furn.in_headline(cue.start) or self._joint_content(content):
                    cue.dropped = True
        cues = [c for c in cues if not c.dropped and c.end > c.start]
        cues += self._colon_quotes(doc, quotes, furn, cues)
        self._cut_nested(doc, cues, quotes)
        self._merge_coordinated(doc, cues)
        for cue in cues:
            if not cue.dropped:
                cue.start, cue.end = self._trim_trailing(doc, cue.start, cue.end, quotes)
                cue.end = self._join_split_quote(doc, cue, quotes)
        cues = [c for c in cues if not c.dropped and c.end > c.start]
        # "X condemned Y, his office said" / "According to the ministry, X urged Y":
        # the attribution of a statement whose own speaker is named inside it.
        for outer in cues:
            if outer.according or outer.start < outer.token.idx and outer.end > outer.token.idx:
                continue
            for inner in cues:
                if (
                    inner is not outer
                    and not inner.inherited
                    and inner.subject.pos_ != "PRON"
                    and outer.start <= inner.subject.idx < outer.end
                    and outer.start <= inner.token.idx < outer.end
                    and (outer.according or outer.end <= outer.token.idx)
                ):
                    outer.dropped = True
                    break
        for outer in cues:
            if not outer.according:
                continue
            for inner in cues:
                if (
                    inner is not outer
                    and not inner.inherited
                    and inner.subject.pos_ != "PRON"
                    and outer.start <= inner.subject.idx < outer.end
                ):
                    outer.dropped = True
                    break
        cues = [c for c in cues if not c.dropped]
        # A cue inside another statement's content is part of what was said.
        kept: list[_Cue] = []
        for cue in cues:
            inside = any(
                o is not cue and o.start <= cue.token.idx < o.end and o.subject.i != cue.subject.i
                for o in cues
            )
            if not inside:
                kept.append(cue)
        kept.sort(key=lambda c: (c.start, c.token.i))
        # Deduplicate identical spans (two cues on one clause).
        seen: set[tuple[int, int]] = set()
        unique: list[_Cue] = []
        for cue in kept:
            if (cue.start, cue.end) in seen:
                continue
            seen.add((cue.start, cue.end))
            unique.append(cue)
        spans = [(c.start, c.end) for c in unique]

        # Mentions in document order: the cue subjects and other subjects outside the
        # statements' content, so "he" and "the ministry" find their antecedents.
        def outside(idx: int) -> bool:
            return not any(s <= idx < e for s, e in spans) and not quotes.strictly_inside(idx)

        subject_ids = {c.subject.i for c in unique}
        events: list[tuple[int, str, Any]] = []
        for c in unique:
            events.append((c.subject.idx, "cue", c))
        for tok in doc:
            if (
                tok.dep_ == "nsubj"
                and tok.i not in subject_ids
                and outside(tok.idx)
                and self._is_mention(tok)
            ):
                events.append((tok.idx, "mention", tok))
        events.sort(key=lambda e: (e[0], e[1] == "cue"))
        history: list[Speaker] = []
        resolved: dict[int, Speaker] = {}
        for _, what, obj in events:
            if what == "mention":
                history.append(self._explicit(doc, obj))
                continue
            cue = obj
            if cue.subject.i in resolved:
                resolved[id(cue)] = resolved[cue.subject.i]
                continue
            spk = self._resolve(doc, cue.subject, history)
            if spk is None and cue.subject.pos_ == "PRON" and cue.end <= cue.token.idx:
                # "Serbian President X has ordered ..., he said": the person named in
                # the statement itself, when nobody was named before.
                spk = self._speaker_inside(doc, cue)
            if spk is None:
                continue
            if not spk.party:
                spk.party = self._guess_party(doc, cue)
                spk.party_guessed = bool(spk.party)
            resolved[cue.subject.i] = spk
            resolved[id(cue)] = spk
            history.append(spk)

        statements: list[ProposedStatement] = []
        for cue in unique:
            spk = resolved.get(id(cue))
            if spk is None:
                continue
            sent = cue.token.sent
            text = _text(doc)[cue.start : cue.end]
            quoted = quotes.within(cue.start, cue.end)
            if len(quoted) == 1 and quoted[0] == (cue.start, cue.end):
                kind = "direct"
            elif quoted:
                kind = "mixed"
            else:
                kind = "reported"
            cue_end = cue.token.idx + len(cue.token.text)
            party = spk.party
            statements.append(
                ProposedStatement(
                    start=cue.start,
                    end=cue.end,
                    text=text,
                    kind=kind,
                    speaker=spk.text,
                    party=party,
                    party_guessed=spk.party_guessed,
                    actor=spk.actor,
                    actor_name=spk.actor_name,
                    speaker_start=spk.start,
                    speaker_end=spk.end,
                    speaker_surface=spk.resolved_from or spk.text,
                    cue=("according to" if cue.according else cue.token.lemma_.lower()),
                    cue_start=cue.token.idx,
                    cue_end=cue_end,
                    sentence_start=min(sent.start_char, cue.start),
                    sentence_end=max(sent.end_char, cue.end),
                    new_actor=None
                    if spk.actor
                    else {
                        "name": spk.text,
                        "kind": "person" if spk.is_person else "body",
                        "party": party,
                    },
                )
            )
        statements += self._release_statements(doc, furn, statements, quotes)
        statements.sort(key=lambda s: s.start)
        for st in statements:
            st.new_party = self._new_party(st)
            st.alternatives = self._alternatives(doc, st)
        parties = list(dict.fromkeys(s.party for s in statements if s.party))
        when, when_text = proposed_date(doc, published)
        analysis = Analysis(
            text=_text(doc),
            statements=statements,
            incident_date=when,
            incident_date_text=when_text,
            places=self._places(doc),
            parties=parties,
            word_count=sum(1 for t in doc if not (t.is_space or t.is_punct)),
        )
        propose_types_and_points(analysis, self.registry)
        return analysis

    # 2b. the span rules of ANNOTATION.md ------------------------------------------
    def _cut_nested(self, doc: Doc, cues: list[_Cue], quotes: _Quotes) -> None:
        """ "Kinshasa said it lost 12 soldiers, after Kigali said nine of its troops
        had died": the inner attribution is its own statement, cut out of the outer
        one; the same for "..., an allegation Yerevan rejected"."""
        for inner in cues:
            t = inner.token
            if inner.according or inner.dropped:
                continue
            for outer in cues:
                if outer is inner or outer.dropped or outer.according:
                    continue
                if not (outer.start <= t.idx < outer.end) or outer.subject.i == inner.subject.i:
                    continue
                if quotes.strictly_inside(t.idx):
                    continue
                cut = self._nesting_point(t, outer.token)
                if cut is None:
                    continue
                i, j = _strip(doc, doc[outer.start_token(doc)].i, cut - 1)
                if i <= j:
                    outer.end = min(outer.end, doc[j].idx + len(doc[j].text))

    @staticmethod
    def _nesting_point(t: Token, outer_verb: Token) -> int | None:
        """Token index where an inner attribution begins, if `t` is one: the
        subordinator of "after X said" or the noun of "an allegation X rejected"."""
        a = t
        for _ in range(8):
            if a.i == outer_verb.i or a.head.i == a.i:
                return None
            if a.dep_ == "advcl":
                mark = next((c for c in a.children if c.dep_ == "mark"), None)
                if mark is not None and mark.lower_ in NESTING_MARKS and mark.i < t.i:
                    return mark.i
            if a.dep_ == "relcl" and a.i == t.i:
                noun = a.head
                return noun.left_edge.i if noun.left_edge.i < t.i else None
            a = a.head
        return None

    def _merge_coordinated(self, doc: Doc, cues: list[_Cue]) -> None:
        """ "voiced regret ... and urged both governments to ...": one statement from
        the first verb to the end of the last. Kept apart, as the seed article is
        annotated, after a plain "said" ("said X and called on Y") and before a verb
        that marks a claim of its own ("dismissed X and insisted that Y")."""
        for b in cues:
            if b.dropped or not b.inherited or b.token.dep_ != "conj":
                continue
            a = next(
                (
                    o
                    for o in cues
                    if o is not b
                    and not o.dropped
                    and not o.according
                    and o.token.i == b.token.head.i
                    and o.subject.i == b.subject.i
                ),
                None,
            )
            if a is None or not verb_carries_meaning(a.token):
                continue
            if b.token.lemma_.lower() in SEPARATE_CLAIM_LEMMAS:
                continue
            if a.token.sent != b.token.sent or b.start < a.start:
                continue
            a.end = max(a.end, b.end)
            b.dropped = True

    def _trim_trailing(self, doc: Doc, start: int, end: int, quotes: _Quotes) -> tuple[int, int]:
        """Cut what the reporter added after the speaker's words: a relative clause
        ("..., which has been disputed since 1991"), an apposition ("..., a village east
        of the lake"), "..., as tensions rise", a parenthesis at the end."""
        span = doc.char_span(start, end, alignment_mode="expand")
        if span is None or len(span) < 3:
            return start, end
        changed = True
        while changed:
            changed = False
            last = span[-1]
            while last.i > span.start and last.is_punct and last.text not in CLOSE_QUOTES:
                last = doc[last.i - 1]
            for k in range(last.i - 1, span.start, -1):
                tok = doc[k]
                if quotes.strictly_inside(tok.idx):
                    continue
                closing = doc[last.i].text == ")" or (
                    last.i + 1 < len(doc) and doc[last.i + 1].text == ")"
                )
                if not (
                    tok.text == "("
                    and closing
                    or tok.text == ","
                    and self._trailing_aside(doc, k + 1, last.i)
                ):
                    continue
                cut = k
                i, j = _strip(doc, span.start, cut - 1)
                if i <= j and j - i >= 2:
                    end = doc[j].idx + len(doc[j].text)
                    span = doc[span.start : j + 1]
                    changed = True
                break
        return start, end

    @staticmethod
    def _trailing_aside(doc: Doc, i: int, last: int) -> bool:
        """doc[i:last+1], after a comma, is a relative clause, an apposition, a
        measure phrase or an "as ..." clause, not the speaker's next words."""
        first = doc[i]
        if first.lower_ in ("which", "where", "whose") and any(
            a.dep_ == "relcl" for a in [first, *first.ancestors][:3]
        ):
            return True
        if first.lower_ == "as" and first.dep_ == "mark":
            return True
        heads = [t for t in doc[i : last + 1] if t.head.i < i or t.head.i > last]
        if len(heads) != 1:
            return False
        head = heads[0]
        if head.dep_ in ("appos", "npadvmod") and head.left_edge.i == i:
            return head.pos_ in ("NOUN", "PROPN", "NUM")
        return False

    def _join_split_quote(self, doc: Doc, cue: _Cue, quotes: _Quotes) -> int:
        """“We will respond,” he said. “Any provocation will be answered.” is one
        statement: a quotation standing alone as the next sentence of the paragraph
        joins the quotation before the attribution."""
        text = _text(doc)
        q = quotes.containing(cue.start)
        if q is None or q[0] != cue.start or cue.token.idx < q[1]:
            return cue.end
        sent_end = cue.token.sent.end_char
        if cue.end > sent_end:
            return cue.end
        nxt = next((x for x in quotes.spans if x[0] >= sent_end), None)
        if nxt is None or text[sent_end : nxt[0]].strip() or "\n" in text[cue.end : nxt[0]]:
            return cue.end
        after = text[nxt[1] : nxt[1] + 3]
        if after.strip(" ") and not after.startswith("\n"):
            return cue.end
        return nxt[1]

    def _colon_quotes(
        self, doc: Doc, quotes: _Quotes, furn: Furniture, cues: list[_Cue]
    ) -> list[_Cue]:
        """A live blog's "Armenian Security Council Secretary Armen Grigoryan: “...”"."""
        text = _text(doc)
        out: list[_Cue] = []
        for qs, qe in quotes.spans:
            before = text[max(0, qs - 3) : qs]
            if not re.search(r":\s*$", before) or any(c.start <= qs < c.end for c in cues):
                continue
            line_start = max(text.rfind("\n", 0, qs) + 1, furn.text_start(qs, text))
            colon = text.rfind(":", 0, qs)
            head = text[line_start:colon]
            if not head.strip() or len(head.split()) > 14 or furn.in_headline(qs):
                continue
            span = doc.char_span(line_start, colon, alignment_mode="contract")
            if span is None or not any(t.pos_ == "PROPN" for t in span):
                continue
            if any(t.pos_ in ("VERB", "AUX") for t in span):
                continue  # "X writes on X: ..." has a verb cue of its own
            root = span.root
            cue = _Cue(doc[span.end - 1] if span.end < len(doc) else root, root, False)
            cue.start, cue.end = qs, qe
            out.append(cue)
        return out

    def _release_statements(
        self, doc: Doc, furn: Furniture, found: list[ProposedStatement], quotes: _Quotes
    ) -> list[ProposedStatement]:
        """A government's own press release ("Statement of the Ministry of Foreign
        Affairs of ...", "Press Statement" over "Ministry of Information, Asmara, ..."):
        every sentence of its body is the issuer's, whether or not it has a verb of
        saying. Sentences that quote someone else keep their own speaker."""
        text = _text(doc)
        header = [text[s:e].strip() for s, e in furn.headlines]
        issuer, is_release = "", False
        for line in header[:3]:
            m = RELEASE_HEADER.match(line)
            if m:
                is_release = True
                issuer = issuer or (m.group("issuer") or m.group("issuer2") or "").strip()
            elif is_release and not issuer and RELEASE_ISSUER.match(line):
                issuer = line.split(",")[0].strip()  # "Ministry of Information, Asmara, ..."
        if not issuer:
            return []
        party = self.registry.party_of_text(" ".join(header[:3])) or self._dateline_party(text)
        out = []
        for sent in doc.sents:
            s0, e0 = sent.start_char, sent.end_char
            if furn.in_headline(s0) or any(st.start < e0 and s0 < st.end for st in found):
                continue
            if any(t.ent_type_ == "PERSON" for t in sent) or quotes.within(s0, e0):
                continue
            i, j = _strip(doc, sent.start, sent.end - 1)
            if j - i < 4:
                continue
            start, end = _span_text_range(doc, i, j)
            out.append(
                ProposedStatement(
                    start=start, end=end, text=text[start:end], kind="reported",
                    speaker=issuer, party=party, actor="", actor_name="",
                    speaker_start=0, speaker_end=0, speaker_surface=issuer,
                    cue="statement", cue_start=start, cue_end=start,
                    sentence_start=s0, sentence_end=e0,
                    new_actor={"name": issuer, "kind": "body", "party": party},
                )
            )  # fmt: skip
        return out

    def _new_party(self, st: ProposedStatement) -> dict[str, str] | None:
        if not st.party or st.party in self.registry.parties:
            return None
        name, kind = self.registry.party_name(st.party)
        if not name:
            # An armed group named in the text: its name as written, without "the".
            name, kind = re.sub(r"(?i)^the\s+", "", st.speaker_surface or st.speaker), "group"
        return {"slug": st.party, "name": name, "kind": kind}

    @staticmethod
    def _alternatives(doc: Doc, st: ProposedStatement) -> list[dict[str, Any]]:
        """Spans an editor may prefer, by the rules of ANNOTATION.md: the verb included
        when it carries the meaning and the proposal starts after it; the sentence."""
        text = _text(doc)
        out = [{"label": "as proposed", "start": st.start, "end": st.end}]
        verb = doc.char_span(st.cue_start, st.cue_end, alignment_mode="expand")
        if (
            verb is not None
            and st.cue_start < st.start
            and verb.root.lemma_.lower() in VERB_INCLUDED | set(VERB_INCLUDED_WITH)
            and "\n" not in text[st.cue_start : st.start]
        ):
            out.append({"label": "with the verb", "start": st.cue_start, "end": st.end})
        s0, s1 = st.sentence_start, st.sentence_end
        while s1 > s0 and text[s1 - 1] in " .\n":
            s1 -= 1
        if (s0, s1) != (st.start, st.end) and s1 > s0:
            out.append({"label": "the whole sentence", "start": s0, "end": s1})
        return out

    @staticmethod
    def _joint_content(content: str) -> bool:
        """ "blamed each other", "accuse each other of ...": no one party's words."""
        return bool(re.search(r"\b(?:each other|one another)\b", content))

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

    def _places(self, doc: Doc) -> list[dict[str, str]]:
        found: dict[str, dict[str, str]] = {}
        for pl in self.registry.places_in(_text(doc)):
            found[pl.name] = {"name": pl.name, "party": pl.party, "slug": pl.slug}
        # Unknown places: "the X region", "the region of X", and GPE/LOC names that are
        # not parties (a capital names its government, not a place of the incident).
        area_nouns = {
            "region", "province", "district", "village", "town", "city", "area", "border",
            "valley", "lake", "river", "mountain", "pass", "corridor",
        }  # fmt: skip
        for tok in doc:
            name = ""
            if tok.pos_ == "PROPN" and tok.dep_ == "compound" and tok.head.lemma_ in area_nouns:
                name = doc[tok.left_edge.i : tok.i + 1].text
            elif tok.lemma_ in area_nouns and tok.pos_ == "NOUN":
                for c in tok.children:
                    if c.dep_ == "prep" and c.lower_ == "of":
                        objs = [o for o in c.children if o.dep_ == "pobj" and o.pos_ == "PROPN"]
                        if objs and not self.registry.is_party_name(objs[0].text):
                            name = objs[0].text
            if name and not self.registry.is_party_name(name):
                name = re.sub(r"^(?:the)\s+", "", name, flags=re.I)
                found.setdefault(name, {"name": name, "party": "", "slug": ""})
        for ent in doc.ents:
            if ent.label_ in ("GPE", "LOC", "FAC") and not self.registry.is_party_name(ent.text):
                name = re.sub(r"^(?:the)\s+", "", ent.text, flags=re.I)
                if name and not self.registry.parties_in(name):
                    found.setdefault(name, {"name": name, "party": "", "slug": ""})
        return list(found.values())

    def analyse_many(
        self, texts: Iterable[tuple[str, date | None]], batch_size: int = 16
    ) -> Iterator[Analysis]:
        from ..nlp import get_nlp

        nlp = get_nlp()
        items = list(texts)
        docs = nlp.pipe((t for t, _ in items), batch_size=batch_size)
        for doc, (_, published) in zip(docs, items, strict=True):
            yield self.analyse(doc, published)


def analyse_text(text: str, registry: Registry, published: date | None = None) -> Analysis:
    from ..nlp import get_nlp

    return Extractor(registry).analyse(get_nlp()(text), published)
