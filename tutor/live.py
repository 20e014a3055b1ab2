"""The index a running app serves, replaced whole when a rebuild is complete.

A classroom server shares one index among every student. When the corpus changes (a
teacher uploads a document, edits a file), the new index is built in a background
thread while students keep getting answers from the index in force; once the new
one is complete and loaded, one assignment makes it current and every next question
uses it. A question is answered from the index ``current()`` returned, so never from
a mixture of two; answers already given keep the index they came from.

Nothing here imports Streamlit: the page keeps one ``LiveIndex`` per server process
(``st.cache_resource``) and the tests drive it directly.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

from tutor.corpus import FileStamp, stamps
from tutor.errors import IndexDamaged, TutorError
from tutor.index import Index
from tutor.store import ensure_index, is_fresh

log = logging.getLogger("tutor.live")

# Parts of an index computed on first use; filled before an index is served, so that
# sessions only ever read it. Missing names are passed over (the index may change).
_LAZY = ("idf", "df", "passage_sentences", "sentence_mean")


def warm(index: Index) -> Index:
    """Read every document's text into ``index`` and compute its lazy parts now.

    Each text is checked against the SHA-256 the index recorded, so an index is never
    served over a document that changed after it was built (its offsets would slice
    the wrong words); ``IndexDamaged`` says to build again.
    """
    for d, info in enumerate(index.docs):
        text = index.doc_text(d)
        if info.sha256 and hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest() != info.sha256:
            raise IndexDamaged(f"{info.rel} changed after the index was built")
    for name in _LAZY:
        getattr(index, name, None)
    return index


def _saved(index: Index) -> dict:
    """The status of an index served: ``failed`` (with why) when it could not be saved."""
    if index.unsaved:
        return {"state": "failed", "message": f"The documents are up to date, but {index.unsaved}."}
    return {"state": "ready", "message": ""}


@dataclass(frozen=True)
class BuildStatus:
    """What the background build is doing, in words a teacher can read.

    ``state`` is ``"ready"`` (no build running), ``"building"`` or ``"failed"`` (the
    last build failed, and the previous index is still served; or the index could not
    be saved, and is served from memory). ``done``/``total`` count documents read;
    ``generation`` counts the indexes this server has switched to.
    """

    state: str = "ready"
    message: str = ""
    done: int = 0
    total: int = 0
    generation: int = 0
    documents: int = 0
    started: float | None = None
    finished: float | None = None

    @property
    def fraction(self) -> float:
        if self.state != "building" or not self.total:
            return 0.0
        return min(1.0, self.done / self.total) * 0.9  # the last tenth: weighing words, saving


class LiveIndex:
    """One corpus's index, loaded once and rebuilt in the background when it goes stale.

    ``current()`` never waits for a rebuild (only for the very first load, when there
    is nothing yet to serve). Every ``check_every`` seconds at most, it compares the
    corpus folder with the index and starts a rebuild when a file was added, changed
    or removed; ``refresh(force=True)`` starts one at once (after an upload).
    """

    def __init__(self, corpus_dir: Path | str, index_dir: Path | str, check_every: float = 3.0):
        self.corpus_dir = Path(corpus_dir)
        self.index_dir = Path(index_dir)
        self.check_every = check_every
        self._index: Index | None = None
        self._lock = threading.Lock()  # guards the fields below
        self._first = threading.Lock()  # one first load at a time
        self._checked = 0.0
        self._thread: threading.Thread | None = None
        self._again = False
        self._failed: list[FileStamp] | None = None  # the corpus as it was when a build failed
        self._status = BuildStatus()

    # -- serving -----------------------------------------------------------------------
    def current(self) -> Index:
        """The index to answer from now; raises ``TutorError`` only when there is none."""
        index = self._index
        if index is None:
            with self._first:
                if self._index is None:
                    self._load_first()
            return self._index  # type: ignore[return-value]
        self._check()
        return self._index  # type: ignore[return-value]

    def status(self) -> BuildStatus:
        with self._lock:
            return self._status

    def building(self) -> bool:
        with self._lock:
            return self._thread is not None

    def wait(self, timeout: float = 60.0) -> bool:
        """Wait until no build is running; False if one still is after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                thread = self._thread
            if thread is None:
                return True
            thread.join(min(0.1, max(0.0, deadline - time.monotonic())))
        return not self.building()

    def refresh(self, force: bool = False) -> bool:
        """Start a background rebuild when the corpus changed (or at once, ``force``).

        Returns True when a build was started or is already running.
        """
        with self._lock:
            if self._index is None:
                return False
            if self._thread is not None:
                self._again = self._again or force
                return True
            self._checked = time.monotonic()
        if not force:
            try:
                if is_fresh(self._index, self.corpus_dir):
                    return False
                if self._failed is not None and self._stamps() == self._failed:
                    return False  # it failed on this very corpus: wait for the teacher to change it
            except (TutorError, OSError):
                return False
        return self._start()

    # -- internals ---------------------------------------------------------------------
    def _stamps(self) -> list[FileStamp] | None:
        try:
            return stamps(self.corpus_dir)
        except (TutorError, OSError):
            return None

    def _load_first(self) -> None:
        for attempt in range(3):
            index, rebuilt = ensure_index(self.corpus_dir, self.index_dir)
            try:
                warm(index)
            except IndexDamaged as exc:  # a document changed between the check and the read
                log.warning("index not served (%s); building again", exc)
                if attempt == 2:
                    raise
                time.sleep(0.2)
                continue
            if rebuilt:
                log.info("index built: %d documents, %d passages", len(index.docs), index.n_passages)
            with self._lock:
                self._index = index
                self._checked = time.monotonic()
                self._status = replace(self._status, documents=len(index.docs), finished=time.time(), **_saved(index))
            return

    def _check(self) -> None:
        with self._lock:
            due = time.monotonic() - self._checked >= self.check_every and self._thread is None
            if due:
                self._checked = time.monotonic()  # claimed: other sessions skip this round
        if due:
            self.refresh()

    def _start(self) -> bool:
        with self._lock:
            if self._thread is not None:
                return True
            self._status = replace(self._status, state="building", message="Checking the documents…", done=0,
                                   total=0, started=time.time(), finished=None)
            self._thread = threading.Thread(target=self._run, name="tutor-index-build", daemon=True)
            thread = self._thread
        thread.start()
        return True

    def _progress(self, done: int, total: int) -> None:
        message = (f"Reading the documents: {done} of {total}" if done < total
                   else "Weighing the words and saving the index…")
        with self._lock:
            self._status = replace(self._status, done=done, total=total, message=message)

    def _run(self) -> None:
        while True:
            before = self._stamps()
            try:
                index, rebuilt = ensure_index(self.corpus_dir, self.index_dir, progress=self._progress)
                warm(index)
            except (TutorError, OSError) as exc:
                log.error("index rebuild failed; still serving the previous one: %s", exc)
                self._finish(None, f"The index could not be rebuilt: {exc}", before)
            except Exception as exc:  # noqa: BLE001 - a bug must not kill the server's builder
                log.exception("index rebuild failed unexpectedly")
                self._finish(None, f"The index could not be rebuilt ({type(exc).__name__}).", before)
            else:
                if rebuilt:
                    log.info("index rebuilt: %d documents, %d passages", len(index.docs), index.n_passages)
                self._finish(index, "", before)
            with self._lock:
                if not self._again:
                    self._thread = None
                    return
                self._again = False
                self._status = replace(self._status, state="building", message="Checking the documents…",
                                       done=0, total=0, started=time.time(), finished=None)

    def _finish(self, index: Index | None, error: str, before: list[FileStamp] | None) -> None:
        with self._lock:
            if index is not None:
                switched = index is not self._index
                self._index = index  # the switch: every next question uses the new index
                self._failed = None
                self._status = replace(self._status, documents=len(index.docs), finished=time.time(),
                                       generation=self._status.generation + int(switched), **_saved(index))
            else:
                self._failed = before
                self._status = replace(self._status, state="failed", message=error, finished=time.time())
            self._checked = time.monotonic()
