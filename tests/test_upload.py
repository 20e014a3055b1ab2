"""Teachers add documents, students cannot: tutor.library, tutor.teacher and the app's teacher tools."""

from __future__ import annotations

import re
import shutil
import threading
import time
import tomllib
from pathlib import Path

import pytest
import streamlit
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from tests import documents as D
from tutor import teacher
from tests.conftest import read_corpus
from tutor.corpus import SUFFIXES
from tutor.library import MAX_UPLOAD_BYTES, MAX_UPLOAD_MB, UploadRejected, add_document, safe_name

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
TEXT = ("The Sankey Viaduct\n\nThe Sankey Viaduct carried the Liverpool and Manchester Railway over the "
        "Sankey Brook valley on nine arches, each of them fifty feet wide.\n")


# -- file names -----------------------------------------------------------------------------

@pytest.mark.parametrize("given_name, expected", [
    ("notes.txt", "notes.txt"),
    ("My Notes (final).TXT", "my-notes-final.txt"),
    ("../../etc/passwd.txt", "passwd.txt"),
    ("..\\..\\windows\\evil.md", "evil.md"),
    ("/abs/path/.hidden.txt", "hidden.txt"),
    ("....txt", None),  # no name at all: a made-up one
    ("%2e%2e%2fescape.txt", "2e-2e-2fescape.txt"),
    ("Mao’s speech – 1958.md", "maos-speech-1958.md"),
    ("café déjà vu.txt", "cafe-deja-vu.txt"),
])
def test_names_are_made_safe(given_name: str, expected: str | None):
    name = safe_name(given_name)
    if expected is None:
        assert name.startswith("document-") and name.endswith(".txt")
    else:
        assert name == expected


@pytest.mark.parametrize("bad", ["sources.toml", "photo.png", "notes.txt.exe", "noextension", "", "archive.tar.gz",
                                 "notes.doc", "slides.pptx"])
def test_only_document_names_are_accepted(bad: str):
    with pytest.raises(UploadRejected, match=r"\.txt and \.md files, PDF \(\.pdf\), Word \(\.docx\)"):
        safe_name(bad)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120).map(lambda s: s + ".txt") | st.text(max_size=120))
def test_no_name_leaves_the_corpus_folder(filename: str):
    corpus = Path("/srv/corpus")
    try:
        name = safe_name(filename)
    except UploadRejected:
        return
    assert "/" not in name and "\\" not in name and not name.startswith(".")
    assert name.endswith(SUFFIXES) and name.isascii()
    assert (corpus / name).parent == corpus and ".." not in name.split(".")[0]


# -- adding documents -----------------------------------------------------------------------

def test_a_document_is_added_with_its_title_and_attribution(corpus_dir: Path):
    added = add_document(corpus_dir, "Sankey Viaduct.txt", TEXT.encode("utf-8"), "The Sankey Viaduct, 1830",
                         author="Jo Teacher", publisher="Example School", year="2024", url="https://example.org/s",
                         licence="CC BY 4.0")
    assert added.name == "sankey-viaduct.txt" and not added.replaced and added.manifest_note is None
    assert (corpus_dir / added.name).read_text(encoding="utf-8") == TEXT
    docs, skipped, info = read_corpus(corpus_dir)
    doc = next(d for d in docs if d.doc_id == "sankey-viaduct")
    assert (doc.title, doc.author, doc.publisher, doc.year, doc.url, doc.licence) == (
        "The Sankey Viaduct, 1830", "Jo Teacher", "Example School", "2024", "https://example.org/s", "CC BY 4.0")
    # The rest of the manifest is as it was: other entries, corpus settings.
    assert info.starter_questions[0] == "Who invented the spinning jenny?"
    assert next(d for d in docs if d.doc_id == "cities-and-railways").author == "Ada Example"
    assert not skipped and not list(corpus_dir.glob(".upload-*"))


def test_no_title_falls_back_to_the_first_line_and_odd_text_is_stored_safely(corpus_dir: Path):
    added = add_document(corpus_dir, "viaduct.md", TEXT.encode("utf-8"), "  ",
                         author='Quote " and back\\slash\nnew line\x00 [documents."x"]')
    assert added.title == "The Sankey Viaduct"
    manifest = tomllib.loads((corpus_dir / "sources.toml").read_text(encoding="utf-8"))
    entry = manifest["documents"]["viaduct.md"]
    assert entry["author"] == 'Quote " and back\\slash new line [documents."x"]'
    assert "x" not in manifest["documents"]


