"""The product's retrieval path against plain references: ``scores`` against the ranking
formula worked out densely, ``top_k`` against a stable sort, ``rerank`` against
re-scoring every leader."""

from __future__ import annotations

import math
import random
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tutor import analysis, build, sentences
from tutor import index as idx
from tutor.query import HISTORY_WEIGHT, RELATED_WEIGHT, SYNONYM_WEIGHT, Query, understand
from tutor.retrieval import (COORDINATION, FRAME_QUERY_WEIGHT, RERANK, concept_coverage, concept_ids, concepts,
                             rerank, scores, top_k)


@pytest.fixture(scope="module")
def zipf_index(tmp_path_factory) -> idx.Index:
    """A few hundred passages of made-up words, a few of them in nearly every passage
    (as in the scale benchmark's corpora), so that many passages tie or nearly tie."""
    rng = random.Random(3)
    syllables = ["ka", "lo", "mi", "ru", "te", "vo", "shi", "nu", "pa", "zei", "dou", "ba"]
    vocab = sorted({"".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(1500)})
    weights = [1 / (r + 1) ** 1.1 for r in range(len(vocab))]
    corpus = tmp_path_factory.mktemp("zipf") / "corpus"
    corpus.mkdir()
    for d in range(40):
        paragraphs = []
        for _ in range(12):
            sentences = [" ".join(rng.choices(vocab, weights, k=rng.randint(6, 14))).capitalize() + "."
                         for _ in range(rng.randint(3, 6))]
            paragraphs.append(" ".join(sentences))
        (corpus / f"doc{d:02d}.txt").write_text(f"Document {d}\n\n" + "\n\n".join(paragraphs), encoding="utf-8")
    index = build.build(corpus)
    index.queries = [" ".join(rng.choices(vocab[:400], k=rng.randint(1, 7))) for _ in range(150)]
    index.queries += [" ".join(rng.sample(vocab[:8], 3)), vocab[0], f"{vocab[0]} {vocab[1]} {vocab[0]}", "zzzz qqqq"]
    return index


# -- scores: the formula in index.py, worked out densely ---------------------------------------

def _reference_passages(index) -> tuple[np.ndarray, dict[str, int], dict[str, float]]:
    """The passages x terms matrix of the formula in ``index.py``, from the passages'
    text: a passage's terms are its sentences' ``analysis.terms`` (no word pair spans
    two sentences); w = (1 + ln tf) idf, idf = ln((1 + N) / (1 + df)) + 1, each row
    divided by its pivot (1 - s) mean|w| + s |w|."""
    n = index.n_passages
    starts = index.passage_sentences
    counts = [Counter(t for j in range(starts[i], starts[i + 1]) for t in analysis.terms(index.sentence_text(j)))
              for i in range(n)]
    df = Counter(t for c in counts for t in c)
    column = {t: j for j, t in enumerate(sorted(df))}
    idf = {t: math.log((1 + n) / (1 + df[t])) + 1 for t in df}
    W = np.zeros((n, len(column)))
    for i, c in enumerate(counts):
        for t, tf in c.items():
            W[i, column[t]] = (1 + math.log(tf)) * idf[t]
    norms = np.linalg.norm(W, axis=1)
    s = build.PIVOT_SLOPE
    W /= ((1 - s) * norms.mean() + s * norms)[:, None]
    return W, column, idf


def _reference_query(query: Query, column: dict[str, int], idf: dict[str, float]) -> np.ndarray:
    """The query's vector: its words (a frame word at ``FRAME_QUERY_WEIGHT``), then the
    borrowed ones at theirs; (1 + ln tf) idf for a total above 1; unit length."""
    tf: Counter = Counter()
    for t in analysis.terms(query.searched):
        tf[t] += FRAME_QUERY_WEIGHT if " " not in t and t in analysis.FRAME_STEMS else 1.0
    for t in query.extra:
        tf[t] += HISTORY_WEIGHT
    for t in query.related:
        tf[t] += RELATED_WEIGHT
    for _, t in query.synonyms:
        tf[t] += SYNONYM_WEIGHT
    q = np.zeros(len(column))
    for t, f in tf.items():
        if t in column:
            q[column[t]] = (1 + math.log(f) if f > 1 else f) * idf[t]
    norm = np.linalg.norm(q)
    return q / norm if norm else q


REFERENCE_QUERIES = [
    Query("What did James Watt add to the steam engine?", "What did James Watt add to the steam engine?"),
    Query("steam steam steam engine", "steam steam steam engine"),  # a repeated word: sublinear tf
    Query("effects of the railways", "effects of the railways"),  # a frame word at half weight
    Query("how did it spread", "how did it spread", followup=True, extra=("railway", "citi")),
    Query("urban factories", "urban factories", related=("factori",), synonyms=(("urban", "citi"),)),
    Query("photosynthesis", "photosynthesis"),  # no word the corpus has
]


