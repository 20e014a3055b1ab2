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
from collections import Counter
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp

try:  # the compiled loop of scipy's sparse matrix-vector product (see _add)
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
FOLD = 128  # top_k folds a long array into this many rows (a power of two) to find a floor
PHRASE_MIN_DF = 3  # a bigram in this many passages makes its two words one concept
COMMON_ENGLISH = 50_000  # pyspellchecker's count above which a word is everyday English
PRUNE_RATIO = 4  # pruning is tried only for a query with this many postings per passage
MAX_PRUNED_TERMS = 1000  # a longer query vector is scored whole (float32 error stays within _SLACK)
LONG_POSTINGS = 4096  # a column at least this long has its largest weight remembered
CHECK_MIN = 2048  # pruning is tried before reading a column this long ...
CHECK_RATIO = 4  # ... and this many times longer than all read so far
SEARCH_RATIO = 64  # a column longer than this many times the candidates is searched, not added whole
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
        frame = len(group) == 1 and analysis.is_frame(group[0])
        out.append(Concept(stems, weight * (FRAME_WEIGHT if frame else 1.0), bool(known), frame, is_name,
                           tuple(group)))
    return out


def _top_idf(index: Index) -> float:
    """One more than the highest idf (worked out once per index: it reads every term's)."""
    top = index.__dict__.get("_top_idf")
    if top is None:
        top = index.__dict__["_top_idf"] = float(index.idf.max()) + 1.0 if len(index.idf) else 1.0
    return top


def _is_phrase(index: Index, a: str, b: str) -> bool:
    t = f"{analysis.stem(a)} {analysis.stem(b)}"
    i = index.term_ids.get(t)
    return (not analysis.is_frame(a) and not analysis.is_frame(b)
            and i is not None and int(index.df[i]) >= PHRASE_MIN_DF)


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
        counts[t] += FRAME_QUERY_WEIGHT if " " not in t and t in analysis.FRAME_STEMS else 1.0
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


