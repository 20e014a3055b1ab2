"""A teacher adds a document to the corpus folder: checked, named safely, recorded.

``add_document`` is the one way an upload reaches the corpus. It refuses, with a
message a teacher can act on (``UploadRejected``):

- anything over ``MAX_UPLOAD_BYTES``, or empty;
- a name that is not ``.txt``, ``.md``, ``.pdf``, ``.docx``, ``.html`` or ``.htm`` (the
  name is also reduced to safe characters: no folders, no ``..``, no hidden file, so
  nothing lands outside the corpus folder);
- content the tutor cannot read, whatever its name says: the content decides (a PDF
  named ``.txt`` is added as the ``.pdf`` it is; an image named ``.txt`` is refused; a
  scanned PDF, an encrypted one or a damaged Word file is refused with the reason);
- a file of that name already there, unless ``replace=True`` (never a silent
  overwrite), and a file with exactly the same content under another name.

The document's title and attribution go into ``sources.toml`` as a
``[documents."<file>"]`` table (the rest of the manifest, comments included, is kept
as it was). Files are written to a hidden temporary name and then linked or renamed
into place, so the indexer never reads half a file; a lock keeps two uploads from
interleaving.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import time
import tomllib
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path

from tutor.corpus import MANIFEST_NAME, SUFFIXES, title_from_text
from tutor.decoding import Unreadable, decode
from tutor.errors import TutorError
from tutor.extracted import isolated
from tutor.formats import RICH_SUFFIXES, kind_of
from tutor.inputs import clean

# The one upload limit, in megabytes as the browser's upload box counts them (a million
# bytes; it refuses larger files itself, and so does add_document).
MAX_UPLOAD_MB = 5
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1_000_000
MAX_STEM_CHARS = 80
MAX_FIELD_CHARS = 300
FIELDS = ("title", "author", "publisher", "year", "url", "licence")
LOCK_NAME = ".upload.lock"


class UploadRejected(TutorError):
    """An upload that was not added; the message says why, in words for a teacher."""


@dataclass(frozen=True)
class Inspected:
    """An upload as the tutor will read it: ``name`` in the corpus folder, its ``kind``
    ("text", "pdf", "docx" or "html"), its text, and the title found in it."""

    name: str
    kind: str
    text: str
    title: str
    encoding: str = "utf-8"  # of a text file; a PDF, Word or web page is read by its own library
    pages: int = 0
    upload: str = ""  # which upload (file name and bytes) this is: see ``_upload``

    def first_lines(self, n: int = 8) -> list[str]:
        return [line for line in self.text.splitlines() if line.strip()][:n]


def _upload(filename: str, data: bytes) -> str:
    return hashlib.sha256(filename.encode("utf-8", "surrogatepass") + b"\0" + data).hexdigest()


def inspect(filename: str, data: bytes) -> Inspected:
    """Check an upload's size, name and content, and read it as the tutor will; raise
    ``UploadRejected`` with the reason when it cannot be added."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadRejected(f"The file is too large ({len(data) / 1e6:.1f} MB); "
                             f"the limit is {MAX_UPLOAD_MB} MB.")
    if not data:
        raise UploadRejected("The file is empty.")
    name = safe_name(filename)
    stem, suffix = name.rsplit(".", 1)
    try:
        kind = (kind_of(name, data) if name.endswith(RICH_SUFFIXES) or data.startswith((b"%PDF-", b"PK\x03\x04"))
                else "text")
    except Unreadable as exc:
        raise UploadRejected(f"This document cannot be read: {exc}.") from exc
    if kind == "text":
        try:
            text, encoding = decode(data)
        except Unreadable as exc:
            raise UploadRejected(f"This is not a text document: {exc}.") from exc
        return Inspected(name, kind, text, title_from_text(text, name), encoding, upload=_upload(filename, data))
    if kind in ("pdf", "docx") and suffix != kind:
        name = f"{stem}.{kind}"  # the content decides: a PDF saved as .txt is a PDF
    try:
        got = isolated(data, kind)
    except Unreadable as exc:
        raise UploadRejected(f"This document cannot be read: {exc}.") from exc
    return Inspected(name, kind, got.text, got.title or title_from_text(got.text, name), kind, len(got.pages),
                     _upload(filename, data))


@dataclass(frozen=True)
class Added:
    """A document now in the corpus folder: ``name`` is its file name there."""

    name: str
    path: Path
    title: str
    encoding: str
    replaced: bool
    manifest_note: str | None = None  # set when its title could not be written to sources.toml


