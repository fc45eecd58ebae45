"""The plain baselines the matcher must beat: jieba words + rank_bm25, and character
uni+bigram TF-IDF (scikit-learn) with cosine similarity, each over an entry's question
and alternatives as one text. BM25's raw score is the confidence; compare the two at
the same false-answer rate (``faq.evaluation.trade_off``), which no rescaling changes."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import jieba
from rank_bm25 import BM25Okapi
from sklearn.feature_extraction.text import TfidfVectorizer

from faq.evaluation import Prediction


def rescaled(predictions: list[Prediction]) -> list[Prediction]:
    """Scores divided by the highest (BM25's are unbounded), for ``trade_off``'s
    thresholds from 0 to 1; the order is unchanged."""
    top = max((p.score for p in predictions), default=0.0) or 1.0
    return [replace(p, score=p.score / top, standing=p.weighed / top) for p in predictions]


class PlainBm25:
    def __init__(self, base: Path) -> None:
        self._jieba = jieba.Tokenizer()
        entries = [json.loads(line) for line in base.read_text("utf-8").splitlines() if line]
        self._ids = [entry["id"] for entry in entries]
        self._bm25 = BM25Okapi(
            [
                self._jieba.lcut(" ".join([entry["question"], *entry.get("alternatives", [])]))
                for entry in entries
            ]
        )

    def __call__(self, query: str) -> list[tuple[str, float]]:
        scores = self._bm25.get_scores(self._jieba.lcut(query))
        ranked = sorted(range(len(scores)), key=lambda i: -scores[i])[:3]
        return [(self._ids[i], float(scores[i])) for i in ranked]


class CharTfidf:
    def __init__(self, base: Path) -> None:
        entries = [json.loads(line) for line in base.read_text("utf-8").splitlines() if line]
        self._ids = [entry["id"] for entry in entries]
        self._vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 2))
        self._matrix = self._vectorizer.fit_transform(
            [" ".join([entry["question"], *entry.get("alternatives", [])]) for entry in entries]
        )

    def __call__(self, query: str) -> list[tuple[str, float]]:
        scores = (self._matrix @ self._vectorizer.transform([query]).T).toarray()[:, 0]
        ranked = sorted(range(len(scores)), key=lambda i: -scores[i])[:3]
        return [(self._ids[i], float(scores[i])) for i in ranked]
