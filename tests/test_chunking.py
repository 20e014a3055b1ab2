"""Passages and sentences: verbatim offsets, full coverage, sensible shapes."""

from __future__ import annotations

import json
from pathlib import Path
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nltk.tokenize.punkt import PunktLanguageVars, PunktParameters, PunktSentenceTokenizer, PunktTrainer

from tutor import chunking
from tutor.chunking import COMMON_ABBREVIATIONS, MAX_CHARS, SentenceSplitter, _blocks, chunk
from tutor.cleaning import classify

SPLITTER = SentenceSplitter()

# Text made of pieces a teacher's files really contain: Unicode words, CRLF and blank
# lines, tabs, very long lines, lines without punctuation, stray punctuation.
_pieces = st.one_of(
    st.text(min_size=0, max_size=80),
    st.sampled_from(["\n", "\r\n", "\n\n", "\t", "   ", ". ", "? ", "“Quote.” ", "Mr. Li ", "1. ", ":\n",
                     "© 2020 Site. All rights reserved.\n", "home > page\n", "名字。", "é\u0301", "\u2028", "\x0c"]),
    st.text(alphabet="abc xyz", min_size=1200, max_size=3000),  # a long line, no punctuation
    st.builds(lambda w, n: (w + " ") * n + ".", st.sampled_from(["word", "Steam", "ßtraße"]), st.integers(1, 400)),
)
texts = st.lists(_pieces, min_size=0, max_size=25).map("".join)


def check_invariants(text: str) -> None:
    passages, sentences = chunk(text, SPLITTER, classify(text))
    covered = [False] * len(text)
    last_end = 0
    for p in passages:
        assert text[p.start:p.end] == p.text
        assert p.start >= last_end, "passages overlap or are out of order"
        assert p.text and not p.text[0].isspace() and not p.text[-1].isspace()
        last_end = p.end
        for i in range(p.start, p.end):
            covered[i] = True
    for i, ch in enumerate(text):
        assert covered[i] or ch.isspace(), f"character {i} ({ch!r}) is in no passage"
    for s in sentences:
        assert text[s.start:s.end] == s.text
        p = passages[s.passage]
        assert p.start <= s.start < s.end <= p.end
        assert not p.boilerplate


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_passages_and_sentences_are_verbatim_and_cover_the_text(text):
    check_invariants(text)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=400))
def test_any_unicode_text_keeps_the_invariants(text):
    check_invariants(text)


def test_a_long_paragraph_is_split_at_sentence_boundaries():
    para = " ".join(f"Sentence number {i} talks about steam engines and cotton mills." for i in range(60))
    passages, sentences = chunk(para, SPLITTER)
    assert len(passages) >= 3
    assert all(len(p.text) <= MAX_CHARS for p in passages)
    assert [p.part for p in passages] == list(range(1, len(passages) + 1))
    assert all(p.text.endswith(".") for p in passages)
    assert all(p.para == 1 for p in passages)


def test_a_heading_stays_with_the_paragraph_it_heads():
    text = "Steam Power\n\nJames Watt improved the steam engine in 1776. It used less coal.\n\nWorking Conditions\n\nHours were long."
    passages, sentences = chunk(text, SPLITTER)
    assert passages[0].text.startswith("Steam Power") and "Watt" in passages[0].text
    assert passages[-1].text.startswith("Working Conditions")
    heading = next(s for s in sentences if s.text == "Steam Power")
    assert not heading.quotable
    assert any(s.quotable and s.text.startswith("James Watt") for s in sentences)


def test_paragraph_and_line_numbers_are_what_a_reader_counts():
    text = "First paragraph is here and it is long enough to be a passage of its own. " * 6 + "\n\n" \
           + "Second paragraph also speaks at length about the matter at hand, at some length. " * 6
    passages, _ = chunk(text, SPLITTER)
    assert [(p.para, p.line) for p in passages] == [(1, 1), (2, 3)]


def test_list_items_gather_under_the_line_that_introduces_them():
    text = ("Key targets included:\nRapid expansion of heavy industry.\nNew railways and roads.\n"
            "Building of new industrial cities.\n")
    passages, _ = chunk(text, SPLITTER)
    assert len(passages) == 1


def test_hard_wrapped_lines_join_into_one_paragraph():
    text = "The mill owners kept\nchildren at work for\ntwelve hours a day.\n"
    passages, sentences = chunk(text, SPLITTER)
    assert len(passages) == 1 and len(sentences) == 1
    assert sentences[0].text == "The mill owners kept\nchildren at work for\ntwelve hours a day."


# Sentences of the kinds Punkt decides on: abbreviations, initials, numbers, ellipses,
# quotes and brackets after a full stop, lower-case starts, line breaks.
_punkt_pieces = st.one_of(
    st.sampled_from(["Prof. ", "Mr. ", "J. S. ", "e.g. ", "U.S. ", "1958. ", "No. 5 ", "3.5 ", "... ", "..",
                     "? ", "! ", "!!! ", ".) ", ".” ", "”. ", "\"Yes.\" ", "(see above.) ", "--", ". - ",
                     "the ", "The ", "Mao. ", "Mao ", "it. ", "It ", "in 1958. In ", "\n", "\n\n", "   ",
                     "a. ", "A. ", "-. ", "x.y. ", "Jan. ", "5. ", ". . . ", ".\t", "famine. In ", "\x1c", "\xa0"]),
    st.text(alphabet="abcMNO .,;:?!'\"()\n", min_size=1, max_size=30),
    st.text(min_size=1, max_size=10),
)

