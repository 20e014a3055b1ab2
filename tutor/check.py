"""Check a claim against the sources: supported, conflicting or not found.

- ``supported``: one source sentence holds most of the claim's meaning (idf-weighted
  content words) and every figure, year and name the claim states.
- ``conflicting``: a source sentence is about the same thing (it holds most of the
  claim's other words) but states a different figure, year or name; the citations
  show what the sources say.
- ``not_found``: nothing in the sources is close enough to judge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tutor import analysis
from tutor.answer import Citation
from tutor.kinds import numbers_in
from tutor.index import Index
from tutor.query import Query
from tutor.retrieval import scores, top_k

SUPPORT = 0.7  # share of the claim's meaning a sentence must state to support it
RELATED = 0.5  # share it must hold to be about the same thing
CANDIDATES = 12

_YEAR = re.compile(r"\b1[0-9]{3}\b|\b20[0-9]{2}\b")
_CAPITALISED = re.compile(r"\b[A-Z][a-z]+\b")


@dataclass(frozen=True)
class Verdict:
    """The judgement on one claim, with the source sentences it rests on."""

    claim: str
    verdict: str  # "supported", "conflicting" or "not_found"
    citations: tuple[Citation, ...]
    message: str
    copied: bool = False  # the claim repeats a source sentence word for word


def _facts(text: str) -> tuple[set[str], set[str], set[str]]:
    """Years, other figures and names stated in ``text``, normalised for comparison."""
    years = set(_YEAR.findall(text))
    figures = {re.sub(r"[\s,]", "", n.lower()) for n in numbers_in(text)}
    words = analysis.tokens(text)
    names = {w.lower() for i, (w, a, _) in enumerate(words)
             if i > 0 and _CAPITALISED.fullmatch(w) and w.lower() not in analysis.STOP_WORDS}
    return years, figures, names


def _weighted_share(index: Index, claim_stems: set[str], sentence_stems: set[str]) -> float:
    ids, idf = index.term_ids, index.idf
    top = float(idf.max()) + 1.0
    weights = {s: (float(idf[ids[s]]) if s in ids else top) for s in claim_stems}
    total = sum(weights.values())
    return sum(w for s, w in weights.items() if s in sentence_stems) / total if total else 0.0


def check(index: Index, claim: str, docs: set[int] | None = None) -> Verdict:
    """Judge one claim; see the module docstring."""
    claim = claim.strip()
    claim_years, claim_figures, claim_names = _facts(claim)
    number_stems = {analysis.stem(n) for n in re.findall(r"\d[\d,]*", claim)}
    claim_stems = {s for s in analysis.stems(claim) if not any(ch.isdigit() for ch in s)}
    if not claim_stems:
        return Verdict(claim, "not_found", (), "There is nothing in this to check against the sources.")
    _, s_scores = scores(index, Query(claim, claim), docs)
    best_related: tuple[float, int] | None = None
    for j in top_k(s_scores, CANDIDATES):
        j = int(j)
        text = index.sentence_text(j)
        share = _weighted_share(index, claim_stems, set(analysis.stems(text)) - number_stems)
        years, figures, names = _facts(text)
        missing_facts = (claim_years - years) or (claim_figures - figures)
        if share >= SUPPORT and not missing_facts and claim_names <= names | _passage_names(index, j):
            copied = " ".join(claim.lower().split()) in " ".join(text.lower().split())
            msg = "A source states this." + (" The claim copies a source sentence word for word." if copied else "")
            return Verdict(claim, "supported", (_cite(index, j, 1),), msg, copied)
        if share >= RELATED and best_related is None:
            differs = (claim_years and years and claim_years != years) or \
                      (claim_figures and figures and not claim_figures <= figures)
            if differs:
                best_related = (share, j)
    if best_related is not None:
        j = best_related[1]
        return Verdict(claim, "conflicting", (_cite(index, j, 1),),
                       "The sources discuss this but state a different figure or date: see what they say.")
    return Verdict(claim, "not_found", (), "No source states this.")


def _passage_names(index: Index, j: int) -> set[str]:
    p = int(index.a["sentence_passage"][j])
    return _facts(index.passage_text(p))[2]


def _cite(index: Index, j: int, n: int) -> Citation:
    p = int(index.a["sentence_passage"][j])
    return Citation(n, index.sentence_text(j), index.doc_of_passage(p),
                    int(index.a["sentence_start"][j]), int(index.a["sentence_end"][j]), p, j)
