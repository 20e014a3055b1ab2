"""Answer quality on the shipped documents stays where it was measured (a floor, not a target)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor.evaluate import evaluate, read_lines

HERE = Path(__file__).resolve().parent
DEV = HERE.parent.parent / "shared" / "eval"


def test_our_held_out_questions(shipped_index):
    f = evaluate(shipped_index, read_lines(HERE / "fixtures" / "shipped_questions.jsonl")).figures
    assert f["declined"] == "3/3"
    assert f["wrongly_declined"] <= 1
    assert f["hit@3"] >= 0.8 and f["answer@1"] >= 0.7


@pytest.mark.skipif(not DEV.is_dir(), reason="shared/eval is not beside this checkout")
def test_the_development_set(shipped_index):
    f = evaluate(shipped_index, read_lines(DEV / "questions.jsonl")).figures
    # (4/4 and none wrongly declined under the hand-set rule the decline model replaced)
    assert int(f["declined"].split("/")[0]) >= 3 and f["wrongly_declined"] <= 1
    assert f["hit@1"] >= 0.85 and f["hit@3"] >= 0.93 and f["answer@1"] >= 0.8
    claims = evaluate(shipped_index, read_lines(DEV / "claims.jsonl")).figures
    assert claims["claim_accuracy"] >= 0.8


def test_questions_written_before_the_re_tuning(shipped_index):
    f = evaluate(shipped_index, read_lines(HERE.parent / "benchmarks" / "data" / "shipped-questions.jsonl")).figures
    assert f["wrongly_declined"] <= 10  # 16 of 112 under the hand-set rule
    assert f["hit@1"] >= 0.6 and f["answer@1"] >= 0.43
    assert int(f["declined"].split("/")[0]) >= 16


def test_everyday_questions_are_declined(shipped_index):
    f = evaluate(shipped_index, read_lines(HERE.parent / "benchmarks" / "data" / "offtopic-general.jsonl")).figures
    assert int(f["declined"].split("/")[0]) >= 55
