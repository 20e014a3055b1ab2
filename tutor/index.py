"""Build, save and load the TF-IDF index of a corpus.

Ranking formula (TF-IDF with pivoted length normalisation)::

    w(t, p) = (1 + ln tf(t, p)) * idf(t),   idf(t) = ln((1 + N) / (1 + df(t))) + 1
    cos(q, p) = sum_t w(t, q) w(t, p) / (|w(q)| |w(p)|)
    score(q, p) = cos(q, p) * |w(p)| / ((1 - s) * mean|w| + s * |w(p)|)

Plain cosine over-rewards short passages; the pivot (Singhal, Buckley and Mitra, 1996)
gives back to longer ones part of what the norm took (slope ``s``, see retrieval.py).
Passage rows are stored l2-normalised with their norms beside them.
over terms ``t`` from ``tutor.analysis.terms`` (Snowball stems and bigrams of them),
with ``N`` passages. Sentences are weighted with the passages' idf, so that a sentence
and the passage holding it score on one scale.

On disk the index is data, never code: arrays as ``.npy`` (loaded memory-mapped,
``allow_pickle=False``), the vocabulary as UTF-8 text, one term per line (a term is
words, which hold no line break, joined by spaces), settings as JSON. ``manifest.json`` holds the
format version, the build settings, a fingerprint of the corpus (every file's size and
modification time) and the size and SHA-256 of every other file. A build is written to
a new folder and switched into place by replacing the one-line file ``CURRENT``, so a
crash mid-write leaves the previous index in force, and readers never see a mixture.
"""

from __future__ import annotations

import ctypes
import fcntl
import gc
import hashlib
import json
import math
import mmap
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, fields
from functools import cached_property, lru_cache, partial
from itertools import count, islice
from pathlib import Path
from typing import Callable

import numpy as np
import scipy.sparse as sp

from tutor import analysis
from tutor import corpus as _corpus
from tutor.chunking import MAX_CHARS, MIN_CHARS, SentenceSplitter, spans, training_sample
from tutor.cleaning import SharedDigests, classify, line_digests
from tutor.corpus import (CorpusInfo, FileStamp, Skipped, Unreadable, candidate_rels, load_manifest, make_document,
                          read_file, sha256, stamps, unique_ids)
from tutor.errors import CorpusError, IndexDamaged

FORMAT_VERSION = 6
def _code_version() -> str:
    """A digest of the code that decides what an index holds: changing it means rebuilding."""
    h = hashlib.sha256()
    for name in ("analysis.py", "cleaning.py", "chunking.py", "index.py"):
        h.update((Path(__file__).parent / name).read_bytes())
    return h.hexdigest()[:16]


SETTINGS = {
    "code": _code_version(),
    "analyzer": "tutor.analysis.terms/1 (regex words, lower case, sklearn stop words, Snowball, uni+bigrams)",
    "tf": "sublinear",
    "pivot_slopes": [0.7, 0.7],
    "idf": "smooth",
    "norm": "l2 rows, norms stored",
    "passage_max_chars": MAX_CHARS,
    "passage_min_chars": MIN_CHARS,
    "cleaning": "tutor.cleaning/1",
}
SUBLINEAR_TF = True  # 1 + ln(tf): the tenth mention of a word adds little
BIGRAM_PRUNE_PASSAGES = 20_000  # above this many passages, a word pair must occur in two
PIVOT_SLOPE = 0.7  # 1.0 is plain cosine; lower gives longer passages back some weight
SENTENCE_PIVOT_SLOPE = 0.7
DENSE_SHARE = 1 / 3  # a column in more than this share of the passages is also held dense (Index.dense) ...
DENSE_MIN_PASSAGES = 4096  # ... in an index of this many passages or more
SENTENCE_ROWS_KEPT = 20_000  # sentences' weighted terms remembered per index (see Index.sentence_rows)
CURRENT = "CURRENT"
LOCK = ".lock"

_ARRAYS = (
    "passage_doc", "passage_start", "passage_end", "passage_para", "passage_para_end", "passage_line",
    "passage_part", "sentence_passage", "sentence_start", "sentence_end", "sentence_quotable", "idf",
    "P_data", "P_indices", "P_indptr", "P_max", "P_norm", "S_norm", "vocab_hash",
)


@dataclass(frozen=True)
class DocInfo:
    """What the index knows of a document; its text is read from ``path`` when needed."""

    doc_id: str
    rel: str
    path: str
    title: str
    encoding: str
    sha256: str
    author: str | None = None
    publisher: str | None = None
    year: str | None = None
    url: str | None = None
    licence: str | None = None
    note: str | None = None


@lru_cache(maxsize=100_000)
def term_hash(term: str) -> int:
    """A term's 64-bit key: the index finds columns by it without loading its vocabulary.
    A stem's is its BLAKE2b digest; a pair's ("a b") mixes its two stems' (``_pair_hash``),
    so that a build hashes a million pairs as numbers, not as strings."""
    first, space, second = term.partition(" ")
    if not space:
        return _stem_hash(first)
    return _pair_hash(term_hash(first), term_hash(second))  # (a question's stems are asked for too)


