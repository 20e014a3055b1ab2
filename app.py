"""The classroom tutor in the browser: ``streamlit run app.py``.

Only the page lives here: session state, layout and widgets. What is shown comes
from ``tutor/`` (answers from ``tutor.answer``, verdicts from ``tutor.check``, and
every piece of HTML or Markdown from ``tutor.markdown``).

- The index is loaded once per server process (``st.cache_resource``) and shared,
  read-only, by every student's session; each conversation lives in that student's
  ``st.session_state``.
- Views: Ask (the chat), Check (teachers check a claim or a paragraph sentence by
  sentence) and Library (every source, readable in full). The view is in the
  address (``?view=Check``); the reader is ``?doc=<doc_id>&start=..&end=..``,
  scrolled to the quoted words and highlighting them, so a passage can be shared.
- Errors reach students as a friendly sentence; details go to the server's log.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass

import streamlit as st

from tutor import markdown as md
from tutor.answer import answer
from tutor.check import check
from tutor.errors import TutorError
from tutor.index import Index, ensure_index, is_fresh
from tutor.render import attribution, place

log = logging.getLogger("tutor.app")

# The view's name is its value in the address (?view=Check), so it is a plain word.
VIEWS = ("Ask", "Check", "Library")
READER_KEYS = ("doc", "start", "end")
MAX_QUESTION_CHARS = 1000


FRESHNESS_SECONDS = 3.0  # how often (at most) the corpus folder is compared with the index


@dataclass
class Loaded:
    """The shared index, and when its corpus folder was last compared with it."""

    index: Index
    corpus_dir: str
    checked: float


def _still_current(loaded: Loaded) -> bool:
    """False once a corpus file was added, changed or removed (looked at every few seconds)."""
    now = time.monotonic()
    if now - loaded.checked < FRESHNESS_SECONDS:
        return True
    loaded.checked = now
    try:
        return is_fresh(loaded.index, loaded.corpus_dir)
    except (TutorError, OSError):
        return False


@st.cache_resource(show_spinner="Opening the documents…", validate=_still_current)
def load_index(corpus_dir: str, index_dir: str) -> Loaded:
    """The index of ``corpus_dir``, built into ``index_dir`` when missing or stale.

    One per server process, shared read-only by every session. When a teacher changes
    the corpus, the next page load builds a new one; conversations keep the index
    their answers came from (see ``tutor.markdown.Turn``).
    """
    index, rebuilt = ensure_index(corpus_dir, index_dir)
    if rebuilt:
        log.info("index rebuilt: %d documents, %d passages", len(index.docs), index.n_passages)
    # Fill every lazily computed part now, so that sessions only ever read it.
    for d in range(len(index.docs)):
        index.doc_text(d)
    index.term_ids, index.idf, index.passage_sentences  # noqa: B018
    return Loaded(index, corpus_dir, time.monotonic())


# -- state --------------------------------------------------------------------------------

def init_state() -> None:
    st.session_state.setdefault("turns", [])  # [md.Turn], oldest first
    st.session_state.setdefault("pending", None)  # a starter question clicked
    st.session_state.setdefault("checked", None)  # ([(sentence, Verdict)], Index, docs) of the Check view


def ask_later(question: str) -> None:
    st.session_state.pending = question


def clear_chat() -> None:
    st.session_state.turns = []


def open_reader(params: dict[str, str]) -> None:
    for k in READER_KEYS:
        if k in st.query_params and k not in params:
            del st.query_params[k]
    st.query_params.update(params)


def close_reader() -> None:
    for k in READER_KEYS:
        if k in st.query_params:
            del st.query_params[k]


def selected_docs(index: Index) -> set[int] | None:
    """Document indices ticked in the sidebar; ``None`` when all are (search everything)."""
    chosen = {i for i, d in enumerate(index.docs) if st.session_state.get(f"src-{d.doc_id}", True)}
    return None if len(chosen) == len(index.docs) else chosen


# -- pieces of the page ---------------------------------------------------------------

def sidebar(index: Index) -> None:
    with st.sidebar:
        st.markdown(f"**{md.escape_markdown(index.info.title)}**")
        st.caption("Search these sources:")
        for d in index.docs:
            st.checkbox(md.escape_markdown(d.title), value=True, key=f"src-{d.doc_id}")
        if selected_docs(index) == set():
            st.warning("Tick at least one source to search.")
        st.divider()
        st.caption("This conversation:")
        turns = st.session_state.turns
        st.download_button(
            "Download as Markdown", md.conversation_markdown(index.info.title, turns, time.strftime("%d %B %Y, %H:%M")),
            file_name="tutor-conversation.md", mime="text/markdown", icon=":material/download:",
            disabled=not turns, key="download", on_click="ignore", width="stretch")
        st.button("Clear the chat", on_click=clear_chat, icon=":material/delete:", disabled=not turns,
                  key="clear", width="stretch")
        st.divider()
        st.caption("Answers are quoted word for word from these documents. Nothing you type leaves this computer.")


def reader_button(index: Index, c, key: str) -> None:
    st.button("Read it in the document", key=key, icon=":material/menu_book:", type="tertiary",
              on_click=open_reader, args=(md.citation_params(index, c),))


def citations_block(index: Index, citations, key: str) -> None:
    """Each citation: where it comes from; opened, the passage around it and the way to the reader."""
    st.html('<div class="tt-sources-head">Sources</div>')
    for c in citations:
        with st.expander(md.source_markdown(index, c)):
            st.html(md.context_html(index, c))
            reader_button(index, c, f"{key}-read-{c.n}")


def show_answer(index: Index, ans, key: str) -> None:
    st.html(md.answer_html(index, ans))
    if ans.answered:
        citations_block(index, ans.citations, key)


def ask(index: Index, question: str) -> None:
    """Answer a new question in the chat and add the pair to the conversation."""
    question = question.strip()[:MAX_QUESTION_CHARS]
    with st.chat_message("user"):
        st.html(md.question_html(question))
    with st.chat_message("assistant"):
        docs = selected_docs(index)
        if docs == set():
            st.warning("No source is ticked in the sidebar, so there is nothing to search.")
            return
        with st.spinner("Looking through the sources…"):
            history = [t.question for t in st.session_state.turns]
            ans = answer(index, question, history, docs=docs)
        st.session_state.turns.append(md.Turn(question, ans, index))
        show_answer(index, ans, f"t{len(st.session_state.turns) - 1}")


def ask_view(index: Index) -> None:
    # The box is drawn first so a new question is known before the page decides what
    # an empty chat looks like; Streamlit pins it to the bottom wherever it is called.
    typed = st.chat_input("Ask a question about these documents", max_chars=MAX_QUESTION_CHARS, key="question")
    question = typed if typed and typed.strip() else st.session_state.pending
    st.session_state.pending = None
    turns = st.session_state.turns
    docs = selected_docs(index)
    if docs:
        st.caption(f"Searching {len(docs)} of {len(index.docs)} sources (change this in the sidebar).")
    if not turns and not question:
        if index.info.description:
            st.html(f'<p class="tt-meta">{md.escape_html(index.info.description)}</p>')
        if index.info.starter_questions:
            st.caption("Try one of these questions, or type your own below:")
            for i, q in enumerate(index.info.starter_questions):
                st.button(md.escape_markdown(q), key=f"starter-{i}", on_click=ask_later, args=(q,),
                          icon=":material/help:")
    for i, t in enumerate(turns):
        with st.chat_message("user"):
            st.html(md.question_html(t.question))
        with st.chat_message("assistant"):
            show_answer(t.index, t.answer, f"t{i}")
    if question:
        ask(index, question)


def check_view(index: Index) -> None:
    st.markdown("Paste a claim or a student's paragraph. Each sentence is checked against the sources.")
    text = st.text_area("Text to check", key="check_text", height=150, max_chars=md.MAX_CHECK_CHARS,
                        placeholder="e.g. The Great Leap Forward began in 1958.")
    docs = selected_docs(index)
    if st.button("Check against the sources", type="primary", icon=":material/fact_check:", key="check_go"):
        if docs == set():
            st.warning("No source is ticked in the sidebar, so there is nothing to check against.")
            return
        with st.spinner("Checking each sentence…"):
            results = [(s, check(index, s, docs=docs)) for s in md.sentences(index, text or "")]
        st.session_state.checked = (results, index, docs)
    checked = st.session_state.checked
    if not checked:
        return
    results, index, docs = checked
    if not results:
        st.info("There is nothing to check yet: paste some text above.")
        return
    st.markdown(f"**{md.escape_markdown(md.check_summary([v for _, v in results]))}**")
    if len(results) >= md.MAX_CHECK_SENTENCES:
        st.caption(f"Only the first {md.MAX_CHECK_SENTENCES} sentences were checked.")
    if docs:
        st.caption(f"Checked against {len(docs)} of {len(index.docs)} sources.")
    for i, (sentence, v) in enumerate(results):
        with st.container(border=True):
            st.html(md.verdict_html(index, v, sentence))
            if v.citations:
                citations_block(index, v.citations, f"c{i}")


def library_view(index: Index) -> None:
    st.html(f'<p class="tt-meta">{md.escape_html(index.info.description)}</p>' if index.info.description else
            '<p class="tt-meta">The documents the tutor answers from.</p>')
    for i, d in enumerate(index.docs):
        with st.container(border=True):
            meta = [f'<div class="tt-title">{md.escape_html(d.title)}</div>']
            who = attribution(index, i)
            if who:
                meta.append(f'<div class="tt-meta">{md.escape_html(who)}</div>')
            for label, value in (("Note", d.note), ("Licence", d.licence), ("Original", d.url)):
                if value:
                    meta.append(f'<div class="tt-meta"><b>{label}:</b> {md.escape_html(value)}</div>')
            words = len(index.doc_text(i).split())
            meta.append(f'<div class="tt-meta">{words:,} words</div>')
            st.html("".join(meta))
            st.button("Read", key=f"lib-{d.doc_id}", icon=":material/menu_book:",
                      on_click=open_reader, args=(md.reader_params(index, i),))
    if index.skipped:
        with st.expander("Files that could not be read"):
            st.html("<ul>" + "".join(
                f"<li>{md.escape_html(os.path.basename(s.path))}: {md.escape_html(s.reason)}</li>"
                for s in index.skipped) + "</ul>")


def reader_view(index: Index) -> None:
    st.button("Back", icon=":material/arrow_back:", on_click=close_reader, key="reader_back")
    try:
        target = md.reader_target(index, st.query_params.to_dict())
    except md.BadAddress as exc:
        st.warning(str(exc))
        return
    d = index.docs[target.doc]
    head = [f'<h2 class="tt-doc-title">{md.escape_html(d.title)}</h2>']
    who = attribution(index, target.doc)
    if who:
        head.append(f'<div class="tt-meta">{md.escape_html(who)}</div>')
    if d.licence:
        head.append(f'<div class="tt-meta">{md.escape_html(d.licence)}</div>')
    st.html("".join(head))
    if target.start is not None:
        where = f", {place(index, target.passage)}" if target.passage is not None else ""
        st.html(f'<div class="tt-meta"><mark class="tt-mark">Highlighted</mark>: the quoted words{where}. '
                "The address of this page links straight to them.</div>")
    st.divider()
    st.html(md.document_html(index, target.doc, target))
    if target.start is not None:
        st.html(md.scroll_script(f"{d.doc_id}:{target.start}:{target.end}"), unsafe_allow_javascript=True)
    st.divider()
    st.button("Back", icon=":material/arrow_back:", on_click=close_reader, key="reader_back_end")


# -- the page ---------------------------------------------------------------------------

def main() -> None:
    corpus_dir = os.environ.get("TUTOR_CORPUS", "corpus")
    index_dir = os.environ.get("TUTOR_INDEX", "index")
    st.set_page_config(page_title="Tutor", layout="centered")
    try:
        index = load_index(corpus_dir, index_dir).index
    except TutorError as exc:
        log.error("cannot open the corpus: %s", exc)
        st.error("The tutor cannot open its documents right now. Please tell your teacher: "
                 "the documents folder is missing or holds nothing it can read.")
        return
    st.set_page_config(page_title=index.info.title)
    st.html(md.CSS)
    init_state()
    st.markdown(f"#### {md.escape_markdown(index.info.title)}")
    st.segmented_control("View", VIEWS, key="view", default="Ask", required=True,
                         bind="query-params", label_visibility="collapsed", on_change=close_reader)
    if "doc" in st.query_params:
        reader_view(index)
    elif st.session_state.view == "Check":
        check_view(index)
    elif st.session_state.view == "Library":
        library_view(index)
    else:
        ask_view(index)
    sidebar(index)  # last, so that it offers the conversation including this run's answer


try:
    main()
except Exception:  # noqa: BLE001 - Streamlit's own control flow is BaseException and passes through
    log.exception("the page failed")
    st.error("Sorry, something went wrong on this page. Please try again, or ask your teacher.")
