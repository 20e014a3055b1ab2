"""How long each study aid takes, and how many items it gives, on a corpus.

    python benchmarks/study.py [--corpus corpus] [--repeat 5]

Times the path the app and ``tutor study`` take (``tutor.study.make``) on an index already
built, median of ``--repeat`` runs, and prints one line per aid.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tutor import study  # noqa: E402
from tutor.store import ensure_index  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default="corpus")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        index, _ = ensure_index(args.corpus, Path(tmp) / "index")
        print(f"{args.corpus}: {len(index.docs)} documents, {index.n_sentences} sentences")
        for kind in study.KINDS:
            times, items = [], []
            for seed in range(args.repeat):
                t = time.perf_counter()
                items = study.make(index, kind, seed=seed)
                times.append(time.perf_counter() - t)
            print(f"  {kind:9} {len(items):3} items, median {1000 * statistics.median(times):6.1f} ms")


if __name__ == "__main__":
    main()
