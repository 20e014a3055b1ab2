"""Corpus folder -> ``Index``: read, clean, chunk, count, weigh.

1. **Read** every candidate file to find the documents (unreadable files are skipped
   with the reason), their lengths, and the lines that three or more of them share (a
   web site's menus and footers, which ``cleaning.classify`` then drops).
2. **Train** Punkt (``chunking.SentenceSplitter``) on a sample of the documents.
3. **Count**, a batch of documents at a time: clean and chunk each document into
   passages and sentences, and count each sentence's terms, ``analysis.terms`` (stems,
   and pairs of adjacent stems) as 64-bit hashes (``index.term_hash``), each distinct
   word analysed once, with one ``csr_matrix`` that sums duplicates (the shape of
   DrQA's ``build_tfidf.py``). A passage's counts are the sum of its sentences'.
4. **Weigh** (formula in ``tutor.index``): idf over the passages, each passage's
   weights and each sentence's length. A column is a term hash, in hash order.

Reading and counting run in worker processes (``multiprocessing.Pool.imap``, in
document order) for a corpus of ``PARALLEL_DOCUMENTS`` or more; the terms' hashes are
the same in every process, so the workers' counts need no renumbering.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, replace
from itertools import count
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import scipy.sparse as sp

from tutor import analysis
from tutor.chunking import SentenceSplitter, chunk, training_sample
from tutor.cleaning import SharedDigests, classify, line_digests
from tutor.corpus import (CorpusInfo, Document, Skipped, Texts, Unreadable, candidate_rels, load_manifest,
                          make_document, read_file, sha256, stamps, unique_ids)
from tutor.errors import CorpusError
from tutor.index import Index, pair_hashes, pivot_scale, term_hash, tf_idf

SHARED_LINE_DOCUMENTS = 3  # a line in this many documents is a site's template (see cleaning.shared_lines)
BIGRAM_PRUNE_PASSAGES = 20_000  # above this many passages, a word pair must occur in two
PIVOT_SLOPE = 0.7  # 1.0 is plain cosine; lower gives longer passages back some weight
BATCH_DOCUMENTS = 256  # documents counted together (numpy's per-call cost spread over many)
PARALLEL_DOCUMENTS = 200  # from this many documents, reading and counting use every core


@dataclass(frozen=True)
class _Found:
    """A readable file as the first reading found it."""

    rel: str
    length: int
    sha256: str
    lines: np.ndarray | None  # its lines' distinct digests (cleaning.line_digests), uint64


def build(corpus_dir: Path | str, progress: Callable[[int, int], None] | None = None) -> Index:
    """Read, clean, chunk and weigh every document under ``corpus_dir``.

    ``progress(done, total)`` is told of the documents counted. Raises ``CorpusError``
    when the folder is missing or holds nothing to index.
    """
    corpus_dir = Path(corpus_dir)
    rels = candidate_rels(corpus_dir)
    before = stamps(corpus_dir, rels)
    info, meta, skipped = load_manifest(corpus_dir)
    with _pool(len(rels)) as pool:
        found = []
        for rel, f in zip(rels, _map(pool, _read, [(corpus_dir, rel) for rel in rels], chunk=64)):
            if isinstance(f, str):
                skipped.append(Skipped(str(corpus_dir / rel), f))
            else:
                found.append(f)
        if not found:
            reasons = "; ".join(f"{Path(s.path).name}: {s.reason}" for s in skipped[:3])
            raise CorpusError(f"no readable document in {corpus_dir}" + (f" ({reasons})" if reasons else ""))
        splitter = _train(corpus_dir, [found[i] for i in training_sample([f.length for f in found])])
        lines, n_docs = np.unique(np.concatenate([f.lines for f in found]), return_counts=True)
        found = [replace(f, lines=None) for f in found]
        setup = (str(corpus_dir), splitter.to_json(), frozenset(lines[n_docs >= SHARED_LINE_DOCUMENTS].tolist()))
        ids = unique_ids(rels)
        # Batches of up to BATCH_DOCUMENTS, and at least 32 of them: progress a teacher can
        # follow, work the workers can share evenly.
        size = min(BATCH_DOCUMENTS, max(1, len(found) // 32))
        tasks = [(setup, [(f.rel, f.sha256, ids[f.rel], meta.get(f.rel, {})) for f in found[at:at + size]])
                 for at in range(0, len(found), size)]
        gathered = _Gathered()
        for batch in _map(pool, _count, tasks):
            gathered.add(batch)
            if progress:
                progress(gathered.n_read, len(found))
    index = gathered.index(corpus_dir, splitter, info, skipped)
    # A file that changed while we read it: record no fingerprint, so the next run rebuilds.
    index.fingerprint = before if not gathered.vanished and before == stamps(corpus_dir) else []
    return index


def _read(task: tuple[Path, str]) -> _Found | str:
    """The first reading of one file: what ``_Found`` holds, or why it cannot be read."""
    corpus_dir, rel = task
    try:
        text, _ = read_file(corpus_dir / rel)
    except Unreadable as exc:
        return str(exc)
    return _Found(rel, len(text), sha256(text), np.fromiter(line_digests(text), dtype=np.uint64))


def _train(corpus_dir: Path, sample: list[_Found]) -> SentenceSplitter:
    """Punkt trained on the sample's documents (those still readable)."""
    texts = []
    for f in sample:
        try:
            texts.append(read_file(corpus_dir / f.rel)[0])
        except Unreadable:
            pass  # removed since the first reading: the changed stamps ask for a rebuild
    return SentenceSplitter.train(texts, sampled=True)


