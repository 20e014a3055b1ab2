"""Shared fixtures: a small corpus of our own (not the shipped one) and its index."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tutor.build import build
from tutor.store import ensure_index

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_CORPUS = Path(__file__).resolve().parent / "fixtures" / "corpus"


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    """A fresh, writable copy of the fixture corpus."""
    dest = tmp_path / "corpus"
    shutil.copytree(FIXTURE_CORPUS, dest)
    return dest


@pytest.fixture(scope="session")
def fixture_index(tmp_path_factory):
    """The fixture corpus's index, built once for read-only tests."""
    base = tmp_path_factory.mktemp("fixture")
    corpus = base / "corpus"
    shutil.copytree(FIXTURE_CORPUS, corpus)
    index, _ = ensure_index(corpus, base / "index")
    return index


@pytest.fixture(scope="session")
def shipped_index(tmp_path_factory):
    """The shipped corpus's index (built into a temporary folder, never into index/)."""
    index, _ = ensure_index(ROOT / "corpus", tmp_path_factory.mktemp("shipped") / "index")
    return index


def run_tutor(*args: str, cwd: Path | None = None, stdin: str | None = None, timeout: int = 180):
    """Run the real CLI in a subprocess, as a teacher would; returns CompletedProcess."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "tutor", *args], cwd=cwd or ROOT, input=stdin,
                          capture_output=True, text=True, timeout=timeout, env=env)


def read_corpus(folder: Path):
    """``(documents, skipped files, settings)`` of a corpus folder, as a build reads it."""
    index = build(folder)
    return index.docs, index.skipped, index.info
