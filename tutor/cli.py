"""The ``tutor`` command: index, ask, check, eval (see CONTRACT.md).

Errors a user can fix print one line and exit 2; nothing prints a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tutor import __version__, study
from tutor.answer import answer
from tutor.check import check
from tutor.errors import TutorError
from tutor.evaluate import evaluate, read_lines
from tutor.index import Index
from tutor.store import ensure_index, rebuild
from tutor.inputs import clean, json_object, text_lines
from tutor.render import (answer_for_terminal, answer_json, study_for_terminal, study_json, verdict_for_terminal,
                          verdict_json)
from tutor.study import KINDS


class UsageError(TutorError):
    """A bad command-line argument."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not a usage dump
        raise UsageError(f"{self.prog}: {message} (see '{self.prog} --help')")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="tutor", description="Answer questions with cited quotes from your course documents.")
    p.add_argument("--version", action="version", version=f"tutor {__version__}")
    sub = p.add_subparsers(dest="command", metavar="{index,ask,check,eval,study,serve}", parser_class=_Parser)

    def common(sp):
        sp.add_argument("--corpus", default="corpus", metavar="DIR", help="folder of documents (default: corpus)")
        sp.add_argument("--index", default="index", metavar="DIR", help="where the index is kept (default: index)")

    sp = sub.add_parser("index", help="build the index of the corpus folder")
    common(sp)
    sp = sub.add_parser("ask", help="ask a question; the answer quotes the sources")
    sp.add_argument("question", nargs="?", help="the question (omit with --batch)")
    sp.add_argument("--json", action="store_true", help="print the contract's JSON")
    sp.add_argument("--history", action="append", default=[], metavar="TEXT",
                    help="an earlier question of the conversation (repeat, oldest first)")
    sp.add_argument("--batch", metavar="FILE", help="JSON lines of questions ('-' for standard input)")
    sp.add_argument("--top-k", type=int, default=5, metavar="N", help="how many passages to list (default 5)")
    common(sp)
    sp = sub.add_parser("check", help="check a claim against the sources")
    sp.add_argument("claim", nargs="?", help="the claim (omit with --batch)")
    sp.add_argument("--json", action="store_true", help="print the contract's JSON")
    sp.add_argument("--batch", metavar="FILE", help="JSON lines of claims ('-' for standard input)")
    common(sp)
    sp = sub.add_parser("eval", help="score a question or claim file with known evidence")
    sp.add_argument("file", help="JSON lines in the shape of shared/eval/*.jsonl")
    sp.add_argument("--json", action="store_true", help="print the figures as JSON")
    common(sp)
    sp = sub.add_parser("study", help="study aids from the sources: a quiz, a timeline, key terms, people")
    sp.add_argument("kind", choices=KINDS, help="which study aid")
    sp.add_argument("--json", action="store_true", help="print the contract's JSON")
    sp.add_argument("--count", type=int, metavar="N", help="how many items (default: 10 questions; all else)")
    sp.add_argument("--seed", type=int, default=0, metavar="S", help="another seed, another quiz (default 0)")
    sp.add_argument("--doc", action="append", metavar="DOC_ID", help="only this document (repeat for more)")
    common(sp)
    sp = sub.add_parser("serve", help="start the app for a class and print the addresses to open")
    sp.add_argument("--port", type=int, default=8501, metavar="N", help="the port (default 8501)")
    common(sp)
    return p


def _load(args) -> Index:
    started = time.perf_counter()
    index, rebuilt = ensure_index(args.corpus, args.index)
    if rebuilt:
        print(f"(index built: {len(index.docs)} documents, {index.n_passages} passages, "
              f"{time.perf_counter() - started:.1f} s)", file=sys.stderr)
    if index.unsaved:
        print(f"warning: {index.unsaved}", file=sys.stderr)
    return index


def _batch(lines: list[str], field: str, handle, on_error) -> None:
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        row = {}
        try:
            row = json_object(line)
            if row.get(field) is not None and not isinstance(row[field], str):
                raise ValueError(f"\"{field}\" is not a string")
        except ValueError as exc:
            out = on_error(row.get("id"), f"line {n}: {exc}")
        else:
            out = handle(row)
        print(json.dumps(out, ensure_ascii=False), flush=True)


def _progress_bar():
    """A progress bar on a terminal (tqdm; nothing when output goes to a file or pipe)."""
    from tqdm import tqdm
    bar = tqdm(total=0, unit="doc", desc="Reading documents", disable=None, leave=False, file=sys.stderr)

    def update(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)
        if done == total:
            bar.set_description("Weighing terms and saving")
    return bar, update


def cmd_index(args) -> int:
    started = time.perf_counter()
    bar, update = _progress_bar()
    try:
        index = rebuild(args.corpus, args.index, progress=update)
    finally:
        bar.close()
    print(f"Indexed {len(index.docs)} documents: {index.n_passages} passages, {index.n_sentences} sentences, "
          f"{index.n_terms} terms in {time.perf_counter() - started:.1f} s -> {args.index}")
    for s in index.skipped:
        print(f"skipped {s.path}: {s.reason}")
    return 0


