"""Page furniture that is never a statement: headlines, datelines, time stamps."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

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
_TIMESTAMP = re.compile(r"\d{1,2}[:.]\d{2}(?:\s*(?:[A-Z]{2,4}|local time))?\s*[-–—]?\s+")
# A line ending in a closing quotation mark without a full stop before it is a
# headline ('India tells strikes were "measured"'), not a sentence.
_SENTENCE_END = re.compile(r"""[.!?:]["”’)]*\s*$""")


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
