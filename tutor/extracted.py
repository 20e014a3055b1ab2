"""The text extracted from PDF, Word and web-page files, kept on disk beside the index.

``TextStore`` keeps each extraction as ``<digest>.txt`` (the text, UTF-8) and
``<digest>.json`` (its title, pages and headings, or why the file could not be read),
keyed by the file's bytes: a document is extracted once, and again only when it changes.
Files are written whole under a temporary name and renamed, so a reader never sees half.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import stat
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from tutor.corpus import MAX_FILE_BYTES, read_extracted
from tutor.decoding import Unreadable
from tutor.formats import MAX_SOURCE_BYTES, RICH_SUFFIXES, VERSION, Extracted, extract, kind_of

EXTRACT_SECONDS = 120.0  # a file that takes longer to read is refused (a pathological PDF would hang a build)
EXTRACT_MEMORY = 2 << 30  # bytes a reading may take beyond what its process held (a PDF's streams, unpacked)


@dataclass(frozen=True)
class Extraction:
    """An extraction kept on disk: ``text_path`` holds the text (UTF-8), ``kind`` is
    "pdf", "docx" or "html"; the rest as in ``Extracted``."""

    text_path: str
    kind: str
    title: str | None
    pages: tuple[int, ...]
    sections: tuple[tuple[int, str], ...]

    def read(self) -> str:
        return read_extracted(self.text_path)


# -- kept on disk ---------------------------------------------------------------------------

class TextStore:
    """Extractions kept in ``folder``, one pair of files per distinct file content; a
    folder that cannot be written is replaced by a temporary one."""

    def __init__(self, folder: Path | str | None = None):
        self.folder = Path(folder) if folder is not None else None

    def _ready(self) -> Path:
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix="tutor-texts-"))
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            if not os.access(self.folder, os.W_OK):
                raise PermissionError(self.folder)
        except OSError:
            self.folder = Path(tempfile.mkdtemp(prefix="tutor-texts-"))
        return self.folder

    def extract(self, path: Path) -> Extraction | None:
        """The kept extraction of the file ``path`` (made now if there is none); None for a
        text file; ``Unreadable`` with the reason when it cannot be read."""
        name = path.name
        if not name.lower().endswith(RICH_SUFFIXES):
            return None
        with _opened(path) as f:
            data = f.read(MAX_SOURCE_BYTES + 1)
        if len(data) > MAX_SOURCE_BYTES:
            raise Unreadable(f"too large (the limit is {MAX_SOURCE_BYTES // (1024 * 1024)} MB)")
        if len(data) > MAX_FILE_BYTES and not data.startswith((b"%PDF-", b"PK\x03\x04")):
            raise Unreadable(f"too large (the limit is {MAX_FILE_BYTES // (1024 * 1024)} MB)")
        return self.kept(data, kind_of(name, data))

    def kept(self, data: bytes, kind: str) -> Extraction:
        folder = self._ready()
        key = hashlib.sha256(data).hexdigest()[:32]
        meta_path, text_path = folder / f"{key}.json", folder / f"{key}.txt"
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            if meta.get("version") == VERSION and meta.get("kind") == kind and (
                    "error" in meta or text_path.is_file()):
                return _from_meta(meta, text_path)
        except (OSError, ValueError):
            pass
        try:
            got = isolated(data, kind)
            meta = {"version": VERSION, "kind": kind, "title": got.title, "pages": list(got.pages),
                    "sections": [list(s) for s in got.sections]}
            _write(text_path, got.text)
        except Unreadable as exc:
            meta = {"version": VERSION, "kind": kind, "error": str(exc)}
        _write(meta_path, json.dumps(meta, ensure_ascii=False))
        return _from_meta(meta, text_path)


def _from_meta(meta: dict, text_path: Path) -> Extraction:
    if "error" in meta:
        raise Unreadable(meta["error"])
    return Extraction(str(text_path), meta["kind"], meta["title"], tuple(meta["pages"]),
                      tuple((int(a), str(h)) for a, h in meta["sections"]))


def _opened(path: Path):
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # a pipe under a document's name would block a read
            raise Unreadable("not a regular file")
        return open(path, "rb")
    except FileNotFoundError as exc:
        raise Unreadable("the file disappeared while it was being read") from exc
    except OSError as exc:
        raise Unreadable(f"cannot be read ({exc.strerror or exc})") from exc


def _write(path: Path, text: str) -> None:
    """Written whole under a temporary name, then renamed: a reader never sees half."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
    tmp.write_text(text, encoding="utf-8", newline="\n")
    os.replace(tmp, path)



# -- read apart from the server -------------------------------------------------------------

def isolated(data: bytes, kind: str) -> Extracted:
    """``formats.extract`` in a child process (``python -m tutor.extracted KIND``, the file on
    its standard input), stopped after ``EXTRACT_SECONDS`` and held to ``EXTRACT_MEMORY``
    more memory than it starts with: a file that would hang or exhaust the server (a
    decompression bomb inside a PDF) is refused with a reason, not served. A fresh
    interpreter, not a fork: the app's server runs threads, and its main module is a page."""
    command = [sys.executable, "-m", "tutor.extracted", kind, str(EXTRACT_MEMORY)]
    try:
        done = subprocess.run(command, input=data, capture_output=True, timeout=EXTRACT_SECONDS,
                              cwd=Path(__file__).resolve().parent.parent)
    except subprocess.TimeoutExpired:
        raise Unreadable(f"it took too long to read (over {EXTRACT_SECONDS:.0f} seconds)") from None
    try:
        out = json.loads(done.stdout)
    except ValueError:  # the reader died: out of memory, or a parser's crash
        raise Unreadable("too large once unpacked, or damaged (the reader stopped)") from None
    if "error" in out:
        raise Unreadable(out["error"])
    return Extracted(out["text"], out["title"], tuple(out["pages"]), tuple((int(a), str(h)) for a, h in out["sections"]))


def _limit_memory(extra: int) -> None:
    """Let this process take at most ``extra`` bytes more address space than it holds now."""
    try:
        import resource

        with open("/proc/self/status", encoding="ascii") as f:
            held = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = held + extra if hard == resource.RLIM_INFINITY else min(hard, held + extra)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, OSError, ValueError, StopIteration):
        pass  # (no such limit here: the time limit still holds)


def _main(argv: list[str]) -> None:
    kind, extra = argv[0], int(argv[1])
    data = sys.stdin.buffer.read()
    for module in ("pdfminer.high_level", "docx", "bs4"):  # the readers' own code is not what the limit is for
        importlib.import_module(module)
    _limit_memory(extra)
    try:
        got = extract(data, kind)
        out = {"text": got.text, "title": got.title, "pages": list(got.pages), "sections": [list(x) for x in got.sections]}
    except Unreadable as exc:
        out = {"error": str(exc)}
    except MemoryError:
        out = {"error": "too large once unpacked"}
    sys.stdout.buffer.write(json.dumps(out).encode("ascii"))


if __name__ == "__main__":
    _main(sys.argv[1:])
