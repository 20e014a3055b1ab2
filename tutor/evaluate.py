"""Score the tutor on a file of questions or claims with known evidence.

Question lines: ``{"id", "question", "history", "evidence": [...], "kind"}``; an empty
``evidence`` list means the sources do not cover the question (it should be declined).
Claim lines: ``{"id", "claim", "supported": bool, "evidence": [...]}``, and optionally
``"verdict"`` (supported, conflicting, not_found) and ``"kind"``.

Figures, each over the questions it applies to:

- hit@1 / hit@3: the first / one of the first three passages holds an evidence string;
- answer@1: answered, and the first quote holds an evidence string;
- declined: off-topic questions answered with ``answered: false`` (should be all);
- wrongly declined: answerable questions answered with ``answered: false``;
- claim accuracy: claims given their ``verdict`` (or, without one, ``supported`` exactly
  when they are), citing the sentence that states or contradicts them; by kind too.

Evidence is matched case-insensitively, with curly quotes and white space folded.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from tutor.answer import answer
from tutor.check import check
from tutor.index import Index
from tutor.inputs import json_object, text_lines

_FOLD = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "\u00a0": " "})


def fold(text: str) -> str:
    return " ".join(text.translate(_FOLD).lower().split())


def holds_evidence(text: str, evidence: list[str]) -> bool:
    t = fold(text)
    return any(fold(e) in t for e in evidence)


@dataclass
class Report:
    kind: str  # "questions" or "claims"
    figures: dict[str, float | int | str] = field(default_factory=dict)
    by_kind: dict[str, dict[str, float | int]] = field(default_factory=dict)
    failures: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"file_kind": self.kind, "figures": self.figures, "by_kind": self.by_kind, "failures": self.failures}

    def to_text(self) -> str:
        lines = [f"Evaluation of {self.figures.get('n', 0)} {self.kind}"]
        for k, v in self.figures.items():
            lines.append(f"  {k:<18} {v:.3f}" if isinstance(v, float) else f"  {k:<18} {v}")
        if self.by_kind:
            lines.append("By kind:")
            for kind, f in sorted(self.by_kind.items()):
                parts = ", ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in f.items())
                lines.append(f"  {kind:<12} {parts}")
        if self.failures:
            lines.append(f"Misses ({len(self.failures)}):")
            for f in self.failures:
                lines.append(f"  - [{f['id']}] {f['what']}: {f['input']}")
                lines.append(f"      got:      {f['got'][:160]}")
                lines.append(f"      expected: {f['expected'][:160]}")
        # The figures again on the last line, where a glance at the end of a long run finds them.
        lines.append("Summary: " + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                                              for k, v in self.figures.items()))
        return "\n".join(lines)


def _shape_error(row: dict) -> str | None:
    """What is wrong with an eval line's fields, or None."""
    text = "claim" if "claim" in row else "question"
    if not isinstance(row.get(text), str):
        return f'"{text}" is missing or not a string'
    for key in ("history", "evidence"):
        value = row.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return f'"{key}" must be a list of strings'
    if not isinstance(row.get("kind") or "", str):
        return '"kind" must be a string'
    if row.get("supported") not in (None, True, False):
        return '"supported" must be true or false'
    if row.get("verdict") not in (None, "supported", "conflicting", "not_found"):
        return '"verdict" must be "supported", "conflicting" or "not_found"'
    return None


def read_lines(source: str | Path) -> list[dict]:
    """The rows of an eval file; ``ValueError`` naming the first bad line and what is wrong."""
    rows = []
    for n, line in enumerate(text_lines(str(source)), start=1):
        if line.strip():
            try:
                row = json_object(line)
            except ValueError as exc:
                raise ValueError(f"{source}, line {n}: {exc}") from None
            if problem := _shape_error(row):
                raise ValueError(f"{source}, line {n}: {problem}")
            rows.append(row)
    return rows


def evaluate(index: Index, rows: list[dict]) -> Report:
    if rows and all("claim" in r for r in rows):
        return _claims(index, rows)
    if all("question" in r for r in rows):
        return _questions(index, rows)
    raise ValueError("each line needs a \"question\" (or, for a claim file, a \"claim\")")


