"""The index on disk: save, load, and whether the one there is current.

On disk the index is data, never code: arrays as ``.npy`` (loaded memory-mapped,
``allow_pickle=False``), the vocabulary as UTF-8 text, one term per line (a term is
words, which hold no line break, joined by a space), the rest as JSON.
``manifest.json`` holds the format version, the build settings, a fingerprint of the
corpus (every file's size, modification and change times) and the size and SHA-256
of every other file. A build is written to a new folder and switched into place by
replacing the one-line file ``CURRENT``, so that a crash mid-write leaves the previous
index in force and readers never see a mixture.

An index is rebuilt when the corpus changed, or when it was made with other
``SETTINGS`` or another ``FORMAT_VERSION``: raise the version when a change to the
analysis, cleaning or chunking changes what an index holds.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Callable

import numpy as np

from tutor import build as _build
from tutor import analysis, chunking, sentences
from tutor import index as _index
from tutor.chunking import SentenceSplitter
from tutor.corpus import INDEX_FILES, CorpusInfo, Document, FileStamp, Skipped, Texts, stamps
from tutor.errors import CorpusError, IndexDamaged
from tutor.index import ARRAYS, Index

FORMAT_VERSION = 9  # 9: documents may be PDF, Word or web pages (text_path, pages, sections)
TEXTS = "texts"  # the folder, beside the index folders, of the text extracted from PDF, Word and web pages
SETTINGS = {
    "analyzer": "tutor.analysis.terms (regex words, lower case, 'vs' as 'versus', stop words, Snowball (PyStemmer))",
    "word_pairs": analysis.WORD_PAIRS,
    "sublinear_tf": _index.SUBLINEAR_TF,
    "pivot_slopes": [_build.PIVOT_SLOPE, sentences.PIVOT_SLOPE],
    "idf": "smooth",
    "pairs_kept_above_passages": _build.BIGRAM_PRUNE_PASSAGES,
    "shared_line_documents": _build.SHARED_LINE_DOCUMENTS,
    "passage_chars": [chunking.MIN_CHARS, chunking.MAX_CHARS],
    "punkt_training_chars": chunking.TRAINING_CHARS,
}
CURRENT, LOCK = INDEX_FILES  # (which mark the folder as an index for the corpus's walk)
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
            h.update(f.read())
        else:
            h.update(str(size).encode())
            for k in range(64):
                f.seek((size - (1 << 16)) * k // 63)
                h.update(f.read(1 << 16))
    return h.hexdigest()


def _write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _write_files(index: Index, folder: Path) -> None:
    """Every file of ``index`` but the manifest, into ``folder``."""
    for name in ARRAYS:
        np.save(folder / f"{name}.npy", np.ascontiguousarray(index.a[name]), allow_pickle=False)
    (folder / "vocabulary.txt").write_text("".join(f"{t}\n" for t in index.vocabulary), encoding="utf-8",
                                           errors="surrogatepass", newline="\n")
    _write_json(folder / "words.json", index.words)
    _write_json(folder / "names.json", sorted(index.names))
    (folder / "punkt.json").write_text(index.splitter.to_json(), encoding="utf-8")
    # An extracted text is named by its file alone: the index folder may be moved or reached by another path.
    _write_json(folder / "documents.json", [_document_json(d) for d in index.docs])
    _write_json(folder / "corpus.json", {"info": asdict(index.info), "skipped": [asdict(s) for s in index.skipped]})


def save(index: Index, index_dir: Path | str) -> Path:
    """Write ``index`` to a new folder under ``index_dir`` and make it the current one."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    tmp = index_dir / f".build-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        _keep_texts(index, index_dir / TEXTS)
        _write_files(index, tmp)
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
        if (index_dir / CURRENT).is_dir() and not (index_dir / CURRENT).is_symlink():
            shutil.rmtree(index_dir / CURRENT)  # a folder in its place: no file can replace it
        os.replace(pointer, index_dir / CURRENT)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _prune(index_dir, keep={final.name})
    return final


