"""How answers are chosen: the behaviours a student notices, on a corpus of our own."""

from __future__ import annotations

import pytest

from tutor.answer import answer
from tutor.kinds import figures_in, holds, wants


def first_quote(index, question, history=None):
    ans = answer(index, question, history)
    assert ans.answered, (question, ans.message)
    return ans.citations[0].quote


def test_quotes_are_verbatim_and_numbered(fixture_index):
    ans = answer(fixture_index, "What did James Watt add to the steam engine?")
    assert [c.n for c in ans.citations] == list(range(1, len(ans.citations) + 1))
    assert 1 <= len(ans.citations) <= 3
    for c in ans.citations:
        assert fixture_index.doc_text(c.doc)[c.start:c.end] == c.quote
    assert "separate condenser" in ans.citations[0].quote


@pytest.mark.parametrize("question, expected", [
    ("How many Watt engines were at work by 1800?", "around 500"),
    ("When did the Factory Act ban child labour?", "1833"),
    ("Who invented the spinning jenny?", "James Hargreaves"),
    ("How long was a working day in the mills?", "twelve to fourteen hours"),
])
def test_a_question_that_asks_for_a_number_date_or_name_gets_one(fixture_index, question, expected):
    assert expected in first_quote(fixture_index, question)


def test_a_misspelt_question_is_corrected_and_says_so(fixture_index):
    ans = answer(fixture_index, "who invnted the spining jenny")
    assert ans.query.searched == "who invented the spinning jenny"
    assert ("spining", "spinning") in ans.query.corrections
    assert "Hargreaves" in ans.citations[0].quote


def test_a_follow_up_is_read_in_the_light_of_the_conversation(fixture_index):
    ans = answer(fixture_index, "When did it open?", ["What was the Liverpool and Manchester Railway?"])
    assert ans.query.searched == "When did the Liverpool and Manchester Railway open?"
    assert "1830" in ans.citations[0].quote


@pytest.mark.parametrize("question", [
    "What is the capital of France?",
    "Explain the causes of the French Revolution",
    "How do plants make food through photosynthesis?",
    "Who won the football world cup in 2022?",
])
def test_off_topic_questions_are_declined_kindly(fixture_index, question):
    ans = answer(fixture_index, question)
    assert not ans.answered and not ans.citations
    assert "couldn't find" in ans.message and "Industrial Revolution" in ans.message
    assert "Who invented the spinning jenny?" in ans.message  # a starter question to try instead


def test_a_question_about_a_name_the_sources_never_mention_is_declined(fixture_index):
    # "railway" and "open" are all over the sources; Stockton and Darlington nowhere in them.
    # Quoting the Liverpool and Manchester's opening would answer about another railway.
    ans = answer(fixture_index, "When did the Stockton and Darlington Railway open?")
    assert not ans.answered and not ans.citations
    assert "1830" in answer(fixture_index, "When did the Liverpool and Manchester Railway open?").citations[0].quote


def test_a_question_in_title_case_is_read_as_it_would_be_in_lower_case(shipped_index):
    # Capitals mark nothing in "Why Did Officials Lie ...": "Yields" is no name the sources
    # never mention, and the question is not declined for it.
    question = "Why did officials lie about crop yields?"
    typed = answer(shipped_index, question.title())
    assert typed.answered
    assert typed.citations[0].quote == answer(shipped_index, question).citations[0].quote


def test_a_question_asked_as_a_request_is_answered_as_the_question(shipped_index):
    # "want" and "know" are not searched for: the quote is about the famine.
    ans = answer(shipped_index, "I want to know why the famine happened")
    assert ans.query.searched == "why the famine happened"
    assert "famine" in ans.citations[0].quote


def test_different_figures_are_shown_side_by_side(fixture_index):
    ans = answer(fixture_index, "What was the population of Manchester in 1850?")
    values = " ".join(f.value for f in ans.figures)
    assert "300,000" in values and "400,000" in values
    docs = {ans.citations[f.citation - 1].doc for f in ans.figures}
    assert len(docs) == 2


def test_agreeing_sources_are_counted_and_cited(fixture_index):
    ans = answer(fixture_index, "When did the Liverpool and Manchester railway open?")
    assert ans.agreeing == 2
    assert len({c.doc for c in ans.citations}) >= 2
    assert all("1830" in c.quote for c in ans.citations[:2])


def test_no_answer_repeats_a_near_copy_from_the_same_source(fixture_index):
    ans = answer(fixture_index, "What were conditions like for children in cotton mills?")
    quotes = [c.quote for c in ans.citations]
    assert len(quotes) == len(set(quotes))


def test_the_same_question_always_gets_the_same_answer(fixture_index):
    a = answer(fixture_index, "Why did towns grow?")
    b = answer(fixture_index, "Why did towns grow?")
    assert a == b


@pytest.mark.parametrize("question, kind", [
    ("When did the railway open?", "year"), ("How many engines were built?", "number"),
    ("Who built Rocket?", "name"), ("Why did the Luddites break machines?", "reason"),
    ("What was the water frame for?", "purpose"), ("What was the slogan of the strikers?", "quote"),
    ("What was the spinning jenny?", "definition"), ("Describe mill life", None),
    ("Was the Factory Act a success?", "judgement"), ("How far were the mill owners to blame?", "judgement"),
    ("How far is Leeds from York?", "number"), ("Who opposed the Factory Act?", "name"),
    ("Define the domestic system.", "definition"),
])
def test_the_kind_of_answer_a_question_wants(question, kind):
    assert wants(question) == kind


def test_a_name_or_year_the_question_gives_is_not_its_answer():
    assert holds("name", "Emma married Cnut the Great in 1017.", question="Who did Emma marry?")
    assert not holds("name", "The marriage of Emma was arranged.", question="Who did Emma marry?")
    assert not holds("year", "The Normans conquered England in 1066.", question="What happened in 1066?")


def test_figures_are_quantities_not_years_or_list_numbers():
    assert figures_in("3. In 1850 about 300,000 lived there; ten million died; 65% rose") == \
        ["300,000", "ten million", "65%"]
    assert figures_in("One of the decisions was made in 1958.") == []
