#!/usr/bin/env python3
"""Fit the tutor's models on every question set, and say how they do on corpora they never saw.

    python benchmarks/train.py [--write] [--ablation]

Two models, both logistic regressions over features you can name (``tutor/features.py``):

- The quote ranker (``tutor/data/ranker.json``, used by ``tutor.answer``): which
  candidate sentence answers? Fitted on pairs of a right and a wrong candidate of one
  question (``features.NAMES``), each corpus weighing alike, and calibrated (Platt) on
  its out-of-corpus scores into the probability that a candidate answers.
- The decline model (``tutor/data/decline.json``): do the sources answer the question at
  all? Over ``features.QUESTION_NAMES``, answerable questions against off-topic and
  near-topic ones; the threshold is chosen on out-of-corpus probabilities.

The data: the shipped corpus's question files (``../shared/eval/questions.jsonl``,
``tests/fixtures/shipped_questions.jsonl``, ``benchmarks/data/shipped-questions.jsonl``;
never ``shipped-held-out.jsonl``), where a sentence is right when it holds an evidence
string, and the three SQuAD 2.0 articles (``../shared/eval/squad/``), where it is right
when it holds a crowd-written answer's span: Normans and Computational complexity theory
as one corpus (as ``squad_eval.py`` lays them out), Sky (United Kingdom) as another.
Off-topic questions: each SQuAD corpus is asked another article's questions, and every
corpus everyday ones (``benchmarks/data/offtopic-general.jsonl``).

Figures are cross-validated by corpus: fitted on the other corpora, scored on each one in
turn, beside the sentence's cosine alone and the hand-set weighting the ranker replaced.
``--ablation`` refits both models with each feature left out. ``--write`` fits both on
everything and writes them (coefficients, scaling, calibration or threshold, the settings
and data that made them, and the cross-validated figures; no pickle).
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
from tutor.kinds import wants
from tutor.query import understand
from tutor.retrieval import concepts, rerank, scores, unreachable
from tutor.store import ensure_index

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "eval"
SHIPPED_SETS = [SHARED / "questions.jsonl", ROOT / "tests/fixtures/shipped_questions.jsonl",
                ROOT / "benchmarks/data/shipped-questions.jsonl"]
SQUAD = SHARED / "squad" / "squad2-dev-articles.json"
ARTICLES = ("Normans", "Computational_complexity_theory")
OFF_TOPIC_ARTICLE = "Sky_(United_Kingdom)"
GENERAL = ROOT / "benchmarks/data/offtopic-general.jsonl"  # everyday questions no course corpus answers, asked of each
INDEXES: dict = {}  # the SQuAD corpora's indexes, by name
C = 1.0  # inverse regularisation strength of the logistic regression
MAX_WRONGLY_DECLINED = 0.03  # the target the threshold is chosen for (see cross_validate_decline)
THRESHOLDS = np.round(np.arange(0.02, 0.61, 0.02), 2)


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
    return Question("", X, np.array([right(j) for j, _ in rows], dtype=int), _hand_set(X))


def _hand_set(X: np.ndarray) -> np.ndarray:
    """The hand-set weighting the fitted ranker replaced (kept here to compare against):
    0.45 x (similarity + neighbours) + 0.5 x coverage_near + 0.2 x passage, times 1.6 for
    a sentence holding the kind of answer asked for (1.1 for a reason or a definition)."""
    f = {name: X[:, i] for i, name in enumerate(features.NAMES)}
    kind = np.where(f["kind_strong"] > 0, 1.6, np.where(f["kind_weak"] > 0, 1.1, 1.0))
    return (0.45 * (f["similarity"] + f["neighbours"]) + 0.5 * f["coverage_near"] + 0.2 * f["passage"]) * kind


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


def squad(work: Path, titles: tuple[str, ...] = ARTICLES, name: str = "squad") -> list[Question]:
    """The answerable questions of the SQuAD articles ``titles``, asked of a corpus of them
    laid out as ``squad_eval.py`` lays it out (each a file: its title, then its paragraphs)."""
    data = {d["title"]: d for d in json.loads(SQUAD.read_text(encoding="utf-8"))["data"]}
    corpus = work / name
    corpus.mkdir()
    spans: dict[str, list] = {}
    for title in titles:
        heading = title.replace("_", " ")
        fname = re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-") + ".txt"
        text = heading + "\n\n"
        for p in data[title]["paragraphs"]:
            for q in p["qas"]:
                if not q.get("is_impossible"):
                    spans[q["question"]] = (title, fname, [(len(text) + a["answer_start"],
                                                            len(text) + a["answer_start"] + len(a["text"]))
                                                           for a in q["answers"]])
            text += p["context"] + "\n\n"
        (corpus / fname).write_text(text, encoding="utf-8")
    index, _ = ensure_index(corpus, work / f"{name}-index")
    INDEXES[name] = index  # (the decline data asks it other questions)
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
    """Each right candidate against each wrong one of its question (a ranking, learnt as
    pairs); every corpus weighs alike, and within it every question."""
    per_group = {g: sum(q.group == g for q in qs) for g in {q.group for q in qs}}
    diffs, weights = [], []
    for q in qs:
        pos, neg = q.X[q.y == 1], q.X[q.y == 0]
        if len(pos) and len(neg):
            d = (pos[:, None, :] - neg[None, :, :]).reshape(-1, q.X.shape[1])
            diffs.append(d)
            weights.append(np.full(len(d), 1 / len(d) / per_group[q.group]))
    D, w = np.vstack(diffs), np.concatenate(weights)
    w = w / w.mean()
    return np.vstack([D, -D]), np.concatenate([np.ones(len(D)), np.zeros(len(D))]), np.concatenate([w, w])


@dataclass
class Ranker:
    scaler: StandardScaler
    model: LogisticRegression
    cols: list[int]

    def score(self, X: np.ndarray) -> np.ndarray:
        return self.model.decision_function(self.scaler.transform(X[:, self.cols]))


def _fit(qs: list[Question], cols: list[int] | None = None) -> Ranker:
    cols = list(range(len(features.NAMES))) if cols is None else cols
    qs = [q for q in qs if q.y.any()]
    scaler = StandardScaler().fit(np.vstack([q.X[:, cols] for q in qs]))
    scaled = [Question(q.group, scaler.transform(q.X[:, cols]), q.y, q.hand) for q in qs]
    X, y, w = _pairs(scaled)
    return Ranker(scaler, LogisticRegression(C=C, max_iter=5000, fit_intercept=False).fit(X, y, sample_weight=w), cols)


def _top1(qs: list[Question], score) -> float:
    return float(np.mean([q.y[int(np.argmax(score(q)))] for q in qs])) if qs else 0.0


def out_of_corpus(qs: list[Question], cols: list[int] | None = None) -> dict[str, np.ndarray]:
    """Each corpus's candidates scored by a ranker fitted on the other corpora."""
    scored = {}
    for g in sorted({q.group for q in qs}):
        ranker = _fit([q for q in qs if q.group != g], cols)
        scored[g] = [ranker.score(q.X) for q in qs if q.group == g]
    return scored


