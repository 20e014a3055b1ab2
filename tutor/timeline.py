"""The dated events of the sources in order, each a cited sentence; the same event dated
differently by two sources shown together.

A dated sentence is a quotable one that gives a year ("In 1953", "August 1958", "the
1950s"); a year inside a reference to a book or article ("(Dikötter, 2010)") dates
nothing. Two sentences of different documents tell the same event when their TF-IDF
cosine, the year's own term left out, is at least ``SAME_EVENT``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from tutor import sentences
from tutor.answer import Citation, sentence_citation
from tutor.index import Index
from tutor.kinds import MONTHS

# Measured on the shipped corpus: the most alike sentences of two documents that give
# different years for different events ("first" and "second five year plan") are 0.38.
SAME_EVENT = 0.45
_SEASONS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}
_DATE = re.compile(
    r"(?:\b(?P<part>early|late|mid)[- ])?(?:\b(?P<month>" + "|".join([*MONTHS, *_SEASONS]) + r")\s+(?:of\s+)?)?"
    r"\b(?P<year>1[0-9]{3}|20[0-9]{2})(?P<decade>s)?\b"
    r"(?:\s*(?:[-–]|to)\s*(?P<until>(?:1[0-9]|20)?[0-9]{2})\b)?", re.IGNORECASE)
# A year is a date after a word that introduces one ("in 1953", "by 1962", "the 1950s",
# "(1958-62)", "between 1959 and 1961") or at the start of a sentence ("1958 saw ...").
_DATE_CUE = re.compile(r"(?:^|\b(?:in|by|of|since|until|till|from|to|after|before|during|between|and|or|the|"
                       r"early|late|mid|year|years|around|about|circa|c\.)\s+|[(\[–-]\s*)$", re.IGNORECASE)
_REFERENCE = re.compile(r"\([^()]*[A-Za-z][^()]*,\s*(?:p\.\s*\d+,\s*)?$")  # "(Dikötter, " before the year


@dataclass(frozen=True)
class Event:
    """A sentence that gives a date: ``date`` as the source words it, ``year`` its first year."""

    date: str
    year: int
    month: int  # 0 when the source gives none
    citation: Citation
    dated_differently: tuple[Event, ...] = ()


def date_in(text: str) -> tuple[str, int, int] | None:
    """The first date of ``text`` as written, its year and month (0 if none): "January
    1958" -> ("January 1958", 1958, 1); "the 1950s" -> ("1950s", 1950, 0); "1958-62" ->
    ("1958-62", 1958, 0). A year in a reference ("(Dikötter, 2010)") is no date."""
    for m in _DATE.finditer(text):
        if _REFERENCE.search(text[:m.start()]):
            continue
        if not (m.group("month") or m.group("part") or m.group("decade") or _DATE_CUE.search(text[:m.start()])):
            continue  # "produced 1200 tonnes" is a number, not a year
        month = (m.group("month") or "").lower()
        number = MONTHS.index(month) + 1 if month in MONTHS else _SEASONS.get(month, 0)
        return " ".join(m.group().split()), int(m.group("year")), number
    return None


def dated(index: Index, j: int) -> Event | None:
    """Sentence ``j`` as an event, dated by its first date; None when it gives none."""
    c = sentence_citation(index, 1, j)
    found = date_in(c.quote)
    return Event(found[0], found[1], found[2], c) if found else None


def timeline(index: Index, docs: set[int] | None = None, count: int | None = None) -> list[Event]:
    """The dated sentences of the documents ``docs`` (all if None), in order of date, then
    of document and place; at most ``count``, spread evenly over the whole span."""
    a = index.a
    events = []
    for j in range(index.n_sentences):
        if a["sentence_quotable"][j] and (docs is None or index.doc_of_passage(int(a["sentence_passage"][j])) in docs):
            e = dated(index, j)
            if e is not None and 5 <= len(e.citation.quote.split()) <= 80 and not e.citation.quote.rstrip().endswith("?"):
                events.append(e)
    events = _with_differences(index, events)
    events.sort(key=lambda e: (e.year, e.month, e.citation.doc, e.citation.start))
    if count is not None and len(events) > count:
        step = len(events) / count
        events = [events[int(k * step)] for k in range(count)]
    return events


def _with_differences(index: Index, events: list[Event]) -> list[Event]:
    """Each event with those of other documents that tell it with another year."""
    if len(events) < 2:
        return events
    S = sentences.rows(index, [e.citation.sentence for e in events])
    years = {str(e.year) for e in events} | {str(e.year)[2:] for e in events}
    keep = np.ones(S.shape[1])
    keep[[t for t in index.term_ids.columns(sorted(years)) if t >= 0]] = 0  # the years would make two tellings unlike
    S = S @ sp.diags(keep)
    norms = np.sqrt(np.asarray(S.multiply(S).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    sims = (S @ S.T).toarray() / np.outer(norms, norms)
    out = []
    for i, e in enumerate(events):
        others = tuple(events[k] for k in np.flatnonzero(sims[i] >= SAME_EVENT)
                       if k != i and events[k].citation.doc != e.citation.doc and events[k].year != e.year)
        out.append(Event(e.date, e.year, e.month, e.citation, others) if others else e)
    return out
