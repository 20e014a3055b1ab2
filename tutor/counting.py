"""Counting a batch of documents: passages, sentences and their terms (in a worker).

``count_batch`` reads, cleans and chunks each document (``cleaning.classify``,
``chunking.chunk``) and counts every sentence's terms, ``analysis.terms`` as 64-bit
hashes (``index.term_hash``): the words of all the batch's sentences found in one
regex call, each distinct word analysed once, the pairs of adjacent stems made from
the stems' hashes, and one ``csr_matrix`` that sums duplicates (the shape of DrQA's
``build_tfidf.py``). A term's hash is the same in every process, so batches counted
in different workers need no renumbering. ``build.py`` gathers the batches.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import count
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from tutor import analysis
from tutor.chunking import SentenceSplitter, chunk
from tutor.cleaning import SharedDigests, classify
from tutor.corpus import Document, Skipped, make_document, read_file, sha256
from tutor.decoding import Unreadable
from tutor.index import pair_hashes, term_hash


@dataclass
class Batch:
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


# The build a process last counted for (its corpus folder, Punkt's parameters and the
# shared lines), with the splitter and lines made from them: one pair, read and replaced
# whole, so that two builds in one process's threads never mix theirs.
_tools: tuple[tuple, tuple[SentenceSplitter, SharedDigests]] | None = None


def count_batch(task: tuple[tuple, list[tuple]]) -> Batch:
    """Read, clean, chunk and count a batch of documents ``(rel, sha256, doc_id, meta,
    extraction)`` (``extraction`` for a PDF, Word or web page, else None)."""
    global _tools
    setup, files = task
    tools = _tools
    if tools is None or tools[0] != setup:
        tools = _tools = setup, (SentenceSplitter.from_json(setup[1]), SharedDigests(setup[2]))
    corpus_dir = Path(setup[0])
    splitter, shared = tools[1]
    docs, vanished, texts = [], [], []
    passages: list[tuple] = []
    sentences: list[tuple] = []
    for rel, digest, doc_id, meta, extraction in files:
        path = corpus_dir / rel
        try:
            text, encoding = (extraction.read(), "utf-8") if extraction else read_file(path)
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
        docs.append(make_document(corpus_dir, path, text, encoding, meta, doc_id, extraction))
    p = np.array(passages, dtype=np.int64).reshape(len(passages), 7)
    s = np.array(sentences, dtype=np.int64).reshape(len(sentences), 4)
    terms, parts, stems, S, words = _sentence_counts(texts, s[:, 3].astype(bool))
    # A passage's counts: the sum of its sentences' (its sentences are consecutive).
    membership = sp.csr_matrix((np.ones(len(s), dtype=np.uint16), np.arange(len(s)),
                                np.searchsorted(s[:, 0], np.arange(len(p) + 1))), shape=(len(p), len(s)))
    return Batch(len(files), docs, vanished, p, s, terms, parts, stems, S, membership @ S, *words)


def _sentence_counts(texts: list[str], quotable: np.ndarray):
    """The terms of the sentences ``texts`` counted (see ``Batch``): ``terms``, ``parts``,
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
    S = sp.csr_matrix((np.ones(len(keys), dtype=np.uint16), (np.concatenate([row, row[1:][pair]]), column)),
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
    as ``Batch`` holds them."""
    numbers = defaultdict(count().__next__)
    ids = np.array([-1 if w is None else numbers[w] for _, w in analysed], dtype=np.int64)
    kept = ids >= 0
    word_counts = np.bincount(ids[kept], weights=counts[kept], minlength=len(numbers)).astype(np.int64)
    upper = np.array([t[:1].isupper() for t in surfaces], dtype=bool)
    capitalised, lower = np.zeros(len(numbers), dtype=bool), np.zeros(len(numbers), dtype=bool)
    capitalised[ids[kept & prose & upper]] = True
    lower[ids[kept & prose & ~upper]] = True
    return list(numbers), word_counts, capitalised, lower