@pytest.mark.parametrize("query", REFERENCE_QUERIES, ids=lambda q: q.searched)
def test_scores_equal_the_formula_worked_out_densely(fixture_index, query):
    W, column, idf = _reference_passages(fixture_index)
    assert sorted(column) == sorted(fixture_index.vocabulary)  # the reference reads the same terms
    expected = W @ _reference_query(query, column, idf)
    p, _ = scores(fixture_index, query)
    assert p.dtype == np.float32 and p.shape == (fixture_index.n_passages,)
    np.testing.assert_allclose(p, expected, rtol=1e-5, atol=1e-7)
    if query.searched != "photosynthesis":
        assert (p > 0).sum() >= 2  # a check that could fail: the query finds passages


def test_scores_with_a_document_filter_zero_every_other_passage(fixture_index):
    query = REFERENCE_QUERIES[0]
    p, _ = scores(fixture_index, query)
    kept, _ = scores(fixture_index, query, {0})
    in_doc = fixture_index.a["passage_doc"] == 0
    assert in_doc.any() and not in_doc.all()
    np.testing.assert_array_equal(kept, np.where(in_doc, p, 0))


def test_sentence_scores_are_the_sentences_own_cosines(fixture_index):
    """A sentence scores as its own row of the sentences' matrix times the query vector,
    whether its passage was prepared or not."""
    query = REFERENCE_QUERIES[0]
    p, s = scores(fixture_index, query)
    best = int(top_k(p, 1)[0])
    s.prepare([best])
    first, end = fixture_index.passage_sentences[best], fixture_index.passage_sentences[best + 1]
    ids, weights = s.q.indices, s.q.data
    for j in range(first, end):
        row = sentences.rows(fixture_index, [j]).toarray().ravel()
        assert s[j] == pytest.approx(float(row[ids] @ weights), rel=1e-5)
    assert max(s[j] for j in range(first, end)) > 0
    other = int(fixture_index.passage_sentences[(best + 1) % fixture_index.n_passages])
    assert s[other] == pytest.approx(float(sentences.rows(fixture_index, [other]).toarray().ravel()[ids] @ weights))


# -- top_k: a stable sort --------------------------------------------------------------------------

def _sorted_reference(values: np.ndarray, k: int) -> list[int]:
    return sorted(np.flatnonzero(values > 0).tolist(), key=lambda i: (-values[i], i))[:max(k, 0)]


@settings(max_examples=500, deadline=None)
@given(hnp.arrays(st.sampled_from([np.float32, np.float64]), st.integers(0, 300),
                  elements=st.one_of(st.sampled_from([0.0, -1.0, 0.5, 1.0, 2.0]),  # many ties with the k-th
                                     st.floats(-2, 2, width=32))),
       st.integers(-1, 320))
def test_top_k_equals_a_stable_sort(values, k):
    got = top_k(values, k)
    assert got.dtype == np.int64
    assert got.tolist() == _sorted_reference(values, k)


def test_top_k_equals_a_stable_sort_on_long_arrays():
    rng = np.random.default_rng(5)
    for trial in range(60):
        n = int(rng.choice([1100, 5000, 70_000]))
        values = np.zeros(n, dtype=np.float32 if trial % 3 else np.float64)
        held = rng.choice(n, int(rng.integers(0, n + 1)), replace=False)
        # few distinct values in some trials, so that many are tied with the k-th
        values[held] = rng.integers(1, 4, len(held)) if trial % 2 else rng.random(len(held))
        k = int(rng.choice([1, 5, 20, 400]))
        assert top_k(values, k).tolist() == _sorted_reference(values, k)


# -- rerank: every leader re-scored ----------------------------------------------------------------

def _reference_rerank(index, query, p, k):
    """Every one of the ``max(k, RERANK)`` leaders re-scored by its concept coverage, then sorted."""
    lead = _sorted_reference(p, max(k, RERANK))
    cs = concepts(index, query)
    present = index.terms_in_passages(lead, concept_ids(index, query, cs))
    value = {i: float(p[i]) * (1 - COORDINATION + COORDINATION * concept_coverage(index, query, cs, held)[0])
             for i, held in zip(lead, present)}
    return [(i, v) for i, v in sorted(value.items(), key=lambda x: (-x[1], x[0])) if v > 0][:k]


def test_rerank_equals_rescoring_every_leader(zipf_index):
    moved = 0
    for text in zipf_index.queries:
        query = understand(zipf_index, text)
        p, _ = scores(zipf_index, query)
        for k in (1, 5, 30):
            hits = rerank(zipf_index, query, p, k)
            assert [(h.passage, h.score) for h in hits] == _reference_rerank(zipf_index, query, p, k), (text, k)
            moved += [h.passage for h in hits] != top_k(p, k).tolist()
    assert moved > 20  # coverage re-orders the leaders, not only keeps them


def test_rerank_with_a_document_filter_ranks_only_those_documents(zipf_index):
    query = understand(zipf_index, zipf_index.queries[0])
    p, _ = scores(zipf_index, query, {0, 1})
    hits = rerank(zipf_index, query, p, 5)
    assert hits and {zipf_index.doc_of_passage(h.passage) for h in hits} <= {0, 1}
    everywhere, _ = scores(zipf_index, query)
    assert {zipf_index.doc_of_passage(h.passage) for h in rerank(zipf_index, query, everywhere, 5)} - {0, 1}
