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

import heapq
import threading
from dataclasses import dataclass
from itertools import compress

import numpy as np
import scipy.sparse as sp

try:  # the compiled loop of scipy's sparse matrix-vector product (see _Columns.add)
    from scipy.sparse._sparsetools import csc_matvec as _csc_matvec
except ImportError:  # pragma: no cover - another scipy layout
    _csc_matvec = None

from tutor import analysis
from tutor.index import Index
from tutor.query import HISTORY_WEIGHT, RELATED_WEIGHT, SYNONYM_WEIGHT, Query

FRAME_QUERY_WEIGHT = 0.5  # weight of a frame word ("effects") in the query vector
FRAME_WEIGHT = 0.25  # weight of a frame word in concept coverage
COORDINATION = 0.5  # how much concept coverage re-ranks the leading passages
SYNONYM_SHARE = 0.7  # a concept found only through a synonym ("urban" for "cities") counts this much
RERANK = 20
SORT_ALL = 8  # top_k sorts up to this many times k candidates whole
FOLD = 128  # top_k folds a long array into this many rows (a power of two) to find a floor
CONCEPT_MEMO = 100_000  # concepts of word groups (and whether word pairs are phrases) remembered, per index
PHRASE_MIN_DF = 3  # a bigram in this many passages makes its two words one concept
COMMON_ENGLISH = 50_000  # pyspellchecker's count above which a word is everyday English
MAX_PRUNED_TERMS = 1000  # a longer query vector is scored whole (float32 error stays within _SLACK)
COMMON = 8  # a column in more than one passage in this many is common: pruning tries not to read it
PRUNE_POSTINGS = 200_000  # ... when adding the common columns costs this many postings (fewer cost less to add than pruning)
SEARCH_RATIO = 64  # pruning gives up when its candidates times the query's terms exceed the cost of adding every column over this
PRUNE_SAMPLE = 256  # pruning first estimates its candidates from about this many of a long column's passages
NTH_SAMPLE = 512  # when every column is added, the floor for top_k reads about this many of the rarest's scores
DENSE_SPEEDUP = 4  # adding a dense column (Index.dense) costs about what a quarter as many postings cost
_SLACK = 1e-4  # relative margin for float32 rounding in max-score bounds


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
    top_idf = _top_idf(index)
    groups: list[list[str]] = []
    capitalised: set[str] = set()
    prev_cap = False
    words = analysis.words(query.searched)
    for i, word in enumerate(words):
        w = analysis.normalise(word)
        if not w or not analysis.is_content(w):
            prev_cap = False
            continue
        # Capitals mark a name, except the first word's, unless the next word has one too.
        opens_name = i == 0 and len(words) > 1 and words[1][:1].isupper()
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
        stems = [analysis.stem(w) for w in group] if len(group) > 1 else []
        if stems and all(f"{a} {b}" in ids for a, b in zip(stems, stems[1:])):
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
    memo = index.__dict__.setdefault("_concepts", {})  # a group's concept is the same in every question
    for group, is_name in merged:
        key = (tuple(group), is_name)
        c = memo.get(key, False)
        if c is False:
            c = _concept(index, group, is_name, top_idf)
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
    if not known and all(len(w) <= 3 for w in group):
        return None  # an unknown two- or three-letter word is chat ("wat", "abt"), not a topic
    idfs = [float(index.idf[i]) for i in known]  # (a few: quicker one at a time than as an array)
    weight = ((min(idfs) if is_name else max(idfs)) if idfs else 0.0) or _unknown_weight(group, top_idf)
    frame = len(group) == 1 and analysis.is_frame(group[0])
    return Concept(stems, weight * (FRAME_WEIGHT if frame else 1.0), bool(known), frame, is_name, tuple(group))


def _top_idf(index: Index) -> float:
    """One more than the highest idf (worked out once per index: it reads every term's)."""
    top = index.__dict__.get("_top_idf")
    if top is None:
        top = index.__dict__["_top_idf"] = float(index.idf.max()) + 1.0 if len(index.idf) else 1.0
    return top


