"""The index on disk: identical after a round trip, rebuilt when stale or damaged, and
only then."""

from __future__ import annotations

import hashlib
import json
import mmap
from pathlib import Path

import numpy as np
import pytest

from tutor import build, store
from tutor.errors import CorpusError, IndexDamaged
from tutor.index import ARRAYS
from tutor.retrieval import Query, scores


def _scores(index, question):
    return scores(index, Query(question, question))


def test_save_then_load_gives_identical_scores(corpus_dir: Path, tmp_path: Path):
    built = build.build(corpus_dir)
    store.save(built, tmp_path / "index")
    loaded = store.load(tmp_path / "index", corpus_dir)
    for q in ["Who invented the spinning jenny?", "railway locomotive Rocket", "child labour in mills"]:
        (pa, sa), (pb, sb) = _scores(built, q), _scores(loaded, q)
        np.testing.assert_array_equal(pa, pb)
        assert [sa[j] for j in range(built.n_sentences)] == [sb[j] for j in range(loaded.n_sentences)]
    for name in ARRAYS:
        np.testing.assert_array_equal(loaded.a[name], built.a[name])
        assert loaded.a[name].dtype == built.a[name].dtype
    assert loaded.vocabulary == built.vocabulary
    assert loaded.words == built.words and loaded.names == built.names
    assert loaded.docs == built.docs and loaded.info == built.info and loaded.skipped == built.skipped
    assert loaded.splitter.to_json() == built.splitter.to_json()
    assert loaded.passage_text(0) == built.passage_text(0)


def test_the_index_is_plain_data(corpus_dir: Path, tmp_path: Path):
    store.save(build.build(corpus_dir), tmp_path / "index")
    folder = store.current_folder(tmp_path / "index")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["format_version"] == store.FORMAT_VERSION and manifest["settings"] == store.SETTINGS
    assert {p.suffix for p in folder.iterdir()} == {".npy", ".json", ".txt"}
    for p in folder.glob("*.npy"):
        np.load(p, allow_pickle=False)  # raises if anything were pickled
    for p in folder.glob("*.json"):
        json.loads(p.read_text(encoding="utf-8"))
    lines = (folder / "vocabulary.txt").read_text(encoding="utf-8").split("\n")
    assert lines[-1] == "" and lines[:-1] == store.load(tmp_path / "index", corpus_dir).vocabulary
    assert "rainhil trial" in lines and "rocket" in lines  # stems and word pairs


def _memory_mapped(a: np.ndarray) -> bool:
    while a is not None and not isinstance(a, mmap.mmap):
        a = getattr(a, "base", None)
    return a is not None


def test_an_index_built_on_first_use_is_served_from_its_files(corpus_dir: Path, tmp_path: Path):
    index, rebuilt = store.ensure_index(corpus_dir, tmp_path / "index")
    assert rebuilt and all(_memory_mapped(index.a[name]) for name in ARRAYS)
    built = build.build(corpus_dir)
    assert not _memory_mapped(built.a["P_data"])  # (what the check tells apart)
    assert store.is_fresh(index, corpus_dir)
    assert np.array_equal(_scores(index, "railway locomotive Rocket")[0], _scores(built, "railway locomotive Rocket")[0])


