"""What a student meets in a conversation: follow-ups, other languages, quotes they can use.

Through the command line, on the shipped corpus, as ``tutor ask`` answers a class.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import ROOT, run_tutor

SETS = [ROOT.parent / "shared" / "eval" / "questions.jsonl", ROOT / "benchmarks" / "data" / "shipped-questions.jsonl"]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("conversation") / "index"
    assert run_tutor("index", "--corpus", str(ROOT / "corpus"), "--index", str(path)).returncode == 0
    return path


def ask(index_dir: Path, question: str, *history: str) -> dict:
    args = [a for h in history for a in ("--history", h)]
    r = run_tutor("ask", question, *args, "--json", "--corpus", str(ROOT / "corpus"), "--index", str(index_dir))
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def places(out: dict) -> set[tuple[str, int, int]]:
    return {(c["path"], c["start"], c["end"]) for c in out["citations"]}


@pytest.mark.parametrize("more", ["tell me more", "Tell me more about it.", "and then?", "go on", "what happened next?"])
def test_tell_me_more_goes_on_with_quotes_not_yet_given(index_dir, more):
    first = ask(index_dir, "What were the backyard furnaces?")
    then = ask(index_dir, more, "What were the backyard furnaces?")
    assert first["answered"] and then["answered"], then["message"]
    assert not places(first) & places(then)
    assert all("furnace" in c["quote"].lower() or "steel" in c["quote"].lower() or "iron" in c["quote"].lower()
               for c in then["citations"][:1])


def test_a_second_tell_me_more_gives_none_of_the_earlier_quotes(index_dir):
    q = "What were the people's communes?"
    given = places(ask(index_dir, q)) | places(ask(index_dir, "tell me more", q))
    again = ask(index_dir, "tell me more", q, "tell me more")
    assert again["answered"] and not places(again) & given


def test_a_long_run_of_tell_me_more_stays_quick_and_never_repeats(index_dir):
    history = ["What were the people's communes?"] + ["tell me more"] * 25
    given = places(ask(index_dir, history[0]))
    for i in range(1, 5):
        out = ask(index_dir, "tell me more", *history[:i])
        assert not places(out) & given
        given |= places(out)
    r = run_tutor("ask", "tell me more", *[a for h in history for a in ("--history", h)], "--json",
                  "--corpus", str(ROOT / "corpus"), "--index", str(index_dir), timeout=60)
    assert r.returncode == 0  # (each earlier answer is worked out once: a run of 25 takes a moment, not ages)


def test_why_asks_for_the_causes_of_the_last_topic(index_dir):
    out = ask(index_dir, "why?", "What happened to Peng Dehuai?")
    assert out["answered"], out["message"]
    assert "Peng" in out["citations"][0]["quote"]


@pytest.mark.parametrize("question", ["¿Qué fue el Gran Salto Adelante?", "Pourquoi la famine a-t-elle eu lieu ?",
                                      "大跃进是什么？", "Что такое Большой скачок?"])
def test_a_question_not_in_english_is_told_so_plainly(index_dir, question):
    out = ask(index_dir, question)
    assert not out["answered"] and "only read questions in English" in out["message"]


@pytest.mark.parametrize("question", ["whos deng xiaoping", "wat were the backyard furnaces for",
                                      "Great Leap Forward success?", "famine deaths Mao"])
def test_english_in_a_hurry_is_still_read_as_english(index_dir, question):
    assert "only read questions in English" not in (ask(index_dir, question)["message"] or "")


def test_no_quote_is_a_question_and_no_place_is_cited_twice(index_dir):
    rows = [json.loads(line) for path in SETS if path.exists() for line in path.read_text().splitlines()]
    batch = "".join(json.dumps({"id": r["id"], "question": r["question"], "history": r.get("history", [])}) + "\n"
                    for r in rows)
    r = run_tutor("ask", "--batch", "-", "--corpus", str(ROOT / "corpus"), "--index", str(index_dir), stdin=batch)
    for line in r.stdout.splitlines():
        out = json.loads(line)
        quotes = [c["quote"].rstrip(" ”’\"')") for c in out["citations"]]
        assert not any(q.endswith("?") for q in quotes), out["question"]
        assert len(places(out)) == len(out["citations"]), out["question"]
        assert len(out["agreeing_citations"]) == (out["agreeing_sources"] if out["answered"] else 0)


def test_agreement_names_the_quotes_that_agree(index_dir):
    out = ask(index_dir, "When did Mao launch the first five year plan?")
    assert out["agreeing_sources"] >= 2
    which = " and ".join(f"[{n}]" for n in out["agreeing_citations"])
    assert f"{out['agreeing_sources']} sources agree: {which}." in out["notes"]
    docs = {out["citations"][n - 1]["path"] for n in out["agreeing_citations"]}
    assert len(docs) == out["agreeing_sources"]  # one quote per source


def test_a_lead_in_is_quoted_with_what_it_introduces(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "canal.txt").write_text(
        "The Quillon Canal\n\nThe Quillon Canal was dug by hand over eleven winters. "
        "The canal builders had two aims:\n\nTo carry coal from the Marrow valley to the coast, and to drain "
        "the fens around Quillon for farming.\n\nIt opened in 1791 to great celebration.\n", encoding="utf-8")
    r = run_tutor("ask", "What aims did the canal builders have?", "--json", "--corpus", str(corpus),
                  "--index", str(tmp_path / "index"))
    out = json.loads(r.stdout)
    first = out["citations"][0]
    assert first["quote"].startswith("The canal builders had two aims:")
    assert "carry coal" in first["quote"]
    text = (corpus / "canal.txt").read_text(encoding="utf-8")
    assert text[first["start"]:first["end"]] == first["quote"]


def test_each_quote_says_why_it_was_chosen(index_dir):
    out = ask(index_dir, "What was the purpose of the backyard furnaces?")
    for c in out["citations"]:
        why = c["why"]
        assert why["matched"] and all(w.lower() in "what was the purpose of the backyard furnaces" for w in why["matched"])
        values = [w["value"] for w in why["weights"]]
        assert values == sorted(values, reverse=True)  # largest first
    scores = [sum(w["value"] for w in c["why"]["weights"]) for c in out["citations"]]
    assert scores[0] == max(scores)  # the first quote is the one that scored best


def _canal(tmp_path: Path, more: str = "") -> tuple[Path, Path]:
    """A corpus of the canal's history (and ``more``, a second document, when given), and where to index it."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    if more:
        (corpus / "more.txt").write_text(more, encoding="utf-8")
    (corpus / "canal.txt").write_text(
        "The Quillon Canal\n\nThe Quillon Canal was dug by hand over eleven winters. "
        "Work began in 1780 under the engineer Maud Ferrers. In 1785 a flood broke the eastern bank. "
        "The diggers rebuilt it in stone the following spring. The canal opened in 1791 to great celebration.\n\n"
        "Exercises\n\nExplain how the flood of 1785 changed the way the bank was built.\n", encoding="utf-8")
    return corpus, tmp_path / "index"