# -- processes -------------------------------------------------------------------------------

@contextmanager
def _pool(n_docs: int) -> Iterator[multiprocessing.pool.Pool | None]:
    """Worker processes for a large corpus on a machine with cores to share it; else None."""
    n = min(os.cpu_count() or 1, 8)
    if n_docs < PARALLEL_DOCUMENTS or n < 2:
        yield None
        return
    # Fork is quickest, but forking a process with other threads running (the app rebuilds
    # in a background thread of its server) can deadlock; a fresh process cannot.
    on_main = threading.current_thread() is threading.main_thread()
    method = "fork" if on_main and sys.platform.startswith("linux") else "spawn"
    with multiprocessing.get_context(method).Pool(n) as pool:
        yield pool


def _map(pool, fn, tasks: list, chunk: int = 1):
    """``fn`` over ``tasks``, results in order: by ``pool``'s workers, or here if None."""
    return map(fn, tasks) if pool is None else pool.imap(fn, tasks, chunksize=chunk)


# -- counting (in a worker) --------------------------------------------------------------------

@dataclass
class _Batch:
    """What counting a batch of documents gives.

    ``terms`` are the distinct term hashes of its sentences (sorted); ``parts`` says
    what each is, as numbers into ``stems``: a stem ``(i, -1)``, a pair ``(i, j)``.
    ``S`` and ``P`` count the terms in its sentences and passages (rows in order).
    ``words`` are its words (``analysis.normalise``, letters only) in the order first
    met, with how often each occurs and whether it occurs capitalised, and in lower
    case, inside a quotable sentence other than as its first word (where a capital
    marks a name).
    """

    n_read: int
    docs: list[Document]
    vanished: list[Skipped]
    passages: np.ndarray  # (doc in batch, start, end, para, para_end, line, part) per passage
    sentences: np.ndarray  # (passage in batch, start, end, quotable) per sentence
    terms: np.ndarray
    parts: np.ndarray
    stems: list[str]
    S: sp.csr_matrix
    P: sp.csr_matrix
    words: list[str]
    word_counts: np.ndarray
    capitalised: np.ndarray
    lower: np.ndarray


_setup: tuple | None = None  # the build a worker serves, and its splitter and shared lines
_tools: tuple[SentenceSplitter, SharedDigests] | None = None


