"""Study aids made from the documents alone, every item pinned to its quote: a quiz, a
timeline, key terms and people (``tutor study``, and the app's Study view)."""

from __future__ import annotations


from tutor import glossary, quiz, timeline
from tutor.index import Index

KINDS = ("quiz", "timeline", "terms", "people")
DEFAULT_COUNT = {"quiz": 10, "timeline": None, "terms": None, "people": None}
KEPT = 32  # study aids remembered per index: the page asks for the same one on every rerun


def make(index: Index, kind: str, count: int | None = None, seed: int = 0, docs: set[int] | None = None) -> list:
    """The items of one study aid: ``quiz.Question``, ``timeline.Event`` or ``glossary.Entry``.
    ``count`` (``DEFAULT_COUNT`` if None: ten questions, every event, term and person).
    Made once per index and settings (``index.memo``): the Study view reruns often."""
    count = DEFAULT_COUNT[kind] if count is None else count
    kept = index.memo.setdefault("study", {})
    key = (kind, count, seed, frozenset(docs) if docs is not None else None)
    if key not in kept:
        for oldest in list(kept)[:len(kept) - KEPT + 1]:  # (list(): other sessions' threads add too)
            kept.pop(oldest, None)
        kept[key] = _make(index, kind, count, seed, docs)
    return list(kept[key])


def _make(index: Index, kind: str, count: int | None, seed: int, docs: set[int] | None) -> list:
    if kind == "quiz":
        return quiz.make_quiz(index, count, seed, docs)
    if kind == "timeline":
        return timeline.timeline(index, docs, count)
    if kind == "terms":
        return glossary.terms(index, docs, count)
    if kind == "people":
        return glossary.people(index, docs, count)
    raise ValueError(f"no study aid {kind!r}; choose one of {', '.join(KINDS)}")