def _conversation(corpus: Path, index: Path, turns: list[str]) -> list[list[str]]:
    """Each turn asked with the ones before it as history: the quotes of each answer."""
    quotes = []
    for i, turn in enumerate(turns):
        r = run_tutor("ask", turn, *[a for h in turns[:i] for a in ("--history", h)], "--json",
                      "--corpus", str(corpus), "--index", str(index))
        quotes.append([c["quote"] for c in json.loads(r.stdout)["citations"]])
    return quotes


def test_and_then_goes_on_with_what_the_source_says_next(tmp_path):
    corpus, index = _canal(tmp_path)
    quotes = _conversation(corpus, index, ["When did work on the canal begin?", "and then?", "what happened next?"])
    assert quotes[0][0] == "Work began in 1780 under the engineer Maud Ferrers."
    assert quotes[1] == ["In 1785 a flood broke the eastern bank.", "The diggers rebuilt it in stone the following spring."]
    # The source goes on with what the first answer quoted already, then an exercise: nothing new to quote.
    assert quotes[2] == []
    assert not any(q.startswith("Explain") for turn in quotes for q in turn)


def test_an_exercise_in_the_text_is_never_quoted_as_an_answer(tmp_path):
    corpus, index = _canal(tmp_path)
    r = run_tutor("ask", "How did the flood of 1785 change the way the bank was built?", "--json",
                  "--corpus", str(corpus), "--index", str(index))
    quotes = [c["quote"] for c in json.loads(r.stdout)["citations"]]
    assert quotes and not any(q.startswith("Explain") for q in quotes)
    # The sentence that only restates the question comes with the one that answers it.
    assert quotes[0] == "In 1785 a flood broke the eastern bank. The diggers rebuilt it in stone the following spring."


