"""rank's pruned search gives exactly what scoring every passage gives."""

from __future__ import annotations

import random
import numpy as np
import pytest
import scipy.sparse as sp

from tutor import index as idx
from tutor import retrieval
from tutor.query import understand
from tutor.retrieval import RERANK, leaders, query_vector, rank, rerank, scores, top_k


@pytest.fixture(scope="module")
def zipf_index(tmp_path_factory) -> idx.Index:
    """A few hundred passages of made-up words, a few of them in nearly every passage
    (as in the scale benchmark's corpora), so that pruning has common columns to skip."""
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
    index = idx.build(corpus)
    index.queries = [" ".join(rng.choices(vocab[:400], k=rng.randint(1, 7))) for _ in range(150)]
    index.queries += [" ".join(rng.sample(vocab[:8], 3)), vocab[0], f"{vocab[0]} {vocab[1]} {vocab[0]}", "zzzz qqqq"]
    return index


def _dense(index, query, k):
    p, _ = scores(index, query)
    return rerank(index, query, p, k), p


@pytest.mark.parametrize("settings", [
    {},
    {"PRUNE_POSTINGS": 0, "COMMON": 4, "SEARCH_RATIO": 0},
    {"PRUNE_POSTINGS": 0, "COMMON": 8, "SEARCH_RATIO": 0},
    {"PRUNE_POSTINGS": 0, "COMMON": 8, "SEARCH_RATIO": 0, "_csc_matvec": None},
    {"PRUNE_POSTINGS": 0, "COMMON": 8, "SEARCH_RATIO": 0, "FOLD": 8},  # the fold, which needs FOLD * 8 passages, on this small index
    {"PRUNE_POSTINGS": 0, "COMMON": 4, "SEARCH_RATIO": 1},  # too many candidates to search for: pruning gives up
    {"PRUNE_POSTINGS": 0, "COMMON": 4, "SEARCH_RATIO": 1, "PRUNE_SAMPLE": 2},  # ... or on what a sample of its longest column shows
    {"dense": 0.05},  # the commonest columns added as dense rows
    {"dense": 0.05, "PRUNE_POSTINGS": 0, "COMMON": 4, "SEARCH_RATIO": 0},  # ... and pruning weighing their cost
    {"dense": 0.05, "PRUNE_POSTINGS": 0, "COMMON": 4, "SEARCH_RATIO": 1},  # ... or giving up
])
def test_rank_equals_ranking_every_passage(zipf_index, monkeypatch, settings):
    settings = dict(settings)
    share = settings.pop("dense", None)
    # (an index of a few hundred passages holds no dense column unless asked to)
    monkeypatch.setattr(zipf_index, "dense", {} if share is None else idx.dense_columns(zipf_index.P, zipf_index.df, share))
    for name, value in settings.items():
        monkeypatch.setattr(retrieval, name, value)
    tried = pruned = dense_adds = 0
    real_add = retrieval._Columns.add

    def counting_add(self, acc, j):
        nonlocal dense_adds
        dense_adds += self.dense[j] is not None
        return real_add(self, acc, j)

    monkeypatch.setattr(retrieval._Columns, "add", counting_add)
    real_prune = retrieval._prune

    def counting_prune(*args):
        nonlocal tried, pruned
        cand = real_prune(*args)
        tried += 1
        pruned += cand is not None
        return cand

    monkeypatch.setattr(retrieval, "_prune", counting_prune)
    for text in zipf_index.queries:
        query = understand(zipf_index, text)
        for k in (1, 5, 30):
            hits, p = _dense(zipf_index, query, k)
            assert rank(zipf_index, query, k) == hits, (text, k)
            lead, values = leaders(zipf_index, query_vector(zipf_index, query), max(k, RERANK))
            expected = top_k(p, max(k, RERANK))
            np.testing.assert_array_equal(lead, expected)
            assert values.tobytes() == p[expected].tobytes()  # bit for bit
        acc, *_ = retrieval._buffers(zipf_index.n_passages)
        assert not acc.any()  # the scratch accumulator is left clean
    if "COMMON" in settings:
        assert tried > 20
    if settings.get("SEARCH_RATIO") == 0:
        assert pruned > 20  # the pruned path was taken, not only the whole product
    assert (dense_adds > 100) == (share is not None)


def test_dense_columns_hold_the_common_columns_weights():
    rng = np.random.default_rng(2)
    weights = rng.random((300, 40), dtype=np.float32) + np.float32(0.5)
    weights[rng.random((300, 40)) > np.linspace(0.05, 0.6, 40)] = 0.0  # columns from rare to common
    weights[:, 3] += np.float32(1.0)  # in every row
    P = sp.csc_matrix(weights)
    df = np.diff(P.indptr)
    dense = idx.dense_columns(P, df, 0.25)
    assert sorted(dense) == np.flatnonzero((weights > 0).sum(axis=0) > 75).tolist()
    assert 3 in dense and 0 not in dense and len(dense) > 5
    for c, row in dense.items():
        assert row.dtype == np.float32
        assert row.tobytes() == weights[:, c].tobytes()  # 0.0 where the term is absent
    assert idx.dense_columns(P, df, 0.25, min_rows=301) == {}  # a small index holds none
    assert idx.dense_columns(P, df, 1.0) == {}


def test_rank_with_a_document_filter_ranks_only_those_documents(zipf_index):
    query = understand(zipf_index, zipf_index.queries[0])
    p, _ = scores(zipf_index, query, {0, 1})
    hits = rank(zipf_index, query, 5, docs={0, 1})
    assert hits == rerank(zipf_index, query, p, 5)
    assert {zipf_index.doc_of_passage(h.passage) for h in hits} <= {0, 1}


@pytest.mark.parametrize("fold", [8, 128])
def test_top_k_equals_sorting_every_value(monkeypatch, fold):
    monkeypatch.setattr(retrieval, "FOLD", fold)
    rng = np.random.default_rng(5)
    for trial in range(300):
        n = int(rng.choice([0, 3, 200, 1100, 5000]))
        values = np.zeros(n, dtype=np.float32 if trial % 3 else np.float64)
        held = rng.choice(n, int(rng.integers(0, n + 1)), replace=False)
        # few distinct values in some trials, so that many are tied with the k-th
        values[held] = rng.integers(1, 4, len(held)) if trial % 2 else rng.random(len(held))
        k = int(rng.choice([0, 1, 5, 20, 400]))
        expected = sorted(np.flatnonzero(values > 0).tolist(), key=lambda i: (-values[i], i))[:k]
        assert top_k(values, k).tolist() == expected
        if 0 < k <= len(expected):  # a floor the caller knows: the k-th value, or below it
            assert top_k(values, k, float(values[expected[-1]])).tolist() == expected
            assert top_k(values, k, float(values[expected[-1]]) / 2).tolist() == expected
