"""Who said what: attributed statements from a parsed article.

The rules work on spaCy's dependency parse, not on sentence templates:

* a *cue* is a verb whose lemma is a speech act (say, accuse, urge, call on/for...)
  with a grammatical subject, its own or inherited (a coordinated verb "... and added",
  a participle "released a statement condemning ...", "by claiming that ..."), or the
  phrase "according to X";
* the *content* is the reported clause (the cue's clausal complement or its object and
  complements), cut where a coordinated cue of the same speaker begins and widened to
  whole quotations, so mixed quotes stay whole and a quotation running over two
  sentences is kept in one statement; a cue with nothing to its right takes the
  quotation (or clause) before it ("“...,” the minister added");
* the *speaker* is the cue's subject, resolved through the mentions met so far: a
  pronoun to the last matching speaker, "the ministry" to the last mention with the
  same head noun, "the release"/"the statement" to the last speaker, a surname to the
  full name; then matched to the registry's actors and parties.

The article is parsed once; analyse_many() batches articles through nlp.pipe.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from .gazetteer import slugify
from .registry import ActorEntry, Registry, norm

if TYPE_CHECKING:
    # Types only: importing spaCy costs seconds and ~100 MB, which web processes
    # should pay on first use of the pipeline, not when the URLconf loads.
    from spacy.tokens import Doc, Span, Token

# Verbs whose complement is what was said.
SAY_LEMMAS = {
    "say", "state", "add", "claim", "insist", "stress", "note", "announce", "declare",
    "confirm", "tell", "allege", "argue", "reiterate", "explain", "emphasise", "emphasize",
    "underline", "underscore", "assert", "maintain", "suggest", "acknowledge", "admit",
    "reply", "respond", "write", "tweet", "post", "report", "warn", "deny", "affirm",
    "contend", "charge", "complain", "remark", "observe", "point", "recall", "vow",
    "pledge", "promise", "threaten", "predict", "reaffirm", "propose", "assure",
    "clarify", "counter", "retort", "comment", "caution", "signal", "indicate", "hint",
    "describe", "insinuate", "repeat", "quote", "accept", "concede", "recognise",
    "recognize",
}  # fmt: skip
# Lemmas that are speech only with a that-clause or a quotation ("accepted that ...",
# not "accepted the offer"; "added that ...", not "added fuel").
CLAUSE_ONLY = {
    "accept", "concede", "recognise", "recognize", "add", "note", "point", "write", "post",
    "charge", "signal", "indicate", "recall", "observe", "report", "comment", "repeat",
}  # fmt: skip
# Verbs whose object and complements are what was said ("accused X of Y").
OBJECT_LEMMAS = {
    "accuse", "blame", "condemn", "denounce", "criticise", "criticize", "dismiss",
    "reject", "urge", "call", "ask", "demand", "welcome", "deplore", "express", "voice",
    "slam", "praise", "appeal", "implore", "request", "encourage", "invite", "refute",
    "deny", "warn", "rule", "label", "brand", "hail", "protest", "decry", "lament",
}  # fmt: skip
CUE_LEMMAS = SAY_LEMMAS | OBJECT_LEMMAS
# Verbs that carry the statement's meaning themselves: the content starts with them
# ("condemning ...", "blamed X for ...", "calling for ...").
VERB_INCLUDED = {
    "condemn", "denounce", "deplore", "blame", "criticise", "criticize", "welcome",
    "express", "voice", "slam", "praise", "decry", "lament", "hail", "accuse", "deny",
    "reject", "dismiss", "urge", "demand", "describe", "refute", "label", "brand",
    "appeal", "implore", "protest",
}  # fmt: skip
# Verbs that carry the meaning only in some constructions: "warned of/against Y" (not
# "warned that ..."), "called on X to"/"called for"/"called X Y" (not "called the
# leaders"), "claimed responsibility", "stressed the need" (not "stressed that ...").
VERB_INCLUDED_WITH = {
    "warn": ("prep:of", "prep:against", "dobj"),
    "call": ("prep:on", "prep:upon", "prep:for", "oprd", "ccomp", "xcomp"),
    "claim": ("dobj:responsibility", "dobj:credit"),
    "stress": ("dobj",), "emphasise": ("dobj",), "emphasize": ("dobj",),
    "underline": ("dobj",), "reiterate": ("dobj",), "reaffirm": ("dobj",),
}  # fmt: skip
# Nouns that stand for a document rather than a speaker ("the release said").
DOC_NOUNS = {
    "release", "statement", "communique", "communiqué", "report", "letter", "note",
    "declaration", "readout", "post", "tweet", "message", "bulletin", "announcement",
    "briefing", "notice",
}  # fmt: skip
# Prepositional objects that say where or when something was said, not what.
MEDIUM_NOUNS = DOC_NOUNS | {
    "interview", "conference", "press", "twitter", "telegram", "facebook", "x", "reporter",
    "journalist", "media", "television", "tv", "radio", "channel", "website", "call",
    "meeting", "speech", "address", "session", "parliament", "behalf", "response",
    "reaction", "time", "day", "week", "month", "year", "morning", "evening", "night",
    "afternoon", "weekend",
}  # fmt: skip
PERSON_NOUNS = {
    "spokesperson", "spokesman", "spokeswoman", "minister", "president", "ambassador",
    "envoy", "secretary", "commander", "general", "leader", "adviser", "advisor",
    "official", "diplomat", "chief", "head", "representative", "premier", "chancellor",
    "senator", "deputy", "lawmaker", "governor", "mayor", "colonel", "major", "captain",
    "lieutenant", "officer", "aide", "negotiator", "mediator", "prosecutor", "ombudsman",
    "chair", "chairman", "chairwoman", "director", "coordinator", "emissary",
}  # fmt: skip
# Words of a title stacked before a name ("Vice Admiral", "Prime Minister").
TITLE_WORDS = PERSON_NOUNS | {
    "prime", "foreign", "defence", "defense", "vice", "admiral", "commodore", "acting",
    "caretaker", "interior", "state", "sheikh", "dr", "mr", "mrs", "ms", "king", "queen",
    "prince", "emir", "general", "lieutenant", "brigadier", "marshal", "commissioner",
    "speaker", "information", "parliament", "security", "council", "ministry",
}  # fmt: skip
SPEAKER_NOUNS = PERSON_NOUNS | {
    "ministry", "government", "department", "office", "army", "military", "command",
    "service", "embassy", "agency", "authority", "authorities", "administration",
    "forces", "force", "cabinet", "council", "presidency", "kremlin", "mission",
    "delegation", "committee", "commission", "union", "organisation", "organization",
    "group", "bloc", "side", "country", "state", "officials", "source", "sources",
    "headquarters", "staff", "guard", "police", "parliament", "assembly", "co-chairs",
}  # fmt: skip
# Subjects whose words are not a party's statement.
NOT_SPEAKER_NOUNS = {
    "media", "correspondent", "reporter", "journalist", "newspaper", "broadcaster",
    "outlet", "website", "blogger", "resident", "witness", "figure", "data", "statistic",
    "estimate", "tally", "count", "poll", "survey", "report", "reader", "observer",
}  # fmt: skip
# Second predicates that the seed article annotates as a statement of their own.
SEPARATE_CLAIM_LEMMAS = {"insist", "add", "maintain", "reiterate", "stress"}
# The title of a government's own release, naming its issuer where it can.
RELEASE_HEADER = re.compile(
    r"(?i)^(?:press (?:release|statement)|statement (?:of|by) (?P<issuer>.+)"
    r"|(?P<issuer2>(?:the )?government of .+?) statement\b.*)$"
)
RELEASE_ISSUER = re.compile(r"(?i)(?:the )?(?:ministry|government|office|embassy|presidency)\b")
# "an allegation the ministry rejected": a statement of its own inside another.
REJECTING_LEMMAS = {"deny", "reject", "dispute", "dismiss", "refute", "contest"}
ALLEGATION_NOUNS = {
    "allegation", "accusation", "charge", "claim", "account", "version", "assertion",
    "report", "figure",
}  # fmt: skip
# Subordinators that open a second speaker's attribution inside a first one.
NESTING_MARKS = {"after", "while", "whereas", "as", "when", "before", "since", "although", "though"}
JOINT_NOUNS = {"sides", "side", "countries", "parties", "governments", "capitals", "neighbours"}
SKIP_DEPS = {
    "punct", "cc", "conj", "advmod", "aux", "auxpass", "neg", "mark", "nsubj", "nsubjpass",
    "expl", "dep", "prt", "npadvmod", "intj", "meta", "csubj",
}  # fmt: skip
OPEN_QUOTES = "“„«‹\"'‘"
CLOSE_QUOTES = "”»›\"'’"
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MONTHS = [
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
]  # fmt: skip


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


# --- quotations --------------------------------------------------------------------


def quote_spans(text: str) -> list[tuple[int, int]]:
    """[start, end) of each quotation, marks included, within one paragraph.

    Typographic pairs are matched first; straight double quotes alternate. An
    apostrophe-like single quote is only a quotation mark when it opens after a
    space and closes before one, so "Armenia's" never opens a quotation."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for para in re.split(r"(\n\s*\n)", text):
        if not para.strip() or para.startswith("\n"):
            pos += len(para)
            continue
        opened: int | None = None
        straight: int | None = None
        for i, ch in enumerate(para):
            if ch in "“„«":
                opened = i
            elif ch in "”»" and opened is not None:
                spans.append((pos + opened, pos + i + 1))
                opened = None
            elif ch == '"':
                if straight is None:
                    straight = i
                else:
                    spans.append((pos + straight, pos + i + 1))
                    straight = None
        pos += len(para)
    spans.sort()
    return spans