def _stem_hash(stem: str) -> int:
    return int.from_bytes(hashlib.blake2b(stem.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


# SplitMix64's multipliers (Steele, Lea and Flood, 2014): odd constants whose products
# spread every input bit over the whole word.
_MIX = (0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB)
_MIX_U64 = tuple(np.uint64(c) for c in _MIX)
_MASK64 = (1 << 64) - 1


def _pair_hashes(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """The keys of word pairs from their stems' keys (uint64 arrays): ``first`` times an odd
    constant plus ``second`` (two pairs meet only if their stems' random keys happen to
    satisfy one equation), then SplitMix64's finaliser, a bijection that scatters the sum
    (numpy's uint64 arithmetic wraps, modulo 2**64). ``_pair_hash`` is the same for one pair."""
    z = first * _MIX_U64[0]
    z += second
    z ^= z >> np.uint64(30)
    z *= _MIX_U64[1]
    z ^= z >> np.uint64(27)
    z *= _MIX_U64[2]
    z ^= z >> np.uint64(31)
    return z


def _pair_hash(first: int, second: int) -> int:
    """``_pair_hashes`` of one pair, in Python's integers: a question's pairs are hashed one
    at a time, where numpy's overhead would be most of the cost (a microsecond, not eleven)."""
    z = (first * _MIX[0] + second) & _MASK64
    z ^= z >> 30
    z = (z * _MIX[1]) & _MASK64
    z ^= z >> 27
    z = (z * _MIX[2]) & _MASK64
    return z ^ (z >> 31)


class TermIds:
    """Term -> column number, by binary search in the sorted 64-bit hashes of the terms.

    Columns are numbered in hash order, so the index needs no dictionary of its
    millions of terms in memory (a collision of two 64-bit hashes in one corpus is
    about as likely as winning a lottery twice; the build keeps the first term).
    """

    MEMO = 200_000  # terms whose column (or absence) is remembered, per index

    def __init__(self, hashes: np.ndarray):
        self.hashes = hashes
        # A question's words are looked up again and again (its vector, its concepts,
        # each leading passage's coverage): a dict answers in tens of nanoseconds where a
        # hash and a binary search take microseconds. -1 remembers an absent term.
        self._memo: dict[str, int] = {}

    def get(self, term: str, default: int | None = None) -> int | None:
        i = self._memo.get(term)
        if i is None:
            i = self.columns([term])[0]
        return default if i < 0 else i

    def columns(self, terms: list[str]) -> list[int]:
        """The columns of ``terms`` (-1 for a term the corpus lacks), remembered; the new
        ones searched for together (one binary search of every hash at once costs what
        one term's search costs alone)."""
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


class Index:
    """A loaded (or freshly built) index; every array is read-only.

    Passage ``i`` is ``doc_text(passage_doc[i])[passage_start[i]:passage_end[i]]``;
    sentence ``j`` lies inside passage ``sentence_passage[j]``. ``P`` (passages x
    terms) is stored by column, an inverted index: a query reads only its terms'
    postings. The sentences' matrix is not stored: only the sentences of the leading
    passages are ever scored, and ``sentence_rows`` weighs those from their text.
    """

    def __init__(self, docs: list[DocInfo], arrays: dict[str, np.ndarray], words: dict[str, int],
                 splitter: SentenceSplitter, info: CorpusInfo, skipped: list[Skipped],
                 fingerprint: list[FileStamp], texts: dict[int, str] | None = None,
                 names: frozenset[str] = frozenset(),
                 vocabulary: list[str] | Path | Callable[[], str] | None = None, words_json: str | None = None):
        self.docs = docs
        self.a = arrays
        self.words = words
        self.words_json = words_json  # ``words`` as JSON, made by a build's helper process for save
        self.names = names  # words the corpus always capitalises mid-sentence: parts of names
        self.splitter = splitter
        self.info = info
        self.skipped = skipped
        self.fingerprint = fingerprint
        self._texts = dict(texts or {})
        self._vocabulary = vocabulary  # the terms, a function making the vocabulary file's text, or the file
        self.term_ids = TermIds(arrays["vocab_hash"])
        n_terms = len(arrays["vocab_hash"])
        self.P = sp.csc_matrix((arrays["P_data"], arrays["P_indices"], arrays["P_indptr"]),
                               shape=(len(arrays["passage_doc"]), n_terms))
        self._sentence_rows: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # see sentence_rows

    # -- sizes and lookups ---------------------------------------------------------------
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
        if not isinstance(self._vocabulary, list):
            self._vocabulary = self.vocabulary_text().split("\n")[:-1]  # each term ends its line
        return self._vocabulary

    def vocabulary_text(self) -> str:
        """The vocabulary as ``save`` writes it: every term in column order, each ending its line."""
        if isinstance(self._vocabulary, Path):
            return self._vocabulary.read_text(encoding="utf-8", errors="surrogatepass")
        if callable(self._vocabulary):
            return self._vocabulary()
        return "".join(f"{t}\n" for t in self._vocabulary or [])

    @cached_property
    def df(self) -> np.ndarray:
        """In how many passages each term occurs."""
        return np.diff(np.asarray(self.a["P_indptr"]))

    @cached_property
    def dense(self) -> dict[int, np.ndarray]:
        """The commonest columns (in more than ``DENSE_SHARE`` of the passages) also as dense
        rows, by column id: see ``dense_columns``. Made from the postings when first
        needed (at 20k documents 16 columns, 16 MB, in 14 ms); ``load`` makes them at once."""
        return dense_columns(self.P, self.df, DENSE_SHARE, DENSE_MIN_PASSAGES)

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
        # In the postings' own integer type: searching a long column for keys of another
        # type would first convert the whole column.
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

    def sentence_terms(self, j: int) -> set[int]:
        """The term ids of sentence ``j``."""
        return set(self._sentence_rows_of([int(j)])[0][0].tolist())

    @cached_property
    def sentence_mean(self) -> float:
        """The mean of the sentences' lengths (``S_norm``): the pivot of their weighting."""
        norms = self.a["S_norm"]
        return float(norms.mean()) if norms.size else 1.0

    def sentence_rows(self, rows) -> sp.csr_matrix:
        """Rows ``rows`` of the sentences' TF-IDF matrix (sentences x terms, float32, each
        row's columns in order), the same as the build would have stored.

        A sentence's row is made from its text when first asked for: its terms
        (``analysis.terms``, as the build counts them), weighted as ``_weighted`` weighs
        them, with the length the build stored (``S_norm``, which counts the word pairs
        a large index drops too). Only the sentences of a question's leading passages
        are ever scored, a few hundred at most, so the build stores their lengths and
        not the matrix (at 20k documents, 200 MB less to write). The last
        ``SENTENCE_ROWS_KEPT`` rows made are remembered.
        """
        made = self._sentence_rows_of([int(j) for j in rows])
        indptr = np.zeros(len(made) + 1, dtype=np.int64)
        np.cumsum([len(c) for c, _ in made], out=indptr[1:])
        indices = np.concatenate([c for c, _ in made]) if made else np.zeros(0, dtype=np.int32)
        data = np.concatenate([w for _, w in made]) if made else np.zeros(0, dtype=np.float32)
        return sp.csr_matrix((data, indices, indptr), shape=(len(made), self.n_terms))

    def _sentence_rows_of(self, rows: list[int]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Each sentence's columns (in order) and weights; those not remembered are made
        together (one lookup of all their terms, one pass of array arithmetic)."""
        kept = self._sentence_rows
        got = {j: kept.get(j) for j in rows}
        new = [j for j, row in got.items() if row is None]
        if new:
            counts = [Counter(analysis.terms(self.sentence_text(j))) for j in new]
            columns = np.array(self.term_ids.columns([t for c in counts for t in c]), dtype=np.int64)
            tf = np.fromiter((n for c in counts for n in c.values()), dtype=np.uint16, count=len(columns))
            row = np.repeat(np.arange(len(new)), [len(c) for c in counts])
            known = columns >= 0  # not the word pairs a large index drops (see BIGRAM_PRUNE_PASSAGES)
            columns, tf, row = columns[known], tf[known], row[known]
            order = np.lexsort((columns, row))
            columns, tf, row = columns[order].astype(np.int32), tf[order], row[order]
            weights = _tf_idf(tf, self.idf[columns])
            weights *= pivot_scale(self.a["S_norm"][new], self.sentence_mean, SENTENCE_PIVOT_SLOPE)[row]
            bounds = np.searchsorted(row, np.arange(len(new) + 1)).tolist()
            if len(kept) + len(new) > SENTENCE_ROWS_KEPT:
                kept.clear()
            for i, j in enumerate(new):
                got[j] = kept[j] = columns[bounds[i]:bounds[i + 1]], weights[bounds[i]:bounds[i + 1]]
        return [got[j] for j in rows]

    def doc_text(self, d: int) -> str:
        """The document's text, read from disk once and then kept."""
        if d not in self._texts:
            try:
                text, _ = read_file(Path(self.docs[d].path))
            except Unreadable as exc:
                raise IndexDamaged(f"{self.docs[d].path}: {exc}") from exc
            self._texts[d] = text
        return self._texts[d]

    def passage_text(self, i: int) -> str:
        return self.doc_text(int(self.a["passage_doc"][i]))[int(self.a["passage_start"][i]):int(self.a["passage_end"][i])]

    def sentence_text(self, j: int) -> str:
        d = int(self.a["passage_doc"][int(self.a["sentence_passage"][j])])
        return self.doc_text(d)[int(self.a["sentence_start"][j]):int(self.a["sentence_end"][j])]

    def doc_of_passage(self, i: int) -> int:
        return int(self.a["passage_doc"][i])

    # -- weighting queries ---------------------------------------------------------------
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


def dense_columns(P: sp.csc_matrix, df: np.ndarray, share: float, min_rows: int = 0) -> dict[int, np.ndarray]:
    """The columns of ``P`` (``df[c]`` entries in column ``c``) in more than ``share`` of its
    rows (none when it has fewer than ``min_rows``), each as a dense row of float32: every
    passage's weight, 0.0 where the term is absent.

    A query adds a column to its scores; a dense row is added in two passes at memory
    speed, where scattering postings costs a random write each: for a column in a third
    of the passages or more (the commonest words of a large corpus) the dense row is the
    cheaper, and the sums are the same bit for bit (adding 0.0 changes no sum).
    """
    n_rows = P.shape[0]
    if n_rows < min_rows or n_rows == 0:
        return {}
    indptr = P.indptr
    cols = np.flatnonzero(df > share * n_rows).tolist()
    rows = np.zeros((len(cols), n_rows), dtype=np.float32)
    for row, c in zip(rows, cols):
        a, b = int(indptr[c]), int(indptr[c + 1])
        row[P.indices[a:b]] = P.data[a:b]
    return dict(zip(cols, rows))


# -- building -----------------------------------------------------------------------------
#
# A build reads the corpus twice, in worker processes (one set for both passes) when it is large:
#
# 1. ``_scan`` each file: can it be read, how long is it, and the digests of its lines
#    (to find the lines that many documents share: a site's template). The parent then
#    trains Punkt on a sample of the documents.
# 2. ``_Analyser.batch`` a run of documents: clean, chunk, split into sentences, and
#    count each sentence's terms as integers. A worker numbers the words and stems it
#    meets and sends each new one back once; ``_Assembler`` (in the parent) turns the
#    worker's numbers into the corpus's and builds the matrices with NumPy.
#
# The parent never holds the corpus's text (a built index reads a document when it
# quotes from it), nor a Python object per word: a word pair is an integer until the
# end, and only the pairs that are kept become strings.

PARALLEL_DOCUMENTS = 200  # from this many documents, reading, chunking and counting use every core
BATCH_DOCUMENTS = 256  # documents a worker handles per task (fewer, larger tasks: less per-task overhead)
SHARED_LINE_DOCUMENTS = 3  # a line in this many documents is a site's template (see cleaning.shared_lines)
_PAIR = 1 << 32  # a term's key: a stem's number, or (first + 1) * 2**32 + second for a pair of stems


@contextmanager
def _building():
    """This process set for a build (or a save) while it runs, and set back after.

    Python's cycle collector paused: a build holds a few hundred thousand objects (its
    words' tables, the documents' records) and makes next to no cycles, but each full
    collection walks them all, about 0.1 s a time at 20,000 documents; reference counting
    still frees everything else as it goes. And glibc keeping freed memory for reuse
    (``_keep_freed_memory``); worker processes forked meanwhile inherit both.
    """
    was = gc.isenabled()
    gc.disable()
    _keep_freed_memory()
    try:
        yield
    finally:
        _keep_freed_memory(False)
        if was:
            gc.enable()


@_building()
def build(corpus_dir: Path | str, progress: Callable[[int, int], None] | None = None) -> Index:
    """Read, clean, chunk and vectorise every document under ``corpus_dir``."""
    corpus_dir = Path(corpus_dir)
    rels = candidate_rels(corpus_dir)
    before = stamps(corpus_dir, rels)
    files = [corpus_dir / rel for rel in rels]
    info, meta, skipped = load_manifest(corpus_dir)
    ids = unique_ids(rels)

    # Punkt learns from a sample of the readable documents chosen by their lengths, which
    # pass 1 finds out. Most often those are the files' sizes (ASCII text, every file
    # readable): learn from the sample the sizes choose while pass 1 runs, and keep what
    # was learnt if pass 1 chooses the same documents.
    sizes = {s.rel: s.size for s in before}
    guess: list[tuple[list[str], SentenceSplitter]] = []

    def learn_from_guess() -> None:
        guess.append(_learn([str(files[i]) for i in training_sample([sizes.get(rel, 0) for rel in rels])]))

    # Both passes share one set of worker processes (started once: where a process starts
    # afresh, as on macOS and Windows, each imports the build's code, NLTK's alone over a
    # second); they end before the index is finished.
    with _workers(len(files)) as pool:
        # Pass 1: which files are documents, their lengths, the lines they share.
        readable: list[tuple[str, str, str, dict, str]] = []  # path, rel, doc_id, manifest entry, SHA-256
        lengths: list[int] = []
        line_docs: Counter[int] = Counter()
        scans = _in_order(_scan, [str(p) for p in files], pool, meanwhile=learn_from_guess)
        for scan, path, rel in zip(scans, files, rels):
            if isinstance(scan, str):
                skipped.append(Skipped(str(path), scan))
                continue
            readable.append((str(path), rel, ids[rel], meta.get(rel, {}), scan[1]))
            lengths.append(scan[0])
            line_docs.update(scan[2])
        if not readable:
            reasons = "; ".join(f"{Path(s.path).name}: {s.reason}" for s in skipped[:3])
            raise CorpusError(f"no readable document in {corpus_dir}" + (f" ({reasons})" if reasons else ""))
        if progress:
            progress(0, len(readable))
        sample = [readable[i][0] for i in training_sample(lengths)]
        learnt, splitter = guess[0]
        if learnt != sample:
            _, splitter = _learn(sample)
        shared = SharedDigests(h for h, n in line_docs.items() if n >= SHARED_LINE_DOCUMENTS)
        del line_docs

        # Pass 2: passages, sentences and term counts, a batch of documents at a time.
        # In this process, one document at a time (progress counts documents), by an analyser
        # of its own, so that two builds cannot share one; in workers, enough documents per
        # task to make the numbers sent back worth sending, and tasks enough to share out evenly.
        size = 1
        if pool is not None:
            size = max(1, min(BATCH_DOCUMENTS, len(readable) // (_n_workers() * 8)))
        batches = [readable[i:i + size] for i in range(0, len(readable), size)]
        assembler = _Assembler()
        with _stems_file(pool is not None) as stems_path:
            if pool is None:
                results = map(_Analyser(str(corpus_dir), splitter, shared).batch, batches)
            else:
                results = pool.map(partial(_analyse_batch, (str(corpus_dir), splitter.to_json(), shared.digests,
                                                            stems_path)), batches)
            for result in results:
                assembler.add(result)
                if progress:
                    progress(assembler.n_done, len(readable))
    skipped.extend(assembler.vanished)
    index = assembler.finish(corpus_dir, splitter, info, skipped)
    after = stamps(corpus_dir)
    # A file that changed while we read it: record no fingerprint, so the next run rebuilds.
    index.fingerprint = before if before == after and not assembler.vanished else []
    return index


def _learn(paths: list[str]) -> tuple[list[str], SentenceSplitter]:
    """Punkt trained on the files ``paths`` (those still readable, which it returns)."""
    read, texts = [], []
    for path in paths:
        try:
            texts.append(_corpus.read_file(Path(path))[0])
            read.append(path)
        except Unreadable:
            pass  # removed since pass 1: the changed stamps ask for a rebuild
    return read, SentenceSplitter.train(texts, sampled=True)


def _scan(path: str) -> tuple[int, str, set[int]] | str:
    """Pass 1 for one file: its length, SHA-256 and line digests, or why it cannot be read."""
    try:
        text, _ = _corpus.read_file(Path(path))
    except Unreadable as exc:
        return str(exc)
    return len(text), sha256(text), line_digests(text)


class _Numbering:
    """Strings numbered in the order they are first met, from 0.

    ``number`` maps a list of strings to their numbers, a new one taking the next, all in
    C: a map over a defaultdict whose factory is a counter. ``reserved`` strings have
    numbers of their own, outside the count. ``items`` lists the numbered strings in order.
    """

    def __init__(self, reserved: dict[str, int] | None = None):
        self.ids: defaultdict[str, int] = defaultdict(count().__next__)
        self.ids.update(reserved or {})
        self.n_reserved = len(self.ids)
        self.items: list[str] = []

    def number(self, items: list[str], dtype=np.int64) -> np.ndarray:
        ids = np.fromiter(map(self.ids.__getitem__, items), dtype=dtype, count=len(items))
        # The new strings are the dictionary's last keys, in the order they were numbered.
        new = len(self.ids) - self.n_reserved - len(self.items)
        if new:
            self.items.extend(reversed(list(islice(reversed(self.ids), new))))
        return ids

    def __len__(self) -> int:
        return len(self.items)


class _Analyser:
    """Pass 2 in one process: documents in, passages, sentences and term counts out.

    Words as written ("surfaces") and stems are numbered in the order this process
    meets them; a batch's result lists only the ones it has not sent before.
    """

    def __init__(self, corpus_dir: str, splitter: SentenceSplitter, shared: SharedDigests,
                 shared_stems: _SharedStems | None = None):
        self.corpus_dir = Path(corpus_dir)
        self.splitter = splitter
        self.shared = shared
        self.shared_stems = shared_stems  # the stems the build's workers tell each other
        self.key = (os.getpid(), id(self))
        # BREAK, the end of a sentence's words, is numbered -1.
        self.surface_numbers = _Numbering({analysis.BREAK: -1})
        self.surfaces = self.surface_numbers.items
        self.surface_stem = np.zeros(1024, dtype=np.int32)  # a surface's stem number, -1 for none
        self.stems: list[str] = []
        self.stem_ids: dict[str, int] = {}
        # Tokens (what str.split gives) numbered as met, and the words as written each one
        # holds (mostly one; "five-year" two, "—" none), as surface numbers: those of token
        # t are token_words[token_at[t + 1]:][:token_n[t + 1]]. Place 0 is BREAK's (-1).
        self.token_numbers = _Numbering({analysis.BREAK: -1})
        self.token_at = np.zeros(1024, dtype=np.int64)
        self.token_n = np.ones(1024, dtype=np.int64)
        self.token_words = np.full(1024, -1, dtype=np.int32)
        self.n_token_words = 1

    def _number(self, words: list[str]) -> np.ndarray:
        """The numbers of ``words`` as written, numbering new ones (and their stems)."""
        known = len(self.surfaces)
        ids = self.surface_numbers.number(words, np.int32)
        self.surface_stem = _grow(self.surface_stem, len(self.surfaces))
        # A new word's term (analysis.term_of, not remembered by word as written here: each
        # is new once): the stem of its normalised form, unless that is a stop word.
        words = list(map(analysis.content_word, self.surfaces[known:]))
        if self.shared_stems is not None and words:
            self.shared_stems.work_out(words)
        stems = []
        for w in words:
            if w is None:
                stems.append(-1)
                continue
            term = analysis.stem(w)
            stem = self.stem_ids.get(term)
            if stem is None:
                stem = self.stem_ids[term] = len(self.stems)
                self.stems.append(term)
            stems.append(stem)
        self.surface_stem[known:len(self.surfaces)] = stems
        return ids

    def _numbered_words(self, texts: list[str]) -> np.ndarray:
        """The numbers of the words as written of each of ``texts`` (none holding
        analysis.BREAK) in turn, -1 after each text's.

        No word holds white space, so a text's words are those of its tokens in turn:
        splitting at white space takes a third of the time the word pattern takes, and
        the pattern runs once per token the process has not met before (all of a batch's
        in one call).
        """
        if not texts:
            return np.zeros(0, dtype=np.int32)
        separator = f" {analysis.BREAK} "  # a token of its own
        known = len(self.token_numbers)
        ids = self.token_numbers.number((separator.join(texts) + separator).split())
        ids += 1
        new = self.token_numbers.items[known:]
        if new:
            numbered = self._number(analysis.words_with_breaks(analysis.BREAK.join(new) + analysis.BREAK))
            ends = np.flatnonzero(numbered < 0)
            n = np.diff(ends, prepend=-1) - 1
            numbered = numbered[numbered >= 0]
            first, end = known + 1, known + 1 + len(new)
            self.token_at, self.token_n = _grow(self.token_at, end), _grow(self.token_n, end)
            self.token_at[first:end] = np.cumsum(n) - n + self.n_token_words
            self.token_n[first:end] = n
            self.token_words = _grow(self.token_words, self.n_token_words + len(numbered))
            self.token_words[self.n_token_words:self.n_token_words + len(numbered)] = numbered
            self.n_token_words += len(numbered)
        n = self.token_n[ids]
        ends = np.cumsum(n)
        at = np.repeat(self.token_at[ids] - (ends - n), n)
        at += np.arange(len(at))
        return self.token_words[at]

    def batch(self, docs: list[tuple[str, str, str, dict, str]]) -> dict:
        surfaces_before, stems_before = len(self.surfaces), len(self.stems)
        infos: list[DocInfo] = []
        vanished: list[tuple[str, str]] = []  # (path, reason): unreadable, or not what pass 1 read
        doc_passages: list[int] = []
        pcols: list[tuple] = []  # (start, end, para, para_end, line, part) per kept passage
        scols: list[tuple] = []  # (passage in batch, start, end, quotable) per sentence
        texts: list[str] = []  # every sentence's text, in order
        whole = True  # no document holds analysis.BREAK: the sentences are tokenised at once
        for path, rel, doc_id, meta, digest in docs:
            try:
                text, encoding = _corpus.read_file(Path(path))
            except Unreadable as exc:  # removed since pass 1
                vanished.append((path, str(exc)))
                continue
            if sha256(text) != digest:  # not what pass 1 read: indexed by the next build
                vanished.append((path, "the file changed while it was being read"))
                continue
            doc = make_document(self.corpus_dir, Path(path), text, encoding, meta, doc_id)
            infos.append(DocInfo(doc.doc_id, rel, doc.path, doc.title, doc.encoding, digest,
                                 doc.author, doc.publisher, doc.year, doc.url, doc.licence, doc.note))
            passages, sentences = spans(text, self.splitter, classify(text, self.shared))
            keep: dict[int, int] = {}
            for i, p in enumerate(passages):
                if not p[6]:
                    keep[i] = len(pcols)
                    pcols.append(p[:6])
            doc_passages.append(len(keep))
            for start, end, passage, quotable in sentences:
                if passage in keep:
                    scols.append((keep[passage], start, end, quotable))
                    texts.append(text[start:end])
            whole = whole and analysis.BREAK not in text

        # Every sentence's words as written, numbered, a BREAK (numbered -1) after each.
        if whole:
            numbered = self._numbered_words(texts)
        else:
            numbered = self._number([w for t in texts for w in (*analysis.words(t), analysis.BREAK)])
        breaks = np.flatnonzero(numbered < 0)
        surf = numbered[numbered >= 0]
        lens = np.diff(breaks, prepend=-1) - 1  # words per sentence

        n_sent = len(scols)
        sents = np.array(scols, dtype=np.int64).reshape(n_sent, 4)
        row = np.repeat(np.arange(n_sent, dtype=np.int64), lens)
        # Words as written, with how often they occur, and those seen inside a quotable
        # sentence other than as its first word (a capital there marks a name).
        counts = np.bincount(surf, minlength=len(self.surfaces))
        seen = np.flatnonzero(counts)
        first = np.zeros(len(surf), dtype=bool)
        first[(np.cumsum(lens) - lens)[lens > 0]] = True
        in_prose = np.zeros(len(self.surfaces), dtype=bool)
        if n_sent:
            in_prose[surf[sents[row, 3].astype(bool) & ~first]] = True
        # Terms: content stems, and pairs of adjacent content stems in a sentence, each
        # sentence's in order: a stem u as itself, a pair (a, b) as (a + 1) << bits | b.
        stem = self.surface_stem[surf]
        content = stem >= 0
        u, urow = stem[content].astype(np.int64), row[content]
        same = urow[1:] == urow[:-1]
        bits = max(1, len(self.stems).bit_length())
        rows = np.concatenate([urow, urow[1:][same]])
        codes = np.concatenate([u, ((u[:-1][same] + 1) << bits) | u[1:][same]])
        shift = 2 * bits + 1
        if n_sent.bit_length() + shift <= 63:  # (sentence, term) in one integer: one sort, not a lexsort
            entries = (rows << shift) | codes
            # (already in sentence order, in two runs, stems then pairs: numpy's stable sort, a
            # merge sort, takes that in stride, several times faster than its quicksort here)
            entries.sort(kind="stable")
            rows, codes = entries >> shift, entries & ((1 << shift) - 1)
        else:
            order = np.lexsort((codes, rows))
            rows, codes = rows[order], codes[order]
        boundary = np.ones(len(codes), dtype=bool)
        boundary[1:] = (rows[1:] != rows[:-1]) | (codes[1:] != codes[:-1])
        starts = np.flatnonzero(boundary)
        n_terms = np.diff(np.append(starts, len(codes)))
        codes = codes[starts]
        pair = codes >> bits
        keys = np.where(pair > 0, (pair << 32) | (codes & ((1 << bits) - 1)), codes)  # as _PAIR says
        return {
            "worker": self.key, "n_docs": len(docs), "docs": infos, "doc_passages": doc_passages, "vanished": vanished,
            "passages": np.array(pcols, dtype=np.int64).reshape(len(pcols), 6), "sentences": sents,
            "new_surfaces": self.surfaces[surfaces_before:], "new_stems": self.stems[stems_before:],
            "surfaces": seen.astype(np.int32), "surface_counts": counts[seen],
            "prose": np.flatnonzero(in_prose).astype(np.int32),
            "row_terms": np.bincount(rows[starts], minlength=n_sent).astype(np.int32),
            "keys": keys, "counts": n_terms.astype(np.uint16),
        }


_analyser: _Analyser | None = None  # in a worker (whose pool serves one build)


def _analyse_batch(setup: tuple[str, str, frozenset[int], str], docs: list) -> dict:
    """Pass 2 in a worker: ``docs`` by its analyser, made on the worker's first batch from
    ``setup`` (the corpus, Punkt's parameters, the shared lines and the file through which
    the workers tell each other the stems of the words they meet, ``_SharedStems``)."""
    global _analyser
    if _analyser is None:
        _keep_freed_memory()  # (inherited when forked; not by a process the forkserver starts)
        corpus_dir, splitter_json, digests, stems_path = setup
        _analyser = _Analyser(corpus_dir, SentenceSplitter.from_json(splitter_json), SharedDigests(digests),
                              _SharedStems(stems_path))
    return _analyser.batch(docs)


class _SharedStems:
    """The stems of words, which a build's workers tell each other through a file: each
    appends the words it stemmed and their stems, and before stemming more reads what
    the others appended since it last read, so that a word is seldom stemmed twice.
    A lock keeps a reader from meeting half a write. (A word a worker is not told in
    time, it stems itself: the same index either way.)"""

    CHUNK = 1000  # words stemmed between two reads of what the others told (about 8 ms)

    def __init__(self, path: str):
        self.path = path
        self.read_to = 0  # bytes of the file taken in (or written) by this worker
        self.known: set[str] = set()  # words stemmed here or told
        self.random = random.Random()  # (where each worker starts in its words: not the index)

    def work_out(self, words: list[str | None]) -> None:
        """Make sure this worker knows the stem of every one of ``words`` (normalised
        content words; None stands for a stop word): it stems those no worker has told
        it of, a chunk at a time, and tells each chunk's stems to the others.

        The workers run alike and meet the same common words at about the same time: each
        starts at a place of its own among the words (going round), and takes in what the
        others told before each chunk, so that they seldom stem the same words at once.
        """
        known = self.known
        words = list(dict.fromkeys(w for w in words if w is not None and w not in known))
        if not words:
            return
        start = self.random.randrange(len(words))
        words = words[start:] + words[:start]
        for at in range(0, len(words), self.CHUNK):
            self.learn()
            chunk = [w for w in words[at:at + self.CHUNK] if w not in known]
            if chunk:
                known.update(chunk)
                self.tell(chunk, list(map(analysis.stem, chunk)))

    def learn(self) -> None:
        """Take in the words and stems appended since this worker last read."""
        with open(self.path, "rb") as f:
            fcntl.flock(f, fcntl.LOCK_SH)
            f.seek(self.read_to)
            data = f.read()
        self.read_to += len(data)
        parts = data.decode("utf-8", "surrogatepass").split("\0\n")  # blocks of words, then their stems
        for words, stems in zip(parts[0::2], parts[1::2]):
            words = words.split("\n")
            self.known.update(words)
            analysis.remember_stems(words, stems.split("\n"))

    def tell(self, words: list[str], stems: list[str]) -> None:
        """Append words and their stems for the other workers."""
        block = ("\n".join(words) + "\0\n" + "\n".join(stems) + "\0\n").encode("utf-8", "surrogatepass")
        with open(self.path, "ab") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            at = f.seek(0, os.SEEK_END)
            f.write(block)
            f.flush()  # (before the lock is let go, as the file closes)
        if at == self.read_to:  # nothing appended by others since it last read: skip its own block
            self.read_to += len(block)


def _in_parallel(n_docs: int) -> bool:
    """Whether a build of ``n_docs`` documents uses worker processes (a large corpus, cores to share it)."""
    return n_docs >= PARALLEL_DOCUMENTS and _n_workers() >= 2


def _n_workers() -> int:
    return min(os.cpu_count() or 1, 8)


@contextmanager
def _workers(n_docs: int):
    """The build's worker processes for a large corpus (reading, Punkt and the line
    classifier are pure Python, one document at a time); None for a small one."""
    if not _in_parallel(n_docs):
        yield None
        return
    from concurrent.futures import ProcessPoolExecutor
    pool = ProcessPoolExecutor(_n_workers(), mp_context=_mp_context())
    try:
        yield pool
    finally:
        pool.shutdown(cancel_futures=True)


def _in_order(fn, items: list, pool: Executor | None, meanwhile=None):
    """``fn`` over ``items``, results in order: by ``pool``'s workers (in tasks of up to
    64 items, eight a worker or more), or in this process if it is None. ``meanwhile()``
    runs in this process while the workers start (before the first result)."""
    if pool is None:
        if meanwhile:
            meanwhile()
        yield from map(fn, items)
        return
    results = pool.map(fn, items, chunksize=max(1, min(64, len(items) // (_n_workers() * 8))))
    if meanwhile:
        meanwhile()
    yield from results


@contextmanager
def _stems_file(wanted: bool):
    """The path of an empty file for the workers' ``_SharedStems`` (None if not ``wanted``),
    removed afterwards."""
    if not wanted:
        yield None
        return
    fd, path = tempfile.mkstemp(prefix="tutor-terms-")
    os.close(fd)
    try:
        yield path
    finally:
        with suppress(OSError):
            os.unlink(path)


def _mp_context():
    """How to start worker processes: fork is quickest, but forking a process with other
    threads running (the app rebuilds in a background thread of its server) can deadlock;
    forkserver cannot."""
    import multiprocessing
    import threading
    on_main = threading.current_thread() is threading.main_thread()
    context = multiprocessing.get_context("fork" if on_main and sys.platform.startswith("linux") else
                                          "forkserver" if sys.platform.startswith("linux") else "spawn")
    if context.get_start_method() == "forkserver":
        # The server imports the build's modules once, when it starts, and every worker
        # is forked from it with them loaded; else each worker of each pass would import
        # them afresh (NLTK's alone takes over a second).
        context.set_forkserver_preload([__name__])
    return context


class _InThisProcess(Executor):
    """An executor that runs each task at once, in this process (see ``_helper``)."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:
            future.set_exception(exc)
        return future


def _helper(n_docs: int) -> Executor:
    """One more process for the pure-Python parts of finishing a large build (the words'
    table, the stems' hashes), which would otherwise hold the build's one busy thread
    while the other core idles; for a small corpus, this process, as where a new process
    would import the build's code afresh (macOS, Windows: that takes longer than the job)."""
    context = _mp_context()
    if not _in_parallel(n_docs) or context.get_start_method() == "spawn":
        return _InThisProcess()
    from concurrent.futures import ProcessPoolExecutor
    return ProcessPoolExecutor(1, mp_context=context)


def _grow(a: np.ndarray, n: int) -> np.ndarray:
    """``a`` with room for at least ``n`` items (doubling, zero-filled)."""
    if n <= len(a):
        return a
    out = np.zeros(max(n, 2 * len(a)), dtype=a.dtype)
    out[:len(a)] = a
    return out


class _WorkerTables:
    """One worker's numbers -> the corpus's: its surfaces and its stems."""

    def __init__(self):
        self.surface = np.zeros(1024, dtype=np.int32)
        self.n_surfaces = 0
        self.stem = np.zeros(1024, dtype=np.int64)
        self.n_stems = 0


class _Assembler:
    """Gathers the batches of every worker, in document order, into an ``Index``.

    While the workers run, each batch's term counts are turned into its passages' (the
    sums of their sentences') and set aside on disk, so that the parent holds no more
    than the passages' and sentences' positions. Columns are numbered once every
    batch is in, since a word pair's column depends on all of them.
    """

    def __init__(self):
        self.tables: dict[tuple[int, int], _WorkerTables] = {}
        self.surfaces = _Numbering()  # in order of first occurrence in the corpus
        self.surface_count = np.zeros(1024, dtype=np.int64)
        self.surface_prose = np.zeros(1024, dtype=bool)
        self.stems = _Numbering()
        self.docs: list[DocInfo] = []
        self.vanished: list[Skipped] = []
        self.n_done = 0
        self.parts: dict[str, list[np.ndarray]] = {k: [] for k in (
            "passage_doc", "passages", "sentence_passage", "sentence_start", "sentence_end", "sentence_quotable",
            "sentence_terms", "passage_terms")}
        self.n_passages = 0
        # Per batch: its distinct term keys (sorted) and in how many of its passages each
        # occurs; its sentences' and its passages' terms (as numbers into those keys)
        # and counts.
        self.counts = _Spool()
        self.n_pair_keys = 0  # word-pair keys in all batches (a pair in two batches counts twice)

    def add(self, r: dict) -> None:
        """Take in one batch's result (``_Analyser.batch``), batches in document order."""
        t = self.tables.setdefault(r["worker"], _WorkerTables())
        new_stems = self.stems.number(r["new_stems"])
        t.stem = _grow(t.stem, t.n_stems + len(new_stems))
        t.stem[t.n_stems:t.n_stems + len(new_stems)] = new_stems
        t.n_stems += len(new_stems)
        new_surfaces = self.surfaces.number(r["new_surfaces"], np.int32)
        t.surface = _grow(t.surface, t.n_surfaces + len(new_surfaces))
        t.surface[t.n_surfaces:t.n_surfaces + len(new_surfaces)] = new_surfaces
        t.n_surfaces += len(new_surfaces)
        self.surface_count = _grow(self.surface_count, len(self.surfaces))
        self.surface_prose = _grow(self.surface_prose, len(self.surfaces))
        self.surface_count[t.surface[r["surfaces"]]] += r["surface_counts"]
        self.surface_prose[t.surface[r["prose"]]] = True

        self.n_done += r["n_docs"]
        doc_of: list[int] = []
        for info, n in zip(r["docs"], r["doc_passages"]):
            doc_of.extend([len(self.docs)] * n)
            self.docs.append(info)
        self.vanished.extend(Skipped(path, reason) for path, reason in r["vanished"])
        n_passages, sentences = len(r["passages"]), r["sentences"]
        self.parts["passage_doc"].append(np.array(doc_of, dtype=np.int32))
        self.parts["passages"].append(r["passages"])
        self.parts["sentence_passage"].append((sentences[:, 0] + self.n_passages).astype(np.int32))
        self.parts["sentence_start"].append(sentences[:, 1].copy())
        self.parts["sentence_end"].append(sentences[:, 2].copy())
        self.parts["sentence_quotable"].append(sentences[:, 3].astype(np.int8))
        self.n_passages += n_passages
        # Term keys in the corpus's numbers: a stem's, or a pair of them.
        keys = r["keys"]
        pair = keys >= _PAIR
        out = np.empty(len(keys), dtype=np.int64)
        out[~pair] = t.stem[keys[~pair]]
        first, second = _pair_stems(keys[pair])
        out[pair] = ((t.stem[first] + 1) << 32) | t.stem[second]
        # The batch's sentences by its own term numbers, and its passages: a passage's
        # counts are the sum of its sentences' (its rows are consecutive).
        terms, term = _distinct(out, pair, len(self.stems))
        n_sentences = len(sentences)
        S_indptr = np.zeros(n_sentences + 1, dtype=np.int64)
        np.cumsum(r["row_terms"], out=S_indptr[1:])
        S = sp.csr_matrix((r["counts"].astype(np.float32), term, S_indptr), shape=(n_sentences, len(terms)))
        membership = sp.csr_matrix((np.ones(n_sentences, dtype=np.float32), np.arange(n_sentences, dtype=np.int32),
                                    np.searchsorted(sentences[:, 0], np.arange(n_passages + 1))),
                                   shape=(n_passages, n_sentences))
        P = membership @ S
        self.counts.append(terms, np.bincount(P.indices, minlength=len(terms)).astype(np.int32),
                           term, r["counts"], P.indices.astype(np.int32, copy=False), P.data)
        self.n_pair_keys += len(terms) - int(np.searchsorted(terms, _PAIR))
        self.parts["sentence_terms"].append(r["row_terms"])
        self.parts["passage_terms"].append(np.diff(P.indptr).astype(np.int32))

    def finish(self, corpus_dir: Path, splitter: SentenceSplitter, info: CorpusInfo, skipped: list[Skipped]) -> Index:
        """The index of everything added: TF-IDF matrices, columns in hash order.

        The matrices are the largest arrays of a build: they are made from the batches
        set aside, straight into their final size, and freed as soon as they are done.
        """
        if not sum(len(s) for s in self.parts["sentence_passage"]):
            raise CorpusError(f"no indexable text in {corpus_dir}")
        if not sum(int(n.sum()) for n in self.parts["sentence_terms"]):  # only punctuation, emoji or stop words
            raise CorpusError(f"no searchable words in {corpus_dir}")
        # The pure-Python parts of what follows (the words' table and its JSON, the stems'
        # hashes) go to a helper process, to run while this one sorts.
        helper = _helper(len(self.docs))
        try:
            return self._finish(corpus_dir, splitter, info, skipped, helper)
        finally:
            helper.shutdown(cancel_futures=True)

    def _finish(self, corpus_dir: Path, splitter: SentenceSplitter, info: CorpusInfo, skipped: list[Skipped],
                helper: Executor) -> Index:
        parts, counts = self.parts, self.counts
        n_passages = self.n_passages
        # First the words' table, so that the tables of words as written are let go
        # before the matrices are made; then the stems' hashes, wanted once the columns
        # are numbered.
        n = len(self.surfaces)
        words_job = helper.submit(_words_table, self.surfaces.items, self.surface_count[:n], self.surface_prose[:n])
        stem_hashes_job = helper.submit(_stem_hashes, self.stems.items)
        self.surfaces, self.tables = _Numbering(), {}
        self.stems.ids.clear()
        self.surface_count, self.surface_prose = self.surface_count[:0], self.surface_prose[:0]
        passages = np.concatenate([np.zeros((0, 6), np.int64), *parts.pop("passages")])
        arrays = {
            "passage_doc": np.concatenate(parts.pop("passage_doc")).astype(np.int32),
            "passage_start": passages[:, 0].copy(), "passage_end": passages[:, 1].copy(),
            "passage_para": passages[:, 2].astype(np.int32), "passage_para_end": passages[:, 3].astype(np.int32),
            "passage_line": passages[:, 4].astype(np.int32), "passage_part": passages[:, 5].astype(np.int32),
            **{k: np.concatenate(parts.pop(k)) for k in
               ("sentence_passage", "sentence_start", "sentence_end", "sentence_quotable")},
        }
        del passages
        _give_back_memory()  # the parts, and what the workers' results were unpickled into
        # Columns: the stems, then the word pairs in the order of their keys. Each batch's
        # keys are a sorted run, which a stable (merge) sort takes in stride; its order also
        # gives each batch's pair its column (much quicker than searching for it).
        n_stems = len(self.stems)
        keys = np.empty(self.n_pair_keys, dtype=np.int64)
        at = 0
        for b in range(len(counts)):
            terms, = counts.read(b, 0, 1)
            pairs = terms[np.searchsorted(terms, _PAIR):]  # stems first
            keys[at:at + len(pairs)] = pairs
            at += len(pairs)
        by_key = np.argsort(keys, kind="stable")
        keys = keys[by_key]
        first = np.ones(len(keys), dtype=bool)  # the first of its key
        np.not_equal(keys[1:], keys[:-1], out=first[1:])
        pair_keys = keys[first]
        del keys
        pair_column = np.empty(len(by_key), dtype=np.int32)
        sorted_column = np.cumsum(first, dtype=np.int32)
        sorted_column += n_stems - 1
        pair_column[by_key] = sorted_column
        del by_key, first, sorted_column
        n_terms = n_stems + len(pair_keys)
        # Each batch's term numbers -> columns (set aside too), and in how many passages
        # each column occurs.
        columns = _Spool()
        df = np.zeros(n_terms, dtype=np.int32)
        half = len(counts) // 2  # _weighted fills the matrix from two halves of the batches at once
        at = 0
        for b in range(len(counts)):
            if b == half:
                df_before = df.copy()
            terms, batch_df = counts.read(b, 0, 2)
            split = int(np.searchsorted(terms, _PAIR))
            c = np.empty(len(terms), dtype=np.int32)
            c[:split] = terms[:split]
            c[split:] = pair_column[at:at + len(terms) - split]
            at += len(terms) - split
            df[c] += batch_df  # a batch's terms are distinct
            columns.append(c)
        del pair_column
        _give_back_memory()
        # Smooth idf, as scikit-learn's TfidfTransformer computes it (float32).
        idf = np.full(n_terms, n_passages + 1, dtype=np.float32)
        idf /= df.astype(np.float32) + np.float32(1)
        np.log(idf, out=idf)
        idf += np.float32(1)
        # In a large corpus most word pairs occur once and say nothing; they would be most of
        # the vocabulary. Keep a pair only where two passages share it.
        wanted = np.ones(n_terms, dtype=bool)
        if n_passages > BIGRAM_PRUNE_PASSAGES:
            wanted[n_stems:] = df[n_stems:] >= 2
        # Columns in the order of the terms' hashes (see TermIds); of terms whose hashes
        # collide, the first in alphabetical order is kept.
        candidates = np.flatnonzero(wanted)
        del wanted
        df, df_before = df[candidates], df_before[candidates]
        terms = _Terms(self.stems.items, candidates, pair_keys)
        del pair_keys
        hashes = terms.hashes(stem_hashes_job.result())
        order = np.argsort(hashes, kind="stable")
        if np.any(hashes[order][1:] == hashes[order][:-1]):
            order = _first_of_clashes(order, hashes, terms)
        words, names, words_json = words_job.result()
        # The helper is let go before the matrices, the build's largest arrays, are made: the
        # pages it shares with this process would be its own as this one frees or reuses them.
        helper.shutdown()
        # The vocabulary's text is made when it is saved (a million terms at 20,000 documents).
        vocabulary = terms.text(order)
        keep = candidates[order]
        del candidates
        new_column = np.full(n_terms, -1, dtype=np.int32)
        new_column[keep] = np.arange(len(keep), dtype=np.int32)
        n_columns = len(keep)
        arrays["vocab_hash"], arrays["idf"] = hashes[order], idf[keep]
        # A column's entries in the passages' matrix: the passages it occurs in.
        entries, entries_before = df[order], df_before[order]
        del keep, hashes, df, df_before

        def batches(first: int):
            """A reader of batch ``b``'s columns, and its sentences' (first=2) or passages' (4)
            terms (as numbers into those columns) and counts."""
            return lambda b: (columns.read(b)[0], *counts.read(b, first, first + 2))

        # The passages' matrix, and the sentences' lengths alone (Index.sentence_rows makes
        # the rows a question reads) side by side, the lengths in a second thread: numpy
        # lets it run while the matrix is made, and the build's other core is idle by now.
        sentence_terms = parts.pop("sentence_terms")
        with ThreadPoolExecutor(1) as pool:
            sentence_job = pool.submit(_norms, batches(2), sentence_terms, idf)
            # One column per term (an inverted index), rows in order.
            P_norm, P = _weighted(batches(4), parts.pop("passage_terms"), idf, new_column, entries, entries_before,
                                  PIVOT_SLOPE)
            # Each column's largest weight: a query's max-score bound, not worked out per query.
            P_max = np.zeros(n_columns, dtype=np.float32)
            filled = np.diff(P.indptr) > 0
            if filled.any():
                P_max[filled] = np.maximum.reduceat(P.data, P.indptr[:-1][filled])
            S_norm = sentence_job.result()
        counts.close()
        columns.close()
        del new_column, idf

        arrays.update({
            "P_data": P.data, "P_indices": P.indices.astype(np.int32, copy=False),
            "P_indptr": P.indptr.astype(np.int64), "P_max": P_max,
            "P_norm": P_norm, "S_norm": S_norm,
        })
        del P
        _give_back_memory()  # before the index is saved
        return Index(self.docs, arrays, words, splitter, info, skipped, [], None, names, vocabulary, words_json)


def _words_of(surfaces: list[str], counts: np.ndarray, prose: np.ndarray) -> tuple[dict[str, int], frozenset[str]]:
    """How often each word occurs, and the names (words capitalised wherever they occur
    inside a quotable sentence), from the words as written: ``surfaces``, how often each
    occurs, and whether it occurs inside a quotable sentence other than as its first word."""
    words: Counter[str] = Counter()
    for t, n in zip(surfaces, counts.tolist()):
        if (w := analysis.normalise(t)).isalpha():
            words[w] += n
    capitalised, lower = set(), set()
    for g in np.flatnonzero(prose).tolist():
        t = surfaces[g]
        if (w := analysis.normalise(t)).isalpha():
            (capitalised if t[:1].isupper() else lower).add(w)
    names = frozenset(w for w in capitalised - lower if w not in analysis.STOP_WORDS)
    return dict(words), names


def _words_table(surfaces: list[str], counts: np.ndarray, prose: np.ndarray) -> tuple[dict[str, int], frozenset[str], str]:
    """``_words_of``, and the words' table as ``save`` writes it (JSON), made together by
    the finishing's helper process rather than by save on the build's one thread."""
    words, names = _words_of(surfaces, counts, prose)
    return words, names, _json_text(words)


class _Terms:
    """The terms of the columns ``candidates``: stems, and pairs of stems by key, each as
    its stem's number (``first``, ``second`` -1) or its pair's two.

    A large corpus keeps a million word pairs: they are hashed from their stems' hashes
    and made into strings only for the vocabulary's text, a block at a time.
    """

    def __init__(self, stems: list[str], candidates: np.ndarray, pair_keys: np.ndarray):
        self.stems = stems
        n_stems = len(stems)
        n_single = int(np.searchsorted(candidates, n_stems))
        self.first = candidates.astype(np.int64)
        self.second = np.full(len(candidates), -1, dtype=np.int64)
        self.first[n_single:], self.second[n_single:] = _pair_stems(pair_keys[candidates[n_single:] - n_stems])

    def __len__(self) -> int:
        return len(self.first)

    def hashes(self, stem_hashes: np.ndarray) -> np.ndarray:
        """``term_hash`` of every term, in order, from ``_stem_hashes(stems)``: the stems'
        digests, and the pairs' made from them as numbers."""
        out = stem_hashes[self.first]
        pair = self.second >= 0
        out[pair] = _pair_hashes(out[pair], stem_hashes[self.second[pair]])
        return out

    def __getitem__(self, i: int) -> str:
        a, b = int(self.first[i]), int(self.second[i])
        return self.stems[a] if b < 0 else f"{self.stems[a]} {self.stems[b]}"

    def text(self, order: np.ndarray) -> Callable[[], str]:
        """A function making the text of the terms ``order`` picks, in that order, one per line."""
        stems, first, second = self.stems, self.first[order], self.second[order]
        return lambda: _terms_text(stems, first, second)


def _terms_text(stems: list[str], first: np.ndarray, second: np.ndarray) -> str:
    """The terms ``first``/``second`` number (see ``_Terms``), each ending its line, made
    a block at a time (not a million strings at once): numpy picks each block's stems
    and joins a pair's two (an object array's ``+`` is ``str``'s)."""
    alone = np.array(stems, dtype=object)
    before = np.array([f"{s} " for s in stems], dtype=object)
    blocks = []
    for at in range(0, len(first), 1 << 16):
        a, b = first[at:at + (1 << 16)], second[at:at + (1 << 16)]
        pair = b >= 0
        terms = alone[a]
        terms[pair] = before[a[pair]] + alone[b[pair]]
        blocks.append("\n".join(terms.tolist()) + "\n")
    return "".join(blocks)


def _distinct(keys: np.ndarray, pair: np.ndarray, n_stems: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(keys, return_inverse=True)`` of term keys (``pair`` marks the pairs'),
    the inverse as int32: stems are told apart by a table of every stem, so that only
    the pairs are sorted.

    A pair's stems occur in the batch too, so a pair is also two ranks among the batch's
    stems, in the same order as its key; where those ranks fit 16 bits (a batch's
    stems mostly do), the pairs are sorted by them, a radix sort of each (numpy's
    stable sort of 16-bit numbers), about twice as quick as sorting the keys."""
    stems = keys[~pair]
    seen = np.zeros(n_stems, dtype=bool)
    seen[stems] = True
    distinct_stems = np.flatnonzero(seen)
    rank = np.cumsum(seen, dtype=np.int32)
    rank -= 1
    pair_keys = keys[pair]
    if len(distinct_stems) <= 1 << 16:
        first, second = _pair_stems(pair_keys)
        first_rank = rank[first].astype(np.uint16)
        order = np.argsort(rank[second].astype(np.uint16), kind="stable")
        order = order[np.argsort(first_rank[order], kind="stable")]
        pair_keys = pair_keys[order]
        new = np.empty(len(pair_keys), dtype=bool)
        new[:1] = True
        np.not_equal(pair_keys[1:], pair_keys[:-1], out=new[1:])
        pairs = pair_keys[new]
        pair_term = np.empty(len(order), dtype=np.int32)
        pair_term[order] = np.cumsum(new, dtype=np.int32)
        pair_term -= 1
    else:
        pairs, pair_term = np.unique(pair_keys, return_inverse=True)
    term = np.empty(len(keys), dtype=np.int32)
    term[~pair] = rank[stems]
    term[pair] = pair_term
    term[pair] += len(distinct_stems)
    return np.concatenate([distinct_stems, pairs]), term


def _stem_hashes(stems: list[str]) -> np.ndarray:
    """``term_hash`` of each of ``stems`` (uint64)."""
    return np.fromiter(map(_stem_hash, stems), dtype=np.uint64, count=len(stems))


def _pair_stems(keys):
    """The two stem numbers of pair keys (see ``_PAIR``)."""
    return (keys >> 32) - 1, keys & (_PAIR - 1)


def _first_of_clashes(order: np.ndarray, hashes: np.ndarray, terms) -> np.ndarray:
    """``order`` (terms by hash) keeping, of terms with one hash, the alphabetically first."""
    kept: list[int] = []
    for i in order.tolist():
        if kept and hashes[kept[-1]] == hashes[i]:
            if terms[i] < terms[kept[-1]]:
                kept[-1] = i
        else:
            kept.append(i)
    return np.array(kept, dtype=np.int64)


def _norms(batch: Callable, row_terms: list[np.ndarray], idf: np.ndarray) -> np.ndarray:
    """The lengths of the rows of a matrix of counts as TF-IDF weights (float32), every
    term counted, those ``_weighted`` then drops too.

    ``batch(b)`` reads batch ``b`` of rows: its distinct columns, and its entries row by
    row as numbers into those and counts; ``row_terms[b]`` has its rows' numbers of
    entries.
    """
    squares = np.zeros(sum(len(n) for n in row_terms), dtype=np.float64)
    r0 = 0
    # A batch's columns are looked up in the corpus-wide idf (tens of MB) once each,
    # then its entries in that small array: far fewer cache misses.
    for b, lengths in enumerate(row_terms):
        columns, which, counts = batch(b)
        starts = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=starts[1:])
        rows = np.flatnonzero(lengths)  # reduceat cannot sum an empty row
        if len(rows):
            sq = _tf_idf(counts, idf[columns][which]).astype(np.float64)
            sq *= sq
            squares[r0 + rows] = np.add.reduceat(sq, starts[rows])
        r0 += len(lengths)
    return np.sqrt(squares).astype(np.float32)


def pivot_scale(norms: np.ndarray, mean: float, slope: float) -> np.ndarray:
    """The factor each row's weights are multiplied by: 1 / ((1 - slope) * mean + slope *
    norm) for a row of length ``norm`` (0 for an empty row). With slope 1 that is the unit
    length of plain cosine; below 1 a longer text keeps part of its length."""
    pivot = (1 - slope) * mean + slope * norms
    return np.divide(1.0, pivot, out=np.zeros_like(norms), where=pivot > 0)


def _weighted(batch: Callable, row_terms: list[np.ndarray], idf: np.ndarray, new_column: np.ndarray,
              entries: np.ndarray, entries_before: np.ndarray, slope: float) -> tuple[np.ndarray, sp.csc_matrix]:
    """A matrix of counts as pivoted TF-IDF weights (float32), by column (CSC, the same
    as ``tocsc()`` of the matrix by rows, without holding both), and its rows' lengths.

    ``batch`` and ``row_terms`` as ``_norms`` reads them; column ``c`` becomes
    ``new_column[c]``, and columns numbered -1 are dropped once the lengths are taken.
    New column ``k`` has ``entries[k]`` entries, ``entries_before[k]`` of them in the
    first ``len(row_terms) // 2`` batches: the matrix is made straight into its final
    size, the later half of the batches in a second thread (numpy lets the two run at
    once), each half into its own part of every column.

    A count ``tf`` becomes ``(1 + ln tf) * idf``, and a row's weights are multiplied by
    its ``pivot_scale``: the factor is baked in, so a query's score is a plain dot
    product. The batches are read twice, lengths first.
    """
    n_batches = len(row_terms)
    row_starts = np.zeros(n_batches + 1, dtype=np.int64)
    np.cumsum([len(n) for n in row_terms], out=row_starts[1:])
    indptr = np.zeros(len(entries) + 1, dtype=np.int64)
    np.cumsum(entries, out=indptr[1:])
    norms = _norms(batch, row_terms, idf)
    scale = pivot_scale(norms, float(norms.mean()) if norms.size else 1.0, slope)
    data = np.empty(int(indptr[-1]), dtype=np.float32)
    indices = np.empty(int(indptr[-1]), dtype=np.int32)

    def fill(first: int, end: int, filled: np.ndarray) -> None:
        """Batches ``first:end`` into the matrix, ``filled`` where each column's next entry goes."""
        for b in range(first, end):
            columns, which, counts = batch(b)
            lengths, r0 = row_terms[b], int(row_starts[b])
            w = _tf_idf(counts, idf[columns][which])
            w *= np.repeat(scale[r0:r0 + len(lengths)], lengths)
            c = new_column[columns]
            # The batch by its own columns (scipy's transpose, rows in order within each),
            # each of its kept columns' run then copied to where that column is filled to.
            by_column = sp.csr_matrix((w, which, np.concatenate([[0], np.cumsum(lengths)])),
                                      shape=(len(lengths), len(columns))).tocsc()
            runs = np.diff(by_column.indptr)
            kept = (c >= 0) & (runs > 0)
            entry_kept = np.repeat(kept, runs)
            at = np.arange(int(entry_kept.sum()), dtype=np.int64)
            at += np.repeat(filled[c[kept]] - (np.cumsum(runs[kept]) - runs[kept]), runs[kept])
            data[at] = by_column.data[entry_kept]
            indices[at] = by_column.indices[entry_kept] + r0
            filled[c[kept]] += runs[kept]

    half = n_batches // 2
    with ThreadPoolExecutor(1) as pool:
        later = pool.submit(fill, half, n_batches, indptr[:-1] + entries_before)
        fill(0, half, indptr[:-1].copy())
        later.result()
    return norms, sp.csc_matrix((data, indices, indptr), shape=(int(row_starts[-1]), len(entries)))


def _tf_idf(counts: np.ndarray, idf: np.ndarray) -> np.ndarray:
    """``(1 + ln tf) * idf`` of counts ``tf`` (float32), ``idf`` the idf of each count's term."""
    w = counts.astype(np.float32)
    if SUBLINEAR_TF:
        np.log(w, out=w)
        w += np.float32(1)
    w *= idf
    return w


class _Spool:
    """Arrays set aside in a temporary file a batch at a time, and read back a batch at a
    time (plain reads, not memory-mapped): a build keeps on disk what it needs only
    later, to keep its peak memory lower. The file has no name; it vanishes when
    closed or dropped."""

    def __init__(self):
        self.file = tempfile.TemporaryFile()
        self.batches: list[list[tuple[int, np.dtype, int]]] = []  # each array's offset, type and size
        self.end = 0

    def __len__(self) -> int:
        return len(self.batches)

    def append(self, *arrays: np.ndarray) -> None:
        """Set aside one batch's arrays (one-dimensional)."""
        self.file.seek(self.end)
        where = []
        for a in arrays:
            a = np.ascontiguousarray(a)
            where.append((self.end, a.dtype, a.size))
            self.file.write(a.view(np.uint8))
            self.end += a.nbytes
        self.batches.append(where)

    def read(self, b: int, first: int = 0, end: int | None = None) -> list[np.ndarray]:
        """Arrays ``first:end`` of batch ``b`` (all of them by default), read-only. Threads
        may read at once: each read says where it reads from (none moves the file's position)."""
        self.file.flush()
        fd = self.file.fileno()
        out = []
        for offset, dtype, n in self.batches[b][first:end]:
            size = n * dtype.itemsize
            data = os.pread(fd, size, offset)
            while len(data) < size:  # a read may return less than was asked
                more = os.pread(fd, size - len(data), offset + len(data))
                if not more:
                    raise EOFError("the build's spool file ended early")
                data += more
            out.append(np.frombuffer(data, dtype=dtype))
        return out

    def close(self) -> None:
        self.file.close()


_libc = None


def _give_back_memory() -> None:
    """Hand freed heap memory back to the operating system (Linux, glibc).

    glibc keeps freed blocks below its adaptive mmap threshold for reuse: after the
    workers' hundreds of small result arrays are merged and freed, the process would
    otherwise stay at its largest size for the rest of the build.
    """
    libc = _glibc()
    if libc:
        libc.malloc_trim(0)


# glibc's mallopt parameters, and their defaults (the trim threshold, in bytes, as the mmap one).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _MALLOC_DEFAULT = -1, -3, 128 << 10


def _keep_freed_memory(keep: bool = True) -> None:
    """Let glibc keep freed memory for reuse (``keep``), or go back to its default
    thresholds (fixed from then on: glibc would otherwise raise them as it goes).

    A build allocates and frees arrays of a few megabytes batch after batch; by default
    glibc gives each back to the kernel (as its own mapping, or by trimming its heap) and
    takes fresh pages, each a page fault, for the next (at 5,000 documents 270,000 faults,
    an eighth of the build's CPU time in the kernel). Kept, they are reused (53,000
    faults); ``_give_back_memory`` still returns what a finished stage freed.
    """
    libc = _glibc()
    if libc:
        libc.mallopt(_M_TRIM_THRESHOLD, 1 << 30 if keep else _MALLOC_DEFAULT)
        libc.mallopt(_M_MMAP_THRESHOLD, 32 << 20 if keep else _MALLOC_DEFAULT)


def _glibc():
    """The C library, if it is glibc (malloc_trim and mallopt are its own); else None."""
    global _libc
    if _libc is None:
        try:
            _libc = ctypes.CDLL("libc.so.6")
            _libc.malloc_trim, _libc.mallopt  # noqa: B018 (glibc's, not every libc's)
        except (OSError, AttributeError):
            _libc = False
    return _libc or None


# -- saving and loading -------------------------------------------------------------------

FULL_DIGEST_BYTES = 16 << 20  # files up to this size are hashed whole


def _digest(path: Path) -> str:
    """SHA-256 of a file; of a large one, of its size and 64 blocks spread over it.

    Hashing a whole 600 MB index on every load would cost more than the load itself;
    sampled blocks still catch a truncated, cut or overwritten file.
    """
    h = hashlib.sha256()
    size = path.stat().st_size
    with open(path, "rb") as f:
        if size <= FULL_DIGEST_BYTES:
            # At once: save hashes the arrays in a thread beside its JSON work, and each
            # block read or hashed would wait for that thread's turn at the GIL.
            h.update(f.read())
        else:
            h.update(str(size).encode())
            for k in range(64):
                f.seek((size - (1 << 16)) * k // 63)
                h.update(f.read(1 << 16))
    return h.hexdigest()


def _file_entry(path: Path) -> dict:
    """A file's size and digest, as the manifest lists them."""
    return {"size": path.stat().st_size, "digest": _digest(path)}


def _json_text(data) -> str:
    return json.dumps(data, ensure_ascii=False)


def _write_json(path: Path, data) -> None:
    path.write_text(_json_text(data), encoding="utf-8")


def _save_arrays(index: Index, folder: Path) -> dict[str, dict]:
    """Write the index's arrays into ``folder``; their sizes and digests for the manifest."""
    files = {}
    # The largest first: numpy writes and hashlib hashes them without the GIL, beside
    # the other thread's text; a small array's few calls each wait for a turn at it.
    for name in sorted(_ARRAYS, key=lambda name: -index.a[name].nbytes):
        path = folder / f"{name}.npy"
        np.save(path, np.ascontiguousarray(index.a[name]), allow_pickle=False)
        files[path.name] = _file_entry(path)
    return files


def _save_json(index: Index, folder: Path) -> None:
    """Write the index's words, names, Punkt parameters, documents and corpus as JSON."""
    (folder / "words.json").write_text(index.words_json or _json_text(index.words), encoding="utf-8")
    index.words_json = None  # written: an index the app serves need not hold it
    _write_json(folder / "names.json", sorted(index.names))
    (folder / "punkt.json").write_text(index.splitter.to_json(), encoding="utf-8")
    # As asdict would give them (its deep copy of every field is most of the time, and
    # every field is a string or None).
    doc_fields = [f.name for f in fields(DocInfo)]
    _write_json(folder / "documents.json", [{f: getattr(d, f) for f in doc_fields} for d in index.docs])
    _write_json(folder / "corpus.json", {
        "info": {**asdict(index.info), "starter_questions": list(index.info.starter_questions)},
        "skipped": [asdict(s) for s in index.skipped],
    })


@_building()
def save(index: Index, index_dir: Path | str) -> Path:
    """Write ``index`` to a new folder under ``index_dir`` and make it the current one."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    tmp = index_dir / f".build-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        # The arrays are written (and hashed) by a second thread, which numpy lets run
        # while this one writes the other files' text.
        with ThreadPoolExecutor(1) as pool:
            array_files = pool.submit(_save_arrays, index, tmp)
            (tmp / "vocabulary.txt").write_text(index.vocabulary_text(), encoding="utf-8", errors="surrogatepass",
                                                newline="\n")
            _save_json(index, tmp)
            files = {p.name: _file_entry(p) for p in tmp.iterdir() if p.suffix != ".npy"}
            files.update(array_files.result())
        stamp_fields = [f.name for f in fields(FileStamp)]  # as asdict gives them, without its deep copies
        _write_json(tmp / "manifest.json", {
            "format_version": FORMAT_VERSION,
            "settings": SETTINGS,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "fingerprint": [{f: getattr(s, f) for f in stamp_fields} for s in index.fingerprint],
            "counts": {"documents": len(index.docs), "passages": index.n_passages,
                       "sentences": index.n_sentences, "terms": index.n_terms},
            "files": dict(sorted(files.items())),
        })
        for p in tmp.iterdir():  # data reaches the disk before the switch that points at it
            with open(p, "rb") as f:
                os.fsync(f.fileno())
        # Named so that names sort in the order the folders were made, even within one
        # second: _prune keeps the one made just before the new one for readers opening it.
        now = time.time_ns()
        final = index_dir / (f"data-{time.strftime('%Y%m%d-%H%M%S', time.localtime(now // 10**9))}"
                             f".{now % 10**9:09d}-{uuid.uuid4().hex[:8]}")
        os.replace(tmp, final)
        pointer = index_dir / f".{CURRENT}.{uuid.uuid4().hex[:8]}"
        pointer.write_text(final.name + "\n", encoding="utf-8")
        with open(pointer, "rb") as f:
            os.fsync(f.fileno())
        os.replace(pointer, index_dir / CURRENT)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _prune(index_dir, keep={final.name})
    _give_back_memory()  # the JSON text of the vocabulary and documents
    return final


def _prune(index_dir: Path, keep: set[str]) -> None:
    """Remove older index folders and abandoned builds (those of dead processes)."""
    folders = sorted((p for p in index_dir.glob("data-*") if p.is_dir()), key=lambda p: p.name)
    previous = [p for p in folders if p.name not in keep][-1:]  # a reader may still be opening it
    for p in folders:
        if p.name not in keep and p not in previous:
            shutil.rmtree(p, ignore_errors=True)
    for p in index_dir.glob(".build-*"):
        try:
            pid = int(p.name.split("-")[1])
            os.kill(pid, 0)
        except (ValueError, IndexError, ProcessLookupError):
            shutil.rmtree(p, ignore_errors=True)
        except PermissionError:
            pass


def current_folder(index_dir: Path | str) -> Path:
    index_dir = Path(index_dir)
    try:
        name = (index_dir / CURRENT).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise IndexDamaged(f"no index in {index_dir}") from exc
    if not name.startswith("data-") or "/" in name or not (index_dir / name).is_dir():
        raise IndexDamaged(f"index pointer in {index_dir} names no index folder")
    return index_dir / name


def load(index_dir: Path | str, corpus_dir: Path | str, verify: bool = True) -> Index:
    """Load the current index; raise ``IndexDamaged`` when it is absent or not whole."""
    folder = current_folder(index_dir)
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("format_version") != FORMAT_VERSION or manifest.get("settings") != SETTINGS:
            raise IndexDamaged("index was built by another version of the tutor")
        for name, meta in manifest["files"].items():
            p = folder / name
            if p.stat().st_size != meta["size"] or (verify and _digest(p) != meta["digest"]):
                raise IndexDamaged(f"index file {name} is damaged")
        # Memory-mapped (the OS pages them in as read), as plain arrays: memmap's subclass
        # costs a few microseconds on every slice, and a query takes thousands.
        mapped = {n: np.load(folder / f"{n}.npy", mmap_mode="r", allow_pickle=False) for n in _ARRAYS}
        for n in _QUERIED:
            _map_now(mapped[n])
        arrays = {n: np.asarray(m) for n, m in mapped.items()}
        del mapped
        words = json.loads((folder / "words.json").read_text(encoding="utf-8"))
        names = frozenset(json.loads((folder / "names.json").read_text(encoding="utf-8")))
        splitter = SentenceSplitter.from_json((folder / "punkt.json").read_text(encoding="utf-8"))
        corpus = json.loads((folder / "corpus.json").read_text(encoding="utf-8"))
        docs_raw = json.loads((folder / "documents.json").read_text(encoding="utf-8"))
        corpus_dir = Path(corpus_dir)
        docs = [DocInfo(**{**d, "path": str(corpus_dir / d["rel"])}) for d in docs_raw]
        info = CorpusInfo(**{**corpus["info"], "starter_questions": tuple(corpus["info"]["starter_questions"])})
        skipped = [Skipped(**s) for s in corpus["skipped"]]
        fingerprint = [FileStamp(**s) for s in manifest["fingerprint"]]
        index = Index(docs, arrays, words, splitter, info, skipped, fingerprint, names=names,
                      vocabulary=folder / "vocabulary.txt")
    except IndexDamaged:
        raise
    except (OSError, ValueError, KeyError, TypeError, EOFError) as exc:
        raise IndexDamaged(f"index in {folder} cannot be read: {exc}") from exc
    _check_consistent(index)
    _ = index.dense  # made now, not on the first question
    return index


# The arrays every query reads (its terms' columns and postings): their pages are mapped
# when the index is loaded, not a page fault at a time as the first questions touch them
# (at 5k documents, 7-15 us off a question's retrieval at the median, 25-35 us at the p95).
_QUERIED = ("vocab_hash", "idf", "P_max", "P_indptr", "P_indices", "P_data")
_MADV_POPULATE_READ = getattr(mmap, "MADV_POPULATE_READ", 22)  # Linux 5.14 (Python names it from 3.13)


def _map_now(array: np.ndarray) -> None:
    """Map a memory-mapped array's pages now (Linux; elsewhere, or on an older kernel, they
    are mapped as they are read, as before). Pages not yet in memory are read from disk."""
    m = getattr(array, "_mmap", None)
    if m is not None and sys.platform.startswith("linux"):
        try:
            m.madvise(_MADV_POPULATE_READ)
        except (OSError, ValueError):
            pass


def _check_consistent(index: Index) -> None:
    """Cheap structural checks: lengths that must agree, pointers that must end right."""
    a = index.a
    n_p, n_s, n_t = len(a["passage_doc"]), len(a["sentence_passage"]), len(a["vocab_hash"])
    ok = (
        all(len(a[k]) == n_p for k in _ARRAYS if k.startswith("passage_"))
        and all(len(a[k]) == n_s for k in _ARRAYS if k.startswith("sentence_"))
        and len(a["idf"]) == n_t and len(a["P_max"]) == n_t
        and len(a["P_indptr"]) == n_t + 1
        and int(a["P_indptr"][-1]) == len(a["P_indices"]) == len(a["P_data"])
        and len(a["P_norm"]) == n_p and len(a["S_norm"]) == n_s
        and (n_p == 0 or (int(a["passage_doc"][-1]) < len(index.docs) and int(a["passage_doc"][0]) >= 0))
        and (n_s == 0 or int(a["sentence_passage"][-1]) < n_p)
    )
    if not ok:
        raise IndexDamaged("index arrays do not agree with each other")


def is_fresh(index: Index, corpus_dir: Path | str) -> bool:
    """True when no corpus file was added, changed or removed since the index was built."""
    return bool(index.fingerprint) and stamps(Path(corpus_dir)) == index.fingerprint


def _fresh(index_dir: Path, corpus_dir: Path) -> Index | None:
    """The current index if it loads whole and matches the corpus; None otherwise."""
    try:
        index = load(index_dir, corpus_dir)
    except IndexDamaged:
        return None
    return index if is_fresh(index, corpus_dir) else None


def ensure_index(corpus_dir: Path | str, index_dir: Path | str,
                 progress: Callable[[int, int], None] | None = None) -> tuple[Index, bool]:
    """Load the index, or (re)build it when missing, damaged or stale; ``(index, rebuilt)``."""
    corpus_dir, index_dir = Path(corpus_dir), Path(index_dir)
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder not found: {corpus_dir}")
    if (index := _fresh(index_dir, corpus_dir)) is not None:
        return index, False
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / LOCK, "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may have built it while we waited
        if (index := _fresh(index_dir, corpus_dir)) is not None:
            return index, False
        save(build(corpus_dir, progress), index_dir)
        # Read back as a load reads it: memory-mapped arrays the OS can share and page
        # out, instead of the build's (~500 MB at 20k documents) held for as long as a
        # server runs.
        _give_back_memory()
        return load(index_dir, corpus_dir, verify=False), True


def rebuild(corpus_dir: Path | str, index_dir: Path | str,
            progress: Callable[[int, int], None] | None = None) -> Index:
    """Build the index from scratch and make it current (``tutor index``)."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / LOCK, "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        index = build(corpus_dir, progress)
        save(index, index_dir)
    return index
