"""Quotation marks: where each quotation starts and ends."""

from __future__ import annotations

import bisect
import re


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

    def unwrap(self, text: str, start: int, end: int) -> tuple[int, int]:
        """Direct speech is the words inside the marks (ANNOTATION.md): a span that
        opens a quotation and closes one (the same, or the last of a quotation split
        by "he said") loses the two marks and the comma that introduced the
        attribution; a final full stop, question or exclamation mark stays. A span
        that merely contains quotations (mixed speech) is left as it is.

        `text` must be the text the quotations were found in: offsets from the
        cleaned text and the pasted input differ."""
        first, last = self.containing(start), self.containing(end - 1)
        if first is None or last is None or first[0] != start or last[1] != end:
            return start, end
        if end - start < 3:
            return start, end
        start, end = start + 1, end - 1
        while end > start and text[end - 1] in " ,":
            end -= 1
        return start, end
