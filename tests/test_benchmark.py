"""The scale benchmark runs end to end on a tiny corpus and prints its table.

Timing figures live in the benchmark's output, never in assertions here.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "scale.py"
HAVE_BM25S = all(importlib.util.find_spec(m) for m in ("bm25s", "numba", "Stemmer"))


def _load_script():
    spec = importlib.util.spec_from_file_location("bench_scale", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


scale = _load_script()
ROWS = ["build (s)", "index on disk (MB)", "load (s)", "first query after load (s)", "peak memory, build (MB)",
        "peak memory, queries (MB)", "whole ask p50 (ms): tutor answer", "whole ask p95 (ms): tutor answer",
        "retrieval p50 (ms): tutor scores+rerank", "retrieval p95 (ms): tutor scores+rerank"]
NUMBER = r"\d[\d,]*(?:\.\d+)?"


@pytest.mark.skipif(not scale.DEFAULT_MAKE_CORPUS.exists(), reason="../shared/bench/make_corpus.py not present")
def test_benchmark_prints_its_table_for_a_tiny_corpus(tmp_path):
    cmd = [sys.executable, str(SCRIPT), "--sizes", "20", "--queries", "10", "--out", str(tmp_path)]
    if not HAVE_BM25S:
        cmd.append("--skip-bm25s")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=540, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.startswith("Machine: ")
    assert "### 20 synthetic documents" in out
    assert "| figure | tutor | bm25s | tutor / bm25s |" in out
    for label in ROWS:
        row = next((line for line in out.splitlines() if line.startswith(f"| {label}")), None)
        assert row is not None, f"row {label!r} missing"
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert re.fullmatch(NUMBER, cells[1]), row  # the tutor is always measured
        if HAVE_BM25S and "ask" not in label:
            assert re.fullmatch(NUMBER, cells[2]), row
            assert re.fullmatch(NUMBER + "×", cells[3]), row
    assert "failed" not in proc.stderr and "timed out" not in out
    results = json.loads((tmp_path / "results.json").read_text())
    case = results["cases"][0]
    assert case["tutor_build"]["docs"] == 20
    # Builds are timed without the memory sampler; one more build of each engine samples it.
    assert case["tutor_build"]["tree_peak_mb"] == 0 and case["tutor_memory"]["tree_peak_mb"] > 0
    assert case["tutor_memory"]["docs"] == 20
    if HAVE_BM25S:
        assert case["bm25s_memory"]["peak_mb"] > 0
    assert case["export"]["queries"] == 10
    assert (tmp_path / "results.md").read_text().strip() == out.strip()
    assert not list(ROOT.glob("corpus-*")), "corpora belong under --out, not in the repository"


def test_benchmark_refuses_to_write_into_the_repository():
    with pytest.raises(SystemExit):
        scale.main(["--sizes", "20", "--skip-bm25s", "--out", str(ROOT / "bench-out")])
    assert not (ROOT / "bench-out").exists()


def test_table_shows_missing_figures_and_phase_errors():
    result = {"size": "5000",
              "tutor_build": {"total_s": 12.0, "build_s": 11.5, "save_s": 0.5, "disk_bytes": 2e6, "docs": 5000,
                              "passages": 10, "sentences": 20, "terms": 30, "peak_mb": 400.0, "base_mb": 200.0},
              "bm25s_build": {"total_s": 3.0, "tokenize_s": 2.0, "index_s": 0.9, "save_s": 0.1, "jit_s": 1.0,
                              "disk_bytes": 1e6, "terms": 25, "peak_mb": 300.0, "base_mb": 100.0},
              "tutor_query": {"error": "timed out after 10 s"}}
    text = scale.table(result)
    assert "| build (s): tutor build+save / bm25s tokenize+index+save | 12.0 | 3.000 | 4.00× |" in text
    assert "| retrieval p50 (ms): tutor scores+rerank / bm25s tokenize+retrieve | — | — | — |" in text
    assert "| whole ask p50 (ms): tutor answer | — | — | — |" in text
    assert "tutor_query: timed out after 10 s" in text


@pytest.mark.parametrize("values, q, expected", [
    ([5, 1, 4, 2, 3], 50, 3),
    ([5, 1, 4, 2, 3], 100, 5),
    (list(range(1, 101)), 95, 95),
    ([7], 95, 7),
])
def test_percentile_is_nearest_rank(values, q, expected):
    assert scale._percentile(values, q) == expected