# Prose: sentences of words, abbreviations, initials and numbers, ended in the ways
# prose ends them (with closing quotes and brackets), some over a line break.
_word = st.one_of(
    st.sampled_from(["the", "mill", "steel", "famine", "in", "it", "workers", "he", "said", "and"]),
    st.sampled_from(["Mao", "The", "In", "It", "China", "Li", "Prof.", "Dr.", "Mr.", "St.", "e.g.", "i.e.", "etc.",
                     "U.S.", "p.m.", "Jan.", "No.", "vol.", "J.", "A.", "J. S.", "1958", "1958.", "3.5", "5.",
                     "10,000", "iv.", "“Yes", "(see", "'steel'", "«Non»", "ca."]),
)
_end = st.sampled_from([". ", ". ", ".\n", "? ", "! ", "... ", ".” ", ".) ", '." ', "’. ", ".\n\n", ".", "!\" "])
_prose = st.lists(st.tuples(st.lists(_word, min_size=1, max_size=9).map(" ".join), _end), min_size=1, max_size=12)
prose = _prose.map(lambda sentences: "".join(words + end for words, end in sentences))


def _corpus_texts() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted((Path(__file__).resolve().parent.parent / "corpus").glob("*.txt"))]


def _splitter_with_a_collocation() -> SentenceSplitter:
    params = PunktParameters()
    params.abbrev_types = {"prof", "jan"}
    params.collocations = {("famine", "in")}
    params.sent_starters = {"in"}
    params.ortho_context.update({"in": 30, "mao": 34, "steel": 0x40})
    return SentenceSplitter(params)


TRAINED = SentenceSplitter.train(_corpus_texts())
SPLITTERS = (TRAINED, SPLITTER, _splitter_with_a_collocation())


def stock_boundaries(splitter: SentenceSplitter, text: str) -> list[int]:
    """Sentence starts by NLTK's own PunktSentenceTokenizer, with the splitter's
    parameters and none of chunking's language variables."""
    punkt = PunktSentenceTokenizer(splitter.params_)
    return sorted({0, *[a for a, _ in punkt.span_tokenize(text)]}) if text.strip() else [0]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(prose, st.lists(_punkt_pieces, min_size=1, max_size=30).map("".join)))
def test_boundaries_are_those_of_stock_nltk_punkt(text):
    for splitter in SPLITTERS:
        assert splitter.boundaries(text) == stock_boundaries(splitter, text)


def test_boundaries_of_the_shipped_corpus_are_those_of_stock_nltk_punkt():
    paragraphs = 0
    for text in _corpus_texts():
        for block in _blocks(text, classify(text)):
            paragraphs += 1
            para = text[block.start:block.end]
            assert TRAINED.boundaries(para) == stock_boundaries(TRAINED, para)
        assert TRAINED.boundaries(text) == stock_boundaries(TRAINED, text)
    assert paragraphs > 100


def test_punkt_learns_the_corpus_abbreviations_offline():
    text = " ".join(
        f"Prof. Smith met him on day {i} and said so to the engineers. The engineers built it for him. "
        f"It ran for {i} hours and Prof. Jones said it was so." for i in range(40))
    splitter = SentenceSplitter.train([text])
    assert "prof" in splitter.params_.abbrev_types
    assert splitter.boundaries("Prof. Smith disagreed with him. He said so.") == [0, 32]
    assert SentenceSplitter.from_json(splitter.to_json()).boundaries("Prof. Smith disagreed. He left.") == [0, 23]


def test_a_collocation_needs_more_evidence_than_punkts_default():
    """Stock Punkt learns "1803. It" (a number, then It) as a pair never to split from
    three sightings; ``train`` asks for more."""
    filler = "The mill owners kept children at work for twelve hours a day. Steel output rose in the north. " * 5

    def text(n: int) -> str:
        return "".join(filler + f"It was founded in {1800 + i}. It grew fast. " for i in range(n))

    stock = PunktTrainer()
    stock.train(text(3))
    assert ("##number##", "it") in stock.get_params().collocations
    assert ("##number##", "it") not in SentenceSplitter.train([text(3)]).params_.collocations
    assert ("##number##", "it") in SentenceSplitter.train([text(8)]).params_.collocations


def _stock_trained(texts: list[str]) -> PunktParameters:
    trainer = PunktTrainer()
    trainer.MIN_COLLOC_FREQ = 5
    for text in texts:
        trainer.train(text, finalize=False)
    trainer.finalize_training()
    return trainer.get_params()