def _keep_texts(index: Index, texts: Path) -> None:
    """Copy into ``texts`` the extracted texts of ``index`` kept elsewhere (a build's temporary folder)."""
    for d in index.docs:
        if d.text_path and Path(d.text_path).parent.resolve() != texts.resolve():
            texts.mkdir(exist_ok=True)
            for source in (Path(d.text_path), Path(d.text_path).with_suffix(".json")):
                if source.is_file() and not (texts / source.name).is_file():
                    shutil.copyfile(source, texts / source.name)


def _prune(index_dir: Path, keep: set[str]) -> None:
    """Remove older index folders and abandoned builds (those of dead processes)."""
    folders = sorted((p for p in index_dir.glob("data-*") if p.is_dir()), key=lambda p: p.name)
    previous = [p for p in folders if p.name not in keep][-1:]  # a reader may still be opening it
    for p in folders:
        if p.name not in keep and p not in previous:
            shutil.rmtree(p, ignore_errors=True)
    _prune_texts(index_dir, [p for p in folders if p.name in keep or p in previous])
    for p in index_dir.glob(".build-*"):
        try:
            pid = int(p.name.split("-")[1])
            os.kill(pid, 0)
        except (ValueError, IndexError, ProcessLookupError):
            shutil.rmtree(p, ignore_errors=True)
        except PermissionError:
            pass


def current_folder(index_dir: Path | str) -> Path:
    """The folder ``CURRENT`` names; ``IndexDamaged`` when there is none."""
    index_dir = Path(index_dir)
    try:
        name = (index_dir / CURRENT).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise IndexDamaged(f"no index in {index_dir}") from exc
    if not name.startswith("data-") or "/" in name or not (index_dir / name).is_dir():
        raise IndexDamaged(f"index pointer in {index_dir} names no index folder")
    return index_dir / name


def load(index_dir: Path | str, corpus_dir: Path | str, verify: bool = True) -> Index:
    """Load the current index; raise ``IndexDamaged`` when it is absent or not whole.
    ``verify`` checks every file's digest, not only its size."""
    folder = current_folder(index_dir)
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
            raise IndexDamaged(f"index manifest in {folder} is damaged")
        if manifest.get("format_version") != FORMAT_VERSION or manifest.get("settings") != SETTINGS:
            raise IndexDamaged("index was built by another version of the tutor")
        for name, meta in manifest["files"].items():
            p = folder / name
            if p.stat().st_size != meta["size"] or (verify and _digest(p) != meta["digest"]):
                raise IndexDamaged(f"index file {name} is damaged")
        # Memory-mapped (the OS pages them in as read), as plain arrays: memmap's subclass
        # costs a few microseconds on every slice, and a query takes thousands.
        arrays = {n: np.asarray(np.load(folder / f"{n}.npy", mmap_mode="r", allow_pickle=False)) for n in ARRAYS}

        def read(name: str):
            return json.loads((folder / name).read_text(encoding="utf-8"))

        docs = [_document(d, corpus_dir, Path(index_dir) / TEXTS) for d in read("documents.json")]
        corpus = read("corpus.json")
        info = CorpusInfo(**{**corpus["info"], "starter_questions": tuple(corpus["info"]["starter_questions"])})
        index = Index(docs, arrays, read("words.json"), frozenset(read("names.json")),
                      SentenceSplitter.from_json((folder / "punkt.json").read_text(encoding="utf-8")), info,
                      [Skipped(**s) for s in corpus["skipped"]], [FileStamp(**s) for s in manifest["fingerprint"]],
                      Texts(docs), folder / "vocabulary.txt")
    except IndexDamaged:
        raise
    except (OSError, ValueError, KeyError, TypeError, EOFError, RecursionError) as exc:  # (JSON nested too deep)
        raise IndexDamaged(f"index in {folder} cannot be read: {exc}") from exc
    index.check_consistent()
    return index


def _document_json(d: Document) -> dict:
    out = asdict(d)
    if not d.text_path:  # a text file (most of a corpus): nothing to say of pages or sections
        del out["text_path"], out["kind"], out["pages"], out["sections"]
        return out
    return {**out, "text_path": os.path.basename(d.text_path)}


