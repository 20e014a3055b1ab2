"""From an understood question to ranked passages and sentences.

The product's path (``answer.answer`` and ``check.check`` both take it, nothing else):

1. ``scores(index, query, docs)``: every passage's score for a ``Query`` (see
   ``query.py`` for how a question becomes one) in one sparse product, ``P[:, ids] @
   weights``, of the query's columns of the passage matrix (stored by column: an
   inverted index), so a query costs what its terms' postings cost, not the corpus's
   size. The score is TF-IDF cosine with pivoted length normalisation (formula in
   ``index.py``), with query words that only frame the question ("effects", "think")
   at half weight and borrowed words (history, related, synonyms) at lower weights.
   With it comes a ``SentenceScores``, which scores only the sentences then read.
2. ``rerank(index, query, p, k)``: the ``RERANK`` leading passages (``top_k``)
   re-scored by how many of the question's concepts they hold (a name such as "Peng
   Dehuai" is one concept, matched by either part): a passage that mentions every part
   of the question beats one that repeats a part.
3. ``concepts``, ``concept_coverage`` and ``concept_ids``: what the answer weighs to
   decide whether the top passages cover the question at all, and the check whether
   a sentence states the claim.

Top-k by ``np.argpartition``, sorting only the values that reach the k-th; ties go to
the earlier passage.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from tutor import analysis, sentences
from tutor.index import Index
from tutor.kinds import wants
from tutor.query import HISTORY_WEIGHT, RELATED_WEIGHT, SYNONYM_WEIGHT, Query

FRAME_QUERY_WEIGHT = 0.5  # weight of a frame word ("effects") in the query vector
FRAME_WEIGHT = 0.25  # weight of a frame word in concept coverage
COORDINATION = 0.5  # how much concept coverage re-ranks the leading passages
SYNONYM_SHARE = 0.7  # a concept found only through a synonym ("urban" for "cities") counts this much
RERANK = 20  # how many leading passages ``rerank`` re-scores by concept coverage
CONCEPT_MEMO = 100_000  # concepts of word groups (and whether word pairs are phrases) remembered, per index
PHRASE_MIN_DF = 3  # a bigram in this many passages makes its two words one concept
COMMON_ENGLISH = 50_000  # pyspellchecker's count above which a word is everyday English


@dataclass(frozen=True)
class Hit:
    """A ranked passage: ``index.passage_text(passage)`` scored ``score`` for a query."""

    passage: int
    score: float


@dataclass(frozen=True)
class Concept:
    """One thing a question names: a word's stem, or every stem of a name ("Peng Dehuai").

    ``known`` is False when the corpus has none of its stems; ``weight`` is its idf
    (the highest idf when unknown), a quarter of it for a frame word.
    """

    stems: frozenset[str]
    weight: float
    known: bool
    frame: bool
    name: bool = False
    words: tuple[str, ...] = ()

    @property
    def acronym(self) -> str | None:
        """"glf" for the name "Great Leap Forward"; None for single words."""
        return "".join(w[0] for w in self.words) if self.name and len(self.words) > 1 else None


def concepts(index: Index, query: Query) -> list[Concept]:
    """The question's concepts, names grouped, unknown chat words ("wat") left out."""
    ids = index.term_ids
    highest = top_idf(index)
    groups: list[list[str]] = []
    capitalised: set[str] = set()
    prev_cap = False
    words = analysis.words(query.searched)
    judgement = wants(query.searched) == "judgement"
    titled = analysis.title_cased(words)  # (then its names are the words the corpus writes as names)
    for i, word in enumerate(words):
        w = analysis.normalise(word)
        if not w or not analysis.is_content(w) or (judgement and w in analysis.VERDICT_WORDS):
            prev_cap = False
            continue
        # Capitals mark a name, except the first word's, unless the next word has one too.
        opens_name = i == 0 and len(words) > 1 and words[1][:1].isupper()
        written = (word[:1].isupper() and (i > 0 or opens_name)) or w in index.names
        if (written and not titled) or w in index.names:
            capitalised.add(w)
        if written and prev_cap:
            groups[-1].append(w)
        else:
            groups.append([w])
        prev_cap = written
    # A name counts as one concept only when the corpus has it as a phrase: "Peng
    # Dehuai" is one thing, matched by either part; "French Revolution", which the
    # corpus never says, is two words, and "Revolution" alone does not cover it.
    # (In Title Case, "Great Leap Forward Began" is cut where the corpus never has two of
    # its words together: the name "Great Leap Forward", and "began".)
    split: list[tuple[list[str], bool]] = []
    for group in groups:
        for run in _runs(ids, group) if titled else [group]:
            stems = [analysis.stem(w) for w in run] if len(run) > 1 else []
            if stems and all(f"{a} {b}" in ids for a, b in zip(stems, stems[1:])):
                split.append((run, True))
            else:
                split.extend(([w], w in capitalised) for w in run)
    # A phrase the corpus uses again and again ("first five year plan") is one concept
    # too, or its words would outweigh everything else the question asks.
    merged: list[tuple[list[str], bool]] = []
    for group, is_name in split:
        if merged and not is_name and not merged[-1][1] and _is_phrase(index, merged[-1][0][-1], group[0]):
            merged[-1][0].append(group[0])
        else:
            merged.append((list(group), is_name))
    out, seen = [], set()
    memo = index.memo.setdefault("concepts", {})  # a group's concept is the same in every question
    for group, is_name in merged:
        key = (tuple(group), is_name)
        c = memo.get(key, False)
        if c is False:
            c = _concept(index, group, is_name, highest)
            if len(memo) < CONCEPT_MEMO:
                memo[key] = c
        if c is None or c.stems & seen:
            continue
        seen |= c.stems
        out.append(c)
    return out


