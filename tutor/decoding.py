"""Decode a file's bytes as its reader would, or say plainly why they are not text.

``decode`` recognises UTF-8 (with or without a byte-order mark), UTF-16 (with one, or
without when every other byte is NUL) and Windows-1252, and refuses empty files, binary
content and known formats saved under a text name ("a PNG image", "a PDF document").
"""

from __future__ import annotations

import re


class Unreadable(Exception):
    """A file that cannot be read as text; the message is the reason shown to a user."""


# Files teachers save by mistake under a text name: their first bytes say what they are.
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a zipped file (a Word, OpenDocument or zip file)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Word or Excel document"),
    (b"{\\rtf", "a rich-text (RTF) document"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"\x7fELF", "a program"),
    (b"SQLite format 3\x00", "a database"),
    (b"ID3", "an audio file"),
    (b"OggS", "an audio or video file"),
)


def file_kind(data: bytes) -> str | None:
    """What a known non-text format the bytes begin with is ("a PDF document"), if any."""
    for magic, kind in _SIGNATURES:
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        return "an image, audio or video file"
    if data[4:8] == b"ftyp":
        return "a video or audio file"
    return None


def _utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le``/``-be`` when the bytes look like BOM-less UTF-16 text (every other byte NUL)."""
    sample = data[:8192]
    if len(sample) < 4 or len(data) % 2:
        return None
    even, odd = sample[0::2], sample[1::2]
    for zeros, other, encoding in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if zeros.count(0) >= 0.9 * len(zeros) and other.count(0) <= 0.02 * len(other):
            return encoding
    return None


def decode(data: bytes) -> tuple[str, str]:
    """Decode file bytes as a reader would; return ``(text, encoding)``.

    UTF-8 (with or without BOM), UTF-16 (with a BOM, or without one when every other
    byte is NUL, as English text in UTF-16 is) and cp1252 are recognised. Newlines are
    translated as ``open()`` does in text mode, so offsets match ``read_text``.
    Raises ``Unreadable`` for empty or binary content, naming a known format (an image
    or a PDF saved under a ``.txt`` name) when the first bytes show one.
    """
    kind = file_kind(data)
    if kind == "a PDF document":
        raise Unreadable("binary file (a PDF document, not text: name it .pdf to have it read)")
    if kind:
        raise Unreadable(f"binary file ({kind}, not text)")
    raw = None
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        encoding = "utf-16"
    elif data.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    elif b"\x00" in data[:8192]:
        encoding = _utf16_without_bom(data)
        if encoding is None:
            raise Unreadable("binary file (contains NUL bytes)")
    else:
        try:
            raw = data.decode("utf-8")  # without a BOM, what utf-8-sig decodes
            encoding = "utf-8-sig"
        except UnicodeDecodeError:
            encoding = "cp1252"
    try:
        if raw is None:
            raw = data.decode(encoding)
    except UnicodeDecodeError as exc:
        if encoding == "cp1252":
            raise Unreadable("not readable text (neither UTF-8 nor Windows-1252)") from exc
        raise Unreadable(f"not valid text in {encoding}") from exc
    text = raw.replace("\r\n", "\n").replace("\r", "\n") if "\r" in raw else raw
    if not text or text.isspace():
        raise Unreadable("empty file" if not data else "no text (only white space)")
    if _looks_binary(text):
        raise Unreadable("binary file (mostly control characters)")
    return text, encoding


# Control characters (Unicode category Cc: U+0000-001F, U+007F-009F) other than the
# white space a text file may hold (new line, tab, form feed, vertical tab).
_CONTROL = re.compile("[\x00-\x08\x0d-\x1f\x7f-\x9f]")


# The ASCII ones: most text is ASCII, and bytes.translate counts them many times faster
# than a regex scan (reading a large corpus checks every file twice).
_ASCII_CONTROL = bytes(c for c in range(128) if _CONTROL.match(chr(c)))


def _looks_binary(text: str) -> bool:
    sample = text[:8192]
    if sample.isascii():
        n = len(sample) - len(sample.encode("ascii").translate(None, _ASCII_CONTROL))
    else:
        n = len(_CONTROL.findall(sample))
    return n > max(8, len(sample) // 50)