def _count(task: tuple[tuple, list[tuple[str, str, str, dict]]]) -> _Batch:
    """Read, clean, chunk and count a batch of documents ``(rel, sha256, doc_id, meta)``."""
    global _setup, _tools
    setup, files = task
    if setup != _setup:
        _setup, _tools = setup, (SentenceSplitter.from_json(setup[1]), SharedDigests(setup[2]))
    corpus_dir = Path(setup[0])
    splitter, shared = _tools
    docs, vanished, texts = [], [], []
    passages: list[tuple] = []
    sentences: list[tuple] = []
    for rel, digest, doc_id, meta in files:
        path = corpus_dir / rel
        try:
            text, encoding = read_file(path)
        except Unreadable as exc:  # removed since the first reading
            vanished.append(Skipped(str(path), str(exc)))
            continue
        if sha256(text) != digest:  # not what the first reading read: the next build indexes it
            vanished.append(Skipped(str(path), "the file changed while it was being read"))
            continue
        doc_passages, doc_sentences = chunk(text, splitter, classify(text, shared))
        kept: dict[int, int] = {}  # boilerplate passages are neither indexed nor quoted
        for i, p in enumerate(doc_passages):
            if not p.boilerplate:
                kept[i] = len(passages)
                passages.append((len(docs), p.start, p.end, p.para, p.para_end, p.line, p.part))
        for s in doc_sentences:
            if s.passage in kept:
                sentences.append((kept[s.passage], s.start, s.end, s.quotable))
                texts.append(s.text)
        docs.append(make_document(corpus_dir, path, text, encoding, meta, doc_id))
    p = np.array(passages, dtype=np.int64).reshape(len(passages), 7)
    s = np.array(sentences, dtype=np.int64).reshape(len(sentences), 4)
    terms, parts, stems, S, words = _sentence_counts(texts, s[:, 3].astype(bool))
    # A passage's counts: the sum of its sentences' (its sentences are consecutive).
    membership = sp.csr_matrix((np.ones(len(s), dtype=np.float32), np.arange(len(s)),
                                np.searchsorted(s[:, 0], np.arange(len(p) + 1))), shape=(len(p), len(s)))
    return _Batch(len(files), docs, vanished, p, s, terms, parts, stems, S, membership @ S, *words)


def _sentence_counts(texts: list[str], quotable: np.ndarray):
    """The terms of the sentences ``texts`` counted (see ``_Batch``): ``terms``, ``parts``,
    ``stems``, ``S``, and ``_words`` of the words as written."""
    if any(analysis.BREAK in t for t in texts):
        words = [w for t in texts for w in (*analysis.words(t), analysis.BREAK)]
    else:  # one regex call for the batch (no word holds BREAK)
        words = analysis.words_with_breaks(analysis.BREAK.join(texts) + analysis.BREAK) if texts else []
    # Each distinct word as written numbered (BREAK, after each sentence, as -1), and
    # its stem's number (-1 for a stop word).
    numbers = defaultdict(count().__next__)
    numbers[analysis.BREAK]
    ids = np.fromiter(map(numbers.__getitem__, words), dtype=np.int64, count=len(words)) - 1
    surfaces = list(numbers)[1:]
    analysed = list(map(_analysed, surfaces))
    stem_ids: dict[str, int] = {}
    surface_stem = np.array([-1 if t is None else stem_ids.setdefault(t, len(stem_ids)) for t, _ in analysed],
                            dtype=np.int64)
    stems = list(stem_ids)
    lengths = np.diff(np.flatnonzero(ids < 0), prepend=-1) - 1  # words per sentence
    ids = ids[ids >= 0]
    row = np.repeat(np.arange(len(texts)), lengths)
    counts = np.bincount(ids, minlength=len(surfaces))
    first = np.zeros(len(ids), dtype=bool)
    first[(np.cumsum(lengths) - lengths)[lengths > 0]] = True
    prose = np.zeros(len(surfaces), dtype=bool)
    prose[ids[quotable[row] & ~first]] = True
    # Terms: content stems, and pairs of stems adjacent in one sentence (the stop words
    # between them dropped, as analysis.terms does).
    stem, row = surface_stem[ids], row
    content = stem >= 0
    stem, row = stem[content], row[content]
    pair = (row[1:] == row[:-1]) & analysis.WORD_PAIRS
    a, b = stem[:-1][pair], stem[1:][pair]
    hashes = np.fromiter(map(term_hash, stems), dtype=np.uint64, count=len(stems))
    keys = np.concatenate([hashes[stem], pair_hashes(hashes[a], hashes[b])])
    parts = np.concatenate([np.stack([stem, np.full(len(stem), -1)], axis=1), np.stack([a, b], axis=1)])
    terms, column = np.unique(keys, return_inverse=True)
    column = column.ravel()
    first_at = np.empty(len(terms), dtype=np.int64)  # where each term first occurs (the last write wins)
    first_at[column[::-1]] = np.arange(len(keys) - 1, -1, -1)
    S = sp.csr_matrix((np.ones(len(keys), dtype=np.float32), (np.concatenate([row, row[1:][pair]]), column)),
                      shape=(len(texts), len(terms)))  # (duplicates summed)
    return terms, parts[first_at].astype(np.int32), stems, S, _words(surfaces, analysed, counts, prose)


