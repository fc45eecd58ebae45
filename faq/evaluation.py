"""Measures a matcher on labelled queries, exactly as the bot would answer.

A query is ``{"query": ..., "expected_id": ID or null}``; null marks chatter
that must get no answer. The figures: top-1 accuracy on in-scope queries (the
answer given, after the threshold, is the expected one), recall@3 (the
expected entry is among the three best candidates), the false-answer rate on
out-of-scope queries, and latency. Small talk ("谢谢", "收到", "早上好") is never
matched, as in the bot, which answers it itself; out of scope, it is left out of
the false-answer rate, which is then the rate on questions the base does not answer.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from faq.formats import FormatError
from faq.matcher import AnswerRule
from faq.question import small_talk


@dataclass(frozen=True, slots=True)
class LabelledQuery:
    line: int
    query: str
    expected: str | None


@dataclass(frozen=True, slots=True)
class Prediction:
    query: str
    expected_id: str | None
    predicted_id: str | None
    score: float
    top3: tuple[str, ...]
    latency_ms: float
    #: Small talk, which the bot never matches against the base.
    small_talk: bool = False
    #: What the answer rule compares with its threshold, when the rule weighs more than
    #: ``score`` (its lead over the runner-up): what other thresholds are tried on.
    standing: float | None = None

    @property
    def weighed(self) -> float:
        """What a threshold applies to: the standing, else the score."""
        return self.score if self.standing is None else self.standing


@dataclass(frozen=True, slots=True)
class Report:
    in_scope: int
    #: Out of scope, small talk aside (that is counted in ``small_talk``).
    out_of_scope: int
    top1_accuracy: float
    recall_at_3: float
    #: The expected entry ranked first, answered or not (how well the matcher ranks).
    ranked_first: float
    false_answer_rate: float
    wrong_answer_rate: float
    median_ms: float
    p99_ms: float
    #: The most in-scope queries answered correctly by any threshold that keeps false
    #: answers (out of scope) within TRADE_OFF_FALSE, and that threshold (None: none does).
    best_correct: float = 0.0
    best_threshold: float | None = None
    #: The rule the figures above were answered by (calibrated, unless configured).
    rule_threshold: float = 0.0
    rule_lead_weight: float = 0.0
    #: Why that rule, when it is not the calibrated one (configured, or uncertain).
    rule_note: str = ""
    #: Out-of-scope small talk, never matched, so left out of the false-answer rate.
    small_talk: int = 0

    def lines(self) -> list[str]:
        if not self.out_of_scope:
            trade = (
                "no out-of-scope questions (expected_id null), so false answers are not measured"
            )
        elif self.best_threshold is None:
            trade = f"no threshold keeps false answers within {TRADE_OFF_FALSE:.0%}"
        else:
            trade = (
                f"{self.best_correct:.1%} answered correctly with at most "
                f"{TRADE_OFF_FALSE:.0%} false answers (threshold {self.best_threshold:.2f})"
            )
        return [
            f"queries: {self.in_scope} in scope, {self.out_of_scope} out of scope"
            + (f" (and {self.small_talk} small talk, never matched)" if self.small_talk else ""),
            f"top-1 accuracy (in scope): {self.top1_accuracy:.1%}",
            f"ranked first (in scope, answered or not): {self.ranked_first:.1%}",
            f"recall@3 (in scope): {self.recall_at_3:.1%}",
            f"answer rule: {self.rule}" + (f" ({self.rule_note})" if self.rule_note else ""),
            f"false-answer rate (out of scope): {self.false_answer_rate:.1%}",
            f"wrong answers (in scope, answered with another entry): {self.wrong_answer_rate:.1%}",
            f"latency: median {self.median_ms:.2f} ms, p99 {self.p99_ms:.2f} ms",
            f"best trade-off: {trade}",
        ]

    @property
    def rule(self) -> AnswerRule:
        return AnswerRule(self.rule_threshold, self.rule_lead_weight)

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


#: The false-answer rate at which thresholds (and plain baselines) are compared.
TRADE_OFF_FALSE = 0.10

#: A scorer returns ranked (entry id, confidence) pairs for a query.
Scorer = Callable[[str], Sequence[tuple[Hashable, float]]]


def read_queries(path: Path) -> list[LabelledQuery]:
    queries: list[LabelledQuery] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise FormatError(f"{path.name} line {number}: not valid JSON: {error.msg}") from None
        if not isinstance(record, dict) or not isinstance(record.get("query"), str):
            raise FormatError(f"{path.name} line {number}: needs a text 'query'")
        if "expected_id" not in record:  # a misspelt key would make it chatter
            raise FormatError(
                f"{path.name} line {number}: needs 'expected_id' "
                "(the id of the entry that answers it, or null if none does)"
            )
        expected = record.get("expected_id")
        label = None if expected is None else str(expected)
        queries.append(LabelledQuery(number, record["query"], label))
    if not queries:
        raise FormatError(f"{path.name} has no queries")
    return queries


def check_expected(queries: Iterable[LabelledQuery], keys: Iterable[str], name: str) -> None:
    """A :class:`FormatError` naming the first query that expects an entry ``keys`` lacks
    (a typo there would count as the matcher's wrong answer)."""
    known = set(keys)
    for item in queries:
        if item.expected is not None and item.expected not in known:
            raise FormatError(
                f"{name} line {item.line}: expected_id {item.expected!r} is no entry of the base"
            )


def predict(
    queries: Iterable[LabelledQuery], scorer: Scorer, rule: AnswerRule | float
) -> list[Prediction]:
    """Each query answered as the bot would by ``rule`` (a bare number: a threshold)."""
    if not isinstance(rule, AnswerRule):
        rule = AnswerRule(rule)
    predictions = []
    for item in queries:
        started = time.perf_counter()
        chatter = small_talk(item.query) is not None
        ranked = () if chatter else scorer(item.query)
        elapsed = (time.perf_counter() - started) * 1000
        top = ranked[0] if ranked else None
        confidences = [confidence for _, confidence in ranked]
        answered = rule.answers(confidences)
        predictions.append(
            Prediction(
                query=item.query,
                expected_id=item.expected,
                predicted_id=str(top[0]) if answered and top else None,
                score=round(float(top[1]), 4) if top else 0.0,
                top3=tuple(str(key) for key, _ in ranked[:3]),
                latency_ms=elapsed,
                small_talk=chatter,
                standing=round(rule.standing(confidences), 4),
            )
        )
    return predictions


def at_threshold(predictions: Sequence[Prediction], threshold: float) -> list[Prediction]:
    """The same ranked predictions, answered only where they stand at ``threshold``
    or above (by the rule they were answered by)."""
    return [
        replace(p, predicted_id=p.top3[0] if p.top3 and p.weighed >= threshold else None)
        for p in predictions
    ]


def trade_off(
    predictions: Sequence[Prediction], max_false: float = TRADE_OFF_FALSE
) -> tuple[float, float | None]:
    """The best share of in-scope queries answered correctly by one threshold (0.00 to
    1.00 by hundredths, on the predictions' standing) whose false-answer rate stays within
    ``max_false``, and that threshold; how matchers are compared at the same risk."""
    best: tuple[float, float | None] = (0.0, None)
    for step in range(101):
        threshold = step / 100
        report = summarize(at_threshold(predictions, threshold))
        if report.false_answer_rate <= max_false and report.top1_accuracy > best[0]:
            best = (report.top1_accuracy, threshold)
    return best


def summarize(predictions: Sequence[Prediction]) -> Report:
    """The figures of ``predictions`` as answered (the trade-off is :func:`trade_off`'s)."""
    in_scope = [p for p in predictions if p.expected_id is not None]
    out_scope = [p for p in predictions if p.expected_id is None and not p.small_talk]
    latencies = sorted(p.latency_ms for p in predictions if not p.small_talk) or [0.0]
    return Report(
        in_scope=len(in_scope),
        out_of_scope=len(out_scope),
        small_talk=sum(1 for p in predictions if p.expected_id is None and p.small_talk),
        top1_accuracy=_share(in_scope, lambda p: p.predicted_id == p.expected_id),
        recall_at_3=_share(in_scope, lambda p: p.expected_id in p.top3),
        ranked_first=_share(in_scope, lambda p: p.top3[:1] == (p.expected_id,)),
        false_answer_rate=_share(out_scope, lambda p: p.predicted_id is not None),
        wrong_answer_rate=_share(
            in_scope, lambda p: p.predicted_id is not None and p.predicted_id != p.expected_id
        ),
        median_ms=statistics.median(latencies),
        p99_ms=latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
    )


def _share(items: Sequence[Prediction], test: Callable[[Prediction], bool]) -> float:
    return sum(1 for item in items if test(item)) / len(items) if items else 0.0
