"""Find, decode and describe the documents of a corpus folder.

A document's ``text`` is exactly what ``Path(path).read_text(encoding=...)`` returns
for the encoding the file was found to be in (universal newlines included), so that
every ``[start, end)`` range the tutor reports slices the file as a reader of it would.
"""

from __future__ import annotations

import bisect
import hashlib
import os
import re
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from tutor.decoding import Unreadable, decode
from tutor.errors import CorpusError

MANIFEST_NAME = "sources.toml"
SUFFIXES = (".txt", ".md", ".pdf", ".docx", ".html", ".htm")  # (tutor.formats reads the last four)
MAX_FILE_BYTES = 20 * 1024 * 1024
# The files that mark an index folder (store.CURRENT, store.LOCK): the walk never enters
# one, whatever its name, so an index kept inside the corpus folder is not read as documents.
INDEX_FILES = ("CURRENT", ".lock")


@dataclass(frozen=True)
class Document:
    """One readable source document, as found under the corpus folder.

    ``rel`` is its path under the folder (``/`` between folders), ``path`` that path
    joined to the folder, ``sha256`` the digest of its text (``sha256``), which is
    ``Path(path).read_text(encoding=encoding)``: ``Texts`` reads it when it is wanted.
    """

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
    # A PDF, Word or web-page file: the text the tutor read from it (``tutor.extracted``),
    # where its pages begin (PDF) and its headings, as offsets into that text.
    text_path: str | None = None
    kind: str | None = None  # "pdf", "docx" or "html"
    pages: tuple[int, ...] = ()
    sections: tuple[tuple[int, str], ...] = ()

    def page_at(self, offset: int) -> int | None:
        """The 1-based page of a PDF on which ``offset`` of its text lies."""
        return max(1, bisect.bisect_right(self.pages, offset)) if self.pages else None

    def section_at(self, offset: int) -> str | None:
        """The nearest heading at or above ``offset``, when the document has headings."""
        k = bisect.bisect_right([a for a, _ in self.sections], offset)
        return self.sections[k - 1][1] if k else None


@dataclass(frozen=True)
class Skipped:
    """A file under the corpus folder that was not indexed, and why, in plain words."""

    path: str
    reason: str


@dataclass(frozen=True)
class FileStamp:
    """What identifies one corpus file's state on disk without reading it. The change
    time tells a rewrite that kept the size and modification time (``cp -p``, ``rsync
    -a``, an archive): every write sets it to now, and ``os.utime`` cannot set it back."""

    rel: str
    size: int
    mtime_ns: int
    ctime_ns: int


@dataclass(frozen=True)
class CorpusInfo:
    """The corpus-wide settings of ``sources.toml``: its title and starter questions."""

    title: str = "Course documents"
    description: str = ""
    starter_questions: tuple[str, ...] = field(default_factory=tuple)


def candidate_rels(corpus_dir: Path) -> list[str]:
    """Every ``.txt``/``.md`` file under ``corpus_dir`` (outside hidden and index folders),
    and every link to a folder (never followed: ``drop_links`` says why), as a path
    relative to it with ``/`` between folders, sorted (strings, not ``Path`` objects: a
    corpus can hold tens of thousands of files, and the freshness check walks it on
    every load)."""
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder not found: {corpus_dir}")
    top = str(corpus_dir)
    rels = []
    for root, dirs, names in os.walk(top):
        dirs[:] = [d for d in dirs if not d.startswith(".")
                   and not any(os.path.exists(os.path.join(root, d, f)) for f in INDEX_FILES)]
        folder = os.path.relpath(root, top)
        prefix = "" if folder == "." else folder.replace(os.sep, "/") + "/"
        rels.extend(prefix + d for d in dirs if os.path.islink(os.path.join(root, d)))
        rels.extend(prefix + name for name in names
                    if not name.startswith(".") and name.lower().endswith(SUFFIXES))
    rels.sort()
    return rels


def drop_links(corpus_dir: Path, rels: list[str]) -> tuple[list[str], list[Skipped]]:
    """``rels`` without the links that are not read, and those as ``Skipped``: a link out
    of the corpus folder (a link to ``/etc/passwd`` must never be quoted to a class), to
    a folder, or to a document read under its own name (the same text twice crowds answers)."""
    top = os.path.realpath(corpus_dir)
    known = set(rels)
    kept, skipped = [], []
    for rel in rels:
        path = str(Path(corpus_dir) / rel)
        if not os.path.islink(path):  # (the walk enters no linked folder: only the last part can be one)
            kept.append(rel)
            continue
        target = os.path.realpath(path)
        what = "folder" if os.path.isdir(target) else "file"
        inner = os.path.relpath(target, top).replace(os.sep, "/")
        if not target.startswith(top + os.sep):
            skipped.append(Skipped(path, f"a link to a {what} outside the corpus folder"))
        elif what == "folder":
            skipped.append(Skipped(path, "a link to a folder (links to folders are not followed)"))
        elif inner != rel and inner in known:
            skipped.append(Skipped(path, f"a link to {inner}, which is read itself"))
        else:
            kept.append(rel)
    return kept, skipped


