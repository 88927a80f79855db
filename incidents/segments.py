"""Cutting a text at the boundaries of spans that may overlap, so that each span can
be highlighted: the statement page (annotations), the source page (quoted
statements) and the editor's span workspace (annotations and claims) all use it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Segment:
    """A run of text and the spans covering it.

    `marks` are the numbers of the covering spans, `classes` their css classes,
    `starts` the numbers of the spans beginning here (where a link to a span jumps),
    and `items` the covering spans' own objects (when the caller passed any)."""

    text: str
    marks: list[int] = field(default_factory=list)
    classes: str = ""
    starts: list[int] = field(default_factory=list)
    items: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    number: int = 0
    css: str = ""
    item: Any = None


def segment_text(text: str, spans: Sequence[Span | tuple[int, int, int, str]]) -> list[Segment]:
    """Cut `text` at every span boundary. Out-of-range parts are clipped; empty spans
    and spans without offsets are left out."""
    size = len(text)
    clipped: list[Span] = []
    for raw in spans:
        sp = raw if isinstance(raw, Span) else Span(*raw)
        if sp.start is None or sp.end is None:
            continue
        start, end = max(0, sp.start), min(size, sp.end)
        if start < end:
            clipped.append(Span(start, end, sp.number, sp.css, sp.item))
    cuts = sorted({0, size, *(s.start for s in clipped), *(s.end for s in clipped)})
    segments: list[Segment] = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        covering = [sp for sp in clipped if sp.start <= a and b <= sp.end]
        segments.append(
            Segment(
                text=text[a:b],
                marks=[sp.number for sp in covering],
                classes=" ".join(dict.fromkeys(t for sp in covering for t in sp.css.split())),
                starts=[sp.number for sp in covering if sp.start == a],
                items=[sp.item for sp in covering if sp.item is not None],
            )
        )
    return segments
