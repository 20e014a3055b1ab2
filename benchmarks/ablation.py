#!/usr/bin/env python3
"""What each answer-quality technique earns: the figures with it switched off.

Builds the index of a corpus once per analysis variant (in a temporary folder) and
scores a question file with ``tutor.evaluate`` for the full system and for each
technique turned off alone. Prints a Markdown table.

    python benchmarks/ablation.py [QUESTIONS.jsonl ...] [--corpus corpus]

With no file it scores ../shared/eval/questions.jsonl and the project's own
tests/fixtures/shipped_questions.jsonl. What each feature of the fitted ranker and of the
decline model earns is ``python benchmarks/train.py --ablation``.
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
from pathlib import Path

from tutor import analysis, answer, build, features, index, query, retrieval, sentences, store
from tutor.evaluate import evaluate, read_lines

ROOT = Path(__file__).resolve().parent.parent


def _identity_stem(word: str) -> str:
    return word.replace(",", "") if any(ch.isdigit() for ch in word) else word


def _no_correction(index_, text):
    return text, ()


def _no_followup(question, history):
    return question, (), False


def _no_related(index_, text):
    return ()


def _no_synonyms(index_, text):
    return ()


def _by_cosine(rows, X):
    cos = X[:, features.NAMES.index("similarity_raw")] if len(X) else []
    return sorted(((float(v), j, p) for v, (j, p) in zip(cos, rows)), key=lambda c: (-c[0], c[1]))


@contextlib.contextmanager
def patched(changes: list[tuple[object, str, object]]):
    old = [(obj, name, getattr(obj, name)) for obj, name, _ in changes]
    try:
        for obj, name, value in changes:
            setattr(obj, name, value)
        yield
    finally:
        for obj, name, value in old:
            setattr(obj, name, value)


# (label, changes at index time, changes at query time)
VARIANTS = [
    ("full system", [], []),
    ("no Snowball stemming", [(analysis, "stem", _identity_stem)], []),
    ("no bigrams", [(analysis, "WORD_PAIRS", False)], []),
    ("no sublinear tf", [(index, "SUBLINEAR_TF", False)], []),
    ("no pivoted length normalisation", [(build, "PIVOT_SLOPE", 1.0), (sentences, "PIVOT_SLOPE", 1.0)], []),
    ("no concept re-ranking of passages", [], [(retrieval, "COORDINATION", 0.0)]),
    ("no fitted ranker (quotes by their cosine alone)", [], [(answer, "sentence_scores", _by_cosine)]),
    ("no frame-word weighting", [], [(retrieval, "FRAME_QUERY_WEIGHT", 1.0), (retrieval, "FRAME_WEIGHT", 1.0)]),
    ("no spelling correction", [], [(query, "correct_spelling", _no_correction)]),
    ("no related words for unknown ones", [], [(query, "related_terms", _no_related)]),
    ("no WordNet synonyms", [], [(query, "synonym_terms", _no_synonyms)]),
    ("no follow-up resolution", [], [(query, "resolve_followup", _no_followup)]),
    ("no declining (answer everything)", [], [(answer, "answerable", lambda *args: 1.0)]),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    a = ap.parse_args()
    files = a.files or [p for p in (ROOT.parent / "shared" / "eval" / "questions.jsonl",
                                    ROOT / "tests" / "fixtures" / "shipped_questions.jsonl") if p.is_file()]
    sets = [(f.name, read_lines(f)) for f in files]
    header = "| technique switched off | " + " | ".join(
        f"{name}: hit@1 | answer@1 | declined | wrongly declined" for name, _ in sets) + " |"
    print(header)
    print("|" + "---|" * (1 + 4 * len(sets)))
    for label, build_changes, query_changes in VARIANTS:
        with patched(build_changes), tempfile.TemporaryDirectory() as tmp:
            analysis.clear_caches()
            idx = build.build(a.corpus)
            store.save(idx, Path(tmp))
            with patched(query_changes):
                cells = []
                for _, rows in sets:
                    f = evaluate(idx, rows).figures
                    cells += [f"{f['hit@1']:.2f}", f"{f['answer@1']:.2f}", str(f["declined"]),
                              str(f["wrongly_declined"])]
        print(f"| {label} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
