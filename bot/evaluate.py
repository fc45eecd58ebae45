"""``shequn faq eval``: the bot's own matcher and thresholds on a labelled file."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path

from bot.settings import Settings
from faq.evaluation import Report, predict, read_queries, summarize, trade_off
from faq.formats import FormatError, read_entries
from faq.matcher import Matcher
from handlers.faq.library import build_matcher


def load_base(settings: Settings, base: Path) -> Matcher:
    """A matcher built exactly as the bot builds it, over the entries of ``base``."""
    result = read_entries(base)
    if result.problems:
        raise FormatError("; ".join(str(p) for p in result.problems[:5]))
    matcher = build_matcher(settings.faq)
    for index, row in enumerate(result.rows):
        if row.enabled:
            matcher.add(row.key or str(index + 1), (row.question, *row.alternatives))
    return matcher


def evaluate_files(
    settings: Settings, base: Path, queries: Path, predictions: Path | None = None
) -> Report:
    matcher = load_base(settings, base)
    threshold = matcher.config.answer_threshold

    def scorer(text: str) -> list[tuple[object, float]]:
        return [(match.key, match.confidence) for match in matcher.search(text)]

    predicted = predict(read_queries(queries), scorer, threshold)
    if predictions is not None:
        with predictions.open("w", encoding="utf-8") as out:
            for p in predicted:
                row = asdict(p)
                out.write(
                    json.dumps(
                        {
                            "query": row["query"],
                            "expected_id": row["expected_id"],
                            "predicted_id": row["predicted_id"],
                            "score": row["score"],
                            "top3": list(row["top3"]),
                        },
                        ensure_ascii=False,
                    )
                    + "\n"
                )
    best_correct, best_threshold = trade_off(predicted)
    return replace(summarize(predicted), best_correct=best_correct, best_threshold=best_threshold)
