"""``shequn faq calibrate``: the answer rule the base gives at the configured risk."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bot.app import App
from bot.settings import Settings
from faq.calibration import FEW_SAMPLES, Calibration
from faq.formats import FormatError, read_entries
from faq.matcher import EntryText
from handlers.faq.confidence import (
    UNCERTAIN_THRESHOLD,
    RuleState,
    as_feedback,
    calibrate,
    rule_in_force,
)
from handlers.faq.library import build_matcher
from handlers.faq.settings import FaqSettings


@dataclass(frozen=True, slots=True)
class CalibrationRun:
    entries: int
    calibration: Calibration
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        calibration = asdict(self.calibration)
        rule = calibration.pop("rule")
        return {"entries": self.entries, "seconds": round(self.seconds, 2), **rule, **calibration}


def file_entries(base: Path) -> dict[str, EntryText]:
    """The enabled entries of a knowledge base file, by key (or line number)."""
    result = read_entries(base)
    if result.problems:
        raise FormatError("; ".join(str(p) for p in result.problems[:5]))
    return {
        row.key or str(index + 1): EntryText((row.question, *row.alternatives), row.answer)
        for index, row in enumerate(result.rows)
        if row.enabled
    }


def calibrate_file(settings: Settings, base: Path) -> CalibrationRun:
    entries = file_entries(base)
    started = time.perf_counter()
    calibration = calibrate(
        build_matcher(settings.faq), entries, (), settings.faq.max_false_answer_rate
    )
    return CalibrationRun(len(entries), calibration, time.perf_counter() - started)


async def calibrate_database(app: App, *, feedback: bool) -> CalibrationRun:
    config = app.settings.faq
    records = []
    if feedback and config.learn_from_feedback:
        records = await app.storage.run(lambda repos: repos.faq.feedback())
    entries = app.faq.texts()
    started = time.perf_counter()
    calibration = calibrate(
        app.faq.empty_matcher(), entries, as_feedback(records), config.max_false_answer_rate
    )
    return CalibrationRun(len(entries), calibration, time.perf_counter() - started)


def calibration_lines(run: CalibrationRun, config: FaqSettings) -> list[str]:
    c, rule = run.calibration, run.calibration.rule
    if not run.entries:
        return [
            "FAQ calibration: the base is empty, so the bot answers nothing from it "
            "(add entries with shequn faq import FILE, or /addfaq in a group)"
        ]
    in_force = rule_in_force(config, c)
    lines = [
        f"FAQ calibration: {run.entries} entries, risk {c.max_false:.0%} "
        "(faq.max_false_answer_rate), "
        f"in {run.seconds:.2f} s",
        f"tested on: {c.unanswerable} questions without an entry (entries left out), "
        f"{c.answerable} with one (phrasings left out); {c.from_feedback} of them from "
        "members' feedback",
    ]
    if c.met:
        said = "rule" if in_force.rule == rule else "rule the self-test gives (not in force)"
        lines.append(f"{said}: {rule}")
    else:
        lines.append(f"rule: none keeps false answers within {c.max_false:.0%} on this base")
    lines.append(
        f"expected: at least {c.correct:.1%} of answerable questions answered correctly "
        "(members' own questions usually more: a phrasing left out is a harder one), "
        f"{c.wrong:.1%} with a wrong entry; at most {c.false_bound:.1%} of questions "
        "without an entry get an answer"
    )
    if in_force.fixed:
        lines.append(
            f"in force: the configured answer_threshold {in_force.rule.threshold:.2f}, "
            "not this rule (remove answer_threshold to use it)"
        )
    elif in_force.state is RuleState.UNMET:
        lines.append(
            f"uncertain: no rule keeps false answers within {c.max_false:.0%}; the bot answers "
            f"only at a match of {UNCERTAIN_THRESHOLD:.2f} or more (more alternatives per "
            "entry, or a higher faq.max_false_answer_rate, change that)"
        )
    elif c.uncertain:
        lines.append(
            f"uncertain: too few to trust; the self-test needs {FEW_SAMPLES} questions of "
            f"each kind, that is {FEW_SAMPLES} entries, {FEW_SAMPLES} of them with two "
            f"phrasings or more (it has {c.unanswerable} without an entry and {c.answerable} "
            "with one, members' feedback included); until the base grows the bot answers "
            f"only at a match of {UNCERTAIN_THRESHOLD:.2f} or more"
        )
    else:
        lines.append("in force: this rule (recalibrated when the base or feedback changes)")
    return lines