def _concept(index: Index, group: list[str], is_name: bool, top_idf: float) -> Concept | None:
    """The concept of a group of words (one, or a name's or a phrase's); None when the
    group is not one: no stem of three letters or a digit, or chat ("wat", "abt")."""
    ids = index.term_ids
    stems = frozenset(s for s in map(analysis.stem, group) if len(s) > 2 or s.isdigit())
    if not stems:
        return None
    known = [i for s in stems if (i := ids.get(s)) is not None]
    if not known and not is_name and all(len(w) <= 3 for w in group):
        return None  # an unknown two- or three-letter word is chat ("wat", "abt"), not a topic ("DNA" is)
    idfs = [float(index.idf[i]) for i in known]  # (a few: quicker one at a time than as an array)
    weight = ((min(idfs) if is_name else max(idfs)) if idfs else 0.0) or _unknown_weight(group, top_idf)
    frame = len(group) == 1 and analysis.is_frame(group[0])
    return Concept(stems, weight * (FRAME_WEIGHT if frame else 1.0), bool(known), frame, is_name, tuple(group))


def top_idf(index: Index) -> float:
    """One more than the highest idf (worked out once per index: it reads every term's)."""
    memo = index.memo.setdefault("top_idf", {})
    if not memo:
        memo[None] = float(index.idf.max()) + 1.0 if len(index.idf) else 1.0
    return memo[None]


def _is_phrase(index: Index, a: str, b: str) -> bool:
    memo = index.memo.setdefault("phrases", {})  # (a pair of words is asked about again and again)
    found = memo.get((a, b))
    if found is None:
        t = f"{analysis.stem(a)} {analysis.stem(b)}"
        i = index.term_ids.get(t)
        found = (not analysis.is_frame(a) and not analysis.is_frame(b)
                 and i is not None and int(index.df[i]) >= PHRASE_MIN_DF)
        if len(memo) < CONCEPT_MEMO:
            memo[(a, b)] = found
    return found


def _unknown_weight(words: list[str], top_idf: float) -> float:
    """An unknown word weighs the most; a common English one ("worst", "hit") half that.

    A common word the corpus lacks is more likely the question's phrasing than its
    topic; a rare one ("photosynthesis") is the topic the corpus lacks.
    """
    from tutor.query import english_frequency
    common = all(english_frequency(w) >= COMMON_ENGLISH for w in words)
    return top_idf * (0.5 if common else 1.0)