def _questions(index: Index, rows: list[dict]) -> Report:
    rep = Report("questions")
    totals: dict[str, int] = defaultdict(int)
    kinds: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        ev = r.get("evidence") or []
        kind = r.get("kind") or ("offtopic" if not ev else "other")
        ans = answer(index, r["question"], r.get("history") or [], k=5)
        texts = [index.passage_text(h.passage) for h in ans.hits]
        first_quote = ans.citations[0].quote if ans.citations else ""
        got = first_quote or (ans.message or "")
        k = kinds[kind]
        k["n"] += 1
        k["uncovered"] += not ev
        if not ev:
            totals["offtopic"] += 1
            declined = not ans.answered
            totals["declined"] += declined
            k["declined"] += declined
            if not declined:
                rep.failures.append({"id": r.get("id"), "what": "answered an off-topic question",
                                     "input": r["question"], "got": got, "expected": "(declined)"})
            continue
        totals["answerable"] += 1
        h1 = bool(texts) and holds_evidence(texts[0], ev)
        h3 = any(holds_evidence(t, ev) for t in texts[:3])
        a1 = ans.answered and holds_evidence(first_quote, ev)
        totals["hit@1"] += h1
        totals["hit@3"] += h3
        totals["answer@1"] += a1
        totals["wrongly_declined"] += not ans.answered
        k["hit@1"] += h1
        k["answer@1"] += a1
        k["wrongly_declined"] += not ans.answered
        if not a1:
            what = "declined" if not ans.answered else ("first quote misses the evidence" if h3 else "no passage holds the evidence")
            rep.failures.append({"id": r.get("id"), "what": what, "input": r["question"],
                                 "got": got, "expected": " | ".join(ev)})
    n_ans = totals["answerable"] or 1
    rep.figures = {
        "n": len(rows),
        "hit@1": totals["hit@1"] / n_ans,
        "hit@3": totals["hit@3"] / n_ans,
        "answer@1": totals["answer@1"] / n_ans,
        "declined": f"{totals['declined']}/{totals['offtopic']}",
        "wrongly_declined": totals["wrongly_declined"],
    }
    for kind, k in kinds.items():  # a kind the sources do not cover is scored by its declines
        n = k["n"]
        rep.by_kind[kind] = ({"n": n, "declined": k["declined"] / n} if k["uncovered"] == n
                             else {"n": n, "hit@1": k["hit@1"] / n, "answer@1": k["answer@1"] / n,
                                   "wrongly_declined": k["wrongly_declined"]})
    return rep


def _claims(index: Index, rows: list[dict]) -> Report:
    """A claim is right when its verdict is the line's ``verdict`` (or, for a line with only
    ``supported``, supported exactly when it is), and a supported or conflicting verdict
    cites a sentence holding the line's evidence (the one that states or contradicts it)."""
    rep = Report("claims")
    right = 0
    verdicts: dict[str, int] = defaultdict(int)
    kinds: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        v = check(index, r["claim"])
        verdicts[v.verdict] += 1
        want = r.get("verdict")
        ok = v.verdict == want if want else (v.verdict == "supported") == bool(r.get("supported"))
        ev = r.get("evidence") or []
        if ok and v.verdict != "not_found" and ev and not any(holds_evidence(c.quote, ev) for c in v.citations):
            ok = False  # the right verdict, from the wrong sentence
        right += ok
        k = kinds[r.get("kind") or "claim"]
        k[0] += 1
        k[1] += ok
        if not ok:
            expected = want or ("supported" if r.get("supported") else "not supported")
            rep.failures.append({"id": r.get("id"), "what": f"judged {v.verdict}", "input": r["claim"],
                                 "got": v.citations[0].quote if v.citations else v.message,
                                 "expected": expected + (": " + " | ".join(ev) if ev else "")})
    rep.figures = {"n": len(rows), "claim_accuracy": right / (len(rows) or 1), "right": f"{right}/{len(rows)}",
                   **{f"verdict_{k}": v for k, v in sorted(verdicts.items())}}
    rep.by_kind = {kind: {"n": n, "right": ok / n} for kind, (n, ok) in sorted(kinds.items())}
    return rep
