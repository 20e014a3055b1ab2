"""The loaded TF-IDF index: its arrays, term lookup and postings.

Ranking formula (TF-IDF with pivoted length normalisation)::

    w(t, p) = (1 + ln tf(t, p)) * idf(t),   idf(t) = ln((1 + N) / (1 + df(t))) + 1
    score(q, p) = sum_t w(t, q) w(t, p) / ((1 - s) * mean|w| + s * |w(p)|)

over terms ``t`` from ``tutor.analysis.terms`` (Snowball stems and pairs of adjacent
stems), ``N`` passages, ``w(q)`` of unit length, slope ``s`` ``build.PIVOT_SLOPE`` for
passages and ``sentences.PIVOT_SLOPE`` for sentences. Plain cosine (slope ``s`` = 1)
over-rewards short passages; the pivot (Singhal, Buckley and Mitra, 1996) gives longer
ones back part of what the norm took. The idf is scikit-learn's smooth idf, so that a
passage's weights are ``TfidfTransformer(sublinear_tf=True, norm=None)``'s times its
pivot factor. Sentences are weighted with the passages' idf, so that a sentence and
the passage holding it score on one scale.

``tutor.build`` makes an ``Index`` from a corpus, ``tutor.store`` writes and reads one.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from tutor.chunking import SentenceSplitter
from tutor.corpus import CorpusInfo, Document, FileStamp, Skipped, Texts
from tutor.decoding import Unreadable
from tutor.errors import IndexDamaged

SUBLINEAR_TF = True  # 1 + ln(tf): the tenth mention of a word adds little


def tf_idf(counts: np.ndarray, idf: np.ndarray) -> np.ndarray:
    """``(1 + ln tf) * idf`` of counts ``tf`` (float32), ``idf`` the idf of each count's term."""
    w = counts.astype(np.float32)
    if SUBLINEAR_TF:
        np.log(w, out=w)
        w += np.float32(1)
    w *= idf
    return w


def pivot_scale(norms: np.ndarray, mean: float, slope: float) -> np.ndarray:
    """The factor each row's weights are multiplied by: 1 / ((1 - slope) * mean + slope *
    norm) for a row of length ``norm`` (0 for an empty row). With slope 1 that is the unit
    length of plain cosine; below 1 a longer text keeps part of its length."""
    pivot = (1 - slope) * mean + slope * norms
    return np.divide(1.0, pivot, out=np.zeros_like(norms), where=pivot > 0)


# -- term -> column ----------------------------------------------------------------------
#
# Columns are numbered in the order of the terms' 64-bit hashes, so that a loaded index
# finds a column by binary search and needs no dictionary of its million terms.

@lru_cache(maxsize=100_000)
def term_hash(term: str) -> int:
    """A term's 64-bit key: a stem's is its BLAKE2b digest, a pair's ("a b") mixes its
    two stems' (``pair_hashes``), so that a build hashes its pairs as numbers."""
    first, space, second = term.partition(" ")
    if not space:
        return stem_hash(first)
    return _pair_hash(term_hash(first), term_hash(second))


