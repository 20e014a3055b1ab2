"""What a student or teacher types, made safe to search, show, store and print.

Typed text is data from outside: a terminal can pass bytes that are not UTF-8 (Python
keeps them as lone surrogates, which cannot be printed or sent to a browser), a paste
can carry control characters (NUL, escape sequences that recolour a terminal) or the
invisible bidirectional overrides that make text read backwards. ``clean`` keeps every
visible character (emoji, accents, any script, markup as literal text) and drops or
replaces only those. Length is not cut here: ``tutor.answer`` cuts a long question and
says so in a note.

>>> clean("Who built\\x00 the \\x1b[31mcanal?\\u202e")
'Who built the [31mcanal?'
>>> clean("caf\\udce9") == "caf\\ufffd"  # an undecodable byte from the command line
True
"""

from __future__ import annotations

import re
import unicodedata

# Bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069).
_BIDI = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
_SURROGATE = re.compile("[\ud800-\udfff]")


def _visible(ch: str) -> str:
    if ch in "\n\t":
        return ch
    return "" if unicodedata.category(ch) == "Cc" else ch


def clean(text: str) -> str:
    """``text`` without control characters, bidi overrides or unpaired surrogates."""
    if not isinstance(text, str):
        text = str(text)
    # Unpaired surrogates (undecodable bytes from argv, "\\ud800" in JSON) become U+FFFD.
    text = _SURROGATE.sub("\ufffd", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_BIDI)
    if text.isprintable():
        return text
    return "".join(_visible(ch) for ch in text)