class _Quotes:
    def __init__(self, text: str) -> None:
        self.spans = quote_spans(text)
        self.starts = [s for s, _ in self.spans]

    def containing(self, i: int) -> tuple[int, int] | None:
        k = bisect.bisect_right(self.starts, i) - 1
        if k >= 0:
            s, e = self.spans[k]
            if s <= i < e:
                return s, e
        return None

    def strictly_inside(self, i: int) -> bool:
        """i is a character within a quotation (not its opening mark)."""
        span = self.containing(i)
        return span is not None and span[0] < i < span[1] - 1

    def widen(self, start: int, end: int) -> tuple[int, int]:
        """Widen [start, end) so that no quotation is cut in two."""
        span = self.containing(start)
        if span and span[0] < start:
            start = span[0]
        span = self.containing(end - 1)
        if span and end < span[1]:
            end = span[1]
        return start, end

    def within(self, start: int, end: int) -> list[tuple[int, int]]:
        return [(s, e) for s, e in self.spans if s >= start and e <= end]


# --- syntax helpers ----------------------------------------------------------------


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
    while j >= i and (doc[j].is_space or doc[j].is_punct or doc[j].pos_ in ("CCONJ", "SCONJ")):
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


# --- page furniture: headlines, datelines ------------------------------------------

# "BAKU/YEREVAN, Nov 3 (Wire) –", "MOSCOW, September 15. /TASS/.", "Yerevan, 13 February."
_DATELINE = re.compile(
    r"""(?P<place>[A-Z][A-Za-z'’.\-]*(?:[ /][A-Z][A-Za-z'’.\-]*)*)
        (?P<rest>,[^\n()/]{1,40}?)?
        (?:(?P<src>\s*\([^()\n]{1,40}\)|\.?\s*/[A-Z]+/\.?)(?:\s*(?:--|[-–—]))?
           |\s*(?:--|[-–—]|\.))
        \s+""",
    re.X,
)
# A live blog's time stamp: "18:40 - ", "21:10 ".
_TIMESTAMP = re.compile(r"\d{1,2}[:.]\d{2}(?:\s*(?:GMT|UTC|local time))?\s*[-–—]?\s+")
_SENTENCE_END = re.compile(r"""[.!?:]["”’)]*\s*$|["”]\s*$""")


