"""The page under classroom conditions (AppTest): odd questions, a long lesson, a damaged index."""

from __future__ import annotations

import html
import re
import shutil
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tutor import store
from tutor import markdown as md
from tutor.answer import MAX_QUESTION_CHARS, answer

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
MAX_TURNS = 40  # app.MAX_TURNS


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("classroom") / "index"
    store.ensure_index(ROOT / "corpus", path)
    return path


@pytest.fixture
def app(index_dir, monkeypatch) -> AppTest:
    monkeypatch.setenv("TUTOR_CORPUS", str(ROOT / "corpus"))
    monkeypatch.setenv("TUTOR_INDEX", str(index_dir))
    return AppTest.from_file(str(APP), default_timeout=60)


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def _bodies(at: AppTest, n: int) -> str:
    return "\n".join(_text(h.proto.body) for h in at.chat_message[n].get("html"))


def _ask(at: AppTest, question: str) -> AppTest:
    at.chat_input(key="question").set_value(question).run()
    assert not at.exception
    assert not [e for e in at.error if "went wrong" in e.value]
    return at


ODD = {
    "control": "What were the backyard\x00 furnaces?\x1b[31m\x07",
    "emoji": "🔥🏭 What were the backyard furnaces? 🤔",
    "markup": "<b>What</b> were the **backyard** $furnaces$? :red[now] ![x](http://example.com/x.png)",
    "sql": "'; DROP TABLE turns; -- What were the backyard furnaces? OR 1=1",
    "spanish": "¿Qué eran los hornos de patio?",
    "chinese": "土高炉是什么？",
    "rtl": "\u202eWhat were the backyard furnaces?",
}  # (a lone surrogate cannot reach the page: the browser sends UTF-8; see test_robustness for the CLI)


@pytest.mark.parametrize("kind", list(ODD))
def test_odd_questions_never_break_the_page(app, kind: str):
    _ask(app.run(), ODD[kind])
    assert [m.name for m in app.chat_message] == ["user", "assistant"]
    shown = _bodies(app, 0)
    assert "\x00" not in shown and "\x1b" not in shown and "\u202e" not in shown
    reply = _bodies(app, 1)
    assert reply.strip()  # an answer, or a kind decline
    if kind in ("control", "emoji", "rtl"):
        assert app.session_state["turns"][0].answer.answered, kind


def test_a_100000_character_question_is_cut_with_a_note_and_stays_fast(app, index_dir):
    question = "What were the backyard furnaces? " + "And please tell me more about it. " * 3000
    question = question[:100_000]
    app.run()
    started = time.perf_counter()
    _ask(app, question)
    assert time.perf_counter() - started < 10
    turn = app.session_state["turns"][0]
    assert len(turn.question) <= MAX_QUESTION_CHARS + 2 and turn.question.endswith("…")
    note = f"only its first {MAX_QUESTION_CHARS} characters were read"
    assert note in _bodies(app, 1)
    assert len(_bodies(app, 0)) < MAX_QUESTION_CHARS + 10  # the page does not echo 100,000 characters


def test_a_long_declined_question_still_says_it_was_cut(app):
    _ask(app.run(), "zebra quasar " * 1000)
    assert not app.session_state["turns"][0].answer.answered
    assert f"first {MAX_QUESTION_CHARS} characters" in _bodies(app, 1)
    content = md.conversation_markdown("T", app.session_state["turns"])
    assert f"first {MAX_QUESTION_CHARS} characters" in content


def test_a_blank_question_gets_a_hint_not_an_empty_turn(app):
    _ask(app.run(), "   \n\t ")
    assert not app.chat_message and app.session_state["turns"] == []
    assert any("Type a question" in i.value for i in app.info)


def test_the_conversation_is_capped(app, index_dir):
    app.run()
    index = store.load(index_dir, ROOT / "corpus")
    q = "What were the backyard furnaces?"
    ans = answer(index, q, [])
    app.session_state["turns"] = [md.Turn(f"{q} ({i})", ans, index) for i in range(MAX_TURNS)]
    _ask(app.run(), "Why did the Great Leap Forward fail?")
    turns = app.session_state["turns"]
    assert len(turns) == MAX_TURNS and app.session_state["dropped"] == 1
    assert turns[0].question == f"{q} (1)" and turns[-1].question == "Why did the Great Leap Forward fail?"
    app.run()
    assert len(app.chat_message) == 2 * MAX_TURNS
    assert any(f"Only the last {MAX_TURNS} questions" in c.value for c in app.caption)
    # Every citation button still opens its own turn's source after the cut.
    app.button(key=f"t{MAX_TURNS}-read-1").click().run()
    assert not app.exception and app.query_params["doc"]
    app.button(key="reader_back").click().run()
    app.button(key="clear").click().run()
    assert app.session_state["turns"] == [] and app.session_state["dropped"] == 0


@pytest.mark.parametrize("damage", ["truncate", "pointer", "version"])
def test_a_damaged_index_is_rebuilt_when_the_app_starts(tmp_path: Path, monkeypatch, damage: str):
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    index_dir = tmp_path / "index"
    store.ensure_index(corpus, index_dir)
    folder = store.current_folder(index_dir)
    if damage == "truncate":
        for p in folder.glob("*.npy"):
            p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2])
    elif damage == "pointer":
        (index_dir / "CURRENT").write_text("data-nothing\n")
    else:
        (folder / "manifest.json").write_text((folder / "manifest.json").read_text().replace(
            f'"format_version": {store.FORMAT_VERSION}', '"format_version": 1'))
    monkeypatch.setenv("TUTOR_CORPUS", str(corpus))
    monkeypatch.setenv("TUTOR_INDEX", str(index_dir))
    at = _ask(AppTest.from_file(str(APP), default_timeout=60).run(), "What were the backyard furnaces?")
    assert at.session_state["turns"][0].answer.answered
    assert store.current_folder(index_dir) != folder or damage == "version"
    store.load(index_dir, corpus)  # whole again
