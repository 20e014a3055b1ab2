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
``allow_pickle=False``), vocabulary and settings as JSON. ``manifest.json`` holds the
format version, the build settings, a fingerprint of the corpus (every file's size and
modification time) and the size and SHA-256 of every other file. A build is written to
a new folder and switched into place by replacing the one-line file ``CURRENT``, so a
crash mid-write leaves the previous index in force, and readers never see a mixture.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import sys
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Callable

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer

from tutor import analysis
from tutor.chunking import MAX_CHARS, MIN_CHARS, SentenceSplitter, chunk
from tutor.cleaning import classify, shared_lines
from tutor.corpus import CorpusInfo, FileStamp, Skipped, Unreadable, load_corpus, read_file, stamps
from tutor.errors import CorpusError, IndexDamaged

FORMAT_VERSION = 4
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
CURRENT = "CURRENT"
LOCK = ".lock"

_ARRAYS = (
    "passage_doc", "passage_start", "passage_end", "passage_para", "passage_para_end", "passage_line",
    "passage_part", "sentence_passage", "sentence_start", "sentence_end", "sentence_quotable", "idf",
    "P_data", "P_indices", "P_indptr", "S_data", "S_indices", "S_indptr", "P_norm", "S_norm", "vocab_hash",
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
    """A term's 64-bit key: the index finds columns by it without loading its vocabulary."""
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


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
            h = np.uint64(term_hash(term))
            pos = int(np.searchsorted(self.hashes, h))
            i = pos if pos < len(self.hashes) and self.hashes[pos] == h else -1
            if len(self._memo) < self.MEMO:
                self._memo[term] = i
        return default if i < 0 else i

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
    postings. ``S`` (sentences x terms) is stored by row: only the sentences of the
    leading passages are ever scored.
    """

    def __init__(self, docs: list[DocInfo], arrays: dict[str, np.ndarray], words: dict[str, int],
                 splitter: SentenceSplitter, info: CorpusInfo, skipped: list[Skipped],
                 fingerprint: list[FileStamp], texts: dict[int, str] | None = None,
                 names: frozenset[str] = frozenset(), vocabulary: list[str] | Path | None = None):
        self.docs = docs
        self.a = arrays
        self.words = words
        self.names = names  # words the corpus always capitalises mid-sentence: parts of names
        self.splitter = splitter
        self.info = info
        self.skipped = skipped
        self.fingerprint = fingerprint
        self._texts = dict(texts or {})
        self._vocabulary = vocabulary
        self.term_ids = TermIds(arrays["vocab_hash"])
        n_terms = len(arrays["vocab_hash"])
        self.P = sp.csc_matrix((arrays["P_data"], arrays["P_indices"], arrays["P_indptr"]),
                               shape=(len(arrays["passage_doc"]), n_terms))
        self.S = sp.csr_matrix((arrays["S_data"], arrays["S_indices"], arrays["S_indptr"]),
                               shape=(len(arrays["sentence_passage"]), n_terms))

    # -- sizes and lookups ---------------------------------------------------------------
    @property
    def n_passages(self) -> int:
        return self.P.shape[0]

    @property
    def n_sentences(self) -> int:
        return self.S.shape[0]

    @property
    def n_terms(self) -> int:
        return len(self.term_ids)

    @property
    def vocabulary(self) -> list[str]:
        """Every term, in column order (read from disk on first use; only tools need it)."""
        if isinstance(self._vocabulary, Path):
            self._vocabulary = json.loads(self._vocabulary.read_text(encoding="utf-8"))
        return self._vocabulary or []

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
        indptr = self.a["S_indptr"]
        return set(self.a["S_indices"][int(indptr[j]):int(indptr[j + 1])].tolist())

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
        (sublinear tf, idf, unit length); terms the corpus lacks are dropped."""
        pairs = [(i, tf) for t, tf in counts.items() if tf > 0 and (i := self.term_ids.get(t)) is not None]
        if not pairs:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        ids = np.array([i for i, _ in pairs], dtype=np.int64)
        tf = np.array([tf for _, tf in pairs], dtype=np.float64)
        # Repeated words count sublinearly; a borrowed word's fractional weight scales it.
        w = ((1.0 + np.log(np.maximum(tf, 1.0))) if SUBLINEAR_TF else np.maximum(tf, 1.0)) * np.minimum(tf, 1.0)
        w = w * self.idf[ids]
        return ids, w / (np.linalg.norm(w) or 1.0)


# -- building -----------------------------------------------------------------------------

def build(corpus_dir: Path | str, progress: Callable[[int, int], None] | None = None) -> Index:
    """Read, clean, chunk and vectorise every document under ``corpus_dir``."""
    corpus_dir = Path(corpus_dir)
    before = stamps(corpus_dir)
    docs, skipped, info = load_corpus(corpus_dir)
    if not docs:
        reasons = "; ".join(f"{Path(s.path).name}: {s.reason}" for s in skipped[:3])
        raise CorpusError(f"no readable document in {corpus_dir}" + (f" ({reasons})" if reasons else ""))
    if progress:
        progress(0, len(docs))
    splitter = SentenceSplitter.train([d.text for d in docs])
    shared = shared_lines([d.text for d in docs])
    cols: dict[str, list[int]] = {k: [] for k in ("pd", "ps", "pe", "pp", "ppe", "pl", "ppart", "sp", "ss", "se", "sq")}
    sentence_texts: list[str] = []
    raw: Counter[str] = Counter()  # every word as written
    prose: Counter[str] = Counter()  # words as written inside sentences of prose
    infos: list[DocInfo] = []
    texts: dict[int, str] = {}
    for d, (doc, (passages, sentences)) in enumerate(zip(docs, _chunk_all([d.text for d in docs], splitter, shared))):
        # passages: (start, end, para, para_end, line, part, boilerplate); sentences: (start, end, passage, quotable)
        keep = {i: len(cols["pd"]) + n for n, i in enumerate(i for i, p in enumerate(passages) if not p[6])}
        for i, p in enumerate(passages):
            if i in keep:
                for k, v in zip(("pd", "ps", "pe", "pp", "ppe", "pl", "ppart"), (d, *p[:6])):
                    cols[k].append(v)
        for start, end, passage, quotable in sentences:
            if passage in keep:
                for k, v in zip(("sp", "ss", "se", "sq"), (keep[passage], start, end, int(quotable))):
                    cols[k].append(v)
                text = doc.text[start:end]
                sentence_texts.append(text)
                toks = analysis.words(text)
                raw.update(toks)
                if quotable and toks:
                    prose.update(toks[1:])  # a sentence's first word is capitalised anyway
        rel = Path(doc.path).relative_to(corpus_dir).as_posix()
        infos.append(DocInfo(doc.doc_id, rel, doc.path, doc.title, doc.encoding,
                             hashlib.sha256(doc.text.encode("utf-8", "surrogatepass")).hexdigest(),
                             doc.author, doc.publisher, doc.year, doc.url, doc.licence, doc.note))
        texts[d] = doc.text
        if progress:
            progress(d + 1, len(docs))
    if not sentence_texts:
        raise CorpusError(f"no indexable text in {corpus_dir}")

    counter = CountVectorizer(analyzer=analysis.terms, dtype=np.float32)
    try:
        S_counts = counter.fit_transform(sentence_texts).tocsr()
    except ValueError as exc:  # scikit-learn's "empty vocabulary": only punctuation, emoji, stop words
        raise CorpusError(f"no searchable words in {corpus_dir}") from exc
    sent_passage = np.asarray(cols["sp"], dtype=np.int32)
    n_passages = len(cols["pd"])
    membership = sp.csr_matrix((np.ones(len(sent_passage), dtype=np.float32), (sent_passage, np.arange(len(sent_passage)))),
                               shape=(n_passages, len(sent_passage)))
    P_counts = (membership @ S_counts).tocsr()
    tfidf = TfidfTransformer(sublinear_tf=SUBLINEAR_TF, smooth_idf=True, norm=None)
    P, P_norm = _normalise_rows(tfidf.fit_transform(P_counts), PIVOT_SLOPE)
    S, S_norm = _normalise_rows(tfidf.transform(S_counts), SENTENCE_PIVOT_SLOPE)
    vocabulary = counter.get_feature_names_out().tolist()
    # In a large corpus most word pairs occur once and say nothing; they would be most of
    # the vocabulary. Keep a pair only where two passages share it.
    wanted = np.ones(len(vocabulary), dtype=bool)
    if n_passages > BIGRAM_PRUNE_PASSAGES:
        df = np.diff(P_counts.tocsc().indptr)
        wanted = (df >= 2) | np.fromiter((" " not in t for t in vocabulary), dtype=bool, count=len(vocabulary))
    # Columns in the order of the terms' hashes (see TermIds); a colliding term is dropped.
    hashes = np.fromiter((term_hash.__wrapped__(t) for t in vocabulary), dtype=np.uint64, count=len(vocabulary))
    order = np.argsort(hashes, kind="stable")
    order = order[wanted[order]]
    keep = order[np.concatenate(([True], np.diff(hashes[order]) != 0))]
    P = P[:, keep].tocsc()
    P.sort_indices()
    S = S[:, keep].tocsr()
    S.sort_indices()
    idf = tfidf.idf_[keep]
    vocabulary = [vocabulary[i] for i in keep]
    hashes = hashes[keep]

    arrays = {
        "passage_doc": np.asarray(cols["pd"], dtype=np.int32),
        "passage_start": np.asarray(cols["ps"], dtype=np.int64),
        "passage_end": np.asarray(cols["pe"], dtype=np.int64),
        "passage_para": np.asarray(cols["pp"], dtype=np.int32),
        "passage_para_end": np.asarray(cols["ppe"], dtype=np.int32),
        "passage_line": np.asarray(cols["pl"], dtype=np.int32),
        "passage_part": np.asarray(cols["ppart"], dtype=np.int32),
        "sentence_passage": sent_passage,
        "sentence_start": np.asarray(cols["ss"], dtype=np.int64),
        "sentence_end": np.asarray(cols["se"], dtype=np.int64),
        "sentence_quotable": np.asarray(cols["sq"], dtype=np.int8),
        "idf": idf.astype(np.float32), "vocab_hash": hashes,
        "P_data": P.data, "P_indices": P.indices.astype(np.int32), "P_indptr": P.indptr.astype(np.int64),
        "S_data": S.data, "S_indices": S.indices.astype(np.int32), "S_indptr": S.indptr.astype(np.int64),
        "P_norm": P_norm, "S_norm": S_norm,
    }
    after = stamps(corpus_dir)
    # A file that changed while we read it: record no fingerprint, so the next run rebuilds.
    fingerprint = before if before == after else []
    words: Counter[str] = Counter()
    for t, n in raw.items():
        if (w := analysis.normalise(t)).isalpha():
            words[w] += n
    capitalised, lower = set(), set()
    for t in prose:
        if (w := analysis.normalise(t)).isalpha():
            (capitalised if t[:1].isupper() else lower).add(w)
    names = frozenset(w for w in capitalised - lower if w not in analysis.STOP_WORDS)
    return Index(infos, arrays, dict(words), splitter, info, skipped, fingerprint, texts, names, vocabulary)


def _normalise_rows(X: sp.spmatrix, slope: float) -> tuple[sp.csr_matrix, np.ndarray]:
    """Rows scaled for pivoted cosine (float32), and the lengths they had.

    A row of length ``n`` is divided by ``(1 - slope) * mean + slope * n``: with slope 1
    that is the unit length of plain cosine; below 1 a longer text keeps part of its
    length. The factor is baked in, so a query's score is a plain dot product.
    """
    X = X.tocsr().astype(np.float32)
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel()).astype(np.float32)
    mean = float(norms.mean()) if norms.size else 1.0
    pivot = (1 - slope) * mean + slope * norms
    scale = np.divide(1.0, pivot, out=np.zeros_like(norms), where=pivot > 0)
    X = (sp.diags(scale) @ X).tocsr()
    X.sort_indices()
    return X, norms


