"""Compose an answer from quotes: choose sentences, cite them, or decline.

An answer is 1-3 verbatim quotes, each a sentence (or two, see ``_readable``). The first
holds the candidate sentence (``features.candidates``) most likely to answer, by a ranker fitted by
``benchmarks/train.py`` (``tutor/data/ranker.json``) on which sentences answered
questions in other corpora: it weighs the sentence's similarity to the question (and
its neighbours'), the share of the question's ideas it holds, its passage's standing,
and whether it holds what the question asks for (a year for "when", a number for "how
many", a name for "who"). Further quotes are chosen by maximal marginal relevance,
preferring other sources over near-copies from the same one.

The tutor declines when the sources do not cover the question: a logistic regression
fitted by ``benchmarks/train.py`` (``tutor/data/decline.json``) weighs how much of the
question's meaning (its content words, weighted by rarity) the best passage and the
best sentence hold, how many of its words meet in one sentence, whether the corpus
knows its words at all (and its names: "the Stockton and Darlington Railway" is not the
Liverpool and Manchester), and how far the best passage stands above the rest.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace

import numpy as np

from tutor import analysis, features, models, sentences
from tutor.index import Index
from tutor.kinds import figures_in, holds, wants
from tutor.query import Query, asks_for_more, asks_what_next, reads_as_english, subject_of, understand
from tutor.retrieval import (
    Hit,
    concept_coverage,
    concept_ids,
    concepts,
    rerank,
    scores,
    top_idf,
    top_k,
    unreachable,
)

CANDIDATE_PASSAGES = 8
MAX_QUOTES = 3
MAX_QUESTION_CHARS = 1000
# A further quote, or a new one for a follow-up, must be at least this share as likely to
# answer as the best candidate (the ranker's probabilities). Swept over 0.15-0.6 on every
# set: a quarter keeps the right sentence among the quotes as often as the hand-set
# weighting did (SQuAD 234 of 293, 235 before) without the first quote changing.
FURTHER = 0.25
NEXT_QUOTES, NEXT_REACH = 2, 6  # "and then?": this many sentences, within this many after the last quote
# A first quote with no more content words of its own than this (beside the question's and
# their synonyms) restates the question, and is given with the sentence after it. Swept over
# 1-6 on every set (benchmarks/baseline.py, squad_eval.py): answer@1 rises with it, as any
# longer quote would; 3 keeps the rule to sentences that say next to nothing new.
RESTATES_WORDS = 3
_POINTS_BACK = re.compile(r"(?:This|These|That|Those|It|They|Such|He|She|Its|Their|His|Her)\b")

@dataclass(frozen=True)
class Why:
    """What made the tutor choose a quote: the question's words it holds (and synonyms of
    them it holds instead), and the parts of its score, largest first."""

    matched: tuple[str, ...] = ()
    synonyms: tuple[tuple[str, str], ...] = ()  # (the question's word, the quote's)
    weights: tuple[tuple[str, float], ...] = ()  # the ranker's score in parts (each feature's), added
    kind: str | None = None  # the kind of answer asked for ("year", "purpose"), when the quote holds it
    kind_factor: float = 1.0  # what holding it multiplied the odds that the quote answers by


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
    why: Why | None = None


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
    agreeing_with: tuple[int, ...] = ()  # the citations, one per source, that agree with the first
    given: frozenset[int] = frozenset()  # sentences quoted, with those a "tell me more" run quoted before


@dataclass(frozen=True)
class Evidence:
    """How well the best passages cover a question: what the decline model reads (``answerable``).

    ``coverage``: the largest weighted share of the question's concepts that one of the
    top passages holds (``retrieval.concept_coverage``); ``topic_coverage``: the same
    for its topic concepts alone, frame words ("how long", "effects") left out;
    ``matched``: how many topic concepts that passage holds; ``together``: the most topic concepts (not frame words) found
    in one sentence (a synonym or a related word counts, as in coverage); ``margin``:
    the best passage's score over the fifth best (how far it stands above the rest).
    """

    coverage: float
    topic_coverage: float
    matched: int
    together: int
    margin: float
    rarest: float = 0.0  # the rarest topic concept the top passages hold: its idf over the corpus's highest


def evidence(index: Index, query: Query, hits: list[Hit], p_scores: np.ndarray) -> Evidence:
    """Weigh how well the top passages cover ``query``; see ``Evidence``."""
    if not hits:
        return Evidence(0.0, 0.0, 0, 0, 0.0, 0.0)
    cs = concepts(index, query)
    qids = concept_ids(index, query, cs)
    rows = index.terms_in_passages([h.passage for h in hits[:3]], qids)
    cov, matched = max(concept_coverage(index, query, cs, r) for r in rows)
    topic_cs = [c for c in cs if not c.frame]
    topic_cov = max(concept_coverage(index, query, topic_cs, r)[0] for r in rows) if topic_cs else 0.0
    together = 0
    for h in hits[:3]:
        for j in range(int(index.passage_sentences[h.passage]), int(index.passage_sentences[h.passage + 1])):
            together = max(together, concept_coverage(index, query, topic_cs, sentences.terms(index, j))[1])
    top5 = top_k(p_scores, 5)
    fifth = float(p_scores[top5[4]]) if len(top5) > 4 else 0.0
    margin = hits[0].score / max(fifth, hits[0].score / 10, 1e-9)
    held = set().union(*rows)
    rarest = max((c.weight for c in topic_cs if concept_coverage(index, query, [c], held)[0] > 0), default=0.0)
    return Evidence(cov, topic_cov, matched, together, margin, rarest / top_idf(index))


def decline_message(index: Index, query: Query) -> str:
    """One short paragraph: not found, what the sources are about, and one question to try,
    the starter question closest to what was asked."""
    titles = [d.title for d in index.docs[:5]]
    topic = index.info.title if index.info.title != "Course documents" else "; ".join(titles[:3])
    asked = set(analysis.stems(query.searched))
    starters = list(index.info.starter_questions)
    suggestion = max(starters, key=lambda s: len(asked & set(analysis.stems(s))), default=None)
    tail = (f"Try asking about that, for example: “{suggestion}”" if suggestion
            else "Try rephrasing your question with words the documents use.")
    return f"I couldn't find an answer to that in these sources. They are about {topic}. {tail}"


def answer(index: Index, question: str, history: list[str] | None = None, k: int = 5,
           docs: set[int] | None = None) -> Answer:
    """Answer one question from the index; see the module docstring."""
    notes: list[str] = []
    if len(question) > MAX_QUESTION_CHARS:
        question = question[:MAX_QUESTION_CHARS]
        notes.append(f"Your question was long, so only its first {MAX_QUESTION_CHARS} characters were read.")
    if not analysis.stems(question) and not (history and any(analysis.stems(h) for h in history)):
        example = next(iter(index.info.starter_questions), None)
        message = "Please type a question about the course documents" + (
            f", for example: “{example}”" if example else f" ({'; '.join(d.title for d in index.docs[:3])}).")
        return Answer(question, Query(question, question), False, message=message, notes=tuple(notes))
    if not reads_as_english(index, question):
        example = next(iter(index.info.starter_questions), None)
        return Answer(question, Query(question, question), False, notes=tuple(notes), message=(
            "I can only read questions in English (solo en inglés · en anglais seulement · nur auf Englisch · 仅限英文), "
            "and this one does not look like English to me. Please ask it in English"
            + (f", for example: “{example}”" if example else ".")))
    query = understand(index, question, history)
    p_scores, s_scores = scores(index, query, docs)
    hits = rerank(index, query, p_scores, max(k, CANDIDATE_PASSAGES))
    shown = tuple(hits[:k])
    rows, X = features.candidates(index, query, hits, s_scores)
    if answerable(index, query, evidence(index, query, hits, p_scores), X) < models.load("decline")["threshold"]:
        return Answer(question, query, False, hits=shown, message=decline_message(index, query), notes=tuple(notes))

    more = query.followup and asks_for_more(question)
    previous = _previous(index, history, k, docs) if query.followup else None
    already = previous.given if previous else frozenset()
    citations = _what_follows(index, previous, already) if query.followup and asks_what_next(question) else []
    if not citations:
        citations = _choose(index, query, sentence_scores(rows, X), already, only_new=more)
        row_of = {j: i for i, (j, _) in enumerate(rows)}
        citations = [replace(c, why=_why(index, query, c.sentence, X[row_of[c.sentence]])) for c in citations]
    if more and not citations:
        return Answer(question, query, False, hits=shown, notes=tuple(notes), message=(
            "I have no more to add: every passage on that which I found has been quoted already. "
            "Try asking about another side of it."))
    # The passages that hold the quotes lead the list, in the order the answer uses them.
    quoted = list(dict.fromkeys(c.passage for c in citations))
    shown = tuple(sorted(hits, key=lambda h: quoted.index(h.passage) if h.passage in quoted else len(quoted))[:k])
    if not citations:
        return Answer(question, query, False, hits=shown, message=decline_message(index, query), notes=tuple(notes))
    figures = _figures(index, query, citations)
    agreeing = (citations[0].n,) if figures else _agreeing(index, citations)
    given = frozenset(j for c in citations for j in _held(index, c)) | (already if more else frozenset())
    return Answer(question, query, True, tuple(citations), shown, None, len(agreeing), figures, tuple(notes),
                  agreeing_with=agreeing, given=given)


def _previous(index: Index, history: list[str] | None, k: int, docs: set[int] | None) -> Answer | None:
    """The previous answer: a follow-up wants something new, and "and then?" what follows it."""
    if not history:
        return None
    return answer(index, history[-1], history[:-1], k, docs)


def _what_follows(index: Index, previous: Answer | None, already: frozenset[int]) -> list[Citation]:
    """For "and then?", "what happened next?": the sentences that follow the previous answer's
    first quote in its source (up to ``NEXT_QUOTES``, within ``NEXT_REACH`` sentences) and
    were not quoted yet; none when the source goes no further."""
    if previous is None or not previous.citations:
        return []
    first = previous.citations[0]
    sentence_passage, quotable = index.a["sentence_passage"], index.a["sentence_quotable"]
    found: list[tuple[int, int]] = []
    starts = index.a["sentence_start"]
    for j in range(first.sentence + 1, min(first.sentence + 1 + NEXT_REACH, len(sentence_passage))):
        p = int(sentence_passage[j])
        if index.doc_of_passage(p) != first.doc or len(found) == NEXT_QUOTES:
            break
        if int(starts[j]) >= first.end and quotable[j] and j not in already and not features.asks(index.sentence_text(j)):
            found.append((j, p))  # (a lead-in's quote holds the sentence after it: not that one again)
    why = Why(weights=(("what follows the last answer in its source", 1.0),))
    return [replace(_citation(index, n, j, p), why=why) for n, (j, p) in enumerate(found, start=1)]


def answerable(index: Index, query: Query, ev: Evidence, X: np.ndarray) -> float:
    """The decline model's probability that the sources answer ``query`` (``tutor.models``)."""
    cs = concepts(index, query)
    row = features.question_row(ev, cs, unreachable(index, query, cs), X, bool(wants(query.searched)))
    return models.probability("decline", row)