def stamps(corpus_dir: Path, rels: list[str] | None = None) -> list[FileStamp]:
    """Size, modification and change times of every candidate file (and of the manifest); of
    the files ``rels`` (from ``candidate_rels``) when given."""
    top = str(corpus_dir)
    rels = candidate_rels(corpus_dir) if rels is None else list(rels)
    if os.path.isfile(os.path.join(top, MANIFEST_NAME)):
        rels.append(MANIFEST_NAME)
    out = []
    for rel in rels:
        try:
            st = os.stat(os.path.join(top, rel))
        except OSError:
            continue
        out.append(FileStamp(rel, st.st_size, st.st_mtime_ns, st.st_ctime_ns))
    return out


def read_file(path: Path) -> tuple[str, str]:
    """Read and decode one file; raise ``Unreadable`` with a reason when it is not text."""
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):  # a pipe or device under a .txt name would block a read
            raise Unreadable("not a regular file")
        size = st.st_size
        if size > MAX_FILE_BYTES:
            raise Unreadable(f"too large ({size // (1024 * 1024)} MB; the limit is {MAX_FILE_BYTES // (1024 * 1024)} MB)")
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise Unreadable("the file disappeared while it was being read") from exc
    except OSError as exc:
        raise Unreadable(f"cannot be read ({exc.strerror or exc})") from exc
    return decode(data)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def doc_id_for(rel: str) -> str:
    """A readable, stable id from a file's path under the corpus folder."""
    stem = rel.rsplit(".", 1)[0].lower()
    slug = re.sub(r"[^a-z0-9]+", "-", stem).strip("-")
    return slug or "document"


def load_manifest(corpus_dir: Path) -> tuple[CorpusInfo, dict[str, dict], list[Skipped]]:
    """Parse ``sources.toml``; a broken manifest is reported, never fatal."""
    path = Path(corpus_dir) / MANIFEST_NAME
    if not path.is_file():
        return CorpusInfo(), {}, []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        return CorpusInfo(), {}, [Skipped(str(path), f"manifest ignored: {exc}")]
    corpus = data.get("corpus", {}) if isinstance(data.get("corpus"), dict) else {}
    questions = corpus.get("starter_questions", [])
    info = CorpusInfo(
        title=str(corpus.get("title", CorpusInfo.title)),
        description=str(corpus.get("description", "")),
        starter_questions=tuple(str(q) for q in questions if isinstance(q, str)),
    )
    docs = data.get("documents", {})
    return info, {k: v for k, v in docs.items() if isinstance(v, dict)}, []


def title_from_text(text: str, rel: str) -> str:
    """A fallback title: the first short line of the text, else the file name."""
    for line in text.splitlines()[:5]:
        line = line.strip().lstrip("#").strip()
        if line and len(line) <= 120 and len(line.split()) <= 16:
            return line
    return Path(rel).stem.replace("-", " ").replace("_", " ").strip().capitalize() or rel


def _opt(meta: dict, key: str) -> str | None:
    value = meta.get(key)
    return None if value is None else str(value)


def make_document(corpus_dir: Path, path: Path, text: str, encoding: str, meta: dict, doc_id: str,
                  extraction=None) -> Document:
    """The ``Document`` of the file ``path`` under ``corpus_dir``, whose text is ``text``;
    ``meta`` is its entry in ``sources.toml`` (title, author, ...); ``extraction`` (a
    ``tutor.extracted.Extraction``) where its text was extracted from a PDF, Word or web page."""
    rel = path.relative_to(corpus_dir).as_posix()
    found = extraction.title if extraction is not None else None
    return Document(
        doc_id=doc_id,
        rel=rel,
        path=str(path),
        title=str(meta.get("title") or found or title_from_text(text, rel)),
        encoding=encoding,
        sha256=sha256(text),
        author=_opt(meta, "author"),
        publisher=_opt(meta, "publisher"),
        year=_opt(meta, "year"),
        url=_opt(meta, "url"),
        licence=_opt(meta, "licence") or _opt(meta, "license"),
        note=_opt(meta, "note"),
        **({"text_path": extraction.text_path, "kind": extraction.kind, "pages": extraction.pages,
            "sections": extraction.sections} if extraction is not None else {}),
    )


def unique_ids(rels: list[str]) -> dict[str, str]:
    """Map each relative path to a doc id, adding a suffix where two paths slug alike."""
    seen: dict[str, int] = {}
    out = {}
    for rel in rels:
        base = doc_id_for(rel)
        n = seen.get(base, 0)
        seen[base] = n + 1
        out[rel] = base if n == 0 else f"{base}-{n + 1}"
    return out


class Texts:
    """The texts of ``docs`` by number, read from disk when first asked for, then kept.

    Raises ``Unreadable`` for a document that can no longer be read.
    """

    def __init__(self, docs: list[Document], known: dict[int, str] | None = None):
        self.docs = docs
        self._texts: dict[int, str] = dict(known or {})

    def __getitem__(self, d: int) -> str:
        text = self._texts.get(d)
        if text is None:
            doc = self.docs[d]
            text = self._texts[d] = read_extracted(doc.text_path) if doc.text_path else read_file(Path(doc.path))[0]
        return text


def read_extracted(text_path: str) -> str:
    """The text extracted from a PDF, Word or web page (``tutor.formats``), as kept."""
    try:
        return Path(text_path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise Unreadable(f"its extracted text cannot be read ({exc})") from exc
