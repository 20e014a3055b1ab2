"""app.py driven by Streamlit's AppTest: the page a class uses, without a browser.

Every test compares what the page shows with what the engine says for the same
input, so the page is checked for faithfulness, not for one particular answer.
"""

from __future__ import annotations

import html
import re
import shutil
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tutor import markdown as md
from tutor.answer import answer
from tutor.check import check
from tutor.store import ensure_index
from tutor.render import place

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
MARKUP = "$x^2$ ![](http://example.com/a.png) :red[red] <script>window.pwned=1</script>"


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("app") / "index"


@pytest.fixture(scope="module")
def index(index_dir):
    idx, _ = ensure_index(ROOT / "corpus", index_dir)
    return idx


@pytest.fixture
def app(index, index_dir, monkeypatch) -> AppTest:
    monkeypatch.setenv("TUTOR_CORPUS", str(ROOT / "corpus"))
    monkeypatch.setenv("TUTOR_INDEX", str(index_dir))
    at = AppTest.from_file(str(APP), default_timeout=60)
    return at


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def _html(node) -> list[str]:
    return [h.proto.body for h in node.get("html")]


def _page_text(at: AppTest) -> str:
    """Every piece of text on the page (HTML shown as the browser would, labels as written)."""
    parts = [_text(h.proto.body) for h in at.html if not h.proto.body.startswith("<style>")]
    parts += [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.value for e in at.error] + [w.value for w in at.warning] + [i.value for i in at.info]
    parts += [b.label for b in at.button] + [e.label for e in at.expander]
    return "\n".join(parts)


def _ask(at: AppTest, question: str) -> AppTest:
    at.chat_input(key="question").set_value(question).run()
    assert not at.exception
    return at


def _assert_shows_answer(index, at: AppTest, message_index: int, expected) -> None:
    """The chat message at ``message_index`` shows ``expected``'s quotes, markers and sources."""
    msg = at.chat_message[message_index]
    assert msg.name == "assistant"
    body = "\n".join(_text(h) for h in _html(msg))
    for c in expected.citations:
        assert f"“{c.quote}” [{c.n}]" in body
    labels = [e.label for e in msg.get("expander")]
    assert labels == [md.source_markdown(index, c) for c in expected.citations]


# -- students -----------------------------------------------------------------------------

def test_empty_chat_offers_the_manifests_starter_questions(app, index):
    app.run()
    assert not app.exception
    assert index.info.starter_questions  # the shipped manifest has some
    labels = [b.label for b in app.button if b.key and b.key.startswith("starter-")]
    assert labels == [md.escape_markdown(q) for q in index.info.starter_questions]
    assert not app.chat_message


def test_question_gets_a_cited_answer(app, index):
    q = "What were the backyard furnaces?"
    _ask(app.run(), q)
    expected = answer(index, q, [])
    assert expected.answered
    assert [m.name for m in app.chat_message] == ["user", "assistant"]
    assert _text(_html(app.chat_message[0])[0]) == q
    _assert_shows_answer(index, app, 1, expected)
    first = expected.citations[0]
    label = re.sub(r"\\(.)", r"\1", app.chat_message[1].get("expander")[0].label)
    assert index.docs[first.doc].title in label and place(index, first.passage) in label
    # Starter questions make way for the conversation.
    assert not [b for b in app.button if b.key and b.key.startswith("starter-")]


def test_starter_question_button_asks_it(app, index):
    app.run()
    q = index.info.starter_questions[0]
    app.button(key="starter-0").click().run()
    assert not app.exception
    assert _text(_html(app.chat_message[0])[0]) == q
    _assert_shows_answer(index, app, 1, answer(index, q, []))


def test_follow_up_is_read_in_the_light_of_the_conversation(app, index):
    first, follow = "What were the backyard furnaces?", "Why did they fail?"
    _ask(_ask(app.run(), first), follow)
    expected = answer(index, follow, [first])
    assert expected.query.interpreted  # "they" is the furnaces
    assert len(app.chat_message) == 4
    _assert_shows_answer(index, app, 3, expected)
    shown = _text(_html(app.chat_message[3])[0])
    assert f"Interpreted as “{expected.query.searched}”" in shown
    # The first answer is still there, unchanged.
    _assert_shows_answer(index, app, 1, answer(index, first, []))


