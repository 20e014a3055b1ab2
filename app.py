"""The classroom tutor in the browser: ``streamlit run app.py``.

Only the page lives here: session state, layout and widgets. What is shown comes
from ``tutor/`` (answers from ``tutor.answer``, verdicts from ``tutor.check``, and
every piece of HTML or Markdown from ``tutor.markdown``).

- The index is loaded once per server process and shared, read-only, by every
  student's session (``tutor.live.LiveIndex`` in ``st.cache_resource``). When the
  corpus changes, a new index is built in the background while students keep getting
  answers from the old one; then all switch. Each conversation lives in that student's
  ``st.session_state``, capped at ``MAX_TURNS`` questions.
- Teachers (``?teacher`` in the address, then the passcode; see ``tutor.teacher``)
  find an upload form, the rebuild's progress and any wrong passcodes given at the
  top of the Library. Without
  a configured passcode there is no sign-in at all; students never see either.
- Views: Ask (the chat), Check (teachers check a claim or a paragraph sentence by
  sentence), Study (a quiz, a timeline, key terms and people, all cited) and Library
  (every source, readable in full; signed in, the teacher's tools and the class's
  questions). The view is in the
  address (``?view=Check``); the reader is ``?doc=<doc_id>&start=..&end=..``,
  scrolled to the quoted words and highlighting them, so a passage can be shared.
- Errors reach students as a friendly sentence; details go to the server's log.
"""

from __future__ import annotations

import logging
import math
import os
import time

import streamlit as st

# The first page a server shows waits about a second for the engine's libraries to load
# (NLTK imports most of itself, scikit-learn and SciPy with it): say so meanwhile.
_opening = st.empty()
_opening.caption("Opening the tutor…")

from tutor import markdown as md  # noqa: E402  (after the notice above)
from tutor import classlog, quiz, reader, study, teacher  # noqa: E402
from tutor import studyview as sv  # noqa: E402
from tutor.answer import MAX_QUESTION_CHARS, answer, numbered  # noqa: E402
from tutor.check import check_sentences  # noqa: E402
from tutor.errors import TutorError  # noqa: E402
from tutor.index import Index  # noqa: E402
from tutor.inputs import clean  # noqa: E402
from tutor.library import MAX_UPLOAD_MB, UploadRejected, add_document, inspect  # noqa: E402
from tutor.live import LiveIndex  # noqa: E402
from tutor.classlog import ClassLog  # noqa: E402
from tutor.render import attribution, place  # noqa: E402

log = logging.getLogger("tutor.app")

# The view's name is its value in the address (?view=Check), so it is a plain word.
VIEWS = ("Ask", "Check", "Study", "Library")
STUDY_AIDS = {"Quiz": "quiz", "Timeline": "timeline", "Key terms": "terms", "People": "people"}
READER_KEYS = ("doc", "start", "end")
# The chat box takes a long paste (the answer reads its first MAX_QUESTION_CHARS and
# says so); beyond this the browser stops it, so a stuck key cannot flood the server.
MAX_TYPED_CHARS = 100_000
MAX_TURNS = 40  # questions kept per conversation: a long lesson cannot grow memory without bound
FRESHNESS_SECONDS = 3.0  # how often (at most) the corpus folder is compared with the index
TEACHER_PARAM = "teacher"  # ?teacher in the address opens the sign-in (only when a passcode is set)


def class_log() -> ClassLog:
    """Where the class's questions are kept for the teacher (``TUTOR_CLASS_LOG``, else in the index folder)."""
    default = os.path.join(os.environ.get("TUTOR_INDEX", "index"), "class-log.jsonl")
    return ClassLog(os.environ.get("TUTOR_CLASS_LOG", default))


@st.cache_resource(show_spinner=False)
def live_index(corpus_dir: str, index_dir: str) -> LiveIndex:
    """The index of ``corpus_dir`` (kept in ``index_dir``): one per server process.

    Shared read-only by every session. Rebuilt in the background when the corpus
    changes; conversations keep the index their answers came from (``md.Turn``).
    """
    return LiveIndex(corpus_dir, index_dir, check_every=FRESHNESS_SECONDS)


# -- state --------------------------------------------------------------------------------

def init_state() -> None:
    st.session_state.setdefault("turns", [])  # [md.Turn], oldest first, at most MAX_TURNS
    st.session_state.setdefault("dropped", 0)  # how many older turns the cap removed
    st.session_state.setdefault("pending", None)  # a starter question clicked
    st.session_state.setdefault("checked", None)  # ([(sentence, Verdict)], Index, docs) of the Check view
    st.session_state.setdefault("teacher", False)  # signed in with the passcode, in this session only