def concept_coverage(index: Index, query: Query, cs: list[Concept], present: set[int]) -> tuple[float, int]:
    """Weighted share of ``cs`` whose stems are among the term ids ``present``, and how
    many topic (not frame) concepts that is.

    A related corpus word ("deforestation" for an unknown "forests") counts for most of
    the unknown concept it contains; an acronym ("GLF") counts for its name.
    """
    return _coverage(_concept_terms(index, query, cs), present)


def _concept_terms(index: Index, query: Query, cs: list[Concept]) -> list[tuple[Concept, tuple, int, tuple, tuple]]:
    """Per concept, the term ids ``concept_coverage`` looks for: its stems', its acronym's
    (-1 when none), and those of the related and synonym words that stand for it. Looked
    up once when many sets of present terms are tried (the leaders in ``rerank``)."""
    ids = index.term_ids
    related = [(r, i) for r in query.related if (i := ids.get(r)) is not None]
    synonyms = [(s, ids[syn]) for s, syn in query.synonyms if syn in ids]
    return [(c, tuple(ids.get(s, -1) for s in c.stems), ids.get(c.acronym, -1) if c.acronym is not None else -1,
             tuple(i for r, i in related if any(s in r for s in c.stems)),
             tuple(i for s, i in synonyms if s in c.stems))
            for c in cs]


def _coverage(terms: list[tuple[Concept, tuple, int, tuple, tuple]], present: set[int]) -> tuple[float, int]:
    """``concept_coverage`` given its ``_concept_terms``."""
    # (-1, an absent term, is never among ``present``: set operations need not skip it)
    total = got = 0.0
    matched = 0
    for c, stems, acronym, related, synonyms in terms:
        total += c.weight
        if c.name or len(stems) == 1:
            share = float(not present.isdisjoint(stems) or acronym in present)
        else:  # a phrase: the share of its words present ("the first plan" for "first five year plan")
            share = len(present.intersection(stems)) / len(stems)
        if share:
            got += c.weight * share
            matched += not c.frame and share >= 0.5
        elif not c.known and not present.isdisjoint(related):
            got += 0.8 * c.weight
            matched += 1
        elif not present.isdisjoint(synonyms):
            got += SYNONYM_SHARE * c.weight
            matched += not c.frame
    return (got / total if total else 0.0), matched


def _runs(ids, words: list[str]) -> list[list[str]]:
    """``words`` cut between two the corpus never has side by side (as a word pair term)."""
    runs = [[words[0]]] if words else []
    for a, b in zip(words, words[1:]):
        if f"{analysis.stem(a)} {analysis.stem(b)}" in ids:
            runs[-1].append(b)
        else:
            runs.append([b])
    return runs


def unreachable(index: Index, query: Query, cs: list[Concept]) -> list[Concept]:
    """The concepts the corpus has no word for: not their stems, nor a related word or synonym."""
    return [c for c, stems, acronym, related, synonyms in _concept_terms(index, query, cs)
            if not c.known and acronym < 0 and not related and not synonyms]


def concept_ids(index: Index, query: Query, cs: list[Concept]) -> set[int]:
    """Every column a concept of the query can be matched by (stems, acronyms, related words)."""
    ids = index.term_ids
    terms = [s for c in cs for s in c.stems] + [c.acronym for c in cs if c.acronym] + list(query.related) \
        + [syn for _, syn in query.synonyms]
    return {i for t in terms if (i := ids.get(t)) is not None}


def searched_terms(query: Query) -> list[str]:
    """The terms of the question searched for: a judgement question's verdict ("Was it a
    success?") left out, as the sources may give another (``analysis.VERDICT_WORDS``)."""
    terms = analysis.terms(query.searched)
    if wants(query.searched) != "judgement":
        return terms
    return [t for t in terms if not set(t.split()) & analysis.VERDICT_STEMS]


