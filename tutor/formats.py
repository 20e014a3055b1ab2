"""Text from the documents teachers keep: PDF (its text layer), Word (.docx) and saved web pages.

``extract(data, kind)`` turns a file's bytes into an ``Extracted``: plain text, one
paragraph per block separated by a blank line, headings on lines of their own, and where
each page and section begins. What a reader of the original does not read as the text is
left out: a PDF's running headers and footers and its page numbers, a web page's menus,
banners and footers, scripts and styles. Hyphenated line ends of a PDF are joined
("contin-" / "ued" -> "continued"). Tables become a line per row, cells between " | "
(in a PDF: text boxes side by side at one height).

Each library is the standard one for its format and reads files only, never the network:

- **pdfminer.six** (MIT): its layout analysis gives each text line with its position and
  font size, which is what finding paragraphs, headings and page furniture needs; pypdf's
  ``extract_text`` gives lines without either.
- **python-docx** (MIT): the body's paragraphs (with their styles: "Heading 1") and tables
  in document order; page headers and footers are other parts, never read.
- **BeautifulSoup** over **lxml** (MIT, BSD): a forgiving parser of real-world HTML that
  finds the page's encoding itself.

``tutor.extracted`` keeps each extraction on disk, so a document is read once.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

from tutor.decoding import Unreadable, decode

VERSION = 2  # raise when extraction changes what text a file gives: every file is extracted again
RICH_SUFFIXES = (".pdf", ".docx", ".html", ".htm")
MAX_SOURCE_BYTES = 50 * 1024 * 1024  # a PDF or Word file with pictures is larger than its text
MAX_PAGES = 2_000
MAX_TEXT_CHARS = 10_000_000  # about 5,000 pages of prose
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024  # a .docx's parts, unpacked
MAX_ZIP_RATIO = 100  # unpacked / packed for one part; text compresses about 5-10 times
MIN_WORDS = 20  # less than this outside headings is no document to answer from
HEADING_SCALE = 1.15  # a PDF line this much larger than the body text is a heading
FURNITURE_LINES = 2  # a PDF page's first and last lines that may be a running header or footer


@dataclass(frozen=True)
class Extracted:
    """What was read from one file. ``pages[i]`` is the offset in ``text`` where page
    ``i + 1`` begins (PDF only); ``sections`` are ``(offset, heading)`` pairs, in order."""

    text: str
    title: str | None
    pages: tuple[int, ...] = ()
    sections: tuple[tuple[int, str], ...] = ()


# -- which reader --------------------------------------------------------------------------

def kind_of(name: str, data: bytes) -> str:
    """"pdf", "docx" or "html": how to read the file ``name`` (a ``.pdf``, ``.docx``, ``.html``
    or ``.htm``) whose bytes are ``data``. Its content decides, not its name: a Word file
    saved as ``.pdf`` is read as Word; a ``.pdf`` or ``.docx`` that is neither is refused,
    with what it is."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return "docx"
    if name.lower().endswith((".html", ".htm")):
        return "html"
    raise Unreadable(_not_what_it_says(name, data))


def _not_what_it_says(name: str, data: bytes) -> str:
    what = "PDF" if name.lower().endswith(".pdf") else "Word (.docx)"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return f"not a {what} file: an old Word or Excel document (save it as .docx or PDF)"
    if not data:
        return "empty file"
    try:
        decode(data)
    except Unreadable:
        return f"not a {what} file, nor text (damaged, or another format)"
    return f"not a {what} file: it holds plain text (rename it .txt)"


def extract(data: bytes, kind: str) -> Extracted:
    """The text of a PDF, Word or web-page file's bytes; ``Unreadable`` says why not."""
    reader = {"pdf": _pdf, "docx": _docx, "html": _html}[kind]
    try:
        out = reader(data)
    except (Unreadable, MemoryError):
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged file makes parsers raise anything
        name = {"pdf": "PDF", "docx": "Word document", "html": "web page"}[kind]
        raise Unreadable(f"a damaged or incomplete {name}") from exc
    words = sum(len(b.split()) for b in _body_blocks(out))
    if words < MIN_WORDS:
        raise Unreadable({"pdf": "no text to read: a scanned image? (the PDF has no text layer)",
                          "docx": "no text to read (the Word document is empty or only pictures)",
                          "html": "no main text (the page is all navigation, links or scripts)"}[kind])
    return out


def _body_blocks(out: Extracted) -> list[str]:
    headings = {h for _, h in out.sections}
    return [b for b in out.text.split("\n\n") if b not in headings]


