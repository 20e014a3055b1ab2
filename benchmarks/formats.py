"""How long reading a PDF, Word file or web page takes, and what each bad file gets.

    python benchmarks/formats.py [--repeat 5]

The shipped corpus's five texts are written out as one PDF (with a running header and page
numbers), one Word file and one web page; each is read ``--repeat`` times as the product
reads it (``extracted.isolated``: a child process) and in place (``formats.extract``), and
the medians are given per page (PDF) and per MB of file. Then every bad file of the tests
is read as the product reads it, and what it got printed: the table of the note.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import documents as D  # noqa: E402  (the bad files the tests use)
from tutor.corpus import Unreadable  # noqa: E402
from tutor.extracted import isolated  # noqa: E402
from tutor.formats import extract, kind_of  # noqa: E402


def paragraphs() -> list[str]:
    out = []
    for path in sorted((ROOT / "corpus").glob("*.txt")):
        out += [" ".join(p.split()) for p in path.read_text(encoding="utf-8-sig").split("\n\n") if p.strip()]
    return out


def make_pdf(paras: list[str]) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    styles = getSampleStyleSheet()

    def furniture(canvas, doc):
        canvas.setFont("Helvetica", 9)
        canvas.drawString(72, A4[1] - 40, "History Department, Year 12 reading pack")
        canvas.drawCentredString(A4[0] / 2, 30, f"Page {doc.page}")

    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4).build([Paragraph(escape(p), styles["BodyText"]) for p in paras],
                                              onFirstPage=furniture, onLaterPages=furniture)
    return buf.getvalue()


def make_docx(paras: list[str]) -> bytes:
    import docx

    d = docx.Document()
    for k, p in enumerate(paras):
        if k % 12 == 0:
            d.add_heading(f"Part {k // 12 + 1}", level=1)
        d.add_paragraph(p)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def make_html(paras: list[str]) -> bytes:
    body = "".join((f"<h2>Part {k // 12 + 1}</h2>" if k % 12 == 0 else "") + f"<p>{escape(p)}</p>"
                   for k, p in enumerate(paras))
    return (f"<html><head><title>Reading pack</title></head><body><nav><a href='/'>Home</a></nav>"
            f"<main><h1>Reading pack</h1>{body}</main><footer>School</footer></body></html>").encode()


def timed(read, data: bytes, kind: str, repeat: int) -> tuple[float, object]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        got = read(data, kind)
        times.append(time.perf_counter() - t)
    return statistics.median(times), got


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    paras = paragraphs()
    print(f"{len(paras)} paragraphs, {sum(len(p.split()) for p in paras):,} words (the shipped corpus)\n")
    print("| format | file | pages | words read | median, as the product reads it | in place | per page | per MB |")
    print("|---|---|---|---|---|---|---|---|")
    for kind, data in (("pdf", make_pdf(paras)), ("docx", make_docx(paras)), ("html", make_html(paras))):
        seconds, got = timed(isolated, data, kind, args.repeat)
        here, _ = timed(extract, data, kind, args.repeat)
        pages = len(got.pages)
        mb = len(data) / 1e6
        per_page = f"{1000 * seconds / pages:.0f} ms" if pages else "-"
        print(f"| {kind} | {mb:.2f} MB | {pages or '-'} | {len(got.text.split()):,} | {seconds:.2f} s | "
              f"{here:.2f} s | {per_page} | {seconds / mb:.1f} s |")
    print("\n| bad file | what it got |")
    print("|---|---|")
    bad = [("scan.pdf", D.pdf_scanned()), ("locked.pdf", D.pdf_handout(encrypt="secret")),
           ("cut.pdf (first 1,500 bytes)", D.pdf_handout()[:1500]), ("bomb.docx", D.zip_bomb()),
           ("photos.docx (a zip of other files)", D.zip_not_word()),
           ("cut.docx (first 3,000 bytes)", D.docx_notes()[:3000]),
           ("old.docx (a Word 97 file)", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)),
           ("notes.pdf (plain text)", b"Plain notes about canals, saved under the wrong name.\n"),
           ("menu.html (all navigation)", D.html_all_navigation()), ("empty.pdf", b""),
           ("bomb.pdf (a stream of 200 MB unpacked; the reader held to 100 MB here)", D.pdf_bomb())]
    for name, data in bad:
        try:
            kind = kind_of(name.split(" ")[0], data)
            if "held to 100 MB" in name:
                import tutor.extracted as extracted
                extracted.EXTRACT_MEMORY = 100 << 20
            got = isolated(data, kind)
            outcome = f"read ({len(got.text.split())} words)"
        except Unreadable as exc:
            outcome = f"skipped: {exc}"
        print(f"| {name} | {outcome} |")


if __name__ == "__main__":
    main()
