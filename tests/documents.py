"""Small documents of the kinds teachers keep, made here: a PDF handout, a Word file, a
saved web page, and bad files of each kind. Every one carries furniture (a running
header, page numbers, a menu, a footer) that must never be quoted."""

from __future__ import annotations

import io
import zipfile

HEADER = "Canal Society Handout, Spring Term"
FURNITURE = (HEADER, "Page 1", "Page 2", "Home | Lessons | Contact", "Copyright the Canal Society",
             "Confidential draft for staff")

# (size, text) lines of each page of the PDF handout, top to bottom. The last body line of
# page 1 ends in a hyphenated word whose end is on page 2: one paragraph runs over the break.
PDF_PAGES = [
    [(20, "The Canal Age"),
     (15, "Origins"),
     (11, "The Bridgewater Canal opened in 1761 and carried coal from the mines at"),
     (11, "Worsley to Manchester, where the price of coal fell by half within a year."),
     (11, "James Brindley surveyed its route and kept the water level without locks."),
     (11, "Other canal companies soon copied the design across the Midlands and the"),
     (11, "North, and investors formed many new companies in the canal mania of the"),
     (11, "early 1790s, when Parliament approved dozens of schemes for inland trans-")],
    [(11, "port within a few years, most of them for carrying coal and stone."),
     (15, "Decline"),
     (11, "Railways took most of the canal trade after 1840, because a locomotive moved"),
     (11, "goods many times faster than a horse-drawn narrowboat could."),
     (11, "By 1900 many canals were disused, and some were drained to build railways.")],
]
PDF_QUOTE = "Railways took most of the canal trade after 1840, because a locomotive moved goods many times " \
            "faster than a horse-drawn narrowboat could."
PDF_RUN_ON = "inland transport within a few years"


def pdf_handout(pages=PDF_PAGES, header: str = HEADER, encrypt: str | None = None) -> bytes:
    """A PDF with a text layer: a running header on every page, "Page N" at the foot."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, encrypt=encrypt, invariant=1)
    width, height = A4
    for number, lines in enumerate(pages, 1):
        c.setFont("Helvetica", 9)
        c.drawString(72, height - 40, header)
        c.drawCentredString(width / 2, 30, f"Page {number}")
        y = height - 100
        for size, text in lines:
            y -= size * 0.6 if size > 11 else 0  # space above a heading
            c.setFont("Helvetica-Bold" if size > 11 else "Helvetica", size)
            c.drawString(72, y, text)
            y -= size * 1.4 + (size * 0.5 if size > 11 else 0)
        c.showPage()
    c.save()
    return buf.getvalue()


def pdf_scanned() -> bytes:
    """A PDF of pictures only (what a scanner makes): no text layer."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    for _ in range(2):
        for k in range(40):
            c.rect(72, 100 + k * 15, 400 - k * 5, 8, fill=1)
        c.showPage()
    c.save()
    return buf.getvalue()


DOCX_QUOTE = "The Leeds and Liverpool Canal took forty-six years to build and crossed the Pennines."
DOCX_TABLE_ROW = "Leeds and Liverpool Canal | 1816 | 127 miles"


def docx_notes() -> bytes:
    """A Word file: a title, two headings, paragraphs, a table, and a page header and footer."""
    import docx

    d = docx.Document()
    d.core_properties.title = "Notes on Northern Canals"
    section = d.sections[0]
    section.header.paragraphs[0].text = "Confidential draft for staff"
    section.footer.paragraphs[0].text = "Copyright the Canal Society"
    d.add_heading("Northern Canals", level=0)
    d.add_heading("Crossing the Pennines", level=1)
    d.add_paragraph(DOCX_QUOTE)
    d.add_paragraph("Its summit tunnel at Foulridge is almost a mile long, and boats were legged through it "
                    "by men lying on their backs and walking along the tunnel walls.")
    d.add_heading("Canals compared", level=1)
    d.add_paragraph("The table gives the year each canal opened throughout and its length.")
    table = d.add_table(rows=3, cols=3)
    for row, cells in zip(table.rows, [("Canal", "Opened", "Length"),
                                       ("Leeds and Liverpool Canal", "1816", "127 miles"),
                                       ("Rochdale Canal", "1804", "32 miles")]):
        for cell, text in zip(row.cells, cells):
            cell.text = text
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


HTML_QUOTE = "The Anderton Boat Lift, opened in 1875, raised boats fifty feet between the River Weaver and the " \
             "Trent and Mersey Canal."


def html_page(body: str | None = None) -> bytes:
    """A saved web page: a menu, a banner, the article, a sidebar, a footer and scripts."""
    article = body if body is not None else f"""
      <h1>Boat Lifts</h1>
      <p>{HTML_QUOTE}</p>
      <h2>How it works</h2>
      <p>Two water-filled caissons balance each other, so that a <a href="/lift">small engine</a>
         moves them up and down, one boat in each, with little effort.</p>
      <table><tr><th>Lift</th><th>Opened</th></tr><tr><td>Anderton</td><td>1875</td></tr></table>
      <ul class="related"><li><a href="/a">Locks</a></li><li><a href="/b">Tunnels</a></li></ul>"""
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>Boat Lifts | Canal History</title>
<script>window.pwned = 1;</script><style>p {{ color: red }}</style></head>
<body><header><div class="logo">Canal History</div></header>
<nav><a href="/">Home</a> | <a href="/l">Lessons</a> | <a href="/c">Contact</a></nav>
<main>{article}</main>
<aside>Sign up for our newsletter about waterways</aside>
<footer>Copyright the Canal Society</footer></body></html>""".encode("utf-8")


def html_all_navigation() -> bytes:
    links = "".join(f'<li><a href="/p{k}">Lesson {k} on canals and railways</a></li>' for k in range(30))
    return f"""<html><head><title>Index</title></head><body><nav><ul>{links}</ul></nav>
<div class="menu"><ul>{links}</ul></div><footer>Copyright the Canal Society</footer></body></html>""".encode()


def zip_bomb() -> bytes:
    """A .docx whose document part unpacks to far more than its size."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"\0" * (30 * 1024 * 1024))
    return buf.getvalue()


def zip_not_word() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("photos/readme.txt", "holiday photos")
    return buf.getvalue()


def pdf_with_table() -> bytes:
    """A PDF page with a table between two paragraphs (each cell its own text box)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table

    styles = getSampleStyleSheet()
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4, invariant=1).build([
        Paragraph("The table gives the year each northern canal opened throughout and its length in miles.",
                  styles["BodyText"]),
        Table([["Canal", "Opened", "Length"], ["Leeds and Liverpool Canal", "1816", "127 miles"],
               ["Rochdale Canal", "1804", "32 miles"]]),
        Paragraph("Both canals crossed the Pennines, and both were later overtaken by the railways.",
                  styles["BodyText"])])
    return buf.getvalue()


def pdf_bomb(unpacked: int = 200_000_000) -> bytes:
    """A one-page PDF whose content stream is small packed and ``unpacked`` bytes unpacked."""
    import zlib

    packer = zlib.compressobj(9)
    chunk = b" " * 1_000_000
    stream = b"".join(packer.compress(chunk) for _ in range(unpacked // len(chunk))) + packer.flush()
    objects = [b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
               b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R>>",
               b"<</Length %d/Filter/FlateDecode>>\nstream\n" % len(stream) + stream + b"\nendstream"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for k, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % k + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
