"""What describes a candidate quote: named features of one sentence for one question.

``candidates`` lists the quotable sentences of the leading passages with a row of
``NAMES`` each; ``tutor.answer`` ranks them with the model ``benchmarks/train.py``
fits (``tutor/data/ranker.json``), and the training script reads the same rows, so
what is learnt is what is used.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace

import numpy as np

from tutor import sentences
from tutor.index import Index
from tutor.kinds import holds, wants
from tutor.query import Query, subject_of
from tutor.retrieval import Hit, SentenceScores, concept_coverage, concepts, searched_terms

NEIGHBOUR_SHARE = 0.2  # how much concepts found only in the neighbouring sentences count
NAME_WEIGHT = 0.3  # a name's share in choosing the quote for a "who" question
WEAK_KINDS = ("reason", "definition")
NAMES = (
    "similarity",  # the sentence's cosine with the question, over the best sentence's
    "neighbours",  # its neighbours' cosines, a third each, over the best sentence's
    "coverage",  # share of the question's concepts (weighted by rarity) in the sentence
    "coverage_near",  # the same, its neighbours' words counting NEIGHBOUR_SHARE
    "passage",  # its passage's score over the best passage's
    "passage_rank",  # 1 / (1 + the passage's rank)
    "kind_strong",  # it holds the year, number, name, place, quote or event asked for
    "kind_weak",  # it holds a reason or definition marker asked for
    "kind_missing",  # the question asks for a kind the sentence does not hold
    "first_in_passage",  # the passage's first sentence
    "length",  # log of its length in characters
    "lead_in",  # it ends with ":"
    "word_share",  # share of the question's words (stems) in the sentence, each counted alike
    "pair_share",  # share of the question's word pairs in the sentence
    "similarity_raw",  # the sentence's cosine with the question
)
LABELS = {  # each feature as a student reads it under "Why this quote"
    "similarity": "similarity to the question", "neighbours": "its neighbours' similarity",
    "coverage": "the question's ideas it holds", "coverage_near": "the question's ideas it and its neighbours hold",
    "passage": "standing of its passage", "passage_rank": "rank of its passage",
    "kind_strong": "it gives the kind of answer asked for", "kind_weak": "it gives a reason or a definition",
    "kind_missing": "it lacks the kind of answer asked for", "first_in_passage": "first sentence of its passage",
    "length": "its length", "lead_in": "a lead-in ending in a colon", "word_share": "the question's words it holds",
    "pair_share": "the question's word pairs it holds", "similarity_raw": "its own cosine with the question",
}
_LEAD_IN = re.compile(r":\s*$")
_QUESTION_LINE = re.compile(r"\?[\s\"'”’)\]]*$")
# An exercise set for the reader ("Explain how ...", "To what extent ...") asks; it answers nothing.
_EXERCISE = re.compile(r"^\W*(?:Explain|Describe|Discuss|Assess|Evaluate|Outline|Analy[sz]e|Compare|To what extent)\b")
# A line about the text itself ("This section explores ...", "This page was written by ...") answers nothing either.
# (The verb says it is the text that speaks: "This article guaranteed ..." may be a treaty's.)
_ABOUT_THE_TEXT = re.compile(
    r"^\W*(?:This|The following) (?:section|chapter|article|essay|unit|page|guide|lesson|website|site),? "
    r"(?:explores|examines|discusses|describes|considers|covers|looks at|outlines|introduces|presents|sets out|will|"
    r"was written|was created|was last)\b", re.IGNORECASE)


def candidates(index: Index, query: Query, hits: list[Hit], s_scores: SentenceScores
               ) -> tuple[list[tuple[int, int]], np.ndarray]:
    """``([(sentence, passage)], X)``: the quotable sentences of ``hits`` and their features.

    A sentence is read with its neighbours ("He was stripped of his position" follows
    "Peng was denounced"); only a sentence that shares a term with the question counts.
    """
    kind = wants(query.searched)
    subject = subject_of(query.searched) if kind in ("definition", "event") else ""
    cs = concepts(index, query)
    if kind == "name" and any(not c.name and not c.frame for c in cs):
        # A "who" question's own names are its context, not its answer: "Who replaced
        # Peng Dehuai?" wants "replaced" (and a new name) more than "Peng Dehuai".
        cs = [replace(c, weight=c.weight * NAME_WEIGHT) if c.name else c for c in cs]
    offsets, quotable = index.passage_sentences, index.a["sentence_quotable"]
    s_scores.prepare([h.passage for h in hits])
    top_p = (hits[0].score if hits else 0.0) or 1.0
    top_s = max((float(s_scores[j]) for h in hits for j in range(int(offsets[h.passage]), int(offsets[h.passage + 1]))),
                default=0.0) or 1.0
    q_terms = [t for t in dict.fromkeys(searched_terms(query)) if t in index.term_ids]
    q_words = {index.term_ids[t] for t in q_terms if " " not in t}
    q_pairs = {index.term_ids[t] for t in q_terms if " " in t}
    rows, X = [], []
    for rank, h in enumerate(hits):
        a, b = int(offsets[h.passage]), int(offsets[h.passage + 1])
        for j in range(a, b):
            if not quotable[j] or s_scores[j] <= 0 or asks(index.sentence_text(j)):
                continue
            near = [i for i in (j - 1, j + 1) if a <= i < b]
            present = sentences.terms(index, j)
            cov_own, _ = concept_coverage(index, query, cs, present)
            shares = (len(q_words & present) / max(1, len(q_words)), len(q_pairs & present) / max(1, len(q_pairs)))
            for i in near:
                present |= sentences.terms(index, i)
            cov_near, _ = concept_coverage(index, query, cs, present)
            text = index.sentence_text(j)
            held = bool(kind) and holds(kind, text, subject, query.searched)
            rows.append((j, h.passage))
            X.append((float(s_scores[j]) / top_s, sum(float(s_scores[i]) for i in near) / 3 / top_s,
                      cov_own, (1 - NEIGHBOUR_SHARE) * cov_own + NEIGHBOUR_SHARE * cov_near,
                      h.score / top_p, 1 / (1 + rank), held and kind not in WEAK_KINDS,
                      held and kind in WEAK_KINDS, bool(kind) and not held, j == a,
                      math.log(1 + len(text)), bool(_LEAD_IN.search(text)),
                      *shares, float(s_scores[j])))
    return rows, np.array(X, dtype=float).reshape(len(X), len(NAMES))


def asks(text: str) -> bool:
    """A question in the text (an essay's title), an exercise ("Explain how ...") or a line about
    the text itself ("This section explores ..."): it answers nothing."""
    return bool(_QUESTION_LINE.search(text) or _EXERCISE.match(text) or _ABOUT_THE_TEXT.match(text))


QUESTION_NAMES = (
    "coverage",  # the best of the top passages' weighted share of the question's concepts
    "topic_coverage",  # the same for its topic concepts, frame words left out
    "matched",  # topic concepts that passage holds
    "together",  # the most topic concepts found in one sentence
    "unknown_share",  # weight share of the question's concepts the corpus has no word for (nor a synonym)
    "margin",  # log of the best passage's score over the fifth's
    "best_sentence",  # the best candidate sentence's own cosine
    "kind_found",  # the question asks for a kind and a candidate holds it
    "kind_asked",  # the question asks for a year, number, name, place, ...
    "together_share",  # "together" over the question's topic concepts, known or not
    "unknown",  # how many of the question's concepts the corpus does not know
    "rarest",  # the rarest of its topic concepts the best passages hold: its idf over the corpus's highest
    "unknown_names",  # how many of those are names ("BSkyB", "Sky+HD"): it asks about someone or something else
)


def question_row(ev, cs, unknown: list, X: np.ndarray, kind_asked: bool) -> np.ndarray:
    """Features of a whole question (for answering or declining), from ``answer.evidence``'s
    ``ev``, the question's concepts ``cs`` (``unknown``: those the corpus has no word for)
    and its candidates' rows ``X``."""
    total = sum(c.weight for c in cs) or 1.0
    col = {n: i for i, n in enumerate(NAMES)}
    best = X[int(np.argmax(X[:, col["similarity_raw"]]))] if len(X) else np.zeros(len(NAMES))
    found = bool(len(X)) and bool((X[:, col["kind_strong"]] + X[:, col["kind_weak"]]).max() > 0)
    return np.array([ev.coverage, ev.topic_coverage, ev.matched, ev.together,
                     sum(c.weight for c in unknown) / total, math.log(max(ev.margin, 1e-9)),
                     best[col["similarity_raw"]], found, kind_asked,
                     ev.together / max(1, sum(not c.frame for c in cs)), len(unknown), ev.rarest,
                     sum(c.name and not c.frame for c in unknown)], dtype=float)
