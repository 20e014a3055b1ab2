"""Study aids (tutor/quiz.py, timeline.py, glossary.py, study.py): every item pinned to a
verbatim quote, the same for the same seed, answers checked as a teacher would mark them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_tutor
from tutor import glossary, quiz, study, timeline
from tutor.quiz import BLANK, Question, is_right
from tutor.store import ensure_index


def _verbatim(index, c) -> None:
    assert index.doc_text(c.doc)[c.start:c.end] == c.quote


def test_a_quiz_blanks_a_fact_of_a_source_sentence_and_is_the_same_for_the_same_seed(shipped_index):
    qs = quiz.make_quiz(shipped_index, 10, seed=7)
    assert len(qs) == 10
    assert [q.prompt for q in qs] == [q.prompt for q in quiz.make_quiz(shipped_index, 10, seed=7)]
    assert [q.prompt for q in qs] != [q.prompt for q in quiz.make_quiz(shipped_index, 10, seed=8)]
    assert len({shipped_index.docs[q.citation.doc].doc_id for q in qs}) >= 4  # spread over the documents
    assert len({q.answer.lower() for q in qs}) == 10
    for q in qs:
        _verbatim(shipped_index, q.citation)
        assert q.prompt.count(BLANK) == 1 and q.prompt.replace(BLANK, q.answer) == q.citation.quote
        assert not q.citation.quote.rstrip().endswith("?")  # never a question or heading line
        if q.type == "choice":
            assert len(set(q.choices)) == quiz.OPTIONS and q.answer in q.choices
            assert all(o not in q.citation.quote for o in q.choices if o != q.answer)
    kinds = {q.type for q in qs}
    assert kinds == {"cloze", "choice"}


def test_no_wrong_option_is_one_the_sources_put_in_the_blanks_place(shipped_index):
    # "Mao claiming that China's steel production would overtake that of _____" (Britain):
    # the sources also speak of "catching up and overtaking" the West, so "West" would be
    # a second right answer, not a wrong one.
    found = quiz._Keys(shipped_index, None)
    quote = "with Mao claiming that China’s steel production would overtake that of Britain."
    key = next(k for k in quiz.keys(shipped_index, quote) if k.text == "Britain")
    frame = quiz._frame(quote, key)
    assert found.said_in("West", "name", frame) and not found.said_in("Stalin", "name", frame)
    for q in quiz.make_quiz(shipped_index, 20, seed=3):
        frame = quiz._frame(q.citation.quote, next(k for k in quiz.keys(shipped_index, q.citation.quote)
                                                  if q.prompt.replace(BLANK, k.text, 1) == q.citation.quote))
        assert not any(found.said_in(o, q.kind, frame) for o in q.choices if o != q.answer), q


def test_a_quiz_keeps_to_the_documents_chosen(shipped_index):
    doc = next(i for i, d in enumerate(shipped_index.docs) if d.doc_id == "economy-under-mao-study-notes")
    qs = quiz.make_quiz(shipped_index, 5, seed=1, docs={doc})
    assert qs and all(q.citation.doc == doc for q in qs)


def _q(answer: str, kind: str, choices=()) -> Question:
    return Question("q1", "choice" if choices else "cloze", kind, "…", answer, tuple(choices), None)


@pytest.mark.parametrize("answer, kind, given, right", [
    ("Britain", "name", "britain", True),
    ("Britain", "name", "Britian", True),  # a slip of spelling
    ("Britain", "name", "France", False),
    ("Peng Dehuai", "name", "Peng", True),  # the family name alone
    ("Peng Dehuai", "name", "peng dehaui", True),
    ("Peng Dehuai", "name", "Liu Shaoqi", False),
    ("15", "number", "fifteen", True),  # in words or in digits
    ("15", "number", "16", False),
    ("1,200", "number", "1200", True),
    ("30 per cent", "number", "30%", True),
    ("45 million", "number", "45,000,000", True),
    ("£4.2bn", "number", "4.2 billion", True),  # the sign is in the question
    ("£4.2bn", "number", "£4.3bn", False),
    ("£820,000", "number", "820,000 pounds", True),
    ("1958", "year", "in 1958", True),
    ("1958", "year", "1959", False),
    ("1958", "year", "1958 or 1959", False),  # a hedge is not an answer
    ("1950s", "year", "the 1950s", True),
    ("Britain", "name", "", False),
])
def test_an_answer_is_marked_as_a_teacher_would(answer, kind, given, right):
    assert is_right(_q(answer, kind), given) is right


def test_another_option_is_wrong_however_like_the_answer_it_looks():
    q = _q("Liu Shaoqi", "name", ("Liu Shaoqi", "Lin Biao", "Deng Xiaoping", "Peng Dehuai"))
    assert is_right(q, "Liu Shaoqi") and not is_right(q, "Lin Biao")


@pytest.mark.parametrize("text, expected", [
    ("The plan was announced in January 1958 at Nanjing.", ("January 1958", 1958, 1)),
    ("Communes spread in the summer of 1958.", ("summer of 1958", 1958, 6)),
    ("Cooperatives grew during the mid-1950s.", ("mid-1950s", 1950, 0)),
    ("The Second Five Year Plan (1958-62) failed.", ("1958-62", 1958, 0)),
    ("From 1952 to 1957 the towns grew.", ("1952 to 1957", 1952, 0)),
    ("A study (Dikötter, 2010) counts 45 million deaths by 1962.", ("1962", 1962, 0)),
    ("About 600,000 furnaces were built.", None),
    ("It produced 1200 tonnes in 1959.", ("1959", 1959, 0)),  # a number is no year
    ("1958 saw the communes spread.", ("1958", 1958, 0)),
])
def test_dates_are_read_as_written(text, expected):
    assert timeline.date_in(text) == expected


def _two_sources(tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "canals.txt").write_text(
        "Canals of the North\n\nThe Bridgewater Canal opened in 1761 and carried coal from Worsley to Manchester. "
        "James Brindley was its engineer. In 1790 the Grand Trunk Canal was complete.\n\n"
        "A later study (Hadfield, 1968) describes the canal mania in detail.\n", encoding="utf-8")
    (corpus / "coal.txt").write_text(
        "Coal and Water\n\nThe Bridgewater Canal opened in 1759 and carried coal from Worsley to Manchester. "
        "In 1830 the Liverpool and Manchester Railway opened and took much of the trade.\n", encoding="utf-8")
    index, _ = ensure_index(corpus, tmp_path / "index")
    return index


def test_a_timeline_is_in_order_of_date_and_shows_one_event_dated_differently_side_by_side(tmp_path):
    index = _two_sources(tmp_path)
    events = timeline.timeline(index)
    assert [e.year for e in events] == sorted(e.year for e in events)
    assert 1968 not in [e.year for e in events]  # a reference's year dates nothing
    opened = [e for e in events if "Bridgewater Canal opened" in e.citation.quote]
    assert {e.year for e in opened} == {1759, 1761}
    for e in opened:
        assert [o.year for o in e.dated_differently] == [1759 + 1761 - e.year]
    for e in events:
        _verbatim(index, e.citation)
        assert str(e.year) in e.date and e.date in e.citation.quote
    lone = next(e for e in events if e.year == 1830)
    assert lone.dated_differently == ()


def test_people_and_terms_come_with_the_sentences_that_describe_them(shipped_index, fixture_index):
    names = [e.name for e in glossary.people(shipped_index)]
    assert {"Mao Zedong", "Peng Dehuai", "Nikita Khrushchev"} <= set(names)
    assert not {"China", "Great Leap Forward", "Soviet Union", "CCP"} & set(names)  # not people
    assert {"James Watt", "James Hargreaves", "George Stephenson"} <= {e.name for e in glossary.people(fixture_index)}
    peng = next(e for e in glossary.people(shipped_index) if e.name == "Peng Dehuai")
    assert "criticised" in peng.citations[0].quote  # what he did, first
    terms = {e.name: e for e in glossary.terms(shipped_index)}
    assert "Great Leap Forward" in terms
    assert "was the name given to" in terms["Great Leap Forward"].citations[0].quote
    for e in [*terms.values(), *glossary.people(shipped_index)]:
        assert 1 <= len(e.citations) <= glossary.PER_ENTRY
        for c in e.citations:
            _verbatim(shipped_index, c)


def test_study_json_follows_the_contract_through_the_command_line(tmp_path):
    folders = ["--corpus", "corpus", "--index", str(tmp_path / "index")]
    for kind in study.KINDS:
        proc = run_tutor("study", kind, "--json", "--count", "4", "--seed", "3", *folders)
        assert proc.returncode == 0, proc.stderr
        out = json.loads(proc.stdout)
        assert out["kind"] == kind and 1 <= len(out["items"]) <= 4
        for item in out["items"]:
            assert item["citations"]
            for c in item["citations"]:
                assert Path(c["path"]).read_text(encoding="utf-8-sig")[c["start"]:c["end"]] == c["quote"]
            if kind == "quiz":
                assert item["type"] in ("cloze", "choice") and item["answer"] in item["citations"][0]["quote"]
                assert ("choices" in item) == (item["type"] == "choice")
            if kind == "timeline":
                assert isinstance(item["year"], int) and item["date"]
        again = run_tutor("study", kind, "--json", "--count", "4", "--seed", "3", *folders)
        assert again.stdout == proc.stdout  # the same corpus, settings and seed: the same output
    years = [i["year"] for i in json.loads(run_tutor("study", "timeline", "--json", *folders).stdout)["items"]]
    assert years == sorted(years)


def test_study_refuses_bad_arguments_in_one_line(tmp_path):
    folders = ["--corpus", "corpus", "--index", str(tmp_path / "index")]
    assert run_tutor("index", *folders).returncode == 0
    for args in (["quiz", "--count", "0"], ["quiz", "--doc", "no-such-doc"], ["flashcards"]):
        proc = run_tutor("study", *args, *folders)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
