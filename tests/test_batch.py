"""Batch and eval files as teachers give them: odd lines, odd encodings, either way in.

Each test runs the real CLI in a subprocess. A bad line of a ``--batch`` file gets its
own error object (the other lines are answered); a bad line of an ``eval`` file stops
the run with a one-line message naming the line, and exit 2.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

GOOD = {"ask": ("question", "Who built the water frame?"),
        "check": ("claim", "Richard Arkwright built the water frame in 1769.")}
DEEP = "[" * 100_000 + "]" * 100_000


@pytest.fixture
def folders(corpus_dir: Path, tmp_path: Path) -> list[str]:
    return ["--corpus", str(corpus_dir), "--index", str(tmp_path / "index")]


def tutor(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """The CLI with raw bytes on standard input (``run_tutor`` sends text)."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run([sys.executable, "-m", "tutor", *args], cwd=ROOT, input=stdin,
                          capture_output=True, timeout=180, env=env)
    proc.stdout, proc.stderr = proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")
    return proc


def batch(command: str, lines: list[str], folders: list[str], tmp_path: Path) -> list[dict]:
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = tutor(command, "--batch", str(path), *folders)
    assert proc.returncode == 0, proc.stderr
    return [json.loads(x) for x in proc.stdout.splitlines()]


def answered(command: str, row: dict) -> bool:
    return row["answered"] if command == "ask" else row["verdict"] == "supported"


def declined(command: str, row: dict) -> bool:
    return row["answered"] is False if command == "ask" else row["verdict"] == "not_found"


@pytest.mark.parametrize("command", ["ask", "check"])
def test_a_deeply_nested_line_gets_its_own_error_and_the_rest_are_answered(command, folders, tmp_path: Path):
    field, text = GOOD[command]
    rows = batch(command, [json.dumps({"id": "a", field: text}), DEEP,
                           '{"id": "deep", "%s": %s}' % (field, DEEP), json.dumps({"id": "b", field: text})],
                 folders, tmp_path)
    assert [r["id"] for r in rows] == ["a", None, None, "b"]
    assert answered(command, rows[0]) and answered(command, rows[3])
    for n, row in [(2, rows[1]), (3, rows[2])]:
        assert declined(command, row) and row["citations"] == []
        assert row["message"].startswith(f"Bad input line {n}:") and "nested too deeply" in row["message"]


@pytest.mark.parametrize("command", ["ask", "check"])
def test_a_line_whose_text_is_not_a_string_keeps_its_id(command, folders, tmp_path: Path):
    field, text = GOOD[command]
    rows = batch(command, [json.dumps({"id": "q7", field: 42}), json.dumps({"id": "q8", field: ["x"]}),
                           '{"id": "q9", "%s": %s}' % (field, "[" * 500 + "]" * 500),
                           json.dumps({"id": "q10", field: None}), json.dumps({"id": "q11", field: text})],
                 folders, tmp_path)
    assert [r["id"] for r in rows] == ["q7", "q8", "q9", "q10", "q11"]
    for n, row in enumerate(rows[:3], start=1):
        assert declined(command, row) and row["message"] == f'Bad input line {n}: "{field}" is not a string'
    assert declined(command, rows[3]) and rows[3]["message"]  # null reads as an empty question
    assert answered(command, rows[4])


ENCODED = {  # the same line, as different editors save it
    "utf-8 with BOM": "\ufeff" + json.dumps({"id": "x", "question": "Who built the water frame in the café?"},
                                            ensure_ascii=False),
    "latin-1": json.dumps({"id": "x", "question": "Who built the water frame in the café?"}, ensure_ascii=False),
}


@pytest.mark.parametrize("encoding", list(ENCODED))
def test_a_batch_file_and_standard_input_read_the_same_bytes_alike(encoding, folders, tmp_path: Path):
    data = (ENCODED[encoding] + "\n").encode("utf-8" if "utf" in encoding else "latin-1")
    path = tmp_path / "batch.jsonl"
    path.write_bytes(data)
    by_path = tutor("ask", "--batch", str(path), *folders)
    by_stdin = tutor("ask", "--batch", "-", *folders, stdin=data)
    for proc in (by_path, by_stdin):
        assert proc.returncode == 0, proc.stderr
        row = json.loads(proc.stdout)
        assert row["id"] == "x" and row["question"] == "Who built the water frame in the café?"
        assert "Arkwright" in row["citations"][0]["quote"]
    assert by_path.stdout == by_stdin.stdout


def test_undecodable_batch_bytes_are_one_clear_error_either_way_in(folders, tmp_path: Path):
    data = b'{"id": "x", "question": "Who built \x81\x8d the water frame?"}\n'  # neither UTF-8 nor Windows-1252
    path = tmp_path / "batch.jsonl"
    path.write_bytes(data)
    for proc in (tutor("ask", "--batch", str(path), *folders), tutor("ask", "--batch", "-", *folders, stdin=data)):
        assert proc.returncode == 2 and proc.stdout == ""
        assert len(proc.stderr.strip().splitlines()) == 1 and "not readable text" in proc.stderr


EVAL_GOOD = {"question": json.dumps({"id": "e1", "question": "Who built the water frame?", "evidence": ["arkwright"]}),
             "claim": json.dumps({"id": "c1", "claim": "Arkwright built the water frame.", "supported": True,
                                  "evidence": ["arkwright"]})}


@pytest.mark.parametrize("kind, bad, what", [
    ("question", {"id": "e2", "question": 5, "evidence": ["arkwright"]}, '"question" is missing or not a string'),
    ("question", {"id": "e2", "question": "Who built the water frame?", "evidence": "some doc"},
     '"evidence" must be a list of strings'),
    ("question", {"id": "e2", "question": "Who built it?", "history": 3, "evidence": []},
     '"history" must be a list of strings'),
    ("question", {"id": "e2", "question": "Who?", "evidence": [], "kind": 4}, '"kind" must be a string'),
    ("question", {"id": "e2", "evidence": ["arkwright"]}, '"question" is missing or not a string'),
    ("claim", {"id": "c2", "claim": 5, "supported": True, "evidence": []}, '"claim" is missing or not a string'),
    ("claim", {"id": "c2", "claim": "Arkwright built it.", "supported": "yes", "evidence": []},
     '"supported" must be true or false'),
    ("question", DEEP, "nested too deeply"),
], ids=["question-number", "evidence-string", "history-number", "kind-number", "no-question", "claim-number",
        "supported-string", "deeply-nested"])
def test_a_badly_shaped_eval_line_is_named_and_exits_2(kind, bad, what, folders, tmp_path: Path):
    path = tmp_path / "eval.jsonl"
    path.write_text(EVAL_GOOD[kind] + "\n\n" + (bad if isinstance(bad, str) else json.dumps(bad)) + "\n",
                    encoding="utf-8")
    proc = tutor("eval", str(path), *folders)
    assert proc.returncode == 2 and proc.stdout == "", proc.stdout + proc.stderr
    assert proc.stderr.strip() == f"error: tutor eval: {path}, line 3: {what}"
