"""What a student or teacher types, made safe to search, show, store and print.

Typed text is data from outside: a terminal can pass bytes that are not UTF-8 (Python
keeps them as lone surrogates, which cannot be printed or sent to a browser), a paste
can carry control characters (NUL, escape sequences that recolour a terminal) or the
invisible bidirectional overrides that make text read backwards. ``clean`` keeps every
visible character (emoji, accents, any script, markup as literal text) and drops or
replaces only those. Length is not cut here: ``tutor.answer`` cuts a long question and
says so in a note. ``text_lines`` and ``json_object`` read the JSON-lines files a teacher
gives (``--batch``, ``eval``), a file or standard input, the same bytes the same way.

>>> clean("Who built\\x00 the \\x1b[31mcanal?\\u202e")
'Who built the [31mcanal?'
>>> clean("caf\\udce9") == "caf\\ufffd"  # an undecodable byte from the command line
True
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from pathlib import Path

from tutor.decoding import Unreadable, decode
from tutor.errors import TutorError

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


def text_lines(source: str) -> list[str]:
    """The lines of a file (``-``: standard input), its bytes decoded as a corpus document's."""
    try:
        data = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
        return decode(data)[0].split("\n") if data.strip() else []
    except FileNotFoundError:
        raise TutorError(f"file not found: {source}") from None
    except (OSError, Unreadable) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise TutorError(f"cannot read {'standard input' if source == '-' else source}: {reason}") from exc


def json_object(line: str) -> dict:
    """One line of a JSON-lines file; ``ValueError`` saying why when it is not a JSON object."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg})") from None
    except RecursionError:
        raise ValueError("nested too deeply") from None
    if not isinstance(row, dict):
        raise ValueError("not a JSON object")
    return row
