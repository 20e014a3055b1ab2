"""Corpus folder -> ``Index``: read, clean, chunk, count, weigh.

1. **Read** every candidate file to find the documents (unreadable files are skipped
   with the reason), their lengths, and the lines that three or more of them share (a
   web site's menus and footers, which ``cleaning.classify`` then drops).
2. **Train** Punkt (``chunking.SentenceSplitter``) on a sample of the documents.
3. **Count**, a batch of documents at a time (``counting.count_batch``): passages,
   sentences, and each sentence's terms as 64-bit hashes. A passage's counts are the
   sum of its sentences'.
4. **Weigh** (formula in ``tutor.index``): idf over the passages, each passage's
   weights and each sentence's length. A column is a term hash, in hash order.

Reading and counting run in worker processes (``multiprocessing.Pool.imap``, in
document order) for a corpus of ``PARALLEL_DOCUMENTS`` documents or more.
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

from tutor import analysis, counting
from tutor.chunking import SentenceSplitter, training_sample
from tutor.cleaning import line_digests
from tutor.corpus import (CorpusInfo, Document, Skipped, Texts, candidate_rels, drop_links, load_manifest, read_file,
                          sha256, stamps, unique_ids)
from tutor.decoding import Unreadable
from tutor.errors import CorpusError
from tutor.extracted import Extraction, TextStore
from tutor.index import Index, pivot_scale, tf_idf

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
    extraction: Extraction | None = None  # where the text of a PDF, Word or web page is kept


def build(corpus_dir: Path | str, progress: Callable[[int, int], None] | None = None,
          texts: Path | str | None = None) -> Index:
    """Read, clean, chunk and weigh every document under ``corpus_dir``.

    ``progress(done, total)`` is told of the documents counted. The text of a PDF, Word
    or web-page file is extracted into the folder ``texts`` (a temporary one if None),
    or taken from there when it was before. Raises ``CorpusError`` when the folder is
    missing or holds nothing to index.
    """
    corpus_dir = Path(corpus_dir)
    store = TextStore(texts)
    rels = candidate_rels(corpus_dir)
    before = stamps(corpus_dir, rels)
    info, meta, skipped = load_manifest(corpus_dir)
    rels, unlinked = drop_links(corpus_dir, rels)
    skipped += unlinked
    with _pool(len(rels)) as pool:
        found = []
        for rel, f in zip(rels, _map(pool, _read, [(corpus_dir, rel, store) for rel in rels], chunk=64)):
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
        tasks = [(setup, [(f.rel, f.sha256, ids[f.rel], meta.get(f.rel, {}), f.extraction) for f in found[at:at + size]])
                 for at in range(0, len(found), size)]
        gathered = _Gathered()
        for batch in _map(pool, counting.count_batch, tasks):
            gathered.add(batch)
            if progress:
                progress(gathered.n_read, len(found))
    index = gathered.index(corpus_dir, splitter, info, skipped)
    # A file that changed while we read it: record no fingerprint, so the next run rebuilds.
    index.fingerprint = before if not gathered.vanished and before == stamps(corpus_dir) else []
    return index


def _read(task: tuple[Path, str]) -> _Found | str:
    """The first reading of one file: what ``_Found`` holds, or why it cannot be read."""
    corpus_dir, rel, store = task
    try:
        extraction = store.extract(corpus_dir / rel)
        text = extraction.read() if extraction else read_file(corpus_dir / rel)[0]
    except Unreadable as exc:
        return str(exc)
    return _Found(rel, len(text), sha256(text), np.fromiter(line_digests(text), dtype=np.uint64), extraction)


def _train(corpus_dir: Path, sample: list[_Found]) -> SentenceSplitter:
    """Punkt trained on the sample's documents (those still readable)."""
    texts = []
    for f in sample:
        try:
            texts.append(f.extraction.read() if f.extraction else read_file(corpus_dir / f.rel)[0])
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

    def add(self, b: counting.Batch) -> None:
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
        arrays.update(P_data=P.data, P_indices=P.indices.astype(np.int32, copy=False),
                      P_indptr=P.indptr.astype(np.int64, copy=False))
        del P
        stems = list(self.stem_ids)
        kept_parts = parts[kept]  # (two lists of numbers, not a list of pairs: half the memory)
        vocabulary = [stems[i] if j < 0 else f"{stems[i]} {stems[j]}"
                      for i, j in zip(kept_parts[:, 0].tolist(), kept_parts[:, 1].tolist())]
        # Names: words capitalised wherever they occur inside a quotable sentence.
        words = list(self.word_ids)
        names = frozenset(words[i] for i in np.flatnonzero(self.capitalised & ~self.lower).tolist()
                          if words[i] not in analysis.STOP_WORDS)
        return Index(self.docs, arrays, dict(zip(words, self.word_counts.tolist())), names, splitter, info,
                     skipped, [], Texts(self.docs), vocabulary)

    def _terms(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]:
        """The corpus's distinct term hashes (sorted: the columns' order), each term's parts
        (see ``counting.Batch``, as stem numbers here), in how many passages it occurs, and each
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
        terms left out (their weight still counts in each passage's length).

        Each batch is weighed and turned by column on its own, then written where its
        columns' entries go in arrays of the whole matrix's size (a batch's rows follow the
        batches' before, so each column's rows stay in order), and let go: no second copy of
        the whole matrix is ever made.
        """
        scale = pivot_scale(norms, float(norms.mean()) if norms.size else 1.0, PIVOT_SLOPE)
        batches = [(t, self.counts[b][3]) for b, t in enumerate(batch_terms)]
        self.counts.clear()
        indptr = np.zeros(n_columns + 1, dtype=np.int64)
        for t, P in batches:
            c = column[t][P.indices]
            indptr[1:] += np.bincount(c[c >= 0], minlength=n_columns)
        np.cumsum(indptr, out=indptr)
        indices, data = np.empty(indptr[-1], dtype=np.int32), np.empty(indptr[-1], dtype=np.float32)
        filled = indptr[:-1].copy()  # where each column's next entry goes
        first = 0
        for b, (t, P) in enumerate(batches):
            batches[b] = None  # let go as soon as it is written
            row = np.repeat(np.arange(P.shape[0]), np.diff(P.indptr))
            c = column[t][P.indices]
            keep = c >= 0
            w = tf_idf(P.data[keep], idf[t][P.indices[keep]])
            w *= scale[first:first + P.shape[0]][row[keep]]
            part = sp.csr_matrix((w, c[keep], np.r_[0, np.cumsum(np.bincount(row[keep], minlength=P.shape[0]))]),
                                 shape=(P.shape[0], n_columns)).tocsc()
            counts = np.diff(part.indptr)
            at = np.arange(part.nnz) + np.repeat(filled - part.indptr[:-1], counts)
            indices[at], data[at] = part.indices + first, part.data
            filled += counts
            first += P.shape[0]
        return sp.csc_matrix((data, indices, indptr), shape=(first, n_columns))


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
