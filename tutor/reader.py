"""The reader: a whole document on the page, opened at a quote, and its address.

A reader address (``?doc=...&start=...&end=...``) names a document and the range of a
quote in it; ``reader_target`` reads one back, refusing an address that names no
document or a range outside it. ``document_html`` shows the document with paragraph
numbers in the margin, the quote highlighted and the passage around it shaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from tutor.answer import Citation
from tutor.index import Index
from tutor.markdown import text_block, escape_html

READER_WINDOW = 200_000  # a document longer than this is shown in a window around the target


def passage_of(index: Index, doc: int, offset: int) -> int | None:
    """The indexed passage of ``doc`` that holds character ``offset``, if any."""
    a = index.a
    docs = np.asarray(a["passage_doc"])
    rows = np.flatnonzero(docs == doc)
    if rows.size == 0:
        return None
    starts = np.asarray(a["passage_start"])[rows]
    ends = np.asarray(a["passage_end"])[rows]
    inside = np.flatnonzero((starts <= offset) & (offset < ends))
    if inside.size:
        return int(rows[inside[0]])
    return None


@dataclass(frozen=True)
class ReaderTarget:
    """What a reader address points at: a document, and optionally a range to highlight.

    ``start``/``end`` are character offsets into ``index.doc_text(doc)`` (the quote);
    ``passage`` is the indexed passage holding ``start``, highlighted around it.
    """

    doc: int
    start: int | None = None
    end: int | None = None
    passage: int | None = None


class BadAddress(ValueError):
    """A reader address that names no document, or a range outside it."""


def reader_params(index: Index, doc: int, start: int | None = None, end: int | None = None) -> dict[str, str]:
    """Query parameters of the reader at ``doc`` (highlighting ``[start, end)``)."""
    params = {"doc": index.docs[doc].doc_id}
    if start is not None and end is not None:
        params.update(start=str(int(start)), end=str(int(end)))
    return params


def citation_params(index: Index, c: Citation) -> dict[str, str]:
    return reader_params(index, c.doc, c.start, c.end)


def reader_target(index: Index, params: Mapping[str, str]) -> ReaderTarget:
    """Read a reader address; raise ``BadAddress`` (with a message for people) if it is wrong."""
    doc_id = str(params.get("doc", ""))
    doc = next((i for i, d in enumerate(index.docs) if d.doc_id == doc_id), None)
    if doc is None:
        raise BadAddress("That link points to a document that is not in this library.")
    start, end = params.get("start"), params.get("end")
    if start is None and end is None:
        return ReaderTarget(doc)
    try:
        a, b = int(str(start)), int(str(end))
    except (TypeError, ValueError):
        raise BadAddress("That link points to a place in the document that cannot be read.") from None
    if not 0 <= a < b <= len(index.doc_text(doc)):
        raise BadAddress("That link points past the end of the document; it may have changed since.")
    return ReaderTarget(doc, a, b, passage_of(index, doc, a))


def document_html(index: Index, doc: int, target: ReaderTarget | None = None) -> str:
    """A whole document for reading: paragraph numbers in the margin, the target highlighted.

    The quote is ``<mark id="tt-target">``; the passage around it is shaded. A
    document longer than ``READER_WINDOW`` characters is shown around the target.
    """
    text = index.doc_text(doc)
    lo, hi = 0, len(text)
    if hi > READER_WINDOW:
        centre = target.start if target and target.start is not None else 0
        lo = max(0, centre - READER_WINDOW // 2)
        hi = min(len(text), lo + READER_WINDOW)
    a = index.a
    rows = np.flatnonzero(np.asarray(a["passage_doc"]) == doc)
    # Cut points: each indexed passage start (for its ¶ label), the passage and the quote.
    labels: dict[int, str] = {}
    for p in rows:
        s = int(a["passage_start"][p])
        if lo <= s < hi and int(a["passage_part"][p]) <= 1:
            labels.setdefault(s, f"¶{int(a['passage_para'][p])}")
    p_lo = p_hi = q_lo = q_hi = None
    if target and target.start is not None and target.end is not None:
        q_lo, q_hi = max(lo, target.start), min(hi, target.end)
        if target.passage is not None:
            p_lo = max(lo, min(int(a["passage_start"][target.passage]), target.start))
            p_hi = min(hi, max(int(a["passage_end"][target.passage]), target.end))
        else:
            p_lo, p_hi = q_lo, q_hi
    cuts = sorted({lo, hi, *labels, *(x for x in (p_lo, p_hi, q_lo, q_hi) if x is not None)})
    out = ['<div class="tt-reader">']
    if lo > 0:
        out.append('<p class="tt-window">… (the beginning of this long document is not shown)</p>')
    in_passage = in_quote = False
    for x, y in zip(cuts, cuts[1:]):
        if x == p_lo and not in_passage:
            out.append('<span class="tt-passage" id="tt-passage">')
            in_passage = True
        if x == q_lo and not in_quote:
            out.append('<mark class="tt-mark" id="tt-target">')
            in_quote = True
        if x in labels:
            out.append(f'<span class="tt-para" data-p="{escape_html(labels[x])}"></span>')
        out.append(text_block(text[x:y]))
        if y == q_hi and in_quote:
            out.append("</mark>")
            in_quote = False
        if y == p_hi and in_passage:
            out.append("</span>")
            in_passage = False
    if hi < len(text):
        out.append('<p class="tt-window">… (the rest of this long document is not shown)</p>')
    out.append("</div>")
    return "".join(out)


SCROLL_SCRIPT = """<script>
(function () {
  var tries = 0;
  function go() {
    var el = document.getElementById("tt-target") || document.getElementById("tt-passage");
    if (el) { el.scrollIntoView({block: "center"}); el.setAttribute("data-scrolled", "1"); return; }
    if (++tries < 300) { setTimeout(go, 100); }  // a slow classroom machine may take seconds
  }
  go();
})();
</script>"""


def scroll_script(key: str) -> str:
    """A script that scrolls the reader to the highlighted quote once it is on the page.

    ``key`` makes the element differ per target, so that opening another passage
    scrolls again while an unrelated rerun does not.
    """
    return f'<span class="tt-scroll" data-key="{escape_html(key)}"></span>{SCROLL_SCRIPT}'
