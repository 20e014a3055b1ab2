"""The fitted models the tutor ships: plain JSON that matches the features the code computes."""

from __future__ import annotations

import json
from importlib import resources

import numpy as np

from tutor import features, models


def test_the_decline_model_is_plain_data_over_the_features_the_code_computes():
    raw = json.loads(resources.files("tutor.data").joinpath("decline.json").read_text(encoding="utf-8"))
    assert raw["features"] == list(features.QUESTION_NAMES)
    n = len(features.QUESTION_NAMES)
    assert len(raw["coef"]) == len(raw["mean"]) == len(raw["scale"]) == n
    assert 0 < raw["threshold"] < 1
    assert raw["settings"]["data"] and raw["cross_validation"]  # what made it, and how it did out of corpus


def test_more_evidence_means_a_higher_probability_of_answering():
    names = features.QUESTION_NAMES
    weak = dict.fromkeys(names, 0.0) | {"unknown": 2.0, "unknown_share": 0.8}
    strong = dict.fromkeys(names, 0.0) | {"coverage": 1.0, "topic_coverage": 1.0, "matched": 3, "together": 3,
                                          "together_share": 1.0, "best_sentence": 0.5}
    p_weak = models.probability("decline", [weak[n] for n in names])
    p_strong = models.probability("decline", [strong[n] for n in names])
    assert p_weak < models.load("decline")["threshold"] <= p_strong


def test_the_ranker_is_plain_data_over_the_candidate_features():
    raw = json.loads(resources.files("tutor.data").joinpath("ranker.json").read_text(encoding="utf-8"))
    assert raw["features"] == list(features.NAMES)
    assert len(raw["coef"]) == len(raw["mean"]) == len(raw["scale"]) == len(features.NAMES)
    assert set(raw["calibration"]) == {"a", "b"}
    assert set(features.LABELS) == set(features.NAMES)
    # Fitted on other corpora, it picks the right first quote at least as often as the cosine alone.
    for row in raw["cross_validation"]:
        assert row["first_right_fitted"] >= row["first_right_cosine"]


def test_a_sentence_that_holds_the_question_and_what_it_asks_is_ranked_first():
    names = features.NAMES
    plain = dict.fromkeys(names, 0.0) | {"similarity": 0.5, "coverage": 0.4, "coverage_near": 0.4, "passage": 0.6,
                                         "passage_rank": 0.5, "length": 4.5, "word_share": 0.4,
                                         "similarity_raw": 0.1, "kind_missing": 1.0}
    answering = plain | {"similarity": 1.0, "coverage": 1.0, "coverage_near": 1.0, "passage": 1.0,
                         "passage_rank": 1.0, "word_share": 1.0, "similarity_raw": 0.3,
                         "kind_missing": 0.0, "kind_strong": 1.0}
    p, parts = models.rank(np.array([[plain[n] for n in names], [answering[n] for n in names]]))
    assert 0 < p[0] < p[1] < 1
    assert parts.shape == (2, len(names))