def stem_hash(stem: str) -> int:
    return int.from_bytes(hashlib.blake2b(stem.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


# SplitMix64's multipliers (Steele, Lea and Flood, 2014): odd constants whose products
# spread every input bit over the whole word.
_MIX = (0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB)
_MIX_U64 = tuple(np.uint64(c) for c in _MIX)
_MASK64 = (1 << 64) - 1


def pair_hashes(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """The keys of word pairs from their stems' keys (uint64 arrays): ``first`` times an
    odd constant plus ``second``, then SplitMix64's finaliser, a bijection that scatters
    the sum (numpy's uint64 arithmetic wraps, modulo 2**64). For a build's many pairs."""
    z = first * _MIX_U64[0]
    z += second
    z ^= z >> np.uint64(30)
    z *= _MIX_U64[1]
    z ^= z >> np.uint64(27)
    z *= _MIX_U64[2]
    z ^= z >> np.uint64(31)
    return z


def _pair_hash(first: int, second: int) -> int:
    """``pair_hashes`` of one pair in Python's integers: a question's pairs are hashed one
    at a time, where numpy's per-call cost would be most of it (1 us, not 11)."""
    z = (first * _MIX[0] + second) & _MASK64
    z ^= z >> 30
    z = (z * _MIX[1]) & _MASK64
    z ^= z >> 27
    z = (z * _MIX[2]) & _MASK64
    return z ^ (z >> 31)


class TermIds:
    """Term -> column number, by binary search in the terms' sorted hashes (a collision
    of two 64-bit hashes in one corpus is about as likely as winning a lottery twice;
    the build keeps the alphabetically first term). Lookups are remembered: a
    question's words are looked up again and again."""

    MEMO = 200_000  # terms whose column (or absence, -1) is remembered, per index

    def __init__(self, hashes: np.ndarray):
        self.hashes = hashes
        self._memo: dict[str, int] = {}

    def get(self, term: str, default: int | None = None) -> int | None:
        i = self._memo.get(term)
        if i is None:
            i = self.columns([term])[0]
        return default if i < 0 else i

    def columns(self, terms: list[str]) -> list[int]:
        """The columns of ``terms``, -1 for a term the corpus lacks (new ones searched together)."""
        memo = self._memo
        out = [memo.get(t, -2) for t in terms]
        new = [x for x, i in enumerate(out) if i == -2]
        if new:
            hashes = self.hashes
            keys = [term_hash(terms[x]) for x in new]
            for x, h, pos in zip(new, keys, hashes.searchsorted(np.array(keys, dtype=np.uint64)).tolist()):
                out[x] = i = pos if pos < len(hashes) and int(hashes[pos]) == h else -1
                if len(memo) < self.MEMO:
                    memo[terms[x]] = i
        return out

    def __getitem__(self, term: str) -> int:
        i = self.get(term)
        if i is None:
            raise KeyError(term)
        return i

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and self.get(term) is not None

    def __len__(self) -> int:
        return len(self.hashes)


# -- the index -----------------------------------------------------------------------------

ARRAYS = (
    "passage_doc", "passage_start", "passage_end", "passage_para", "passage_para_end", "passage_line",
    "passage_part", "sentence_passage", "sentence_start", "sentence_end", "sentence_quotable", "idf",
    "P_data", "P_indices", "P_indptr", "P_norm", "S_norm", "vocab_hash",
)


class Index:
    """A built or loaded index; every array is read-only.

    Passage ``i`` is ``doc_text(passage_doc[i])[passage_start[i]:passage_end[i]]``;
    sentence ``j`` lies inside passage ``sentence_passage[j]``. ``P`` (passages x
    terms, weights as the module docstring says) is stored by column, an inverted
    index: a query reads only its terms' postings. ``P_norm`` and ``S_norm`` are the
    passages' and sentences' lengths ``|w|`` before the pivot. ``words`` counts the
    corpus's words (for spelling), ``names`` are words it always capitalises inside a
    sentence. ``memo`` is where query-side code remembers what it worked out for this
    index (concepts of words, say); it goes when the index does.
    """

    def __init__(self, docs: list[Document], arrays: dict[str, np.ndarray], words: dict[str, int],
                 names: frozenset[str], splitter: SentenceSplitter, info: CorpusInfo, skipped: list[Skipped],
                 fingerprint: list[FileStamp], texts: Texts, vocabulary: list[str] | Path):
        self.docs = docs
        self.a = arrays
        self.words = words
        self.names = names
        self.splitter = splitter
        self.info = info
        self.skipped = skipped
        self.fingerprint = fingerprint  # the corpus files' stamps when built; [] when it changed meanwhile
        self.texts = texts
        self._vocabulary = vocabulary  # the terms in column order, or the file holding them
        self.term_ids = TermIds(arrays["vocab_hash"])
        self.P = sp.csc_matrix((arrays["P_data"], arrays["P_indices"], arrays["P_indptr"]),
                               shape=(len(arrays["passage_doc"]), len(arrays["vocab_hash"])))
        self.memo: dict[str, dict] = {}
        self.unsaved: str | None = None  # why this index is not on disk (store.ensure_index)

    @property
    def n_passages(self) -> int:
        return self.P.shape[0]

    @property
    def n_sentences(self) -> int:
        return len(self.a["sentence_passage"])

    @property
    def n_terms(self) -> int:
        return len(self.term_ids)

    @property
    def vocabulary(self) -> list[str]:
        """Every term, in column order (read from disk on first use; only tools need it)."""
        if isinstance(self._vocabulary, Path):
            self._vocabulary = self._vocabulary.read_text(encoding="utf-8", errors="surrogatepass").split("\n")[:-1]
        return self._vocabulary

    @cached_property
    def df(self) -> np.ndarray:
        """In how many passages each term occurs."""
        return np.diff(np.asarray(self.a["P_indptr"]))

    @cached_property
    def idf(self) -> np.ndarray:
        return np.asarray(self.a["idf"])

    @cached_property
    def passage_sentences(self) -> np.ndarray:
        """``passage_sentences[i]:passage_sentences[i + 1]`` are passage i's sentences."""
        return np.searchsorted(self.a["sentence_passage"], np.arange(self.n_passages + 1))

    def postings(self, term_id: int) -> tuple[np.ndarray, np.ndarray]:
        """The passages holding a term (sorted) and the term's weights in them."""
        indptr = self.a["P_indptr"]
        a, b = int(indptr[term_id]), int(indptr[term_id + 1])
        return self.a["P_indices"][a:b], self.a["P_data"][a:b]

    def terms_in_passages(self, passages, among) -> list[set[int]]:
        """For each passage, which of the term ids ``among`` it holds (one search per term)."""
        passages = np.asarray(passages).astype(self.a["P_indices"].dtype)
        out: list[set[int]] = [set() for _ in range(len(passages))]
        for t in among:
            rows, _ = self.postings(t)
            if not len(rows):
                continue
            pos = np.searchsorted(rows, passages)
            np.minimum(pos, len(rows) - 1, out=pos)
            for j in np.flatnonzero(rows[pos] == passages).tolist():
                out[j].add(t)
        return out

    # -- texts -------------------------------------------------------------------------------
    def doc_text(self, d: int) -> str:
        try:
            return self.texts[d]
        except Unreadable as exc:
            raise IndexDamaged(f"{self.docs[d].path}: {exc}") from exc

    def passage_text(self, i: int) -> str:
        return self.doc_text(int(self.a["passage_doc"][i]))[int(self.a["passage_start"][i]):int(self.a["passage_end"][i])]

    def sentence_text(self, j: int) -> str:
        d = int(self.a["passage_doc"][int(self.a["sentence_passage"][j])])
        return self.doc_text(d)[int(self.a["sentence_start"][j]):int(self.a["sentence_end"][j])]

    def doc_of_passage(self, i: int) -> int:
        return int(self.a["passage_doc"][i])

    # -- weighting -----------------------------------------------------------------------------
    def weigh(self, counts: Counter | dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
        """Column ids and weights of a query's TF-IDF vector, weighted as passages are
        (sublinear tf, idf, unit length); terms the corpus lacks are dropped. (A question
        has a few dozen terms at most: plain Python floats, not NumPy's per-call cost.)"""
        terms = [t for t, tf in counts.items() if tf > 0]
        ids, tfs = [], []
        for i, t in zip(self.term_ids.columns(terms), terms):
            if i >= 0:
                ids.append(i)
                tfs.append(counts[t])
        if not ids:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        # Repeated words count sublinearly; a borrowed word's fractional weight scales it.
        w = [(1.0 + math.log(tf) if SUBLINEAR_TF and tf > 1.0 else tf) * idf
             for tf, idf in zip(tfs, self.idf[ids].tolist())]
        norm = math.sqrt(sum(x * x for x in w)) or 1.0
        return np.array(ids, dtype=np.int64), np.array([x / norm for x in w], dtype=np.float64)

    @cached_property
    def sentence_mean(self) -> float:
        """The mean of the sentences' lengths (``S_norm``): the pivot of their weighting."""
        norms = self.a["S_norm"]
        return float(norms.mean()) if norms.size else 1.0

    def check_consistent(self) -> None:
        """Raise ``IndexDamaged`` unless the arrays' lengths agree and pointers end right."""
        a = self.a
        n_p, n_s, n_t = len(a["passage_doc"]), len(a["sentence_passage"]), len(a["vocab_hash"])
        ok = (
            all(len(a[k]) == n_p for k in ARRAYS if k.startswith("passage_"))
            and all(len(a[k]) == n_s for k in ARRAYS if k.startswith("sentence_"))
            and len(a["idf"]) == n_t and len(a["P_indptr"]) == n_t + 1
            and int(a["P_indptr"][-1]) == len(a["P_indices"]) == len(a["P_data"])
            and len(a["P_norm"]) == n_p and len(a["S_norm"]) == n_s
            and (n_p == 0 or (0 <= int(a["passage_doc"].min()) and int(a["passage_doc"].max()) < len(self.docs)))
            and (n_s == 0 or int(a["sentence_passage"][-1]) < n_p)
        )
        if not ok:
            raise IndexDamaged("index arrays do not agree with each other")
