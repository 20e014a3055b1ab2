"""Re-run issue 24's probe of the command line and print one row per case.

    python benchmarks/probe.py [--repo DIR]

Each case sets up a fresh copy of the shipped corpus in a temporary folder, does what
a teacher or a script did when the probe found the fault, and prints what happened:
exit codes, what was quoted, how many lines came back. ``--repo`` runs another
checkout's ``python -m tutor`` (to compare with an older commit). The app's cases
(upload after sign-in, the passcode lockout, the upload limit) are browser tests:
``python -m pytest tests/test_browser_teacher.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FAMINE = "How many people died in the famine?"


class Probe:
    def __init__(self, repo: Path, work: Path):
        self.repo, self.work = repo, work

    def corpus(self, name: str) -> tuple[Path, Path]:
        corpus = self.work / name / "corpus"
        shutil.copytree(ROOT / "corpus", corpus)
        return corpus, self.work / name / "index"

    def tutor(self, *args, stdin: bytes | None = None, corpus=None, index=None) -> subprocess.CompletedProcess:
        if corpus is None:  # the scripts' cases: any corpus will do
            corpus, index = self.work / "shipped" / "corpus", self.work / "shipped" / "index"
            if not corpus.exists():
                shutil.copytree(ROOT / "corpus", corpus)
        where = ["--corpus", str(corpus), "--index", str(index)]
        env = {**os.environ, "PYTHONPATH": str(self.repo)}
        return subprocess.run([sys.executable, "-m", "tutor", *args, *where], input=stdin,
                              capture_output=True, env=env, cwd=self.work, timeout=600)


def _said(run: subprocess.CompletedProcess) -> str:
    err = run.stderr.decode(errors="replace").strip().splitlines()
    return f"exit {run.returncode}" + (f", stderr: {err[-1][:90]}" if err else "")


def _answer(run: subprocess.CompletedProcess) -> str:
    try:
        out = json.loads(run.stdout)
    except ValueError:
        return _said(run)
    quotes = [Path(c["path"]).name for c in out.get("citations", [])]
    return f"{_said(run)}, answered from {', '.join(dict.fromkeys(quotes)) or 'nothing'}"


def symlink_outside(p: Probe) -> str:
    corpus, index = p.corpus("symlink")
    (corpus / "zz-notes.txt").symlink_to("/etc/passwd")
    said = p.tutor("index", corpus=corpus, index=index).stdout.decode()
    skip = next((ln.split(": ", 1)[-1] for ln in said.splitlines() if "zz-notes" in ln), "not skipped")
    run = p.tutor("ask", "root:x:0:0:root:/root:/bin/bash", "--json", corpus=corpus, index=index)
    return f"tutor index: {skip}; ask: {_answer(run)}"


def manifest_shapes(p: Probe) -> str:
    seen = []
    for shape in ("[]", "null", '"x"', '{"documents": 5}', "[" * 20000 + "]" * 20000):
        corpus, index = p.corpus(f"manifest-{len(seen)}")
        p.tutor("index", corpus=corpus, index=index)
        folder = index / (index / "CURRENT").read_text().strip()
        (folder / "manifest.json").write_text(shape)
        seen.append(f"{shape[:6]}: {_answer(p.tutor('ask', FAMINE, '--json', corpus=corpus, index=index))}")
    return "; ".join(seen)


def current_is_a_folder(p: Probe) -> str:
    corpus, index = p.corpus("current")
    p.tutor("index", corpus=corpus, index=index)
    (index / "CURRENT").unlink()
    (index / "CURRENT").mkdir()
    return _answer(p.tutor("ask", FAMINE, "--json", corpus=corpus, index=index))


def same_size_edit(p: Probe) -> str:
    corpus, index = p.corpus("same-size")
    p.tutor("index", corpus=corpus, index=index)
    path = next(f for f in sorted(corpus.iterdir()) if b"famine" in f.read_bytes())
    data, st = path.read_bytes(), path.stat()
    path.write_bytes(b"A note. " + data[:-8])  # the same size, every word moved along
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # as cp -p, rsync -a or an archive would
    quotes = [json.loads(p.tutor("ask", FAMINE, "--json", corpus=corpus, index=where).stdout)["citations"]
              for where in (index, p.work / "same-size" / "fresh-index")]
    return "the same quotes as a fresh index" if quotes[0] == quotes[1] else "quotes differ from a fresh index's"


def read_only_stale(p: Probe) -> str:
    corpus, index = p.corpus("read-only")
    p.tutor("index", corpus=corpus, index=index)
    (corpus / "zz-new.txt").write_text("New notes\n\nThe osprey survey counted nine nests.\n")
    ro = p.work / "read-only" / "ro-index"
    ro.mkdir()
    mounted = subprocess.run(["mount", "--bind", "-o", "ro", str(index), str(ro)], capture_output=True)
    if mounted.returncode:
        return "not run: this machine cannot mount a read-only folder"
    try:
        return _answer(p.tutor("ask", FAMINE, "--json", corpus=corpus, index=ro))
    finally:
        subprocess.run(["umount", str(ro)], capture_output=True)


def index_inside_corpus(p: Probe) -> str:
    corpus, _ = p.corpus("inside")
    index = corpus / "index"
    counts = []
    for _ in range(4):
        run = p.tutor("ask", FAMINE, "--json", corpus=corpus, index=index)
        manifest = json.loads((index / (index / "CURRENT").read_text().strip() / "manifest.json").read_text())
        counts.append(str(manifest.get("passages", manifest.get("counts", {}).get("passages", "?"))))
    return f"{_said(run)}, passages after each ask: {' -> '.join(counts)}"


def index_is_corpus(p: Probe) -> str:
    corpus, _ = p.corpus("same")
    runs = [p.tutor("ask", FAMINE, "--json", corpus=corpus, index=corpus) for _ in range(2)]
    return "; ".join(_said(r) for r in runs) + f"; {len(list(corpus.iterdir()))} entries in the corpus folder"


def batch_deep(p: Probe) -> str:
    lines = [json.dumps({"id": "a", "question": FAMINE}), "[" * 100000 + "]" * 100000,
             json.dumps({"id": "b", "question": FAMINE})]
    run = p.tutor("ask", "--batch", "-", stdin="\n".join(lines).encode())
    rows = run.stdout.decode().splitlines()
    return f"{_said(run)}, {len(rows)} output lines for 3 input lines"


def batch_id(p: Probe) -> str:
    run = p.tutor("ask", "--batch", "-", stdin=b'{"id": "q7", "question": 42}\n')
    return f"{_said(run)}, id {json.loads(run.stdout.decode().splitlines()[0]).get('id')!r}"


def batch_encodings(p: Probe) -> str:
    seen = []
    for label, data in (("BOM", b"\xef\xbb\xbf" + json.dumps({"id": "x", "question": FAMINE}).encode()),
                        ("Latin-1", '{"id": "y", "question": "caf\xe9 famine"}'.encode("latin-1"))):
        path = p.work / f"batch-{label}.jsonl"
        path.write_bytes(data + b"\n")
        ways = []
        for way, run in (("path", p.tutor("ask", "--batch", str(path))),
                         ("stdin", p.tutor("ask", "--batch", "-", stdin=data + b"\n"))):
            rows = [json.loads(r) for r in run.stdout.decode(errors="replace").splitlines() if r.strip()]
            ok = run.returncode == 0 and rows and rows[0].get("id") in ("x", "y") and "error" not in rows[0]
            ways.append(f"{way} {'answered' if ok else 'refused'}")
        seen.append(f"{label}: {', '.join(ways)}")
    return "; ".join(seen)


def eval_types(p: Probe) -> str:
    seen = []
    for label, row in (("question 5", {"question": 5}), ("evidence [7]", {"question": FAMINE, "evidence": [7]}),
                       ("evidence string", {"question": FAMINE, "evidence": "xyzzy"})):
        path = p.work / "eval.jsonl"
        path.write_text(json.dumps(row) + "\n")
        run = p.tutor("eval", str(path))
        hit = next((ln for ln in run.stdout.decode().splitlines() if "hit@1" in ln), "")
        seen.append(f"{label}: {_said(run)}{', ' + hit.strip() if hit else ''}")
    return "; ".join(seen)


CASES = [("3 symlink to /etc/passwd", symlink_outside), ("4 manifest of the wrong shape", manifest_shapes),
         ("5 CURRENT is a folder", current_is_a_folder), ("6 same-size edit, time kept", same_size_edit),
         ("7 stale index, read-only folder", read_only_stale), ("8 --index inside --corpus", index_inside_corpus),
         ("8 --index is --corpus", index_is_corpus),
         ("9 deeply nested batch line", batch_deep), ("10 question not a string", batch_id),
         ("11 BOM and Latin-1, path and stdin", batch_encodings), ("12 eval with wrong types", eval_types)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=ROOT, help="the checkout whose tutor to run")
    args = parser.parse_args()
    print("| case | what happened |\n|---|---|")
    for name, case in CASES:
        with tempfile.TemporaryDirectory() as work:
            print(f"| {name} | {case(Probe(args.repo.resolve(), Path(work)))} |", flush=True)


if __name__ == "__main__":
    main()
