"""Cleaning pasted articles before they are archived and parsed.

The cleaned text is what a Source archives (with its SHA-256) and what every offset
refers to. Each step keeps a map from cleaned characters back to the pasted input,
so the evaluation can report offsets into the original gold text files.

Quote characters are left as typed: typographic quotes are what the source printed,
and quote verification already ignores the difference between “ and ". Only
two-character ASCII stand-ins (`` and '') and the double prime are turned into
quote marks, since the extractor needs to see them as quotes.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser

# Lines that are page furniture rather than article text. Matched against whole
# (stripped) lines only, and only short ones, so an article sentence that happens to
# mention cookies is never dropped.
_DEBRIS_LINE = re.compile(
    r"""^(?:
        !?--.*--?>?                                  # <!-- comment --> remnants
      | <!--.*
      | .*\b(?:gtag|googletagmanager|dataLayer|fbq|_gaq|adsbygoogle)\b.*
      | .*\bGoogle\s+tag\b.*
      | (?:window|document)\.\w+.*
      | function\s*\(.*
      | read\s+more\b.*
      | read\s+also\b.*
      | also\s+read\b.*
      | related(?:\s+(?:articles?|stories|news))?\s*:.*
      | advertisement
      | sponsored(?:\s+content)?
      | share\s+(?:this|on)\b.*
      | (?:follow|like)\s+us\s+on\b.*
      | subscribe\b.*newsletter.*
      | sign\s+up\b.*newsletter.*
      | click\s+here\b.*
      | (?:©|\(c\)|copyright\b).*
      | all\s+rights\s+reserved\.?
      | .*\bcookies?\b.*\b(?:accept|consent|policy|settings|preferences|agree)\b.*
      | .*\b(?:accept|reject|manage)\s+(?:all\s+)?cookies\b.*
      | (?:accept|reject|ok|got\s+it|i\s+agree|agree)
      | (?:facebook|twitter|telegram|whatsapp|linkedin|email|print)(?:\s*[|·•]\s*\w+)*
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_MAX_DEBRIS_LINE = 300

_LOOKS_LIKE_HTML = re.compile(
    r"<(?:p|div|br|span|a|h[1-6]|article|section|body|html|li|ul|script|style|blockquote)\b[^>]*>",
    re.IGNORECASE,
)
_BLOCK_TAGS = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "article",
    "section", "blockquote", "tr", "table", "figure", "figcaption", "header", "footer",
    "main", "aside", "nav", "hr", "pre",
}  # fmt: skip
_SKIP_TAGS = {"script", "style", "noscript", "nav", "footer", "aside", "form", "iframe", "svg",
              "button", "template", "head", "figcaption"}  # fmt: skip

_SPACES = {"\u00a0", "\u2007", "\u202f", "\u2009", "\u200a", "\u2002", "\u2003", "\u3000", "\t",
           "\u2004", "\u2005", "\u2006", "\u2008", "\x0b", "\x0c"}  # fmt: skip
_DROP = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"}


@dataclass
class Cleaned:
    """The cleaned text and, for each of its characters, the index of the input
    character it came from (`origin[len(text)]` is the end of the input)."""

    text: str
    origin: list[int]

    def to_input(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span of the cleaned text to the input."""
        if end <= start:
            pos = self.origin[start]
            return pos, pos
        return self.origin[start], self.origin[end - 1] + 1


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    return "".join(parser.parts)


def looks_like_html(text: str) -> bool:
    return len(_LOOKS_LIKE_HTML.findall(text[:20000])) >= 2


def clean_text(raw: str) -> Cleaned:
    """Clean a pasted article. HTML pasted as markup is reduced to its text first
    (offsets then map to that text, as the markup itself is not archived)."""
    if looks_like_html(raw):
        raw = html_to_text(raw)
    else:
        # Entities pasted from a page source ("&amp;", "&#8220;") without tags.
        if re.search(r"&(?:[a-z]+|#\d+);", raw):
            raw = html.unescape(raw)
    chars: list[tuple[str, int]] = []
    # 1. Characters: unify line breaks and spaces, drop invisible ones.
    i = 0
    n = len(raw)
    while i < n:
        ch = raw[i]
        if ch == "\r":
            if i + 1 < n and raw[i + 1] == "\n":
                i += 1
                continue
            chars.append(("\n", i))
        elif ch in _SPACES:
            chars.append((" ", i))
        elif ch in _DROP:
            pass
        elif ch in "`'" and i + 1 < n and raw[i + 1] == ch:
            chars.append(("“" if ch == "`" else "”", i))
            i += 2
            continue
        elif ch == "″":
            chars.append(('"', i))
        elif ch != "\n" and unicodedata.category(ch) in ("Cc", "Cs", "Co"):
            chars.append((" ", i))
        else:
            chars.append((ch, i))
        i += 1
    # 2. Lines: drop page debris, trim each line, collapse runs of spaces.
    lines: list[list[tuple[str, int]]] = [[]]
    for ch, pos in chars:
        if ch == "\n":
            lines.append([])
        else:
            lines[-1].append((ch, pos))
    kept: list[list[tuple[str, int]]] = []
    for line in lines:
        squeezed: list[tuple[str, int]] = []
        for ch, pos in line:
            if ch == " " and (not squeezed or squeezed[-1][0] == " "):
                continue
            squeezed.append((ch, pos))
        while squeezed and squeezed[-1][0] == " ":
            squeezed.pop()
        text = "".join(c for c, _ in squeezed)
        if text and len(text) <= _MAX_DEBRIS_LINE and _DEBRIS_LINE.match(text):
            continue
        kept.append(squeezed)
    # 3. Paragraphs: at most one blank line between paragraphs, none at either end.
    out: list[tuple[str, int]] = []
    blank = 0
    for line in kept:
        if not line:
            blank += 1
            continue
        if out:
            gap = "\n\n" if blank else "\n"
            nl_pos = out[-1][1] + 1
            out.extend((c, nl_pos) for c in gap)
        out.extend(line)
        blank = 0
    text = "".join(c for c, _ in out)
    origin = [pos for _, pos in out] + [len(raw)]
    return Cleaned(text=text, origin=origin)


def clean(raw: str) -> str:
    return clean_text(raw).text
