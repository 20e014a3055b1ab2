"""Reading PDF, Word and web-page files (tutor/formats.py): the text a reader reads, where
its pages and headings begin, no page furniture, and every bad file refused with why."""

from __future__ import annotations

import pytest

from tests import documents as D
from tutor.decoding import Unreadable
from tutor.extracted import TextStore
from tutor.formats import extract, kind_of


def test_a_pdf_is_read_as_its_paragraphs_without_its_header_and_page_numbers():
    got = extract(D.pdf_handout(), "pdf")
    assert got.title == "The Canal Age"
    assert D.PDF_QUOTE in got.text  # two lines of the page made one paragraph
    assert D.PDF_RUN_ON in got.text  # "trans-" / "port", over the page break, made whole
    for furniture in D.FURNITURE:
        assert furniture not in got.text
    assert [h for _, h in got.sections] == ["The Canal Age", "Origins", "Decline"]
    assert all(got.text[a:a + len(h)] == h for a, h in got.sections)
    assert len(got.pages) == 2 and got.pages[0] == 0
    assert got.text[got.pages[1]:].startswith("port within a few years")  # page 2 begins mid-paragraph
    assert got.text.index(D.PDF_QUOTE) > got.pages[1]


def test_a_pdf_table_is_read_a_row_to_a_line():
    got = extract(D.pdf_with_table(), "pdf")
    assert got.text.split("\n\n")[1:4] == ["Canal | Opened | Length", D.DOCX_TABLE_ROW, "Rochdale Canal | 1804 | 32 miles"]


def test_a_word_file_is_read_with_its_headings_and_tables_but_not_its_page_header_or_footer():
    got = extract(D.docx_notes(), "docx")
    assert got.title == "Notes on Northern Canals"  # the document's own title property
    assert D.DOCX_QUOTE in got.text and D.DOCX_TABLE_ROW in got.text.splitlines()
    assert "Confidential draft" not in got.text and "Copyright" not in got.text
    assert [h for _, h in got.sections] == ["Northern Canals", "Crossing the Pennines", "Canals compared"]
    assert got.pages == ()


def test_a_web_page_is_read_without_its_menu_banner_sidebar_footer_or_scripts():
    got = extract(D.html_page(), "html")
    assert got.title == "Boat Lifts"
    assert D.HTML_QUOTE in got.text and "Anderton | 1875" in got.text
    assert "small engine moves them" in got.text  # a link inside a sentence is part of it
    for gone in ("Home", "Lessons", "newsletter", "Copyright", "pwned", "color", "Canal History", "Tunnels"):
        assert gone not in got.text
    assert [h for _, h in got.sections] == ["Boat Lifts", "How it works"]