_ANALYSED: dict[str, tuple[str | None, str | None]] = {}  # see _analysed
_ANALYSED_KEPT = 300_000


def _analysed(surface: str) -> tuple[str | None, str | None]:
    """A word as written's term (``analysis.term``: its stem, None for a stop word) and
    its word for the words' table (``analysis.normalise``, None unless letters only),
    remembered: a worker meets the same words in every batch."""
    got = _ANALYSED.get(surface)
    if got is None:
        word = analysis.normalise(surface)
        got = analysis.term(surface), (word if word.isalpha() else None)
        if len(_ANALYSED) < _ANALYSED_KEPT:
            _ANALYSED[surface] = got
    return got


def _words(surfaces: list[str], analysed: list[tuple], counts: np.ndarray, prose: np.ndarray):
    """The words of ``surfaces`` (words as written, each occurring ``counts`` times,
    ``prose`` where one occurs inside a quotable sentence other than as its first word)
    as ``_Batch`` holds them."""
    numbers = defaultdict(count().__next__)
    ids = np.array([-1 if w is None else numbers[w] for _, w in analysed], dtype=np.int64)
    kept = ids >= 0
    word_counts = np.bincount(ids[kept], weights=counts[kept], minlength=len(numbers)).astype(np.int64)
    upper = np.array([t[:1].isupper() for t in surfaces], dtype=bool)
    capitalised, lower = np.zeros(len(numbers), dtype=bool), np.zeros(len(numbers), dtype=bool)
    capitalised[ids[kept & prose & upper]] = True
    lower[ids[kept & prose & ~upper]] = True
    return list(numbers), word_counts, capitalised, lower


# -- gathering and weighing (in this process) --------------------------------------------------