def _document(d: dict, corpus_dir: Path | str, texts: Path) -> Document:
    """A ``Document`` as ``documents.json`` holds it; ``IndexDamaged`` when its extracted text is gone."""
    if d.get("text_path"):
        d = {**d, "text_path": str(texts / d["text_path"]), "pages": tuple(d["pages"]),
             "sections": tuple((int(a), str(h)) for a, h in d["sections"])}
        if not os.path.isfile(d["text_path"]):
            raise IndexDamaged(f"the text extracted from {d['rel']} is missing")
    return Document(**{**d, "path": _joined(Path(corpus_dir), d["rel"])})


def _prune_texts(index_dir: Path, folders: list[Path]) -> None:
    """Remove the extracted texts no index folder in ``folders`` uses (of changed or removed files)."""
    keep = set()
    for folder in folders:
        try:
            docs = json.loads((folder / "documents.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return  # cannot tell what it uses: keep everything
        keep |= {d["text_path"].rsplit(".", 1)[0] for d in docs if d.get("text_path")}
    texts = index_dir / TEXTS
    for p in texts.glob("*.txt"):  # (a refusal, a .json alone, stays: a bad file is not read again)
        if p.stem not in keep:
            p.unlink(missing_ok=True)
            p.with_suffix(".json").unlink(missing_ok=True)


def _joined(folder: Path, rel: str) -> str:
    """``str(folder / rel)`` for a path ``rel`` under ``folder`` (``/`` between folders),
    as strings: pathlib's join costs a quarter of a second over 20,000 documents."""
    base = str(folder)
    rel = rel.replace("/", os.sep)
    return rel if base == "." else os.path.join(base, rel)


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


def _folders(corpus_dir: Path | str, index_dir: Path | str) -> tuple[Path, Path]:
    corpus_dir, index_dir = Path(corpus_dir), Path(index_dir)
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder not found: {corpus_dir}")
    if index_dir.resolve() == corpus_dir.resolve():  # (a folder inside it is fine: the walk skips it)
        raise CorpusError(f"the index cannot be kept in the documents folder itself ({corpus_dir}): "
                          "give --index another folder, or one inside it")
    return corpus_dir, index_dir


def ensure_index(corpus_dir: Path | str, index_dir: Path | str,
                 progress: Callable[[int, int], None] | None = None) -> tuple[Index, bool]:
    """Load the index, or (re)build it when missing, damaged or stale; ``(index, rebuilt)``.

    When the folder ``index_dir`` cannot be written (read-only, a full disk), the index is
    built all the same and served from memory, and ``index.unsaved`` says why: an older
    index there would quote documents as they were, at offsets they may no longer have.
    """
    corpus_dir, index_dir = _folders(corpus_dir, index_dir)
    if (index := _fresh(index_dir, corpus_dir)) is not None:
        return index, False
    index_dir.mkdir(parents=True, exist_ok=True)  # a path that cannot be a folder is a bad argument
    try:
        lock = open(index_dir / LOCK, "a+")
    except OSError as exc:
        return _unsaved(_build.build(corpus_dir, progress, index_dir / TEXTS), index_dir, exc), True
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may have built it while we waited
        if (index := _fresh(index_dir, corpus_dir)) is not None:
            return index, False
        index = _build.build(corpus_dir, progress, index_dir / TEXTS)
        try:
            save(index, index_dir)
        except OSError as exc:
            return _unsaved(index, index_dir, exc), True
        # Read back as a load reads it: memory-mapped arrays the OS can share and page out,
        # rather than the build's held for as long as a server runs.
        return load(index_dir, corpus_dir, verify=False), True


def _unsaved(index: Index, index_dir: Path, exc: OSError) -> Index:
    index.unsaved = (f"the index could not be saved in {index_dir} ({exc.strerror or exc}); it was built from "
                     "the documents as they are now, and is built again each time until that folder can be written")
    return index


def rebuild(corpus_dir: Path | str, index_dir: Path | str,
            progress: Callable[[int, int], None] | None = None) -> Index:
    """Build the index from scratch and make it current (``tutor index``)."""
    corpus_dir, index_dir = _folders(corpus_dir, index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / LOCK, "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        index = _build.build(corpus_dir, progress, index_dir / TEXTS)
        save(index, index_dir)
    return index
