"""The command line as teachers and scripts use it, through a real subprocess."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_tutor

SHARED_QUESTIONS = ROOT.parent / "shared" / "eval" / "questions.jsonl"


@pytest.fixture
def folders(corpus_dir: Path, tmp_path: Path) -> list[str]:
    return ["--corpus", str(corpus_dir), "--index", str(tmp_path / "index")]


def assert_verbatim(obj: dict) -> None:
    for c in obj["citations"]:
        text = Path(c["path"]).read_text(encoding="utf-8-sig")
        assert text[c["start"]:c["end"]] == c["quote"]
    for p in obj.get("passages", []):
        text = Path(p["path"]).read_text(encoding="utf-8-sig")
        assert text[p["start"]:p["end"]] == p["text"]


def assert_clean_error(proc, code: int = 2) -> None:
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_ask_json_has_the_contract_shape(folders):
    proc = run_tutor("ask", "Who invented the spinning jenny?", "--json", *folders)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) >= {"question", "answered", "answer", "citations", "passages", "message"}
    assert out["answered"] is True and out["message"] is None
    first = out["citations"][0]
    assert set(first) >= {"n", "quote", "doc_id", "title", "path", "start", "end"}
    assert "Hargreaves" in first["quote"] and first["n"] == 1
    assert f"“{first['quote']}” [1]" in out["answer"]
    assert [p["rank"] for p in out["passages"]] == list(range(1, len(out["passages"]) + 1))
    assert len(out["passages"]) <= 5
    assert_verbatim(out)


def test_ask_for_a_person_prints_quotes_then_numbered_sources(folders):
    proc = run_tutor("ask", "What did James Watt improve?", *folders)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "“" in out and "[1]" in out
    sources = out.split("Sources:")[1]
    assert "[1] Steam and Cotton — Test Author, 2020" in sources
    assert "¶" in sources and "line" in sources


def test_top_k_limits_the_passages(folders):
    out = json.loads(run_tutor("ask", "steam engine coal mills", "--json", "--top-k", "2", *folders).stdout)
    assert len(out["passages"]) == 2


def test_batch_keeps_order_and_ids_and_survives_bad_lines(folders, tmp_path: Path):
    lines = [
        {"id": "a", "question": "Who built the water frame?"},
        "this is not json",
        {"id": 7, "question": "What is the capital of France?"},
        {"id": "c", "question": "How big was it?", "history": ["What was Manchester?"]},
        {"id": "d", "question": ""},
    ]
    batch = tmp_path / "batch.jsonl"
    batch.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    proc = run_tutor("ask", "--batch", str(batch), *folders)
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r.get("id") for r in rows] == ["a", None, 7, "c", "d"]
    assert rows[0]["answered"] and "Arkwright" in rows[0]["citations"][0]["quote"]
    assert rows[1]["answered"] is False and "line 2" in rows[1]["message"]
    assert rows[2]["answered"] is False and rows[2]["message"]
    assert rows[4]["answered"] is False
    for r in rows:
        assert_verbatim(r)


def test_batch_reads_standard_input(folders):
    stdin = json.dumps({"id": "x", "question": "When did the railway open?"}) + "\n"
    proc = run_tutor("ask", "--batch", "-", *folders, stdin=stdin)
    row = json.loads(proc.stdout)
    assert row["id"] == "x" and "1830" in row["citations"][0]["quote"]


def test_history_changes_the_answer_to_a_follow_up(folders):
    alone = json.loads(run_tutor("ask", "How big was it?", "--json", *folders).stdout)
    followed = json.loads(run_tutor("ask", "How big was it?", "--json", "--history", "Tell me about Manchester",
                                    *folders).stdout)
    assert followed["interpreted_as"] == "How big was Manchester?"
    assert followed["answered"] and "population of Manchester" in followed["citations"][0]["quote"]
    assert not alone["answered"]


def test_misspelling_is_fixed_and_reported(folders):
    out = json.loads(run_tutor("ask", "who invented the spinnig jeny", "--json", *folders).stdout)
    assert out["interpreted_as"] == "who invented the spinning jenny"
    assert "Hargreaves" in out["citations"][0]["quote"]


def test_an_empty_question_is_answered_false_not_an_error(folders):
    for q in ["", "   ", "?!"]:
        proc = run_tutor("ask", q, "--json", *folders)
        assert proc.returncode == 0
        out = json.loads(proc.stdout)
        assert out["answered"] is False and out["message"] and out["citations"] == []


@pytest.mark.parametrize("args", [
    ["ask"],
    ["ask", "x", "--top-k", "0"],
    ["ask", "x", "--top-k", "many"],
    ["ask", "x", "--no-such-flag"],
    ["ask", "x", "--corpus", "/no/such/folder"],
    ["ask", "--batch", "/no/such/file.jsonl"],
    ["check"],
    ["eval", "/no/such/file.jsonl"],
    ["frobnicate"],
])
def test_bad_input_is_one_line_and_exit_2(args, tmp_path: Path):
    proc = run_tutor(*args, "--index", str(tmp_path / "index")) if args[0] in ("ask", "check", "eval") \
        else run_tutor(*args)
    assert_clean_error(proc)


def test_index_reports_documents_and_skipped_files(corpus_dir: Path, tmp_path: Path):
    (corpus_dir / "blank.txt").write_text("\n\n")
    (corpus_dir / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary")
    proc = run_tutor("index", "--corpus", str(corpus_dir), "--index", str(tmp_path / "index"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Indexed 3 documents")
    assert "skipped" in proc.stdout and "blank.txt" in proc.stdout and "photo.txt" in proc.stdout
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_clean_error(run_tutor("index", "--corpus", str(empty), "--index", str(tmp_path / "i2")))
    assert_clean_error(run_tutor("index", "--corpus", str(tmp_path / "missing"), "--index", str(tmp_path / "i3")))


def test_ask_rebuilds_a_stale_index_by_itself(folders, corpus_dir: Path):
    run_tutor("index", *folders)
    (corpus_dir / "canals.txt").write_text("The Bridgewater Canal opened in 1761 to carry coal.", encoding="utf-8")
    out = json.loads(run_tutor("ask", "When did the Bridgewater Canal open?", "--json", *folders).stdout)
    assert "1761" in out["citations"][0]["quote"]


def test_check_verdicts(folders):
    def verdict(claim):
        proc = run_tutor("check", claim, "--json", *folders)
        assert proc.returncode == 0, proc.stderr
        out = json.loads(proc.stdout)
        assert_verbatim(out)
        return out
    supported = verdict("James Watt improved the steam engine in 1776.")
    assert supported["verdict"] == "supported" and "1776" in supported["citations"][0]["quote"]
    conflicting = verdict("James Watt improved the steam engine in 1801.")
    assert conflicting["verdict"] == "conflicting" and "1776" in conflicting["citations"][0]["quote"]
    assert verdict("Volcanoes erupt when magma rises.")["verdict"] == "not_found"


def test_check_batch(folders, tmp_path: Path):
    batch = tmp_path / "claims.jsonl"
    batch.write_text(json.dumps({"id": "k1", "claim": "The Liverpool and Manchester Railway opened in 1830."}) + "\n"
                     + json.dumps({"id": "k2", "claim": "The Liverpool and Manchester Railway opened in 1845."}) + "\n")
    rows = [json.loads(x) for x in run_tutor("check", "--batch", str(batch), *folders).stdout.splitlines()]
    assert [(r["id"], r["verdict"]) for r in rows] == [("k1", "supported"), ("k2", "conflicting")]


def test_eval_prints_figures_and_misses(folders, tmp_path: Path):
    qfile = tmp_path / "q.jsonl"
    qfile.write_text("\n".join(json.dumps(x) for x in [
        {"id": "f1", "question": "Who invented the spinning jenny?", "history": [], "evidence": ["james hargreaves in 1764"], "kind": "factoid"},
        {"id": "f2", "question": "What is the capital of France?", "history": [], "evidence": [], "kind": "offtopic"},
        {"id": "f3", "question": "Who won the Rainhill Trials?", "history": [], "evidence": ["no such words anywhere"], "kind": "factoid"},
    ]) + "\n")
    proc = run_tutor("eval", str(qfile), *folders)
    assert proc.returncode == 0, proc.stderr
    for figure in ["hit@1", "hit@3", "answer@1", "declined", "wrongly_declined", "By kind", "Misses (1)"]:
        assert figure in proc.stdout
    data = json.loads(run_tutor("eval", str(qfile), "--json", *folders).stdout)
    assert data["figures"]["answer@1"] == pytest.approx(0.5)
    assert data["figures"]["declined"] == "1/1"
    assert [f["id"] for f in data["failures"]] == ["f3"]


def test_python_dash_m_and_the_console_script_agree(folders):
    assert shutil.which("tutor"), "the console script is not installed (pip install -e .)"
    import subprocess
    a = subprocess.run(["tutor", "ask", "Who built Rocket?", "--json", *folders], capture_output=True, text=True)
    b = run_tutor("ask", "Who built Rocket?", "--json", *folders)
    assert a.returncode == 0 and json.loads(a.stdout) == json.loads(b.stdout)


def test_every_command_is_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for command in ["tutor index", "tutor ask", "tutor check", "tutor eval", "tutor study", "tutor serve", "--batch",
                    "--history", "--json"]:
        assert command in readme, command


@pytest.mark.skipif(not SHARED_QUESTIONS.is_file(), reason="shared/eval is not beside this checkout")
def test_the_development_questions_are_all_answered_verbatim(tmp_path: Path):
    proc = run_tutor("ask", "--batch", str(SHARED_QUESTIONS), "--corpus", str(ROOT / "corpus"),
                     "--index", str(tmp_path / "index"))
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(x) for x in proc.stdout.splitlines()]
    ids = [json.loads(x)["id"] for x in SHARED_QUESTIONS.read_text().splitlines() if x.strip()]
    assert [r["id"] for r in rows] == ids
    for r in rows:
        assert_verbatim(r)
        assert r["answered"] or r["message"]


def test_serve_starts_the_app_and_prints_only_the_addresses_a_class_uses(corpus_dir, tmp_path):
    import subprocess
    import sys
    import urllib.request

    from tests.browsing import free_port

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "tutor", "serve", "--port", str(port), "--corpus", str(corpus_dir),
                             "--index", str(tmp_path / "index")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        lines = []
        while not lines or not lines[-1].startswith("Press Ctrl+C"):
            line = proc.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
        assert lines[0].strip() == "The tutor is running."
        assert f"http://localhost:{port}" in lines[1]
        text = "".join(lines)
        assert "streamlit" not in text.lower() and "external ip" not in text.lower() and "https://" not in text
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=10) as r:
            assert r.read() == b"ok"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    with pytest.raises(OSError):  # stopped with it: no server left behind
        urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)


def test_a_student_asking_with_an_acronym_is_answered_about_what_it_stands_for(tmp_path):
    r = run_tutor("ask", "--json", "what was the CCP?", "--corpus", str(ROOT / "corpus"), "--index", str(tmp_path / "ix"))
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["interpreted_as"] == "what was the Chinese Communist Party?"
    assert "Chinese Communist Party" in out["citations"][0]["quote"]