@dataclass
class Furniture:
    """What is never a statement: headline and sub-heading lines, and each paragraph's
    dateline or time stamp (the content starts after it)."""

    headlines: list[tuple[int, int]] = field(default_factory=list)
    lead_ins: dict[int, int] = field(default_factory=dict)  # paragraph start -> text start
    dateline_places: list[str] = field(default_factory=list)
    dateline_party: str | None = None  # worked out once, on first need

    def in_headline(self, i: int) -> bool:
        k = bisect.bisect_right(self.headlines, (i, 1 << 62)) - 1
        return k >= 0 and self.headlines[k][0] <= i < self.headlines[k][1]

    def text_start(self, i: int, text: str) -> int:
        """Where the running text of the paragraph containing `i` starts."""
        para = text.rfind("\n", 0, i) + 1
        return self.lead_ins.get(para, para)


def furniture(text: str) -> Furniture:
    out = Furniture()
    pos = 0
    for line in text.split("\n"):
        start, stripped = pos, line.strip()
        pos += len(line) + 1
        if not stripped:
            continue
        lead = start + len(line) - len(line.lstrip())
        words = stripped.split()
        if not _SENTENCE_END.search(stripped) and len(words) <= 30:
            # A line without a closing full stop: headline, sub-heading, byline.
            out.headlines.append((start, start + len(line)))
            continue
        m = _TIMESTAMP.match(stripped)
        if m:
            out.lead_ins[start] = lead + m.end()
            continue
        m = _DATELINE.match(stripped)
        if m:
            place, rest = m.group("place"), m.group("rest") or ""
            letters = re.sub(r"[^A-Za-z]", "", place)
            if letters.isupper() and len(letters) > 1 or re.search(r"\d", rest) or m.group("src"):
                out.lead_ins[start] = lead + m.end()
                if not out.dateline_places:
                    out.dateline_places = [p.strip() for p in place.split("/") if p.strip()]
                    if rest and not re.search(r"\d", rest):
                        out.dateline_places.append(rest.strip(" ,"))
    return out


