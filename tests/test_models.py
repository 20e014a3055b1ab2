"""The fitted models the tutor ships: plain JSON that matches the features the code computes."""

from __future__ import annotations

import json
from importlib import resources

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