PARALLEL_DOCUMENTS = 200  # from this many documents, cleaning and chunking use every core
_worker: tuple[SentenceSplitter, frozenset[str]] | None = None


def _start_worker(splitter_json: str, shared: frozenset[str]) -> None:
    global _worker
    _worker = (SentenceSplitter.from_json(splitter_json), shared)


def _spans(text: str, splitter: SentenceSplitter, shared: frozenset[str]):
    """A document's passages and sentences as plain tuples (cheap to send between processes)."""
    passages, sentences = chunk(text, splitter, classify(text, shared))
    return ([(p.start, p.end, p.para, p.para_end, p.line, p.part, p.boilerplate) for p in passages],
            [(s.start, s.end, s.passage, s.quotable) for s in sentences])


def _chunk_one(text: str):
    return _spans(text, *_worker)  # type: ignore[misc]


def _chunk_all(texts: list[str], splitter: SentenceSplitter, shared: frozenset[str]):
    """Passages and sentences of every text, in order; in worker processes for a large
    corpus (Punkt and the line classifier are pure Python, one document at a time)."""
    workers = min(os.cpu_count() or 1, 8)
    if len(texts) < PARALLEL_DOCUMENTS or workers < 2:
        for text in texts:
            yield _spans(text, splitter, shared)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    # fork is quickest, but forking a process with other threads running (the app
    # rebuilds in a background thread of its server) can deadlock; forkserver cannot.
    import threading
    on_main = threading.current_thread() is threading.main_thread()
    ctx = multiprocessing.get_context("fork" if on_main and sys.platform.startswith("linux") else
                                      "forkserver" if sys.platform.startswith("linux") else "spawn")
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_start_worker,
                             initargs=(splitter.to_json(), shared)) as pool:
        yield from pool.map(_chunk_one, texts, chunksize=32)


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
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        else:
            h.update(str(size).encode())
            for k in range(64):
                f.seek((size - (1 << 16)) * k // 63)
                h.update(f.read(1 << 16))
    return h.hexdigest()


def _write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def save(index: Index, index_dir: Path | str) -> Path:
    """Write ``index`` to a new folder under ``index_dir`` and make it the current one."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    tmp = index_dir / f".build-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        for name in _ARRAYS:
            np.save(tmp / f"{name}.npy", np.ascontiguousarray(index.a[name]), allow_pickle=False)
        _write_json(tmp / "vocabulary.json", index.vocabulary)
        _write_json(tmp / "words.json", index.words)
        _write_json(tmp / "names.json", sorted(index.names))
        (tmp / "punkt.json").write_text(index.splitter.to_json(), encoding="utf-8")
        _write_json(tmp / "documents.json", [asdict(d) for d in index.docs])
        _write_json(tmp / "corpus.json", {
            "info": {**asdict(index.info), "starter_questions": list(index.info.starter_questions)},
            "skipped": [asdict(s) for s in index.skipped],
        })
        files = {p.name: {"size": p.stat().st_size, "digest": _digest(p)} for p in sorted(tmp.iterdir())}
        _write_json(tmp / "manifest.json", {
            "format_version": FORMAT_VERSION,
            "settings": SETTINGS,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "fingerprint": [asdict(s) for s in index.fingerprint],
            "counts": {"documents": len(index.docs), "passages": index.n_passages,
                       "sentences": index.n_sentences, "terms": index.n_terms},
            "files": files,
        })
        for p in tmp.iterdir():  # data reaches the disk before the switch that points at it
            with open(p, "rb") as f:
                os.fsync(f.fileno())
        final = index_dir / f"data-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}"
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
        arrays = {n: np.asarray(np.load(folder / f"{n}.npy", mmap_mode="r", allow_pickle=False)) for n in _ARRAYS}
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
                      vocabulary=folder / "vocabulary.json")
    except IndexDamaged:
        raise
    except (OSError, ValueError, KeyError, TypeError, EOFError) as exc:
        raise IndexDamaged(f"index in {folder} cannot be read: {exc}") from exc
    _check_consistent(index)
    return index


def _check_consistent(index: Index) -> None:
    """Cheap structural checks: lengths that must agree, pointers that must end right."""
    a = index.a
    n_p, n_s, n_t = len(a["passage_doc"]), len(a["sentence_passage"]), len(a["vocab_hash"])
    ok = (
        all(len(a[k]) == n_p for k in _ARRAYS if k.startswith("passage_"))
        and all(len(a[k]) == n_s for k in _ARRAYS if k.startswith("sentence_"))
        and len(a["idf"]) == n_t
        and len(a["P_indptr"]) == n_t + 1 and len(a["S_indptr"]) == n_s + 1
        and int(a["P_indptr"][-1]) == len(a["P_indices"]) == len(a["P_data"])
        and int(a["S_indptr"][-1]) == len(a["S_indices"]) == len(a["S_data"])
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
        index = build(corpus_dir, progress)
        save(index, index_dir)
        return index, True


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