@pytest.mark.parametrize("name, data, reason", [
    ("scan.pdf", D.pdf_scanned(), "no text to read: a scanned image?"),
    ("locked.pdf", D.pdf_handout(encrypt="secret"), "an encrypted PDF"),
    ("cut.pdf", D.pdf_handout()[:1500], "a damaged or incomplete PDF"),
    ("bomb.docx", D.zip_bomb(), "zip bomb"),
    ("photos.docx", D.zip_not_word(), "not a Word document"),
    ("cut.docx", D.docx_notes()[:3000], "a damaged or incomplete Word document"),
    ("menu.html", D.html_all_navigation(), "no main text"),
    ("old.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "an old Word or Excel document"),
    ("notes.pdf", b"Plain notes about canals, saved under the wrong name.\n", "it holds plain text"),
])
def test_a_bad_file_is_refused_with_its_reason(name: str, data: bytes, reason: str):
    with pytest.raises(Unreadable, match=reason.replace("?", r"\?").replace("(", r"\(")):
        extract(data, kind_of(name, data))


def test_the_content_decides_how_a_file_is_read_not_its_name():
    assert kind_of("handout.docx", D.pdf_handout()) == "pdf"
    assert kind_of("notes.pdf", D.docx_notes()) == "docx"
    assert kind_of("page.htm", D.html_page()) == "html"


def test_an_extraction_is_kept_and_made_again_only_when_the_file_changes(tmp_path, monkeypatch):
    from tutor import extracted

    pdf = tmp_path / "handout.pdf"
    pdf.write_bytes(D.pdf_handout())
    store = TextStore(tmp_path / "texts")
    first = store.extract(pdf)
    assert open(first.text_path, encoding="utf-8").read() == first.read() and D.PDF_QUOTE in first.read()
    calls = []
    monkeypatch.setattr(extracted, "isolated", lambda data, kind: calls.append(kind) or extract(data, kind))
    assert store.extract(pdf) == first and calls == []  # the same bytes: read from the store
    pdf.write_bytes(D.pdf_handout(header="Canal Society Handout, Summer Term"))
    assert store.extract(pdf).text_path != first.text_path and calls == ["pdf"]
    scanned = tmp_path / "scan.pdf"
    scanned.write_bytes(D.pdf_scanned())
    for _ in range(2):  # a refusal is kept too: a large scan is not tried again on every build
        with pytest.raises(Unreadable, match="scanned"):
            store.extract(scanned)
    assert calls == ["pdf", "pdf"]
    assert store.extract(tmp_path / "notes.txt") is None  # a text file is read as it is


# -- through the command line, as a teacher uses it ------------------------------------------

BAD = {"scan.pdf": (D.pdf_scanned(), "no text to read: a scanned image?"),
       "locked.pdf": (D.pdf_handout(encrypt="secret"), "an encrypted PDF"),
       "cut.pdf": (D.pdf_handout()[:1500], "a damaged or incomplete PDF"),
       "bomb.docx": (D.zip_bomb(), "a zip bomb?"),
       "menu.html": (D.html_all_navigation(), "no main text")}


@pytest.fixture
def teachers_folder(corpus_dir, tmp_path):
    """The test corpus plus a PDF handout, a Word file, a saved web page, and bad files."""
    (corpus_dir / "handout.pdf").write_bytes(D.pdf_handout())
    (corpus_dir / "northern.docx").write_bytes(D.docx_notes())
    (corpus_dir / "lifts.html").write_bytes(D.html_page())
    for name, (data, _) in BAD.items():
        (corpus_dir / name).write_bytes(data)
    return ["--corpus", str(corpus_dir), "--index", str(tmp_path / "index")]


def _ask(folders, question: str) -> dict:
    from tests.conftest import run_tutor
    import json

    proc = run_tutor("ask", question, "--json", *folders)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("question, quote, path, page, section", [
    ("Why did railways take the canal trade?", D.PDF_QUOTE, "handout.pdf", 2, "Decline"),
    ("How long did the Leeds and Liverpool Canal take to build?", D.DOCX_QUOTE, "northern.docx", None,
     "Crossing the Pennines"),
    ("When did the Anderton Boat Lift open?", D.HTML_QUOTE, "lifts.html", None, "Boat Lifts"),
])
def test_a_question_is_answered_from_each_format_with_its_page_and_heading(teachers_folder, question, quote, path,
                                                                          page, section):
    from pathlib import Path

    out = _ask(teachers_folder, question)
    assert out["answered"], out["message"]
    first = out["citations"][0]
    assert first["quote"] == quote
    assert Path(first["path"]).name == path  # the file the teacher gave
    assert Path(first["text_path"]).read_text(encoding="utf-8")[first["start"]:first["end"]] == first["quote"]
    assert first.get("page") == page and first["section"] == section
    for p in out["passages"]:  # every passage too: verbatim, and never page furniture
        text = Path(p.get("text_path") or p["path"]).read_text(encoding="utf-8-sig")
        assert text[p["start"]:p["end"]] == p["text"]
        assert not any(f in p["text"] for f in D.FURNITURE)


def test_a_text_file_citation_is_as_it_always_was(teachers_folder):
    out = _ask(teachers_folder, "Who invented the spinning jenny?")
    assert out["answered"] and out["citations"][0]["path"].endswith(".txt")
    assert not {"text_path", "page", "section"} & set(out["citations"][0])


def test_index_names_each_bad_file_with_its_reason_and_reads_the_rest(teachers_folder):
    from tests.conftest import run_tutor

    proc = run_tutor("index", *teachers_folder)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    skipped = {line.split(": ", 1)[0].rsplit("/", 1)[-1]: line.split(": ", 1)[1]
               for line in proc.stdout.splitlines() if line.startswith("skipped ")}
    assert set(skipped) == set(BAD)
    for name, (_, reason) in BAD.items():
        assert reason in skipped[name], (name, skipped[name])
    assert proc.stdout.startswith("Indexed 6 documents")  # the three text files and the three good new ones


def test_a_file_that_would_hang_or_exhaust_the_server_is_refused(tmp_path, monkeypatch):
    from tutor import extracted

    bomb = D.pdf_bomb()
    assert len(bomb) < 1_000_000  # 200 MB once unpacked
    monkeypatch.setattr(extracted, "EXTRACT_MEMORY", 100 << 20)
    with pytest.raises(Unreadable, match="too large once unpacked|damaged"):
        extracted.isolated(bomb, "pdf")
    monkeypatch.setattr(extracted, "EXTRACT_SECONDS", 0.001)
    slow = tmp_path / "slow.pdf"
    slow.write_bytes(D.pdf_handout())
    with pytest.raises(Unreadable, match="took too long to read"):
        TextStore(tmp_path / "texts").extract(slow)
    monkeypatch.undo()
    assert D.PDF_QUOTE in extracted.isolated(D.pdf_handout(), "pdf").text  # the same file, in time