def test_the_upload_limit_is_the_one_the_upload_box_states():
    # The browser's upload box counts a megabyte as a million bytes (it refused a file
    # of 5,242,868 bytes as over "5.0MB"); the library must refuse exactly what it does.
    assert MAX_UPLOAD_BYTES == MAX_UPLOAD_MB * 1_000_000


@pytest.mark.parametrize("size", [MAX_UPLOAD_BYTES + 1, 5 * 1024 * 1024 - 12])
def test_a_file_over_the_stated_limit_is_refused_with_it(corpus_dir: Path, size: int):
    with pytest.raises(UploadRejected, match=f"the limit is {MAX_UPLOAD_MB} MB"):
        add_document(corpus_dir, "big.txt", b"a" * size, "A title")
    assert not (corpus_dir / "big.txt").exists()


@pytest.mark.parametrize("name, data, reason", [
    ("big.txt", b"a" * (MAX_UPLOAD_BYTES + 1), "too large"),
    ("empty.txt", b"", "empty"),
    ("blank.txt", b" \n\t\n", "white space"),
    ("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "PNG image"),
    ("scan.md", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "damaged or incomplete PDF"),  # read as the PDF it is
    ("essay.txt", b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)), "Word"),
    ("random.txt", bytes(range(256)) * 8, "binary"),
    ("essay.docx", TEXT.encode(), r"not a Word \(\.docx\) file: it holds plain text"),
    ("scan.pdf", D.pdf_scanned(), r"no text to read: a scanned image\?"),
    ("locked.pdf", D.pdf_handout(encrypt="secret"), "an encrypted PDF"),
    ("bomb.docx", D.zip_bomb(), "zip bomb"),
    ("menu.html", D.html_all_navigation(), "no main text"),
])
def test_what_is_not_a_text_document_is_refused(corpus_dir: Path, name: str, data: bytes, reason: str):
    before = sorted(p.name for p in corpus_dir.iterdir())
    manifest = (corpus_dir / "sources.toml").read_bytes()
    with pytest.raises(UploadRejected, match=reason):
        add_document(corpus_dir, name, data, "A title")
    assert sorted(p.name for p in corpus_dir.iterdir() if not p.name.startswith(".")) == \
        [n for n in before if not n.startswith(".")]
    assert (corpus_dir / "sources.toml").read_bytes() == manifest


def test_encodings_teachers_save_in_are_accepted_as_they_are(corpus_dir: Path):
    for name, data in [("cp.txt", "Trevithick’s “Penydarren” engine ran in 1804.".encode("cp1252")),
                       ("u16.txt", "The Great Exhibition opened in 1851.".encode("utf-16"))]:
        added = add_document(corpus_dir, name, data, None)
        assert (corpus_dir / added.name).read_bytes() == data
    docs, skipped, _ = read_corpus(corpus_dir)
    assert {"cp", "u16"} <= {d.doc_id for d in docs} and not skipped


def test_an_existing_document_is_never_overwritten_silently(corpus_dir: Path):
    original = (corpus_dir / "steam-and-cotton.txt").read_bytes()
    with pytest.raises(UploadRejected, match="already in the library.*Replace"):
        add_document(corpus_dir, "Steam and Cotton.txt", TEXT.encode(), "New")
    assert (corpus_dir / "steam-and-cotton.txt").read_bytes() == original
    added = add_document(corpus_dir, "Steam and Cotton.txt", TEXT.encode(), "Steam, revised", replace=True)
    assert added.replaced and (corpus_dir / "steam-and-cotton.txt").read_text() == TEXT
    text = (corpus_dir / "sources.toml").read_text(encoding="utf-8")
    assert text.count('[documents."steam-and-cotton.txt"]') == 1
    docs, _, _ = read_corpus(corpus_dir)
    assert next(d for d in docs if d.doc_id == "steam-and-cotton").title == "Steam, revised"
    assert next(d for d in docs if d.doc_id == "cities-and-railways").author == "Ada Example"


def test_the_same_content_under_another_name_is_refused(corpus_dir: Path):
    data = (corpus_dir / "steam-and-cotton.txt").read_bytes()
    with pytest.raises(UploadRejected, match="already in the library, as steam-and-cotton.txt"):
        add_document(corpus_dir, "copy.txt", data, "Copy")


