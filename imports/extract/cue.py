"""A cue found in the parse: the verb (or "according to") and the span it introduces."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token


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
    # "..., informs the press service of the ministry": the words before the verb
    inverted: bool = False
    # "made a declaration that ...": the clause hung on the noun
    clause: Token | None = None

    def start_token(self, doc: Doc) -> int:
        span = doc.char_span(self.start, self.end, alignment_mode="expand")
        return span.start if span is not None else self.token.i