def _why(index: Index, query: Query, j: int, x: np.ndarray) -> Why:
    present = sentences.terms(index, j)
    ids = index.term_ids
    matched = tuple(" ".join(c.words) for c in concepts(index, query) if any(ids.get(s) in present for s in c.stems))
    synonyms = tuple((analysis.word_with_stem(query.searched, w), analysis.word_with_stem(index.sentence_text(j), s)) for w, s in query.synonyms
                     if ids.get(s) in present and ids.get(w) not in present)
    _, parts = models.rank(x[None, :])
    weights = tuple(sorted(((features.LABELS[n], round(float(v), 3)) for n, v in zip(features.NAMES, parts[0])),
                           key=lambda p: -p[1]))
    model, col = models.load("ranker"), {n: i for i, n in enumerate(features.NAMES)}
    held = next((n for n in ("kind_strong", "kind_weak") if x[col[n]] > 0), None)
    factor = math.exp(model["calibration"]["a"] * model["coef"][col[held]] / model["scale"][col[held]]) if held else 1.0
    return Why(matched, synonyms, weights, wants(query.searched) if held else None, round(factor, 3))


def sentence_scores(rows: list[tuple[int, int]], X: np.ndarray) -> list[tuple[float, int, int]]:
    """``(probability, sentence, passage)`` for the candidates ``features.candidates`` gives,
    most likely to answer first (``models.rank``)."""
    p = models.rank(X)[0] if len(X) else np.zeros(0)
    out = [(float(v), j, passage) for v, (j, passage) in zip(p, rows)]
    out.sort(key=lambda c: (-c[0], c[1]))
    return out