def ask_later(question: str) -> None:
    st.session_state.pending = question


def clear_chat() -> None:
    st.session_state.turns = []
    st.session_state.dropped = 0


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
        st.caption("Answers are quoted word for word from these documents. Nothing you type leaves this computer. "
                   "Questions asked here are kept on it for your teacher, without names.")


def reader_button(index: Index, c, key: str) -> None:
    st.button("Read it in the document", key=key, icon=":material/menu_book:", type="tertiary",
              on_click=open_reader, args=(reader.citation_params(index, c),))


def citations_block(index: Index, citations, key: str, corrections=(), head: bool = True) -> None:
    """Each citation: where it comes from; opened, the passage around it, why it was
    chosen and the way to the reader."""
    if head:
        st.html('<div class="tt-sources-head">Sources</div>')
    for c in citations:
        with st.expander(md.source_markdown(index, c)):
            st.html(md.context_html(index, c) + md.why_html(c, corrections))
            reader_button(index, c, f"{key}-read-{c.n}")


def show_answer(index: Index, ans, key: str) -> None:
    st.html(md.answer_html(index, ans))
    if ans.answered:
        citations_block(index, ans.citations, key, ans.query.corrections)


def shown_question(question: str) -> str:
    """The question as the chat shows and keeps it: what the tutor read of it."""
    return question if len(question) <= MAX_QUESTION_CHARS else question[:MAX_QUESTION_CHARS] + " …"


def ask(index: Index, question: str) -> None:
    """Answer a new question in the chat and add the pair to the conversation."""
    # The answer cuts a long question itself and adds a note saying so; one character
    # past the limit is all it needs to know, and keeps the work bounded.
    question = clean(question).strip()[:MAX_QUESTION_CHARS + 1]
    with st.chat_message("user"):
        st.html(md.question_html(shown_question(question)))
    with st.chat_message("assistant"):
        docs = selected_docs(index)
        if docs == set():
            st.warning("No source is ticked in the sidebar, so there is nothing to search.")
            return
        with st.spinner("Looking through the sources…"):
            history = [t.question for t in st.session_state.turns]
            ans = answer(index, question, history, docs=docs)
        try:  # for the teacher: the question, not who asked it
            class_log().record(shown_question(question), ans.answered, [index.docs[c.doc].title for c in ans.citations],
                               [c.quote for c in ans.citations])
        except OSError as exc:
            log.warning("the class log cannot be written: %s", exc)
        turns = st.session_state.turns
        turns.append(md.Turn(shown_question(question), ans, index))
        if len(turns) > MAX_TURNS:
            st.session_state.dropped += len(turns) - MAX_TURNS
            del turns[:-MAX_TURNS]
        show_answer(index, ans, f"t{st.session_state.dropped + len(turns) - 1}")


def ask_view(index: Index) -> None:
    # The box is drawn first so a new question is known before the page decides what
    # an empty chat looks like; Streamlit pins it to the bottom wherever it is called.
    typed = st.chat_input("Ask a question about these documents", max_chars=MAX_TYPED_CHARS, key="question")
    question = typed if typed and clean(typed).strip() else st.session_state.pending
    st.session_state.pending = None
    turns = st.session_state.turns
    docs = selected_docs(index)
    if docs:
        st.caption(f"Searching {len(docs)} of {len(index.docs)} sources (change this in the sidebar).")
    if typed is not None and not question:
        st.info("Type a question in the box below, for example about one of the sources in the sidebar.")
    if st.session_state.dropped:
        st.caption(f"Only the last {MAX_TURNS} questions are kept on this page; "
                   f"{st.session_state.dropped} earlier ones were removed.")
    if not turns and not question:
        about = f"{index.info.description} " if index.info.description else ""
        # The count comes from the index, so it is right after a teacher adds a document.
        st.html(f'<p class="tt-meta">{md.escape_html(about)}({len(index.docs)} documents, listed in the '
                'sidebar and the Library.)</p>')
        if index.info.starter_questions:
            st.caption("Try one of these questions, or type your own below:")
            for i, q in enumerate(index.info.starter_questions):
                st.button(md.escape_markdown(q), key=f"starter-{i}", on_click=ask_later, args=(q,),
                          icon=":material/help:")
    for i, t in enumerate(turns, start=st.session_state.dropped):  # keys stay put when old turns go
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
            sentences = md.sentences(index, text or "")
            results = list(zip(sentences, check_sentences(index, sentences, docs=docs)))
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
            if v.citations or v.nearest:
                citations_block(index, v.citations or v.nearest, f"c{i}")


