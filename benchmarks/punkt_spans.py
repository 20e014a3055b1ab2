"""Sentence and passage spans of a corpus, for comparing two versions of ``tutor.chunking``.

Trains the splitter as a build does (on ``training_sample`` of the documents), then
writes every document's passages and sentences (``chunking.chunk``, as spans) and the learnt Punkt parameters as JSON,
and the time taken to train and to split. Run it once per version, with ``PYTHONPATH``
pointing at that version's checkout, and compare the two files::

    PYTHONPATH=/path/to/old python benchmarks/punkt_spans.py corpus --out /tmp/old.json
    PYTHONPATH=. python benchmarks/punkt_spans.py corpus --out /tmp/new.json
    python benchmarks/punkt_spans.py --compare /tmp/old.json /tmp/new.json

A corpus is a folder of text files (``--every k`` takes every k-th file, ``--first n``
the first n) or a SQuAD 2.0 JSON file (an article's contexts joined by blank lines make
one document). ``--repeat`` times train + split that many times and keeps the median.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path


def documents(source: str, every: int, first: int | None) -> dict[str, str]:
    from tutor.corpus import candidate_rels, read_file
    from tutor.decoding import Unreadable
    path = Path(source)
    if path.is_file():
        data = json.loads(path.read_text(encoding="utf-8"))
        return {a["title"]: "\n\n".join(p["context"] for p in a["paragraphs"]) for a in data["data"]}
    rels = candidate_rels(path)[::every][:first]
    docs = {}
    for rel in rels:
        try:
            docs[rel] = read_file(path / rel)[0]
        except Unreadable:
            pass
    return docs


def run(docs: dict[str, str]) -> tuple[str, dict[str, list], float, float]:
    from tutor.chunking import SentenceSplitter, chunk
    from tutor.cleaning import classify

    def spans(text, splitter, lines):
        passages, sentences = chunk(text, splitter, lines)
        return ([(p.start, p.end, p.para, p.para_end, p.line, p.part, p.boilerplate) for p in passages],
                [(s.start, s.end, s.passage, s.quotable) for s in sentences])
    t0 = time.perf_counter()
    splitter = SentenceSplitter.train(list(docs.values()))  # (samples them as build does)
    t1 = time.perf_counter()
    out = {name: spans(text, splitter, classify(text)) for name, text in docs.items()}
    t2 = time.perf_counter()
    return splitter.to_json(), out, t1 - t0, t2 - t1


def compare(old_file: str, new_file: str) -> int:
    old, new = (json.loads(Path(f).read_text(encoding="utf-8")) for f in (old_file, new_file))
    for params in (old["params"], new["params"]):  # (a word's 0 in ortho_context is no entry)
        params["ortho_context"] = [[k, v] for k, v in params["ortho_context"] if v]
    same_params = old["params"] == new["params"]
    differ = [name for name in old["docs"] if old["docs"][name] != new["docs"].get(name)]
    print(f"{len(old['docs'])} documents, {len(differ)} with different spans; "
          f"parameters {'equal' if same_params else 'DIFFERENT'}")
    for name in differ[:20]:
        print("  differs:", name)
    return 0 if same_params and not differ and old["docs"].keys() == new["docs"].keys() else 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", nargs="?")
    ap.add_argument("--every", type=int, default=1)
    ap.add_argument("--first", type=int)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--out")
    ap.add_argument("--compare", nargs=2, metavar=("OLD", "NEW"))
    args = ap.parse_args()
    if args.compare:
        return compare(*args.compare)
    docs = documents(args.corpus, args.every, args.first)
    runs = [run(docs) for _ in range(args.repeat)]
    train = statistics.median(r[2] for r in runs)
    split = statistics.median(r[3] for r in runs)
    total = statistics.median(r[2] + r[3] for r in runs)
    print(f"{len(docs)} documents, {sum(map(len, docs.values())):,} characters: train {train:.3f} s, "
          f"split {split:.3f} s, train + split {total:.3f} s (median of {args.repeat})")
    if args.out:
        params, spans_by_doc, _, _ = runs[0]
        Path(args.out).write_text(json.dumps({"params": json.loads(params), "docs": spans_by_doc}), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
