"""Building an index: the analyzer's terms, scikit-learn's weights, the same index in
worker processes or not."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer

from tutor import analysis, build, sentences
from tutor.index import pivot_scale


def _passage_terms(index, i: int) -> list[str]:
    """A passage's terms: its sentences' (a word pair never spans two sentences)."""
    a, b = index.passage_sentences[i], index.passage_sentences[i + 1]
    return [t for j in range(a, b) for t in analysis.terms(index.sentence_text(j))]


def test_passage_weights_are_scikit_learns_tf_idf_over_the_pivot(corpus_dir: Path):
    """Each passage's row is TfidfTransformer(sublinear_tf, smooth idf, no norm) of its
    terms' counts, divided by its pivoted length; P_norm is the length of that row."""
    index = build.build(corpus_dir)
    texts = [_passage_terms(index, i) for i in range(index.n_passages)]
    counts = CountVectorizer(analyzer=lambda terms: terms, lowercase=False)
    X = counts.fit_transform(texts)
    tfidf = TfidfTransformer(sublinear_tf=True, smooth_idf=True, norm=None).fit(X)
    expected = tfidf.transform(X).toarray()
    vocabulary = counts.get_feature_names_out().tolist()
    assert sorted(vocabulary) == sorted(index.vocabulary)  # every term, none more (small corpus: no pruning)
    np.testing.assert_allclose(index.a["P_norm"], np.linalg.norm(expected, axis=1), rtol=1e-5)
    scale = pivot_scale(np.linalg.norm(expected, axis=1), float(np.mean(index.a["P_norm"])), build.PIVOT_SLOPE)
    columns = [index.term_ids[t] for t in vocabulary]
    got = index.P.toarray()[:, columns]
    np.testing.assert_allclose(got, expected * scale[:, None], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(index.idf[columns], tfidf.idf_, rtol=1e-6)
    assert (got >= 0).all() and np.count_nonzero(got) == np.count_nonzero(expected)


def test_each_sentence_holds_the_terms_of_its_own_words_with_or_without_a_nul_in_its_document(tmp_path: Path):
    """The index's terms of a sentence are ``analysis.terms`` of its text, the analyzer a
    question is read with: a batch's sentences are read in one call, joined by a NUL
    character; a document that holds one is read sentence by sentence instead."""
    padding = "Steam pumps drained the deep mines of Cornwall for a century. " * 140  # NUL past the first 8 KB
    (tmp_path / "plain.txt").write_text(padding + "\n\nWatt's engine didn't waste steam. It was 1.5 times better.\n")
    (tmp_path / "nul.txt").write_text(padding + "\n\nA stray\x00byte sat in the text. Newcomen's engine wasted coal.\n")
    index = build.build(tmp_path)
    assert index.n_sentences > 2 and any("\x00" in index.sentence_text(j) for j in range(index.n_sentences))
    P = index.P.tocsr()
    for j in range(index.n_sentences):
        expected = {index.term_ids.get(t) for t in analysis.terms(index.sentence_text(j))}
        assert sentences.terms(index, j) == expected
    for i in range(index.n_passages):
        assert set(P[i].indices.tolist()) == {index.term_ids[t] for t in _passage_terms(index, i)}


def test_the_words_table_counts_every_word_and_names_the_always_capitalised(corpus_dir: Path):
    index = build.build(corpus_dir)
    expected = Counter()
    for j in range(index.n_sentences):
        expected.update(w for w in map(analysis.normalise, analysis.words(index.sentence_text(j))) if w.isalpha())
    assert index.words == dict(expected)
    assert {"watt", "arkwright", "stephenson"} <= index.names and "steam" not in index.names


def test_a_large_corpus_keeps_only_the_word_pairs_two_passages_share(corpus_dir: Path, monkeypatch):
    small = build.build(corpus_dir)
    monkeypatch.setattr(build, "BIGRAM_PRUNE_PASSAGES", 0)
    pruned = build.build(corpus_dir)
    dropped = set(small.vocabulary) - set(pruned.vocabulary)
    assert dropped and all(" " in t and small.df[small.term_ids[t]] == 1 for t in dropped)
    assert all(" " not in t or small.df[small.term_ids[t]] >= 2 for t in pruned.vocabulary)
    np.testing.assert_array_equal(pruned.a["P_norm"], small.a["P_norm"])  # lengths count every term
    np.testing.assert_array_equal(pruned.a["S_norm"], small.a["S_norm"])


def _same_index(a, b) -> None:
    for name in a.a:
        np.testing.assert_array_equal(a.a[name], b.a[name])
    assert (a.words, a.names, a.vocabulary, a.docs) == (b.words, b.names, b.vocabulary, b.docs)


def test_building_in_worker_processes_gives_the_same_index(corpus_dir: Path, monkeypatch):
    serial = build.build(corpus_dir)
    monkeypatch.setattr(build, "PARALLEL_DOCUMENTS", 1)
    monkeypatch.setattr(build, "BATCH_DOCUMENTS", 2)  # several batches, in two processes
    _same_index(serial, build.build(corpus_dir))


def test_a_build_in_a_background_thread_uses_fresh_worker_processes(corpus_dir: Path, monkeypatch):
    """The app builds in a background thread of its server, where forking could deadlock:
    its workers start afresh (spawn) and give the same index."""
    import multiprocessing
    serial = build.build(corpus_dir)
    monkeypatch.setattr(build, "PARALLEL_DOCUMENTS", 1)
    methods = []
    real = multiprocessing.get_context
    monkeypatch.setattr(multiprocessing, "get_context", lambda method=None: (methods.append(method), real(method))[1])
    result = {}
    worker = threading.Thread(target=lambda: result.setdefault("index", build.build(corpus_dir)))
    worker.start()
    worker.join(timeout=300)
    assert not worker.is_alive() and methods == ["spawn"]
    _same_index(serial, result["index"])


def test_a_file_that_changes_during_the_build_is_left_for_the_next(corpus_dir: Path, monkeypatch):
    real = build.read_file
    reads = Counter()

    def read_then_change(path):
        reads[path.name] += 1
        if path.name == "steam-and-cotton.txt" and reads[path.name] == 2:  # the second reading
            path.write_text("Changed under the build.", encoding="utf-8")
        return real(path)
    monkeypatch.setattr(build, "read_file", read_then_change)
    index = build.build(corpus_dir)
    assert any("changed while it was being read" in s.reason for s in index.skipped)
    assert index.fingerprint == [] and "steam-and-cotton" not in {d.doc_id for d in index.docs}


def test_two_builds_at_once_in_one_process_each_get_their_own_index(corpus_dir: Path, tmp_path: Path):
    """The app's server may build two corpora's indexes in two threads: each build's
    sentences come from its own Punkt and shared lines, never the other's."""
    other = tmp_path / "other"
    other.mkdir()
    (other / "mills.txt").write_text("Dr. Cartwright built a power loom in 1785. It was slow at first. "
                                     "Mills took it up by 1820.\n\nSt. Helens made glass. Its works grew.\n" * 3)
    alone = {"a": build.build(corpus_dir), "b": build.build(other)}
    results = {}
    threads = [threading.Thread(target=lambda k=k, c=c: results.setdefault(k, [build.build(c) for _ in range(3)]))
               for k, c in (("a", corpus_dir), ("b", other))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    for k in alone:
        for index in results[k]:
            _same_index(alone[k], index)
