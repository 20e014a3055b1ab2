"""The real app in a real browser: ``streamlit run app.py`` driven by Playwright + Chromium.

The test starts the server itself on a free port and uses Debian's Chromium (never a
downloaded browser). It asks, opens a citation in the reader, sends markup, checks
the Check view and the download, and counts requests that leave localhost: there
must be none. Screenshots (wide 1280 px and phone 390 px) go to tests/artifacts/.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from tests.browsing import CHROMIUM, app_server, chromium, settle
from tutor.answer import answer
from tutor.check import check
from tutor.markdown import WORD_JOINER
from tutor.store import ensure_index

if not CHROMIUM.exists():
    pytest.skip("Debian's Chromium (/usr/bin/chromium) is not installed", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
WIDE = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
CHAT_BOX = '[data-testid="stChatInputTextArea"]'
MARKUP = "$x^2$ ![](http://example.com/a.png) :red[red] <script>window.pwned=1</script>"
QUESTION = "What were the backyard furnaces?"

pytestmark = pytest.mark.timeout(300)


# A document whose title and text are full of markup: the page must show it as text,
# and fetch nothing (an image that rendered would be a request to example.com).
MARKUP_DOC_TITLE = "Ledger $x^2$ :red[alarm] ![](http://example.com/t.png)"
MARKUP_SENTENCE = ("The zebrafinch ledger records $x^2$ growth, :red[alarm] bells and "
                   "<img src=http://example.com/b.png> marks in every village.")
MARKUP_DOC = (MARKUP_DOC_TITLE + "\n\n" + MARKUP_SENTENCE +
              " Its cover shows ![](http://example.com/a.png) and <script>window.pwned=1</script> twice.\n")


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("browser") / "corpus"
    shutil.copytree(ROOT / "corpus", path)
    (path / "zz-ledger.txt").write_text(MARKUP_DOC, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def index_dir(corpus_dir) -> Path:
    path = corpus_dir.parent / "index"
    ensure_index(corpus_dir, path)  # built before the server starts, so pages load at once
    return path


@pytest.fixture(scope="module")
def index(corpus_dir, index_dir):
    return ensure_index(corpus_dir, index_dir)[0]


@pytest.fixture(scope="module")
def server(corpus_dir, index_dir, tmp_path_factory):
    env = {"TUTOR_CORPUS": str(corpus_dir), "TUTOR_INDEX": str(index_dir)}
    with app_server(env, tmp_path_factory.mktemp("server") / "streamlit.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


class Traffic:
    """Every request and WebSocket a page opens, split into local and outside ones."""

    def __init__(self):
        self.local: list[str] = []
        self.outside: list[str] = []

    def record(self, url: str) -> None:
        parsed = urlparse(url)
        if parsed.scheme in ("data", "blob", "about"):
            return
        (self.local if parsed.hostname in LOCAL_HOSTS else self.outside).append(url)


@pytest.fixture(scope="module")
def traffic() -> Traffic:
    return Traffic()


@pytest.fixture
def open_page(browser, server, traffic):
    contexts = []

    def _open(viewport=WIDE, query: str = ""):
        ctx = browser.new_context(viewport=viewport, accept_downloads=True)
        contexts.append(ctx)
        page = ctx.new_page()
        page.on("request", lambda r: traffic.record(r.url))
        page.on("websocket", lambda ws: traffic.record(ws.url))
        page.set_default_timeout(60_000)
        page.goto(server + query)
        settle(page)
        return page

    yield _open
    for ctx in contexts:
        ctx.close()


def _replies(page) -> int:
    return page.locator(".tt-answer, .tt-decline").count()


def ask(page, question: str) -> None:
    before = _replies(page)
    page.wait_for_selector(CHAT_BOX)
    page.fill(CHAT_BOX, question)
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => document.querySelectorAll('.tt-answer, .tt-decline').length > {before}")
    settle(page)  # the sources below the reply drawn, the script idle: a click now is not lost


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    return path


def in_viewport(page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + min(box["height"], 40) <= height


def test_question_gets_a_cited_answer(open_page, index):
    page = open_page(WIDE)
    assert page.get_by_text("Deploy", exact=True).count() == 0  # no developer clutter
    assert page.locator('[data-testid="stMainMenu"]').count() == 0
    ask(page, QUESTION)
    expected = answer(index, QUESTION, [])
    quotes = page.locator(".tt-quote")
    assert quotes.count() == len(expected.citations)
    for i, c in enumerate(expected.citations):
        assert " ".join(quotes.nth(i).inner_text().split()) == " ".join(f"“{c.quote}” [{c.n}]".split())
    sources = page.locator('[data-testid="stChatMessage"] [data-testid="stExpander"] summary')
    assert sources.count() == len(expected.citations)
    assert index.docs[expected.citations[0].doc].title in sources.first.inner_text()
    shot(page, "answer-wide.png")
    # A marker in the answer opens its own source below, the passage highlighted.
    last = expected.citations[-1]
    page.locator(".tt-answer .tt-marker").nth(len(expected.citations) - 1).click()
    box = page.locator('[data-testid="stChatMessage"] [data-testid="stExpander"] details').nth(last.n - 1)
    page.wait_for_function("e => e.open", arg=box.element_handle())
    assert box.get_attribute("data-opened-by-marker") == str(last.n)
    assert last.quote[:40] in " ".join(box.locator("mark").first.inner_text().split())
    assert page.locator('[data-testid="stChatMessage"] [data-testid="stExpander"] details[open]').count() == 1
    assert in_viewport(page, f'[data-testid="stChatMessage"] [data-testid="stExpander"] details[data-opened-by-marker="{last.n}"]')


def test_citation_opens_the_reader_at_the_highlighted_passage(open_page, index):
    page = open_page(WIDE)
    ask(page, QUESTION)
    c = answer(index, QUESTION, []).citations[-1]
    source = page.locator('[data-testid="stChatMessage"] [data-testid="stExpander"]').nth(c.n - 1)
    source.locator("summary").click()
    context = source.locator(".tt-context mark")
    context.wait_for()
    assert " ".join(context.inner_text().split()) == " ".join(c.quote.split())
    why = source.locator(".tt-why").inner_text()  # what made the tutor choose it
    assert why.startswith("Why this quote:") and all(w in why for w in c.why.matched)
    assert "What weighed most:" in why
    shot(page, "context-wide.png")
    source.get_by_role("button", name="Read it in the document").click()
    page.wait_for_selector("#tt-target[data-scrolled]")
    page.wait_for_timeout(300)
    params = parse_qs(urlparse(page.url).query)
    assert params["doc"] == [index.docs[c.doc].doc_id]
    assert (params["start"], params["end"]) == ([str(c.start)], [str(c.end)])
    mark = page.locator("mark#tt-target")
    assert " ".join(mark.inner_text().split()) == " ".join(c.quote.split())
    assert in_viewport(page, "mark#tt-target"), "the reader did not scroll to the quote"
    assert page.locator("mark#tt-target").evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"
    shot(page, "reader-wide.png")

    # The address is a link that can be shared: opened afresh, it lands on the same words.
    shared = open_page(PHONE, "?" + urlparse(page.url).query)
    shared.wait_for_selector("#tt-target[data-scrolled]")
    shared.wait_for_timeout(300)
    assert in_viewport(shared, "mark#tt-target")
    shot(shared, "reader-phone.png")

    # Back in the chat, the conversation is still there.
    page.get_by_role("button", name="Back").first.click()
    page.wait_for_selector(CHAT_BOX)
    assert page.locator(".tt-answer").count() == 1


def test_markup_is_shown_literally(open_page):
    page = open_page(PHONE)
    ask(page, MARKUP)
    user = page.locator('[data-testid="stChatMessage"] .tt-question').last
    assert user.inner_text() == MARKUP
    main = page.locator('[data-testid="stMainBlockContainer"]')
    assert main.locator("img").count() == 0
    assert main.locator(".katex, .katex-mathml, math").count() == 0
    assert page.evaluate("() => window.pwned") is None
    assert main.locator('[data-testid="stChatMessage"] span[style*="color"]').count() == 0
    shot(page, "markup-phone.png")


def test_document_markup_is_shown_literally(open_page, index):
    page = open_page(WIDE)
    label = page.locator('[data-testid="stSidebar"] [data-testid="stCheckbox"]').last
    assert label.inner_text().replace(WORD_JOINER, "") == MARKUP_DOC_TITLE
    assert label.locator("a, img").count() == 0
    question = "What does the zebrafinch ledger record?"
    ask(page, question)
    expected = answer(index, question, [])
    assert expected.answered and expected.citations[0].quote == MARKUP_SENTENCE
    quote = page.locator(".tt-quote").first
    assert " ".join(quote.inner_text().split()) == f"“{MARKUP_SENTENCE}” [1]"
    source = page.locator('[data-testid="stChatMessage"] [data-testid="stExpander"]').first
    assert MARKUP_DOC_TITLE in source.locator("summary").inner_text().replace(WORD_JOINER, "")
    assert page.evaluate("() => window.pwned") is None
    assert source.locator("summary a, summary img").count() == 0
    source.locator("summary").click()
    source.get_by_role("button", name="Read it in the document").click()
    page.wait_for_selector("#tt-target[data-scrolled]")
    reader = page.locator(".tt-reader")
    assert " ".join(reader.inner_text().split()) == " ".join(MARKUP_DOC.split())
    main = page.locator('[data-testid="stMainBlockContainer"]')
    assert main.locator("img, .katex, math").count() == 0
    shot(page, "markup-reader-wide.png")


def test_phone_layout_fits_the_screen(open_page, index):
    page = open_page(PHONE)
    shot(page, "welcome-phone.png")
    # The folded sidebar says what it holds, and opens on the sources to search.
    control = page.locator('[data-testid="stExpandSidebarButton"]')
    page.wait_for_function("e => getComputedStyle(e, '::after').content === '\"Sources\"'",
                           arg=control.element_handle())  # (once the page's stylesheet has arrived)
    control.click()
    page.get_by_text("Search these sources:").wait_for()
    page.locator('[data-testid="stSidebarCollapseButton"] button, [data-testid="stSidebarCollapseButton"]').first.click()
    ask(page, index.info.starter_questions[1])
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    assert page.locator(CHAT_BOX).is_visible()
    shot(page, "answer-phone.png")


def test_check_view_gives_each_sentence_a_verdict(open_page, index):
    copied = "The Great Leap Forward was announced by Mao at a party meeting in Nanjing in January 1958."
    text = copied + " The Great Leap Forward was announced in 1962. Volcanoes erupt when magma rises."
    expected = [check(index, s) for s in (copied, "The Great Leap Forward was announced in 1962.",
                                          "Volcanoes erupt when magma rises.")]
    page = open_page(WIDE, "?view=Check")
    page.get_by_label("Text to check").fill(text)
    page.get_by_role("button", name="Check against the sources").click()
    page.wait_for_function("() => document.querySelectorAll('.tt-verdict').length == 3")
    badges = [b.inner_text() for b in page.locator(".tt-verdict .tt-badge:first-child").all()]
    labels = {"supported": "Supported", "conflicting": "Conflicting", "not_found": "Not found"}
    assert [b.split(" ", 1)[1] for b in badges] == [labels[v.verdict] for v in expected]
    assert page.locator(".tt-copied").count() == sum(v.copied for v in expected) == 1
    # Each verdict has the source's words in view, what differs marked; the nearest for the last.
    evidence = page.locator(".tt-verdict .tt-evidence")
    assert evidence.count() == 3
    conflict = evidence.nth(1).inner_text()
    assert conflict.startswith("What the source says") and expected[1].citations[0].quote in " ".join(conflict.split())
    assert page.locator(".tt-verdict").nth(1).locator("mark.tt-differs").count() >= 2  # the claim's year and the source's
    assert evidence.nth(2).inner_text().startswith("The nearest the sources come")
    shot(page, "check-wide.png")


def test_library_and_download(open_page, index):
    page = open_page(WIDE)
    ask(page, QUESTION)
    with page.expect_download() as info:
        page.get_by_role("button", name="Download as Markdown").click()
    content = Path(info.value.path()).read_text(encoding="utf-8")
    c = answer(index, QUESTION, []).citations[0]
    assert f"## 1. {QUESTION}" in content and c.quote.split()[0] in content
    assert index.docs[c.doc].title.split()[0] in content
    page.get_by_text("Library", exact=True).click()
    page.wait_for_selector("text=" + index.docs[-1].title)
    shot(page, "library-wide.png")


def test_a_student_takes_a_quiz_and_each_answer_is_marked_with_its_source(open_page, index):
    from tutor import study

    page = open_page(WIDE, "?view=Study")
    questions = study.make(index, "quiz", 5, 0)  # what the page shows: the same corpus, settings and seed
    prompts = page.locator(".tt-quiz")
    prompts.first.wait_for()
    assert prompts.count() == 5
    for k, q in enumerate(questions):
        assert " ".join(prompts.nth(k).inner_text().split()) == " ".join(f"{k + 1}. {q.prompt}".split())
    wrong = 1  # one answer wrong; the others right, typed as a student types (in lower case)
    boxes, radios = iter(range(5)), iter(range(5))
    for k, q in enumerate(questions):
        if q.type == "choice":
            group = page.locator('[data-testid="stRadio"]').nth(next(radios))
            pick = next(o for o in q.choices if o != q.answer) if k == wrong else q.answer
            group.get_by_text(pick, exact=True).click()
        else:
            page.locator('[data-testid="stTextInput"] input').nth(next(boxes)).fill(
                "no idea" if k == wrong else q.answer.lower())
    page.get_by_role("button", name="Mark my answers").click()
    page.get_by_text("4 of 5 right.").wait_for()
    settle(page)
    marks = page.locator(".tt-note.tt-agree, .tt-note.tt-wrong")
    assert marks.count() == 5
    assert "The answer:" in marks.nth(wrong).inner_text() and questions[wrong].answer in marks.nth(wrong).inner_text()
    # Right or wrong, the source sentence is shown, with the answer in it highlighted, and can be opened.
    shown = page.locator(".tt-quote").nth(wrong)
    assert " ".join(shown.inner_text().split()).startswith(f"“{questions[wrong].citation.quote}”"[:60])
    assert shown.locator("mark").inner_text() == questions[wrong].answer
    shot(page, "quiz-marked-wide.png")


def test_a_timeline_entry_opens_its_source_in_the_document(open_page, index):
    from tutor import study

    page = open_page(WIDE, "?view=Study")
    page.locator(".tt-quiz").first.wait_for()
    page.get_by_text("Timeline", exact=True).click()
    page.locator(".tt-event").first.wait_for()
    settle(page)
    events = study.make(index, "timeline")
    dates = page.locator(".tt-event > .tt-date")
    assert dates.count() == len(events) and dates.first.inner_text() == events[0].date
    shot(page, "timeline-wide.png")
    first = page.locator('[data-testid="stExpander"]').first
    page.locator(".tt-event .tt-marker").first.click()  # its marker opens its source box
    page.wait_for_function("e => e.open", arg=first.locator("details").element_handle())
    settle(page)  # (a rerun still drawing the page could replace the button under the click)
    first.get_by_role("button", name="Read it in the document").click()
    page.wait_for_selector("#tt-target[data-scrolled]")
    assert " ".join(page.locator("#tt-target").inner_text().split()) == " ".join(events[0].citation.quote.split())


def test_no_request_leaves_localhost(open_page, traffic):
    # A tour of its own, so the count means something when this test runs alone.
    page = open_page(WIDE)
    ask(page, QUESTION)
    page.get_by_text("Library", exact=True).click()
    page.wait_for_timeout(500)
    assert traffic.local, "no request was seen at all"
    assert traffic.outside == []
