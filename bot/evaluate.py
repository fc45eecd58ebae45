"""``shequn faq eval``: the bot's own matcher and thresholds on a labelled file."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, replace
from pathlib import Path

from bot.calibrate import file_entries
from bot.settings import Settings
from faq.evaluation import Report, predict, read_queries, summarize, trade_off
from faq.matcher import AnswerRule, EntryText, Matcher
from handlers.faq.confidence import calibrate, rule_in_force
from handlers.faq.library import build_matcher


def load_base(settings: Settings, base: Path) -> Matcher:
    """A matcher built exactly as the bot builds it, over the entries of ``base``."""
    return _matcher_over(settings, file_entries(base))


def _matcher_over(settings: Settings, entries: Mapping[str, EntryText]) -> Matcher:
    matcher = build_matcher(settings.faq)
    for key, entry in entries.items():
        matcher.add_entry(key, entry)
    return matcher


def rule_for(settings: Settings, matcher: Matcher, entries: Mapping[str, EntryText]) -> AnswerRule:
    """The rule the bot would answer by with these entries: calibrated, unless configured."""
    if settings.faq.answer_threshold is not None:
        return AnswerRule(settings.faq.answer_threshold)
    calibration = calibrate(matcher.empty_copy(), entries, (), settings.faq.max_false_answer_rate)
    return rule_in_force(settings.faq, calibration).rule


def evaluate_files(
    settings: Settings, base: Path, queries: Path, predictions: Path | None = None
) -> Report:
    entries = file_entries(base)  # read once: the matcher and the calibration share it
    matcher = _matcher_over(settings, entries)
    rule = rule_for(settings, matcher, entries)

    def scorer(text: str) -> list[tuple[object, float]]:
        return [(match.key, match.confidence) for match in matcher.search(text)]

    predicted = predict(read_queries(queries), scorer, rule)
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
    return replace(
        summarize(predicted),
        best_correct=best_correct,
        best_threshold=best_threshold,
        rule_threshold=rule.threshold,
        rule_lead=rule.lead,
    )
