#!/usr/bin/env python3
"""Fit the quote ranker on every question set, and say how it does on corpora it never saw.

    python benchmarks/train.py [--write]

The data: the shipped corpus's question files (``../shared/eval/questions.jsonl``,
``tests/fixtures/shipped_questions.jsonl``, ``benchmarks/data/shipped-questions.jsonl``;
never ``shipped-held-out.jsonl``), where a sentence is right when it holds an
evidence string, and the SQuAD articles (``../shared/eval/squad/``), where it is right
when it holds a crowd-written answer's span. Each question's candidates are
``tutor.features.candidates`` of the passages the tutor retrieves, as it answers.

Figures are cross-validated by corpus: fitted on the other corpora, scored on each one
in turn (the shipped corpus, then each article), beside the hand-set weighting's on the
same candidates. ``--write`` fits on everything and writes ``tutor/data/ranker.json``
(coefficients and the settings that made them; no pickle).
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from tutor import answer, features
from tutor.evaluate import holds_evidence
from tutor.query import understand
from tutor.retrieval import rerank, scores
from tutor.store import ensure_index

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "eval"
SHIPPED_SETS = [SHARED / "questions.jsonl", ROOT / "tests/fixtures/shipped_questions.jsonl",
                ROOT / "benchmarks/data/shipped-questions.jsonl"]
SQUAD = SHARED / "squad" / "squad2-dev-articles.json"
ARTICLES = ("Normans", "Computational_complexity_theory")
C = 1.0  # inverse regularisation strength of the logistic regression


@dataclass
class Question:
    group: str  # the corpus it is asked of: CV never trains and scores on one
    X: np.ndarray  # candidate features
    y: np.ndarray  # 1 for a candidate that answers it
    hand: np.ndarray  # the hand-set score of each candidate


def _candidates(index, question: str, history: list[str], right) -> Question | None:
    query = understand(index, question, history)
    p_scores, s_scores = scores(index, query)
    hits = rerank(index, query, p_scores, answer.CANDIDATE_PASSAGES)
    if not hits:
        return None
    rows, X = features.candidates(index, query, hits, s_scores)
    if not rows:
        return None
    hand = {j: s for s, j, _ in answer.sentence_scores(index, query, hits, s_scores)}
    return Question("", X, np.array([right(j) for j, _ in rows], dtype=int), np.array([hand[j] for j, _ in rows]))


def shipped(work: Path) -> list[Question]:
    index, _ = ensure_index(ROOT / "corpus", work / "shipped-index")
    out = []
    for path in SHIPPED_SETS:
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            if r.get("evidence"):
                q = _candidates(index, r["question"], r.get("history") or [],
                                lambda j, ev=r["evidence"]: holds_evidence(index.sentence_text(j), ev))
                if q is not None:
                    q.group = "shipped"
                    out.append(q)
    return out


def squad(work: Path) -> list[Question]:
    data = {d["title"]: d for d in json.loads(SQUAD.read_text(encoding="utf-8"))["data"]}
    corpus = work / "squad"
    corpus.mkdir()
    spans: dict[str, list] = {}
    for title in ARTICLES:  # laid out as squad_eval.py lays them out: title, then paragraphs
        name = title.replace("_", " ")
        fname = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") + ".txt"
        text = name + "\n\n"
        for p in data[title]["paragraphs"]:
            for q in p["qas"]:
                if not q.get("is_impossible"):
                    spans[q["question"]] = (title, fname, [(len(text) + a["answer_start"],
                                                            len(text) + a["answer_start"] + len(a["text"]))
                                                           for a in q["answers"]])
            text += p["context"] + "\n\n"
        (corpus / fname).write_text(text, encoding="utf-8")
    index, _ = ensure_index(corpus, work / "squad-index")
    starts, ends = index.a["sentence_start"], index.a["sentence_end"]
    out = []
    for question, (title, fname, gold) in spans.items():
        def right(j, fname=fname, gold=gold):
            doc = index.docs[index.doc_of_passage(int(index.a["sentence_passage"][j]))]
            return doc.rel == fname and any(starts[j] <= s and e <= ends[j] for s, e in gold)
        q = _candidates(index, question, [], right)
        if q is not None:
            q.group = title
            out.append(q)
    return out


def _pairs(qs: list[Question]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each right candidate against each wrong one of its question (a ranking, learnt as pairs)."""
    diffs, weights = [], []
    for q in qs:
        pos, neg = q.X[q.y == 1], q.X[q.y == 0]
        if len(pos) and len(neg):
            d = (pos[:, None, :] - neg[None, :, :]).reshape(-1, q.X.shape[1])
            diffs.append(d)
            weights.append(np.full(len(d), 1 / len(d)))  # every question counts alike
    D, w = np.vstack(diffs), np.concatenate(weights)
    return np.vstack([D, -D]), np.concatenate([np.ones(len(D)), np.zeros(len(D))]), np.concatenate([w, w])


def _fit(qs: list[Question]) -> tuple[StandardScaler, LogisticRegression]:
    scaler = StandardScaler().fit(np.vstack([q.X for q in qs]))
    scaled = [Question(q.group, scaler.transform(q.X), q.y, q.hand) for q in qs]
    X, y, w = _pairs(scaled)
    return scaler, LogisticRegression(C=C, max_iter=5000, fit_intercept=False).fit(X, y, sample_weight=w * len(qs))


def _top1(qs: list[Question], score) -> float:
    return float(np.mean([q.y[int(np.argmax(score(q)))] for q in qs])) if qs else 0.0


def cross_validate(qs: list[Question]) -> None:
    groups = sorted({q.group for q in qs})
    print("| corpus held out | questions | right candidate retrieved | first quote right: hand-set | fitted |")
    print("|---|---|---|---|---|")
    for g in groups:
        test = [q for q in qs if q.group == g]
        scaler, model = _fit([q for q in qs if q.group != g and q.y.any()])
        fitted = _top1(test, lambda q: model.decision_function(scaler.transform(q.X)))
        reachable = np.mean([q.y.any() for q in test])
        print(f"| {g} | {len(test)} | {reachable:.2f} | {_top1(test, lambda q: q.hand):.3f} | {fitted:.3f} |")


def write(qs: list[Question], path: Path) -> None:
    scaler, model = _fit([q for q in qs if q.y.any()])
    # Folded into one linear score over the raw features: w . ((x - mean) / scale) + b.
    w = model.coef_[0] / scaler.scale_
    b = float(model.intercept_[0] - np.dot(model.coef_[0], scaler.mean_ / scaler.scale_))
    path.write_text(json.dumps({
        "features": list(features.NAMES), "weights": [round(float(v), 6) for v in w], "bias": round(b, 6),
        "model": f"sklearn LogisticRegression(C={C}, class_weight='balanced') on standardised features",
        "data": [str(p.relative_to(ROOT.parent)) for p in SHIPPED_SETS if p.exists()] + [f"SQuAD 2.0 dev: {a}" for a in ARTICLES],
        "questions": len(qs)}, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="fit on everything and write tutor/data/ranker.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        qs = shipped(Path(work)) + squad(Path(work))
    cross_validate(qs)
    if args.write:
        write(qs, ROOT / "tutor" / "data" / "ranker.json")


if __name__ == "__main__":
    main()
