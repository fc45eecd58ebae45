"""``shequn faq eval``: the bot's own matcher and thresholds on a labelled file."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, replace
from pathlib import Path

from bot.calibrate import file_entries
from bot.settings import Settings
from faq.calibration import FEW_SAMPLES
from faq.evaluation import Report, check_expected, predict, read_queries, summarize, trade_off
from faq.formats import FormatError
from faq.matcher import EntryText, Matcher
from handlers.faq.confidence import RuleInForce, RuleState, calibrate, rule_in_force
from handlers.faq.library import build_matcher


def load_base(settings: Settings, base: Path) -> Matcher:
    """A matcher built exactly as the bot builds it, over the entries of ``base``."""
    return _matcher_over(settings, file_entries(base))


def _matcher_over(settings: Settings, entries: Mapping[str, EntryText]) -> Matcher:
    matcher = build_matcher(settings.faq)
    for key, entry in entries.items():
        matcher.add_entry(key, entry)
    return matcher


def rule_for(settings: Settings, matcher: Matcher, entries: Mapping[str, EntryText]) -> RuleInForce:
    """The rule the bot would answer by with these entries: calibrated, unless configured."""
    if settings.faq.answer_threshold is not None:
        return rule_in_force(settings.faq, None)
    calibration = calibrate(matcher.empty_copy(), entries, (), settings.faq.max_false_answer_rate)
    return rule_in_force(settings.faq, calibration)


#: Why a rule is in force, when it is not simply the calibrated one.
_RULE_NOTES = {
    RuleState.FIXED: "the configured answer_threshold",
    RuleState.FEW: f"uncertain: too few entries to calibrate (fewer than {FEW_SAMPLES})",
    RuleState.UNMET: "uncertain: no rule keeps false answers within the risk on this base",
}


def evaluate_files(
    settings: Settings, base: Path, queries: Path, predictions: Path | None = None
) -> Report:
    entries = file_entries(base)  # read once: the matcher and the calibration share it
    if not entries:
        raise FormatError(f"{base.name} has no entries")
    labelled = read_queries(queries)
    check_expected(labelled, entries, queries.name)
    matcher = _matcher_over(settings, entries)
    in_force = rule_for(settings, matcher, entries)
    rule = in_force.rule

    def scorer(text: str) -> list[tuple[object, float]]:
        return [(match.key, match.confidence) for match in matcher.search(text)]

    predicted = predict(labelled, scorer, rule)
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
                            "standing": row["standing"],
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
        rule_lead_weight=rule.lead_weight,
        rule_note=_RULE_NOTES.get(in_force.state, ""),
    )
