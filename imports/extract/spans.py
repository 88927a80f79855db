"""Cues (verbs of saying, "according to") and the words each one introduces."""

from __future__ import annotations

import bisect
import re
from typing import TYPE_CHECKING

from .cue import _Cue
from .furniture import Furniture
from .lexicon import (
    ALLEGATION_NOUNS,
    CLAIM_OBJECTS,
    CLAUSE_ONLY,
    CLOSE_QUOTES,
    DOC_NOUNS,
    LIGHT_VERBS,
    MANNER_ADVERBS,
    MEDIUM_NOUNS,
    REJECTING_LEMMAS,
    SKIP_DEPS,
    SPEECH_NOUNS,
)
from .quotes import _Quotes
from .speakers import SpeakerResolver
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
    sentence_end,
    verb_carries_meaning,
)

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token


def _that_clause_in_prep(v: Token) -> Token | None:
    """ "claimed without any evidence that X": the clause hung on the noun of the
    verb's first complement, a prepositional phrase."""
    first = next((c for c in v.rights if c.dep_ not in SKIP_DEPS), None)
    if first is None or first.dep_ != "prep":
        return None
    for o in first.children:
        if o.dep_ != "pobj":
            continue
        for c in o.rights:
            if c.dep_ in ("acl", "ccomp") and any(
                m.dep_ == "mark" and m.lower_ == "that" for m in c.children
            ):
                return c
    return None


