"""A second opinion on complaints: a linear model over a message's characters.

The lexicon finds complaint words, but cannot tell a member's own complaint from
ordinary talk that uses them (a relative scammed, a lawyer on television) as
well as examples can. The model, trained on labelled group messages
(``shequn complaints train``), gives the probability that a message is a
complaint for staff. The detector uses it three ways: a lexicon hit the model
finds unlikely opens no ticket, a crisis it doubts is serious rather than
paging the leads, and a message it is nearly sure of is a complaint even in
words the lexicon lacks.

Running it is a sum of weights; the weights are data: ``complaint_model.json``
beside this module, or an operator's own file trained on their community.
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import opencc

#: The model file shipped with Shequn.
BUILT_IN = Path(__file__).with_name("complaint_model.json")
#: The version of the file format (and of :class:`Features`); a file of another is refused.
FORMAT = 1
#: Only the start of a long message is read: enough to tell, and bounded in cost.
READ_CHARS = 300


class ModelError(Exception):
    """A model file that cannot be used; the message names the file and why."""


class Features:
    """What the model sees of a message: its characters and their pairs and triples
    (lower case, Simplified, full-width folded), and its Latin words. One definition,
    used to train and to run, so the two always agree."""

    def __init__(self) -> None:
        self._t2s = opencc.OpenCC("t2s")

    def __call__(self, text: str) -> set[str]:
        folded = self._t2s.convert(unicodedata.normalize("NFKC", text[: READ_CHARS * 2]).lower())
        folded = " ".join(folded.split())[:READ_CHARS]
        grams: set[str] = set()
        for size in (1, 2, 3):
            for start in range(len(folded) - size + 1):
                gram = folded[start : start + size]
                if gram.strip() == gram:
                    grams.add(gram)
        word: list[str] = []
        for char in folded + " ":
            if char.isascii() and (char.isalpha() or char == "'"):
                word.append(char)
            elif word:
                grams.add("w:" + "".join(word))
                word.clear()
        return grams


@dataclass(frozen=True)
class ComplaintModel:
    bias: float
    weights: Mapping[str, float]
    #: Where the weights came from, shown by ``shequn complaints eval``.
    source: str = "built-in"
    features: Features = field(default_factory=Features, repr=False, compare=False)

    def probability(self, text: str) -> float:
        """How likely ``text`` is a complaint for staff, from 0 to 1."""
        weights = self.weights
        total = self.bias + sum(weights.get(feature, 0.0) for feature in self.features(text))
        if total < -30:
            return 0.0
        return 1.0 / (1.0 + math.exp(-total))

    @staticmethod
    def load(path: Path | None = None) -> ComplaintModel:
        """The model in ``path`` (the built-in one when None); ModelError when unusable."""
        return _load(path or BUILT_IN)


@cache
def _load(path: Path) -> ComplaintModel:
    """Loaded once per file: every detector of the process shares it."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"complaint model {path}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelError(f"complaint model {path}: not a model file ({error})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ModelError(
            f"complaint model {path}: not a format-{FORMAT} model file; "
            "make one with `shequn complaints train`"
        )
    try:
        weights = {str(key): float(value) for key, value in data["weights"].items()}
        bias = float(data["bias"])
    except (KeyError, TypeError, ValueError, AttributeError):
        raise ModelError(f"complaint model {path}: its weights are malformed") from None
    source = "built-in" if path == BUILT_IN else str(path)
    return ComplaintModel(bias, weights, source)
