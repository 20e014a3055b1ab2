"""Passages and sentences: verbatim offsets, full coverage, sensible shapes."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tutor.chunking import MAX_CHARS, SentenceSplitter, chunk
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


def test_punkt_learns_the_corpus_abbreviations_offline():
    text = " ".join(
        f"Prof. Smith met him on day {i} and said so to the engineers. The engineers built it for him. "
        f"It ran for {i} hours and Prof. Jones said it was so." for i in range(40))
    splitter = SentenceSplitter.train([text])
    starts = splitter.boundaries("Prof. Smith disagreed with him. He said so.")
    assert starts == [0, 32]
    assert SentenceSplitter.from_json(splitter.to_json()).boundaries("Prof. Smith disagreed. He left.") == [0, 23]


# Sentences of the kinds Punkt decides on: abbreviations, initials, numbers, ellipses,
# quotes and brackets after a full stop, lower-case starts, line breaks.
_punkt_pieces = st.one_of(
    st.sampled_from(["Prof. ", "Mr. ", "J. S. ", "e.g. ", "U.S. ", "1958. ", "No. 5 ", "3.5 ", "... ", "..",
                     "? ", "! ", "!!! ", ".) ", ".” ", "”. ", "\"Yes.\" ", "(see above.) ", "--", ". - ",
                     "the ", "The ", "Mao. ", "Mao ", "it. ", "It ", "in 1958. In ", "\n", "\n\n", "   ",
                     "a. ", "A. ", "-. ", "x.y. ", "Jan. ", "5. ", ". . . ", ".\t"]),
    st.text(alphabet="abcMNO .,;:?!'\"()\n", min_size=1, max_size=30),
    st.text(min_size=1, max_size=10),
)


def _trained_splitter() -> SentenceSplitter:
    from pathlib import Path

    from tutor.corpus import load_corpus
    docs, _, _ = load_corpus(Path(__file__).resolve().parent.parent / "corpus")
    return SentenceSplitter.train([Path(d.path).read_text(encoding=d.encoding) for d in docs])


TRAINED = _trained_splitter()


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_punkt_pieces, min_size=1, max_size=30).map("".join))
def test_boundaries_are_those_of_nltk_punkt(text):
    """The fast splitter finds exactly the sentence starts of NLTK's own span_tokenize."""
    from tutor.chunking import _VARS, PunktSentenceTokenizer, _PlainToken
    for splitter in (TRAINED, SPLITTER):
        nltk_punkt = PunktSentenceTokenizer(splitter.params_, lang_vars=_VARS, token_cls=_PlainToken)
        expected = sorted({0, *[a for a, _ in nltk_punkt.span_tokenize(text)]}) if text.strip() else [0]
        assert splitter.boundaries(text) == expected


# Paragraphs of plain sentences, the commonest kind, with abbreviations, a collocation
# ("famine. In" is never split here), odd spacing and other endings mixed in.
_plain_sentences = st.lists(
    st.tuples(st.lists(st.sampled_from(["the", "Mao", "famine", "steel", "It", "In", "Prof", "A", "x", "1958",
                                        "é", "ab-cd"]), min_size=1, max_size=5),
              st.sampled_from([". ", ". ", ".  ", ". ", " ", ", ", ".\n", "? ", ".\t", ".\xa0", "."])),
    min_size=1, max_size=12,
).map(lambda sentences: "".join(" ".join(words) + end for words, end in sentences))


def _splitter_with_a_collocation() -> SentenceSplitter:
    from nltk.tokenize.punkt import PunktParameters
    params = PunktParameters()
    params.abbrev_types = {"prof", "jan"}
    params.collocations = {("famine", "in")}
    return SentenceSplitter(params)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(_plain_sentences)
def test_plain_paragraphs_split_where_nltk_punkt_splits_them(text):
    """Plain "Word. Next" paragraphs take a quicker way through the splitter, to the same starts."""
    from tutor.chunking import _VARS, PunktSentenceTokenizer, _PlainToken
    for splitter in (TRAINED, _splitter_with_a_collocation()):
        nltk_punkt = PunktSentenceTokenizer(splitter.params_, lang_vars=_VARS, token_cls=_PlainToken)
        expected = sorted({0, *[a for a, _ in nltk_punkt.span_tokenize(text)]}) if text.strip() else [0]
        assert splitter.boundaries(text) == expected


def test_the_quicker_way_is_taken_by_plain_paragraphs_only():
    splitter = _splitter_with_a_collocation()
    assert splitter._plain_boundaries("The famine spread. It was worst in Anhui. It peaked in the famine. In 1960 "
                                      "it ended.") == [0, 19, 42]  # no break inside "famine. In": a collocation
    assert splitter._plain_boundaries("Ask Prof. Li. He knows.") is None  # an abbreviation: Punkt decides
    assert splitter._plain_boundaries("It rose. “Output” fell.") is None  # a quote after the full stop
    assert splitter._plain_boundaries("It rose to 5.3 tonnes. Then it fell.") is None  # a full stop in a number


def _nltk_trained(texts: list[str]):
    from tutor.chunking import _VARS, PunktTrainer, _PlainToken
    trainer = PunktTrainer(lang_vars=_VARS, token_cls=_PlainToken)
    trainer.MIN_COLLOC_FREQ = 5
    for text in texts:
        trainer.train(text, finalize=False)
    trainer.finalize_training()
    return trainer


def _fast_trained(texts: list[str]):
    from tutor.chunking import _Trainer
    trainer = _Trainer()
    trainer.MIN_COLLOC_FREQ = 5
    for text in texts:
        trainer.train_text(text)
    trainer.finalize_training()
    return trainer


def _learnt(trainer) -> tuple:
    p = trainer.get_params()
    return (p.abbrev_types, p.collocations, p.sent_starters, dict(p.ortho_context), dict(trainer._type_fdist),
            trainer._num_period_toks, trainer._sentbreak_count, dict(trainer._sent_starter_fdist),
            dict(trainer._collocation_fdist))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_punkt_pieces, min_size=1, max_size=60).map("".join), min_size=1, max_size=6))
def test_training_learns_what_nltk_punkt_learns(texts):
    """The fast trainer ends with NLTK's parameters and counts, text after text."""
    assert _learnt(_fast_trained(texts)) == _learnt(_nltk_trained(texts))


def test_training_on_the_shipped_corpus_learns_what_nltk_punkt_learns():
    from pathlib import Path

    from tutor.corpus import load_corpus
    docs, _, _ = load_corpus(Path(__file__).resolve().parent.parent / "corpus")
    texts = [Path(d.path).read_text(encoding=d.encoding) for d in docs]
    assert _learnt(_fast_trained(texts)) == _learnt(_nltk_trained(texts))