class SpanFinder(SpeakerResolver):
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
            if tok.lemma_.lower() in LIGHT_VERBS and tok.pos_ == "VERB":
                light = self._light_verb_cue(tok, furn, surnames)
                if light is not None:
                    cues.append(light)
                continue
            if tok.lower_ == "as" and tok.dep_ == "mark":
                # "As stated by the ministry, ...": an "according to" in other words.
                agent = self._as_stated_by(tok)
                if agent is not None:
                    cues.append(_Cue(tok, self._speaker_token(agent), False, according=True))
                continue
            if not _is_cue_lemma(tok):
                continue
            inverted = self._inverted_subject(tok, surnames)
            if inverted is not None and not self._not_a_speaker(inverted):
                cue = _Cue(tok, self._speaker_token(inverted), False)
                cue.inverted = True
                cues.append(cue)
                continue
            if tok.tag_ == "VBN" and tok.dep_ in ("amod", "acl") and not _verbless_clause(tok):
                continue
            if any(
                c.lower_ == "what" and c.dep_ in ("dobj", "nsubj", "nsubjpass")
                for c in tok.children
            ):
                continue  # "struck what it called military targets": the reporter's framing
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
            subj = _own_subject(tok) or self._impersonal_subject(tok)
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

    def _as_stated_by(self, mark: Token) -> Token | None:
        v = mark.head
        if not _is_cue_lemma(v) or v.tag_ != "VBN" or v.i < mark.i:
            return None
        for c in v.children:
            if c.dep_ == "agent":
                objs = [o for o in c.children if o.dep_ == "pobj"]
                if objs and not self._not_a_speaker(objs[0]):
                    return objs[0]
        return None

    def _inverted_subject(self, v: Token, surnames: set[str]) -> Token | None:
        """ "Four servicemen were killed, informs the press service of the ministry",
        "..., told the Director General ... at a press conference": a verb of saying
        after the words and a comma, its speaker after it where the object would be
        (machine-translated copy keeps the source's word order)."""
        if _own_subject(v) is not None or v.i < 2 or v.doc[v.i - 1].text != ",":
            return None
        if v.dep_ not in ("ROOT", "conj", "parataxis", "advcl", "ccomp") or v.tag_ == "VBG":
            return None
        if any(c.dep_ in ("ccomp", "xcomp") and c.i > v.i for c in v.children):
            return None  # "..., urged the side to stop": the words follow the verb
        nxt = next((c for c in v.rights if c.dep_ not in ("punct", "advmod")), None)
        if nxt is None or nxt.dep_ not in ("dobj", "npadvmod", "attr", "nsubj", "dative"):
            return None
        if nxt.left_edge.i != v.i + 1 or nxt.pos_ not in ("NOUN", "PROPN"):
            return None
        if not self._speakerish(nxt, surnames) or nxt.lemma_.lower() in DOC_NOUNS:
            return None
        # The words before the comma are a clause of their own (a verb), not "X, told".
        sent = v.sent
        if not any(t.pos_ in ("VERB", "AUX") for t in v.doc[sent.start : v.i - 1]):
            return None
        # "told the Director General of ... Ahmed Sharif Chaudhry on Thursday": the
        # name the parser left hanging on the verb.
        after = nxt.right_edge.i + 1
        name = next(
            (c for c in v.rights if c.dep_ in ("npadvmod", "appos") and c.ent_type_ == "PERSON"),
            None,
        )
        if name is not None and name.left_edge.i == after:
            return name
        return nxt

    def _impersonal_subject(self, v: Token) -> Token | None:
        """ "..., it is said in the message" / "it was specified in the statement": the
        issuer of the message speaks (resolved as "it", to the last body named); "it
        was reported by the ministry that ...", "in the statement made by the
        ministry, it was stated that ...": the ministry."""
        subj = next((c for c in v.children if c.dep_ == "nsubjpass"), None)
        if subj is None or subj.lower_ != "it":
            return None
        for c in v.children:
            objs = [o for o in c.children if o.dep_ == "pobj"]
            if c.dep_ == "agent" and objs and not self._not_a_speaker(objs[0]):
                return objs[0]
            if c.dep_ == "prep" and c.lower_ in ("in", "by"):
                doc_noun = next((o for o in objs if o.lemma_.lower() in DOC_NOUNS), None)
                if doc_noun is not None:
                    issuer = self._speaker_token(doc_noun)
                    return issuer if issuer.i != doc_noun.i else subj
        return None

    def _light_verb_cue(self, v: Token, furn: Furniture, surnames: set[str]) -> _Cue | None:
        """ "The border service made a declaration that ...": the noun says, the clause
        hung on it is what was said."""
        noun = next(
            (c for c in v.children if c.dep_ == "dobj" and c.lemma_.lower() in SPEECH_NOUNS),
            None,
        )
        if noun is None:
            return None
        clause = next(
            (
                c
                for c in noun.rights
                if c.dep_ in ("acl", "ccomp", "relcl")
                and any(m.dep_ == "mark" and m.lower_ == "that" for m in c.children)
            ),
            None,
        )
        subj = _own_subject(v)
        if clause is None or subj is None or subj.idx < furn.text_start(v.idx, _text(v.doc)):
            return None
        if subj.pos_ not in ("PRON", "PROPN") and not self._speakerish(subj, surnames):
            return None
        if self._not_a_speaker(subj):
            return None
        cue = _Cue(v, self._speaker_token(subj), False)
        cue.clause = clause
        return cue

    @staticmethod
    def _has_content(v: Token) -> bool:
        deps = {c.dep_ for c in v.children}
        if v.lemma_.lower() == "call" and not verb_carries_meaning(v):
            return False  # "Blinken called the two leaders": an action, not words
        if v.lemma_.lower() in CLAUSE_ONLY:
            deps &= {"ccomp"}
        if v.lemma_.lower() == "claim" and "ccomp" not in deps:
            objs = [c for c in v.children if c.dep_ == "dobj"]
            if not any(o.lemma_.lower() in CLAIM_OBJECTS for o in objs) and (
                _that_clause_in_prep(v) is None
            ):
                deps = set()
        if deps & {"ccomp", "xcomp", "dobj", "dative", "oprd", "prep", "advcl", "attr"}:
            return True
        # "“...,” the minister added." has only punctuation and the subject.
        if any(c.dep_ == "punct" and c.text in CLOSE_QUOTES + "”" for c in v.children) or (
            v.i > 0 and v.doc[v.i - 1].text in CLOSE_QUOTES
        ):
            return True
        # "..., the president stressed." ends its sentence: the words are before the
        # comma, even when the parser lost them.
        subj = _own_subject(v)
        return (
            subj is not None
            and subj.i < v.i
            and subj.left_edge.i > 0
            and v.doc[subj.left_edge.i - 1].text == ","
            and all(t.is_punct or t.is_space for t in v.doc[v.i + 1 : v.sent.end])
        )

    def _content(self, doc: Doc, cue: _Cue, cues: list[_Cue], quotes: _Quotes) -> None:
        if cue.according:
            self._according_content(doc, cue, quotes)
            return
        v = cue.token
        if cue.bare:
            cue.start, cue.end = v.idx, v.idx + len(v.text)
            return
        if cue.inverted:
            self._inverted_content(doc, cue, quotes)
            return
        if cue.clause is not None:
            c = cue.clause
            i, j = _strip(doc, c.left_edge.i, min(c.right_edge.i, v.sent.end - 1))
            while i <= j and doc[i].dep_ == "mark" and doc[i].lower_ == "that":
                i += 1
            if i <= j:
                cue.start, cue.end = quotes.widen(*_span_text_range(doc, i, j))
            else:
                cue.dropped = True
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
            elif c.dep_ in ("dobj", "dative") and (
                lemma in ("tell", "assure", "inform", "brief")
                # "“...?” Varga asked reporters": whom he asked, not what
                or lemma == "ask"
                and not any(g.dep_ in ("xcomp", "ccomp") for g in v.children)
            ):
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
            elif c.dep_ == "advcl" and c.tag_ == "VBG" and c.i > v.i + 1:
                # "“...,” the spokesperson said, urging ...": the participle is a cue
                # of its own, not what "said" introduces.
                continue
            else:
                kids.append(c)
        included = verb_carries_meaning(v)
        participle = v.tag_ == "VBG" and v.dep_ in ("advcl", "acl", "pcomp")
        if self._quote_before(doc, cue, quotes):
            return
        boundary = self._boundary(doc, cue, cues)
        end_tok = min(sentence_end(v) - 1, boundary)
        start_tok = -1
        if not kids and not included:
            # "said in a statement that ...": the parser hung the that-clause on the
            # medium, which is otherwise left out.
            hung = _that_clause_in_prep(v)
            if hung is not None:
                kids = [hung]
        if kids or included:
            ccomps = [c for c in kids if c.dep_ == "ccomp"]
            if not ccomps and not included:
                # "claimed without any evidence that ...": the that-clause the parser
                # hung on the noun.
                hung = _that_clause_in_prep(v)
                ccomps = [hung] if hung is not None else []
            first = ccomps[0] if ccomps and not included else (kids[0] if kids else v)
            start_tok = v.i if included else first.left_edge.i
            if included:
                # The verb's own words run to the end of its last complement,
                # addressees included ("urged both sides to ...").
                kids = kids + addressees
            if start_tok < v.i:
                start_tok = v.i + 1
            if included and start_tok == v.i:
                # "strongly condemned": the adverb of force is part of the words.
                adv = doc[v.i - 1] if v.i > 0 else None
                if adv is not None and adv.head.i == v.i and adv.lower_ in MANNER_ADVERBS:
                    start_tok = adv.i
            else:
                # "said in a statement its fighters ...": where it was said is not what.
                while start_tok <= end_tok and doc[start_tok].dep_ == "prep":
                    p = doc[start_tok]
                    objs = [o for o in p.children if o.dep_ == "pobj"]
                    if not objs or objs[0].lemma_.lower() not in MEDIUM_NOUNS:
                        break
                    if p.left_edge.i != p.i:
                        break
                    start_tok = p.right_edge.i + 1
                    while start_tok <= end_tok and doc[start_tok].text == ",":
                        start_tok += 1
            # Skip the complementiser.
            while start_tok <= end_tok and (
                doc[start_tok].dep_ in ("mark", "dobj")
                and doc[start_tok].lower_ in ("that", "whether")
            ):
                start_tok += 1
            if not participle:
                right = max((c.right_edge.i for c in kids), default=v.i)
                if right >= sent.end - 1 and end_tok >= sent.end:
                    # The parser ended the sentence inside a name: the words run on.
                    right = end_tok
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
        limit = sentence_end(v) - 1
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
        if not rest and left > 0 and doc[left - 1].text == ",":
            # "..., the president stressed." where the parser lost the clause: the
            # words from the sentence start to the comma before the speaker (the
            # sentence before, when the parser split the sentence at that comma).
            lo = sent.start_char
            if left - 1 == sent.start and "\n" not in _text(doc)[doc[left - 2].idx : lo]:
                lo = doc[left - 2].sent.start_char
            if self._furn is not None:
                lo = max(lo, self._furn.text_start(sent.start_char, _text(doc)))
            span = doc.char_span(lo, doc[left - 1].idx, alignment_mode="contract")
            if span is not None and len(span) >= 4:
                i, j = _strip(doc, span.start, span.end - 1)
                if i <= j:
                    cue.start, cue.end = quotes.widen(*_span_text_range(doc, i, j))
                    return
        cue.dropped = True

    def _inverted_content(self, doc: Doc, cue: _Cue, quotes: _Quotes) -> None:
        """The words from the start of the sentence (after a dateline) to the comma
        before the verb."""
        v = cue.token
        lo = v.sent.start_char
        if self._furn is not None:
            lo = max(lo, self._furn.text_start(lo, _text(doc)))
        span = doc.char_span(lo, doc[v.i - 1].idx, alignment_mode="contract")
        if span is not None and len(span) >= 3:
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
        if acc.lower_ == "as":  # "As stated by the ministry, ..."
            clause = acc.head
            head = clause.head if clause.head.i != clause.i else clause
            phrase_lo, phrase_hi = min(acc.i, clause.left_edge.i), clause.right_edge.i
        first, last = _strip(doc, sent.start, sent.end - 1)
        if phrase_lo <= first:  # "According to X, ..."
            i, j = _strip(doc, phrase_hi + 1, sent.end - 1)
            # "According to KFOR, the NATO-led mission, some 30 soldiers were ...": an
            # apposition to X between two commas is not what X said.
            k = next((t.i for t in doc[i : min(j, i + 10)] if t.text == ","), None)
            if (
                k is not None
                and doc[phrase_hi + 1].text == ","
                and doc[i].pos_ in ("DET", "NOUN", "PROPN", "ADJ")
                and not any(
                    t.pos_ in ("VERB", "AUX") and t.dep_ not in ("amod", "compound")
                    for t in doc[i:k]
                )
                and any(t.pos_ in ("VERB", "AUX") for t in doc[k + 1 : j + 1])
                and any(t.pos_ in ("NOUN", "PROPN") for t in doc[i:k])
            ):
                i, j = _strip(doc, k + 1, j)
        elif phrase_hi >= last:  # "..., according to X."
            i, j = _strip(doc, sent.start, phrase_lo - 1)
        else:  # "This, according to X, would ..."
            lo, hi = (head.left_edge.i, head.right_edge.i) if head.i != acc.i else (first, last)
            i, j = _strip(doc, max(lo, sent.start), min(hi, sent.end - 1))
            # "..., when, according to Baku, a soldier was wounded": only a subordinator
            # before the phrase; the words are after it.
            if all(t.dep_ in ("mark", "advmod", "cc", "punct") for t in doc[i:phrase_lo]):
                i, j = _strip(doc, phrase_hi + 1, j)
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
