"""Models fitted by ``benchmarks/train.py``, shipped as JSON (never pickle), and applied here.

``decline.json`` holds a logistic regression over ``features.QUESTION_NAMES``: the
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
    model["_w"] = np.array(model["coef"]) / np.array(model["scale"])
    model["_b"] = model["intercept"] - float(np.dot(model["_w"], model["mean"]))
    return model


def probability(name: str, x: np.ndarray) -> float:
    """The model's probability for the feature row ``x`` (in the order of its ``features``)."""
    model = load(name)
    z = float(np.dot(model["_w"], x)) + model["_b"]
    return 1 / (1 + math.exp(-max(-60.0, min(60.0, z))))
