"""Page furniture pasted with a document is never quoted."""

from __future__ import annotations

from pathlib import Path

from tutor.answer import answer
from tutor.cleaning import BODY, HEADING, JUNK, classify
from tutor.store import ensure_index

PAGE = """Home > Articles > Canals

Share this article

The Bridgewater Canal opened in 1761 to carry coal from the Duke's mines at Worsley to Manchester. The price of coal in Manchester fell by half once barges replaced packhorses.

canal history
A photograph of a narrowboat on the Bridgewater Canal
canal history

Canal building spread quickly, and by 1830 Britain had about 4,000 miles of navigable waterways carrying coal, iron and pottery.

Related articles

Copyright © 2024 Canal Heritage Online. All rights reserved. Terms of use.
Cite this page: Canal Heritage Online, "Canals", https://example.org/canals, accessed today.
Advertisement: Buy coal-fired barbecue sets today, free delivery on coal orders!
"""


def kinds(text: str) -> dict[str, str]:
    return {text[ln.start:ln.end].strip(): ln.kind for ln in classify(text) if ln.kind != "blank"}


def test_furniture_lines_are_junk_and_prose_is_body():
    k = kinds(PAGE)
    assert k["Home > Articles > Canals"] == JUNK
    assert k["Share this article"] == JUNK
    assert k["canal history"] == JUNK
    assert k["A photograph of a narrowboat on the Bridgewater Canal"] == JUNK
    assert k["Related articles"] == JUNK
    assert all(v == JUNK for line, v in k.items() if line.startswith(("Copyright", "Cite", "Advertisement")))
    assert sum(v == BODY for v in k.values()) == 2


def test_headings_are_kept_but_not_junk():
    k = kinds("Steam Power\n\nJames Watt improved the engine in 1776 and it used less coal than before.\n")
    assert k["Steam Power"] == HEADING


def test_a_copyright_line_early_in_a_document_does_not_swallow_it():
    text = "Copyright law shaped early printing. " + "Printers argued about it for decades. " * 40
    assert all(ln.kind != JUNK for ln in classify(text))


def test_junk_is_never_quoted_or_listed(tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "canals.txt").write_text(PAGE, encoding="utf-8")
    index, _ = ensure_index(corpus, tmp_path / "index")
    junk = [ln for ln in classify(PAGE) if ln.kind == JUNK]
    for question in ["Where can I buy coal barbecue sets with free delivery?", "Who holds the copyright?",
                     "What does the photograph of the narrowboat show?", "How did coal reach Manchester?",
                     "How many miles of canals did Britain have?"]:
        ans = answer(index, question, k=10)
        spans = [(c.start, c.end) for c in ans.citations] + [
            (int(index.a["passage_start"][h.passage]), int(index.a["passage_end"][h.passage])) for h in ans.hits]
        for a, b in spans:
            assert not any(a < ln.end and ln.start < b for ln in junk), (question, PAGE[a:b])
    quote = answer(index, "How did coal reach Manchester?").citations[0].quote
    assert quote in PAGE.split("\n\n")[2]  # the paragraph about the Bridgewater Canal


def test_the_shipped_pages_lose_their_captions_and_footers():
    root = Path(__file__).resolve().parent.parent / "corpus"
    alpha = (root / "alpha-history-great-leap-forward.txt").read_text(encoding="utf-8")
    k = kinds(alpha)
    captions = [line for line in k if line.startswith(("A 1958 picture", "A propaganda poster", "Backyard furnaces in operation"))]
    assert captions and all(k[c] == JUNK for c in captions)
    assert all(v == JUNK for line, v in k.items() if line.startswith(("©", "This page was written", "Rebecca Cairns,")))
    enc = (root / "encyclopedia-great-leap-forward.txt").read_text(encoding="utf-8")
    k = kinds(enc)
    assert all(v == JUNK for line, v in k.items()
               if line.startswith(("Search over one million", "Wheatley Heights", "This page was created", "Encyclopedia >")))
    assert k["Mao Zedong admitted some guilt for the famines but blamed most of it on bad weather. Meanwhile, schools taught the children that the Great Leap Forward had been a success, and their parents dared not tell them otherwise."] == BODY


def test_the_folded_footer_search_is_the_case_insensitive_one():
    """``has_footer_cue`` folds case with a table; it must agree with re's IGNORECASE."""
    import re
    import sys

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from tutor.cleaning import _FOLD, _FOOTER_CUE, has_footer_cue
    every = "".join(map(chr, range(sys.maxunicode + 1)))
    for letter in {c for c in _FOOTER_CUE.pattern if c.isascii() and c.isalpha()}:
        folded_to_it = {chr(k) for k, v in _FOLD.items() if v in (letter, ord(letter))} | {letter}
        assert set(re.findall(letter, every, re.IGNORECASE)) == folded_to_it, letter

    cues = st.sampled_from(["©", "(C) 2020", "(c)\n1999", "COPYRIGHT", "Copyright", "all rights reſerved", "Terms of Use",
                            "terms of service", "Privacy Policy", "LICENSED UNDER", "licenced under", "available under the terms",
                            "Creative Commons", "may not be republished", "Cookies we use", "cookie: accept", "Disclaimer",
                            "disclaimers", "K", "İ", "ı", "copy right", "rights"])
    texts = st.lists(st.one_of(cues, st.text(max_size=12)), max_size=8).map(" ".join)

    @settings(max_examples=500)
    @given(texts)
    def agree(text):
        assert has_footer_cue(text) == bool(_FOOTER_CUE.search(text))
    agree()


def test_a_label_under_a_repeated_furniture_line_is_a_caption_whatever_the_line_s_length():
    """Repeated furniture marks what follows it as a caption; a long line is compared too
    (in any case and spacing), and a line seen once marks nothing."""
    banner = "Subscribe to our weekly newsletter for more stories about the history of canals"
    body = "The Bridgewater Canal opened in 1761 to carry coal from Worsley to Manchester."
    shared = frozenset({" ".join(banner.lower().split())})
    twice = f"{body}\n{banner}\nLock gates at Worsley\n\n{body}\n{banner.upper().replace(' ', '  ')}\n\n{body}"
    once = f"{body}\n{banner}\nLock gates at Worsley\n\n{body}"
    assert classify(twice, shared)[2].kind == JUNK
    assert classify(once, shared)[2].kind == HEADING


def test_a_texts_lines_are_normalised_alike_whether_at_once_or_one_by_one():
    """Pass 1 normalises a document's lines at once, taking a shortcut for single-spaced
    ASCII text: the same lines as normalising each, in any text (spaces doubled, at a
    line's ends, tabs, other white space, capitals, non-ASCII letters)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from tutor.cleaning import normalised_line, normalised_lines
    pieces = st.sampled_from(["Mao", "wheat", "I", "ß", "É", " ", "  ", "\n", "\n\n", "\t", "\x0b", "\x0c", "\x1c", "\x1f",
                              "\xa0", "\u2028", "\u3000", ".", "1958"])

    @settings(max_examples=500)
    @given(st.lists(pieces, max_size=25).map("".join))
    def agree(text):
        assert normalised_lines(text) == [normalised_line(s) for s in text.split("\n")]
    agree()
    assert normalised_lines("Grain  quotas\nrose.") == ["grain quotas", "rose."]