def test_a_changed_added_or_removed_file_triggers_a_rebuild(corpus_dir: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    _, rebuilt = store.ensure_index(corpus_dir, index_dir)
    assert rebuilt
    _, rebuilt = store.ensure_index(corpus_dir, index_dir)
    assert not rebuilt
    doc = corpus_dir / "steam-and-cotton.txt"
    doc.write_text(doc.read_text() + "\nThe canal mania of the 1790s linked the rivers.\n", encoding="utf-8")
    index, rebuilt = store.ensure_index(corpus_dir, index_dir)
    assert rebuilt and "mania" in index.term_ids
    (corpus_dir / "new.txt").write_text("Brunel built the Great Western Railway.", encoding="utf-8")
    index, rebuilt = store.ensure_index(corpus_dir, index_dir)
    assert rebuilt and "brunel" in index.term_ids
    (corpus_dir / "new.txt").unlink()
    index, rebuilt = store.ensure_index(corpus_dir, index_dir)
    assert rebuilt and "brunel" not in index.term_ids


def test_new_settings_or_format_rebuild_an_index_and_the_codes_bytes_do_not(corpus_dir: Path, tmp_path: Path,
                                                                          monkeypatch):
    """What an index holds is declared (FORMAT_VERSION, SETTINGS); a comment edited in the
    tutor's source, or an upgrade that changes neither, keeps every index."""
    index_dir = tmp_path / "index"
    store.ensure_index(corpus_dir, index_dir)
    assert not store.ensure_index(corpus_dir, index_dir)[1]
    assert "hash" not in json.dumps(store.SETTINGS) and "code" not in store.SETTINGS  # no digest of source files
    monkeypatch.setitem(store.SETTINGS, "pivot_slopes", [0.5, 0.5])
    assert store.ensure_index(corpus_dir, index_dir)[1]
    assert not store.ensure_index(corpus_dir, index_dir)[1]
    monkeypatch.setattr(store, "FORMAT_VERSION", store.FORMAT_VERSION + 1)
    assert store.ensure_index(corpus_dir, index_dir)[1]


@pytest.mark.parametrize("damage", ["truncate", "edit", "delete", "pointer", "version"])
def test_a_damaged_index_is_detected_and_rebuilt(corpus_dir: Path, tmp_path: Path, damage: str):
    index_dir = tmp_path / "index"
    store.ensure_index(corpus_dir, index_dir)
    folder = store.current_folder(index_dir)
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
        store.load(index_dir, corpus_dir)
    index, rebuilt = store.ensure_index(corpus_dir, index_dir)
    assert rebuilt and index.n_passages > 0
    store.load(index_dir, corpus_dir)  # whole again


def test_a_large_files_digest_samples_its_size_and_64_blocks_spread_over_it(tmp_path: Path, monkeypatch):
    """A file over FULL_DIGEST_BYTES is hashed by its size and 64 blocks of 64 KB from its
    start to its end: an edit inside a block, or a cut, shows; the rest is not read."""
    monkeypatch.setattr(store, "FULL_DIGEST_BYTES", 1 << 20)
    data = bytearray(np.random.default_rng(7).integers(0, 256, 3_000_001, dtype=np.uint8).tobytes())
    path = tmp_path / "big.npy"
    path.write_bytes(bytes(data))
    size, block = len(data), 1 << 16
    expected = hashlib.sha256(str(size).encode())
    for k in range(64):
        at = (size - block) * k // 63
        expected.update(bytes(data[at:at + block]))
    assert store._digest(path) == expected.hexdigest()
    data[size - 1] ^= 0xFF  # inside the last block
    path.write_bytes(bytes(data))
    assert store._digest(path) != expected.hexdigest()
    path.write_bytes(bytes(data[:-1]))
    assert store._digest(path) != expected.hexdigest()
    small = tmp_path / "small.npy"
    small.write_bytes(b"x" * 1000)
    assert store._digest(small) == hashlib.sha256(b"x" * 1000).hexdigest()


def test_a_crash_mid_write_leaves_the_previous_index(corpus_dir: Path, tmp_path: Path, monkeypatch):
    index_dir = tmp_path / "index"
    store.ensure_index(corpus_dir, index_dir)
    before = store.current_folder(index_dir)
    (corpus_dir / "new.txt").write_text("Brunel built the Great Western Railway.", encoding="utf-8")

    def crash(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr(store, "_write_json", crash)
    index, rebuilt = store.ensure_index(corpus_dir, index_dir)  # served from memory, saying why
    assert rebuilt and "disk full" in index.unsaved and "brunel" in index.term_ids
    monkeypatch.undo()
    assert store.current_folder(index_dir) == before
    assert not list(index_dir.glob(".build-*"))
    assert "brunel" not in store.load(index_dir, corpus_dir).term_ids
    index, rebuilt = store.ensure_index(corpus_dir, index_dir)
    assert rebuilt and "brunel" in index.term_ids


def test_an_empty_or_missing_corpus_is_a_clear_error(tmp_path: Path):
    with pytest.raises(CorpusError, match="not found"):
        store.ensure_index(tmp_path / "nowhere", tmp_path / "index")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "blank.txt").write_text("   \n")
    with pytest.raises(CorpusError, match="no readable document"):
        store.ensure_index(tmp_path / "empty", tmp_path / "index")


def test_old_index_folders_are_cleaned_up(corpus_dir: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    for _ in range(4):
        store.rebuild(corpus_dir, index_dir)
    assert len(list(index_dir.glob("data-*"))) <= 2