def test_a_judgement_question_quotes_the_sources_verdict(index_dir):
    """Not the sentences that repeat its word ("schools taught that it had been a success")."""
    out = ask(index_dir, "Was the Great Leap Forward a success?")
    first = out["citations"][0]["quote"]
    assert any(w in first.lower() for w in ("disaster", "failure", "failed", "catastroph")), first


def test_a_quote_that_points_back_comes_with_the_sentence_it_points_to(tmp_path):
    corpus, index = _canal(tmp_path, "The locks\n\nThe Quillon Canal rises through nine locks between the river "
                                     "and the town. This means that every barge climbs forty feet on its way to the "
                                     "market. The keepers lived in cottages beside the upper locks.\n")
    quotes = _conversation(corpus, index, ["How far does every barge climb on its way to the market?", "tell me more"])
    assert quotes[0][0] == ("The Quillon Canal rises through nine locks between the river and the town. "
                            "This means that every barge climbs forty feet on its way to the market.")
    # "tell me more" does not give again a sentence the first answer quoted.
    assert not any(q.startswith(("The Quillon Canal rises", "This means")) for q in quotes[1])


def test_a_line_about_the_text_itself_is_never_quoted(tmp_path):
    corpus, index = _canal(tmp_path, "Study guide\n\nThis section explores the building of the Quillon Canal and "
                                     "the flood that broke its bank.\n")
    quotes = _conversation(corpus, index, ["What broke the bank of the Quillon Canal?"])[0]
    assert quotes and not any(q.startswith("This section") for q in quotes)
    assert quotes[0].startswith("In 1785 a flood broke the eastern bank.")


@pytest.mark.parametrize("line, about_the_text", [
    ("This section explores the building of the canal.", True),
    ("This page was written by Rebecca Cairns.", True),
    ("This article guaranteed the rights of the canal's shareholders.", False),  # a treaty's, a charter's
    ("This book was banned in 1933.", False),
])
def test_only_a_line_in_which_the_text_speaks_of_itself_is_left_out(line, about_the_text):
    from tutor.features import asks
    assert asks(line) is about_the_text


def test_a_quote_is_never_longer_than_two_sentences(tmp_path):
    corpus, index = _canal(tmp_path, "The Marrow Cut\n\nThe Marrow Cut was begun in 1802 by the engineer Ada "
                                     "Lowther. Its builders had two aims:\n\nTo carry slate from the Marrow quarries "
                                     "to the sea, and to drain the Marrow marshes.\n\nThe cut was finished in 1809.\n")
    quotes = _conversation(corpus, index, ["What two aims did its builders have?"])[0]
    # A lead-in that points back is quoted with what it introduces, not with the sentence before as well.
    assert quotes[0].startswith("Its builders had two aims:") and quotes[0].endswith("drain the Marrow marshes.")
