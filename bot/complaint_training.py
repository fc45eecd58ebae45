"""Training the complaint detector's model (``shequn complaints train``).

A logistic regression (scikit-learn) over :class:`Features`, the same features
the detector reads; the result is a format-1 model file of weights. The
built-in model is trained this way on the development sets in
``tests/data/complaints`` (``make model``); an operator can train one on their
own community's labelled messages and name it in ``escalation.detector.model_file``.
Deterministic: the same files give the same weights.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from handlers.escalation.detector import Severity
from handlers.escalation.evaluation import Labelled
from handlers.escalation.model import FORMAT, Features

#: Inverse regularisation strength, chosen by leaving each development set out in turn.
DEFAULT_C = 3.0
#: Features seen in fewer messages than this are too rare to weigh.
MIN_MESSAGES = 2
#: Weights smaller than this change no decision and are left out of the file.
SMALLEST_WEIGHT = 0.02
#: Fewer examples of either kind than this teach nothing.
FEWEST = 5


class TrainingUnavailable(Exception):
    """scikit-learn is not installed."""


@dataclass(frozen=True, slots=True)
class TrainingSet:
    name: str
    digest: str
    rows: list[Labelled]


def training_set(path: Path, rows: list[Labelled]) -> TrainingSet:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return TrainingSet(path.name, digest, rows)


def train(sets: Sequence[TrainingSet], c: float = DEFAULT_C) -> dict[str, Any]:
    """The model file's content for these labelled sets."""
    try:
        from sklearn.feature_extraction.text import CountVectorizer
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        raise TrainingUnavailable(
            "training needs scikit-learn: pip install 'shequn[train]'"
        ) from None
    rows = [row for training in sets for row in training.rows]
    labels = [row.severity is not Severity.NONE for row in rows]
    complaints = sum(labels)
    if min(complaints, len(labels) - complaints) < FEWEST:
        raise ValueError(
            f"the files need at least {FEWEST} complaints and {FEWEST} ordinary messages "
            f"(they have {complaints} and {len(labels) - complaints})"
        )
    vectorizer = CountVectorizer(analyzer=Features(), binary=True, min_df=MIN_MESSAGES)
    try:
        matrix = vectorizer.fit_transform([row.text for row in rows])
    except ValueError:  # scikit-learn: no feature is in two messages
        raise ValueError("the messages share too little text to learn from") from None
    model = LogisticRegression(C=c, max_iter=5000, class_weight="balanced")
    model.fit(matrix, labels)
    names = vectorizer.get_feature_names_out()
    weights = {
        str(name): round(float(weight), 3)
        for name, weight in sorted(zip(names, model.coef_[0], strict=True))
        if abs(weight) >= SMALLEST_WEIGHT
    }
    return {
        "format": FORMAT,
        "trained_on": {training.name: training.digest for training in sets},
        "messages": len(rows),
        "complaints": sum(labels),
        "c": c,
        "bias": round(float(model.intercept_[0]), 4),
        "weights": weights,
    }
