"""The cache keys of searched words: the one home of how a word is normalised for
the page cache (search pages depend on the keys of their query's words; an edit of a
statement's words makes stale the keys of its old and new words, incidents.caching).

A key must be at least as coarse as what either database's full-text matching treats
as the same word (PostgreSQL's english stemmer, SQLite FTS5's porter tokenizer with
unicode61 and diacritics removed, search migration 0002): if a search for one word
finds a text with another, both share a key, or an edit would leave a stale search
page. Both stemmers only cut or rewrite the end of a word, and keep its first three
letters (up to a final y turned into i, and a few irregular forms), so the key is the
word's first three letters, lowercased, accents folded, y read as i ("ceasefires" and
"ceasefire": "cea"; "cries" and "cry": "cri"). A word whose stem can be shorter than
three letters ("is" → "i", "added" → "ad", "dying" → "dy"/"die") also gets a key of
that stem ("dyed", "dying" and "dy": "di").

tests/search/test_search_cache.py checks this against both stemmers over ~49,000
English words, and against the real search.

Three letters: an edit of a statement of 50 words makes stale the searches for words
sharing one of ~40 beginnings, not every search.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

from .backends import _WORD, ParsedQuery

PREFIX = 3
# What the stemmers can remove after one or two letters (inflections, whatever the
# letters left; "-ness", "-ful", "-ly"... after a vowel and a consonant, "oneness" →
# "on"), so that what is left is shorter than PREFIX letters.
_SHORT_SUFFIXES = {"", "s", "e", "es", "ed", "eds", "ing", "ings", "ie", "ies", "ied"}
_SHORT_SUFFIXES |= {"edli", "ingli", "li", "eli", "ful", "eful", "ness", "eness", "ative"}
_SHORT_SUFFIXES |= {"ee", "ees", "eed", "fulli", "efulli", "fulness", "efulness"}
# After a doubled last letter of the stem, which the stemmers undouble ("adding").
_DOUBLED_SUFFIXES = {"ed", "ing", "ings"}


def normalise(word: str) -> str:
    """Lowercase, accents folded, y as i; "ying" as "ie" (PostgreSQL's stemmer makes
    "dying" "die", SQLite's "dy")."""
    text = unicodedata.normalize("NFKD", word.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.replace("ying", "ie").replace("y", "i")


def word_keys(word: str) -> set[str]:
    """The keys of one word (letters and digits, as search.backends splits words)."""
    n = normalise(word)
    if not n:
        return set()
    keys = {n[:PREFIX]}
    for cut in range(1, PREFIX):
        stem, rest = n[:cut], n[cut:]
        if len(n) <= cut:
            break
        if rest in _SHORT_SUFFIXES or (rest[0] == stem[-1] and rest[1:] in _DOUBLED_SUFFIXES):
            keys.add(stem)
    return keys


def text_keys(text: str) -> set[str]:
    """The keys of every word of a text (a statement's text, its speaker's names)."""
    keys: set[str] = set()
    for word in set(_WORD.findall(text or "")):
        keys |= word_keys(word)
    return keys


def query_keys(query: ParsedQuery) -> set[str]:
    """The keys of every word of a query: its terms, phrases and excluded words."""
    keys: set[str] = set()
    terms = [*(t for group in query.groups for t in group), *query.excluded]
    for term in terms:
        for word in term.words:
            keys |= word_keys(word)
    return keys


def scope(key: str) -> str:
    """The cache scope of a key (core.cache)."""
    return f"term:{key}"


def scopes(keys: Iterable[str]) -> list[str]:
    return sorted(scope(k) for k in keys)


def edit_scopes(statement: Any, texts: list[str]) -> set[str]:
    """The searches an edit of a statement's words (incidents.caching.WORDS_ONLY)
    changes: those for a word of its old or new text, or of the names it is found by
    (such a page shows its words too). Registered with
    incidents.caching.follow_words_edits by SearchConfig.ready."""
    from .models import StatementSearch

    names = StatementSearch.objects.filter(statement=statement.pk).values_list("meta", flat=True)
    keys = text_keys(names.first() or "")
    for text in texts:
        keys |= text_keys(text)
    return {scope(k) for k in keys}
