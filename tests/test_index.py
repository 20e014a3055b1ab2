"""The index on disk: identical after a round trip, rebuilt when stale or damaged."""

from __future__ import annotations

import json
import mmap
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tutor import index as idx
from tutor.errors import CorpusError, IndexDamaged
from tutor.retrieval import Query, scores


def _scores(index, question):
    return scores(index, Query(question, question))


def test_save_then_load_gives_identical_scores(corpus_dir: Path, tmp_path: Path):
    built = idx.build(corpus_dir)
    idx.save(built, tmp_path / "index")
    loaded = idx.load(tmp_path / "index", corpus_dir)
    for q in ["Who invented the spinning jenny?", "railway locomotive Rocket", "child labour in mills"]:
        (pa, sa), (pb, sb) = _scores(built, q), _scores(loaded, q)
        np.testing.assert_array_equal(pa, pb)
        assert [sa[j] for j in range(built.n_sentences)] == [sb[j] for j in range(loaded.n_sentences)]
    assert loaded.vocabulary == built.vocabulary
    assert loaded.words == built.words and loaded.names == built.names  # (the words' JSON is made while building)
    assert [d.title for d in loaded.docs] == [d.title for d in built.docs]
    assert loaded.passage_text(0) == built.passage_text(0)


def test_the_index_is_plain_data(corpus_dir: Path, tmp_path: Path):
    idx.save(idx.build(corpus_dir), tmp_path / "index")
    folder = idx.current_folder(tmp_path / "index")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["format_version"] == idx.FORMAT_VERSION
    assert {p.suffix for p in folder.iterdir()} == {".npy", ".json", ".txt"}
    for p in folder.glob("*.npy"):
        np.load(p, allow_pickle=False)  # raises if anything were pickled
    for p in folder.glob("*.json"):
        json.loads(p.read_text(encoding="utf-8"))
    lines = (folder / "vocabulary.txt").read_text(encoding="utf-8").split("\n")
    assert lines[-1] == "" and lines[:-1] == idx.load(tmp_path / "index", corpus_dir).vocabulary
    assert "rainhil trial" in lines and "rocket" in lines  # stems and word pairs


def _memory_mapped(a: np.ndarray) -> bool:
    while a is not None and not isinstance(a, mmap.mmap):
        a = getattr(a, "base", None)
    return a is not None


def test_an_index_built_on_first_use_is_served_from_its_files(corpus_dir: Path, tmp_path: Path):
    index, rebuilt = idx.ensure_index(corpus_dir, tmp_path / "index")
    assert rebuilt and all(_memory_mapped(index.a[name]) for name in idx._ARRAYS)
    built = idx.build(corpus_dir)
    assert not _memory_mapped(built.a["P_data"])  # (what the check tells apart)
    assert idx.is_fresh(index, corpus_dir)
    assert np.array_equal(_scores(index, "railway locomotive Rocket")[0], _scores(built, "railway locomotive Rocket")[0])


