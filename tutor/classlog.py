"""The questions a class asks, kept on this computer for the teacher: what was asked, when,
whether the sources answered it, and what was quoted. No names, no accounts, no address.

One JSON object per line, appended under a lock so that many students' sessions (threads
of one server, or several servers) never interleave a line; a damaged line is skipped, not
fatal. The teacher exports it as CSV and clears it.
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import re
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path


from tutor.analysis import ENGLISH_STOP_WORDS, stem

MAX_QUESTION_CHARS = 500  # a question kept is cut here: the log is for reading, not for storing essays
COLUMNS = ("time", "question", "answered", "sources", "quotes")


@dataclass(frozen=True)
class Asked:
    """One question and what the tutor did with it. ``sources`` are the titles quoted."""

    time: str  # local time, "2026-12-07 14:05"
    question: str
    answered: bool
    sources: tuple[str, ...] = ()
    quotes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Summary:
    """What the class asked most, what the sources could not answer, what was quoted most."""

    asked: int
    answered: int
    topics: list[tuple[str, int]]  # a word and how many questions used it
    unanswered: list[tuple[str, int]]  # a question (as first asked) and how often
    documents: list[tuple[str, int]]  # a title and how many answers quoted it


class ClassLog:
    """The log file ``path``; its folder is made when the first question is kept."""

    def __init__(self, path: Path | str):
        self.path = Path(path)

    def record(self, question: str, answered: bool, sources=(), quotes=()) -> None:
        entry = Asked(time.strftime("%Y-%m-%d %H:%M"), " ".join(question.split())[:MAX_QUESTION_CHARS],
                      bool(answered), tuple(dict.fromkeys(sources)), tuple(q[:300] for q in quotes))
        line = json.dumps(asdict(entry), ensure_ascii=False) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            f.write(line)

    def entries(self) -> list[Asked]:
        try:
            lines = self.path.read_text(encoding="utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            return []
        out = []
        for line in lines:
            try:
                d = json.loads(line)
                out.append(Asked(str(d["time"]), str(d["question"]), bool(d["answered"]),
                                 tuple(d.get("sources", ())), tuple(d.get("quotes", ()))))
            except (ValueError, KeyError, TypeError):
                continue  # a line cut by a crash: the rest still count
        return out

    def clear(self) -> None:
        with open(self.path, "a", encoding="utf-8") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            f.truncate(0)
        os.utime(self.path)


def to_csv(entries: list[Asked]) -> str:
    """The log as CSV (a spreadsheet opens it): one row per question, sources and quotes
    joined by " | "."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(COLUMNS)
    for e in entries:
        w.writerow([e.time, e.question, "yes" if e.answered else "no", " | ".join(e.sources), " | ".join(e.quotes)])
    return out.getvalue()


def summarise(entries: list[Asked], top: int = 10) -> Summary:
    """The topics asked most (words of the questions, counted once per question, under the
    form most often typed), the questions not answered (alike ones together) and the
    documents quoted most."""
    stems: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = {}
    for e in entries:
        seen = set()
        for word in re.findall(r"[^\W\d_][\w’'-]*", e.question):
            w = word.lower()
            if w in ENGLISH_STOP_WORDS or len(w) < 3 or w in _QUESTION_WORDS:
                continue
            s = stem(w)
            forms.setdefault(s, Counter())[w] += 1
            if s not in seen:
                seen.add(s)
                stems[s] += 1
    topics = [(forms[s].most_common(1)[0][0], n) for s, n in stems.most_common(top)]
    unanswered: dict[str, list[str]] = {}
    for e in entries:
        if not e.answered:
            unanswered.setdefault(" ".join(re.findall(r"\w+", e.question.lower())), []).append(e.question)
    missed = sorted(((qs[0], len(qs)) for qs in unanswered.values()), key=lambda x: (-x[1], x[0]))
    documents = Counter(t for e in entries for t in e.sources).most_common(top)
    return Summary(len(entries), sum(e.answered for e in entries), topics, missed[:top * 2], documents)


_QUESTION_WORDS = {"did", "does", "was", "were", "what", "why", "how", "who", "when", "where", "which", "tell",
                   "explain", "describe", "happen", "happened"}