# -- study --------------------------------------------------------------------------------

def study_view(index: Index) -> None:
    aid = st.segmented_control("Study aid", list(STUDY_AIDS), key="study_aid", default="Quiz", required=True,
                               label_visibility="collapsed")
    docs = selected_docs(index)
    if docs == set():
        st.warning("Tick at least one source in the sidebar to study from.")
        return
    if docs:
        st.caption(f"From {len(docs)} of {len(index.docs)} sources (change this in the sidebar).")
    if aid == "Quiz":
        quiz_view(index, docs)
        return
    items = study.make(index, STUDY_AIDS[aid], docs=docs)
    if not items:
        st.info({"Timeline": "These sources give no dates.", "Key terms": "These sources define no terms.",
                 "People": "These sources name no people."}[aid])
    st.caption({"Timeline": "What the sources date, in order; each is a quote you can open in its document.",
                "Key terms": "Terms the sources define, with the sentences that define them.",
                "People": "The people the sources name, with what the sources say of them."}[aid])
    for k, item in enumerate(items):
        with st.container():  # (one block per item: its markers open its own source boxes)
            if aid == "Timeline":
                st.html(sv.event_html(index, item))
                cites = [item.citation, *(o.citation for o in item.dated_differently)]
            else:
                st.html(sv.entry_html(item))
                cites = list(item.citations)
            citations_block(index, numbered(cites), f"s-{STUDY_AIDS[aid]}-{k}", head=False)


def new_quiz() -> None:
    st.session_state.quiz_seed = st.session_state.get("quiz_seed", 0) + 1


def quiz_view(index: Index, docs: set[int] | None) -> None:
    seed = st.session_state.setdefault("quiz_seed", 0)
    c1, c2 = st.columns([1, 1], vertical_alignment="bottom")
    count = c1.number_input("Questions", min_value=3, max_value=20, value=5, step=1, key="quiz_count")
    c2.button("New quiz", icon=":material/refresh:", on_click=new_quiz, key="quiz_new")
    questions = study.make(index, "quiz", int(count), seed, docs)
    if not questions:
        st.info("These sources hold no sentences to make questions from.")
        return
    quiz_key = f"quiz-{seed}-{count}-{sorted(docs) if docs else 'all'}"
    with st.form(quiz_key, border=False):
        for k, q in enumerate(questions, start=1):
            st.html(sv.prompt_html(q, k))
            if q.type == "choice":
                st.radio(f"Answer {k}", q.choices, index=None, key=f"{quiz_key}-{q.id}", label_visibility="collapsed")
            else:
                st.text_input(f"Answer {k}", key=f"{quiz_key}-{q.id}", label_visibility="collapsed",
                              placeholder=f"Type the missing {q.kind}", max_chars=200)
        if st.form_submit_button("Mark my answers", type="primary", icon=":material/grading:"):
            st.session_state.quiz_marked = quiz_key
    if st.session_state.get("quiz_marked") != quiz_key:
        return
    given = [st.session_state.get(f"{quiz_key}-{q.id}") or "" for q in questions]
    right = [quiz.is_right(q, g) for q, g in zip(questions, given)]
    st.markdown(f"**{sum(right)} of {len(questions)} right.** Each answer's source is below.")
    for k, (q, g, ok) in enumerate(zip(questions, given, right), start=1):
        with st.container(border=True):
            st.html(f"<b>{k}.</b> " + sv.mark_html(index, q, g, ok))
            citations_block(index, [q.citation], f"{quiz_key}-m{k}", head=False)


# -- teachers ---------------------------------------------------------------------------

def passcode() -> str | None:
    """The teacher passcode in force (environment, then secrets.toml); None: teacher features off."""
    return teacher.configured_passcode(st.secrets)


def is_teacher() -> bool:
    """Signed in, in this session, with a passcode that is still configured."""
    return bool(st.session_state.get("teacher")) and passcode() is not None


@st.cache_resource(show_spinner=False)
def sign_in_guard() -> teacher.SignInGuard:
    """Wrong passcodes, counted by the server for all sessions: a reload cannot reset them."""
    return teacher.SignInGuard()


def client_address() -> str:
    """The browser's address as the server sees it; Streamlit gives none for this computer."""
    ip = st.context.ip_address
    return ip if isinstance(ip, str) and ip else "this computer"


