"""Reading teachers' files: encodings, bad files, titles and attribution."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import read_corpus
from tutor.corpus import candidate_rels, stamps, unique_ids
from tutor.decoding import Unreadable, decode
from tutor.errors import CorpusError


@pytest.mark.parametrize("data, encoding", [
    ("Mao’s plan\r\nwas bold.".encode("utf-8"), "utf-8-sig"),
    (b"\xef\xbb\xbf" + "Mao’s plan".encode("utf-8"), "utf-8-sig"),
    ("Mao’s plan".encode("cp1252"), "cp1252"),
    ("Mao’s plan\r\n".encode("utf-16"), "utf-16"),
])
def test_text_is_decoded_as_read_text_reads_it(tmp_path: Path, data: bytes, encoding: str):
    path = tmp_path / "doc.txt"
    path.write_bytes(data)
    text, found = decode(data)
    assert found == encoding
    assert text == path.read_text(encoding=encoding)
    assert "Mao’s plan" in text


@pytest.mark.parametrize("data, reason", [
    (b"", "empty"),
    (b"  \n\t\n", "white space"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
])
def test_unreadable_files_give_a_reason(data: bytes, reason: str):
    with pytest.raises(Unreadable, match=reason):
        decode(data)


@pytest.mark.parametrize("text, binary", [
    ("Canals carried coal.\n" * 20, False),
    ("Canals\tcarried\fcoal.\n" * 20, False),  # tabs and form feeds are white space
    ("Canals carried coal.\x07\x1b\n" * 20, True),  # ASCII controls: a terminal log or binary
    ("Canals carried coal.\x85\x9b\n" * 20, True),  # C1 controls (not ASCII): cp1252 bytes misread
    ("Canals carried coal, ça va.\x07\x1b\n" * 20, True),
    ("Canals carried coal.\x07" * 3 + "é", False),  # a few are tolerated
])
def test_text_made_mostly_of_control_characters_is_refused_as_binary(text: str, binary: bool):
    from tutor.decoding import _looks_binary
    assert _looks_binary(text) == binary
    if binary:
        with pytest.raises(Unreadable, match="control characters"):
            decode(text.encode("utf-8"))


def test_bad_files_are_skipped_and_good_ones_kept(tmp_path: Path):
    (tmp_path / "good.md").write_text("# Canals\n\nCanals carried coal before railways.", encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4")
    docs, skipped, _ = read_corpus(tmp_path)
    assert [d.doc_id for d in docs] == ["good"]
    assert docs[0].title == "Canals"  # no manifest entry: the first line
    reasons = {Path(s.path).name: s.reason for s in skipped}
    assert sorted(reasons) == ["empty.txt", "image.txt", "notes.pdf"]
    assert reasons["notes.pdf"] == "a damaged or incomplete PDF"  # a PDF is read now, but this is no whole one


def test_manifest_gives_titles_and_attribution(corpus_dir: Path):
    docs, _, info = read_corpus(corpus_dir)
    by_id = {d.doc_id: d for d in docs}
    assert by_id["cities-and-railways"].author == "Ada Example"
    assert by_id["cities-and-railways"].publisher == "Example School Press"
    assert by_id["a-short-history"].title == "A Short History of British Industry"
    assert info.starter_questions[0] == "Who invented the spinning jenny?"


def test_a_broken_manifest_does_not_stop_the_corpus(corpus_dir: Path):
    (corpus_dir / "sources.toml").write_text("[documents\nbroken = ", encoding="utf-8")
    docs, skipped, _ = read_corpus(corpus_dir)
    assert len(docs) == 3
    assert any("manifest ignored" in s.reason for s in skipped)


def test_a_missing_folder_is_a_clear_error(tmp_path: Path):
    with pytest.raises(CorpusError, match="not found"):
        read_corpus(tmp_path / "nowhere")


def test_the_shipped_corpus_has_five_attributed_documents():
    root = Path(__file__).resolve().parent.parent / "corpus"
    docs, skipped, info = read_corpus(root)
    assert len(docs) == 5 and not skipped
    assert all(d.title and (d.author or d.note) for d in docs)
    assert len(info.starter_questions) >= 3


def test_control_characters_are_those_of_unicode_category_cc():
    import sys
    import unicodedata

    from tutor.decoding import _CONTROL
    for c in map(chr, range(sys.maxunicode + 1)):
        assert bool(_CONTROL.fullmatch(c)) == (unicodedata.category(c) == "Cc" and c not in "\n\t\f\v"), hex(ord(c))


def test_documents_are_found_in_subfolders_in_a_stable_order(tmp_path: Path):
    for rel in ["b.txt", "A.MD", "unit 2/notes.txt", "unit 2/deep/z.md", "unit 10/a.txt", "pic.png",
                ".hidden.txt", ".git/x.txt", "unit 2/.draft/y.txt", "sources.toml"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x" * len(rel), encoding="utf-8")
    rels = ["A.MD", "b.txt", "unit 10/a.txt", "unit 2/deep/z.md", "unit 2/notes.txt"]
    assert candidate_rels(tmp_path) == rels
    assert [unique_ids(rels)[r] for r in rels] == ["a", "b", "unit-10-a", "unit-2-deep-z", "unit-2-notes"]
    found = stamps(tmp_path)
    assert [s.rel for s in found] == rels + ["sources.toml"]  # the manifest is watched too
    assert [s.size for s in found] == [len(r) for r in rels + ["sources.toml"]]
    assert stamps(tmp_path, rels) == found
    (tmp_path / "b.txt").unlink()  # gone since the walk: no stamp, no error
    assert [s.rel for s in stamps(tmp_path, rels)] == [r for r in rels if r != "b.txt"] + ["sources.toml"]
