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
from functools import cache
from importlib import resources

import numpy as np


@cache
def load(name: str) -> dict:
    return json.loads(resources.files("tutor.data").joinpath(f"{name}.json").read_text(encoding="utf-8"))


def logistic(model: dict, x: np.ndarray) -> np.ndarray:
    """A fitted logistic regression's probabilities for the rows ``x`` (its ``features``, in
    order): the rows scaled as in fitting (``mean``, ``scale``), weighed (``coef``, ``intercept``)."""
    z = (np.asarray(x, dtype=float) - np.array(model["mean"])) / np.array(model["scale"])
    return _sigmoid(z @ np.array(model["coef"]) + model["intercept"])


def probability(name: str, x: np.ndarray) -> float:
    """The model ``name``'s probability for one feature row ``x``."""
    return float(logistic(load(name), np.asarray(x, dtype=float)[None, :])[0])


def rank(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For candidate rows ``x`` (``features.NAMES``): each one's probability of answering the
    question, and each feature's part in its score (the parts add up to the score that
    the probability is calibrated from)."""
    model = load("ranker")
    z = (np.asarray(x, dtype=float) - np.array(model["mean"])) / np.array(model["scale"])
    parts = z * np.array(model["coef"])
    cal = model["calibration"]
    return _sigmoid(cal["a"] * (parts.sum(axis=1) + model["intercept"]) + cal["b"]), parts


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-np.clip(z, -60, 60)))