def sign_in() -> None:
    # The view is left as it is: setting the address-bound view from a callback can be
    # lost in the browser, and with it the teacher's next upload (it reran as Ask).
    guard, client = sign_in_guard(), client_address()
    typed = st.session_state.get("passcode_typed") or ""
    st.session_state.passcode_typed = ""
    wait = guard.wait(client)
    if wait:
        st.session_state.sign_in_error = f"Too many wrong tries. Wait {math.ceil(wait)} seconds, then try again."
    elif teacher.passcode_matches(typed, passcode()):
        guard.succeeded(client)
        st.session_state.teacher = True
        st.session_state.sign_in_error = None
    else:
        guard.failed(client)
        log.warning("a wrong teacher passcode from %s", client)
        st.session_state.sign_in_error = "That is not the teacher passcode."


def sign_out() -> None:
    st.session_state.teacher = False


def sign_in_form() -> None:
    """Shown only for ``?teacher`` in the address, and only when a passcode is configured."""
    with st.form("sign_in", border=True):
        st.markdown("**Teacher sign-in**")
        st.text_input("Passcode", type="password", key="passcode_typed", max_chars=200)
        st.form_submit_button("Sign in", on_click=sign_in, icon=":material/key:")
    if st.session_state.get("sign_in_error"):
        st.error(st.session_state.sign_in_error)


@st.fragment(run_every=1.0)
def build_status(live: LiveIndex) -> None:
    """The background rebuild's progress, refreshed every second for the signed-in teacher."""
    status = live.status()
    if status.state == "building":
        st.progress(status.fraction, text=status.message or "Updating the index…")
        st.caption("Students keep getting answers from the current documents until the new index is ready.")
    elif status.state == "failed":
        st.error(status.message)
    else:
        st.caption(f"The tutor answers from {status.documents} documents.")
    seen = st.session_state.setdefault("seen_generation", status.generation)
    if status.generation != seen and status.state != "building":
        st.session_state.seen_generation = status.generation
        st.rerun(scope="app")  # the new index is in force: show its library


UPLOAD_TYPES = ["txt", "md", "pdf", "docx", "html", "htm"]
KIND_NAMES = {"pdf": "PDF", "docx": "Word document", "html": "web page"}


def upload_form(live: LiveIndex, corpus_dir: str) -> None:
    with st.form("upload", clear_on_submit=True, border=True):
        st.markdown("**Add a document**")
        st.caption(f"A text (.txt, .md), PDF (.pdf), Word (.docx) or saved web page (.html) file, at most "
                   f"{MAX_UPLOAD_MB} MB. The title and attribution are shown with every quote from it.")
        file = st.file_uploader("Document", type=UPLOAD_TYPES, key="upload_file", max_upload_size=MAX_UPLOAD_MB)
        title = st.text_input("Title", key="upload_title", max_chars=200,
                              placeholder="As students should see it; the document's own title if left empty")
        c1, c2, c3 = st.columns([2, 2, 1])
        author = c1.text_input("Author", key="upload_author", max_chars=200)
        publisher = c2.text_input("Publisher or website", key="upload_publisher", max_chars=200)
        year = c3.text_input("Year", key="upload_year", max_chars=20)
        c1, c2 = st.columns(2)
        licence = c1.text_input("Licence or permission", key="upload_licence", max_chars=300)
        url = c2.text_input("Address of the original", key="upload_url", max_chars=300)
        replace = st.checkbox("Replace a document that has the same file name", key="upload_replace")
        submitted = st.form_submit_button("Add to the library", type="primary", icon=":material/upload_file:")
        slot = st.empty()  # the outcome goes under the button, where the teacher is looking
    if submitted and is_teacher():  # checked again here: the form is no way in for anyone else
        st.session_state.upload_staged = None
        if file is None:
            st.session_state.upload_result = ("warning", "Choose a file to add first.")
        else:
            fields = dict(title=title, author=author, publisher=publisher, year=year, url=url, licence=licence,
                          replace=replace)
            try:
                seen = inspect(file.name, file.getvalue())
            except UploadRejected as exc:
                st.session_state.upload_result = ("error", str(exc))
            else:
                if seen.kind == "text":  # its text is the file itself: nothing to look over
                    add_upload(live, corpus_dir, file.name, file.getvalue(), fields, seen)
                else:  # what was read from a PDF, Word file or web page is shown before it is added
                    st.session_state.upload_result = None
                    st.session_state.upload_staged = (file.name, file.getvalue(), fields, seen)
    staged = st.session_state.get("upload_staged")
    if staged and is_teacher():
        upload_preview(live, corpus_dir, staged)
    result = st.session_state.get("upload_result")
    if result:
        kind, message = result
        {"success": slot.success, "warning": slot.warning, "error": slot.error}[kind](md.escape_markdown(message))


