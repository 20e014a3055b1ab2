"""The loaded index: term lookup, a query's and a sentence's weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tutor import build, sentences, store
from tutor import index as idx


def test_a_word_pairs_key_depends_on_its_stems_and_their_order():
    """A pair's key is made from its stems' (so the build hashes a million pairs as numbers):
    each order of two stems, and each stem alone, has a key of its own."""
    keys = {idx.term_hash(t) for t in ("great leap", "leap great", "great", "leap", "great great", "leap leap")}
    assert len(keys) == 6


@given(st.lists(st.tuples(st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1)), min_size=1, max_size=50))
def test_a_questions_pair_is_hashed_as_the_build_hashes_pairs(pairs):
    """A question's pair is mixed one at a time in Python's integers, the build's a million
    at once in numpy's: the two must agree on every key, or the pair's column is not found."""
    first = np.array([a for a, _ in pairs], dtype=np.uint64)
    second = np.array([b for _, b in pairs], dtype=np.uint64)
    assert idx.pair_hashes(first, second).tolist() == [idx._pair_hash(a, b) for a, b in pairs]


@pytest.mark.parametrize("prune", [False, True])
def test_a_sentences_weights_are_made_from_its_text_as_the_build_would_weigh_it(corpus_dir: Path, monkeypatch,
                                                                                prune: bool):
    """The index stores sentences' lengths, not their weights: a question's leading
    sentences are weighed from their text. Each weight is (1 + ln tf) * idf over the
    pivoted length, and the stored length counts every term of the sentence, those a
    large index drops too (word pairs found in one passage, here when ``prune``)."""
    from collections import Counter

    from tutor import analysis
    if prune:
        monkeypatch.setattr(build, "BIGRAM_PRUNE_PASSAGES", 0)
    index = build.build(corpus_dir)
    n = index.n_passages
    mean = float(np.mean(index.a["S_norm"]))
    dropped = 0
    for j in range(index.n_sentences):
        counts = Counter(analysis.terms(index.sentence_text(j)))
        # A term the index lacks is a word pair in one passage: idf of a document frequency of 1.
        idf = {t: float(index.idf[c]) if (c := index.term_ids.get(t)) is not None else np.log((n + 1) / 2) + 1
               for t in counts}
        w = {t: (1 + np.log(tf)) * idf[t] for t, tf in counts.items()}
        norm = float(np.sqrt(sum(x * x for x in w.values())))
        assert index.a["S_norm"][j] == pytest.approx(norm, rel=1e-5)
        pivot = 0.3 * mean + 0.7 * norm
        kept = {index.term_ids[t]: w[t] / pivot for t in counts if t in index.term_ids}
        dropped += len(counts) - len(kept)
        row = sentences.rows(index, [j])
        assert row.shape == (1, index.n_terms) and row.indices.tolist() == sorted(kept)
        np.testing.assert_allclose(row.data, [kept[c] for c in sorted(kept)], rtol=1e-5)
        assert sentences.terms(index, j) == set(kept)
    assert (dropped > 0) == prune
    # Rows asked for together are the same rows, in the order asked for.
    rows = [5, 2, 5]
    together = sentences.rows(index, rows)
    for i, j in enumerate(rows):
        np.testing.assert_array_equal(together[i].toarray(), sentences.rows(index, [j]).toarray())


def test_a_questions_terms_are_found_together_as_one_at_a_time(corpus_dir: Path, tmp_path: Path):
    """``TermIds.columns`` (a question's new terms searched for at once) gives each term's
    column, or -1 for a term the corpus lacks, as ``get`` does one term at a time."""
    store.save(build.build(corpus_dir), tmp_path / "index")
    index = store.load(tmp_path / "index", corpus_dir)
    vocabulary = index.vocabulary
    terms = vocabulary[::7] + ["photosynthesi", "rocket rocket", ""] + vocabulary[3::11]
    expected = [vocabulary.index(t) if t in vocabulary else -1 for t in terms]
    fresh = idx.TermIds(index.a["vocab_hash"])
    assert fresh.columns(terms) == expected
    assert fresh.columns(terms[::-1]) == expected[::-1]  # remembered now
    assert [idx.TermIds(index.a["vocab_hash"]).get(t, -1) for t in terms] == expected
    assert idx.TermIds(np.zeros(0, dtype=np.uint64)).columns(["rocket", "steam"]) == [-1, -1]


def test_a_query_vector_is_weighted_as_passages_are(fixture_index):
    """Sublinear tf (a borrowed word's fraction scales it), idf, unit length; terms the
    corpus lacks dropped."""
    counts = {"rocket": 3.0, "steam": 1.5, "mill": 1.0, "locomot": 0.5, "photosynthesi": 2.0, "watt": 0.0}
    ids, weights = fixture_index.weigh(counts)
    kept = [t for t in counts if counts[t] > 0 and t in fixture_index.term_ids]
    assert ids.tolist() == [fixture_index.term_ids[t] for t in kept] and len(kept) == 4
    tf = np.array([counts[t] for t in kept])
    expected = np.where(tf > 1, 1 + np.log(tf), tf) * fixture_index.idf[ids]
    np.testing.assert_allclose(weights, expected / np.linalg.norm(expected), rtol=1e-12)
    assert fixture_index.weigh({"photosynthesi": 1.0})[0].size == 0