def test_off_topic_question_gets_a_kind_decline(app, index):
    q = "How do volcanoes erupt?"
    _ask(app.run(), q)
    expected = answer(index, q, [])
    assert not expected.answered
    msg = app.chat_message[1]
    shown = "\n".join(_text(h) for h in _html(msg))
    assert expected.message in shown
    assert not any(d.title in shown for d in index.docs)  # one paragraph, not a list of every source
    assert not msg.get("expander")  # no sources for an answer not given


def test_source_filter_limits_the_search(app, index):
    app.run()
    keep = next(i for i, d in enumerate(index.docs) if d.doc_id == "economy-under-mao-study-notes")
    for d in index.docs:
        if d.doc_id != index.docs[keep].doc_id:
            app.checkbox(key=f"src-{d.doc_id}").uncheck()
    q = "What were the backyard furnaces?"
    _ask(app.run(), q)
    expected = answer(index, q, [], docs={keep})
    assert expected.answered and {c.doc for c in expected.citations} == {keep}
    _assert_shows_answer(index, app, 1, expected)
    assert any(f"Searching 1 of {len(index.docs)} sources" in c.value for c in app.caption)


def test_no_source_ticked_is_explained(app, index):
    app.run()
    for d in index.docs:
        app.checkbox(key=f"src-{d.doc_id}").uncheck()
    _ask(app.run(), "What were the backyard furnaces?")
    assert any("Tick at least one source" in w.value for w in app.sidebar.warning)
    assert any("nothing to search" in w.value for w in app.warning)


def test_download_holds_the_conversation_with_full_citations(app, index):
    app.run()
    assert app.download_button(key="download").disabled
    q1, q2 = "What were the backyard furnaces?", "Why did they fail?"
    _ask(_ask(app, q1), q2)
    button = app.download_button(key="download")
    assert not button.disabled and button.label == "Download as Markdown"
    turns = app.session_state["turns"]
    assert [t.question for t in turns] == [q1, q2]
    content = md.conversation_markdown(index.info.title, turns)
    for n, q in enumerate((q1, q2), start=1):
        assert f"## {n}. {q}" in content
    for c in turns[0].answer.citations:
        assert md.escape_export(index.docs[c.doc].title) in content
        assert md.escape_export(place(index, c.passage)) in content
        assert md.escape_export(c.quote) in content


def test_clear_chat_empties_the_conversation(app, index):
    _ask(app.run(), "What were the backyard furnaces?")
    app.button(key="clear").click().run()
    assert not app.exception
    assert not app.chat_message and app.session_state["turns"] == []
    assert [b for b in app.button if b.key and b.key.startswith("starter-")]


def test_conversations_are_per_session(index, index_dir, monkeypatch):
    monkeypatch.setenv("TUTOR_CORPUS", str(ROOT / "corpus"))
    monkeypatch.setenv("TUTOR_INDEX", str(index_dir))
    a, b = (AppTest.from_file(str(APP), default_timeout=60).run() for _ in range(2))
    _ask(a, "What were the backyard furnaces?")
    b.run()
    assert len(a.chat_message) == 2 and not b.chat_message


def test_markup_is_shown_literally(app, index):
    _ask(app.run(), MARKUP)
    user = _html(app.chat_message[0])
    assert user == [md.question_html(MARKUP)]
    assert "<script>" not in user[0] and MARKUP in _text(user[0])
    # Nothing the student typed reaches a Markdown element unescaped.
    for m in app.markdown:
        assert "![](" not in m.value and "$x^2$" not in m.value and ":red[" not in m.value
    for h in app.html:
        assert "window.pwned" not in h.proto.body or "&lt;script&gt;" in h.proto.body


# -- the reader ---------------------------------------------------------------------------

