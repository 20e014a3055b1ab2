"""Models fitted by ``benchmarks/train.py``, shipped as JSON (never pickle), and applied here.

``ranker.json`` holds a linear ranking of candidate quotes over ``features.NAMES``,
learnt from pairs of right and wrong candidates, and a calibration turning its score
into the probability that a candidate answers the question. ``decline.json`` holds a logistic regression over ``features.QUESTION_NAMES``: the
probability that the sources answer a question. The tutor answers when it reaches
the file's ``threshold``, chosen on cross-validation by corpus (see the file's
``settings`` and ``cross_validation``).
"""

from __future__ import annotations

import json
import math
from functools import cache
from importlib import resources

import numpy as np


@cache
def load(name: str) -> dict:
    model = json.loads(resources.files("tutor.data").joinpath(f"{name}.json").read_text(encoding="utf-8"))
    if "coef" in model:  # (one model per file; check.json holds two)
        model["_w"] = np.array(model["coef"]) / np.array(model["scale"])
        model["_b"] = model["intercept"] - float(np.dot(model["_w"], model["mean"]))
    return model


def probability(name: str, x: np.ndarray) -> float:
    """The model's probability for the feature row ``x`` (in the order of its ``features``)."""
    model = load(name)
    z = float(np.dot(model["_w"], x)) + model["_b"]
    return 1 / (1 + math.exp(-max(-60.0, min(60.0, z))))


def rank(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For candidate rows ``x`` (``features.NAMES``): each one's probability of answering the
    question, and each feature's part in its score (the parts add up to the score that
    the probability is calibrated from)."""
    model = load("ranker")
    z = (np.asarray(x, dtype=float) - np.array(model["mean"])) / np.array(model["scale"])
    parts = z * np.array(model["coef"])
    score = parts.sum(axis=1) + model["intercept"]
    cal = model["calibration"]
    return 1 / (1 + np.exp(-np.clip(cal["a"] * score + cal["b"], -60, 60))), parts