def _choose(index: Index, query: Query, cands: list[tuple[float, int, int]],
            already: set[int] = frozenset(), only_new: bool = False) -> list[Citation]:
    if only_new:  # "tell me more": nothing quoted before
        cands = [c for c in cands if c[1] not in already]
    if not cands:
        return []
    # A follow-up wants something new: not the sentence just quoted, unless that one
    # holds what is now asked for ("How big were they?" - "thousands of households").
    kind = wants(query.searched)
    fresh = [c for c in cands if c[1] not in already or (kind and holds(kind, index.sentence_text(c[1]),
                                                                                 subject_of(query.searched)))]
    first = fresh[0] if fresh and fresh[0][0] >= FURTHER * cands[0][0] else cands[0]
    chosen = [first]
    top = first[0]
    S = sentences.rows(index, [j for _, j, _ in cands])
    row = {j: i for i, (_, j, _) in enumerate(cands)}
    while len(chosen) < MAX_QUOTES:
        best, best_val = None, -1.0
        for c in cands:
            if c in chosen or c[0] < FURTHER * top:
                continue
            sim = max(float(S[row[c[1]]].multiply(S[row[o[1]]]).sum()) for o in chosen)
            same_doc = any(index.doc_of_passage(c[2]) == index.doc_of_passage(o[2]) for o in chosen)
            val = 0.7 * c[0] / top - 0.3 * sim - (0.15 if same_doc else 0.0)
            if sim < 0.6 and val > best_val:
                best, best_val = c, val
        if best is None:
            break
        chosen.append(best)
    cited = [_citation(index, n, j, p) for n, (_, j, p) in enumerate(chosen, start=1)]
    first = _readable(index, query, cited[0])
    # (a quote the first now holds is not given twice)
    return numbered([first, *(c for c in cited[1:] if c.doc != first.doc or not first.start <= c.start < first.end)])