def test_citation_opens_the_reader_at_the_highlighted_quote(app, index):
    q = "What were the backyard furnaces?"
    _ask(app.run(), q)
    c = answer(index, q, []).citations[0]
    app.button(key="t0-read-1").click().run()
    assert not app.exception
    assert app.query_params["doc"] == index.docs[c.doc].doc_id
    assert (app.query_params["start"], app.query_params["end"]) == (str(c.start), str(c.end))
    bodies = [h.proto.body for h in app.html]
    doc_html = next(b for b in bodies if b.startswith('<div class="tt-reader">'))
    marked = re.findall(r'<mark class="tt-mark" id="tt-target">(.*?)</mark>', doc_html, flags=re.S)
    assert [html.unescape(m) for m in marked] == [c.quote]
    assert any("getElementById(\"tt-target\")" in b for b in bodies)  # and it scrolls there
    assert not app.chat_input  # the reader is not the chat
    # Back to the chat, with the conversation intact.
    app.button(key="reader_back").click().run()
    assert "doc" not in app.query_params
    assert len(app.chat_message) == 2


def test_shared_reader_link_opens_on_its_own(app, index):
    d = index.docs[1]
    app.query_params.update({"doc": d.doc_id, "start": "0", "end": "20"})
    app.run()
    assert not app.exception
    assert d.title in _page_text(app)
    assert any('id="tt-target"' in h.proto.body for h in app.html)


@pytest.mark.parametrize("params", [{"doc": "no-such-doc"}, {"doc": "alpha-history-great-leap-forward", "start": "x"},
                                    {"doc": "alpha-history-great-leap-forward", "start": "0", "end": "999999999"}])
def test_bad_reader_link_gets_a_friendly_message(app, params):
    app.query_params.update(params)
    app.run()
    assert not app.exception
    assert any("link" in w.value for w in app.warning)


# -- teachers -----------------------------------------------------------------------------

def test_check_view_judges_each_sentence(app, index):
    copied = "The Great Leap Forward was announced by Mao at a party meeting in Nanjing in January 1958."
    assert copied in index.doc_text(0)
    sentences = [copied, "The Great Leap Forward was announced in 1962.", "Volcanoes erupt when magma rises."]
    app.session_state["view"] = "Check"
    app.run()
    app.text_area(key="check_text").input(" ".join(sentences))
    app.button(key="check_go").click().run()
    assert not app.exception
    verdicts = [check(index, s) for s in sentences]
    assert [v.verdict for v in verdicts] == ["supported", "conflicting", "not_found"]
    assert verdicts[0].copied
    shown = [h.proto.body for h in app.html if h.proto.body.startswith('<div class="tt-verdict')]
    assert shown == [md.verdict_html(index, v, s) for s, v in zip(sentences, verdicts)]
    assert "Copied word for word" in shown[0] and "Copied" not in shown[1]
    summary = md.check_summary(verdicts)
    assert any(m.value == f"**{md.escape_markdown(summary)}**" for m in app.markdown)
    # The passages that back or contradict a sentence are one click away; for one no source
    # states, the nearest the sources come, labelled so.
    labels = [e.label for e in app.expander]
    assert labels == [md.source_markdown(index, c) for v in verdicts for c in (v.citations or v.nearest)]
    assert verdicts[2].nearest and "The nearest the sources come" in shown[2]
    assert "What the source says" in shown[1] and '<mark class="tt-differs">' in shown[1]
    app.button(key="c1-read-1").click().run()
    assert app.query_params["doc"] == index.docs[verdicts[1].citations[0].doc].doc_id


def test_library_lists_every_source_readable_in_full(app, index):
    app.session_state["view"] = "Library"
    app.run()
    assert not app.exception
    text = _page_text(app)
    for i, d in enumerate(index.docs):
        assert d.title in text
        if d.author:
            assert d.author in text
    d = index.docs[2]
    app.button(key=f"lib-{d.doc_id}").click().run()
    doc_html = next(h.proto.body for h in app.html if h.proto.body.startswith('<div class="tt-reader">'))
    assert " ".join(_text(doc_html).split()) == " ".join(index.doc_text(2).split())
    assert "<mark" not in doc_html


# -- classroom conditions -----------------------------------------------------------------