def test_two_teachers_uploading_one_name_at_once_do_not_overwrite(corpus_dir: Path):
    results = []

    def upload(n):
        try:
            results.append(add_document(corpus_dir, "same.txt", f"{TEXT}\nVersion {n}.\n".encode(), f"V{n}"))
        except UploadRejected as exc:
            results.append(exc)

    threads = [threading.Thread(target=upload, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    added = [r for r in results if not isinstance(r, Exception)]
    assert len(added) == 1
    kept = (corpus_dir / "same.txt").read_text()
    assert kept.endswith(f"Version {added[0].title[1:]}.\n")
    entry = tomllib.loads((corpus_dir / "sources.toml").read_text())["documents"]["same.txt"]
    assert entry["title"] == added[0].title


def test_a_broken_manifest_is_left_alone_and_said_so(corpus_dir: Path):
    (corpus_dir / "sources.toml").write_text("[documents\nbroken = ", encoding="utf-8")
    added = add_document(corpus_dir, "viaduct.txt", TEXT.encode(), "Viaduct")
    assert added.manifest_note and "sources.toml has an error" in added.manifest_note
    assert (corpus_dir / "sources.toml").read_text() == "[documents\nbroken = "
    assert (corpus_dir / "viaduct.txt").exists()


@pytest.mark.parametrize("manifest", ['documents = "not a table"\n',
                                      '[documents]\n"viaduct.txt" = { title = "Written inline" }\n'])
def test_a_manifest_in_an_unexpected_shape_is_left_alone_and_said_so(corpus_dir: Path, manifest: str):
    (corpus_dir / "sources.toml").write_text(manifest, encoding="utf-8")
    added = add_document(corpus_dir, "viaduct.txt", TEXT.encode(), "Viaduct")
    assert added.manifest_note and "by hand" in added.manifest_note
    assert (corpus_dir / "sources.toml").read_text(encoding="utf-8") == manifest
    assert (corpus_dir / "viaduct.txt").read_text() == TEXT


def test_a_corpus_without_a_manifest_gets_one(corpus_dir: Path):
    (corpus_dir / "sources.toml").unlink()
    add_document(corpus_dir, "viaduct.txt", TEXT.encode(), "Viaduct")
    assert tomllib.loads((corpus_dir / "sources.toml").read_text())["documents"]["viaduct.txt"]["title"] == "Viaduct"


# -- the passcode -----------------------------------------------------------------------------

def test_the_passcode_comes_from_the_environment_then_secrets():
    assert teacher.configured_passcode({"teacher_passcode": "s3cret"}, {}) == "s3cret"
    assert teacher.configured_passcode({"teacher_passcode": "s3cret"}, {teacher.ENV_VAR: "env"}) == "env"
    assert teacher.configured_passcode({}, {}) is None
    assert teacher.configured_passcode({"teacher_passcode": "   "}, {}) is None  # blank: off
    assert teacher.configured_passcode({"teacher_passcode": 1234}, {}) is None  # not text: off

    class Missing:
        def get(self, key):
            raise FileNotFoundError("no secrets.toml")

    assert teacher.configured_passcode(Missing(), {}) is None


def test_passcodes_are_compared_exactly():
    assert teacher.passcode_matches("s3cret", "s3cret")
    assert teacher.passcode_matches(" s3cret\n", "s3cret")
    for wrong in ("", "s3cre", "s3cret!", "S3CRET", "s3cret\x00"):
        assert not teacher.passcode_matches(wrong, "s3cret")
    assert not teacher.passcode_matches("", None) and not teacher.passcode_matches("anything", "")


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_guessing_is_slowed_down_per_address_and_more_with_each_wrong_guess():
    clock = Clock()
    guard = teacher.SignInGuard(clock=clock, wall_clock=clock)
    for _ in range(teacher.MAX_ATTEMPTS):
        assert guard.wait("10.0.0.7") == 0
        guard.failed("10.0.0.7")
    assert guard.wait("10.0.0.7") == pytest.approx(teacher.LOCKOUT_SECONDS)
    assert guard.wait("10.0.0.8") == 0  # another address is not held up by this one
    clock.now += teacher.LOCKOUT_SECONDS
    assert guard.wait("10.0.0.7") == 0
    guard.failed("10.0.0.7")  # one more wrong guess: twice the wait
    assert guard.wait("10.0.0.7") == pytest.approx(2 * teacher.LOCKOUT_SECONDS)
    clock.now += 2 * teacher.LOCKOUT_SECONDS
    guard.failed("10.0.0.7")
    assert guard.wait("10.0.0.7") == pytest.approx(4 * teacher.LOCKOUT_SECONDS)
    clock.now += teacher.FORGET_SECONDS  # an hour on, old guesses no longer count
    assert guard.wait("10.0.0.7") == 0
    assert [f.client for f in guard.failures] == ["10.0.0.7"] * (teacher.MAX_ATTEMPTS + 2)


def test_guessing_from_many_addresses_is_held_to_an_overall_limit():
    clock = Clock()
    guard = teacher.SignInGuard(clock=clock, wall_clock=clock)
    for k in range(teacher.OVERALL_ATTEMPTS):
        assert guard.wait(f"10.0.1.{k}") == 0
        guard.failed(f"10.0.1.{k}")
    assert guard.wait("10.0.2.1") == pytest.approx(teacher.LOCKOUT_SECONDS)  # a fresh address waits too


def test_a_right_passcode_forgets_that_address_s_wrong_ones():
    clock = Clock()
    guard = teacher.SignInGuard(clock=clock, wall_clock=clock)
    for _ in range(teacher.MAX_ATTEMPTS - 1):
        guard.failed("10.0.0.7")
    guard.succeeded("10.0.0.7")
    guard.failed("10.0.0.7")
    assert guard.wait("10.0.0.7") == 0
    assert len(guard.failures) == teacher.MAX_ATTEMPTS  # still listed for the teacher


# -- the app: students never reach teacher tools ------------------------------------------------

PASSCODE = "chalk-and-slate-42"


@pytest.fixture
def app_corpus(tmp_path: Path, monkeypatch) -> Path:
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    monkeypatch.setenv("TUTOR_CORPUS", str(corpus))
    monkeypatch.setenv("TUTOR_INDEX", str(tmp_path / "index"))
    monkeypatch.delenv(teacher.ENV_VAR, raising=False)
    streamlit.cache_resource.clear()  # the server-wide sign-in guard starts afresh for each test
    return corpus


def _app(passcode: str | None = PASSCODE, **params) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.secrets["teacher_passcode"] = passcode if passcode is not None else ""
    at.query_params.update(params)
    return at


def _teacher_things(at: AppTest) -> list[str]:
    """Every teacher control on the page (the sign-in form counts separately)."""
    found = [f"uploader {u.label}" for u in at.get("file_uploader")]
    found += [b.label for b in at.button if b.label in ("Add to the library", "Sign out")]
    found += [t.label for t in at.text_input if t.key and t.key.startswith("upload_")]
    return found


def _shown(elements) -> list[str]:
    """Alert texts as a reader sees them (Markdown escapes undone)."""
    return [re.sub(r"\\(.)", r"\1", e.value) for e in elements]


def _sign_in(at: AppTest, code: str) -> AppTest:
    at.text_input(key="passcode_typed").input(code)
    next(b for b in at.button if b.label == "Sign in").click().run()
    assert not at.exception
    return at


@pytest.mark.parametrize("params", [{}, {"view": "Library"}, {"view": "Check"}, {"view": "Teacher"},
                                    {"view": "Library", "teacher": "1"}, {"teacher": ""}, {"upload": "1"}])
def test_with_no_passcode_there_are_no_teacher_features_at_all(app_corpus: Path, params: dict):
    at = _app(None, **params).run()
    assert not at.exception
    assert _teacher_things(at) == []
    assert not [t for t in at.text_input if t.key == "passcode_typed"]


@pytest.mark.parametrize("params", [{}, {"view": "Library"}, {"view": "Check"}, {"view": "Teacher"}, {"upload": "1"}])
def test_students_see_no_teacher_controls_even_by_address(app_corpus: Path, params: dict):
    at = _app(**params).run()
    assert not at.exception
    assert _teacher_things(at) == []
    assert not [t for t in at.text_input if t.key == "passcode_typed"]  # no sign-in either
    at.session_state["view"] = "Library"
    at.run()
    assert _teacher_things(at) == []


def test_a_wrong_passcode_opens_nothing_and_guessing_is_stopped(app_corpus: Path):
    at = _app(view="Library", teacher="1").run()
    assert [t.key for t in at.text_input] == ["passcode_typed"]  # only the sign-in
    assert at.text_input(key="passcode_typed").proto.type == at.text_input(key="passcode_typed").proto.PASSWORD
    for _ in range(teacher.MAX_ATTEMPTS):
        _sign_in(at, "guess")
        assert _teacher_things(at) == []
        assert any("not the teacher passcode" in m for m in _shown(at.error))
    _sign_in(at, PASSCODE)  # right, but too late
    assert _teacher_things(at) == []
    assert any("Too many wrong tries" in m for m in _shown(at.error))
    again = _sign_in(_app(view="Library", teacher="1").run(), PASSCODE)  # a reload: a new session
    assert _teacher_things(again) == []
    assert any("Too many wrong tries" in m for m in _shown(again.error))


def test_the_teacher_sees_the_wrong_passcodes_given(app_corpus: Path):
    at = _sign_in(_sign_in(_app(teacher="").run(), "guess"), PASSCODE)
    assert "uploader Document" in _teacher_things(at)
    assert [e.label for e in at.expander if e.label.startswith("Wrong passcodes")] == [
        "Wrong passcodes given since the server started: 1"]
    assert any("from this computer" in h.proto.body for h in at.html)


def test_a_teacher_uploads_and_the_index_rebuilds_in_the_background(app_corpus: Path):
    at = _sign_in(_app(teacher="").run(), PASSCODE)
    assert at.session_state["view"] == "Library"  # ?teacher opens on the Library
    assert "uploader Document" in _teacher_things(at)
    at.get("file_uploader")[0].set_value(("Sankey Viaduct.txt", TEXT.encode(), "text/plain"))
    at.text_input(key="upload_title").input("The Sankey Viaduct")
    at.text_input(key="upload_author").input("Jo Teacher")
    next(b for b in at.button if b.label == "Add to the library").click().run()
    assert not at.exception
    assert any("was added as sankey-viaduct.txt" in m for m in _shown(at.success)), _shown(at.error)
    assert (app_corpus / "sankey-viaduct.txt").read_text() == TEXT
    # The rebuild runs in the background; the library shows the new document when it is in force.
    deadline = time.monotonic() + 60
    while not any("The Sankey Viaduct" in h.proto.body for h in at.html):
        assert time.monotonic() < deadline, "the new document never appeared"
        time.sleep(0.3)
        at.run()
    assert any("Jo Teacher" in h.proto.body for h in at.html)
    # A student, in another session, gets answers from it.
    student = AppTest.from_file(str(APP), default_timeout=60).run()
    student.chat_input(key="question").set_value("How many arches did the Sankey Viaduct have?").run()
    turn = student.session_state["turns"][0]
    assert turn.answer.answered
    assert turn.index.docs[turn.answer.citations[0].doc].title == "The Sankey Viaduct"
    assert _teacher_things(student) == []


def test_a_disguised_image_is_refused_in_the_app(app_corpus: Path):
    at = _sign_in(_app(teacher="").run(), PASSCODE)
    at.get("file_uploader")[0].set_value(("notes.txt", b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(range(256)), "text/plain"))
    next(b for b in at.button if b.label == "Add to the library").click().run()
    assert any("PNG image" in m for m in _shown(at.error))
    assert not (app_corpus / "notes.txt").exists()


def test_the_passcode_can_come_from_the_environment(app_corpus: Path, monkeypatch):
    monkeypatch.setenv(teacher.ENV_VAR, "from-env")
    at = _sign_in(_app(None, teacher="").run(), "from-env")
    assert "uploader Document" in _teacher_things(at)
    at.button(key="sign_out").click().run()
    assert _teacher_things(at) == []


def test_a_pdf_named_txt_is_added_as_the_pdf_it_is_and_its_text_read(corpus_dir: Path):
    added = add_document(corpus_dir, "Handout.txt", D.pdf_handout())
    assert added.name == "handout.pdf" and added.title == "The Canal Age"
    assert (corpus_dir / "handout.pdf").read_bytes() == D.pdf_handout()  # the file as given
    assert not (corpus_dir / "handout.txt").exists()


def test_a_pdf_shown_to_the_teacher_is_not_read_again_when_added(corpus_dir: Path, monkeypatch):
    from tutor import library

    reads = []
    real = library.isolated
    monkeypatch.setattr(library, "isolated", lambda data, kind: reads.append(kind) or real(data, kind))
    seen = library.inspect("handout.pdf", D.pdf_handout())
    added = add_document(corpus_dir, "handout.pdf", D.pdf_handout(), seen=seen)
    assert added.name == "handout.pdf" and reads == ["pdf"]  # the preview's reading, once
    other = D.pdf_handout(header="Another header")  # what was shown is not this file: it is read
    add_document(corpus_dir, "other.pdf", other, seen=seen)
    assert reads == ["pdf", "pdf"]