def _assert_learnt_as_stock_nltk(texts: list[str]) -> None:
    """Training learns what NLTK's PunktTrainer learns, but the abbreviations
    ``train`` documents: the common ones added, and those the texts also use as plain
    words (without the full stop) dropped."""
    ours, stock = SentenceSplitter.train(texts, sampled=True).params_, _stock_trained(texts)
    assert ours.collocations == stock.collocations
    assert ours.sent_starters == stock.sent_starters
    assert {k: v for k, v in ours.ortho_context.items() if v} == {k: v for k, v in stock.ortho_context.items() if v}
    plain = {w.lower() for text in texts for w in text.split() if w.isalpha()}
    assert ours.abbrev_types - COMMON_ABBREVIATIONS <= stock.abbrev_types
    assert all(a in plain for a in stock.abbrev_types - ours.abbrev_types)
    assert COMMON_ABBREVIATIONS <= ours.abbrev_types


def test_training_on_the_shipped_corpus_learns_what_stock_nltk_punkt_learns():
    texts = _corpus_texts()
    with patch.object(chunking, "WORD_PIECE", 40):  # (long lines go to NLTK in pieces: so do these)
        _assert_learnt_as_stock_nltk(texts)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(prose, st.lists(_punkt_pieces, min_size=1, max_size=60).map("".join)),
                min_size=1, max_size=6), st.sampled_from([3, 20, 100_000]))
def test_training_learns_what_stock_nltk_punkt_learns(texts, piece):
    with patch.object(chunking, "WORD_PIECE", piece):
        _assert_learnt_as_stock_nltk(texts)


@settings(max_examples=300, deadline=None)
@given(st.one_of(prose, st.lists(_punkt_pieces, max_size=80).map("".join), st.text()), st.integers(1, 30))
def test_a_long_line_goes_to_nltk_in_pieces_and_gives_nltks_words(line, piece):
    with patch.object(chunking, "WORD_PIECE", piece):
        assert chunking._VARS.word_tokenize(line) == PunktLanguageVars().word_tokenize(line)


@pytest.mark.parametrize("line", [
    "It ended . . . then. . . . So it. . . went on.. and on", "a,  b , c,, d ,e", "word\x1c next \x1c. x\x1c y",
    "x--  y -- z---w", "ab.. cd ..ef", "tab\t x \tz\t", "“Yes.” (see it.) [x] {y}", "é\u0301 e\u0301. \xa0x",
])
def test_a_line_cut_anywhere_gives_nltks_words(line):
    for piece in range(1, len(line) + 1):
        with patch.object(chunking, "WORD_PIECE", piece):
            assert chunking._VARS.word_tokenize(line) == PunktLanguageVars().word_tokenize(line), piece


def test_no_piece_of_a_long_line_is_much_longer_than_word_piece(monkeypatch):
    seen: list[int] = []
    stock = PunktLanguageVars.word_tokenize
    monkeypatch.setattr(PunktLanguageVars, "word_tokenize", lambda self, s: seen.append(len(s)) or stock(self, s))
    line = "The mill owners kept children at work, for twelve hours a day. " * 5000  # 320,000 characters
    words = chunking._VARS.word_tokenize(line)
    assert len(seen) == 4 and max(seen) < chunking.WORD_PIECE + 20
    assert words == stock(PunktLanguageVars(), line)


@pytest.mark.parametrize("splitter", SPLITTERS, ids=["trained", "default", "collocation"])
def test_the_parameters_go_through_json_and_back(splitter):
    text = "".join(_corpus_texts()) + " It peaked in the famine. In 1960 it ended. Prof. Li came in Jan. Mao knew."
    again = SentenceSplitter.from_json(splitter.to_json())
    assert again.to_json() == splitter.to_json()
    for name in ("abbrev_types", "collocations", "sent_starters"):
        assert getattr(again.params_, name) == getattr(splitter.params_, name)
    assert {k: v for k, v in again.params_.ortho_context.items() if v} == \
        {k: v for k, v in splitter.params_.ortho_context.items() if v}
    assert again.boundaries(text) == splitter.boundaries(text)
    data = json.loads(splitter.to_json())  # data, not a pickle
    assert sorted(data) == ["abbrev_types", "collocations", "ortho_context", "sent_starters"]
    assert len(data["abbrev_types"]) == len(splitter.params_.abbrev_types)


def test_the_json_holds_every_kind_of_parameter():
    data = json.loads(_splitter_with_a_collocation().to_json())
    assert data == {"abbrev_types": ["jan", "prof"], "collocations": [["famine", "in"]], "sent_starters": ["in"],
                    "ortho_context": [["in", 30], ["mao", 34], ["steel", 64]]}
    assert TRAINED.params_.sent_starters and len(json.loads(TRAINED.to_json())["ortho_context"]) > 1000


def test_the_json_does_not_change_with_what_was_split():
    """NLTK adds a 0 to ortho_context for each word it looks up while splitting; the
    saved parameters stay those that were learnt."""
    splitter = SentenceSplitter.from_json(TRAINED.to_json())
    before = splitter.to_json()
    splitter.boundaries("Zanzibar. Quixotic zebras. Mr. Xylophone. Q. Ultramarine.")
    assert SentenceSplitter(splitter.params_).to_json() == before
