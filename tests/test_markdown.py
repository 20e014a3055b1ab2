"""tutor/markdown.py: what the page shows is escaped, faithful to the sources and complete."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tutor import markdown as md
from tutor import reader
from tutor.answer import Answer, Figure, answer, decline_message
from tutor.check import Verdict
from tutor.store import ensure_index
from tutor.render import place
from tutor.retrieval import Query

ROOT = Path(__file__).resolve().parent.parent
MARKUP = "$x^2$ ![](http://example.com/a.png) :red[red] <script>alert(1)</script> **bold** [link](http://x) &copy;"


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    idx, _ = ensure_index(ROOT / "corpus", tmp_path_factory.mktemp("md") / "index")
    return idx


@pytest.fixture(scope="module")
def furnaces(index):
    ans = answer(index, "What were the backyard furnaces?", [])
    assert ans.answered and ans.citations
    return ans


def _text_of(fragment: str) -> str:
    """What a browser shows for an HTML fragment (tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def _unescape_markdown(text: str) -> str:
    """What the label shows, read back as text (the word joiners in URLs are invisible)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text).replace(md.WORD_JOINER, "")


# -- escaping -----------------------------------------------------------------------------

def test_escape_html_shows_markup_as_text():
    out = md.escape_html(MARKUP)
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert html.unescape(out) == MARKUP


def test_escape_markdown_escapes_every_syntax_character():
    out = md.escape_markdown(MARKUP)
    for ch in "$[]()<>:*!&":
        assert re.search(rf"(?<!\\){re.escape(ch)}", out) is None, ch
    assert _unescape_markdown(out) == MARKUP


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_escape_markdown_round_trips(text):
    out = md.escape_markdown(text)
    assert "\n" not in out
    assert _unescape_markdown(out) == " ".join(text.split()).replace(md.WORD_JOINER, "")


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_escape_html_round_trips(text):
    out = md.escape_html(text)
    assert "<" not in out and ">" not in out and '"' not in out
    assert html.unescape(out) == text


def test_escape_markdown_stops_autolinks():
    out = md.escape_markdown("see http://example.com/a.png or WWW.example.org")
    assert "http://" not in out.replace("\\", "") and "WWW." not in out.replace("\\", "")
    assert _unescape_markdown(out) == "see http://example.com/a.png or WWW.example.org"


def test_escape_export_keeps_plain_prose_readable():
    assert md.escape_export("Mao’s targets: 10.7 million tonnes.") == "Mao’s targets: 10.7 million tonnes."
    assert md.escape_export("- a list? # no") == "\\- a list? # no"
    assert md.escape_export("1. first") == "1\\. first"
    assert md.escape_export("![](http://x/y.png) <b>$x$</b>") == "!\\[\\](http://x/y.png) \\<b\\>\\$x\\$\\</b\\>"


# -- answers ----------------------------------------------------------------------------

def test_answer_html_quotes_each_citation_with_its_marker(index, furnaces):
    out = md.answer_html(index, furnaces)
    shown = _text_of(out)
    for c in furnaces.citations:
        assert f"“{c.quote}” [{c.n}]" in shown
    assert out.count('class="tt-quote"') == len(furnaces.citations)


def test_document_text_in_answers_is_escaped(index, furnaces):
    c = replace(furnaces.citations[0], quote=MARKUP)
    ans = replace(furnaces, citations=(c,))
    out = md.answer_html(index, ans)
    assert "<script>" not in out and "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert MARKUP in _text_of(out)


def test_interpreted_as_is_shown_only_when_the_question_was_reread(index):
    typed = Answer("What were the backyard furnaces?", Query("What were the backyard furnaces?",
                                                              "What were the backyard furnaces?"), False)
    assert md.interpreted_html(typed) == ""
    fixed = Answer("What were the bakyard <b>?", Query("What were the bakyard <b>?", "What were the backyard <b>?",
                                                        (("bakyard", "backyard"),)), False)
    out = md.interpreted_html(fixed)
    assert "Interpreted as “What were the backyard &lt;b&gt;?”" in out
    assert "“backyard” for “bakyard”" in out


def test_agreement_and_differing_figures_are_shown(index, furnaces):
    cits = furnaces.citations[:2]
    ans = replace(furnaces, citations=cits, agreeing=2,
                  figures=(Figure("30 million", cits[0].n), Figure("45 million", cits[1].n)))
    out = md.answer_html(index, ans)
    text = _text_of(out)
    assert "✓ 2 sources agree." in text
    assert "The sources give different figures:" in text
    assert out.count('class="tt-figure"') == 2
    assert "30 million" in text and "45 million" in text
    assert index.docs[cits[1].doc].title.replace("'", "&#x27;") in out


def _declined(index, question: str) -> Answer:
    query = Query(question, question)
    return Answer(question, query, False, message=decline_message(index, query))


def test_decline_is_one_short_paragraph_with_one_suggestion(index):
    ans = _declined(index, "How do volcanoes erupt?")
    out = md.answer_html(index, ans)
    assert ans.message in _text_of(out)
    assert out.count("<p>") == 1 and "<li>" not in out  # not a list of every source
    assert ans.message.count("for example") <= 1


def test_source_label_has_title_attribution_and_paragraph(index, furnaces):
    c = furnaces.citations[0]
    d = index.docs[c.doc]
    label = _unescape_markdown(md.source_markdown(index, c))
    assert label.startswith(f"**[{c.n}]** {d.title}") and place(index, c.passage) in label


def test_context_highlights_the_quote_inside_its_passage(index, furnaces):
    for c in furnaces.citations:
        out = md.context_html(index, c)
        marked = re.findall(r'<mark class="tt-mark">(.*?)</mark>', out, flags=re.S)
        assert [html.unescape(m) for m in marked] == [c.quote]


# -- the reader -------------------------------------------------------------------------

def test_reader_address_round_trips(index, furnaces):
    c = furnaces.citations[0]
    params = reader.citation_params(index, c)
    assert params == {"doc": index.docs[c.doc].doc_id, "start": str(c.start), "end": str(c.end)}
    target = reader.reader_target(index, params)
    assert (target.doc, target.start, target.end) == (c.doc, c.start, c.end)
    assert target.passage == c.passage


@pytest.mark.parametrize("params", [
    {"doc": "no-such-document"},
    {"doc": ""},
    {"doc": "alpha-history-great-leap-forward", "start": "x", "end": "9"},
    {"doc": "alpha-history-great-leap-forward", "start": "5", "end": "5"},
    {"doc": "alpha-history-great-leap-forward", "start": "-1", "end": "9"},
    {"doc": "alpha-history-great-leap-forward", "start": "0", "end": "99999999"},
])
def test_bad_reader_addresses_are_refused_in_words(index, params):
    with pytest.raises(reader.BadAddress) as exc:
        reader.reader_target(index, params)
    assert "link" in str(exc.value)


def test_document_html_shows_the_whole_text_and_marks_the_quote(index, furnaces):
    c = furnaces.citations[0]
    target = reader.reader_target(index, reader.citation_params(index, c))
    out = reader.document_html(index, c.doc, target)
    shown = _text_of(out)
    text = index.doc_text(c.doc)
    assert " ".join(shown.split()) == " ".join(text.split())
    marked = re.findall(r'<mark class="tt-mark" id="tt-target">(.*?)</mark>', out, flags=re.S)
    assert [html.unescape(m) for m in marked] == [c.quote]
    unlabelled = re.sub(r'<span class="tt-para" data-p="[^"]*"></span>', "", out)
    passage = re.search(r'<span class="tt-passage" id="tt-passage">(.*?)</span>', unlabelled, flags=re.S)
    assert passage and c.quote in _text_of(passage.group(0))
    # Paragraph numbers come from the index, in order, and are not part of the text.
    numbers = [int(n) for n in re.findall(r'data-p="¶(\d+)"', out)]
    assert numbers == sorted(numbers) and numbers[0] == 1


def test_document_html_without_target_marks_nothing(index):
    out = reader.document_html(index, 0)
    assert "<mark" not in out and "tt-passage" not in out


def test_document_text_in_the_reader_is_escaped(index, monkeypatch):
    monkeypatch.setitem(index.texts._texts, 0, MARKUP + "\n\n" + index.doc_text(0))
    out = reader.document_html(index, 0)
    assert "<script>" not in out and MARKUP in _text_of(out)


def test_long_documents_are_shown_around_the_target(index, monkeypatch, furnaces):
    monkeypatch.setattr(reader, "READER_WINDOW", 1000)
    c = furnaces.citations[0]
    out = reader.document_html(index, c.doc, reader.reader_target(index, reader.citation_params(index, c)))
    assert c.quote in _text_of(out)
    assert len(_text_of(out)) < 1300


def test_scroll_script_targets_the_mark():
    out = reader.scroll_script('doc:1:2"<')
    assert 'getElementById("tt-target")' in out and 'data-key="doc:1:2&quot;&lt;"' in out


# -- the check view ---------------------------------------------------------------------

def test_sentences_splits_a_paragraph(index):
    text = ("The Great Leap Forward began in 1958. Mao announced it in Nanjing.\n\n"
            "Backyard furnaces made poor steel")
    assert md.sentences(index, text) == ["The Great Leap Forward began in 1958.", "Mao announced it in Nanjing.",
                                         "Backyard furnaces made poor steel"]
    assert md.sentences(index, "  \n ") == []
    assert len(md.sentences(index, "A cat sat. " * 200)) == md.MAX_CHECK_SENTENCES


def test_verdict_html_labels_and_flags_copying(index, furnaces):
    c = furnaces.citations[0]
    v = Verdict(MARKUP, "supported", (c,), "A source states this.", copied=True)
    out = md.verdict_html(index, v)
    text = _text_of(out)
    assert "✓ Supported" in text and "Copied word for word" in text and MARKUP in text
    assert "<script>" not in out
    nf = md.verdict_html(index, Verdict("x", "not_found", (), "No source states this."))
    assert "Not found" in _text_of(nf) and "Copied" not in nf


def test_check_summary_counts_verdicts():
    vs = [Verdict("a", "supported", (), "", True), Verdict("b", "not_found", (), ""),
          Verdict("c", "supported", (), "")]
    assert md.check_summary(vs) == "3 sentences: 2 supported, 1 not found; 1 copied word for word."
    assert md.check_summary([]) == "Nothing to check."


# -- the downloaded conversation --------------------------------------------------------

def test_conversation_markdown_has_full_citations(index, furnaces):
    off = _declined(index, "How do volcanoes erupt?")
    turns = [md.Turn("What were the backyard furnaces?", furnaces, index), md.Turn("How do volcanoes erupt?", off, index)]
    out = md.conversation_markdown(index.info.title, turns, "1 May 2026")
    assert out.startswith(f"# {index.info.title}: conversation with the tutor")
    assert "## 1. What were the backyard furnaces?" in out
    assert "## 2. How do volcanoes erupt?" in out
    assert "Saved 1 May 2026." in out
    for c in furnaces.citations:
        d = index.docs[c.doc]
        assert f"*{md.escape_export(d.title)}*" in out
        assert md.escape_export(place(index, c.passage, c.start)) in out
        assert f"> “{md.escape_export(c.quote)}”" in out
        who = md.attribution(index, c.doc)
        assert md.escape_export(who) in out
    assert md.escape_export(off.message) in out
    for c in furnaces.citations:  # the markers read as the page shows them, not "\\[1\\]"
        assert f"” [{c.n}]" in out
    assert "\\[" + str(furnaces.citations[0].n) not in out


def test_a_marker_stays_plain_but_a_link_made_of_one_is_escaped():
    assert md.escape_export("3 sources agree: [1], [2] and [3].") == "3 sources agree: [1], [2] and [3]."
    assert md.escape_export("[1](http://x.org) [2]: y") == "\\[1\\](http://x.org) \\[2\\]: y"


def test_conversation_markdown_escapes_what_students_typed(index, furnaces):
    out = md.conversation_markdown(MARKUP, [md.Turn(MARKUP, replace(furnaces, answered=False, message=MARKUP), index)])
    assert "![](" not in out and "<script>" not in out and "$x^2$" not in out
    assert md.conversation_markdown(index.info.title, []).endswith("(No questions yet.)\n")