def upload_preview(live: LiveIndex, corpus_dir: str, staged) -> None:
    """The first lines the tutor read from a PDF, Word file or web page, and the choice to add it."""
    _, _, _, seen = staged
    with st.container(border=True, key="upload_preview"):
        pages = f", {seen.pages} pages" if seen.pages else ""
        st.markdown(f"**Check what the tutor read from {md.escape_markdown(seen.name)}** "
                    f"({KIND_NAMES[seen.kind]}{pages}, {len(seen.text.split()):,} words)")
        st.caption(f"Title: {md.escape_markdown(staged[2]['title'] or seen.title)}. Its first lines:")
        st.html('<div class="tt-preview">' + "".join(
            f"<p>{md.escape_html(line if len(line) <= 300 else line[:300] + '…')}</p>"
            for line in seen.first_lines()) + "</div>")
        c1, c2 = st.columns(2)
        c1.button("Add it to the library", type="primary", icon=":material/check:", key="upload_confirm",
                  on_click=confirm_upload, args=(live, corpus_dir), width="stretch")
        c2.button("Cancel", key="upload_cancel", on_click=cancel_upload, width="stretch")


def confirm_upload(live: LiveIndex, corpus_dir: str) -> None:
    staged, st.session_state.upload_staged = st.session_state.get("upload_staged"), None
    if staged and is_teacher():
        name, data, fields, seen = staged
        add_upload(live, corpus_dir, name, data, fields, seen)


def cancel_upload() -> None:
    staged, st.session_state.upload_staged = st.session_state.get("upload_staged"), None
    if staged:
        st.session_state.upload_result = ("warning", f"{staged[3].name} was not added.")


def add_upload(live: LiveIndex, corpus_dir: str, name: str, data: bytes, fields: dict, seen=None) -> None:
    try:
        added = add_document(corpus_dir, name, data, **fields, seen=seen)
    except UploadRejected as exc:
        st.session_state.upload_result = ("error", str(exc))
        return
    log.info("teacher added %s (%s)", added.name, "replaced" if added.replaced else "new")
    live.refresh(force=True)
    verb = "replaced" if added.replaced else "added"
    msg = (f"“{added.title}” was {verb} as {added.name}. Students can ask about it as soon as "
           "the index above is updated.")
    st.session_state.upload_result = ("success", msg + (f" Note: {added.manifest_note}"
                                                        if added.manifest_note else ""))


def teacher_panel(live: LiveIndex, corpus_dir: str) -> None:
    with st.container(border=True):
        head, out = st.columns([4, 1], vertical_alignment="center")
        head.markdown("**Teacher tools**")
        out.button("Sign out", key="sign_out", on_click=sign_out, icon=":material/logout:", type="tertiary")
        build_status(live)
        failed_sign_ins()
    class_view()
    upload_form(live, corpus_dir)


def class_view() -> None:
    """The teacher's view of the class: what was asked, what the sources could not answer."""
    the_log = class_log()
    entries = the_log.entries()
    with st.container(border=True, key="class_log"):
        st.markdown("**The class's questions**")
        st.caption("Every question asked in the chat on this computer: when, answered or not, and what was "
                   "quoted. No names are kept.")
        if not entries:
            st.info("No questions yet.")
            return
        s = classlog.summarise(entries)
        st.html(md.class_summary_html(s))
        st.html(md.class_table_html(entries[-100:]))
        c1, c2 = st.columns(2)
        c1.download_button("Export as CSV", classlog.to_csv(entries), file_name="class-questions.csv",
                           mime="text/csv", icon=":material/download:", key="log_export", on_click="ignore")
        if c2.button("Clear the log", icon=":material/delete:", key="log_clear"):
            st.session_state.log_clearing = True
        if st.session_state.get("log_clearing"):
            st.warning(f"Clear all {len(entries)} questions? Export them first if you need them; this cannot be undone.")
            c1, c2 = st.columns(2)
            if c1.button("Yes, clear the log", type="primary", key="log_clear_yes") and is_teacher():
                the_log.clear()
                st.session_state.log_clearing = False
                st.rerun()
            if c2.button("Keep it", key="log_clear_no"):
                st.session_state.log_clearing = False
                st.rerun()


