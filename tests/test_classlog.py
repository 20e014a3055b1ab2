"""The class's questions kept for the teacher (tutor/classlog.py): appended whole, read back,
summarised, exported and cleared; no names."""

from __future__ import annotations

import csv
import io
import threading

from tutor.classlog import ClassLog, summarise, to_csv


def test_questions_are_kept_read_back_and_summarised(tmp_path):
    log = ClassLog(tmp_path / "logs" / "class.jsonl")
    assert log.entries() == []
    log.record("Why did the famine happen?", True, ["The Great Leap Forward", "The Great Leap Forward"], ["A quote."])
    log.record("Why did the famine start?", True, ["Great Leap Forward (encyclopedia article)"], ["Another."])
    log.record("What is a tractor quota?", False)
    log.record("what is a tractor quota", False)
    log.record("Who was Peng Dehuai?", True, ["The Great Leap Forward"], ["Peng ..."])
    entries = log.entries()
    assert [e.question for e in entries][0] == "Why did the famine happen?" and len(entries) == 5
    assert entries[0].sources == ("The Great Leap Forward",)  # one source, however often quoted
    s = summarise(entries)
    assert (s.asked, s.answered) == (5, 3)
    assert s.topics[0] == ("famine", 2) and ("quota", 2) in s.topics
    assert s.unanswered == [("What is a tractor quota?", 2)]  # the same question, however typed
    assert s.documents[0] == ("The Great Leap Forward", 2)
    rows = list(csv.reader(io.StringIO(to_csv(entries))))
    assert rows[0] == ["time", "question", "answered", "sources", "quotes"] and rows[3][2] == "no"
    log.clear()
    assert log.entries() == []


def test_a_damaged_line_is_skipped_and_many_sessions_never_mix_lines(tmp_path):
    log = ClassLog(tmp_path / "class.jsonl")
    log.record("First?", True)
    with open(log.path, "a", encoding="utf-8") as f:
        f.write('{"time": "2026-12-07 10:00", "question": "cut sh')  # a crash mid-line
    log.path.write_text(log.path.read_text(encoding="utf-8") + "\n", encoding="utf-8")

    def ask(k: int) -> None:
        for i in range(50):
            log.record(f"Question {k}-{i} " + "x" * 400, i % 2 == 0, ["Doc"], ["q" * 200])

    threads = [threading.Thread(target=ask, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    entries = log.entries()
    assert len(entries) == 1 + 8 * 50
    assert len({e.question for e in entries}) == len(entries)