def cross_validate(qs: list[Question]) -> list[dict]:
    """Per corpus: how often the first quote is right, fitted on the other corpora, beside
    the sentence's cosine alone and the hand-set weighting the ranker replaced."""
    scored, figures = out_of_corpus(qs), []
    cos = features.NAMES.index("similarity_raw")
    for g, scores_ in scored.items():
        test = [q for q in qs if q.group == g]
        figures.append({"corpus": g, "questions": len(test),
                        "right_candidate_retrieved": round(float(np.mean([q.y.any() for q in test])), 3),
                        "first_right_cosine": round(_top1(test, lambda q: q.X[:, cos]), 3),
                        "first_right_hand_set": round(_top1(test, lambda q: q.hand), 3),
                        "first_right_fitted": round(float(np.mean([q.y[int(np.argmax(s))] for q, s in zip(test, scores_)])), 3)})
    return figures


def calibration(qs: list[Question]) -> tuple[float, float]:
    """``(a, b)`` turning a ranker score ``s`` into the probability ``1 / (1 + exp(-(a s + b)))``
    that the candidate answers (Platt scaling, fitted on out-of-corpus scores)."""
    scored = out_of_corpus(qs)
    s = np.concatenate([x for g in scored for x in scored[g]])
    y = np.concatenate([q.y for g in scored for q in qs if q.group == g])
    platt = LogisticRegression(C=1e4, max_iter=1000).fit(s[:, None], y)
    return float(platt.coef_[0, 0]), float(platt.intercept_[0])


def ranker_ablation(qs: list[Question]) -> None:
    """What each candidate feature earns: the out-of-corpus first-quote-right rate (mean of
    the corpora) with it left out."""
    def mean_top1(cols):
        scored = out_of_corpus(qs, cols)
        return np.mean([np.mean([q.y[int(np.argmax(s))] for q, s in zip([q for q in qs if q.group == g], scored[g])])
                        for g in scored])
    every = list(range(len(features.NAMES)))
    print(f"\n| left out | first quote right, mean of corpora (all: {mean_top1(every):.3f}) |\n|---|---|")
    for i, name in enumerate(features.NAMES):
        print(f"| {name} | {mean_top1([c for c in every if c != i]):.3f} |")


