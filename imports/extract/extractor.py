"""The extractor: one article in, its proposed statements, date and places out.

Each layer of the class is a module of its own: parties.py (a speaker's party from
context), speakers.py (who speaks), spans.py (cues and their words), rules.py (the span
rules of ANNOTATION.md); this module runs them in order over one parsed article."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date
from typing import TYPE_CHECKING, Any

from ..proposals import propose_types_and_points
from ..registry import Registry
from .cue import _Cue
from .dates import proposed_date
from .furniture import furniture
from .model import Analysis, ProposedStatement, Speaker
from .quotes import _Quotes
from .rules import SpanRules
from .syntax import (
    _text,
)

if TYPE_CHECKING:
    from spacy.tokens import Doc


class Extractor(SpanRules):
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
                if (
                    furn.in_headline(cue.start)
                    or self._joint_content(content)
                    or self._contact_only(doc, cue.start, cue.end)
                ):
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
            # Last, so every rule above saw the quotation whole; the kind was decided
            # with the marks.
            st.start, st.end = quotes.unwrap(_text(doc), st.start, st.end)
            st.text = _text(doc)[st.start : st.end]
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