def query_vector(index: Index, query: Query) -> tuple[np.ndarray, np.ndarray]:
    """The query's weighted TF-IDF vector (column ids, weights): its own words, then
    borrowed ones at lower weight."""
    counts: dict[str, float] = {}  # (a plain dict: Counter's += costs more)
    for t in searched_terms(query):
        counts[t] = counts.get(t, 0.0) + (FRAME_QUERY_WEIGHT if " " not in t and t in analysis.FRAME_STEMS else 1.0)
    for t in query.extra:
        counts[t] = counts.get(t, 0.0) + HISTORY_WEIGHT
    for t in query.related:
        counts[t] = counts.get(t, 0.0) + RELATED_WEIGHT
    for _, t in query.synonyms:
        counts[t] = counts.get(t, 0.0) + SYNONYM_WEIGHT
    return index.weigh(counts)


class SentenceScores:
    """Scores of sentences for one query, computed only for the sentences asked about.

    ``prepare(passages)`` scores every sentence of those passages in one product;
    ``scores[j]`` then reads sentence ``j``'s (any other is computed on demand).
    """

    def __init__(self, index: Index, qv: tuple[np.ndarray, np.ndarray]):
        self.index = index
        ids, weights = qv
        self.q = sp.csc_matrix((weights.astype(np.float32), (ids, np.zeros(len(ids), dtype=np.int64))),
                               shape=(index.n_terms, 1))
        self._cache: dict[int, float] = {}

    def prepare(self, passages) -> None:
        offsets = self.index.passage_sentences
        rows = [np.arange(offsets[p], offsets[p + 1]) for p in passages]
        rows = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        rows = rows[[int(r) not in self._cache for r in rows]] if len(rows) else rows
        if not len(rows):
            return
        self._cache.update(zip(rows.tolist(), (sentences.rows(self.index, rows) @ self.q).toarray().ravel().tolist()))

    def __getitem__(self, j: int) -> float:
        j = int(j)
        if j not in self._cache:
            p = int(self.index.a["sentence_passage"][j])
            self.prepare([p])
        return self._cache[j]


def scores(index: Index, query: Query, docs: set[int] | None = None) -> tuple[np.ndarray, SentenceScores]:
    """Passage scores for every passage (from the query terms' postings alone), and a
    sentence scorer for the sentences that will be read."""
    ids, weights = query_vector(index, query)
    # The query's columns of the inverted index times its weights: scipy's compiled matvec.
    p = np.asarray(index.P[:, ids] @ weights.astype(np.float32), dtype=np.float32).ravel()
    if docs is not None:
        allowed = np.isin(index.a["passage_doc"], np.fromiter(docs, dtype=np.int32))
        p = np.where(allowed, p, 0.0)
    return p, SentenceScores(index, (ids, weights))


def top_k(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest positive values, best first, ties to the lower index.

    ``np.argpartition`` finds the k-th largest value; only the values that reach it
    (every one tied with it too, so that ties go to the lower index) are sorted.
    """
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    cand = np.flatnonzero(values > 0)
    if len(cand) > k:
        vals = values[cand]
        kth = vals[np.argpartition(-vals, k - 1)[k - 1]]
        cand = cand[vals >= kth]
    return cand[np.lexsort((cand, -values[cand]))][:k]


def rerank(index: Index, query: Query, p_scores: np.ndarray, k: int) -> list[Hit]:
    """The ``k`` best passages after re-ranking the ``max(k, RERANK)`` leaders of the
    passage scores ``p_scores`` by concept coverage (which lowers a score by at most
    ``COORDINATION``); ties go to the earlier passage."""
    lead = top_k(p_scores, max(k, RERANK)).tolist()
    if not lead:
        return []
    looked_up = _concept_terms(index, query, concepts(index, query))
    # Only the columns coverage looks for (``concept_ids`` may name more: related words
    # that stand for no concept), so that no leader is searched for the others.
    terms = sorted({i for _, stems, acronym, related, synonyms in looked_up
                    for i in (*stems, acronym, *related, *synonyms) if i >= 0})
    rescored = sorted((-sc * (1 - COORDINATION + COORDINATION * _coverage(looked_up, present)[0]), i)
                      for i, sc, present in zip(lead, p_scores[lead].tolist(), index.terms_in_passages(lead, terms)))
    return [Hit(i, -minus) for minus, i in rescored[:k] if minus < 0]
