"""What text the site accepts and what it sends where text must be clean.

PostgreSQL refuses a NUL character in any text and caps what one row of the search
index can hold; XML (the Atom feed) cannot carry most control characters at all.
Forms refuse such text with a message (checked here, used by every editing form);
`xml_safe` cleans text on its way into XML, since rows written earlier (or loaded
from elsewhere) may still hold it.
"""

from __future__ import annotations

import re
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError

# C0 controls but tab, newline and carriage return, DEL, and the C1 controls: no
# meaning in a statement or a note, and XML 1.0 cannot carry most of them.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# What XML 1.0 cannot carry at all (besides the above): surrogates and two
# non-characters.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def has_visible_character(text: str) -> bool:
    """False for text made only of spaces, invisible format marks (U+200E, U+200B,
    U+FEFF...), combining marks or controls."""
    return any(unicodedata.category(ch)[0] in "LNPS" for ch in text)


def check_text(
    value: str, *, limit: int, what: str, required: bool = False, controls_ok: bool = False
) -> str:
    """Refuse what PostgreSQL cannot store (NUL) and, unless `controls_ok` (a
    verbatim capture), control characters; refuse text beyond `limit` characters; a
    required text needs a visible character."""
    if "\x00" in value:
        raise ValidationError(f"The {what} contains a NUL character, which cannot be stored.")
    bad = None if controls_ok else _CONTROL.search(value)
    if bad:
        raise ValidationError(
            f"The {what} contains an invisible control character (U+{ord(bad.group()):04X}); "
            "remove it (it often comes with text copied from a PDF)."
        )
    if len(value) > limit:
        raise ValidationError(
            f"The {what} is {len(value):,} characters long; the limit is {limit:,}."
        )
    if required and not has_visible_character(value):
        raise ValidationError(f"The {what} has no visible character.")
    return value


def limits() -> dict[str, int]:
    """The documented size limits (settings; docs/scaling.md, "Limits")."""
    return {
        "statement": settings.STATEMENT_MAX_CHARS,
        "note": settings.NOTE_MAX_CHARS,
        "source": settings.IMPORT_MAX_CHARS,
    }


def xml_safe(text: str) -> str:
    """Text XML 1.0 can carry: characters it cannot are dropped."""
    return _NOT_XML.sub("", text)