# --- the extractor -----------------------------------------------------------------


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
        from .proposals import propose_types_and_points

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
        from .nlp import get_nlp

        nlp = get_nlp()
        items = list(texts)
        docs = nlp.pipe((t for t, _ in items), batch_size=batch_size)
        for doc, (_, published) in zip(docs, items, strict=True):
            yield self.analyse(doc, published)


def analyse_text(text: str, registry: Registry, published: date | None = None) -> Analysis:
    from .nlp import get_nlp

    return Extractor(registry).analyse(get_nlp()(text), published)


# --- dates -------------------------------------------------------------------------


def proposed_date(doc: Doc | Span, published: date | None) -> tuple[date | None, str]:
    """The incident's date from the first date expression that names a day: a
    weekday ("on Thursday") or "yesterday"/"today" against the article's date, or a
    calendar date. Falls back to the article's date."""
    for ent in doc.ents:
        if ent.label_ != "DATE":
            continue
        d = parse_date(ent.text, published)
        if d is not None:
            return d, ent.text
    return published, ""


def parse_date(text: str, published: date | None) -> date | None:
    low = text.lower().strip()
    words = re.findall(r"[a-z]+|\d+", low)
    if published is not None:
        if "yesterday" in words:
            return published - timedelta(days=1)
        if "today" in words or "tonight" in words:
            return published
        for n, weekday in enumerate(WEEKDAYS):
            if weekday in words and not any(m in words for m in MONTHS):
                delta = (published.weekday() - n) % 7
                if "next" in words:
                    return published + timedelta(days=(n - published.weekday()) % 7 or 7)
                if "last" in words and delta == 0:
                    delta = 7
                return published - timedelta(days=delta)
    month = next((k + 1 for k, m in enumerate(MONTHS) if m in words or m[:3] in words), None)
    nums = [int(w) for w in words if w.isdigit()]
    if month:
        day_num = next((n for n in nums if 1 <= n <= 31), None)
        year = next((n for n in nums if n > 1900), published.year if published else None)
        if day_num and year:
            try:
                d = date(year, month, day_num)
            except ValueError:
                return None
            if published and d > published and not any(n > 1900 for n in nums):
                d = date(year - 1, month, day_num)
            return d
    return None
