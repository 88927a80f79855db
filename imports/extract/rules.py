"""The span rules of ANNOTATION.md applied to the cues' spans: nested attributions
cut out, coordinated predicates merged, trailing narration trimmed, split quotations
joined, live-blog and press-release statements, the alternatives offered on review."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .cue import _Cue
from .furniture import Furniture
from .lexicon import (
    CLOSE_QUOTES,
    CONTACT_LEMMAS,
    CONTACT_OBJECTS,
    NESTING_MARKS,
    RELEASE_HEADER,
    RELEASE_ISSUER,
    SEPARATE_CLAIM_LEMMAS,
    VERB_INCLUDED,
    VERB_INCLUDED_WITH,
)
from .model import ProposedStatement
from .quotes import _Quotes
from .spans import SpanFinder
from .syntax import (
    _span_text_range,
    _strip,
    _text,
    verb_carries_meaning,
)

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token


class SpanRules(SpanFinder):
    def _cut_nested(self, doc: Doc, cues: list[_Cue], quotes: _Quotes) -> None:
        """ "Kinshasa said it lost 12 soldiers, after Kigali said nine of its troops
        had died": the inner attribution is its own statement, cut out of the outer
        one; the same for "..., an allegation Yerevan rejected"."""
        for inner in cues:
            t = inner.token
            if inner.according and not inner.dropped:
                self._cut_according(doc, inner, cues, quotes)
                continue
            if inner.dropped:
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
                    end = quotes.widen(outer.start, doc[j].idx + len(doc[j].text))[1]
                    outer.end = min(outer.end, end)

    def _cut_according(self, doc: Doc, inner: _Cue, cues: list[_Cue], quotes: _Quotes) -> None:
        """ "... carried out in response to the provocation the day before, when,
        according to Baku, a soldier was wounded": the clause that "according to"
        attributes to someone else is cut out of the outer statement."""
        acc = inner.token
        clause = acc.head
        if clause.i == acc.i or clause.pos_ not in ("VERB", "AUX"):
            return
        lo = clause.left_edge.i
        if lo == 0 or doc[lo - 1].text != "," and doc[lo].text != ",":
            return
        for outer in cues:
            if outer is inner or outer.dropped or outer.according:
                continue
            if not (outer.start <= acc.idx < outer.end) or quotes.strictly_inside(acc.idx):
                continue
            if outer.subject.i == inner.subject.i or clause.i == outer.token.i:
                continue
            first = outer.start_token(doc)
            if lo <= first or outer.token.i >= lo:
                continue
            i, j = _strip(doc, first, lo - 1)
            if i <= j:
                outer.end = min(
                    outer.end, quotes.widen(outer.start, _span_text_range(doc, i, j)[1])[1]
                )

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
        self._merge_plain_predicates(doc, cues)
        self._merge_after_said(doc, cues)

    def _merge_plain_predicates(self, doc: Doc, cues: list[_Cue]) -> None:
        """ "condemned the attack and offered condolences to the family": a predicate
        coordinated with a verb that carries the meaning is part of the same span,
        even when it is no verb of saying itself."""
        text = _text(doc)
        cued = {c.token.i for c in cues}
        for a in cues:
            v = a.token
            if a.dropped or a.according or a.bare or not verb_carries_meaning(v):
                continue
            for c in v.rights:
                if c.dep_ != "conj" or c.pos_ != "VERB" or c.i in cued:
                    continue
                if any(g.dep_ in ("nsubj", "nsubjpass") for g in c.children):
                    continue
                if c.i >= v.sent.end or not re.fullmatch(r"[\s,]*(?:and)?\s*", text[a.end : c.idx]):
                    continue
                i, j = _strip(doc, c.i, min(c.right_edge.i, v.sent.end - 1))
                if i <= j:
                    a.end = max(a.end, doc[j].idx + len(doc[j].text))

    def _merge_after_said(self, doc: Doc, cues: list[_Cue]) -> None:
        """ "said the allegations were false and accused Baku of ...": the second
        predicate continues the said-clause's span (ANNOTATION.md). After an explicit
        "said that ...", the second predicate stays a statement of its own, as the
        seed article is annotated."""
        text = _text(doc)
        for b in cues:
            if b.dropped or not b.inherited or b.according or b.token.dep_ != "conj":
                continue
            if b.token.lemma_.lower() in SEPARATE_CLAIM_LEMMAS:
                continue
            for a in cues:
                if a is b or a.dropped or a.according or a.subject.i != b.subject.i:
                    continue
                v = a.token
                if verb_carries_meaning(v) or v.i > b.token.i or v.sent != b.token.sent:
                    continue
                ccomps = [c for c in v.children if c.dep_ == "ccomp"]
                if b.token.head.i != v.i and not any(
                    c.left_edge.i <= b.token.i <= c.right_edge.i for c in ccomps
                ):
                    continue
                if any(m.dep_ == "mark" and m.lower_ == "that" for c in ccomps for m in c.children):
                    continue
                gap = text[a.end : b.start] if a.start < b.start else "-"
                if not re.fullmatch(r"[\s,]*(?:and|but)?\s*", gap):
                    continue
                a.end = max(a.end, b.end)
                b.dropped = True
                break

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
                    # A quotation the cut ends in keeps its closing mark.
                    end = quotes.widen(start, doc[j].idx + len(doc[j].text))[1]
                    span = doc[span.start : j + 1]
                    changed = True
                break
        return start, end

    def _trailing_aside(self, doc: Doc, i: int, last: int) -> bool:
        """doc[i:last+1], after a comma, is a relative clause, an apposition, a
        measure phrase or an "as ..." clause, not the speaker's next words."""
        first = doc[i]
        # Only when the clause runs to the end: in "condemned the strikes, which killed
        # 31 civilians, and called them ..." the words go on after it.
        rel = next((a for a in [first, *first.ancestors][:3] if a.dep_ == "relcl"), None)
        if first.lower_ in ("which", "where", "whose") and rel is not None:
            return rel.right_edge.i >= last
        if first.lower_ == "as" and first.dep_ == "mark":
            return first.head.right_edge.i >= last
        if first.lower_ in ("while", "whereas") and first.dep_ == "mark":
            # "..., while Iran offered to mediate": another party's doing, told by the
            # reporter.
            subj = next((c for c in first.head.children if c.dep_ == "nsubj"), None)
            return (
                subj is not None
                and first.head.right_edge.i >= last
                and bool(self.registry.party_of_text(subj.text))
            )
        if first.lower_ == "in" and first.dep_ == "prep" and first.right_edge.i >= last:
            # "..., in the worst clash in the area this year", "..., in the latest
            # round of ...": the reporter ranks the event.
            objs = [o for o in first.children if o.dep_ == "pobj"]
            if objs and any(
                m.dep_ == "amod" and (m.tag_ == "JJS" or m.lower_ in ("latest", "first"))
                for m in objs[0].children
            ):
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
        self._join_around_attribution(doc, cue, quotes)
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

    @staticmethod
    def _join_around_attribution(doc: Doc, cue: _Cue, quotes: _Quotes) -> None:
        """ "We will not retreat," the minister said, "and we will not attack.": a
        quotation that the attribution interrupts mid-sentence is one statement, from
        the first fragment's first word to the second's last, whichever fragment the
        cue took. A first fragment closed by a full stop ended its sentence: the
        quotation after the attribution is then a statement of its own."""
        if cue.according or cue.bare:
            return
        text = _text(doc)
        v, subj = cue.token, cue.subject
        lo = min(v.idx, doc[subj.left_edge.i].idx)
        hi = max(v.idx + len(v.text), subj.idx + len(subj.text))
        if subj.i > v.i:
            last = doc[subj.right_edge.i]
            hi = max(hi, last.idx + len(last.text))
        before = next((q for q in reversed(quotes.spans) if q[1] <= lo), None)
        after = next((q for q in quotes.spans if q[0] >= hi), None)
        if before is None or after is None:
            return
        if (before[0], before[1]) != (cue.start, cue.end) and (after[0], after[1]) != (
            cue.start,
            cue.end,
        ):
            return
        if not re.fullmatch(r"[ \t,–—-]*", text[before[1] : lo]):
            return
        if not re.fullmatch(r"[ \t,:–—-]*", text[hi : after[0]]):
            return
        if text[before[1] - 2 : before[1] - 1] in ".!?":
            return
        cue.start, cue.end = before[0], after[1]

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
            if self._person_speaks(sent) or quotes.within(s0, e0):
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

    @staticmethod
    def _person_speaks(sent: Any) -> bool:
        """A named person is the sentence's subject (or "according to" him): his words,
        not the release's. A place the tagger took for a person ("around Goma") is not."""
        for ent in sent.ents:
            if ent.label_ != "PERSON":
                continue
            t = ent.root
            for _ in range(4):
                if t.dep_ in ("compound", "appos", "conj", "poss") and t.head.i != t.i:
                    t = t.head
                else:
                    break
            if t.dep_ in ("nsubj", "nsubjpass") or (
                t.dep_ == "pobj" and t.head.head.lower_ == "according"
            ):
                return True
        return False

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
    def _contact_only(doc: Doc, start: int, end: int) -> bool:
        """ "The ministry said Lavrov held telephone talks with his counterparts",
        "Blinken spoke by phone with the two leaders": a contact reported, with nothing
        said about the incident (an action, not words)."""
        span = doc.char_span(start, end, alignment_mode="expand")
        if span is None:
            return False
        root = span.root
        if root.pos_ not in ("VERB", "AUX"):
            return False
        if any(c.dep_ in ("ccomp", "xcomp", "conj", "advcl") for c in root.children):
            return False
        # A named official's contact, as reported by his office; "she had spoken to
        # both capitals", the speaker's own account of her mediation, stays.
        subj = next((c for c in root.children if c.dep_ == "nsubj"), None)
        if subj is None or subj.pos_ != "PROPN":
            return False
        lemma = root.lemma_.lower()
        if lemma in CONTACT_LEMMAS:
            return True
        return lemma in ("hold", "have") and any(
            c.dep_ == "dobj" and c.lemma_.lower() in CONTACT_OBJECTS for c in root.children
        )

    @staticmethod
    def _joint_content(content: str) -> bool:
        """ "blamed each other", "accuse each other of ...": no one party's words."""
        return bool(re.search(r"\b(?:each other|one another)\b", content))
