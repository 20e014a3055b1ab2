"""Check a claim against the sources: supported, conflicting or not found.

The claim is read as concepts (``retrieval.concepts``: words, names, phrases) and
facts (years, figures). Candidate source sentences are the most similar ones; each is
read with its passage, so that a sentence saying "He was replaced" is still about the
Peng Dehuai its passage names. Acronyms count for their phrase ("GLF" for "Great Leap
Forward").

- ``supported``: a sentence (with its passage) holds nearly all the claim's concepts
  and states every year and figure the claim states. Every source that does so is
  cited, so a teacher sees when several agree.
- ``conflicting``: a sentence is about the same thing (it holds most of the claim's
  other concepts) but states a different year or figure, or names someone else where
  the claim names a person; the citations show what the sources say.
- ``not_found``: nothing in the sources is close enough to judge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tutor import sentences
from tutor.answer import Citation
from tutor.index import Index
from tutor.kinds import NAME, figures_in
from tutor.query import Query
from tutor.retrieval import concept_coverage, concept_ids, concepts, rerank, scores

SUPPORT = 0.75  # share of the claim's concepts a sentence must hold to state it
RELATED = 0.55  # share of its other concepts a sentence must hold to be about the same thing
CANDIDATES = 15
PASSAGES = 10  # the claim's sentences are looked for in this many leading passages
MAX_CITATIONS = 3

_YEAR = re.compile(r"\b1[0-9]{3}\b|\b20[0-9]{2}\b")


@dataclass(frozen=True)
class Verdict:
    """The judgement on one claim, with the source sentences it rests on."""

    claim: str
    verdict: str  # "supported", "conflicting" or "not_found"
    citations: tuple[Citation, ...]
    message: str
    copied: bool = False  # the claim repeats a source sentence word for word


def _facts(text: str) -> tuple[set[str], set[str]]:
    """Years and figures stated in ``text``, normalised for comparison."""
    years = set(_YEAR.findall(text))
    figures = {re.sub(r"[\s,]", "", f.lower()).replace("percent", "%").replace("per cent", "%")
               for f in figures_in(text)}
    return years, figures


def _normalised(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def check(index: Index, claim: str, docs: set[int] | None = None) -> Verdict:
    """Judge one claim; see the module docstring."""
    claim = claim.strip()
    query = Query(claim, claim)
    cs = [c for c in concepts(index, query) if not all(s.replace(".", "").isdigit() for s in c.stems)]
    if not cs:
        return Verdict(claim, "not_found", (), "There is nothing in this to check against the sources.")
    claim_years, claim_figures = _facts(claim)
    qids = concept_ids(index, query, cs)
    names = [c for c in cs if c.name]
    others = [c for c in cs if not c.name] or cs
    p_scores, s_scores = scores(index, query, docs)
    passages = [h.passage for h in rerank(index, query, p_scores, PASSAGES)]
    s_scores.prepare(passages)
    offsets = index.passage_sentences
    supporting: list[int] = []
    conflict: tuple[int, str] | None = None
    quotable = index.a["sentence_quotable"]
    candidates = [j for p in passages for j in range(int(offsets[p]), int(offsets[p + 1]))
                  if quotable[j] and s_scores[j] > 0]  # headings and fragments are never quoted
    candidates.sort(key=lambda j: (-s_scores[j], j))
    for j in candidates[:CANDIDATES]:
        text = index.sentence_text(j)
        in_sentence = sentences.terms(index, j)
        in_context = in_sentence | index.terms_in_passages([int(index.a["sentence_passage"][j])], qids)[0]
        # Names may come from the passage ("He was replaced" under "Peng's Downfall").
        share, _ = concept_coverage(index, query, others, in_sentence)
        names_ok = all(concept_coverage(index, query, [c], in_context)[0] > 0 for c in names)
        full, _ = concept_coverage(index, query, cs, in_sentence | (in_context if names_ok else set()))
        years, figures = _facts(text)
        facts_ok = claim_years <= years and claim_figures <= figures
        if full >= SUPPORT and names_ok and facts_ok:
            if all(index.doc_of_passage(int(index.a["sentence_passage"][k])) !=
                   index.doc_of_passage(int(index.a["sentence_passage"][j])) for k in supporting):
                supporting.append(j)
            continue
        if conflict is None:
            if full >= RELATED and ((claim_years and years and not claim_years <= years) or
                                    (claim_figures and figures and not claim_figures <= figures)):
                conflict = (j, "a different date or figure")
            elif names and not names_ok and share >= SUPPORT and NAME.search(text):
                conflict = (j, "a different name")
    if supporting:
        cited = tuple(_cite(index, j, n) for n, j in enumerate(supporting[:MAX_CITATIONS], start=1))
        copied = any(_normalised(claim) in _normalised(c.quote) for c in cited)
        agree = f"{len(cited)} sources state this." if len(cited) > 1 else "A source states this."
        note = " The claim copies a source sentence word for word." if copied else ""
        return Verdict(claim, "supported", cited, agree + note, copied)
    if conflict is not None:
        j, what = conflict
        return Verdict(claim, "conflicting", (_cite(index, j, 1),),
                       f"The sources discuss this but give {what}: see what they say.")
    return Verdict(claim, "not_found", (), "No source states this.")


def _cite(index: Index, j: int, n: int) -> Citation:
    p = int(index.a["sentence_passage"][j])
    return Citation(n, index.sentence_text(j), index.doc_of_passage(p),
                    int(index.a["sentence_start"][j]), int(index.a["sentence_end"][j]), p, j)
