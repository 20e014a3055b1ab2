#!/usr/bin/env python3
"""Scale benchmark: the tutor's engine side by side with bm25s (issue 6).

    python benchmarks/scale.py --sizes shipped,1000,5000,20000 --queries 200 --out /tmp/tutor-bench

For each corpus (``shipped`` is ``corpus/``; a number N is a synthetic corpus written by
``../shared/bench/make_corpus.py OUT --docs N``) every phase runs in a fresh Python
process, so that its peak memory (``ru_maxrss``) is its own:

- tutor build: ``tutor.build.build`` + ``tutor.store.save``;
- tutor load: ``tutor.store.load`` (as ``ensure_index`` calls it, checksums verified),
  then the first whole answer on the loaded index (arrays are memory-mapped, so the
  first query pays for what loading deferred);
- tutor queries, after a short warm-up, three loops over the same queries: ``understand``;
  retrieval on the understood queries, the step ``tutor.answer.answer`` runs to rank
  passages (``scores`` then ``rerank`` of its ``CANDIDATE_PASSAGES``), timed back to
  back as bm25s's loop runs, before any whole answer of the same question; and the
  main figure, the whole ``answer`` (what ``tutor ask`` does);
- bm25s build: ``bm25s.tokenize`` (English stop words, PyStemmer) + ``BM25.index`` +
  ``save`` on the tutor's own passages (``index.passage_text(i)``), numba backend, JIT
  warmed up on a few passages first;
- each build once more (``tutor_memory``, ``bm25s_memory``) for its peak memory, sampled
  by ``TreeMemory``: a sample reads every process's ``smaps_rollup``, which costs the
  sampler about 5 ms of CPU per process, so build times come from runs without it (on
  two cores the tutor's three busy processes would pay for it in wall time, bm25s's one
  process not);
- bm25s load: ``BM25.load(mmap=True)``, then its first query (which includes numba's JIT);
- bm25s queries: tokenize + ``retrieve(k=5)`` per query, one thread, after a warm-up.

Queries are the same for both engines: for a synthetic corpus, ``--queries`` runs of 3-6
consecutive content words drawn from its passages with a fixed seed; for the shipped
corpus, the questions of ``../shared/eval/questions.jsonl``.

Prints one Markdown table per corpus (tutor, bm25s, tutor / bm25s) and the machine, and
writes ``results.md`` and ``results.json`` under ``--out``. Corpora are generated into
``--out`` (reused when already there), never into the repository.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import importlib.util
import json
import math
import os
import platform
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from functools import partial
from pathlib import Path
from types import SimpleNamespace

REPO = Path(__file__).resolve().parent.parent
DEFAULT_MAKE_CORPUS = REPO.parent / "shared" / "bench" / "make_corpus.py"
DEFAULT_QUESTIONS = REPO.parent / "shared" / "eval" / "questions.jsonl"
QUERY_SEED = 6
WARMUP = 5
MIN_TIMED = 20  # queries timed even when they overrun --query-budget
K = 5


# -- helpers shared by the phases --------------------------------------------------------------

def _peak_mb() -> float:
    """This process's peak resident memory in MiB.

    ``getrusage`` keeps the parent's peak across ``fork`` + ``exec`` on Linux, so the
    per-address-space high-water mark ``VmHWM`` is read first; the driver imports
    nothing heavy, so the two agree to within a few MiB.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def _pss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _descendants(pid: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


class TreeMemory(threading.Thread):
    """Peak memory of this process and its descendants (a build's worker processes).

    Sums the proportional set size (PSS, shared pages split between the processes that
    share them), sampled every ``interval`` seconds; 0 where ``/proc`` is missing.
    """

    def __init__(self, interval: float = 0.25):
        super().__init__(daemon=True)
        self.interval, self.peak_mb, self.max_processes = interval, 0.0, 1
        self._done = threading.Event()

    def sample(self) -> None:
        pids = [os.getpid(), *_descendants(os.getpid())]
        self.max_processes = max(self.max_processes, len(pids))
        self.peak_mb = max(self.peak_mb, sum(_pss_mb(p) for p in pids))

    def run(self) -> None:
        while not self._done.wait(self.interval):
            self.sample()

    def __enter__(self) -> "TreeMemory":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self.join()
        self.sample()


def _dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (no interpolation), ``q`` in [0, 100]."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q * len(ordered) / 100)))
    return ordered[rank - 1]


def _latency(values: list[float]) -> dict:
    return {"p50_ms": 1000 * _percentile(values, 50), "p95_ms": 1000 * _percentile(values, 95),
            "mean_ms": 1000 * statistics.fmean(values), "n": len(values)}


def _within_budget(queries: list, budget: float):
    """The queries in order, stopping once ``budget`` seconds have passed (after at least MIN_TIMED)."""
    start = time.perf_counter()
    for n, q in enumerate(queries):
        if n >= MIN_TIMED and time.perf_counter() - start > budget:
            return
        yield q


def _read_jsonl(path: Path) -> list:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _write_jsonl(path: Path, rows) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


# -- phases (each runs in its own process) ----------------------------------------------------

def _sampled(memory: bool):
    """``TreeMemory`` for a phase that measures peak memory; for a timed one, nothing
    (its ``peak_mb`` stays 0 and ``max_processes`` 1)."""
    return TreeMemory() if memory else contextlib.nullcontext(TreeMemory())


def _tutor():
    """The tutor's build, save and load: ``tutor.build`` and ``tutor.store``, or, in a
    checkout from before they were split out, ``tutor.index`` (so that one script times
    both sides of that change)."""
    try:
        from tutor import build, store
        return SimpleNamespace(build=build.build, save=store.save, load=store.load)
    except ImportError:
        from tutor import index as ix
        return SimpleNamespace(build=ix.build, save=ix.save, load=ix.load)


def phase_tutor_build(a, memory: bool = False) -> dict:
    """Build and save (timed, or with ``memory`` its peak memory sampled); ``--start`` says
    how: from the main thread (the command line) or from a background thread (the app,
    whose worker processes start afresh rather than by fork)."""
    ix = _tutor()
    base = _peak_mb()
    shutil.rmtree(a.index, ignore_errors=True)
    with _sampled(memory) as tree:
        t0 = time.perf_counter()
        if a.start == "thread":
            built = {}
            thread = threading.Thread(target=lambda: built.update(index=ix.build(a.corpus)))
            thread.start()
            thread.join()
            index = built["index"]
        else:
            index = ix.build(a.corpus)
        t1 = time.perf_counter()
        folder = ix.save(index, a.index)
        t2 = time.perf_counter()
    return {"build_s": t1 - t0, "save_s": t2 - t1, "total_s": t2 - t0, "disk_bytes": _dir_bytes(folder),
            "docs": len(index.docs), "passages": index.n_passages, "sentences": index.n_sentences,
            "terms": index.n_terms, "base_mb": base, "peak_mb": max(_peak_mb(), tree.peak_mb),
            "main_peak_mb": _peak_mb(), "tree_peak_mb": tree.peak_mb, "processes": tree.max_processes,
            "children_maxrss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def phase_export(a) -> dict:
    """Write the tutor's passages and the queries, for bm25s and the query phases."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    ix = _tutor()
    index = ix.load(a.index, a.corpus, verify=False)
    passages = [index.passage_text(i) for i in range(index.n_passages)]
    _write_jsonl(a.work / "passages.jsonl", passages)
    if a.questions:
        queries = [{"question": q["question"], "history": q.get("history", [])} for q in _read_jsonl(a.questions)]
    else:
        rng = random.Random(QUERY_SEED)
        queries = []
        while len(queries) < a.queries:
            words = [w for w in re.findall(r"[A-Za-z]+", passages[rng.randrange(len(passages))])
                     if len(w) > 2 and w.lower() not in ENGLISH_STOP_WORDS]
            n = rng.randint(3, 6)
            if len(words) < n:
                continue
            start = rng.randrange(len(words) - n + 1)
            queries.append({"question": " ".join(words[start:start + n]).lower(), "history": []})
    _write_jsonl(a.work / "queries.jsonl", queries)
    return {"words": sum(len(p.split()) for p in passages), "queries": len(queries)}


def phase_tutor_load(a) -> dict:
    ix = _tutor()
    from tutor.answer import answer
    queries = _read_jsonl(a.work / "queries.jsonl")
    base = _peak_mb()
    t0 = time.perf_counter()
    index = ix.load(a.index, a.corpus)
    t1 = time.perf_counter()
    answer(index, queries[0]["question"], queries[0]["history"])
    t2 = time.perf_counter()
    ix.load(a.index, a.corpus, verify=False)
    t3 = time.perf_counter()
    return {"load_s": t1 - t0, "first_query_s": t2 - t1, "load_noverify_s": t3 - t2,
            "base_mb": base, "peak_mb": _peak_mb()}


def phase_tutor_query(a) -> dict:
    """Three loops over the same queries, each timed on its own: ``understand`` (which
    sets how many queries fit the budget); retrieval on the understood queries as
    ``answer`` runs it (``scores``, then ``rerank`` of ``max(K, CANDIDATE_PASSAGES)``
    passages), back to back as bm25s's loop runs; the whole ``answer``, the path
    ``tutor ask`` takes. Retrieval runs before any whole answer of the same question,
    so what the engine remembers per word (concepts) is warm only from other
    questions, as in a class; and it is not timed between two whole answers, which
    would leave caches cold."""
    ix = _tutor()
    from tutor.answer import CANDIDATE_PASSAGES, answer
    from tutor.query import understand
    from tutor.retrieval import rerank, scores
    queries = _read_jsonl(a.work / "queries.jsonl")
    index = ix.load(a.index, a.corpus, verify=False)
    for q in queries[:WARMUP]:
        answer(index, q["question"], q["history"])
    timed, t_under, understood = [], [], []
    for q in _within_budget(queries, a.query_budget):
        t0 = time.perf_counter()
        understood.append(understand(index, q["question"], q["history"]))
        t_under.append(time.perf_counter() - t0)
        timed.append(q)
    t_retrieval = []
    for query in understood:
        t0 = time.perf_counter()
        p_scores, _ = scores(index, query)
        rerank(index, query, p_scores, max(K, CANDIDATE_PASSAGES))
        t_retrieval.append(time.perf_counter() - t0)
    t_answer, answered = [], 0
    for q in timed:
        t0 = time.perf_counter()
        ans = answer(index, q["question"], q["history"], k=K)
        t_answer.append(time.perf_counter() - t0)
        answered += ans.answered
    return {"understand": _latency(t_under), "retrieval": _latency(t_retrieval), "ask": _latency(t_answer),
            "answered": answered, "peak_mb": _peak_mb()}


def _bm25s_tokenize(texts, stemmer):
    import bm25s
    return bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False)


def phase_bm25s_build(a, memory: bool = False) -> dict:
    import bm25s
    import Stemmer
    passages = _read_jsonl(a.work / "passages.jsonl")
    stemmer = Stemmer.Stemmer("english")
    t0 = time.perf_counter()
    warm = bm25s.BM25(backend="numba")  # compiles the numba index builder once
    warm.index(_bm25s_tokenize(passages[:50], stemmer), show_progress=False)
    jit_s = time.perf_counter() - t0
    base = _peak_mb()
    shutil.rmtree(a.bm25s, ignore_errors=True)
    with _sampled(memory) as tree:
        t0 = time.perf_counter()
        tokens = _bm25s_tokenize(passages, stemmer)
        t1 = time.perf_counter()
        retriever = bm25s.BM25(backend="numba")
        retriever.index(tokens, show_progress=False)
        t2 = time.perf_counter()
        retriever.save(a.bm25s, show_progress=False)
        t3 = time.perf_counter()
    return {"tokenize_s": t1 - t0, "index_s": t2 - t1, "save_s": t3 - t2, "total_s": t3 - t0, "jit_s": jit_s,
            "disk_bytes": _dir_bytes(Path(a.bm25s)), "terms": len(retriever.vocab_dict),
            "base_mb": base, "peak_mb": max(_peak_mb(), tree.peak_mb), "processes": tree.max_processes}


def _bm25s_query(retriever, stemmer, text: str):
    import bm25s
    tokens = bm25s.tokenize([text], stopwords="en", stemmer=stemmer, return_ids=False, show_progress=False)
    if not any(t in retriever.vocab_dict for t in tokens[0]):
        return None  # bm25s refuses a query with no known word; the tutor returns no hits
    return retriever.retrieve(tokens, k=min(K, retriever.scores["num_docs"]), show_progress=False, n_threads=1)


def phase_bm25s_load(a) -> dict:
    import bm25s
    import Stemmer
    queries = _read_jsonl(a.work / "queries.jsonl")
    stemmer = Stemmer.Stemmer("english")
    base = _peak_mb()
    t0 = time.perf_counter()
    retriever = bm25s.BM25.load(a.bm25s, mmap=True)
    t1 = time.perf_counter()
    _bm25s_query(retriever, stemmer, queries[0]["question"])
    t2 = time.perf_counter()
    return {"load_s": t1 - t0, "first_query_s": t2 - t1, "base_mb": base, "peak_mb": _peak_mb()}


def phase_bm25s_query(a) -> dict:
    import bm25s
    import Stemmer
    queries = _read_jsonl(a.work / "queries.jsonl")
    stemmer = Stemmer.Stemmer("english")
    retriever = bm25s.BM25.load(a.bm25s, mmap=True)
    for q in queries[:WARMUP]:
        _bm25s_query(retriever, stemmer, q["question"])
    times = []
    for q in _within_budget(queries, a.query_budget):
        t0 = time.perf_counter()
        _bm25s_query(retriever, stemmer, q["question"])
        times.append(time.perf_counter() - t0)
    return {"retrieval": _latency(times), "peak_mb": _peak_mb()}


PHASES = {
    "tutor_build": phase_tutor_build, "tutor_memory": partial(phase_tutor_build, memory=True),
    "export": phase_export, "tutor_load": phase_tutor_load, "tutor_query": phase_tutor_query,
    "bm25s_build": phase_bm25s_build, "bm25s_memory": partial(phase_bm25s_build, memory=True),
    "bm25s_load": phase_bm25s_load, "bm25s_query": phase_bm25s_query,
}


# -- the driver --------------------------------------------------------------------------------

def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or cpu
    ram_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram_gb = int(line.split()[1]) / 1024 ** 2
    except OSError:
        pass
    versions = {}
    for dist in ("numpy", "scipy", "scikit-learn", "nltk", "bm25s", "numba", "PyStemmer"):
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            pass
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gb": ram_gb, "python": platform.python_version(),
            "os": platform.platform(), "versions": versions}


def run_phase(name: str, work: Path, corpus: Path, questions: Path | None, a) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--phase", name, "--work", str(work),
           "--corpus", str(corpus), "--queries", str(a.queries), "--query-budget", str(a.query_budget)]
    if questions:
        cmd += ["--questions", str(questions)]
    timeout = a.timeout
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    wall = time.perf_counter() - t0
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"exit {proc.returncode}: {tail}"}
    return {**json.loads(lines[-1]), "wall_s": wall}


def prepare_corpus(size: str, out: Path, make_corpus: Path) -> Path:
    if size == "shipped":
        return REPO / "corpus"
    n = int(size)
    corpus = out / f"corpus-{n}"
    done = out / f"corpus-{n}.done"
    if not done.exists():
        if not make_corpus.exists():
            sys.exit(f"corpus generator not found: {make_corpus} (use --make-corpus)")
        shutil.rmtree(corpus, ignore_errors=True)
        subprocess.run([sys.executable, str(make_corpus), str(corpus), "--docs", str(n)], check=True)
        done.write_text("")
    return corpus


def run_case(size: str, a) -> dict:
    corpus = prepare_corpus(size, a.out, a.make_corpus)
    work = a.out / f"run-{size}"
    work.mkdir(parents=True, exist_ok=True)
    questions = (a.questions or DEFAULT_QUESTIONS) if size == "shipped" else None
    r: dict = {"size": size, "corpus": str(corpus)}

    def phase(name):
        print(f"  {size}: {name} ...", file=sys.stderr, flush=True)
        load_before = os.getloadavg()[0]
        r[name] = run_phase(name, work, corpus, questions, a)
        r[name]["loadavg_before"] = load_before
        if "error" in r[name]:
            print(f"  {size}: {name} failed: {r[name]['error']}", file=sys.stderr, flush=True)
        return "error" not in r[name]

    if phase("tutor_build") and phase("tutor_memory") and phase("export"):
        phase("tutor_load")
        phase("tutor_query")
        if not a.skip_bm25s and phase("bm25s_build") and phase("bm25s_memory"):
            phase("bm25s_load")
            phase("bm25s_query")
    return r


def _fmt(x, unit: str) -> str:
    if x is None:
        return "—"
    if unit == "s":
        return f"{x:.3f}" if x < 10 else f"{x:.1f}"
    if unit == "n":
        return str(x)
    if unit == "ms":
        return f"{x:.2f}" if x < 10 else f"{x:.1f}"
    return f"{x:.0f}" if x >= 10 else f"{x:.1f}"


def table(r: dict) -> str:
    def get(phase, *keys):
        v = r.get(phase) or {}
        for k in keys:
            if not isinstance(v, dict) or k not in v:
                return None
            v = v[k]
        return v

    mb = lambda b: None if b is None else b / 1e6  # noqa: E731
    rows = [
        ("build (s): tutor build+save / bm25s tokenize+index+save", "s",
         get("tutor_build", "total_s"), get("bm25s_build", "total_s")),
        ("index on disk (MB)", "MB", mb(get("tutor_build", "disk_bytes")), mb(get("bm25s_build", "disk_bytes"))),
        ("load (s)", "s", get("tutor_load", "load_s"), get("bm25s_load", "load_s")),
        ("first query after load (s)", "s", get("tutor_load", "first_query_s"), get("bm25s_load", "first_query_s")),
        ("peak memory, build (MB)", "MB", get("tutor_memory", "peak_mb"), get("bm25s_memory", "peak_mb")),
        ("peak memory, load + first query (MB)", "MB", get("tutor_load", "peak_mb"), get("bm25s_load", "peak_mb")),
        ("peak memory, queries (MB)", "MB", get("tutor_query", "peak_mb"), get("bm25s_query", "peak_mb")),
        ("whole ask p50 (ms): tutor answer", "ms", get("tutor_query", "ask", "p50_ms"), None),
        ("whole ask p95 (ms): tutor answer", "ms", get("tutor_query", "ask", "p95_ms"), None),
        ("retrieval p50 (ms): tutor scores+rerank / bm25s tokenize+retrieve", "ms",
         get("tutor_query", "retrieval", "p50_ms"), get("bm25s_query", "retrieval", "p50_ms")),
        ("retrieval p95 (ms): tutor scores+rerank / bm25s tokenize+retrieve", "ms",
         get("tutor_query", "retrieval", "p95_ms"), get("bm25s_query", "retrieval", "p95_ms")),
        ("understand (spelling, follow-up) p95 (ms)", "ms", get("tutor_query", "understand", "p95_ms"), None),
        ("queries timed", "n", get("tutor_query", "retrieval", "n"), get("bm25s_query", "retrieval", "n")),
    ]
    name = "shipped corpus" if r["size"] == "shipped" else f"{int(r['size']):,} synthetic documents"
    facts = [f"{get('tutor_build', 'docs') or '?'} docs", f"{get('export', 'words') or 0:,} words",
             f"{get('tutor_build', 'passages') or '?'} passages", f"{get('tutor_build', 'sentences') or '?'} sentences",
             f"{get('tutor_build', 'terms') or '?'} tutor terms", f"{get('bm25s_build', 'terms') or '?'} bm25s terms",
             f"{get('export', 'queries') or '?'} queries"]
    lines = [f"### {name}", "", ", ".join(facts), "",
             "| figure | tutor | bm25s | tutor / bm25s |", "|---|---:|---:|---:|"]
    for label, unit, t, b in rows:
        ratio = f"{t / b:.2f}×" if t is not None and b and unit != "n" else "—"
        lines.append(f"| {label} | {_fmt(t, unit)} | {_fmt(b, unit)} | {ratio} |")
    notes = []
    for p in PHASES:
        if isinstance(r.get(p), dict) and "error" in r[p]:
            notes.append(f"- {p}: {r[p]['error']}")
    if get("tutor_build", "build_s") is not None:
        notes.append(f"- tutor build {get('tutor_build', 'build_s'):.2f} s + save {get('tutor_build', 'save_s'):.2f} s; "
                     f"load without checksums {get('tutor_load', 'load_noverify_s') or 0:.3f} s; "
                     f"{get('tutor_query', 'answered') or 0} of {get('tutor_query', 'retrieval', 'n') or 0} timed questions answered")
    if get("tutor_memory", "total_s") is not None:
        notes.append("- build times are from builds without the memory sampler; peak memory, from one more build "
                     f"of each engine with it (there, tutor {get('tutor_memory', 'total_s'):.2f} s"
                     + (f", bm25s {get('bm25s_memory', 'total_s'):.2f} s" if get("bm25s_memory", "total_s") else "")
                     + ")")
    if (get("tutor_memory", "processes") or 1) > 1:
        notes.append(f"- the tutor's build ran {get('tutor_memory', 'processes')} processes: its peak memory is the "
                     f"largest sampled sum of their PSS ({get('tutor_memory', 'tree_peak_mb'):.0f} MB; the main process "
                     f"alone peaked at {get('tutor_memory', 'main_peak_mb'):.0f} MB RSS)")
    if get("bm25s_build", "total_s") is not None:
        notes.append(f"- bm25s tokenize {get('bm25s_build', 'tokenize_s'):.2f} s + index {get('bm25s_build', 'index_s'):.2f} s"
                     f" + save {get('bm25s_build', 'save_s'):.2f} s (JIT warm-up {get('bm25s_build', 'jit_s'):.1f} s excluded)")
    loads = [r[p]["loadavg_before"] for p in PHASES if isinstance(r.get(p), dict) and "loadavg_before" in r[p]]
    if loads:
        notes.append(f"- 1-minute load average before a phase: at most {max(loads):.1f} "
                     "(each phase uses one core; more means other work shared the machine)")
    return "\n".join(lines + ([""] + notes if notes else []))


def machine_line(m: dict) -> str:
    v = ", ".join(f"{k} {x}" for k, x in m["versions"].items())
    ram = f"{m['ram_gb']:.0f} GB RAM" if m["ram_gb"] else "RAM unknown"
    return f"Machine: {m['cpu']}, {m['cores']} cores, {ram}, Python {m['python']} ({m['os']}); {v}."


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="shipped,1000,5000,20000",
                    help="comma-separated: 'shipped' and/or numbers of synthetic documents")
    ap.add_argument("--queries", type=int, default=200, help="queries drawn from each synthetic corpus")
    ap.add_argument("--out", type=Path, default=Path("/tmp/tutor-bench"), help="work folder (corpora, indexes, results)")
    ap.add_argument("--skip-bm25s", action="store_true", help="measure the tutor only")
    ap.add_argument("--query-budget", type=float, default=120,
                    help=f"seconds of timed queries per engine and corpus (at least {MIN_TIMED} queries are timed)")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds allowed for each phase")
    ap.add_argument("--make-corpus", type=Path, default=DEFAULT_MAKE_CORPUS)
    ap.add_argument("--questions", type=Path, help=f"questions for the shipped corpus (default {DEFAULT_QUESTIONS})")
    ap.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    ap.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--start", choices=("main", "thread"), default="main", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)

    if a.phase:
        a.index = a.work / "tutor-index"
        a.bm25s = str(a.work / "bm25s-index")
        print(json.dumps(PHASES[a.phase](a)))
        return

    if not a.skip_bm25s:  # find_spec, not import: the driver stays small (see _peak_mb)
        missing = [m for m in ("bm25s", "numba", "Stemmer") if importlib.util.find_spec(m) is None]
        if missing:
            sys.exit(f"{', '.join(missing)} missing: pip install -e '.[bench]', or pass --skip-bm25s")
    a.out = a.out.resolve()
    if a.out == REPO or REPO in a.out.parents:
        sys.exit("--out must lie outside the repository")
    a.out.mkdir(parents=True, exist_ok=True)
    m = machine()
    results = []
    for size in [s.strip() for s in a.sizes.split(",") if s.strip()]:
        results.append(run_case(size, a))
        (a.out / "results.json").write_text(json.dumps({"machine": m, "cases": results}, indent=1))
    report = "\n\n".join([machine_line(m)] + [table(r) for r in results])
    (a.out / "results.md").write_text(report + "\n", encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