def write_ranker(qs: list[Question], path: Path) -> None:
    figures = cross_validate(qs)
    a, b = calibration(qs)
    ranker = _fit(qs)
    path.write_text(json.dumps({
        "features": list(features.NAMES), "mean": ranker.scaler.mean_.round(6).tolist(),
        "scale": ranker.scaler.scale_.round(6).tolist(), "coef": ranker.model.coef_[0].round(6).tolist(),
        "intercept": 0.0, "calibration": {"a": round(a, 6), "b": round(b, 6)},
        "settings": {"model": f"sklearn LogisticRegression(C={C}, fit_intercept=False) on the differences of "
                              "right and wrong candidates of one question (pairwise ranking), every corpus "
                              "weighing alike",
                     "calibration": "Platt scaling of out-of-corpus scores: probability = 1 / (1 + exp(-(a * score + b)))",
                     "data": _data_names() + ["SQuAD 2.0 dev: Sky_(United_Kingdom)"]},
        "cross_validation": figures}, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {path}")


def _data_names() -> list[str]:
    return ([str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else p.name for p in SHIPPED_SETS]
            + [f"SQuAD 2.0 dev: {a}" for a in ARTICLES])


# -- the decline model ---------------------------------------------------------------------------

def _question_row(index, question: str, history: list[str]) -> np.ndarray:
    query = understand(index, question, history)
    p_scores, s_scores = scores(index, query)
    hits = rerank(index, query, p_scores, answer.CANDIDATE_PASSAGES)
    if not hits:
        return np.zeros(len(features.QUESTION_NAMES))
    _, X = features.candidates(index, query, hits, s_scores)
    ev = answer.evidence(index, query, hits, p_scores)
    cs = concepts(index, query)
    return features.question_row(ev, cs, unreachable(index, query, cs), X, bool(wants(query.searched)))


def decline_data(work: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(groups, X, answerable)``: every question of every set, by corpus ("not English" left out)."""
    rows = []
    index, _ = ensure_index(ROOT / "corpus", work / "shipped-index")
    for path in SHIPPED_SETS:
        if path.exists():
            for r in map(json.loads, path.read_text(encoding="utf-8").splitlines()):
                if r.get("kind") != "nonenglish":
                    rows.append(("shipped", _question_row(index, r["question"], r.get("history") or []),
                                 bool(r.get("evidence"))))
    if "squad" not in INDEXES:
        squad(work)
    if "sky" not in INDEXES:
        squad(work, (OFF_TOPIC_ARTICLE,), "sky")
    general = [json.loads(line)["question"] for line in GENERAL.read_text(encoding="utf-8").splitlines()]
    for group, ix in (("shipped", index), ("squad", INDEXES["squad"]), ("sky", INDEXES["sky"])):
        rows += [(group, _question_row(ix, q, []), False) for q in general]
    data = {d["title"]: d for d in json.loads(SQUAD.read_text(encoding="utf-8"))["data"]}
    # The two articles' corpus is asked their questions and the third's; the third's corpus
    # its own and the first article's. (SQuAD's adversarial near-misses are left out.)
    for group, covered, other in (("squad", ARTICLES, (OFF_TOPIC_ARTICLE,)), ("sky", (OFF_TOPIC_ARTICLE,), ARTICLES[:1])):
        for title in (*covered, *other):
            for p in data[title]["paragraphs"]:
                rows += [(group, _question_row(INDEXES[group], q["question"], []), title in covered)
                         for q in p["qas"] if not q.get("is_impossible")]
    return np.array([g for g, _, _ in rows]), np.array([x for _, x, _ in rows]), np.array([a for _, _, a in rows])


def _fit_decline(X: np.ndarray, y: np.ndarray) -> tuple[StandardScaler, LogisticRegression]:
    scaler = StandardScaler().fit(X)
    return scaler, LogisticRegression(C=C, max_iter=2000, class_weight="balanced").fit(scaler.transform(X), y)


def cross_validate_decline(G: np.ndarray, X: np.ndarray, y: np.ndarray) -> tuple[float, list[dict]]:
    """Out-of-corpus probabilities; the threshold chosen on them; a row of figures per corpus."""
    p = np.zeros(len(y))
    for g in np.unique(G):
        scaler, model = _fit_decline(X[G != g], y[G != g])
        p[G == g] = model.predict_proba(scaler.transform(X[G == g]))[:, 1]
    # The targets: wrongly declined at most 3 %, not covered declined at least 95 %. They cannot
    # both be met out of corpus yet, and a student refused what the sources say is the failure
    # to spare first: the threshold is the highest at which every corpus's answerable questions
    # are declined within the target (the lowest, if none is). Summing both shortfalls instead
    # let a corpus whose near-topic questions cannot reach the 95 % (the shipped one) raise it
    # for every corpus: out of corpus, SQuAD wrongly declined 3.8 % against 2.7 % here.
    ok = [t for t in THRESHOLDS if all(np.mean(p[(G == g) & y] < t) <= MAX_WRONGLY_DECLINED for g in np.unique(G))]
    threshold = float(ok[-1] if ok else THRESHOLDS[0])
    figures = []
    for g in np.unique(G):
        m, pos, neg = G == g, (G == g) & y, (G == g) & ~y
        figures.append({"corpus": str(g), "answerable": int(pos.sum()), "not_covered": int(neg.sum()),
                        "wrongly_declined": round(float(np.mean(p[pos] < threshold)), 3),
                        "not_covered_declined": round(float(np.mean(p[neg] < threshold)), 3)})
        del m
    return threshold, figures


def ablation(G: np.ndarray, X: np.ndarray, y: np.ndarray) -> None:
    """What each question feature earns: the out-of-corpus error sum with it left out."""
    def error(cols):
        p = np.zeros(len(y))
        for g in np.unique(G):
            scaler, model = _fit_decline(X[G != g][:, cols], y[G != g])
            p[G == g] = model.predict_proba(scaler.transform(X[G == g][:, cols]))[:, 1]
        return min(np.mean(p[y] < t) + np.mean(p[~y] >= t) for t in THRESHOLDS)
    every = list(range(X.shape[1]))
    print(f"\n| left out | wrongly declined + wrongly answered (all: {error(every):.3f}) |\n|---|---|")
    for i, name in enumerate(features.QUESTION_NAMES):
        print(f"| {name} | {error([c for c in every if c != i]):.3f} |")


def write_decline(G: np.ndarray, X: np.ndarray, y: np.ndarray, path: Path) -> None:
    threshold, figures = cross_validate_decline(G, X, y)
    scaler, model = _fit_decline(X, y)
    path.write_text(json.dumps({
        "features": list(features.QUESTION_NAMES), "mean": scaler.mean_.round(6).tolist(),
        "scale": scaler.scale_.round(6).tolist(), "coef": model.coef_[0].round(6).tolist(),
        "intercept": round(float(model.intercept_[0]), 6), "threshold": threshold,
        "settings": {"model": f"sklearn LogisticRegression(C={C}, class_weight='balanced')",
                     "threshold": f"of {THRESHOLDS[0]}..{THRESHOLDS[-1]}, the highest at which every corpus's "
                                  "answerable questions, out of corpus, are wrongly declined at most 3 % of the time",
                     "data": _data_names() + [f"SQuAD 2.0 dev: {OFF_TOPIC_ARTICLE} (asked of the two articles, "
                                              f"and as a corpus of its own, asked its questions and {ARTICLES[0]}'s)"]},
        "cross_validation": figures}, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="fit both models on everything and write them")
    parser.add_argument("--ablation", action="store_true", help="refit with each feature left out")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        qs = shipped(Path(work)) + squad(Path(work)) + squad(Path(work), (OFF_TOPIC_ARTICLE,), "sky")
        G, X, y = decline_data(Path(work))
    print("Quote ranker, fitted on the other corpora (first quote right; the cosine alone and the")
    print("hand-set weighting it replaced, on the same candidates):\n")
    print("| corpus held out | questions | right candidate retrieved | cosine | hand-set | fitted |")
    print("|---|---|---|---|---|---|")
    for f in cross_validate(qs):
        print(f"| {f['corpus']} | {f['questions']} | {f['right_candidate_retrieved']:.2f} | {f['first_right_cosine']:.3f} "
              f"| {f['first_right_hand_set']:.3f} | {f['first_right_fitted']:.3f} |")
    threshold, figures = cross_validate_decline(G, X, y)
    print(f"\nDecline model, fitted on the other corpora (threshold {threshold}):\n")
    print("| corpus held out | answerable | not covered | wrongly declined | not covered, declined |")
    print("|---|---|---|---|---|")
    for f in figures:
        print(f"| {f['corpus']} | {f['answerable']} | {f['not_covered']} | {f['wrongly_declined']:.3f} "
              f"| {f['not_covered_declined']:.3f} |")
    if args.ablation:
        ranker_ablation(qs)
        ablation(G, X, y)
    if args.write:
        write_ranker(qs, ROOT / "tutor" / "data" / "ranker.json")
        write_decline(G, X, y, ROOT / "tutor" / "data" / "decline.json")


if __name__ == "__main__":
    main()
