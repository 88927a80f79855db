"""Helpers on spaCy's dependency parse shared by the extraction steps."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .lexicon import (
    CUE_LEMMAS,
    MEDIUM_NOUNS,
    OPEN_QUOTES,
    SPEAKER_NOUNS,
    VERB_INCLUDED,
    VERB_INCLUDED_WITH,
)

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token


def _verbless_clause(v: Token) -> bool:
    """ "The envoy called on both governments to ...", parsed as a noun with a reduced
    relative clause: the participle is the sentence's only verb."""
    return v.dep_ == "acl" and v.head.dep_ == "ROOT" and v.head.lemma_.lower() in SPEAKER_NOUNS


def _own_subject(v: Token) -> Token | None:
    # The last one: "The Co-Chairs of ..." comes out as two subjects, "Co" and "Chairs".
    subjects = [c for c in v.children if c.dep_ == "nsubj"]
    return subjects[-1] if subjects else None


def _is_cue_lemma(t: Token) -> bool:
    return t.pos_ in ("VERB", "AUX") and t.lemma_.lower() in CUE_LEMMAS


def _inherited_subject(v: Token) -> Token | None:
    """The subject of a cue that has none of its own: a coordinated verb ("... and
    added that"), a participle ("released a statement condemning", "by claiming")."""
    if v.dep_ == "conj":
        a = v.head
        for _ in range(6):
            s = _own_subject(a)
            if s is not None and _is_cue_lemma(a):
                return s
            if a.dep_ in ("conj", "ccomp") and a.head.i != a.i:
                a = a.head
                continue
            break
        s = _own_subject(v.head)
        if s is not None:
            return s
        return _inherited_subject(v.head) if v.head.i != v.i else None
    if (
        v.dep_ == "acl"
        and v.tag_ in ("VBD", "VBN")
        and v.head.i < v.i
        and (v.tag_ == "VBD" or v.head.dep_ == "ROOT")
        and (v.head.pos_ == "PROPN" or v.head.dep_ == "ROOT" and v.head.lemma_ in SPEAKER_NOUNS)
    ):
        # "CARICOM, the regional bloc of Caribbean states, called on ...": the parser
        # hung the verb on the name.
        return v.head
    if v.tag_ == "VBG" and v.dep_ == "advcl":
        # "denied that ..., saying ...": the speaker of the cue whose words it follows.
        h = v.head
        for _ in range(4):
            if h.i == h.head.i:
                break
            if _is_cue_lemma(h) and _own_subject(h) is not None and h.i < v.i:
                return _own_subject(h)
            h = h.head
        if _is_cue_lemma(h) and _own_subject(h) is not None and h.i < v.i:
            return _own_subject(h)
    if v.tag_ == "VBG" and v.dep_ in ("advcl", "acl", "pcomp", "xcomp"):
        h = v.head
        for _ in range(4):
            if h.dep_ in ("prep", "dobj", "pobj", "acl", "appos", "attr") and h.head.i != h.i:
                h = h.head
            else:
                break
        if h.pos_ in ("VERB", "AUX"):
            if h.lemma_.lower() in ("quote", "cite", "report"):
                # "X was quoted as saying that ...": the passive subject speaks.
                passive = next((c for c in h.children if c.dep_ == "nsubjpass"), None)
                if passive is not None:
                    return passive
            return _own_subject(h) or (_inherited_subject(h) if h.dep_ == "conj" else None)
        return None
    if v.dep_ == "xcomp" and v.head.i != v.i:
        return _own_subject(v.head)
    return None


def _text(doc: Doc) -> str:
    """doc.text joins every token on each access; articles ask for it often."""
    text = doc.user_data.get("parallax_text")
    if text is None:
        text = doc.user_data["parallax_text"] = doc.text
    return text


def _surnames(doc: Doc) -> set[str]:
    """Last words of the people named in the article: a later "Price" (which the
    tagger may take for a common noun) is a surname."""
    cached = doc.user_data.get("parallax_surnames")
    if cached is None:
        cached = {
            ent[-1].text
            for ent in doc.ents
            if ent.label_ == "PERSON" and len(ent) > 1 and ent[-1].text[:1].isupper()
        }
        doc.user_data["parallax_surnames"] = cached
    return cached


def _strip(doc: Doc, i: int, j: int) -> tuple[int, int]:
    """Trim punctuation (other than opening quotes) and spaces off a token range."""
    while i <= j and (doc[i].is_space or (doc[i].is_punct and doc[i].text not in OPEN_QUOTES)):
        i += 1
    # ... and a dangling conjunction where a boundary cut the clause ("..., while").
    while j >= i and (
        doc[j].is_space
        or doc[j].is_punct
        or doc[j].pos_ in ("CCONJ", "SCONJ")
        # a preposition whose object the cut left out ("denied any involvement, with")
        or doc[j].pos_ == "ADP"
        and any(c.i > j for c in doc[j].children)
    ):
        j -= 1
    return i, j


def verb_carries_meaning(v: Token) -> bool:
    """Whether the cue verb belongs to the statement (ANNOTATION.md): "accused X of
    Y", "denied Y", "called on X to Y", "warned of Y"; not "said that Y"."""
    lemma = v.lemma_.lower()
    if lemma in VERB_INCLUDED:
        return True
    wanted = VERB_INCLUDED_WITH.get(lemma)
    if not wanted:
        return False
    for c in v.children:
        for w in wanted:
            dep, _, word = w.partition(":")
            if c.dep_ == dep and (not word or c.lower_ == word or c.lemma_.lower() == word):
                return True
    return False


def _span_text_range(doc: Doc, i: int, j: int) -> tuple[int, int]:
    return doc[i].idx, doc[j].idx + len(doc[j].text)


def _is_adjunct_prep(prep: Token, verb: Token) -> bool:
    """'on Thursday', 'in a statement', 'to reporters', 'on Twitter': said where or
    when, not what. 'called on X' names the addressee."""
    lemma = verb.lemma_.lower()
    if lemma == "call" and prep.lower_ in ("on", "upon"):
        return True
    if lemma in ("say", "tell", "add", "write", "state", "announce", "report") and prep.lower_ in (
        "to",
        "in",
        "on",
        "at",
        "during",
        "after",
        "before",
        "via",
        "through",
        "from",
        "with",
        "by",
    ):
        return True
    objs = [c for c in prep.children if c.dep_ == "pobj"]
    if not objs:
        return prep.lower_ in ("on", "in", "at", "during")
    obj = objs[0]
    if obj.ent_type_ in ("DATE", "TIME"):
        return True
    return obj.lemma_.lower() in MEDIUM_NOUNS and prep.lower_ in (
        "in",
        "on",
        "at",
        "during",
        "to",
        "via",
    )


def sentence_end(tok: Token) -> int:
    """Index after the last token of `tok`'s sentence, joining a sentence the parser
    ended without punctuation to the next ("... against the Ta Muen | Thom temple"),
    never across a line break."""
    doc = tok.doc
    end = tok.sent.end
    while end < len(doc):
        k = end - 1
        while k > 0 and doc[k].is_space:
            k -= 1
        last = doc[k]
        if last.is_punct or "\n" in last.whitespace_ or doc[end].is_space:
            break
        end = doc[end].sent.end
    return end
