"""From pasted text to an ImportDraft: validation, cleaning, extraction.

Used by the paste form (one article, in the request: the pipeline is warm and an
article takes a fraction of a second), by the background job and by
`manage.py import_articles` (many articles through nlp.pipe batches).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings

from .clean import clean_text
from .extract import Analysis, Extractor
from .models import Article, ImportDraft, ImportJob, ImportRejected
from .registry import Registry

if TYPE_CHECKING:
    from accounts.models import User

BATCH_SIZE = 16

# The commonest English function words: an English article uses many of them.
_ENGLISH = frozenset(
    re.findall(
        r"\w+",
        "the of and to in a is that for on was with as by it at from his her said has have "
        "be are were not this an which or had but its their been will would after they who "
        "also than into over more about",
    )
)

NO_STATEMENT = (
    "No attributed statement was found in this article: nothing was saved. Parallax looks "
    "for a speaker and a speech verb (said, accused, urged, according to ...). Check that "
    "the whole article was pasted."
)


def check_raw(raw: str) -> None:
    """Refuse what cannot be an article, with a message saying why."""
    limit = settings.IMPORT_MAX_CHARS
    if not raw or not raw.strip():
        raise ImportRejected("The article is empty: paste the text of the article.")
    if len(raw) > limit:
        raise ImportRejected(
            f"The article is {len(raw):,} characters long; the limit is {limit:,}. "
            "Paste the article itself, without the rest of the page."
        )
    sample = raw[:20000]
    bad = sum(
        1
        for ch in sample
        if ch == "\ufffd"
        or (unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") and ch not in "\n\r\t")
    )
    if bad > max(3, len(sample) // 100):
        raise ImportRejected(
            "This does not look like text (it contains binary data or broken characters). "
            "Paste the article's text, not a file's contents."
        )


def check_cleaned(text: str) -> None:
    if not text.strip():
        raise ImportRejected(
            "Nothing is left of the article once page furniture (cookie banners, "
            "tracking code, share links) is removed."
        )
    letters = [ch for ch in text[:20000] if ch.isalpha()]
    if letters:
        latin = sum(1 for ch in letters if ch < "\u0250")
        words = re.findall(r"[a-z]+", text[:20000].lower())
        english = sum(1 for w in words if w in _ENGLISH)
        if latin / len(letters) < 0.7 or (len(words) >= 20 and english / len(words) < 0.08):
            raise ImportRejected(
                "This article does not appear to be in English. The extraction pipeline "
                "reads English; import an English version, or enter the statements by hand "
                "with their original text and a translation."
            )
    if len(re.findall(r"\w+", text)) < 5:
        raise ImportRejected("The article is too short to contain an attributed statement.")


@dataclass
class Outcome:
    article: Article
    draft: ImportDraft | None
    message: str

    @property
    def summary(self) -> str:
        name = self.article.name or self.article.title or "article"
        return f"{name}: {self.message}"


def prepare(article: Article) -> str:
    """Validate and clean one article; the cleaned text or ImportRejected."""
    check_raw(article.text)
    cleaned = clean_text(article.text).text
    check_cleaned(cleaned)
    return cleaned


def draft_from(
    article: Article,
    cleaned: str,
    analysis: Analysis,
    by: User | None,
    job: ImportJob | None = None,
) -> ImportDraft:
    if not analysis.statements:
        raise ImportRejected(NO_STATEMENT)
    return ImportDraft.from_analysis(article, cleaned, analysis, by=by, job=job)


def analyse_article(article: Article, registry: Registry | None = None) -> tuple[str, Analysis]:
    """Validate, clean and analyse one article: (cleaned text, analysis) or
    ImportRejected, including when no attributed statement is found."""
    from .nlp import get_nlp

    cleaned = prepare(article)
    extractor = Extractor(registry or Registry.from_db())
    analysis = extractor.analyse(get_nlp()(cleaned), article.published_on)
    if not analysis.statements:
        raise ImportRejected(NO_STATEMENT)
    return cleaned, analysis


def import_article(
    article: Article, by: User | None, registry: Registry | None = None
) -> ImportDraft:
    """One pasted article: an ImportDraft for review, or ImportRejected (nothing saved)."""
    cleaned, analysis = analyse_article(article, registry)
    return draft_from(article, cleaned, analysis, by)


def import_articles(
    articles: list[Article],
    by: User | None = None,
    job: ImportJob | None = None,
    registry: Registry | None = None,
    batch_size: int = BATCH_SIZE,
    on_progress: Callable[[Outcome], None] | None = None,
) -> Iterator[Outcome]:
    """Many articles through nlp.pipe; yields one Outcome per article, in order.
    A rejected article is reported (draft None) and the others go on."""
    extractor = Extractor(registry or Registry.from_db())
    valid: list[tuple[Article, str]] = []
    rejected: dict[int, str] = {}
    for n, article in enumerate(articles):
        try:
            valid.append((article, prepare(article)))
        except ImportRejected as exc:
            rejected[n] = str(exc)
    analyses = extractor.analyse_many(
        ((cleaned, article.published_on) for article, cleaned in valid), batch_size=batch_size
    )
    pending = iter(zip(valid, analyses, strict=False))
    for n, article in enumerate(articles):
        if n in rejected:
            outcome = Outcome(article, None, rejected[n])
        else:
            (art, cleaned), analysis = next(pending)
            try:
                draft = draft_from(art, cleaned, analysis, by, job)
            except ImportRejected as exc:
                outcome = Outcome(art, None, str(exc))
            else:
                outcome = Outcome(
                    art, draft, f"{len(analysis.statements)} statements proposed for review"
                )
        if on_progress:
            on_progress(outcome)
        yield outcome
