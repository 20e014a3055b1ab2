"""Acronyms as the sources spell them out: "GLF" is what a source wrote "Great Leap Forward (GLF)".

Students type the short form ("what was the GLF", "what were SOEs"); a source may give the
long form in most places and the short one in a few. ``expand`` finds, in the passages
that hold the acronym, where a source introduces it, "Long Form Words (LFW)" or
"LFW (Long Form Words)", and takes the long form whose words' initials spell it (small
words such as "of" may be left out of it, and a hyphen starts a word: "State-Owned
Enterprises (SOEs)").
"""

from __future__ import annotations

import re

from tutor import analysis
from tutor.index import Index

SMALL = {"of", "and", "the", "for", "in", "on", "to", "de", "du", "des", "la", "le"}
LONGEST = 8  # words in a long form


def spelt_out(index: Index, text: str, names: bool = False) -> tuple[str, tuple[str, ...]]:
    """``text`` with each acronym the sources spell out in its long form ("what was the GLF"
    -> "what was the Great Leap Forward"), and the acronyms' stems, still searched for
    (``expand``). With ``names``, only a long form written as a name, which a
    source's acronym still stands for (``retrieval.Concept.acronym``)."""
    out, short, pos = [], [], 0
    for word, a, b in analysis.tokens(text):
        if (word.isupper() or analysis.normalise(word) in index.names) and (long := expand(index, word)) \
                and (not names or all(w[:1].isupper() for w in long.split() if w not in SMALL)):
            out += [text[pos:a], long]
            short.append(analysis.stem(analysis.normalise(word)))
            pos = b
    return "".join(out) + text[pos:], tuple(short)


def expand(index: Index, word: str) -> str | None:
    """The long form the sources give for the acronym ``word`` (as typed, in any case), or None."""
    short = word.rstrip("s") if word.endswith("s") and word[:-1].isupper() else word
    if not 2 <= len(short) <= 6 or not short.isalpha():
        return None
    memo = index.memo.setdefault("acronyms", {})
    key = short.upper()
    if key not in memo:
        memo[key] = _find(index, key)
    return memo[key]


def _find(index: Index, short: str) -> str | None:
    term = index.term_ids.get(analysis.stem(short.lower()))
    if term is None:
        return None
    P = index.P
    before = re.compile(r"((?:[\w’'-]+\s+){1,%d})\(\s*%ss?\s*\)" % (LONGEST, re.escape(short)))
    after = re.compile(r"\b%ss?\s*\(\s*([^()]{3,120})\)" % re.escape(short))
    for p in P.indices[P.indptr[term]:P.indptr[term + 1]][:50].tolist():
        text = index.passage_text(int(p))
        for m in before.finditer(text):
            words = m.group(1).split()
            for start in range(len(words) - 1, -1, -1):  # the shortest run of words before it that spells it
                if _spells(words[start:], short):
                    return " ".join(words[start:])
        for m in after.finditer(text):
            if _spells(m.group(1).split(), short):
                return m.group(1).strip()
    return None


def _spells(words: list[str], short: str) -> bool:
    """Whether the initials of ``words`` (hyphenated parts each, small words optional) are ``short``."""
    parts = [p for w in words for p in w.split("-") if p]
    if not parts or parts[0].lower() in SMALL or not parts[-1][:1].isalpha():
        return False
    initials = "".join(p[0] for p in parts if p.lower() not in SMALL).upper()
    return initials == short.upper() or "".join(p[0] for p in parts).upper() == short.upper()
