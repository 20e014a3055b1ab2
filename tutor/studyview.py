"""The Study view's HTML: quiz questions and their marks, timeline entries, terms and
people, each quote with its numbered marker (pure functions; the page lays them out)."""

from __future__ import annotations

from tutor.markdown import _marker, escape_html, highlighted, source_label, text_block
from tutor.quiz import BLANK, Question
from tutor.timeline import Event
from tutor.glossary import Entry
from tutor.index import Index


def prompt_html(q: Question, number: int) -> str:
    before, _, after = q.prompt.partition(BLANK)
    kind = {"name": "a name", "year": "a year", "number": "a number"}[q.kind]
    return (f'<div class="tt-quiz"><b>{number}.</b> {text_block(before)}<span class="tt-blank" '
            f'aria-label="blank: {kind}">{BLANK}</span>{text_block(after)}</div>')


def mark_html(index: Index, q: Question, given: str | None, right: bool) -> str:
    """Right or wrong, the answer, and the source sentence with the answer marked."""
    c = q.citation
    at = c.quote.find(q.answer)
    said = escape_html(given) if given else "no answer"
    head = (f'<div class="tt-note tt-agree">✓ Right: {said}</div>' if right else
            f'<div class="tt-note tt-wrong">✗ Your answer: {said}. The answer: <b>{escape_html(q.answer)}</b></div>')
    quote = highlighted(c.quote, at, at + len(q.answer), 0, len(c.quote)) if at >= 0 else text_block(c.quote)
    return (head + f'<blockquote class="tt-quote">“{quote}” {_marker(c.n)}</blockquote>'
            f'<div class="tt-meta">{escape_html(source_label(index, c.doc))}</div>')


def event_html(index: Index, e: Event) -> str:
    out = [f'<div class="tt-event"><div class="tt-date">{escape_html(e.date)}</div>'
           f'<blockquote class="tt-quote">“{text_block(e.citation.quote)}” {_marker(1)}</blockquote>']
    if e.dated_differently:
        out.append('<div class="tt-note tt-info">Dated differently by another source:</div><div class="tt-side">')
        for n, o in enumerate(e.dated_differently, start=2):
            out.append(f'<div><div class="tt-date">{escape_html(o.date)}</div><blockquote class="tt-quote">'
                       f'“{text_block(o.citation.quote)}” {_marker(n)}</blockquote></div>')
        out.append("</div>")
    out.append("</div>")
    return "".join(out)


def entry_html(entry: Entry) -> str:
    quotes = "".join(f'<blockquote class="tt-quote">“{text_block(c.quote)}” {_marker(n)}</blockquote>'
                     for n, c in enumerate(entry.citations, start=1))
    return f'<div class="tt-entry"><div class="tt-date">{escape_html(entry.name)}</div>{quotes}</div>'