def top_k(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest positive values, best first, ties to the lower index.

    The values are folded into ``FOLD`` rows and the rows' element-wise maximum taken,
    halving the rows each time (whole-array maxima, which NumPy runs many times faster
    than a maximum per block). The k-th largest of those column maxima is a floor that
    at least k values reach, and only the columns whose maximum reaches it need reading
    again: exact, and on a large corpus far cheaper than partitioning every score.
    """
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    n = len(values)
    width = n // FOLD
    floor = 0.0
    if width >= 8 and k <= width:
        rows = values[:FOLD * width].reshape(FOLD, width)
        maxima = rows
        while len(maxima) > 1:
            half = len(maxima) // 2
            maxima = np.maximum(maxima[:half], maxima[half:])
        maxima = maxima[0]
        floor = float(np.partition(maxima, width - k)[width - k])
    if floor > 0:
        # every value at or above the floor: in the columns that reach it, or in the tail
        reach = np.flatnonzero(maxima >= floor)
        at = np.flatnonzero(rows[:, reach] >= floor)  # (row, column) as one number: faster than np.nonzero
        tail = np.flatnonzero(values[FOLD * width:] >= floor)
        cand = np.concatenate(((at // len(reach)) * width + reach[at % len(reach)], tail + FOLD * width))
    else:
        cand = np.flatnonzero(values > 0)
    if len(cand) > k:
        vals = values[cand]
        floor_k = float(vals[np.argpartition(-vals, k - 1)[:k]].min())
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
    cs = concepts(index, query)
    coverage: dict[frozenset[int], float] = {}  # leaders often hold the same concepts: worked out once
    rescored: list[tuple[float, int]] = []
    best: list[float] = []  # the k best re-scored values, a heap: best[0] is the k-th
    for i, sc, terms in zip(lead.tolist(), lead_scores.tolist(), _held(index, lead, concept_ids(index, query, cs))):
        if len(best) == k and sc < best[0]:
            break
        cov = coverage.get(terms)
        if cov is None:
            cov = coverage[terms] = concept_coverage(index, query, cs, terms)[0]
        rescored.append((sc * (1 - COORDINATION + COORDINATION * cov), i))
        (heapq.heappush if len(best) < k else heapq.heappushpop)(best, rescored[-1][0])
    rescored.sort(key=lambda x: (-x[0], x[1]))
    return [Hit(i, sc) for sc, i in rescored[:k] if sc > 0]


def _held(index: Index, passages: np.ndarray, among: set[int]) -> list[frozenset[int]]:
    """For each passage, which of the term ids ``among`` it holds: ``index.terms_in_passages``
    with fewer NumPy calls (one search per term, then one pass over the found pairs)."""
    indptr, indices = index.a["P_indptr"], index.a["P_indices"]
    # In the postings' own integer type: searching a long column for keys of another
    # type would first convert the whole column.
    keys = passages.astype(indices.dtype)
    terms = sorted(among)
    found = np.zeros((len(terms), len(keys)), dtype=bool)
    for row, t in zip(found, terms):
        rows = indices[indptr[t]:indptr[t + 1]]
        if len(rows):
            np.equal(rows.take(rows.searchsorted(keys), mode="clip"), keys, out=row)
    held: list[list[int]] = [[] for _ in range(len(keys))]
    term_of, passage_of = np.nonzero(found)
    for r, j in zip(term_of.tolist(), passage_of.tolist()):
        held[j].append(terms[r])
    return [frozenset(h) for h in held]


def rank(index: Index, query: Query, k: int = 5, docs: set[int] | None = None) -> list[Hit]:
    """The ``k`` best passages for ``query``, best first: ``rerank(scores(...))``, but
    reading only the postings that can change the leaders (``leaders``)."""
    if docs is None:
        return _rerank_leaders(index, query, *leaders(index, query_vector(index, query), max(k, RERANK)), k)
    p, _ = scores(index, query, docs)
    return rerank(index, query, p, k)


_scratch = threading.local()


def _buffers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """This thread's float32 accumulator (zero; callers zero again what they touch) and
    int32 scratch (any content) of ``n`` values each."""
    bufs = getattr(_scratch, "bufs", None)
    if bufs is None or len(bufs[0]) != n:
        bufs = _scratch.bufs = (np.zeros(n, dtype=np.float32), np.zeros(n, dtype=np.int32))
    return bufs


def _add(acc: np.ndarray, rows: np.ndarray, vals: np.ndarray, w: np.float32) -> None:
    """``acc[rows] += vals * w`` in float32, as scipy's sparse product adds a column.

    scipy's own compiled loop (the one ``P[:, ids] @ w`` runs) when it can be reached,
    so that the sums are scipy's bit for bit and cost what a compiled loop costs;
    ``np.add.at`` (the same float32 additions) otherwise.
    """
    if _csc_matvec is not None:
        _csc_matvec(len(acc), 1, np.array([0, len(rows)], dtype=rows.dtype), rows, vals,
                    np.array([w], dtype=np.float32), acc)
    else:
        np.add.at(acc, rows, vals * w)


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


def _column_max(index: Index, t: int, a: int, b: int) -> float:
    """The largest weight in column ``t`` (postings ``a:b``); a long column's is remembered."""
    if b - a < LONG_POSTINGS:
        return float(index.a["P_data"][a:b].max()) if b > a else 0.0
    memo = index.__dict__.setdefault("_column_max", {})
    m = memo.get(t)
    if m is None:
        m = memo[t] = float(index.a["P_data"][a:b].max())
    return m


class _Columns:
    """The query's columns of the inverted index: postings bounds, weights, lookups."""

    def __init__(self, index: Index, ids: np.ndarray, weights: np.ndarray):
        indptr = index.a["P_indptr"]
        self.indices, self.data = index.a["P_indices"], index.a["P_data"]
        self.w = weights.astype(np.float32)
        self.starts = indptr[ids].tolist()
        self.ends = indptr[ids + 1].tolist()
        self.df = [b - a for a, b in zip(self.starts, self.ends)]
        self._index, self._ids = index, ids

    @cached_property
    def bound(self) -> list[float]:
        """The most each column adds to a score (worked out only when pruning is tried)."""
        return [_column_max(self._index, t, a, b) * float(w)
                for t, a, b, w in zip(self._ids.tolist(), self.starts, self.ends, self.w.tolist())]

    def add(self, acc: np.ndarray, j: int) -> np.ndarray:
        """Add column ``j`` whole to ``acc``; its passages."""
        a, b = self.starts[j], self.ends[j]
        rows = self.indices[a:b]
        _add(acc, rows, self.data[a:b], self.w[j])
        return rows

    def lookup(self, part: np.ndarray, cand: np.ndarray, j: int) -> None:
        """Add column ``j``'s weights to ``part``, the scores of the passages ``cand``."""
        a, b = self.starts[j], self.ends[j]
        if b == a or not len(cand):
            return
        rows = self.indices[a:b]
        pos = np.searchsorted(rows, cand)
        np.minimum(pos, b - a - 1, out=pos)
        hit = rows[pos] == cand
        part[hit] += self.data[a:b][pos[hit]] * self.w[j]


def leaders(index: Index, qv: tuple[np.ndarray, np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    """``top_k(p, n)`` of the passage scores ``p`` that ``scores`` computes, and those
    scores (bit for bit), without adding up every posting of a common word.

    Max-score pruning (Turtle and Flood, 1995): columns are added rarest first; once the
    n-th best score is above the most the unread columns could still add, no passage
    they alone hold can reach the n best, and a passage read so far whose partial score
    plus that most is below the n-th cannot either. The survivors' scores are then
    summed as scipy's product sums them (float32, column by column in the query's
    order), a long column's weights found by binary search in its postings. When
    nothing can be pruned, every column is added in the query's order.
    """
    ids, weights = qv
    m, n_p = len(ids), index.n_passages
    if not m or n <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    cols = _Columns(index, ids, weights)
    df = cols.df
    acc, slot = _buffers(n_p)
    seen: list[np.ndarray] = []
    read = 0  # postings added to acc
    try:
        if sum(df) < PRUNE_RATIO * n_p or m > MAX_PRUNED_TERMS:
            order = []  # adding every posting costs less than the searches pruning takes
        else:
            order = sorted(range(m), key=lambda j: (df[j], j))
            rest = [0.0] * (m + 1)  # rest[r]: the most the columns order[r:] can add to a score
            for r in range(m - 1, -1, -1):
                rest[r] = rest[r + 1] + cols.bound[order[r]]
        for r, j in enumerate(order):
            if read and df[j] > CHECK_RATIO * read and df[j] >= CHECK_MIN and rest[r] > 0:
                # Worth trying to stop: the n-th best score so far against what is left.
                cand = _prune(acc, seen, slot, cols, order[r:], rest[r:], n)
                if cand is not None:
                    return _exact(acc, seen, cols, cand, n)
                if df[j] > n_p // 8:
                    break  # a common column must be read whole: so must nearly everything
            seen.append(cols.add(acc, j))
            read += df[j]
        # Nothing pruned: every column added again, in the query's order.
        _zero(acc, seen, read)
        seen = [cols.add(acc, j) for j in range(m)]
        read = sum(df)
        if read > n_p // 8:
            lead = top_k(acc, n)
            return lead, acc[lead]
        cand = _distinct(seen, slot)
        return _best(cand, acc[cand], n)
    finally:
        _zero(acc, seen, sum(len(rows) for rows in seen))


def _floor(values: np.ndarray, n: int) -> float:
    """The n-th largest of ``values`` (0.0 when fewer than n are positive)."""
    top = top_k(values, n)
    return float(values[top[-1]]) if len(top) == n else 0.0


def _prune(acc, seen, slot, cols: _Columns, unread: list[int], rest: list[float], n: int) -> np.ndarray | None:
    """The passages that can still reach the n best, or None when the unread columns
    might lift a passage not read yet among them."""
    touched = _distinct(seen, slot)
    if len(touched) < n:
        return None
    part = acc[touched]
    # A floor under the n-th best score: the whole scores (the unread columns looked up)
    # of the n passages with the best partial ones.
    top = top_k(part, n)
    if len(top) < n:
        return None
    sample, whole = touched[top], part[top]
    for j in unread:
        cols.lookup(whole, sample, j)
    floor = float(whole.min()) * (1 - _SLACK)
    left = rest[0] * (1 + _SLACK)
    if floor <= left:
        return None
    cand = touched[part * (1 + _SLACK) + left >= floor]
    # Add the unread columns (rarest first) to the candidates alone, dropping after each
    # those that can no longer reach the n-th best: a column many times longer than
    # the candidates is searched for them, a shorter one added whole.
    for j, left in zip(unread, rest[1:]):
        if len(cand) <= n:
            break
        if cols.df[j] <= SEARCH_RATIO * len(cand):
            seen.append(cols.add(acc, j))
            part = acc[cand]
        else:
            part = acc[cand]
            cols.lookup(part, cand, j)
            acc[cand] = part
        floor = max(floor, _floor(part, n) * (1 - _SLACK))
        cand = cand[part * (1 + _SLACK) + left * (1 + _SLACK) >= floor]
    return cand


def _exact(acc, seen, cols: _Columns, cand: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The n best of ``cand``, their scores summed column by column in the query's order."""
    m = len(cols.df)
    if len(cand) * m * SEARCH_RATIO > sum(cols.df):  # many candidates: add every column whole
        _zero(acc, seen, len(acc))
        seen.extend(cols.add(acc, j) for j in range(m))
        return _best(cand, acc[cand], n)
    exact = np.zeros(len(cand), dtype=np.float32)
    for j in range(m):
        cols.lookup(exact, cand, j)
    return _best(cand, exact, n)


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
