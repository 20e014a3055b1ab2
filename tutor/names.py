"""A name in its other forms: the adjective of a people or a place ("Frankish" for the
"Franks", "English" for "England", "Chinese" for "China"), so that a question or a claim
that writes one finds a source that writes the other."""

from __future__ import annotations

import bisect
import re

from tutor import analysis
from tutor.index import Index

# A people or a language named after its place or its people ("Frankish", "Italian", "Chinese").
DEMONYM_ENDINGS = ("ish", "ian", "ese", "ean", "an", "ic")
_DEMONYM = re.compile(r"(?:%s)$" % "|".join(DEMONYM_ENDINGS))
DEMONYM_REST = 3  # the letters a name may add to the adjective's root: "Franks", "Italy", "England"


def kin(word: str, index: Index) -> tuple[str, ...]:
    """Stems of the corpus's names that ``word`` is the adjective of, or the name of
    ("frankish" -> the "Franks"; "franks" -> "Frankish"): one's root (four letters or more,
    the adjective's ending cut) begins the other, which adds at most ``DEMONYM_REST`` letters.
    (Looked up, not searched for: a corpus may have a hundred thousand names.)"""
    names = index.names
    ordered = index.memo.setdefault("names_in_order", {})
    if not ordered:
        ordered[None] = sorted(names)
    ordered = ordered[None]
    kin = []
    if (mine := _root(word)) is not None:  # an adjective: the names its root begins
        at = bisect.bisect_left(ordered, mine)
        while at < len(ordered) and ordered[at].startswith(mine):
            n = ordered[at]
            if n != word and len(n) - len(mine) <= DEMONYM_REST and _root(n) is None:
                kin.append(n)
            at += 1
    else:  # a name: the adjectives whose root begins it
        for cut in range(max(4, len(word) - DEMONYM_REST), len(word) + 1):
            kin += [n for ending in DEMONYM_ENDINGS if (n := word[:cut] + ending) in names and _root(n) == word[:cut]]
    return tuple(dict.fromkeys(analysis.stem(n) for n in sorted(kin)))


def _root(word: str) -> str | None:
    """An adjective's root, its ending cut ("frankish" -> "frank"), if four letters or more."""
    root = _DEMONYM.sub("", word)
    return root if root != word and len(root) >= 4 else None
