"""Word lists the extraction rules use: verbs of saying, speaker nouns, titles,
the words that mark an aside or a nested attribution."""

from __future__ import annotations

import re

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
    "recognize", "inform", "specify",
}  # fmt: skip
# Lemmas that are speech only with a that-clause or a quotation ("accepted that ...",
# not "accepted the offer"; "added that ...", not "added fuel").
CLAUSE_ONLY = {
    "accept", "concede", "recognise", "recognize", "add", "note", "point", "write", "post",
    "charge", "signal", "indicate", "recall", "observe", "report", "comment", "repeat",
    "inform", "specify", "maintain",
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
    "slam", "praise", "decry", "lament", "hail", "accuse", "deny",
    "reject", "dismiss", "urge", "demand", "describe", "refute", "label", "brand",
    "appeal", "implore", "protest",
}  # fmt: skip
# Adverbs of force before such a verb belong to the span ("strongly condemned"); "also",
# "again", "repeatedly" do not.
MANNER_ADVERBS = {
    "strongly", "firmly", "categorically", "flatly", "sharply", "vehemently",
    "resolutely", "unequivocally", "vigorously", "emphatically", "fiercely", "harshly",
    "severely", "bitterly", "totally", "utterly", "roundly",
}  # fmt: skip
# Objects with which "claim" is an act of saying ("claimed responsibility"); "China
# claims the whole sea" is a territorial claim, not words.
CLAIM_OBJECTS = {"responsibility", "credit", "victory"}
# What a statement reports when it only reports a contact: "X spoke by phone with Y",
# "X held talks with Y" (an action, not words, by ANNOTATION.md).
CONTACT_LEMMAS = {"speak", "talk", "meet", "phone", "telephone", "confer"}
CONTACT_OBJECTS = {
    "talk",
    "talks",
    "call",
    "conversation",
    "meeting",
    "consultation",
    "consultations",
}
# Verbs that carry the meaning only in some constructions: "warned of/against Y" (not
# "warned that ..."), "called on X to"/"called for"/"called X Y" (not "called the
# leaders"), "claimed responsibility", "stressed the need" (not "stressed that ...").
VERB_INCLUDED_WITH = {
    "warn": ("prep:of", "prep:against", "dobj"),
    # "expressed concern over Y" (not the translated "expressed that ...")
    "express": ("dobj",), "voice": ("dobj",),
    "call": ("prep:on", "prep:upon", "prep:for", "oprd", "ccomp", "xcomp"),
    "claim": ("dobj:responsibility", "dobj:credit"),
    "stress": ("dobj",), "emphasise": ("dobj",), "emphasize": ("dobj",),
    "underline": ("dobj",), "reiterate": ("dobj",), "reaffirm": ("dobj",),
}  # fmt: skip
# "made a declaration that ...", "issued a statement that ...": a light verb and the
# noun that carries the act of saying.
LIGHT_VERBS = {"make", "issue", "give", "release", "publish", "spread"}
SPEECH_NOUNS = {
    "declaration", "statement", "announcement", "assurance", "claim", "accusation",
    "warning", "appeal", "allegation", "assertion",
}  # fmt: skip
# Nouns that stand for a document rather than a speaker ("the release said").
DOC_NOUNS = {
    "release", "statement", "communique", "communiqué", "report", "letter", "note",
    "declaration", "readout", "post", "tweet", "message", "bulletin", "announcement",
    "briefing", "notice", "information",
}  # fmt: skip
# Prepositional objects that say where or when something was said, not what.
MEDIUM_NOUNS = DOC_NOUNS | {
    "interview", "conference", "press", "twitter", "telegram", "facebook", "x", "reporter",
    "journalist", "media", "television", "tv", "radio", "channel", "website", "call",
    "meeting", "speech", "address", "session", "parliament", "behalf", "response",
    "reaction", "time", "day", "week", "month", "year", "morning", "evening", "night",
    "afternoon", "weekend", "phone", "telephone", "videolink", "video", "link", "email",
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