def cmd_ask(args) -> int:
    if args.top_k < 1:
        raise UsageError("tutor ask: --top-k must be at least 1")
    if args.question is None and args.batch is None:
        raise UsageError("tutor ask: give a question, or --batch FILE (see 'tutor ask --help')")
    lines = text_lines(args.batch) if args.batch else None
    index = _load(args)
    if lines is not None:
        def handle(row):
            history = row.get("history") if isinstance(row.get("history"), list) else []
            history = [clean(h) for h in history if isinstance(h, str)]
            return answer_json(index, answer(index, clean(row.get("question") or ""), history, args.top_k),
                               row.get("id"))

        def on_error(id_, msg):
            return {"id": id_, "question": None, "answered": False, "answer": "", "citations": [],
                    "passages": [], "message": f"Bad input {msg}"}
        _batch(lines, "question", handle, on_error)
        return 0
    ans = answer(index, clean(args.question), [clean(h) for h in args.history], args.top_k)
    if args.json:
        print(json.dumps(answer_json(index, ans), ensure_ascii=False, indent=2))
    else:
        text = answer_for_terminal(index, ans)
        if not ans.answered and ans.notes:  # the terminal rendering prints notes only under answers
            text += "".join(f"\nNote: {note}" for note in ans.notes)
        print(text)
    return 0


def cmd_check(args) -> int:
    if args.claim is None and args.batch is None:
        raise UsageError("tutor check: give a claim, or --batch FILE (see 'tutor check --help')")
    lines = text_lines(args.batch) if args.batch else None
    index = _load(args)
    if lines is not None:
        def on_error(id_, msg):
            return {"id": id_, "claim": None, "verdict": "not_found", "citations": [], "message": f"Bad input {msg}"}
        _batch(lines, "claim", lambda row: verdict_json(index, check(index, clean(row.get("claim") or "")),
                                                        row.get("id")), on_error)
        return 0
    v = check(index, clean(args.claim))
    print(json.dumps(verdict_json(index, v), ensure_ascii=False, indent=2) if args.json
          else verdict_for_terminal(index, v))
    return 0


def cmd_eval(args) -> int:
    try:
        rows = read_lines(args.file)
    except ValueError as exc:
        raise UsageError(f"tutor eval: {exc}") from exc
    index = _load(args)
    try:
        report = evaluate(index, rows)
    except ValueError as exc:
        raise UsageError(f"tutor eval: {exc}") from exc
    print(json.dumps(report.to_json(), ensure_ascii=False, indent=2) if args.json else report.to_text())
    return 0


def cmd_study(args) -> int:
    if args.count is not None and args.count < 1:
        raise UsageError("tutor study: --count must be at least 1")
    index = _load(args)
    docs = None
    if args.doc:
        ids = {d.doc_id: i for i, d in enumerate(index.docs)}
        unknown = [d for d in args.doc if d not in ids]
        if unknown:
            raise UsageError(f"tutor study: no document {unknown[0]!r}; the documents are {', '.join(ids)}")
        docs = {ids[d] for d in args.doc}
    items = study.make(index, args.kind, args.count, args.seed, docs)
    print(json.dumps(study_json(index, args.kind, items), ensure_ascii=False, indent=2) if args.json
          else study_for_terminal(index, args.kind, items))
    return 0


def _network_address() -> str | None:
    """This computer's address on its local network (no packet is sent: a UDP socket's
    connect only picks the interface a packet would leave by)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.254.254.254", 1))
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def cmd_serve(args) -> int:
    """``streamlit run app.py``, headless and quiet, then the two addresses a class uses.
    (Streamlit's own banner, when headless, looks this machine up on the internet.)"""
    app = Path(__file__).resolve().parent.parent / "app.py"
    if not app.is_file():
        raise UsageError("tutor serve: app.py is not beside the tutor package; install with pip install -e .")
    env = {**os.environ, "TUTOR_CORPUS": str(Path(args.corpus).resolve()), "TUTOR_INDEX": str(Path(args.index).resolve())}
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(args.port),
                             "--server.headless", "true", "--logger.hideWelcomeMessage", "true",
                             "--logger.level", "warning"], cwd=app.parent, env=env)
    signal.signal(signal.SIGTERM, lambda *_: proc.terminate())  # stopped as a service: the server stops too
    try:
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{args.port}/_stcore/health", timeout=2) as r:
                    if r.read() == b"ok":
                        break
            except OSError:
                time.sleep(0.3)
        if proc.poll() is None:
            network = _network_address()
            print(f"The tutor is running.\n  On this computer:   http://localhost:{args.port}")
            if network:
                print(f"  For the class (the same network): http://{network}:{args.port}")
            print("Press Ctrl+C to stop it.", flush=True)
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        proc.wait()
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
        if not args.command:
            parser.print_help()
            return 2
        return {"index": cmd_index, "ask": cmd_ask, "check": cmd_check, "eval": cmd_eval,
                "study": cmd_study, "serve": cmd_serve}[args.command](args)
    except TutorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:  # e.g. an index folder that cannot be written
        what = f"cannot use {exc.filename}: " if exc.filename else ""
        print(f"error: {what}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug: still no traceback for the user, but say what happened
        print(f"error: the tutor failed unexpectedly ({type(exc).__name__}: {exc})", file=sys.stderr)
        return 1