def safe_name(filename: str) -> str:
    """A file name that stays inside the corpus folder: lower-case letters, digits, dashes.

    >>> safe_name("../../etc/My Notes (final).TXT")
    'my-notes-final.txt'
    >>> safe_name("..\\\\Mao’s speech – 1958.md")
    'maos-speech-1958.md'
    """
    base = re.split(r"[/\\]", str(filename))[-1].strip()
    stem, dot, suffix = base.rpartition(".")
    suffix = "." + suffix.lower() if dot else ""
    if suffix not in SUFFIXES:
        shown = suffix or "no extension"
        raise UploadRejected(f"Only .txt and .md files, PDF (.pdf), Word (.docx) and web pages (.html) "
                             f"can be added (this one has {shown}).")
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_stem).strip("-")[:MAX_STEM_CHARS].strip("-")
    if not slug:  # a name in another script: keep it distinct, not "document" for all
        slug = "document-" + hashlib.sha256(stem.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return slug + suffix


def _field(value) -> str | None:
    """One line of cleaned text, at most ``MAX_FIELD_CHARS``; None when blank."""
    if value is None:
        return None
    text = " ".join(clean(str(value)).split())[:MAX_FIELD_CHARS]
    return text or None


def toml_string(value: str) -> str:
    """A TOML basic string holding ``value`` exactly."""
    out = []
    for ch in value:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _entry(name: str, meta: dict[str, str]) -> str:
    lines = [f"[documents.{toml_string(name)}]"]
    lines += [f"{k} = {toml_string(v)}" for k, v in meta.items()]
    lines.append(f"added = {toml_string(time.strftime('%Y-%m-%d %H:%M'))}")
    return "\n".join(lines) + "\n"


def _without_entry(text: str, name: str) -> str:
    """The manifest with the table ``[documents."<name>"]`` (in any quoting) taken out."""
    key = re.escape(name)
    header = re.compile(rf"""^\s*\[\s*documents\s*\.\s*(?:"{key}"|'{key}'|{key})\s*\]\s*(?:#.*)?$""")
    out, skipping = [], False
    for line in text.splitlines(keepends=True):
        if header.match(line):
            skipping = True
            continue
        if skipping and re.match(r"^\s*\[", line):
            skipping = False
        if not skipping:
            out.append(line)
    return "".join(out)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.parent / f".upload-{uuid.uuid4().hex[:12]}.part"
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def record(corpus_dir: Path, name: str, meta: dict[str, str]) -> str | None:
    """Write ``name``'s table into ``sources.toml``; a note instead when that cannot be done."""
    path = corpus_dir / MANIFEST_NAME
    try:
        old = path.read_text(encoding="utf-8-sig") if path.exists() else ""
        tomllib.loads(old)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        return f"{MANIFEST_NAME} has an error ({exc}), so the title and attribution were not saved; fix it first."
    kept = _without_entry(old, name).rstrip("\n")
    new = (kept + "\n\n" if kept else "") + _entry(name, meta)
    try:
        parsed = tomllib.loads(new)
    except tomllib.TOMLDecodeError as exc:  # e.g. the entry was written inline, where we cannot take it out
        return f"{MANIFEST_NAME} could not be updated ({exc}); add the title there by hand."
    entry = parsed.get("documents", {})
    entry = entry.get(name) if isinstance(entry, dict) else None
    if not isinstance(entry, dict) or entry.get("title") != meta["title"]:
        return f"{MANIFEST_NAME} could not be updated; add the title there by hand."
    _write_atomic(path, new.encode("utf-8"))
    return None


def _same_content(corpus_dir: Path, data: bytes, name: str) -> str | None:
    """The name of a document already holding exactly these bytes (other than ``name``)."""
    digest = hashlib.sha256(data).digest()
    for p in sorted(corpus_dir.iterdir()):
        if p.name == name or p.name.startswith(".") or p.suffix.lower() not in SUFFIXES:
            continue
        try:
            if p.is_file() and p.stat().st_size == len(data) and hashlib.sha256(p.read_bytes()).digest() == digest:
                return p.name
        except OSError:
            continue
    return None


def add_document(corpus_dir: Path | str, filename: str, data: bytes, title: str | None = None, *,
                 author: str | None = None, publisher: str | None = None, year: str | None = None,
                 url: str | None = None, licence: str | None = None, replace: bool = False,
                 seen: Inspected | None = None) -> Added:
    """Check an uploaded file and add it to ``corpus_dir``; see the module docstring.
    ``seen`` is what ``inspect`` made of this very upload (the teacher was shown it): a
    PDF is not read a second time."""
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise UploadRejected("The documents folder is missing, so nothing can be added.")
    if seen is None or seen.upload != _upload(filename, data):
        seen = inspect(filename, data)
    name = seen.name
    encoding = seen.encoding
    meta = {"title": _field(title) or seen.title}
    for key, value in (("author", author), ("publisher", publisher), ("year", year), ("url", url),
                       ("licence", licence)):
        if (v := _field(value)) is not None:
            meta[key] = v
    dest = corpus_dir / name
    with open(corpus_dir / LOCK_NAME, "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        exists = dest.exists() or dest.is_symlink()
        if exists and not replace:
            raise UploadRejected(f"A document named {name} is already in the library. "
                                 "Tick “Replace” to replace it, or rename the file.")
        if exists and not dest.is_file():
            raise UploadRejected(f"{name} is in the documents folder but is not a plain file; it was left alone.")
        twin = _same_content(corpus_dir, data, name)
        if twin:
            raise UploadRejected(f"This document is already in the library, as {twin}.")
        # The title first: a document whose manifest entry lags would be indexed twice.
        note = record(corpus_dir, name, meta)
        if exists:
            _write_atomic(dest, data)
        else:
            tmp = corpus_dir / f".upload-{uuid.uuid4().hex[:12]}.part"
            try:
                with open(tmp, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
                os.link(tmp, dest)  # fails rather than overwrite a file that appeared meanwhile
            except FileExistsError as exc:
                raise UploadRejected(f"A document named {name} appeared meanwhile; try again.") from exc
            finally:
                tmp.unlink(missing_ok=True)
    return Added(name, dest, meta["title"], encoding, exists, note)
