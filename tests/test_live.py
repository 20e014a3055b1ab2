"""tutor.live: the app's index is rebuilt in the background and switched in whole."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from tutor import build, store
from tutor import live as live_mod
from tutor.answer import answer
from tutor.errors import CorpusError, IndexDamaged
from tutor.live import LiveIndex, warm

NEW_DOC = ("The Quillon festival\n\nThe Quillon festival was held every spring in the mountain village of "
           "Quillon, where farmers celebrated the first harvest with music and lanterns.\n")


def _gate(monkeypatch):
    """Make the next builds wait until the returned event is set (to look at the server mid-build)."""
    go, started = threading.Event(), threading.Event()
    real_build = build.build

    def slow_build(*args, **kwargs):
        started.set()
        assert go.wait(30), "the test never let the build finish"
        return real_build(*args, **kwargs)

    monkeypatch.setattr(build, "build", slow_build)
    return go, started


def test_students_get_the_old_index_until_the_new_one_is_complete(corpus_dir: Path, tmp_path: Path, monkeypatch):
    live = LiveIndex(corpus_dir, tmp_path / "index", check_every=0.0)
    old = live.current()
    assert answer(old, "Who invented the spinning jenny?").answered
    go, started = _gate(monkeypatch)
    (corpus_dir / "aaa-quillon.txt").write_text(NEW_DOC, encoding="utf-8")
    assert live.current() is old  # noticed the change: a rebuild starts, the old index answers
    assert started.wait(10) and live.building()
    assert live.status().state == "building"
    # Thirty students ask meanwhile: none waits for the build, all get the old index.
    t0 = time.perf_counter()
    got = [live.current() for _ in range(30)]
    assert time.perf_counter() - t0 < 1.0
    assert all(g is old for g in got)
    assert not answer(old, "When was the Quillon festival held?").answered
    go.set()
    assert live.wait(60)
    new = live.current()
    assert new is not old and live.status().state == "ready" and live.status().generation == 1
    assert "aaa-quillon" in [d.doc_id for d in new.docs]
    ans = answer(new, "When was the Quillon festival held?")
    assert ans.answered and new.docs[ans.citations[0].doc].doc_id == "aaa-quillon"
    # The old index still answers whole, from its own documents: nothing mixed in.
    again = answer(old, "Who invented the spinning jenny?")
    assert again.answered and all(old.doc_text(c.doc)[c.start:c.end] == c.quote for c in again.citations)
    assert [d.doc_id for d in old.docs] == sorted(d.doc_id for d in old.docs if d.doc_id != "aaa-quillon")


def test_progress_is_reported_while_building(corpus_dir: Path, tmp_path: Path):
    live = LiveIndex(corpus_dir, tmp_path / "index", check_every=0.0)
    live.current()
    seen = []
    real = live._progress

    def record(done, total):
        real(done, total)
        seen.append((live.status().done, live.status().total, live.status().message, live.status().fraction))

    live._progress = record
    (corpus_dir / "new.txt").write_text(NEW_DOC, encoding="utf-8")
    assert live.refresh(force=True)
    assert live.wait(60)
    done = [s[0] for s in seen]
    assert all(s[1] == 4 for s in seen) and done == sorted(done) and done[-1] == 4 and len(set(done)) >= 4
    assert any("1 of 4" in s[2] for s in seen)
    fractions = [s[3] for s in seen]
    assert fractions == sorted(fractions) and 0 < fractions[-1] <= 0.9


def test_a_failed_rebuild_keeps_serving_the_previous_index(corpus_dir: Path, tmp_path: Path):
    live = LiveIndex(corpus_dir, tmp_path / "index", check_every=0.0)
    old = live.current()
    for p in corpus_dir.glob("*.txt"):
        p.write_bytes(b"")  # every document emptied: nothing left to index
    live.current()
    assert live.wait(60)
    assert live.current() is old
    status = live.status()
    assert status.state == "failed" and "could not be rebuilt" in status.message
    # It does not retry on every page load while the folder stays as it is...
    assert not live.refresh()
    # ...and recovers as soon as the teacher puts a document back.
    (corpus_dir / "back.txt").write_text(NEW_DOC, encoding="utf-8")
    live.current()
    assert live.wait(60)
    assert live.current() is not old and live.status().state == "ready"


def test_an_upload_during_a_build_is_picked_up_by_another_build(corpus_dir: Path, tmp_path: Path, monkeypatch):
    live = LiveIndex(corpus_dir, tmp_path / "index", check_every=3600)
    live.current()
    go, started = _gate(monkeypatch)
    (corpus_dir / "one.txt").write_text(NEW_DOC, encoding="utf-8")
    live.refresh(force=True)
    assert started.wait(10)
    (corpus_dir / "two.txt").write_text(NEW_DOC.replace("Quillon", "Vardemar"), encoding="utf-8")
    live.refresh(force=True)  # a build is running: it runs again when done
    go.set()
    assert live.wait(60)
    assert {"one", "two"} <= {d.doc_id for d in live.current().docs}


def test_a_document_changed_behind_the_index_is_not_served(corpus_dir: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    store.ensure_index(corpus_dir, index_dir)
    doc = corpus_dir / "steam-and-cotton.txt"
    st = doc.stat()
    text = doc.read_text(encoding="utf-8")
    doc.write_text(text.replace("Hargreaves", "Hargreeves"), encoding="utf-8")  # same size
    os.utime(doc, ns=(st.st_atime_ns, st.st_mtime_ns))  # and the same time: the change time tells
    loaded = store.load(index_dir, corpus_dir)
    assert not store.is_fresh(loaded, corpus_dir)
    with pytest.raises(IndexDamaged, match="changed"):  # and, were it served, its texts would
        warm(loaded)


def test_the_first_load_reports_an_unusable_corpus(tmp_path: Path):
    live = LiveIndex(tmp_path / "nowhere", tmp_path / "index")
    with pytest.raises(CorpusError):
        live.current()
    assert not live.refresh(force=True)  # nothing loaded, nothing to rebuild


def test_the_corpus_is_checked_at_most_every_few_seconds(corpus_dir: Path, tmp_path: Path, monkeypatch):
    live = LiveIndex(corpus_dir, tmp_path / "index", check_every=3600)
    live.current()
    calls = []
    monkeypatch.setattr(live_mod, "is_fresh", lambda *a: calls.append(a) or True)
    for _ in range(100):
        live.current()
    assert calls == []
    live.check_every = 0.0
    live.current()
    assert len(calls) == 1
