"""A corpus or index folder in a state a classroom meets by accident: the tutor heals it,
or refuses it with a reason, and keeps answering (issue 24, items 3-8).

Each case is met the way a teacher meets it: through the real CLI, or through
``LiveIndex`` and the page as the app uses them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tutor import store
from tutor.answer import answer
from tutor.live import LiveIndex

from .conftest import ROOT, run_tutor

QUESTION = "Who invented the spinning jenny?"
OUTSIDE = "The Zorvath treaty was signed in 1612 by the river council of Zorvath.\n"


def _ask(corpus: Path, index: Path, question: str = QUESTION):
    """``tutor ask --json``: (exit code, the answer or None, standard error)."""
    r = run_tutor("ask", question, "--json", "--corpus", str(corpus), "--index", str(index))
    return r.returncode, (json.loads(r.stdout) if r.returncode == 0 else None), r.stderr


def _verbatim(out: dict) -> bool:
    return all(Path(c["path"]).read_text(encoding="utf-8-sig")[c["start"]:c["end"]] == c["quote"]
               for c in out["citations"])


# -- 3. links in the corpus folder --------------------------------------------------------------

def test_a_link_to_a_file_or_folder_outside_the_corpus_is_skipped_and_never_quoted(corpus_dir, tmp_path):
    outside = tmp_path / "private"
    outside.mkdir()
    (outside / "zorvath.txt").write_text(OUTSIDE, encoding="utf-8")
    (corpus_dir / "zorvath.txt").symlink_to(outside / "zorvath.txt")
    (corpus_dir / "more").symlink_to(outside, target_is_directory=True)
    r = run_tutor("index", "--corpus", str(corpus_dir), "--index", str(tmp_path / "index"))
    assert r.returncode == 0 and "Indexed 3 documents" in r.stdout
    assert f"skipped {corpus_dir / 'zorvath.txt'}: a link to a file outside the corpus folder" in r.stdout
    assert f"skipped {corpus_dir / 'more'}: a link to a folder outside the corpus folder" in r.stdout
    code, out, _ = _ask(corpus_dir, tmp_path / "index", "When was the Zorvath treaty signed?")
    assert code == 0 and not out["answered"]
    assert not any("zorvath" in p["path"] for p in out["passages"])


def test_a_link_to_a_document_of_the_corpus_is_not_indexed_twice(corpus_dir, tmp_path):
    (corpus_dir / "copy.txt").symlink_to("steam-and-cotton.txt")  # relative, inside the folder
    r = run_tutor("index", "--corpus", str(corpus_dir), "--index", str(tmp_path / "index"))
    assert r.returncode == 0 and "Indexed 3 documents" in r.stdout
    assert f"skipped {corpus_dir / 'copy.txt'}: a link to steam-and-cotton.txt, which is read itself" in r.stdout
    code, out, _ = _ask(corpus_dir, tmp_path / "index")
    assert code == 0 and out["answered"] and {p["doc_id"] for p in out["passages"]} != {"copy"}
    assert "copy" not in {p["doc_id"] for p in out["passages"]}


# -- 4. a manifest of the wrong shape -----------------------------------------------------------

def _manifest(index_dir: Path) -> Path:
    return store.current_folder(index_dir) / "manifest.json"


SHAPES = {
    "list": "[]", "null": "null", "string": '"x"', "documents": '{"documents": 5}',
    "files": None,  # the real manifest with "files": 5
    "deep": "[" * 20_000 + "]" * 20_000,
}


def _damage(index_dir: Path, shape: str) -> None:
    path = _manifest(index_dir)
    text = SHAPES[shape]
    if text is None:
        text = json.dumps({**json.loads(path.read_text(encoding="utf-8")), "files": 5})
    path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_a_manifest_of_the_wrong_shape_is_rebuilt_by_ask(corpus_dir, tmp_path, shape):
    index = tmp_path / "index"
    assert _ask(corpus_dir, index)[0] == 0
    _damage(index, shape)
    code, out, err = _ask(corpus_dir, index)
    assert code == 0 and out["answered"] and "index built" in err, err
    code, out, err = _ask(corpus_dir, index)  # healed: no second rebuild
    assert code == 0 and out["answered"] and "index built" not in err


@pytest.mark.parametrize("shape", ["list", "files", "deep"])
def test_a_server_started_over_a_damaged_manifest_rebuilds_and_answers(corpus_dir, tmp_path, shape):
    store.ensure_index(corpus_dir, tmp_path / "index")
    _damage(tmp_path / "index", shape)
    live = LiveIndex(corpus_dir, tmp_path / "index")
    assert answer(live.current(), QUESTION).answered
    assert store.load(tmp_path / "index", corpus_dir).n_passages == live.current().n_passages


def _app(corpus: Path, index: Path, monkeypatch) -> AppTest:
    monkeypatch.setenv("TUTOR_CORPUS", str(corpus))
    monkeypatch.setenv("TUTOR_INDEX", str(index))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    at.chat_input(key="question").set_value(QUESTION).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return at


def test_the_page_answers_over_a_damaged_manifest(corpus_dir, tmp_path, monkeypatch):
    store.ensure_index(corpus_dir, tmp_path / "index")
    _damage(tmp_path / "index", "null")
    at = _app(corpus_dir, tmp_path / "index", monkeypatch)
    assert at.session_state["turns"][0].answer.answered


# -- 5. CURRENT replaced by a folder -------------------------------------------------------------

def test_a_folder_in_place_of_current_is_replaced_by_ask(corpus_dir, tmp_path):
    index = tmp_path / "index"
    assert _ask(corpus_dir, index)[0] == 0
    (index / "CURRENT").unlink()
    (index / "CURRENT").mkdir()
    (index / "CURRENT" / "stray.txt").write_text("x", encoding="utf-8")
    code, out, err = _ask(corpus_dir, index)
    assert code == 0 and out["answered"] and "index built" in err, err
    assert (index / "CURRENT").is_file() and store.current_folder(index).is_dir()
    assert "index built" not in _ask(corpus_dir, index)[2]


# -- 6. a same-size edit whose modification time was kept --------------------------------------

def _edit_keeping_size_and_time(doc: Path) -> str:
    """Rewrite ``doc`` with its words shifted but its length and times kept (as ``cp -p``,
    ``rsync -a`` or unpacking an archive leave a file); returns the new text."""
    st = doc.stat()
    text = doc.read_text(encoding="utf-8").replace("James Hargreaves", "Jimmy Hargreaves")
    new = text[20:] + "\n" * 20
    doc.write_text(new, encoding="utf-8")
    os.utime(doc, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert doc.stat().st_size == st.st_size and doc.stat().st_mtime_ns == st.st_mtime_ns
    return new


def test_ask_quotes_a_same_size_edit_whose_time_was_kept(corpus_dir, tmp_path):
    index = tmp_path / "index"
    assert _ask(corpus_dir, index)[0] == 0
    _edit_keeping_size_and_time(corpus_dir / "steam-and-cotton.txt")
    code, out, err = _ask(corpus_dir, index)
    assert code == 0 and "index built" in err, err
    assert out["answered"] and "Jimmy Hargreaves" in out["citations"][0]["quote"] and _verbatim(out)


def test_a_server_started_after_a_same_size_edit_answers_from_the_new_text(corpus_dir, tmp_path):
    store.ensure_index(corpus_dir, tmp_path / "index")
    _edit_keeping_size_and_time(corpus_dir / "steam-and-cotton.txt")
    live = LiveIndex(corpus_dir, tmp_path / "index")
    ans = answer(live.current(), QUESTION)
    assert ans.answered and "Jimmy Hargreaves" in ans.citations[0].quote


def test_a_running_server_notices_a_same_size_edit_whose_time_was_kept(corpus_dir, tmp_path):
    live = LiveIndex(corpus_dir, tmp_path / "index", check_every=0.0)
    old = live.current()
    _edit_keeping_size_and_time(corpus_dir / "steam-and-cotton.txt")
    live.current()
    assert live.wait(60)
    new = live.current()
    assert new is not old and live.status().state == "ready"
    assert "Jimmy Hargreaves" in answer(new, QUESTION).citations[0].quote


def test_the_page_opens_after_a_same_size_edit(corpus_dir, tmp_path, monkeypatch):
    store.ensure_index(corpus_dir, tmp_path / "index")
    _edit_keeping_size_and_time(corpus_dir / "steam-and-cotton.txt")
    at = _app(corpus_dir, tmp_path / "index", monkeypatch)
    assert "Jimmy Hargreaves" in at.session_state["turns"][0].answer.citations[0].quote


# -- 7. a stale index in a folder that cannot be written ---------------------------------------

NEW_DOC = ("The Quillon festival\n\nThe Quillon festival was held every spring in the mountain village of "
           "Quillon, where farmers celebrated the first harvest with music and lanterns.\n")


@contextmanager
def _read_only(folder: Path):
    """``folder`` and everything in it made read-only: by permissions, or for root (whom
    permissions do not stop) by the immutable attribute; skips when neither holds."""
    paths = [folder, *folder.rglob("*")]
    root = os.geteuid() == 0
    if root:
        if not shutil.which("chattr") or subprocess.run(["chattr", "+i", *map(str, paths)],
                                                         capture_output=True).returncode:
            subprocess.run(["chattr", "-i", *map(str, paths)], capture_output=True)
            pytest.skip("running as root where files cannot be made immutable: no way to make a folder read-only")
    else:
        for p in paths:
            p.chmod(p.stat().st_mode & ~0o222)
    try:
        with pytest.raises(OSError):
            (folder / "probe").mkdir()
        yield
    finally:
        if root:
            subprocess.run(["chattr", "-i", *map(str, paths)], capture_output=True)
        else:
            for p in paths:
                p.chmod(p.stat().st_mode | 0o200)


def test_ask_over_a_stale_index_in_a_read_only_folder_answers_and_warns(corpus_dir, tmp_path):
    index = tmp_path / "index"
    assert _ask(corpus_dir, index)[0] == 0
    (corpus_dir / "quillon.txt").write_text(NEW_DOC, encoding="utf-8")
    with _read_only(index):
        code, out, err = _ask(corpus_dir, index, "When was the Quillon festival held?")
        assert code == 0, err
        assert "could not be saved" in err and str(index) in err
        assert out["answered"] and out["citations"][0]["doc_id"] == "quillon" and _verbatim(out)
        code, out, _ = _ask(corpus_dir, index)
        assert code == 0 and out["answered"]


def _unsaveable(monkeypatch):
    def refuse(index, index_dir):
        raise PermissionError(13, "Permission denied", str(index_dir))
    monkeypatch.setattr(store, "save", refuse)


def test_a_server_started_over_a_stale_unwritable_index_answers_and_tells_the_teacher(corpus_dir, tmp_path,
                                                                                      monkeypatch):
    store.ensure_index(corpus_dir, tmp_path / "index")
    (corpus_dir / "quillon.txt").write_text(NEW_DOC, encoding="utf-8")
    _unsaveable(monkeypatch)
    live = LiveIndex(corpus_dir, tmp_path / "index", check_every=0.0)
    assert answer(live.current(), "When was the Quillon festival held?").answered
    status = live.status()
    assert status.state == "failed" and "could not be saved" in status.message
    assert not live.refresh()  # the index served is the corpus as it is: nothing to rebuild


def test_a_running_server_keeps_answering_when_its_index_cannot_be_saved(corpus_dir, tmp_path, monkeypatch):
    live = LiveIndex(corpus_dir, tmp_path / "index", check_every=0.0)
    old = live.current()
    _unsaveable(monkeypatch)
    (corpus_dir / "quillon.txt").write_text(NEW_DOC, encoding="utf-8")
    live.current()
    assert live.wait(60)
    assert live.current() is not old and answer(live.current(), "When was the Quillon festival held?").answered
    assert live.status().state == "failed" and "could not be saved" in live.status().message


# -- 8. the index folder inside the corpus folder -------------------------------------------------

@pytest.mark.parametrize("name", ["index", "notes"])
def test_an_index_inside_the_corpus_is_never_read_as_documents(corpus_dir, name):
    index = corpus_dir / name
    code, out, err = _ask(corpus_dir, index)
    assert code == 0 and "(index built: 3 documents" in err, err
    first = store.load(index, corpus_dir).n_passages
    for _ in range(3):
        code, out, err = _ask(corpus_dir, index)
        assert code == 0 and out["answered"] and "index built" not in err, err
    loaded = store.load(index, corpus_dir)
    assert loaded.n_passages == first and len(loaded.docs) == 3
    assert not any(d.rel.startswith(f"{name}/") for d in loaded.docs)


@pytest.mark.parametrize("command", ["ask", "index"])
def test_the_corpus_folder_itself_is_refused_as_the_index_folder(corpus_dir, command):
    before = sorted(p.name for p in corpus_dir.iterdir())
    args = ["ask", "Who invented the spinning jenny?"] if command == "ask" else ["index"]
    run = run_tutor(*args, "--corpus", str(corpus_dir), "--index", str(corpus_dir))
    assert run.returncode == 2 and "cannot be kept in the documents folder itself" in run.stderr, run.stderr
    assert sorted(p.name for p in corpus_dir.iterdir()) == before  # nothing written among the documents
