"""Text analysis: the word pattern, and the terms every index and question are made of."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from tutor import analysis

# What the word pattern was before its quantifiers were made possessive (for speed).
_BACKTRACKING_WORD = r"\w+(?:[’'](?:s|t|d|ll|re|ve|m)\b)?(?:[.,]\d+)*|%"


_WORD_PIECES = st.sampled_from(["a", "é", "s", "t", "ll", "ve", "1", "25", "'", "’", ".", ",", "%", " ", "-", "\n",
                                 "\x00", "_", "didn't", "Mao’s", "600,000", "5.35", "they'llx"])


@given(st.lists(_WORD_PIECES, max_size=30).map("".join))
def test_words_and_their_spans_are_what_the_plain_word_pattern_finds(text: str):
    """"didn't", "Mao’s", "600,000" and "5.35" stay one word, with or without NULs between
    sentences: the possessive pattern finds exactly what the backtracking one finds."""
    plain = re.compile(_BACKTRACKING_WORD)
    assert analysis.words(text) == plain.findall(text)
    assert analysis.tokens(text) == [(m.group(), m.start(), m.end()) for m in plain.finditer(text)]
    assert analysis.words_with_breaks(text) == re.findall("\x00|" + _BACKTRACKING_WORD, text)




def test_terms_are_content_stems_then_the_pairs_of_adjacent_ones():
    assert analysis.terms("The backyard furnaces smelted scrap iron") == [
        "backyard", "furnac", "smelt", "scrap", "iron",
        "backyard furnac", "furnac smelt", "smelt scrap", "scrap iron"]
    assert analysis.terms("Mao's people built 600,000 furnaces") == [
        "mao", "peopl", "build", "600000", "furnac", "mao peopl", "peopl build", "build 600000", "600000 furnac"]
    # "vs" is "versus", in a question as in the sources ("P vs NP", "the P versus NP problem").
    assert analysis.terms("P vs. NP") == analysis.terms("P versus NP")