class _Text:
    """Text assembled a block at a time, with where pages and sections begin."""

    def __init__(self):
        self.parts: list[str] = []
        self.size = 0
        self.pages: list[int] = []
        self.sections: list[tuple[int, str]] = []

    def add(self, block: str, heading: bool = False) -> None:
        block = " ".join(block.replace("\u00ad", "").split())
        if not block:
            return
        if self.parts:
            self.parts.append("\n\n")
            self.size += 2
        if heading:
            self.sections.append((self.size, block))
        self.parts.append(block)
        self.size += len(block)
        if self.size > MAX_TEXT_CHARS:
            raise Unreadable(f"too much text (over {MAX_TEXT_CHARS // 1_000_000} million characters)")

    def done(self, title: str | None) -> Extracted:
        text = "".join(self.parts)
        pages = tuple(min(p, max(len(text) - 1, 0)) for p in self.pages)
        return Extracted(text, title, pages, tuple(self.sections))


# -- PDF ------------------------------------------------------------------------------------

@dataclass
class _Line:
    page: int
    box: int
    top: float
    bottom: float
    size: float
    text: str


def _pdf_lines(data: bytes) -> tuple[list[_Line], int, str | None]:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams, LTChar, LTTextContainer, LTTextLine
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    lines, box, n_pages = [], 0, 0
    try:
        for n_pages, page in enumerate(extract_pages(io.BytesIO(data), laparams=LAParams()), 1):
            if n_pages > MAX_PAGES:
                raise Unreadable(f"too many pages (the limit is {MAX_PAGES:,})")
            for element in page:
                if not isinstance(element, LTTextContainer):
                    continue
                box += 1
                for line in element:
                    if isinstance(line, LTTextLine) and line.get_text().strip():
                        sizes = sorted(c.size for c in line if isinstance(c, LTChar)) or [0.0]
                        lines.append(_Line(n_pages, box, line.y1, line.y0, sizes[len(sizes) // 2],
                                           " ".join(line.get_text().replace("\u00ad", "").split())))
    except (PDFPasswordIncorrect, PDFEncryptionError) as exc:
        raise Unreadable("an encrypted PDF (save it without a password to add it)") from exc
    return lines, n_pages, None


_PAGE_NUMBER = re.compile(r"(?i)^[\s\-–—|]*(page\s+)?(\d{1,4}|[ivxlc]{1,7})(\s*(of|/)\s*\d{1,4})?[\s\-–—|]*$")


def _furniture(lines: list[_Line], n_pages: int) -> set[int]:
    """The lines that are page furniture: page numbers at a page's top or bottom, and lines
    there that recur (digits aside) on at least half the pages (running headers, footers)."""
    edges: dict[int, list[int]] = {}
    by_page: dict[int, list[int]] = {}
    for i, line in enumerate(lines):
        by_page.setdefault(line.page, []).append(i)
    for page, idx in by_page.items():
        order = sorted(idx, key=lambda i: -lines[i].top)
        edges[page] = order[:FURNITURE_LINES] + order[-FURNITURE_LINES:]
    seen: dict[str, set[int]] = {}
    for page, idx in edges.items():
        for i in idx:
            seen.setdefault(re.sub(r"\d+", "#", lines[i].text.lower()), set()).add(page)
    out = set()
    for page, idx in edges.items():
        for i in idx:
            key = re.sub(r"\d+", "#", lines[i].text.lower())
            if _PAGE_NUMBER.match(lines[i].text) or (n_pages >= 2 and len(seen[key]) >= max(2, n_pages / 2)):
                out.add(i)
    return out


def _rows(lines: list[_Line]) -> list[_Line]:
    """Lines of separate text boxes side by side at one height (a table's cells, each its
    own box) made one line, cells between " | "."""
    out: list[_Line] = []
    for line in lines:
        last = out[-1] if out else None
        if (last is not None and last.page == line.page and last.box != line.box
                and abs(last.top - line.top) < 0.5 * max(last.size, line.size, 1.0)):
            out[-1] = _Line(last.page, line.box, max(last.top, line.top), min(last.bottom, line.bottom),
                            max(last.size, line.size), f"{last.text} | {line.text}")
        else:
            out.append(line)
    return out


def _pdf(data: bytes) -> Extracted:
    lines, n_pages, title = _pdf_lines(data)
    skip = _furniture(lines, n_pages)
    kept = _rows([line for i, line in enumerate(lines) if i not in skip])
    sizes = sorted(line.size for line in kept for _ in range(len(line.text)))
    body = sizes[len(sizes) // 2] if sizes else 0.0
    out, para, para_heading, prev = _Text(), "", False, None
    page_starts: dict[int, int] = {}
    for line in kept:
        heading = body > 0 and line.size >= body * HEADING_SCALE and len(line.text.split()) <= 15
        new_page = prev is None or line.page != prev.page
        gap = not new_page and (prev.bottom - line.top) > 0.8 * max(prev.size, line.size)
        starts = prev is None or heading or para_heading or line.box != prev.box or gap
        if new_page and para and not heading and line.text[:1].islower() and not re.search(r"[.!?:;\"”’)]$", para):
            starts = False  # a paragraph that runs on over a page break
        if starts and para:
            out.add(para, heading=para_heading)
            para = ""
        base = out.size + (2 if out.parts else 0)
        joined = _join(para, line.text)
        if new_page:
            page_starts[line.page] = base + (0 if not para else len(joined) - len(line.text))
        para, para_heading, prev = joined, heading, line
    if para:
        out.add(para, heading=para_heading)
    end = out.size
    for page in range(n_pages, 0, -1):  # a page without text begins where the next one does
        end = page_starts.get(page, end)
        out.pages.insert(0, end)
    if title is None and out.sections:
        title = out.sections[0][1]
    return out.done(title)


def _join(para: str, line: str) -> str:
    """A line added to a paragraph; a word hyphenated across the line end made whole."""
    if not para:
        return line
    if re.search(r"[^\W\d_]-$", para) and line[:1].islower():
        return para[:-1] + line
    return para + " " + line


# -- Word -----------------------------------------------------------------------------------

def _check_zip(data: bytes) -> None:
    """Refuse a .docx that is no Word document, or that unpacks far beyond its size."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise Unreadable("a damaged or incomplete Word document (not a readable zip file)") from exc
    names = {i.filename for i in infos}
    if "word/document.xml" not in names:
        raise Unreadable("not a Word document (a zip file without a document in it)")
    total = sum(i.file_size for i in infos)
    if len(infos) > 10_000 or total > MAX_UNZIPPED_BYTES or any(
            i.file_size > MAX_ZIP_RATIO * max(i.compress_size, 1024) for i in infos):
        raise Unreadable("refused: it would unpack to far more than its size (a zip bomb?)")


def _docx(data: bytes) -> Extracted:
    import docx
    from docx.table import Table

    _check_zip(data)
    document = docx.Document(io.BytesIO(data))
    out = _Text()
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                cells: list[str] = []
                for cell in row.cells:
                    text = " ".join(cell.text.split())
                    if text and (not cells or cells[-1] != text):  # a merged cell repeats
                        cells.append(text)
                out.add(" | ".join(cells))
        else:
            style = (block.style.name if block.style is not None else "") or ""
            out.add(block.text, heading=style.startswith(("Heading", "Title")))
    title = (document.core_properties.title or "").strip() or None
    if title is None and out.sections:
        title = out.sections[0][1]
    return out.done(title)


# -- web pages ------------------------------------------------------------------------------

_DROP = ("script", "style", "noscript", "template", "svg", "canvas", "iframe", "nav", "header", "footer",
         "aside", "form", "button", "select", "input", "textarea", "menu", "dialog", "head")
_DROP_ROLES = {"navigation", "banner", "contentinfo", "search", "complementary", "menu", "menubar"}
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_BLOCKS = {*_HEADINGS, "p", "li", "blockquote", "pre", "dt", "dd", "figcaption", "caption", "table", "tr",
           "div", "section", "article", "main", "ul", "ol", "dl", "address", "figure", "td", "th", "body", "hr"}


def _html(data: bytes) -> Extracted:
    from bs4 import BeautifulSoup, Tag

    soup = BeautifulSoup(data, "lxml")
    # The page's main heading names the document; its <title> often adds the site's name.
    first = soup.find("h1") or soup.title
    title = " ".join(first.get_text(" ").split()) or None if first else None
    for el in soup.find_all(True):
        if el.decomposed:
            continue
        if (el.name in _DROP or (el.get("role") or "").lower() in _DROP_ROLES or el.has_attr("hidden")
                or el.get("aria-hidden") == "true" or re.search(r"display\s*:\s*none", el.get("style") or "")):
            el.decompose()
    roots = soup.find_all("main") or soup.find_all("article") or [soup.body or soup]
    out = _Text()
    for root in roots:
        _html_blocks(root, out, Tag)
    return out.done(title)


def _html_blocks(el, out: _Text, tag_type) -> None:
    """Each block of ``el`` that holds no other block, in order, into ``out``."""
    if el.name in _HEADINGS:
        out.add(el.get_text(" "), heading=True)
        return
    if el.name == "tr":
        cells = [" ".join(c.get_text(" ").split()) for c in el.find_all(("td", "th"), recursive=False)]
        out.add(" | ".join(c for c in cells if c))
        return
    if not any(isinstance(c, tag_type) and c.name in _BLOCKS for c in el.descendants):
        if not _mostly_links(el):
            out.add(el.get_text(" "))
        return
    run = []  # text and inline elements between blocks: a paragraph of their own
    for child in el.children:
        if isinstance(child, tag_type) and child.name in _BLOCKS:
            out.add(" ".join(run))
            run = []
            _html_blocks(child, out, tag_type)
        elif not isinstance(child, tag_type) or not _mostly_links(child):
            run.append(child.get_text(" ") if isinstance(child, tag_type) else str(child))
    out.add(" ".join(run))


def _mostly_links(el) -> bool:
    """A block that is links and little else (a menu, a list of related pages)."""
    text = len(" ".join(el.get_text(" ").split()))
    linked = sum(len(" ".join(a.get_text(" ").split())) for a in el.find_all("a"))
    if el.name == "a":
        linked = text
    return text > 0 and linked >= 0.6 * text
