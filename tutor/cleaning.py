"""Tell a document's prose from the page furniture pasted along with it.

Text copied from a web page carries navigation, image captions, tags, copyright and
citation footers, and adverts. Each line is labelled by its shape and place, never by
matching particular strings of particular files:

- ``body``: prose, list items and quotations; what answers are quoted from.
- ``heading``: a short title line; kept with the passage it heads (it helps retrieval)
  but never quoted.
- ``junk``: furniture; kept out of passages, the index and every answer.

Rules for junk, each general to pasted pages:

1. The footer: from the first copyright, licence or terms-of-use line in the last
   part of the document to its end (citation blocks, "page created in", adverts).
2. Breadcrumbs and site-interface lines ("Home > History", "Share", "Article Content").
3. Short lines repeated within the document (image tags, "read more" links), or
   repeated across documents of the corpus (a site's template).
4. Image captions: a line without closing punctuation right after a repeated tag, or
   one that names a picture, photo, poster or map.
5. Lone all-lower-case fragments (tags and link text) and bare web addresses.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass

BODY, HEADING, JUNK = "body", "heading", "junk"

_END_PUNCT = tuple(".!?:;\"”’'…")
_FOOTER_CUE = re.compile(
    r"(©|\(c\)\s*\d{4}|\bcopyright\b|all rights reserved|terms of (use|service)|privacy policy"
    r"|\blicen[cs]ed? under\b|available under the terms|creative commons|may not be (re)?published"
    r"|\bcookies?\b.*\b(use|accept)|\bdisclaimer\b)",
    re.IGNORECASE,
)
# _FOOTER_CUE without IGNORECASE, for text passed through _FOLD. Python's ``re`` tries
# an IGNORECASE alternation that opens with ``\b`` at every position (135 ns a
# character, most of the cleaning's time); a line is searched only when it holds a
# literal that one of the alternatives needs (``_FOOTER_LITERALS``).
_FOOTER_CUE_FOLDED = re.compile(_FOOTER_CUE.pattern)
_FOOTER_LITERALS = ("©", "(c)", "copyright", "all rights reserved", "terms of ", "privacy policy", "licen",
                    "available under the terms", "creative commons", "may not be ", "cookie", "disclaimer")
# Every character that IGNORECASE matches to a letter of _FOOTER_CUE, mapped to that
# letter (the upper-case ASCII letters, the Kelvin sign, dotted and dotless I, long
# s); a test checks this against ``re`` itself.
_FOLD = str.maketrans({**{c: c.lower() for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
                       "\u212a": "k", "\u0130": "i", "\u0131": "i", "\u017f": "s"})
_BREADCRUMB = re.compile(r"\S\s+(>|»|›|/|\|)\s+\S")
_URL = re.compile(r"(https?://|www\.)\S+", re.IGNORECASE)
_CAPTION_CUE = re.compile(
    r"\b(picture|photo|photograph|image|poster|illustration|cartoon|map|figure|fig\.|caption|painting|"
    r"shown here|pictured)\b",
    re.IGNORECASE,
)
# Words that web-site furniture is made of; a line made only of these is interface text.
_INTERFACE_WORDS = frozenset(
    "home menu search share print email e-mail login log in sign up subscribe skip to main content "
    "article contents navigation nav next previous prev back top related comments comment reply "
    "advertisement advert ads sponsored featured tweet facebook twitter instagram pinterest linkedin "
    "whatsapp read more click here download pdf close open toggle follow us our newsletter cookie "
    "cookies accept settings page post story stories video videos gallery photos image images view "
    "of the and a an this these that to for on with all more us your you by in at or it here now "
    "free trial shop store buy donate support".split()
)
_INTERFACE_WORD = re.compile(r"[a-z\-]+")
FOOTER_ZONE = 0.5  # a footer cue starts the footer only in the last half of a document


@dataclass(frozen=True)
class Line:
    """One line of a document: ``text[start:end]`` is the line without its newline."""

    start: int
    end: int
    kind: str  # "blank", BODY, HEADING or JUNK


def line_spans(text: str) -> list[tuple[int, int]]:
    """``[start, end)`` of every line, newline excluded."""
    spans, pos = [], 0
    for piece in text.split("\n"):
        spans.append((pos, pos + len(piece)))
        pos += len(piece) + 1
    return spans


def normalised_line(s: str) -> str:
    return " ".join(s.lower().split())


# What makes an ASCII text's lines other than single-spaced: white space but a space or a
# line break, two spaces running, a space beside a line break.
_UNEVEN_ASCII_SPACE = ("\t", "\v", "\f", "\r", "\x1c", "\x1d", "\x1e", "\x1f", "  ", " \n", "\n ")


def normalised_lines(text: str) -> list[str]:
    """``normalised_line`` of every line of ``text``: for an ASCII text whose lines are
    single-spaced already (most are), its lower case split into lines (a third quicker,
    most of it spent making sure they are)."""
    if text.isascii() and text[:1] != " " and text[-1:] != " " and not any(s in text for s in _UNEVEN_ASCII_SPACE):
        return text.lower().split("\n")
    return [normalised_line(s) for s in text.split("\n")]


def ends_sentence(s: str) -> bool:
    return s.rstrip().endswith(_END_PUNCT)


def is_heading_shape(s: str) -> bool:
    """A short line with no closing punctuation: a title, a label, or a fragment."""
    s = s.strip()
    return bool(s) and len(s) <= 120 and not ends_sentence(s) and len(s.split()) <= 14


def has_footer_cue(line: str, literal_only: bool = False) -> bool:
    """``_FOOTER_CUE.search(line)``, quickly: most lines hold none of its literals.

    With ``literal_only``, whether ``line`` holds one of the literals (none: no cue in any
    of its lines, as no literal spans two lines).
    """
    folded = line.lower() if line.isascii() else line.translate(_FOLD)  # (the same, for ASCII)
    if not any(lit in folded for lit in _FOOTER_LITERALS):
        return False
    return literal_only or _FOOTER_CUE_FOLDED.search(folded) is not None


def _is_interface(s: str) -> bool:
    """One to six words, every one of them interface text (read until one is not)."""
    n = 0
    for m in _INTERFACE_WORD.finditer(s.lower()):
        n += 1
        w = m.group()
        if n > 6 or not (w in _INTERFACE_WORDS or w.rstrip("s") in _INTERFACE_WORDS):
            return False
    return n > 0


def _is_lower_fragment(s: str) -> bool:
    s = s.strip()
    return is_heading_shape(s) and s == s.lower() and any(ch.isalpha() for ch in s) and len(s.split()) <= 6


def _footer_start(text: str, spans: list[tuple[int, int]], raw: list[str], kinds: list) -> int:
    """The first line of the footer (a footer cue in the document's last part), or past the end."""
    cut = len(text) * FOOTER_ZONE
    first = next((i for i, (a, _) in enumerate(spans) if a >= cut), len(spans))
    # Most documents hold none of the cues' literals in the lines that may start a footer.
    if first < len(spans) and has_footer_cue(text[spans[first][0]:], literal_only=True):
        for i in range(first, len(spans)):
            if kinds[i] is None and has_footer_cue(raw[i]):
                return i
    return len(spans)


def _wrapped(raw: list[str], kinds: list) -> set[int]:
    """Hard-wrapped prose: a line that stops mid-sentence and a next line that goes on in
    lower case are one paragraph, whatever their length."""
    wrapped = set()
    for i in range(len(raw) - 1):
        if kinds[i] is None and kinds[i + 1] is None and not ends_sentence(raw[i]) \
                and raw[i + 1].strip()[:1].islower():
            wrapped.update((i, i + 1))
    return wrapped


def classify(text: str, shared_lines: frozenset[str] = frozenset()) -> list[Line]:
    """Label every line of ``text`` as blank, body, heading or junk; ``shared_lines``
    holds normalised lines that recur across the corpus's documents."""
    spans = line_spans(text)
    raw = [text[a:b] for a, b in spans]
    n_words = [len(s.split(None, 26)) for s in raw]  # (compared with 25 or less); none: blank
    kinds = [None if n else "blank" for n in n_words]
    # Normalised lines are compared with each other and with the shared lines. Two lines
    # normalise alike only if they hold as many words, and most are long: those are
    # normalised only when compared (see ``counted``).
    norm = [normalised_line(s) if 0 < n <= 8 else None for s, n in zip(raw, n_words)]
    counts = Counter(n for n in norm if n)
    long_counts: Counter[str] | None = None

    def normalised(i: int) -> str:
        if norm[i] is None:
            norm[i] = normalised_line(raw[i])
        return norm[i]  # type: ignore[return-value]

    def counted(i: int) -> int:
        """How many lines of ``text`` normalise as line ``i`` does."""
        nonlocal long_counts
        if n_words[i] <= 8:
            return counts[norm[i]]
        if long_counts is None:
            long_counts = Counter(normalised(j) for j, n in enumerate(n_words) if n > 8)
        return long_counts[normalised(i)]

    footer_from = _footer_start(text, spans, raw, kinds)
    wrapped = _wrapped(raw, kinds)
    for i, s in enumerate(raw):
        if kinds[i] is not None:
            continue
        stripped, words = s.strip(), n_words[i]
        ends, heading = ends_sentence(stripped), is_heading_shape(stripped)
        if i >= footer_from:
            kinds[i] = JUNK
        elif words <= 8 and counted(i) > 1 and not ends:
            kinds[i] = JUNK
        elif shared_lines and normalised(i) in shared_lines:
            kinds[i] = JUNK
        elif i in wrapped:
            kinds[i] = BODY
        elif _is_interface(stripped) or (words <= 10 and heading and _BREADCRUMB.search(stripped)):
            kinds[i] = JUNK
        elif words <= 6 and _URL.search(stripped):
            kinds[i] = JUNK
        elif not heading:
            kinds[i] = BODY
        elif _is_lower_fragment(stripped) or words <= 25 and _CAPTION_CUE.search(stripped):
            kinds[i] = JUNK
        else:
            kinds[i] = HEADING

    # Captions: a line without closing punctuation right after a junk tag line.
    for i in (i for i in range(1, len(raw)) if kinds[i] in (BODY, HEADING) and kinds[i - 1] == JUNK):
        if not ends_sentence(raw[i]) and n_words[i] <= 25 and counted(i - 1) > 1:
            kinds[i] = JUNK
    return [Line(a, b, k) for (a, b), k in zip(spans, kinds)]


def line_digest(norm: str) -> int:
    """A normalised line's 64-bit digest (BLAKE2b).

    The build compares lines across documents by digest, so that worker processes send
    back a few integers per document rather than its text.
    """
    return int.from_bytes(hashlib.blake2b(norm.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


def line_digests(text: str) -> set[int]:
    """Digests of a document's normalised lines of three words or more (see ``shared_lines``)."""
    return {line_digest(n) for n in normalised_lines(text) if n.count(" ") >= 2}


class SharedDigests:
    """Shared lines held as digests (``line_digest``): ``normalised_line in shared``.

    ``classify`` accepts it in place of a set of lines.
    """

    def __init__(self, digests):
        self.digests = frozenset(digests)

    def __contains__(self, norm: object) -> bool:
        return bool(self.digests) and isinstance(norm, str) and line_digest(norm) in self.digests

    def __bool__(self) -> bool:
        return bool(self.digests)

    def __len__(self) -> int:
        return len(self.digests)


def shared_lines(texts: list[str], min_docs: int = 3) -> frozenset[str]:
    """Normalised lines of three words or more that occur in ``min_docs`` or more documents.

    Three, not two: two pages may well quote the same sentence or share a title; a line
    in three or more is a site's template.
    """
    seen: Counter[str] = Counter()
    for text in texts:
        seen.update({n for n in map(normalised_line, text.split("\n")) if len(n.split()) >= 3})
    return frozenset(n for n, c in seen.items() if c >= min_docs)
