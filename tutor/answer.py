"""Compose an answer from quotes: choose sentences, cite them, or decline.

An answer is 1-3 verbatim sentences. The first is the sentence that answers most
directly: its own similarity to the question, the standing of its passage, and a
bonus when it holds what the question asks for (a year for "when", a number for
"how many", a name for "who"). Further quotes are chosen by maximal marginal
relevance, preferring other sources over near-copies from the same one.

The tutor declines when the sources do not cover the question. The decision weighs
evidence rather than one score: how much of the question's meaning (its content
words, weighted by rarity) the best passage contains, whether the corpus knows the
question's words at all, and how far the best passage stands above the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from tutor import analysis
from tutor.index import Index
from tutor.retrieval import Hit, Query, rank, scores, top_k, understand

CANDIDATE_PASSAGES = 8
MAX_QUOTES = 3
MAX_QUESTION_CHARS = 1000

_YEAR = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})s?\b")
_MONTH = re.compile(r"\b(January|February|March|April|May|June|July|August|September|October|November|December)\b")
_NUMBER = re.compile(
    r"(\d[\d,.]*\s*(%|per ?cent|million|billion|thousand)?|\b(one|two|three|four|five|six|seven|eight|nine|ten|"
    r"eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand|million|billion|half|quarter|double|twice|triple)\b)",
    re.IGNORECASE,
)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*")


@dataclass(frozen=True)
class Citation:
    """A verbatim quote: ``doc_text[start:end] == quote``; ``n`` is its marker in the answer."""

    n: int
    quote: str
    doc: int
    start: int
    end: int
    passage: int
    sentence: int


@dataclass(frozen=True)
class Figure:
    """A number one source gives for the thing asked about, with the citation stating it."""

    value: str
    citation: int


@dataclass(frozen=True)
class Answer:
    """What the tutor says to one question; rendered by ``tutor.render``."""

    question: str
    query: Query
    answered: bool
    citations: tuple[Citation, ...] = ()
    hits: tuple[Hit, ...] = ()
    message: str | None = None
    agreeing: int = 0
    figures: tuple[Figure, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)


def wants(question: str) -> str | None:
    """The kind of answer a question asks for: "year", "number", "name", "place" or None."""
    q = question.lower()
    if re.search(r"\b(how many|how much|what percentage|what proportion|what share|how large|how big|"
                 r"how long|how far|how high|number of|by how much|what (?:was|were) the (?:death )?toll)\b", q):
        return "number"
    if re.search(r"\b(when|what year|which year|what date|in what year)\b", q):
        return "year"
    if re.search(r"^\s*(who|whom)\b|\bwho\b|\bwhose\b|\bwhich (leader|person|minister|official|historian)\b", q):
        return "name"
    if re.search(r"\b(where|which (region|province|city|place|country|area)s?)\b", q):
        return "place"
    return None


def holds(kind: str | None, sentence: str) -> bool:
    """True when ``sentence`` holds the kind of thing the question asks for."""
    if kind == "year":
        return bool(_YEAR.search(sentence) or _MONTH.search(sentence))
    if kind == "number":
        return bool(_NUMBER.search(sentence))
    if kind in ("name", "place"):
        return bool(_NAME.search(sentence))
    return False


def numbers_in(text: str) -> list[str]:
    """Figures stated in ``text``: "15 to 45 million", "30 million", "ten million", "65%"."""
    pattern = re.compile(
        r"(?:\b\d+(?:[.,]\d+)*|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|forty|fifty|hundred))"
        r"(?:\s*(?:to|-|–)\s*\d+(?:[.,]\d+)*)?\s*(?:%|per ?cent|million|billion|thousand)?",
        re.IGNORECASE,
    )
    return [m.group().strip() for m in pattern.finditer(text) if not _YEAR.fullmatch(m.group().strip())]


FRAME_WEIGHT = 0.25


@dataclass(frozen=True)
class Evidence:
    """How well the best passages cover a question; the basis for answering or declining.

    ``coverage``: the largest idf-weighted share of the question's words that one of
    the top passages holds; ``matched``: how many of its words that passage holds;
    ``together``: the most topic words (not frame words) found in one sentence;
    ``topic_words``: the question's topic words the corpus knows; ``margin``: the best
    passage's score over the fifth best (how far it stands above the rest).
    """

    coverage: float
    matched: int
    together: int
    topic_words: int
    margin: float

    @property
    def covered(self) -> bool:
        """Answer when most of the question is found, or much of it found together."""
        if self.coverage >= 0.7:
            return True
        if self.coverage < 0.45:
            return False
        return (self.together >= 2 or (self.matched >= 2 and self.margin >= 3.0)
                or (self.topic_words <= 1 and self.coverage >= 0.6))


def _is_frame(word: str) -> bool:
    return word in analysis.FRAME_WORDS or analysis.stem(word) in _FRAME_STEMS


_FRAME_STEMS = frozenset(analysis.stem(f) for f in analysis.FRAME_WORDS)


def coverage(index: Index, query: Query, passage: int) -> tuple[float, int]:
    """Share of the question's content found in ``passage``, and how many of its words.

    Content words are weighted by idf; words that frame a question ("effects", "think")
    weigh a quarter; words the corpus has never seen count at the highest weight: a
    question about "photosynthesis" is not covered by a passage that only shares
    "food" with it. A related corpus word ("deforestation" for "forests") stands in
    for the word it contains. Unknown words of three letters or fewer ("wat") are chat,
    not topic, and are left out.
    """
    ids = index.term_ids
    top_idf = float(index.idf.max()) + 1.0
    row = index.P[passage]
    present = set(row.indices.tolist())
    related = [ids[r] for r in query.related if r in ids]
    total = got = 0.0
    matched = 0
    seen = set()
    for w in analysis.content_words(query.searched):
        s = analysis.stem(w)
        if s in seen or (len(s) <= 2 and not s.isdigit()) or (s not in ids and len(w) <= 3):
            continue
        seen.add(s)
        weight = float(index.idf[ids[s]]) if s in ids else top_idf
        if _is_frame(w):
            weight *= FRAME_WEIGHT
        total += weight
        if s in ids and ids[s] in present:
            got += weight
            matched += 1
        elif s not in ids and any(r in present for r in related if s in index.vocabulary[r]):
            got += weight * 0.8
            matched += 1
    return (got / total if total else 0.0), matched


def evidence(index: Index, query: Query, hits: tuple[Hit, ...], p_scores: np.ndarray) -> Evidence:
    """Weigh how well the top passages cover ``query``; see ``Evidence``."""
    if not hits:
        return Evidence(0.0, 0, 0, 0, 0.0)
    top = hits[:3]
    cov, matched = max(coverage(index, query, h.passage) for h in top)
    topic = {analysis.stem(w) for w in analysis.content_words(query.searched) if not _is_frame(w)}
    topic = {t for t in topic if t in index.term_ids}
    together = 0
    if topic:
        cols = np.array([index.term_ids[t] for t in topic])
        for h in top:
            a, b = int(index.passage_sentences[h.passage]), int(index.passage_sentences[h.passage + 1])
            block = index.S[a:b][:, cols]
            if block.nnz:
                together = max(together, int((block > 0).sum(axis=1).max()))
    ranked = np.sort(p_scores)[::-1]
    fifth = float(ranked[4]) if len(ranked) > 4 else 0.0
    margin = hits[0].score / max(fifth, hits[0].score / 10, 1e-9)
    return Evidence(cov, matched, together, len(topic), margin)


def decline_message(index: Index, query: Query) -> str:
    titles = [d.title for d in index.docs[:5]]
    topic = index.info.title if index.info.title != "Course documents" else "; ".join(titles[:3])
    suggestion = next(iter(index.info.starter_questions), None)
    parts = [f"I couldn't find an answer to that in these sources. They are about {topic}."]
    if suggestion:
        parts.append(f"Try asking about that, for example: “{suggestion}”")
    else:
        parts.append("Try rephrasing your question with words the documents use.")
    return " ".join(parts)


def answer(index: Index, question: str, history: list[str] | None = None, k: int = 5,
           docs: set[int] | None = None) -> Answer:
    """Answer one question from the index; see the module docstring."""
    notes: list[str] = []
    if len(question) > MAX_QUESTION_CHARS:
        question = question[:MAX_QUESTION_CHARS]
        notes.append(f"Your question was long, so only its first {MAX_QUESTION_CHARS} characters were read.")
    if not analysis.stems(question) and not (history and any(analysis.stems(h) for h in history)):
        return Answer(question, Query(question, question), False,
                      message="Please type a question about the course documents, for example: "
                              f"“{next(iter(index.info.starter_questions), 'What were the backyard furnaces?')}”",
                      notes=tuple(notes))
    query = understand(index, question, history)
    p_scores, s_scores = scores(index, query, docs)
    order = top_k(p_scores, max(k, CANDIDATE_PASSAGES))
    hits = tuple(Hit(int(i), float(p_scores[i])) for i in order)
    shown = hits[:k]
    if not evidence(index, query, hits, p_scores).covered:
        return Answer(question, query, False, hits=shown, message=decline_message(index, query), notes=tuple(notes))

    citations = _choose(index, query, hits, s_scores)
    if not citations:
        return Answer(question, query, False, hits=shown, message=decline_message(index, query), notes=tuple(notes))
    agreeing = _agreeing(index, citations)
    figures = _figures(index, query, citations)
    return Answer(question, query, True, tuple(citations), shown, None, agreeing, figures, tuple(notes))


def _choose(index: Index, query: Query, hits: tuple[Hit, ...], s_scores: np.ndarray) -> list[Citation]:
    kind = wants(query.searched)
    offsets = index.passage_sentences
    quotable = index.a["sentence_quotable"]
    cands: list[tuple[float, int, int]] = []  # (score, sentence, passage)
    for h in hits:
        for j in range(int(offsets[h.passage]), int(offsets[h.passage + 1])):
            if not quotable[j] or s_scores[j] <= 0:
                continue
            score = 0.6 * float(s_scores[j]) + 0.4 * h.score
            if kind and holds(kind, index.sentence_text(j)):
                score *= 1.3
            cands.append((score, j, h.passage))
    if not cands:
        return []
    cands.sort(key=lambda c: (-c[0], c[1]))
    chosen = [cands[0]]
    top = cands[0][0]
    S = index.S
    while len(chosen) < MAX_QUOTES:
        best, best_val = None, -1.0
        for c in cands:
            if c in chosen or c[0] < 0.55 * top:
                continue
            sim = max(float(S[c[1]].multiply(S[o[1]]).sum()) for o in chosen)
            same_doc = any(index.doc_of_passage(c[2]) == index.doc_of_passage(o[2]) for o in chosen)
            val = 0.7 * c[0] / top - 0.3 * sim - (0.15 if same_doc else 0.0)
            if sim < 0.6 and val > best_val:
                best, best_val = c, val
        if best is None:
            break
        chosen.append(best)
    out = []
    for n, (_, j, p) in enumerate(chosen, start=1):
        d = index.doc_of_passage(p)
        out.append(Citation(n, index.sentence_text(j), d, int(index.a["sentence_start"][j]),
                            int(index.a["sentence_end"][j]), p, j))
    return out


def _agreeing(index: Index, citations: list[Citation]) -> int:
    """How many distinct sources state what the first quote states (1 when only it does)."""
    first = citations[0]
    docs = {first.doc}
    S = index.S
    for c in citations[1:]:
        if c.doc not in docs and float(S[c.sentence].multiply(S[first.sentence]).sum()) >= 0.2:
            docs.add(c.doc)
    return len(docs)


def _figures(index: Index, query: Query, citations: list[Citation]) -> tuple[Figure, ...]:
    """Different figures for the same quantity, when the question asks for one."""
    if wants(query.searched) != "number" or len(citations) < 2:
        return ()
    figures = []
    for c in citations:
        nums = numbers_in(c.quote)
        if nums:
            figures.append(Figure(", ".join(nums), c.n))
    if len({f.value for f in figures}) >= 2:
        return tuple(figures)
    return ()
