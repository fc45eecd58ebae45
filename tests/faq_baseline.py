"""The plain baseline the matcher must beat: jieba words + rank_bm25 over each
entry's question and alternatives, raw BM25 score as confidence."""

from __future__ import annotations

import json
from pathlib import Path

import jieba
from rank_bm25 import BM25Okapi


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
