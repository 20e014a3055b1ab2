"""Checking a teacher's claims against the sources."""

from __future__ import annotations

import pytest

from tutor.check import check


@pytest.mark.parametrize("claim, verdict, quoted", [
    ("James Hargreaves invented the spinning jenny in 1764.", "supported", "1764"),
    ("The spinning jenny was invented in 1780.", "conflicting", "1764"),
    ("By 1800 around 900 Watt engines were at work.", "conflicting", "500"),
    ("George Stephenson was the chief engineer of the Liverpool and Manchester Railway.", "supported", "Stephenson"),
    ("Isambard Brunel was the chief engineer of the Liverpool and Manchester Railway.", "conflicting", "Stephenson"),
    ("Volcanoes erupt when magma rises.", "not_found", None),
])
def test_verdicts(fixture_index, claim, verdict, quoted):
    v = check(fixture_index, claim)
    assert v.verdict == verdict, (claim, v)
    if quoted:
        assert quoted in v.citations[0].quote
        c = v.citations[0]
        assert fixture_index.doc_text(c.doc)[c.start:c.end] == c.quote
    else:
        assert not v.citations


def test_a_claim_copied_word_for_word_is_flagged(fixture_index):
    v = check(fixture_index, "The Liverpool and Manchester Railway opened in 1830.")
    assert v.verdict == "supported" and v.copied
    assert not check(fixture_index, "In 1830 the railway from Liverpool to Manchester opened.").copied


def test_several_sources_stating_a_claim_are_all_cited(fixture_index):
    v = check(fixture_index, "The railway between Liverpool and Manchester opened in 1830.")
    assert v.verdict == "supported" and len({c.doc for c in v.citations}) == 2