def _is_phrase(index: Index, a: str, b: str) -> bool:
    memo = index.__dict__.setdefault("_phrases", {})  # (a pair of words is asked about again and again)
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
    up once when many sets of present terms are tried (the leaders in ``rank``)."""
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


def concept_ids(index: Index, query: Query, cs: list[Concept]) -> set[int]:
    """Every column a concept of the query can be matched by (stems, acronyms, related words)."""
    ids = index.term_ids
    terms = [s for c in cs for s in c.stems] + [c.acronym for c in cs if c.acronym] + list(query.related) \
        + [syn for _, syn in query.synonyms]
    return {i for t in terms if (i := ids.get(t)) is not None}


def query_vector(index: Index, query: Query) -> tuple[np.ndarray, np.ndarray]:
    """The query's weighted TF-IDF vector (column ids, weights): its own words, then
    borrowed ones at lower weight."""
    counts: dict[str, float] = {}  # (a plain dict: Counter's += costs more)
    for t in analysis.terms(query.searched):
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
        self._cache.update(zip(rows.tolist(), (self.index.sentence_rows(rows) @ self.q).toarray().ravel().tolist()))

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


def top_k(values: np.ndarray, k: int, floor: float = 0.0) -> np.ndarray:
    """Indices of the ``k`` largest positive values, best first, ties to the lower index.

    Only the values at or above a floor that at least k values reach are sorted: exact,
    and on a large corpus far cheaper than partitioning every score. The caller may know
    such a ``floor``; otherwise the values are folded into ``FOLD`` rows and the rows'
    element-wise maximum taken, halving the rows each time (whole-array maxima, which
    NumPy runs many times faster than a maximum per block): the k-th largest of those
    column maxima is a floor, and only the columns that reach it need reading again.
    """
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    width = len(values) // FOLD
    maxima = None
    if floor <= 0 and width >= 8 and k <= width:
        rows = values[:FOLD * width].reshape(FOLD, width)
        maxima = rows
        while len(maxima) > 1:
            half = len(maxima) // 2
            maxima = np.maximum(maxima[:half], maxima[half:])
        maxima = maxima[0]
        floor = float(np.partition(maxima, width - k)[width - k])
    # (``nonzero`` and ``argpartition`` as methods: NumPy's function wrappers cost more)
    if floor <= 0:
        cand = (values > 0).nonzero()[0]
    elif maxima is None:
        cand = (values >= floor).nonzero()[0]
    else:  # every value at or above the floor: in the columns that reach it, or in the tail
        reach = np.flatnonzero(maxima >= floor)
        at = np.flatnonzero(rows[:, reach] >= floor)  # (row, column) as one number: faster than np.nonzero
        tail = np.flatnonzero(values[FOLD * width:] >= floor)
        cand = np.concatenate(((at // len(reach)) * width + reach[at % len(reach)], tail + FOLD * width))
    if len(cand) > SORT_ALL * k:  # (a few candidates sort faster than they partition)
        vals = values[cand]
        floor_k = float(vals[(-vals).argpartition(k - 1)[:k]].min())
        # keep every value tied with the k-th, so ties go to the lower index
        cand = cand[vals >= floor_k]
    order = cand[np.lexsort((cand, -values[cand]))]
    return order[:k]


def rerank(index: Index, query: Query, p_scores: np.ndarray, k: int) -> list[Hit]:
    """The ``k`` best passages after re-ranking the leaders by concept coverage."""
    lead = top_k(p_scores, max(k, RERANK))
    return _rerank_leaders(index, query, lead, p_scores[lead], k)


def _rerank_leaders(index: Index, query: Query, lead: np.ndarray, lead_scores: np.ndarray, k: int) -> list[Hit]:
    """``rerank`` given the leaders (best first, as ``top_k`` orders them) and their scores.

    Coverage only lowers a score (by at most ``COORDINATION``), so once ``k`` leaders
    are re-scored, a leader whose plain score is below the k-th re-scored one cannot
    enter the k best, nor can any after it: their coverage is never worked out.
    """
    if not len(lead):
        return []
    looked_up = _concept_terms(index, query, concepts(index, query))
    # Only the columns coverage looks for (``concept_ids`` may name more: related words
    # that stand for no concept), so that no leader is searched for the others.
    terms = sorted({i for _, stems, acronym, related, synonyms in looked_up
                    for i in (*stems, acronym, *related, *synonyms) if i >= 0})
    held = _held(index, lead, terms).tobytes()  # row x: which of ``terms`` leader x holds
    t = len(terms)
    coverage: dict[bytes, float] = {}  # leaders often hold the same terms: worked out once
    rescored: list[tuple[float, int]] = []  # (minus the re-scored value, passage): sorted, best first
    best: list[float] = []  # the k best re-scored values, a heap: best[0] is the k-th
    for x, (i, sc) in enumerate(zip(lead.tolist(), lead_scores.tolist())):
        if len(best) == k and sc < best[0]:
            break
        row = held[x * t:(x + 1) * t]
        cov = coverage.get(row)
        if cov is None:
            present = set(compress(terms, row))
            cov = coverage[row] = _coverage(looked_up, present)[0]
        value = sc * (1 - COORDINATION + COORDINATION * cov)
        rescored.append((-value, i))
        (heapq.heappush if len(best) < k else heapq.heappushpop)(best, value)
    rescored.sort()
    return [Hit(i, -minus) for minus, i in rescored[:k] if minus < 0]


def _held(index: Index, passages: np.ndarray, terms: list[int]) -> np.ndarray:
    """Which of the term ids ``terms`` each passage holds: ``index.terms_in_passages`` as
    a matrix (passages x terms, C order), with three NumPy calls per term."""
    indptr, indices = index.a["P_indptr"], index.a["P_indices"]
    # In the postings' own integer type: searching a long column for keys of another
    # type would first convert the whole column.
    keys = passages.astype(indices.dtype)
    found = np.zeros((len(terms), len(keys)), dtype=bool)
    ids = np.array(terms, dtype=np.int64)
    for row, a, b in zip(found, indptr[ids].tolist(), indptr[ids + 1].tolist()):
        if b > a:
            rows = indices[a:b]
            np.equal(rows.take(rows.searchsorted(keys), mode="clip"), keys, out=row)
    return found.T.copy()


def rank(index: Index, query: Query, k: int = 5, docs: set[int] | None = None) -> list[Hit]:
    """The ``k`` best passages for ``query``, best first: ``rerank(scores(...))``, but
    reading only the postings that can change the leaders (``leaders``)."""
    if docs is None:
        return _rerank_leaders(index, query, *leaders(index, query_vector(index, query), max(k, RERANK)), k)
    p, _ = scores(index, query, docs)
    return rerank(index, query, p, k)


_scratch = threading.local()
_START_END = np.array([0, 1])  # a column's start and end in indptr: ids[:, None] + _START_END


def _buffers(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """This thread's float32 accumulator (zero; callers zero again what they touch), and
    int32 and float32 scratch (any content), of ``n`` values each."""
    bufs = getattr(_scratch, "bufs", None)
    if bufs is None or len(bufs[0]) != n:
        bufs = _scratch.bufs = (np.zeros(n, dtype=np.float32), np.zeros(n, dtype=np.int32),
                                np.zeros(n, dtype=np.float32))
    return bufs


def _zero(acc: np.ndarray, seen: list[np.ndarray], count: int) -> None:
    """Zero the accumulator where ``seen`` (``count`` positions in all) touched it."""
    if count > len(acc) // 32:
        acc.fill(0.0)
    else:
        for rows in seen:
            acc[rows] = 0.0


def _distinct(rows: list[np.ndarray], slot: np.ndarray) -> np.ndarray:
    """The distinct passages of ``rows`` (not sorted), in time linear in their length:
    each passage keeps the one position that ``slot`` remembers for it."""
    if len(rows) == 1:
        return rows[0]  # a column's passages are distinct already
    allr = np.concatenate(rows)
    at = np.arange(len(allr), dtype=np.int32)
    slot[allr] = at
    return allr[slot[allr] == at]


class _Columns:
    """The query's columns of the inverted index: postings bounds, weights, lookups, and
    what adding each whole costs (in postings)."""

    def __init__(self, index: Index, ids: np.ndarray, weights: np.ndarray, spare: np.ndarray):
        indptr = index.a["P_indptr"]
        self.indices, self.data = index.a["P_indices"], index.a["P_data"]
        self.w = weights.astype(np.float32)
        # Column j's postings bounds are bounds[2j:2j + 2], in the postings' integer type,
        # which scipy chose to hold every posting's position: a one-column indptr.
        bounds = indptr[ids[:, None] + _START_END]
        self.bounds = bounds.astype(self.indices.dtype).ravel()
        self.starts, self.ends = bounds.T.tolist()
        self.df = [b - a for a, b in zip(self.starts, self.ends)]
        self._index, self._ids = index, ids.tolist()
        self.dense = [index.dense.get(c) for c in self._ids]
        self.spare = spare
        dense_cost = index.n_passages // DENSE_SPEEDUP
        self.cost = [n if row is None else dense_cost for n, row in zip(self.df, self.dense)]

    def bound(self, j: int) -> float:
        """The most column ``j`` adds to a score."""
        return float(self._index.a["P_max"][self._ids[j]]) * float(self.w[j])

    def add(self, acc: np.ndarray, j: int) -> np.ndarray:
        """Add column ``j`` whole to ``acc`` (``acc[rows] += vals * w`` in float32); its passages.

        scipy's own compiled loop (the one ``P[:, ids] @ w`` runs) when it can be reached,
        so that the sums are scipy's bit for bit and cost what a compiled loop costs: given
        the whole postings and the column's bounds in them, nothing is copied or built per
        column. ``np.add.at`` (the same float32 additions) otherwise. A column also held
        dense is added whole, the same product and sum for every passage it holds, and
        0.0 added to the others.
        """
        a, b = self.starts[j], self.ends[j]
        rows = self.indices[a:b]
        dense = self.dense[j]
        if dense is not None:
            np.add(acc, np.multiply(dense, self.w[j], out=self.spare), out=acc)
        elif _csc_matvec is not None:
            _csc_matvec(len(acc), 1, self.bounds[2 * j:2 * j + 2], self.indices, self.data, self.w[j:j + 1], acc)
        else:
            np.add.at(acc, rows, self.data[a:b] * self.w[j])
        return rows

    def sums(self, cand: np.ndarray) -> np.ndarray:
        """The scores of the passages ``cand`` (sorted, in the postings' integer type: searching a
        column for keys of another type would first convert it), as scipy's product sums them:
        float32, column by column in the query's order (adding 0.0 where a column lacks
        a passage changes no sum). One binary search per column, the rest in one go."""
        m = len(self.df)
        pos = np.empty((m, len(cand)), dtype=np.int64)
        for row, a, b in zip(pos, self.starts, self.ends):
            np.add(self.indices[a:b].searchsorted(cand), a, out=row)
        ends = np.array(self.ends, dtype=np.int64)[:, None]
        # a passage past a column's last one is found at the column's end: not in it
        held = (self.indices.take(pos, mode="clip") == cand) & (pos < ends)
        weights = self.data.take(pos, mode="clip") * self.w[:, None]
        weights *= held
        total = np.zeros(len(cand), dtype=np.float32)
        for row in weights:
            total += row
        return total


def leaders(index: Index, qv: tuple[np.ndarray, np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    """``top_k(p, n)`` of the passage scores ``p`` that ``scores`` computes, and those
    scores (bit for bit), without adding up every posting of a common word.

    Max-score pruning (Turtle and Flood, 1995): the query's rarer columns are added
    whole; when the n-th best partial score is above the most its common columns (those
    in more than one passage in ``COMMON``) could add, no passage the rarer columns lack
    can reach the n best, and one whose partial score plus that most is below the n-th
    cannot either. The survivors' scores are then summed as scipy's product sums them,
    their weights found by binary search in the postings. When nothing can be pruned,
    every column is added in the query's order.
    """
    ids, weights = qv
    m, n_p = len(ids), index.n_passages
    if not m or n <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    acc, slot, spare = _buffers(n_p)
    cols = _Columns(index, ids, weights, spare)
    df = cols.df
    seen: list[np.ndarray] = []
    try:
        common = [j for j in range(m) if df[j] > n_p // COMMON]
        if len(common) < m and sum(cols.cost[j] for j in common) >= PRUNE_POSTINGS and m <= MAX_PRUNED_TERMS:
            read = [j for j in range(m) if df[j] <= n_p // COMMON]
            seen = [cols.add(acc, j) for j in read]
            cand = _prune(acc, cols, read, seen, common, n)
            if cand is not None:
                return _best(cand, cols.sums(cand), n)
            _zero(acc, seen, sum(len(rows) for rows in seen))
        seen = [cols.add(acc, j) for j in range(m)]
        if sum(df) > n_p // 8:
            lead = top_k(acc, n, _nth(acc, cols, list(range(m)), seen, n, NTH_SAMPLE))
            return lead, acc[lead]
        cand = _distinct(seen, slot)
        return _best(cand, acc[cand], n)
    finally:
        _zero(acc, seen, sum(len(rows) for rows in seen))


def _nth(acc: np.ndarray, cols: _Columns, read: list[int], seen: list[np.ndarray], n: int,
         sample: int = 0) -> float:
    """A value that at least n passages' scores in ``acc`` reach: the n-th best score of
    the passages of the rarest of the columns ``read`` (their passages ``seen``) that
    has n, whose word weighs most; 0.0 when none has. With a ``sample`` size, a longer
    column's passages are read at an even stride, keeping at least that many: the n-th
    best of fewer scores is a lower floor, but still one that n passages reach."""
    df = cols.df
    having = [(df[j], x) for x, j in enumerate(read) if df[j] >= n]
    if not having:
        return 0.0
    rows = seen[min(having)[1]]  # the rarest (of equally rare ones, the first)
    if sample >= n and len(rows) >= 2 * sample:
        rows = rows[::len(rows) // sample]
    part = acc.take(rows)
    part.partition(len(part) - n)  # (in place, on the copy ``take`` made)
    return float(part[len(part) - n])


def _prune(acc: np.ndarray, cols: _Columns, read: list[int], seen: list[np.ndarray], common: list[int],
           n: int) -> np.ndarray | None:
    """The passages (sorted) that can still reach the n best, given the partial scores
    ``acc`` of the columns ``read`` (their passages ``seen``), or None when the unread
    ``common`` columns might lift a passage not read yet among them."""
    # Each whole score is at least its partial one: the n-th best partial is a floor.
    floor = _nth(acc, cols, read, seen, n) * (1 - _SLACK)
    left = sum(cols.bound(j) for j in common) * (1 + _SLACK)
    if floor <= left:  # (or no column has n passages: floor is 0)
        return None
    least = (floor - left) / (1 + _SLACK)  # partial * (1 + slack) + left >= floor
    # Given up when the candidates are too many to search for (adding every posting then
    # costs less): first if an even sample of a long column shows twice too many in it
    # alone, then as soon as counting them, the longest columns first, finds too many.
    # (Giving up only costs time: every column is then added, which ranks the same.)
    total, many = sum(cols.cost), len(cols.df) * SEARCH_RATIO
    by_length = sorted(seen, key=len, reverse=True)
    if len(by_length[0]) > 8 * PRUNE_SAMPLE:
        step = len(by_length[0]) // PRUNE_SAMPLE
        if int(np.count_nonzero(acc[by_length[0][::step]] >= least)) * step * many > 2 * total:
            return None
    found, count = [], 0
    for rows in by_length:
        found.append(rows[acc[rows] >= least])
        count += len(found[-1])
        if count * many > total:
            return None
    cand = np.sort(np.concatenate(found))
    # distinct (np.unique hashes, and np.diff's prepend copies: both cost more)
    keep = np.ones(len(cand), dtype=bool)
    np.not_equal(cand[1:], cand[:-1], out=keep[1:])
    return cand[keep]


def _best(cand: np.ndarray, values: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``n`` best positive ``values`` and their passages ``cand``, as ``top_k`` orders them."""
    keep = values > 0
    cand, values = cand[keep], values[keep]
    if len(cand) > 4 * n:  # only those at or above the n-th value need sorting
        nth = np.partition(values, len(values) - n)[len(values) - n]
        keep = values >= nth
        cand, values = cand[keep], values[keep]
    best = np.lexsort((cand, -values))[:n]
    return cand[best].astype(np.int64), values[best]