class _Gathered:
    """The batches' documents, positions and counts, in document order."""

    def __init__(self):
        self.n_read = 0
        self.docs: list[Document] = []
        self.vanished: list[Skipped] = []
        self.columns: dict[str, list[np.ndarray]] = defaultdict(list)
        self.n_passages = 0
        # Stems and words, numbered in the order first met (a dict keeps that order).
        self.stem_ids: defaultdict[str, int] = defaultdict(count().__next__)
        self.word_ids: defaultdict[str, int] = defaultdict(count().__next__)
        self.word_counts = np.zeros(0, dtype=np.int64)
        self.capitalised = np.zeros(0, dtype=bool)
        self.lower = np.zeros(0, dtype=bool)
        self.counts: list[tuple[np.ndarray, np.ndarray, sp.csr_matrix, sp.csr_matrix]] = []  # terms, parts, S, P

    def add(self, b: _Batch) -> None:
        self.n_read += b.n_read
        p, s = b.passages, b.sentences
        for name, column in (("passage_doc", p[:, 0] + len(self.docs)), ("passage_start", p[:, 1]),
                             ("passage_end", p[:, 2]), ("passage_para", p[:, 3]), ("passage_para_end", p[:, 4]),
                             ("passage_line", p[:, 5]), ("passage_part", p[:, 6]),
                             ("sentence_passage", s[:, 0] + self.n_passages), ("sentence_start", s[:, 1]),
                             ("sentence_end", s[:, 2]), ("sentence_quotable", s[:, 3])):
            self.columns[name].append(column.astype(_DTYPES.get(name, np.int64)))
        self.docs.extend(b.docs)
        self.vanished.extend(b.vanished)
        self.n_passages += len(p)
        stem = np.fromiter(map(self.stem_ids.__getitem__, b.stems), dtype=np.int32, count=len(b.stems))
        stem = np.append(stem, np.int32(-1))  # a stem's second part, -1, picks this and stays -1
        self.counts.append((b.terms, stem[b.parts], b.S, b.P))
        word = np.fromiter(map(self.word_ids.__getitem__, b.words), dtype=np.int64, count=len(b.words))
        new = len(self.word_ids) - len(self.word_counts)
        self.word_counts = np.concatenate([self.word_counts, np.zeros(new, np.int64)])
        self.capitalised = np.concatenate([self.capitalised, np.zeros(new, bool)])
        self.lower = np.concatenate([self.lower, np.zeros(new, bool)])
        self.word_counts[word] += b.word_counts  # (a batch's words are distinct)
        self.capitalised[word[b.capitalised]] = True
        self.lower[word[b.lower]] = True

    def index(self, corpus_dir: Path, splitter: SentenceSplitter, info: CorpusInfo, skipped: list[Skipped]) -> Index:
        """The ``Index`` of everything added (each batch's counts let go once used)."""
        skipped.extend(self.vanished)
        if not sum(S.shape[0] for _, _, S, _ in self.counts):
            raise CorpusError(f"no indexable text in {corpus_dir}")
        if not sum(S.nnz for _, _, S, _ in self.counts):  # only punctuation, emoji or stop words
            raise CorpusError(f"no searchable words in {corpus_dir}")
        arrays = {name: np.concatenate(parts) for name, parts in self.columns.items()}
        self.columns.clear()
        hashes, parts, df, batch_terms = self._terms()
        # Smooth idf, as scikit-learn's TfidfTransformer computes it (float32).
        idf = np.full(len(hashes), self.n_passages + 1, dtype=np.float32)
        idf /= df.astype(np.float32) + np.float32(1)
        np.log(idf, out=idf)
        idf += np.float32(1)
        # In a large corpus most word pairs occur once and say nothing; they would be most
        # of the vocabulary. Keep a pair only where two passages share it.
        kept = np.arange(len(hashes))
        if self.n_passages > BIGRAM_PRUNE_PASSAGES:
            kept = np.flatnonzero((parts[:, 1] < 0) | (df >= 2))
        del df
        column = np.full(len(hashes), -1, dtype=np.int32)  # term -> column, -1 when dropped
        column[kept] = np.arange(len(kept))
        arrays["vocab_hash"], arrays["idf"] = hashes[kept], idf[kept]
        del hashes
        arrays["S_norm"] = np.concatenate([self._sentence_norms(b, idf[t]) for b, t in enumerate(batch_terms)])
        arrays["P_norm"] = np.concatenate([_norms(P, idf[t]) for (_, _, _, P), t in zip(self.counts, batch_terms)])
        P = self._weighted(batch_terms, idf, column, arrays["P_norm"], len(kept))
        arrays.update(P_data=P.data, P_indices=P.indices.astype(np.int32), P_indptr=P.indptr.astype(np.int64))
        del P
        stems = list(self.stem_ids)
        vocabulary = [stems[i] if j < 0 else f"{stems[i]} {stems[j]}" for i, j in parts[kept].tolist()]
        # Names: words capitalised wherever they occur inside a quotable sentence.
        words = list(self.word_ids)
        names = frozenset(words[i] for i in np.flatnonzero(self.capitalised & ~self.lower).tolist()
                          if words[i] not in analysis.STOP_WORDS)
        return Index(self.docs, arrays, dict(zip(words, self.word_counts.tolist())), names, splitter, info,
                     skipped, [], Texts(self.docs), vocabulary)

    def _terms(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]:
        """The corpus's distinct term hashes (sorted: the columns' order), each term's parts
        (see ``_Batch``, as stem numbers here), in how many passages it occurs, and each
        batch's terms as numbers into them."""
        hashes = np.concatenate([terms for terms, _, _, _ in self.counts])
        hashes.sort()
        distinct = np.ones(len(hashes), dtype=bool)
        distinct[1:] = hashes[1:] != hashes[:-1]
        hashes = hashes[distinct]
        del distinct
        parts = np.empty((len(hashes), 2), dtype=np.int32)
        df = np.zeros(len(hashes), dtype=np.int64)
        batch_terms = []
        for b, (terms, stems, S, P) in enumerate(self.counts):
            t = np.searchsorted(hashes, terms).astype(np.int32)
            parts[t] = stems  # (a hash names one term, whichever batch tells it)
            df[t] += np.bincount(P.indices, minlength=len(t))  # (a batch's terms are distinct)
            batch_terms.append(t)
            self.counts[b] = (None, None, S, P)
        return hashes, parts, df, batch_terms

    def _sentence_norms(self, b: int, idf: np.ndarray) -> np.ndarray:
        """Batch ``b``'s sentences' lengths (``idf`` of its terms); its sentences' counts let go."""
        terms, parts, S, P = self.counts[b]
        self.counts[b] = terms, parts, None, P
        return _norms(S, idf)

    def _weighted(self, batch_terms: list[np.ndarray], idf: np.ndarray, column: np.ndarray,
                  norms: np.ndarray, n_columns: int) -> sp.csc_matrix:
        """The passages' counts as pivoted TF-IDF weights (float32), by column, the dropped
        terms left out (their weight still counts in each passage's length)."""
        scale = pivot_scale(norms, float(norms.mean()) if norms.size else 1.0, PIVOT_SLOPE)
        lengths, columns, data = [], [], []  # of the matrix by rows, batch by batch
        first = 0
        for b, t in enumerate(batch_terms):
            P = self.counts[b][3]
            self.counts[b] = None  # let go as soon as it is weighed
            row = np.repeat(np.arange(P.shape[0]), np.diff(P.indptr))
            w = tf_idf(P.data, idf[t][P.indices])
            w *= scale[first:first + P.shape[0]][row]
            c = column[t][P.indices]
            keep = c >= 0
            lengths.append(np.bincount(row[keep], minlength=P.shape[0]))
            columns.append(c[keep])
            data.append(w[keep])
            first += P.shape[0]
        self.counts.clear()
        indptr = np.concatenate([[0], np.cumsum(np.concatenate(lengths))])
        return sp.csr_matrix((np.concatenate(data), np.concatenate(columns), indptr), shape=(first, n_columns)).tocsc()


_DTYPES = {"passage_doc": np.int32, "passage_para": np.int32, "passage_para_end": np.int32,
           "passage_line": np.int32, "passage_part": np.int32, "sentence_passage": np.int32,
           "sentence_quotable": np.int8}


def _norms(counts: sp.csr_matrix, idf: np.ndarray) -> np.ndarray:
    """The lengths of a matrix of counts' rows as TF-IDF weights (float32); ``idf`` of its columns."""
    squares = np.zeros(counts.shape[0], dtype=np.float64)
    rows = np.flatnonzero(np.diff(counts.indptr))  # reduceat cannot sum an empty row
    if len(rows):
        sq = tf_idf(counts.data, idf[counts.indices]).astype(np.float64)
        sq *= sq
        squares[rows] = np.add.reduceat(sq, counts.indptr[rows])
    return np.sqrt(squares).astype(np.float32)