def failed_sign_ins() -> None:
    failures = list(sign_in_guard().failures)
    if not failures:
        return
    with st.expander(f"Wrong passcodes given since the server started: {len(failures)}"
                     f"{' or more' if len(failures) == teacher.KEEP_FAILURES else ''}"):
        st.html("<ul>" + "".join(f"<li>{time.strftime('%d %b %H:%M:%S', time.localtime(f.at))}, from "
                                 f"{md.escape_html(f.client)}</li>" for f in reversed(failures)) + "</ul>")


def library_view(index: Index, live: LiveIndex | None = None, corpus_dir: str | None = None) -> None:
    if live is not None and is_teacher():
        teacher_panel(live, corpus_dir or "corpus")
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
            made = KIND_NAMES.get(d.kind, "")
            made += f", {len(d.pages)} pages" if d.pages else ""
            meta.append(f'<div class="tt-meta">{made + " · " if made else ""}{words:,} words · '
                        f'{md.escape_html(d.rel)}</div>')
            st.html("".join(meta))
            st.button("Read", key=f"lib-{d.doc_id}", icon=":material/menu_book:",
                      on_click=open_reader, args=(reader.reader_params(index, i),))
    if index.skipped:
        with st.expander("Files that could not be read"):
            st.html("<ul>" + "".join(
                f"<li>{md.escape_html(os.path.basename(s.path))}: {md.escape_html(s.reason)}</li>"
                for s in index.skipped) + "</ul>")


def reader_view(index: Index) -> None:
    st.button("Back", icon=":material/arrow_back:", on_click=close_reader, key="reader_back")
    try:
        target = reader.reader_target(index, st.query_params.to_dict())
    except reader.BadAddress as exc:
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
        where = f", {place(index, target.passage, target.start)}" if target.passage is not None else ""
        st.html(f'<div class="tt-meta"><mark class="tt-mark">Highlighted</mark>: the quoted words{where}. '
                "The address of this page links straight to them.</div>")
    st.divider()
    st.html(reader.document_html(index, target.doc, target))
    if target.start is not None:
        st.html(reader.scroll_script(f"{d.doc_id}:{target.start}:{target.end}"), unsafe_allow_javascript=True)
    st.divider()
    st.button("Back", icon=":material/arrow_back:", on_click=close_reader, key="reader_back_end")


# -- the page ---------------------------------------------------------------------------

def main() -> None:
    _opening.empty()  # (the libraries are loaded: the spinner below says what comes next)
    corpus_dir = os.environ.get("TUTOR_CORPUS", "corpus")
    index_dir = os.environ.get("TUTOR_INDEX", "index")
    st.set_page_config(page_title="Tutor", layout="centered")
    live = live_index(corpus_dir, index_dir)
    try:
        with st.spinner("Opening the documents…"):  # shows only when it takes a while (the first load)
            index = live.current()
    except TutorError as exc:
        log.error("cannot open the corpus: %s", exc)
        st.error("The tutor cannot open its documents right now. Please tell your teacher: "
                 "the documents folder is missing or holds nothing it can read.")
        return
    st.set_page_config(page_title=index.info.title)
    st.html(md.CSS)
    st.html(md.MARKER_SCRIPT, unsafe_allow_javascript=True)
    init_state()
    st.markdown(f"#### {md.escape_markdown(index.info.title)}")
    teacher_address = TEACHER_PARAM in st.query_params and passcode() is not None
    if teacher_address and not is_teacher():
        sign_in_form()
    # ?teacher opens on the Library, where the teacher tools appear once signed in.
    st.segmented_control("View", VIEWS, key="view", default="Library" if teacher_address else "Ask",
                         required=True, bind="query-params", label_visibility="collapsed",
                         on_change=close_reader)
    if teacher_address and is_teacher() and st.session_state.view != "Library":
        st.caption("You are signed in as the teacher: your tools are at the top of the Library.")
    if "doc" in st.query_params:
        reader_view(index)
    elif st.session_state.view == "Check":
        check_view(index)
    elif st.session_state.view == "Study":
        study_view(index)
    elif st.session_state.view == "Library":
        library_view(index, live, corpus_dir)
    else:
        ask_view(index)
    sidebar(index)  # last, so that it offers the conversation including this run's answer


try:
    main()
except Exception:  # noqa: BLE001 - Streamlit's own control flow is BaseException and passes through
    log.exception("the page failed")
    st.error("Sorry, something went wrong on this page. Please try again, or ask your teacher.")