def test_a_document_added_while_the_app_runs_is_found(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    monkeypatch.setenv("TUTOR_CORPUS", str(corpus))
    monkeypatch.setenv("TUTOR_INDEX", str(tmp_path / "index"))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    first = "What were the backyard furnaces?"
    _ask(at, first)
    old_index = at.session_state["turns"][0].index
    # Sorted first, so every older document's number changes in the new index.
    (corpus / "aaa-quillon-festival.txt").write_text(
        "The Quillon festival\n\nThe Quillon festival was held every spring in the mountain village of "
        "Quillon, where farmers celebrated the first harvest with music and lanterns.\n", encoding="utf-8")
    time.sleep(3.5)  # app.FRESHNESS_SECONDS, rounded up
    # This run notices the change and starts a rebuild in the background; the question
    # is answered at once, from the index in force until the new one is complete.
    _ask(at, "When was the Quillon festival held?")
    assert at.session_state["turns"][1].index is old_index
    deadline = time.monotonic() + 60
    while not any(c.key == "src-aaa-quillon-festival" for c in at.sidebar.checkbox):
        assert time.monotonic() < deadline, "the new index never took over"
        time.sleep(0.2)
        at.run()
    _ask(at, "When was the Quillon festival held?")
    new = at.session_state["turns"][2]
    assert new.index is not old_index and new.index.docs[0].doc_id == "aaa-quillon-festival"
    assert new.answer.answered and new.answer.citations[0].doc == 0
    _assert_shows_answer(new.index, at, 5, new.answer)
    # The earlier answer still shows its own sources, not whatever now has its numbers.
    _assert_shows_answer(old_index, at, 1, at.session_state["turns"][0].answer)
    assert not at.exception


def test_missing_corpus_shows_a_friendly_error_without_paths(app, tmp_path, monkeypatch):
    missing = tmp_path / "nowhere" / "corpus"
    monkeypatch.setenv("TUTOR_CORPUS", str(missing))
    monkeypatch.setenv("TUTOR_INDEX", str(tmp_path / "index"))
    app.run()
    assert not app.exception
    assert app.error and "cannot open its documents" in app.error[0].value
    assert str(tmp_path) not in _page_text(app) and "nowhere" not in _page_text(app)


def test_unexpected_failure_shows_a_friendly_error(app, monkeypatch):
    import tutor.answer

    def boom(*args, **kwargs):
        raise RuntimeError("secret /etc/passwd details")

    monkeypatch.setattr(tutor.answer, "answer", boom)
    _ask(app.run(), "What were the backyard furnaces?")
    assert not app.exception
    assert any("something went wrong" in e.value for e in app.error)
    assert "passwd" not in _page_text(app)


def test_pages_show_no_file_paths(app, index):
    q = "What were the backyard furnaces?"
    _ask(app.run(), q)
    text = _page_text(app)
    for d in index.docs:
        assert d.path not in text and d.rel not in text
    assert str(ROOT) not in text


def test_a_pasted_paragraphs_it_is_read_with_the_sentence_before(app, index):
    app.session_state["view"] = "Check"
    app.run()
    app.text_area(key="check_text").input("The Great Leap Forward was a disaster. Why did it fail? "
                                          "It failed because Mao set impossible targets.")
    app.button(key="check_go").click().run()
    assert not app.exception
    shown = [h.proto.body for h in app.html if h.proto.body.startswith('<div class="tt-verdict')]
    assert len(shown) == 3
    assert "a question, not a claim" in shown[1]
    # What failed is the Great Leap Forward: the source that says so is quoted.
    assert "failed primarily due to" in shown[2]


def test_the_check_pages_example_claim_is_checked_right(app, index):
    """The example under the box is one the sources state, in other words than theirs."""
    app.session_state["view"] = "Check"
    app.run()
    example = app.text_area(key="check_text").placeholder.removeprefix("e.g. ")
    v = check(index, example)
    assert v.verdict == "supported", v
    assert "1958" in v.citations[0].quote


def test_the_welcome_counts_the_documents_from_the_index_not_from_a_sentence(app, index, tmp_path, monkeypatch):
    app.run()
    assert f"({len(index.docs)} documents, listed in the sidebar" in _page_text(app)
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    (corpus / "extra.txt").write_text("Extra notes\n\nThe commune canteens closed in 1961.\n", encoding="utf-8")
    ensure_index(corpus, tmp_path / "index")
    monkeypatch.setenv("TUTOR_CORPUS", str(corpus))
    monkeypatch.setenv("TUTOR_INDEX", str(tmp_path / "index"))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert f"({len(index.docs) + 1} documents, listed in the sidebar" in _page_text(at)
    assert "Five texts" not in _page_text(at)