def test_a_changed_added_or_removed_file_triggers_a_rebuild(corpus_dir: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    _, rebuilt = idx.ensure_index(corpus_dir, index_dir)
    assert rebuilt
    _, rebuilt = idx.ensure_index(corpus_dir, index_dir)
    assert not rebuilt
    doc = corpus_dir / "steam-and-cotton.txt"
    doc.write_text(doc.read_text() + "\nThe canal mania of the 1790s linked the rivers.\n", encoding="utf-8")
    index, rebuilt = idx.ensure_index(corpus_dir, index_dir)
    assert rebuilt and "mania" in index.term_ids
    (corpus_dir / "new.txt").write_text("Brunel built the Great Western Railway.", encoding="utf-8")
    index, rebuilt = idx.ensure_index(corpus_dir, index_dir)
    assert rebuilt and "brunel" in index.term_ids
    (corpus_dir / "new.txt").unlink()
    index, rebuilt = idx.ensure_index(corpus_dir, index_dir)
    assert rebuilt and "brunel" not in index.term_ids


@pytest.mark.parametrize("damage", ["truncate", "edit", "delete", "pointer", "version"])
def test_a_damaged_index_is_detected_and_rebuilt(corpus_dir: Path, tmp_path: Path, damage: str):
    index_dir = tmp_path / "index"
    idx.ensure_index(corpus_dir, index_dir)
    folder = idx.current_folder(index_dir)
    target = folder / "P_data.npy"
    if damage == "truncate":
        target.write_bytes(target.read_bytes()[:-7])
    elif damage == "edit":
        data = bytearray(target.read_bytes())
        data[-1] ^= 0xFF
        target.write_bytes(bytes(data))
    elif damage == "delete":
        (folder / "vocabulary.txt").unlink()
    elif damage == "pointer":
        (index_dir / "CURRENT").write_text("../../etc\n")
    elif damage == "version":
        m = json.loads((folder / "manifest.json").read_text())
        m["format_version"] = 999
        (folder / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(IndexDamaged):
        idx.load(index_dir, corpus_dir)
    index, rebuilt = idx.ensure_index(corpus_dir, index_dir)
    assert rebuilt and index.n_passages > 0
    idx.load(index_dir, corpus_dir)  # whole again


def test_a_large_files_digest_samples_its_size_and_64_blocks_spread_over_it(tmp_path: Path, monkeypatch):
    """A file over FULL_DIGEST_BYTES is hashed by its size and 64 blocks of 64 KB from its
    start to its end: an edit inside a block, or a cut, shows; the rest is not read."""
    import hashlib
    monkeypatch.setattr(idx, "FULL_DIGEST_BYTES", 1 << 20)
    data = bytearray(np.random.default_rng(7).integers(0, 256, 3_000_001, dtype=np.uint8).tobytes())
    path = tmp_path / "big.npy"
    path.write_bytes(bytes(data))
    size, block = len(data), 1 << 16
    expected = hashlib.sha256(str(size).encode())
    for k in range(64):
        at = (size - block) * k // 63
        expected.update(bytes(data[at:at + block]))
    assert idx._digest(path) == expected.hexdigest()
    last = size - 1
    data[last] ^= 0xFF  # inside the last block
    path.write_bytes(bytes(data))
    assert idx._digest(path) != expected.hexdigest()
    path.write_bytes(bytes(data[:-1]))
    assert idx._digest(path) != expected.hexdigest()
    small = tmp_path / "small.npy"
    small.write_bytes(b"x" * 1000)
    assert idx._digest(small) == hashlib.sha256(b"x" * 1000).hexdigest()


def test_a_crash_mid_write_leaves_the_previous_index(corpus_dir: Path, tmp_path: Path, monkeypatch):
    index_dir = tmp_path / "index"
    idx.ensure_index(corpus_dir, index_dir)
    before = idx.current_folder(index_dir)
    (corpus_dir / "new.txt").write_text("Brunel built the Great Western Railway.", encoding="utf-8")

    def crash(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr(idx, "_write_json", crash)
    with pytest.raises(OSError):
        idx.ensure_index(corpus_dir, index_dir)
    monkeypatch.undo()
    assert idx.current_folder(index_dir) == before
    assert not list(index_dir.glob(".build-*"))
    assert "brunel" not in idx.load(index_dir, corpus_dir).term_ids
    index, rebuilt = idx.ensure_index(corpus_dir, index_dir)
    assert rebuilt and "brunel" in index.term_ids


def test_an_empty_or_missing_corpus_is_a_clear_error(tmp_path: Path):
    with pytest.raises(CorpusError, match="not found"):
        idx.ensure_index(tmp_path / "nowhere", tmp_path / "index")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "blank.txt").write_text("   \n")
    with pytest.raises(CorpusError, match="no readable document"):
        idx.ensure_index(tmp_path / "empty", tmp_path / "index")


def test_old_index_folders_are_cleaned_up(corpus_dir: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    for _ in range(4):
        idx.rebuild(corpus_dir, index_dir)
    assert len(list(index_dir.glob("data-*"))) <= 2


def test_a_build_or_a_save_leaves_the_processs_garbage_collector_as_it_found_it(corpus_dir: Path, tmp_path: Path,
                                                                             monkeypatch):
    """Build and save pause Python's cycle collector while they run: the app's server, which
    builds in a background thread, must have it back afterwards, also after a failed build;
    and a collector paused by the caller stays paused. glibc's allocator, tuned the same way,
    is set back to its default each time."""
    import gc
    tuned = []
    real = idx._keep_freed_memory
    monkeypatch.setattr(idx, "_keep_freed_memory", lambda keep=True: (tuned.append(keep), real(keep))[1])
    assert gc.isenabled()
    idx.save(idx.build(corpus_dir), tmp_path / "index")
    assert gc.isenabled()
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusError):
        idx.build(tmp_path / "empty")
    assert gc.isenabled()
    assert tuned == [True, False] * 3
    gc.disable()
    try:
        idx.build(corpus_dir)
        assert not gc.isenabled()
    finally:
        gc.enable()


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
    assert idx._pair_hashes(first, second).tolist() == [idx._pair_hash(a, b) for a, b in pairs]


@pytest.mark.parametrize("n_stems", [50, 70_000])
def test_a_batchs_terms_are_numbered_as_sorting_them_would_number_them(n_stems):
    """A batch's distinct term keys in order, and each entry's number among them, as
    ``np.unique`` gives them: with the batch's stems few enough to be sorted by their
    ranks (50) and too many for that (70,000 distinct in one batch)."""
    rng = np.random.default_rng(n_stems)
    stems = rng.permutation(n_stems)[:max(40, n_stems * 95 // 100)]  # the batch's stems, each occurring
    first, second = rng.choice(stems, 3000), rng.choice(stems, 3000)
    first[::7], second[::7] = first[0], second[0]  # repeated pairs
    pair_keys = ((first.astype(np.int64) + 1) << 32) | second
    keys = np.concatenate([stems, rng.choice(stems, 500), pair_keys])
    shuffle = rng.permutation(len(keys))
    keys = keys[shuffle]
    pair = keys >= idx._PAIR
    terms, term = idx._distinct(keys, pair, n_stems)
    expected, expected_term = np.unique(keys, return_inverse=True)
    np.testing.assert_array_equal(terms, expected)
    np.testing.assert_array_equal(term, expected_term)
    assert term.dtype == np.int32


def test_the_vocabularys_text_names_each_stem_and_pair_on_its_own_line():
    stems = ["great", "leap", "famin", "mao"]
    first = np.array([2, 0, 1, 3, 0] * 30_000)  # more than one block
    second = np.array([-1, 1, -1, 2, 0] * 30_000)
    text = idx._terms_text(stems, first, second)
    assert text == "famin\ngreat leap\nleap\nmao famin\ngreat great\n" * 30_000
    assert idx._terms_text(stems, first[:0], second[:0]) == ""


def test_building_in_worker_processes_gives_the_same_index(corpus_dir: Path, monkeypatch):
    serial = idx.build(corpus_dir)
    monkeypatch.setattr(idx, "PARALLEL_DOCUMENTS", 1)
    parallel = idx.build(corpus_dir)
    for name in serial.a:
        np.testing.assert_array_equal(serial.a[name], parallel.a[name])
    # made by a helper process when the corpus is large
    assert (parallel.words, parallel.names, parallel.vocabulary) == (serial.words, serial.names, serial.vocabulary)


def test_building_in_worker_processes_started_afresh_gives_the_same_index(corpus_dir: Path, monkeypatch):
    """As on macOS and Windows, where a worker process starts as a new interpreter that
    imports the build's code (spawn): the same index, from one set of workers for both
    passes and none more for the words' table."""
    import multiprocessing
    started = []

    class Spawn(type(multiprocessing.get_context("spawn"))):
        def Process(self, *args, **kwargs):
            started.append(1)
            return super().Process(*args, **kwargs)

    serial = idx.build(corpus_dir)
    monkeypatch.setattr(idx, "PARALLEL_DOCUMENTS", 1)
    monkeypatch.setattr(idx, "_mp_context", Spawn)
    spawned = idx.build(corpus_dir)
    assert len(started) == idx._n_workers()
    for name in serial.a:
        np.testing.assert_array_equal(serial.a[name], spawned.a[name])
    assert (spawned.words, spawned.names, spawned.vocabulary) == (serial.words, serial.names, serial.vocabulary)


def test_a_builds_workers_tell_each_other_the_stems_they_work_out(tmp_path: Path, monkeypatch):
    """Each worker stems the words no other has told it of, and tells its stems to the
    others through a shared file, read before each chunk of stemming: a word met
    again, or by every worker, is stemmed once."""
    from tutor import analysis
    monkeypatch.setattr(analysis, "_TOLD_STEMS", {})
    monkeypatch.setattr(idx._SharedStems, "CHUNK", 2)
    stemmed: list[str] = []
    monkeypatch.setattr(analysis, "stem", lambda word: stemmed.append(word) or word[:4])
    path = tmp_path / "stems"
    path.touch()
    first, second = idx._SharedStems(str(path)), idx._SharedStems(str(path))
    first.work_out(["canals", "canals", "locks", None, "worsley"])
    assert sorted(stemmed) == ["canals", "locks", "worsley"]  # once each
    assert first.read_to == path.stat().st_size  # its own words are not read back
    stemmed.clear()
    second.work_out(["locks", "barges", "canals", "barges"])
    assert stemmed == ["barges"]
    assert analysis._TOLD_STEMS == {"canals": "cana", "locks": "lock", "worsley": "wors"}
    stemmed.clear()
    first.work_out(["barges", "aqueduct"])
    assert stemmed == ["aqueduct"] and analysis._TOLD_STEMS["barges"] == "barg"


def test_a_word_whose_stem_a_worker_is_told_is_not_stemmed_again(monkeypatch):
    from tutor import analysis

    class Stemmer:
        def stem(self, word):
            pytest.fail(f"{word!r} stemmed again")
    monkeypatch.setattr(analysis, "_TOLD_STEMS", {})
    monkeypatch.setattr(analysis, "_STEMMER", Stemmer())
    monkeypatch.setattr(analysis, "_TERM_OF", {})
    analysis.stem.cache_clear()
    try:
        analysis.remember_stems(["zyxwarbles"], ["zyxwarbl"])
        assert (analysis.term_of("Zyxwarbles"), analysis.term_of("the")) == ("zyxwarbl", None)
        # what it is told counts towards the stems it is told at most
        monkeypatch.setattr(analysis, "_TOLD_CACHE", 3)
        analysis.remember_stems(["alpha", "beta", "gamma"], ["alpha", "beta", "gamma"])
        assert len(analysis._TOLD_STEMS) == 3
    finally:
        analysis.stem.cache_clear()


def test_a_build_in_a_background_thread_uses_safe_worker_processes(corpus_dir: Path, monkeypatch):
    import threading
    serial = idx.build(corpus_dir)
    monkeypatch.setattr(idx, "PARALLEL_DOCUMENTS", 1)
    result = {}
    worker = threading.Thread(target=lambda: result.setdefault("index", idx.build(corpus_dir)))
    worker.start()
    worker.join(timeout=120)
    assert not worker.is_alive()
    for name in serial.a:
        np.testing.assert_array_equal(serial.a[name], result["index"].a[name])
    assert result["index"].vocabulary == serial.vocabulary and result["index"].words == serial.words


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forkserver is Linux's safe start method here")
def test_workers_started_from_a_background_thread_begin_with_the_build_loaded():
    """The app builds in a background thread, so its workers come from a fork server: one
    that imported the build's code once, not a fresh interpreter per worker of each pass
    (importing NLTK alone takes over a second: a 5,000-document build took twice as long)."""
    import threading
    from concurrent.futures import ProcessPoolExecutor
    found = {}

    def probe():
        with ProcessPoolExecutor(1, mp_context=idx._mp_context()) as pool:
            found["loaded"] = pool.submit(eval, "'tutor.index' in __import__('sys').modules").result(timeout=120)

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join(timeout=150)
    assert found == {"loaded": True}


def test_the_build_weighs_and_renumbers_a_matrix_read_back_in_batches():
    """Rows set aside batch by batch, read back, weighted, with columns renumbered and dropped."""
    import scipy.sparse as sp
    X = sp.random(300, 50, density=0.1, format="csr", dtype=np.float32, random_state=1)
    X.data = np.ceil(X.data * 5)  # counts
    idf = np.random.default_rng(3).uniform(1, 5, 50).astype(np.float32)
    keep = np.random.default_rng(2).permutation(50)[:30]  # new column j is old column keep[j]
    new_column = np.full(50, -1, dtype=np.int32)
    new_column[keep] = np.arange(30)
    spool = idx._Spool()
    cuts = [0, 1, 150, 150, 299, 300]  # batches of rows, one of them empty; the first two are the first half
    for r0, r1 in zip(cuts, cuts[1:]):
        lo, hi = X.indptr[r0], X.indptr[r1]
        spool.append(X.indices[lo:hi].astype(np.int32), X.data[lo:hi].astype(np.uint16))
    row_terms = [np.diff(X.indptr[r0:r1 + 1]) for r0, r1 in zip(cuts, cuts[1:])]
    entries = np.diff(X.tocsc().indptr)[keep]  # rows each new column has an entry in
    entries_before = np.diff(X[:150].tocsc().indptr)[keep]
    norms, got = idx._weighted(lambda b: (np.arange(50), *spool.read(b)), row_terms, idf, new_column,
                               entries, entries_before, 0.7)
    W = X.toarray().astype(np.float64)
    W[W > 0] = 1 + np.log(W[W > 0])
    W *= idf
    expected_norms = np.sqrt((W ** 2).sum(axis=1))
    np.testing.assert_allclose(norms, expected_norms, rtol=1e-6)
    pivot = 0.3 * expected_norms.mean() + 0.7 * expected_norms
    np.testing.assert_allclose(got.toarray(), (W / pivot[:, None])[:, keep], rtol=1e-5)
    # By columns (an inverted index), each column's rows in order, every entry non-zero:
    # the arrays scipy's own conversion gives.
    expected = sp.csc_matrix(got.toarray())
    assert got.format == "csc"
    for part in ("data", "indices", "indptr"):
        np.testing.assert_array_equal(getattr(got, part), getattr(expected, part))
    spool.close()


def test_the_builds_spool_reads_the_same_from_threads_at_once():
    from concurrent.futures import ThreadPoolExecutor
    rng = np.random.default_rng(5)
    spool = idx._Spool()
    batches = [[rng.integers(0, 1 << 40, n), rng.random(n).astype(np.float32)] for n in rng.integers(0, 50_000, 40)]
    for arrays in batches:
        spool.append(*arrays)
    with ThreadPoolExecutor(4) as pool:
        read = list(pool.map(spool.read, [b for _ in range(5) for b in range(len(batches))]))
    for i, got in enumerate(read):
        for a, b in zip(got, batches[i % len(batches)]):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)
    spool.close()


def test_each_sentence_holds_the_terms_of_its_own_words_with_or_without_a_nul_in_its_document(tmp_path: Path):
    """The build tokenises a batch's sentences in one call, joined by a NUL character;
    a document that holds one is tokenised sentence by sentence instead."""
    from tutor import analysis
    padding = "Steam pumps drained the deep mines of Cornwall for a century. " * 140  # NUL past the first 8 KB
    (tmp_path / "plain.txt").write_text(padding + "\n\nWatt's engine didn't waste steam. It was 1.5 times better.\n")
    (tmp_path / "nul.txt").write_text(padding + "\n\nA stray\x00byte sat in the text. Newcomen's engine wasted coal.\n")
    index = idx.build(tmp_path)
    assert index.n_sentences > 2 and any("\x00" in index.sentence_text(j) for j in range(index.n_sentences))
    for j in range(index.n_sentences):
        expected = {index.term_ids.get(t) for t in analysis.terms(index.sentence_text(j))}
        assert index.sentence_terms(j) == expected


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
        monkeypatch.setattr(idx, "BIGRAM_PRUNE_PASSAGES", 0)
    index = idx.build(corpus_dir)
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
        row = index.sentence_rows([j])
        assert row.shape == (1, index.n_terms) and row.indices.tolist() == sorted(kept)
        np.testing.assert_allclose(row.data, [kept[c] for c in sorted(kept)], rtol=1e-5)
        assert index.sentence_terms(j) == set(kept)
    assert (dropped > 0) == prune
    # Rows asked for together are the same rows, in the order asked for.
    rows = [5, 2, 5]
    together = index.sentence_rows(rows)
    for i, j in enumerate(rows):
        np.testing.assert_array_equal(together[i].toarray(), index.sentence_rows([j]).toarray())


# What the word pattern was before its quantifiers were made possessive (for speed).
_BACKTRACKING_WORD = r"\w+(?:[’'](?:s|t|d|ll|re|ve|m)\b)?(?:[.,]\d+)*|%"


_WORD_PIECES = st.sampled_from(["a", "é", "s", "t", "ll", "ve", "1", "25", "'", "’", ".", ",", "%", " ", "-", "\n",
                                 "\x00", "_", "didn't", "Mao’s", "600,000", "5.35", "they'llx"])


@given(st.lists(_WORD_PIECES, max_size=30).map("".join))
def test_words_and_their_spans_are_what_the_plain_word_pattern_finds(text: str):
    """"didn't", "Mao’s", "600,000" and "5.35" stay one word, with or without NULs between
    sentences: the possessive pattern finds exactly what the backtracking one finds."""
    import re

    from tutor import analysis
    plain = re.compile(_BACKTRACKING_WORD)
    assert analysis.words(text) == plain.findall(text)
    assert analysis.tokens(text) == [(m.group(), m.start(), m.end()) for m in plain.finditer(text)]
    assert analysis.words_with_breaks(text) == re.findall("\x00|" + _BACKTRACKING_WORD, text)


# White space of every kind str.split splits at, which no word holds either.
_SPACES = st.sampled_from([" ", "\n", "\t", "\xa0", "\u2028", "\u3000", "\x1c", "  "])


@given(st.lists(st.lists(st.one_of(_WORD_PIECES.filter(lambda p: p != "\x00"), _SPACES), max_size=20).map("".join),
                max_size=6), st.lists(st.lists(st.one_of(_WORD_PIECES.filter(lambda p: p != "\x00"), _SPACES),
                                               max_size=20).map("".join), max_size=6))
def test_a_batchs_sentences_are_numbered_word_for_word_as_the_word_pattern_finds_them(first: list[str],
                                                                                     then: list[str]):
    """The build numbers the white-space-separated tokens of a batch's sentences and finds
    the words of each token once: the words it numbers are the word pattern's over the
    sentences, one after another with a BREAK after each, in a first batch and in a later
    one (which meets tokens the first met, and new ones)."""
    from tutor import analysis
    from tutor.cleaning import SharedDigests
    analyser = idx._Analyser(".", None, SharedDigests([]))
    for texts in (first, then, first):
        numbered = analyser._numbered_words(texts)
        words = [analyser.surfaces[i] if i >= 0 else analysis.BREAK for i in numbered.tolist()]
        assert words == (analysis.words_with_breaks(analysis.BREAK.join(texts) + analysis.BREAK) if texts else [])


def test_each_columns_largest_weight_is_stored_with_the_index(corpus_dir: Path, tmp_path: Path):
    """A query's max-score bounds come from P_max, saved with the index: it must be every
    column's largest weight, exactly."""
    idx.save(idx.build(corpus_dir), tmp_path / "index")
    index = idx.load(tmp_path / "index", corpus_dir)
    P = index.P
    expected = np.array([P.data[a:b].max() if b > a else 0 for a, b in zip(P.indptr[:-1], P.indptr[1:])],
                        dtype=np.float32)
    assert len(expected) == index.n_terms
    np.testing.assert_array_equal(index.a["P_max"], expected)


def test_a_questions_terms_are_found_together_as_one_at_a_time(corpus_dir: Path, tmp_path: Path):
    """``TermIds.columns`` (a question's new terms searched for at once) gives each term's
    column, or -1 for a term the corpus lacks, as ``get`` does one term at a time."""
    idx.save(idx.build(corpus_dir), tmp_path / "index")
    index = idx.load(tmp_path / "index", corpus_dir)
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


def test_an_index_loads_where_its_pages_cannot_be_mapped_up_front(corpus_dir: Path, tmp_path: Path, monkeypatch):
    """The arrays every query reads are mapped when the index loads (Linux 5.14 and later);
    on a kernel that refuses, they are mapped as queries read them, with the same scores."""
    index, _ = idx.ensure_index(corpus_dir, tmp_path / "index")
    monkeypatch.setattr(idx, "_MADV_POPULATE_READ", 1 << 20)  # advice no kernel knows: EINVAL
    refused = idx.load(tmp_path / "index", corpus_dir)
    assert all(_memory_mapped(refused.a[name]) for name in idx._QUERIED)
    q = "railway locomotive Rocket"
    assert np.array_equal(_scores(refused, q)[0], _scores(index, q)[0])
