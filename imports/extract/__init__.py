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

The steps live in small modules: `furniture` (headlines, datelines), `quotes`,
`syntax` (parse helpers), `lexicon` (word lists), `extractor` (cues, spans, the span
rules, speakers and parties), `dates`, and `model` (the proposed statements).
"""

from .dates import parse_date, proposed_date
from .extractor import Extractor, analyse_text
from .furniture import Furniture, furniture
from .model import Analysis, ProposedStatement, Speaker
from .quotes import quote_spans
from .syntax import verb_carries_meaning

__all__ = [
    "Analysis",
    "Extractor",
    "Furniture",
    "ProposedStatement",
    "Speaker",
    "analyse_text",
    "furniture",
    "parse_date",
    "proposed_date",
    "quote_spans",
    "verb_carries_meaning",
]