def _readable(index: Index, query: Query, c: Citation) -> Citation:
    """The first quote as a student can read it on its own: a sentence that opens on a word
    pointing back ("This means that ...", "It ...") with the sentence before it, and one that
    holds little but the question's own words ("The Great Leap Forward borrowed elements from
    the history of the USSR ...", for "Which ideas did it borrow from the USSR?") with the
    sentence after it, which says what."""
    j, p = c.sentence, c.passage
    first, last = int(index.passage_sentences[p]), int(index.passage_sentences[p + 1]) - 1
    quotable, starts, ends = index.a["sentence_quotable"], index.a["sentence_start"], index.a["sentence_end"]
    start, end = c.start, c.end
    if _POINTS_BACK.match(c.quote) and j > first and quotable[j - 1] and end == int(ends[j]):  # (not a lead-in's)
        start = int(starts[j - 1])
    asked = set(analysis.stems(query.searched)) | {s for _, s in query.synonyms}
    restates = len(set(analysis.stems(c.quote)) - asked) <= RESTATES_WORDS
    if restates and start == c.start and end == int(ends[j]) and j < last and quotable[j + 1]:
        end = int(ends[j + 1])  # (two sentences at most: not after one taken in before)
    if (start, end) == (c.start, c.end):
        return c
    return replace(c, quote=index.doc_text(c.doc)[start:end], start=start, end=end)


def _held(index: Index, c: Citation) -> range:
    """The sentences a quote holds (one, or two for a lead-in or a quote read in context)."""
    first = int(index.passage_sentences[c.passage])
    sentences_ = range(first, int(index.passage_sentences[c.passage + 1]))
    starts, ends = index.a["sentence_start"], index.a["sentence_end"]
    inside = [j for j in sentences_ if int(starts[j]) >= c.start and int(ends[j]) <= c.end]
    return range(inside[0], inside[-1] + 1) if inside else range(c.sentence, c.sentence + 1)


def _citation(index: Index, n: int, j: int, p: int) -> Citation:
    """Sentence ``j`` as citation ``n``; a lead-in ("Its two aims were:") with what it introduces."""
    d = index.doc_of_passage(p)
    start, end = int(index.a["sentence_start"][j]), int(index.a["sentence_end"][j])
    quote = index.sentence_text(j)
    if quote.rstrip().endswith(":") and j + 1 < int(index.passage_sentences[p + 1]):
        end = int(index.a["sentence_end"][j + 1])
        quote = index.doc_text(d)[start:end]
    return Citation(n, quote, d, start, end, p, j)


def numbered(citations) -> tuple[Citation, ...]:
    """Citations numbered 1, 2, ... in the order given (a study item or a checked claim
    numbers its own)."""
    return tuple(replace(c, n=n) for n, c in enumerate(citations, start=1))


def sentence_citation(index: Index, n: int, j: int) -> Citation:
    """Sentence ``j`` of the index as citation ``n`` (study aids quote whole sentences)."""
    return _citation(index, n, j, int(index.a["sentence_passage"][j]))


def _agreeing(index: Index, citations: list[Citation]) -> tuple[int, ...]:
    """The citations, one per source, that state what the first quote states (the first alone when none do)."""
    first = citations[0]
    docs, agree = {first.doc}, [first.n]
    S = sentences.rows(index, [c.sentence for c in citations])
    for i, c in enumerate(citations[1:], start=1):
        if c.doc not in docs and float(S[i].multiply(S[0]).sum()) >= 0.2:
            docs.add(c.doc)
            agree.append(c.n)
    return tuple(agree)


def _figures(index: Index, query: Query, citations: list[Citation]) -> tuple[Figure, ...]:
    """The figures the quotes give, side by side, when they differ.

    Only for a question that asks for a number, when the first quote states one and
    another source states a different one ("15 to 45 million" against "30 million").
    """
    if wants(query.searched) != "number" or len(citations) < 2:
        return ()
    figures = [Figure(", ".join(nums), c.n) for c in citations if (nums := figures_in(c.quote))]
    if not figures or figures[0].citation != citations[0].n:
        return ()
    docs = {citations[f.citation - 1].doc for f in figures}
    values = {" ".join(f.value.lower().split()) for f in figures}
    return tuple(figures) if len(docs) >= 2 and len(values) >= 2 else ()
