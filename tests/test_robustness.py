"""Holding up in class: damaged and odd corpus files, and whatever a student types.

Files: every kind of bad file lies beside good ones; the good ones are still indexed
and answerable (verbatim, in their own encoding), each bad one is reported with its
reason, and no input makes the indexer crash (a Hypothesis property over any bytes).
Questions: empty, huge, control characters, emoji, markup, SQL, other languages and
undecodable bytes go through the real CLI without a traceback.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import run_tutor
from tutor import build, store
from tutor.answer import MAX_QUESTION_CHARS
from tutor.corpus import read_file
from tutor.decoding import Unreadable, decode
from tutor.errors import CorpusError

# -- the files of a careless teacher's folder -----------------------------------------------

BOM_SENTENCE = "The Menai Suspension Bridge was designed by Thomas Telford and opened to traffic in 1826."
CP1252_SENTENCE = "The “Penydarren” engine, built by Richard Trevithick, hauled ten tons of iron in 1804 — the first such run."
UTF16_SENTENCE = "The Great Exhibition of 1851 was held in the Crystal Palace in Hyde Park."
UTF16LE_SENTENCE = "The Bridgewater Canal was dug for the Duke of Bridgewater and opened in 1761."
LONG_SENTENCE = "The handloom weavers of Lancashire earned less each year as power looms spread. "

BAD_FILES = {
    "empty.txt": (b"", "empty file"),
    "blank.md": (b"  \r\n\t \n  ", "only white space"),
    "random.txt": (bytes(range(256)) * 40, "binary file"),
    "photo.txt": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8, "PNG image"),
    "scan.md": (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <</Type/Catalog>>\nstream\nx\x9c" + bytes(range(1, 256)) * 4,
                "a PDF document, not text: name it .pdf"),
    "essay.txt": (b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)) * 4, "zipped file"),
}


def good_files() -> dict[str, bytes]:
    return {
        "bom.txt": b"\xef\xbb\xbf" + f"Bridges\r\n\r\n{BOM_SENTENCE}\r\n".encode("utf-8"),
        "cp1252.txt": f"Early engines\r\n\r\n{CP1252_SENTENCE}\r\n".encode("cp1252"),
        "utf16.txt": f"Exhibitions\n\n{UTF16_SENTENCE}\n".encode("utf-16"),
        "utf16le.txt": f"Canals\n\n{UTF16LE_SENTENCE}\n".encode("utf-16-le"),  # no BOM
        "one-line.txt": (LONG_SENTENCE * 3000)[:200_000].encode("utf-8"),  # 200 KB, no newline
    }


@pytest.fixture
def messy_corpus(corpus_dir: Path) -> Path:
    for name, (data, _) in BAD_FILES.items():
        (corpus_dir / name).write_bytes(data)
    for name, data in good_files().items():
        (corpus_dir / name).write_bytes(data)
    return corpus_dir


def assert_verbatim_in_own_encoding(obj: dict) -> None:
    """Each quote and passage slices its file as read in the encoding the tutor found."""
    for c in obj["citations"]:
        text, _ = read_file(Path(c["path"]))
        assert text[c["start"]:c["end"]] == c["quote"]
    for p in obj["passages"]:
        text, _ = read_file(Path(p["path"]))
        assert text[p["start"]:p["end"]] == p["text"]


def test_decoded_text_is_what_read_text_gives_in_that_encoding(tmp_path: Path):
    for name, data in good_files().items():
        path = tmp_path / name
        path.write_bytes(data)
        text, encoding = decode(data)
        assert text == path.read_text(encoding=encoding), name
    assert decode(good_files()["utf16le.txt"])[1] == "utf-16-le"
    assert decode(good_files()["cp1252.txt"])[1] == "cp1252"


def test_a_messy_folder_is_indexed_with_every_bad_file_reported(messy_corpus: Path, tmp_path: Path):
    started = time.perf_counter()
    proc = run_tutor("index", "--corpus", str(messy_corpus), "--index", str(tmp_path / "index"))
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.stdout.startswith("Indexed 8 documents")  # 3 of the fixture's, 5 odd but good ones
    skipped = {line.split(": ", 1)[0].rsplit("/", 1)[-1]: line.split(": ", 1)[1]
               for line in proc.stdout.splitlines() if line.startswith("skipped ")}
    assert set(skipped) == set(BAD_FILES)
    for name, (_, reason) in BAD_FILES.items():
        assert reason in skipped[name], (name, skipped[name])
    assert time.perf_counter() - started < 60


@pytest.mark.parametrize("question, expected", [
    ("Who designed the Menai Suspension Bridge?", BOM_SENTENCE),
    ("What did the Penydarren engine haul?", CP1252_SENTENCE),
    ("Where was the Great Exhibition held?", UTF16_SENTENCE),
    ("When did the Bridgewater Canal open?", UTF16LE_SENTENCE),
    ("Why did the handloom weavers of Lancashire earn less?", LONG_SENTENCE.strip()),
    ("Who invented the spinning jenny?", "James Hargreaves"),
])
def test_good_files_beside_bad_ones_are_answerable_verbatim(messy_corpus: Path, tmp_path: Path,
                                                           question: str, expected: str):
    proc = run_tutor("ask", question, "--json", "--corpus", str(messy_corpus), "--index", str(tmp_path / "index"))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["answered"], out["message"]
    assert any(expected in c["quote"] or c["quote"] in expected for c in out["citations"]), out["citations"]
    assert_verbatim_in_own_encoding(out)


def test_a_file_that_vanishes_while_indexing_is_reported_and_the_rest_indexed(corpus_dir: Path, tmp_path: Path,
                                                                             monkeypatch):
    doomed = corpus_dir / "zz-doomed.txt"
    doomed.write_text("The Sankey Viaduct carried the railway over the Sankey Canal valley.", encoding="utf-8")
    real_read = build.read_file

    def read_then_delete(path: Path):
        if path.name == "a-short-history.txt" and doomed.exists():
            doomed.unlink()  # gone after the folder was listed, before it is read
        return real_read(path)

    monkeypatch.setattr(build, "read_file", read_then_delete)
    index = build.build(corpus_dir)
    assert [Path(s.path).name for s in index.skipped] == ["zz-doomed.txt"]
    assert "disappeared" in index.skipped[0].reason
    assert len(index.docs) == 3
    assert not store.is_fresh(index, corpus_dir)  # the folder changed under the build: rebuild next time
    monkeypatch.undo()
    store.save(index, tmp_path / "index")
    again, rebuilt = store.ensure_index(corpus_dir, tmp_path / "index")
    assert rebuilt and not again.skipped and len(again.docs) == 3


def test_a_file_that_changes_while_indexing_is_rebuilt_next_time(corpus_dir: Path, tmp_path: Path, monkeypatch):
    target = corpus_dir / "steam-and-cotton.txt"
    real_read = build.read_file

    def read_then_edit(path: Path):
        out = real_read(path)
        if path == target:  # the teacher saves a new version just after the tutor read it
            target.write_text(out[0] + "\nThe Bridgewater Canal opened in 1761 to carry coal.\n", encoding="utf-8")
        return out

    monkeypatch.setattr(build, "read_file", read_then_edit)
    index, rebuilt = store.ensure_index(corpus_dir, tmp_path / "index")
    monkeypatch.undo()
    assert rebuilt and "bridgewat" not in index.term_ids
    # What was indexed is what was read: every passage still slices the text it came from.
    for i in range(index.n_passages):
        assert index.passage_text(i).strip()
    assert not store.is_fresh(index, corpus_dir)
    again, rebuilt = store.ensure_index(corpus_dir, tmp_path / "index")
    assert rebuilt and "bridgewat" in again.term_ids
    assert store.is_fresh(again, corpus_dir)


def assert_clean_error(proc) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


@pytest.mark.parametrize("case, command", [
    ("missing", "index"), ("missing", "ask"), ("empty", "index"), ("empty", "check"), ("only-bad-files", "index"),
    ("only-bad-files", "ask"), ("a-file-not-a-folder", "ask"), ("only-punctuation", "index"),
    ("only-punctuation", "ask"), ("only-stop-words", "index"),
])
def test_an_unusable_corpus_is_one_line_and_exit_2(tmp_path: Path, case: str, command: str):
    folder = tmp_path / "corpus"
    if case != "missing":
        folder.mkdir()
    if case == "only-bad-files":
        for name, (data, _) in BAD_FILES.items():
            (folder / name).write_bytes(data)
    elif case == "a-file-not-a-folder":
        folder.rmdir()
        folder.write_text("Not a folder.", encoding="utf-8")
    elif case == "only-punctuation":
        (folder / "marks.txt").write_text("!!! ??? ... 🙂🙂 ---\n" * 50, encoding="utf-8")
    elif case == "only-stop-words":
        (folder / "words.txt").write_text("the and of it is was a an to\n" * 50, encoding="utf-8")
    args = {"index": ["index"], "ask": ["ask", "Who invented the spinning jenny?"],
            "check": ["check", "Steam came in 1776."]}[command]
    proc = run_tutor(*args, "--corpus", str(folder), "--index", str(tmp_path / "index"))
    assert_clean_error(proc)
    assert proc.stderr.startswith("error: ")


# -- any bytes at all ---------------------------------------------------------------------

ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "utf-16", "utf-16-le", "utf-16-be", "latin-1")
text_bytes = st.builds(
    lambda t, enc: t.encode(enc, errors="replace") if enc != "latin-1" else t.encode("latin-1", "replace"),
    st.text(max_size=400), st.sampled_from(ENCODINGS))
any_bytes = st.one_of(
    st.binary(max_size=1500),
    text_bytes,
    st.builds(lambda a, b: a + b, st.sampled_from([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x89PNG\r\n\x1a\n",
                                                   b"%PDF-", b"\x00", b"\r", b"\r\n"]), st.binary(max_size=600)),
    st.builds(lambda a, b: a + b, text_bytes, st.binary(max_size=50)),
)


@settings(max_examples=300, deadline=None)
@given(any_bytes)
def test_decode_never_fails_except_with_a_reason(data: bytes):
    try:
        text, encoding = decode(data)
    except Unreadable as exc:
        assert str(exc)
        return
    assert text.strip()
    assert "\r" not in text
    raw = data.decode(encoding)
    assert text == raw.replace("\r\n", "\n").replace("\r", "\n")


GOOD = "Steam Power\n\nJames Watt improved the steam engine in 1776 by adding a separate condenser.\n"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(any_bytes)
def test_any_bytes_in_a_file_never_crash_the_indexer(tmp_path_factory, data: bytes):
    folder = tmp_path_factory.mktemp("anybytes")
    (folder / "good.txt").write_text(GOOD, encoding="utf-8")
    (folder / "odd.txt").write_bytes(data)
    index = build.build(folder)  # must not raise: a good file is beside it
    assert any(d.rel == "good.txt" for d in index.docs)
    assert "watt" in index.term_ids
    odd = [d for d in index.docs if d.rel == "odd.txt"]
    assert bool(odd) != any(Path(s.path).name == "odd.txt" for s in index.skipped)  # indexed or reported
    (folder / "good.txt").unlink()
    try:
        alone = build.build(folder)
    except CorpusError as exc:  # nothing readable or searchable: a clear error, not a crash
        assert str(exc)
    else:
        assert alone.n_passages > 0


def test_a_build_survives_unreadable_entries(tmp_path: Path):
    (tmp_path / "good.txt").write_text(GOOD, encoding="utf-8")
    (tmp_path / "folder.txt").mkdir()  # a folder with a text file's name
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "nowhere.txt")
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)  # reading it would block forever
    index = build.build(tmp_path)
    assert [d.doc_id for d in index.docs] == ["good"]
    reasons = {Path(s.path).name: s.reason for s in index.skipped}
    assert set(reasons) == {"dangling.txt", "pipe.txt"}
    assert "regular file" in reasons["pipe.txt"]


# -- whatever a student types -----------------------------------------------------------

LONG_QUESTION = "Who invented the spinning jenny? " + "Please explain everything in great detail. " * 2400
ODD_QUESTIONS = {
    "empty": "",
    "blank": " \t\n ",
    "control": "Who invented\x00 the spinning\x1b[31m jenny?\x07\x7f",
    "emoji": "🙂🧵 Who invented the spinning jenny? 🤔",
    "markup": "<script>alert(1)</script> **Who** invented the $spinning$ :red[jenny]? ![](http://x.y/a.png)",
    "sql": "'; DROP TABLE documents; -- who invented the spinning jenny OR 1=1",
    "spanish": "¿Quién inventó la máquina de hilar?",
    "chinese": "谁发明了珍妮纺纱机？",
    "arabic-rtl": "\u202eمن اخترع آلة الغزل؟",
    "surrogate": "Who invented the spinning jenny \ud800?",
    "long": LONG_QUESTION,
}


@pytest.fixture(scope="module")
def odd_answers(tmp_path_factory) -> dict[str, dict]:
    """Every odd question through one real ``tutor ask --batch`` run (JSON lines in and out)."""
    base = tmp_path_factory.mktemp("odd")
    lines = "\n".join(json.dumps({"id": k, "question": q, "history": ["\x00", "\ud800"]}) for k, q in ODD_QUESTIONS.items())
    started = time.perf_counter()
    proc = run_tutor("ask", "--batch", "-", "--corpus", str(Path(__file__).parent / "fixtures" / "corpus"),
                     "--index", str(base / "index"), stdin=lines + "\n")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert time.perf_counter() - started < 60
    rows = [json.loads(x) for x in proc.stdout.splitlines()]
    assert [r["id"] for r in rows] == list(ODD_QUESTIONS)
    return {r["id"]: r for r in rows}


@pytest.mark.parametrize("kind", list(ODD_QUESTIONS))
def test_odd_questions_get_an_answer_or_a_message(odd_answers, kind: str):
    out = odd_answers[kind]
    assert out["answered"] or out["message"]
    assert all(ch in "\n\t" or ch.isprintable() for ch in out["question"])  # nothing that garbles a terminal
    assert_verbatim_in_own_encoding(out)
    if kind in ("empty", "blank"):
        assert not out["answered"] and "Please type a question" in out["message"]
    if kind in ("control", "emoji", "long"):
        assert out["answered"] and "Hargreaves" in out["citations"][0]["quote"], kind
    if kind == "markup":
        assert out["question"] == ODD_QUESTIONS["markup"]  # shown as typed, not interpreted
    if kind == "long":
        assert len(out["question"]) == MAX_QUESTION_CHARS
        assert any(f"first {MAX_QUESTION_CHARS} characters" in n for n in out["notes"])


def test_a_huge_question_is_cut_with_a_note_on_the_terminal_too(corpus_dir: Path, tmp_path: Path):
    folders = ["--corpus", str(corpus_dir), "--index", str(tmp_path / "index")]
    for question in (LONG_QUESTION, "zebra quasar " * 8000):  # answered, and declined
        started = time.perf_counter()
        proc = run_tutor("ask", question[:100_000], *folders)
        assert proc.returncode == 0, proc.stderr
        assert f"Note: Your question was long, so only its first {MAX_QUESTION_CHARS} characters were read." \
            in proc.stdout
        assert time.perf_counter() - started < 30


def test_undecodable_bytes_on_the_command_line_are_no_crash(corpus_dir: Path, tmp_path: Path):
    import subprocess
    import sys
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    for extra in ([], ["--json"]):
        proc = subprocess.run([sys.executable, "-m", "tutor", "ask", b"Who invented the spinning jenny \xff\xfe?",
                               *extra, "--corpus", str(corpus_dir), "--index", str(tmp_path / "index")],
                              capture_output=True, env=env, timeout=120)
        assert proc.returncode == 0, proc.stderr
        out = proc.stdout.decode("utf-8")  # valid UTF-8: the bad bytes became U+FFFD
        assert "Hargreaves" in out


# -- the index under faults ---------------------------------------------------------------

KILLER = """
import os, signal, sys
import numpy as np
stage, corpus, index = sys.argv[1:4]
if stage == "mid-write":  # the third array file is being written
    real_save, calls = np.save, []
    def save(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            os.kill(os.getpid(), signal.SIGKILL)
        return real_save(*args, **kwargs)
    np.save = save
elif stage == "before-switch":  # the new folder is complete, the pointer not yet switched
    real_replace = os.replace
    def replace(src, dst, **kwargs):
        if str(dst).endswith("CURRENT"):
            os.kill(os.getpid(), signal.SIGKILL)
        return real_replace(src, dst, **kwargs)
    os.replace = replace
from tutor.cli import main
sys.exit(main(["index", "--corpus", corpus, "--index", index]))
"""


@pytest.mark.parametrize("stage", ["mid-write", "before-switch"])
def test_a_build_killed_midway_leaves_the_old_index_and_the_next_run_rebuilds(corpus_dir: Path, tmp_path: Path,
                                                                              stage: str):
    import subprocess
    import sys
    index_dir = tmp_path / "index"
    store.ensure_index(corpus_dir, index_dir)
    before = store.current_folder(index_dir)
    (corpus_dir / "canal.txt").write_text("The Bridgewater Canal opened in 1761 to carry coal.", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-c", KILLER, stage, str(corpus_dir), str(index_dir)],
                          capture_output=True, text=True, timeout=120, cwd=Path(__file__).parent.parent)
    assert proc.returncode == -9, proc.stderr
    assert store.current_folder(index_dir) == before  # the pointer never moved
    assert "bridgewat" not in store.load(index_dir, corpus_dir).term_ids  # the old index, whole
    leftovers = list(index_dir.glob(".build-*")) + [p for p in index_dir.glob("data-*") if p != before]
    assert leftovers  # the killed build did leave something behind...
    out = json.loads(run_tutor("ask", "When did the Bridgewater Canal open?", "--json", "--corpus", str(corpus_dir),
                               "--index", str(index_dir)).stdout)
    assert out["answered"] and "1761" in out["citations"][0]["quote"]  # ...the next run rebuilt
    assert not list(index_dir.glob(".build-*"))  # and cleared the dead build away
    assert len(list(index_dir.glob("data-*"))) <= 2


def test_loads_during_rebuilds_never_see_a_mixture(corpus_dir: Path, tmp_path: Path):
    """One thread rebuilds over and over (the corpus alternating); loads meanwhile are whole or refused."""
    import threading
    index_dir = tmp_path / "index"
    store.ensure_index(corpus_dir, index_dir)
    extra = corpus_dir / "extra.txt"
    stop = threading.Event()
    errors: list[BaseException] = []

    def rebuilder():
        n = 0
        try:
            while not stop.is_set():
                n += 1
                if n % 2:
                    extra.write_text("The Bridgewater Canal opened in 1761 to carry coal. " * (n % 5 + 1),
                                     encoding="utf-8")
                else:
                    extra.unlink(missing_ok=True)
                store.rebuild(corpus_dir, index_dir)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    t = threading.Thread(target=rebuilder)
    t.start()
    whole = refused = 0
    deadline = time.monotonic() + 4
    try:
        while time.monotonic() < deadline:
            try:
                index = store.load(index_dir, corpus_dir)
            except store.IndexDamaged:
                refused += 1  # caught mid-switch: the caller rebuilds or retries, never mixes
                continue
            folder = store.current_folder(index_dir)
            whole += 1
            n_docs = len(index.docs)
            assert n_docs in (3, 4)
            assert int(np.asarray(index.a["passage_doc"]).max()) < n_docs
            has_extra = any(d.rel == "extra.txt" for d in index.docs)
            assert ("bridgewat" in index.term_ids) == has_extra, folder
    finally:
        stop.set()
        t.join(60)
    assert not errors, errors
    assert whole > 0


def test_an_index_folder_that_cannot_be_used_is_one_line_and_exit_2(corpus_dir: Path, tmp_path: Path):
    blocker = tmp_path / "index"
    blocker.write_text("a file where the index folder should be", encoding="utf-8")
    proc = run_tutor("ask", "Who invented the spinning jenny?", "--corpus", str(corpus_dir), "--index", str(blocker))
    assert_clean_error(proc)
    assert proc.stderr.startswith(f"error: cannot use {blocker}")
