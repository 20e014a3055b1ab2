#!/usr/bin/env python3
"""bm25s beside the tutor on question files about the shipped corpus (as squad_eval.py does for SQuAD).

    python benchmarks/baseline.py [QUESTIONS.jsonl ...] [--corpus corpus]

bm25s (Lucene BM25, English stop words) ranks the corpus's paragraphs (split at blank
lines) and their sentences (a regex split), as ``../shared/eval/squad_eval.py`` does:
hit@1 when the best paragraph holds an evidence string, answer@1 when the best sentence
does. It never declines. The tutor's figures are ``tutor eval``'s for the same file.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import bm25s

from tutor.evaluate import evaluate, holds_evidence, read_lines
from tutor.store import ensure_index

ROOT = Path(__file__).resolve().parent.parent
SETS = [ROOT.parent / "shared/eval/questions.jsonl", ROOT / "tests/fixtures/shipped_questions.jsonl",
        ROOT / "benchmarks/data/shipped-questions.jsonl", ROOT / "benchmarks/data/offtopic-general.jsonl"]


def _top1(texts: list[str], queries: list[str]) -> list[str]:
    r = bm25s.BM25()
    r.index(bm25s.tokenize(texts, stopwords="en", show_progress=False), show_progress=False)
    res, _ = r.retrieve(bm25s.tokenize(queries, stopwords="en", show_progress=False), k=1, show_progress=False)
    return [texts[i] for i in res[:, 0]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, default=[p for p in SETS if p.exists()])
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--index", type=Path, default=ROOT / "index")
    args = parser.parse_args()
    paragraphs = [p for f in sorted(args.corpus.glob("*.[tm][xd]*")) if f.suffix in (".txt", ".md")
                  for p in re.split(r"\n\s*\n", f.read_text(encoding="utf-8-sig")) if p.strip()]
    sentences = [m.group() for p in paragraphs for m in re.finditer(r"[^.!?]+(?:[.!?]+[\"')\]]*|$)", p)
                 if m.group().strip()]
    index, _ = ensure_index(args.corpus, args.index)
    print("| set | answerable | tutor hit@1 | bm25s hit@1 | tutor answer@1 | bm25s answer@1 "
          "| tutor wrongly declined | not covered: tutor declined |\n|---|---|---|---|---|---|---|---|")
    for path in args.files:
        rows = read_lines(path)
        f = evaluate(index, rows).figures
        answerable = [r for r in rows if r.get("evidence")]
        qs = [" ".join([*(r.get("history") or []), r["question"]]) for r in answerable]
        bh = ba = 0
        if answerable:
            bh = sum(holds_evidence(t, r["evidence"]) for t, r in zip(_top1(paragraphs, qs), answerable))
            ba = sum(holds_evidence(t, r["evidence"]) for t, r in zip(_top1(sentences, qs), answerable))
        n = len(answerable) or 1
        print(f"| {path.name} | {len(answerable)} | {f['hit@1']:.2f} | {bh / n:.2f} | {f['answer@1']:.2f} "
              f"| {ba / n:.2f} | {f['wrongly_declined']} | {f['declined']} |")


if __name__ == "__main__":
    main()
