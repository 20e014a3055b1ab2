"""From an understood question to ranked passages and sentences.

``scores`` gives every passage and sentence a score for a ``Query`` (see ``query.py``
for how a question becomes one):

- TF-IDF cosine with pivoted length normalisation (formula in ``index.py``), query
  words that only frame the question ("effects", "think") at half weight, summed from
  the query terms' postings (the passage matrix is stored by column: an inverted
  index), so a query costs what its terms' postings cost, not the corpus's size;
- ``rank`` then re-ranks the leading passages by how many of the question's concepts
  they hold (a name such as "Peng Dehuai" is one concept, matched by either part):
  a passage that mentions every part of the question beats one that repeats a part.

Top-k by ``np.argpartition``, sorting only k; ties go to the earlier passage.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from tutor import analysis
from tutor.index import Index
from tutor.query import HISTORY_WEIGHT, RELATED_WEIGHT, SYNONYM_WEIGHT, Query

FRAME_QUERY_WEIGHT = 0.5  # weight of a frame word ("effects") in the query vector
FRAME_WEIGHT = 0.25  # weight of a frame word in concept coverage
COORDINATION = 0.5  # how much concept coverage re-ranks the leading passages
SYNONYM_SHARE = 0.7  # a concept found only through a synonym ("urban" for "cities") counts this much
RERANK = 20
PHRASE_MIN_DF = 3  # a bigram in this many passages makes its two words one concept
COMMON_ENGLISH = 50_000  # pyspellchecker's count above which a word is everyday English


@dataclass(frozen=True)
class Hit:
    """A ranked passage: ``index.passage_text(passage)`` scored ``score`` for a query."""

    passage: int
    score: float


def is_frame(word: str) -> bool:
    """True for a normalised word that frames a question rather than naming its topic."""
    return word in analysis.FRAME_WORDS or analysis.stem(word) in _FRAME_STEMS


_FRAME_STEMS = frozenset(analysis.stem(f) for f in analysis.FRAME_WORDS)


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
    top_idf = float(index.idf.max()) + 1.0 if len(index.idf) else 1.0
    groups: list[list[str]] = []
    capitalised: set[str] = set()
    prev_cap = False
    toks = analysis.tokens(query.searched)
    for i, (word, _, _) in enumerate(toks):
        w = analysis.normalise(word)
        if not w or not analysis.is_content(w):
            prev_cap = False
            continue
        # Capitals mark a name, except the first word's, unless the next word has one too.
        opens_name = i == 0 and len(toks) > 1 and toks[1][0][:1].isupper()
        cap = (word[:1].isupper() and (i > 0 or opens_name)) or w in index.names
        if cap:
            capitalised.add(w)
        if cap and prev_cap:
            groups[-1].append(w)
        else:
            groups.append([w])
        prev_cap = cap
    # A name counts as one concept only when the corpus has it as a phrase: "Peng
    # Dehuai" is one thing, matched by either part; "French Revolution", which the
    # corpus never says, is two words, and "Revolution" alone does not cover it.
    split: list[tuple[list[str], bool]] = []
    for group in groups:
        stems = [analysis.stem(w) for w in group]
        if len(group) > 1 and all(f"{a} {b}" in ids for a, b in zip(stems, stems[1:])):
            split.append((group, True))
        else:
            split.extend(([w], w in capitalised) for w in group)
    # A phrase the corpus uses again and again ("first five year plan") is one concept
    # too, or its words would outweigh everything else the question asks.
    merged: list[tuple[list[str], bool]] = []
    for group, is_name in split:
        if merged and not is_name and not merged[-1][1] and _is_phrase(index, merged[-1][0][-1], group[0]):
            merged[-1][0].append(group[0])
        else:
            merged.append((list(group), is_name))
    out, seen = [], set()
    for group, is_name in merged:
        stems = frozenset(analysis.stem(w) for w in group)
        stems = frozenset(s for s in stems if len(s) > 2 or s.isdigit())
        if not stems or stems & seen:
            continue
        known = [s for s in stems if s in ids]
        if not known and all(len(w) <= 3 for w in group):
            continue  # an unknown two- or three-letter word is chat ("wat", "abt"), not a topic
        seen |= stems
        idfs = [float(index.idf[ids[s]]) for s in known]
        weight = ((min(idfs) if is_name else max(idfs)) if idfs else 0.0) or _unknown_weight(group, top_idf)
        frame = len(group) == 1 and is_frame(group[0])
        out.append(Concept(stems, weight * (FRAME_WEIGHT if frame else 1.0), bool(known), frame, is_name,
                           tuple(group)))
    return out


def _is_phrase(index: Index, a: str, b: str) -> bool:
    t = f"{analysis.stem(a)} {analysis.stem(b)}"
    i = index.term_ids.get(t)
    return not is_frame(a) and not is_frame(b) and i is not None and int(index.df[i]) >= PHRASE_MIN_DF


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
    ids = index.term_ids
    related = [(r, i) for r in query.related if (i := ids.get(r)) is not None]
    synonyms = [(s, ids[syn]) for s, syn in query.synonyms if syn in ids]
    total = got = 0.0
    matched = 0
    for c in cs:
        total += c.weight
        if c.name or len(c.stems) == 1:
            share = float(any(ids.get(s, -1) in present for s in c.stems)
                          or (c.acronym is not None and ids.get(c.acronym, -1) in present))
        else:  # a phrase: the share of its words present ("the first plan" for "first five year plan")
            share = sum(1 for s in c.stems if ids.get(s, -1) in present) / len(c.stems)
        if share:
            got += c.weight * share
            matched += not c.frame and share >= 0.5
        elif not c.known and any(i in present and any(s in r for s in c.stems) for r, i in related):
            got += 0.8 * c.weight
            matched += 1
        elif any(i in present and s in c.stems for s, i in synonyms):
            got += SYNONYM_SHARE * c.weight
            matched += not c.frame
    return (got / total if total else 0.0), matched


def concept_ids(index: Index, query: Query, cs: list[Concept]) -> set[int]:
    """Every column a concept of the query can be matched by (stems, acronyms, related words)."""
    ids = index.term_ids
    terms = [s for c in cs for s in c.stems] + [c.acronym for c in cs if c.acronym] + list(query.related) \
        + [syn for _, syn in query.synonyms]
    return {i for t in terms if (i := ids.get(t)) is not None}


def query_vector(index: Index, query: Query) -> tuple[np.ndarray, np.ndarray]:
    """The query's weighted TF-IDF vector (column ids, weights): its own words, then
    borrowed ones at lower weight."""
    counts: Counter[str] = Counter()
    for t in analysis.terms(query.searched):
        counts[t] += FRAME_QUERY_WEIGHT if " " not in t and t in _FRAME_STEMS else 1.0
    for t in query.extra:
        counts[t] += HISTORY_WEIGHT
    for t in query.related:
        counts[t] += RELATED_WEIGHT
    for _, t in query.synonyms:
        counts[t] += SYNONYM_WEIGHT
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
        self._cache.update(zip(rows.tolist(), (self.index.S[rows] @ self.q).toarray().ravel().tolist()))

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


def top_k(values: np.ndarray, k: int, block: int = 512) -> np.ndarray:
    """Indices of the ``k`` largest positive values, best first, ties to the lower index.

    The k-th largest of the maxima of blocks of ``block`` values is a floor that at
    least k values reach, so only the values at or above it are sorted: exact, and on
    a large corpus far cheaper than partitioning every score.
    """
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    n = len(values)
    nb = n // block
    floor = 0.0
    if nb >= 8 and k <= nb:
        maxima = values[:nb * block].reshape(nb, block).max(axis=1)
        floor = float(np.partition(maxima, nb - k)[nb - k])
    cand = np.flatnonzero(values >= floor) if floor > 0 else np.flatnonzero(values > 0)
    if len(cand) > k:
        vals = values[cand]
        cand = cand[np.argpartition(-vals, k - 1)[:k]]
        floor_k = float(values[cand].min())
        # keep every value tied with the k-th, so ties go to the lower index
        cand = np.flatnonzero(values >= floor_k) if floor_k > 0 else cand
    order = cand[np.lexsort((cand, -values[cand]))]
    return order[:k]


def rerank(index: Index, query: Query, p_scores: np.ndarray, k: int) -> list[Hit]:
    """The ``k`` best passages after re-ranking the leaders by concept coverage."""
    lead = top_k(p_scores, max(k, RERANK))
    if not len(lead):
        return []
    cs = concepts(index, query)
    present = index.terms_in_passages(lead, concept_ids(index, query, cs))
    rescored = []
    for i, terms in zip(lead, present):
        cov, _ = concept_coverage(index, query, cs, terms)
        rescored.append((float(p_scores[i]) * (1 - COORDINATION + COORDINATION * cov), int(i)))
    rescored.sort(key=lambda x: (-x[0], x[1]))
    return [Hit(i, sc) for sc, i in rescored[:k] if sc > 0]


def rank(index: Index, query: Query, k: int = 5, docs: set[int] | None = None) -> list[Hit]:
    """The ``k`` best passages for ``query``, best first."""
    p, _ = scores(index, query, docs)
    return rerank(index, query, p, k)
