"""Keeps the FAQ's answer rule calibrated to the operator's risk.

The work (:func:`calibrate`) runs in a worker thread on a private matcher, so
replies never wait for it and never see a half-changed index; it runs again
when the base or members' feedback changed, at most once a minute.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from faq.calibration import (
    Calibration,
    Feedback,
    Stopped,
    feedback_samples,
    fit,
    self_test,
)
from faq.matcher import AnswerRule, EntryText, Matcher
from handlers.faq.settings import FaqSettings
from storage.records import FaqFeedbackRecord

log = logging.getLogger(__name__)

#: A rule from few samples is a guess: until the base is large enough to test itself,
#: answer only at this confidence.
UNCERTAIN_THRESHOLD = 0.5
#: Look for changes at most this often; recalibrate for new feedback alone at most
#: every FEEDBACK_EVERY (a 10,000-entry base takes seconds of a worker thread).
EVERY = timedelta(minutes=1)
FEEDBACK_EVERY = timedelta(hours=1)


class RuleState(StrEnum):
    """Why the rule in force is the one it is (what operators are told)."""

    FIXED = "fixed"
    #: The first calibration has not finished yet (it takes seconds after a start).
    PENDING = "pending"
    #: Too few questions of either kind to test the base with.
    FEW = "few"
    #: Enough to test with, but no rule keeps false answers within the risk.
    UNMET = "unmet"
    CALIBRATED = "calibrated"


@dataclass(frozen=True, slots=True)
class RuleInForce:
    """The rule the bot answers by and why: calibrated, fixed by the operator, or
    conservative while calibration is uncertain."""

    rule: AnswerRule
    calibration: Calibration | None
    fixed: bool = False

    @property
    def uncertain(self) -> bool:
        return not self.fixed and (self.calibration is None or self.calibration.uncertain)

    @property
    def state(self) -> RuleState:
        if self.fixed:
            return RuleState.FIXED
        calibration = self.calibration
        if calibration is None:
            return RuleState.PENDING
        if calibration.few:
            return RuleState.FEW
        if not calibration.met:
            return RuleState.UNMET
        return RuleState.CALIBRATED


def rule_in_force(config: FaqSettings, calibration: Calibration | None) -> RuleInForce:
    if config.answer_threshold is not None:
        return RuleInForce(AnswerRule(config.answer_threshold), calibration, fixed=True)
    if calibration is None:
        return RuleInForce(AnswerRule(UNCERTAIN_THRESHOLD), None)
    if calibration.uncertain:
        return RuleInForce(AnswerRule(UNCERTAIN_THRESHOLD), calibration)
    return RuleInForce(calibration.rule, calibration)


def as_feedback(records: Sequence[FaqFeedbackRecord]) -> list[Feedback]:
    """One verdict per question and entry (a 👎 then "talk to staff" is one)."""
    seen: dict[tuple[str, int], Feedback] = {}
    for record in records:
        key = (record.question.strip(), record.entry_id)
        if key[0] and key not in seen:
            if record.helpful:
                seen[key] = Feedback(key[0], entry=record.entry_id)
            else:
                seen[key] = Feedback(key[0], wrong=record.entry_id)
    return list(seen.values())


def calibrate(
    empty: Matcher,
    entries: Mapping[int, EntryText],
    feedback: Sequence[Feedback],
    max_false: float,
    stop: Callable[[], bool] = lambda: False,
) -> Calibration:
    """The base's calibration at ``max_false`` (CPU-bound: run it in a thread), on
    ``empty``, a matcher of its own; :class:`Stopped` if ``stop`` says so."""
    samples = self_test(empty, entries, stop=stop)
    samples += feedback_samples(empty, feedback)
    return fit(samples, max_false)


class Calibrator:
    """Recalibrates when the base or the feedback changed (one run at a time)."""

    def __init__(self, config: FaqSettings, new_matcher: Callable[[], Matcher]) -> None:
        self.config = config
        self.calibration: Calibration | None = None
        self._new_matcher = new_matcher
        self._base: object = None
        self._feedback: object = None
        self._looked: datetime | None = None
        self._at: datetime | None = None
        self._lock = asyncio.Lock()
        self._stopping = threading.Event()

    def in_force(self) -> RuleInForce:
        return rule_in_force(self.config, self.calibration)

    def stop(self) -> None:
        """End a calibration in progress soon (shutting down); none starts after."""
        self._stopping.set()

    async def update(
        self,
        entries: Mapping[int, EntryText],
        read_feedback: Callable[[], Awaitable[list[FaqFeedbackRecord]]],
        now: datetime,
        *,
        force: bool = False,
    ) -> bool:
        """Recalibrate if due; True when a new calibration is in force."""
        if self._stopping.is_set() or self._lock.locked():
            return False
        if not force and self._looked and now - self._looked < EVERY:
            return False
        self._looked = now
        async with self._lock:
            records = await read_feedback() if self.config.learn_from_feedback else []
            base = tuple(sorted(entries.items(), key=lambda item: item[0]))
            if not force and not self._due(base, tuple(records), now):
                return False
            feedback = as_feedback(records)
            started = asyncio.get_running_loop().time()
            try:
                calibration = await asyncio.to_thread(
                    calibrate,
                    self._new_matcher(),
                    dict(entries),
                    feedback,
                    self.config.max_false_answer_rate,
                    self._stopping.is_set,
                )
            except Stopped:
                return False
            self.calibration, self._at = calibration, now
            self._base, self._feedback = base, tuple(records)
            log.info(
                "FAQ calibrated in %.1f s: %s",
                asyncio.get_running_loop().time() - started,
                describe(calibration),
            )
            return True

    def _due(self, base: object, feedback: object, now: datetime) -> bool:
        """The base changed, or feedback changed and the last run is an hour old."""
        if base != self._base or self._at is None:
            return True
        return feedback != self._feedback and now - self._at >= FEEDBACK_EVERY


def measure_text(rule: AnswerRule) -> tuple[str, dict[str, str]]:
    """The catalogue key and values saying what ``rule``'s threshold applies to."""
    if not rule.lead_weight:
        return "faq.rule_measure", {}
    weight = rule.lead_weight
    return "faq.rule_measure_lead", {"weight": f"{weight:g}", "parts": f"{1 + weight:g}"}


def describe(calibration: Calibration) -> str:
    """One line for logs."""
    rule = calibration.rule
    return (
        f"{rule}; "
        f"expected {calibration.correct:.0%} answered correctly, false answers <= "
        f"{calibration.false_bound:.1%} (risk {calibration.max_false:.0%})"
        + (", uncertain" if calibration.uncertain else "")
    )
