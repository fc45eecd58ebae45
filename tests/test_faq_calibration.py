"""FAQ confidence calibrated from the base itself: the self-test, the rule fitted to the
operator's risk, members' feedback folded in, and where operators see it (``shequn faq
calibrate``, ``/faq``, ``shequn faq eval``)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.calibrate import calibrate_file
from bot.evaluate import evaluate_files
from bot.settings import Settings
from faq.calibration import (
    FEW_SAMPLES,
    LEFT_OUT_WEIGHT,
    Feedback,
    Sample,
    Source,
    Stopped,
    feedback_samples,
    fit,
    self_test,
)
from faq.matcher import AnswerRule, EntryText, Matcher
from faq.normalize import Normalizer
from faq.synonyms import DEFAULT_SYNONYMS
from faq.tokenizer import Tokenizer
from handlers.faq.confidence import (
    FEEDBACK_EVERY,
    UNCERTAIN_THRESHOLD,
    Calibrator,
    RuleState,
    as_feedback,
    rule_in_force,
)
from handlers.faq.settings import FaqSettings
from storage.records import FaqFeedbackRecord

DATA = Path(__file__).parent / "data" / "faq_eval"


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return Tokenizer()


def empty(tokenizer: Tokenizer) -> Matcher:
    return Matcher(Normalizer(DEFAULT_SYNONYMS), tokenizer)


def base_entries() -> dict[str, EntryText]:
    rows = [
        json.loads(line)
        for line in DATA.joinpath("base.jsonl").read_text("utf-8").split("\n")
        if line
    ]
    return {
        row["id"]: EntryText((row["question"], *row.get("alternatives", ())), row["answer"])
        for row in rows
    }


def test_the_rule_is_the_most_answers_within_the_risk() -> None:
    """Unanswerable questions score 0.3–0.6 and answerable ones 0.5–0.9: the rule answers
    the most answerable ones while the bound on false answers stays within the risk."""
    answerable = [Sample(0.5 + i / 250, 0.3, True) for i in range(100)]
    unanswerable = [Sample(0.3 + i / 333, 0.3, None, Source.FEEDBACK) for i in range(100)]
    strict = fit(answerable + unanswerable, 0.05)
    loose = fit(answerable + unanswerable, 0.30)
    assert strict.met and not strict.uncertain
    assert strict.false_bound <= 0.05 < fit(answerable + unanswerable, 0.10).false_bound + 0.05
    assert loose.rule.threshold < strict.rule.threshold
    assert loose.correct > strict.correct
    # The rule is the lowest threshold whose bound is within the risk: one step lower is not.
    lower = AnswerRule(round(strict.rule.threshold - 0.01, 2), strict.rule.lead_weight)
    answered = sum(1 for s in unanswerable if lower.answers((s.confidence, s.confidence - s.lead)))
    assert answered / 100 > 0.02  # already two in a hundred: its bound exceeds 5 %


def test_a_lead_over_the_runner_up_is_required_when_close_entries_confuse() -> None:
    """Unanswerable questions that reach high confidence, but always with a close
    runner-up: the rule weighs the lead instead of giving up answering."""
    answerable = [Sample(0.8, 0.3, True) for _ in range(100)]
    unanswerable = [Sample(0.8, 0.01, None, Source.FEEDBACK) for _ in range(100)]
    calibration = fit(answerable + unanswerable, 0.05)
    assert calibration.met and calibration.correct == 1.0
    rule = calibration.rule
    assert rule.answers((0.8, 0.5)) and not rule.answers((0.8, 0.79))


def test_the_standing_weighs_the_lead_over_the_runner_up() -> None:
    """(confidence + w × lead) / (1 + w): a clear lead lifts a modest match, a close
    runner-up lowers a high one; weight 0 is the confidence alone."""
    rule = AnswerRule(0.35, 2.0)
    assert rule.standing((0.6, 0.0)) == pytest.approx(0.6)  # no runner-up: all lead
    assert rule.standing((0.9, 0.85)) == pytest.approx((0.9 + 2 * 0.05) / 3)
    assert rule.standing((0.45, 0.1)) == pytest.approx((0.45 + 2 * 0.35) / 3)
    assert rule.answers((0.45, 0.1)) and not rule.answers((0.9, 0.85))
    assert rule.standing([]) == 0.0 and not rule.answers([])
    plain = AnswerRule(0.5)
    assert plain.standing((0.5, 0.49)) == 0.5 and plain.answers((0.5, 0.49))
    assert "2 × its lead" in str(rule) and "0.50" in str(plain)


def test_left_out_entries_weigh_less_than_real_false_answers() -> None:
    answerable = [Sample(0.9, 0.5, True) for _ in range(200)]
    left_out = [Sample(0.9 if i < 8 else 0.1, 0.5, None) for i in range(200)]
    real = [Sample(s.confidence, s.lead, None, Source.FEEDBACK) for s in left_out]
    assert LEFT_OUT_WEIGHT < 1
    assert fit(answerable + left_out, 0.05).met  # 8 of 200 count as 4: within 5 %
    assert not fit(answerable + real, 0.05).met  # 8 real ones are too many


def test_few_samples_are_uncertain_and_answer_conservatively() -> None:
    few = [Sample(0.9, 0.5, True)] * 10 + [Sample(0.2, 0.1, None)] * 10
    calibration = fit(few, 0.05)
    assert calibration.uncertain and len(few) < 2 * FEW_SAMPLES
    in_force = rule_in_force(FaqSettings(), calibration)
    assert in_force.uncertain and in_force.rule == AnswerRule(UNCERTAIN_THRESHOLD)
    assert in_force.state is RuleState.FEW
    fixed = rule_in_force(FaqSettings(answer_threshold=0.3), calibration)
    assert fixed.fixed and fixed.rule == AnswerRule(0.3) and fixed.state is RuleState.FIXED
    assert rule_in_force(FaqSettings(), None).state is RuleState.PENDING


def test_a_base_no_rule_can_keep_within_the_risk_says_so_not_that_it_is_small() -> None:
    """Plenty of samples, but every unanswerable question scores as high as the
    answerable ones: no rule meets 5 %, and the operator is told that, not "too few"."""
    answerable = [Sample(0.9, 0.5, True) for _ in range(200)]
    unanswerable = [Sample(0.99, 0.5, None, Source.FEEDBACK) for _ in range(200)]
    in_force = rule_in_force(FaqSettings(), fit(answerable + unanswerable, 0.05))
    assert in_force.state is RuleState.UNMET
    assert in_force.uncertain and in_force.rule == AnswerRule(UNCERTAIN_THRESHOLD)


def test_the_self_test_leaves_entries_and_phrasings_out_and_puts_them_back(
    tokenizer: Tokenizer,
) -> None:
    entries = base_entries()
    matcher = empty(tokenizer)
    samples = self_test(matcher, entries)
    assert sum(1 for s in samples if not s.answerable) == len(entries)
    several = sum(1 for entry in entries.values() if len(entry.phrasings) > 1)
    assert sum(1 for s in samples if s.answerable) == several
    assert len(matcher) == len(entries)  # all put back
    fresh = empty(tokenizer)
    for key, entry in entries.items():
        fresh.add_entry(key, entry)
    for question in ("积分怎么兑换礼品", "直播有回放吗", "怎么修改昵称"):
        assert matcher.search(question) == fresh.search(question)
    # Many left-out phrasings still find their entry, and more confidently than a
    # left-out entry's question finds a wrong one.
    found = [s.confidence for s in samples if s.right]
    wrong = [s.confidence for s in samples if not s.answerable]
    assert len(found) > 0.3 * several
    assert sum(found) / len(found) > sum(wrong) / len(wrong) + 0.1


def test_feedback_adds_real_cases_matched_against_the_base_as_it_is(
    tokenizer: Tokenizer,
) -> None:
    matcher = empty(tokenizer)
    matcher.add("points", ["积分怎么兑换礼品？"])
    matcher.add("password", ["忘记密码怎么办？"])
    samples = feedback_samples(
        matcher,
        [
            Feedback("积分能换什么礼物", entry="points"),  # 👍: answerable, right
            Feedback("积分可以转给朋友吗", wrong="points"),  # 👎 and still answered: false
            Feedback("密码太简单了", wrong="points"),  # 👎, but now another entry comes first
            Feedback("怎么退款", entry="gone"),  # its entry was deleted since
        ],
    )
    assert [(s.right, s.source) for s in samples] == [
        (True, Source.FEEDBACK),
        (None, Source.FEEDBACK),
    ]


def test_one_verdict_per_question_and_entry() -> None:
    records = [
        FaqFeedbackRecord("积分可以转给朋友吗", 1, False),  # 👎 …
        FaqFeedbackRecord("积分可以转给朋友吗 ", 1, False),  # … then "talk to staff"
        FaqFeedbackRecord("积分能换什么", 1, True),
    ]
    assert as_feedback(records) == [
        Feedback("积分可以转给朋友吗", wrong=1),
        Feedback("积分能换什么", entry=1),
    ]


def test_eval_answers_by_the_calibrated_rule(tmp_path: Path) -> None:
    """``faq eval`` measures the bot as it would answer: by the rule calibrated from the
    base at the configured risk; a stricter risk answers fewer and errs less."""
    settings = Settings(data_dir=tmp_path)
    queries = DATA / "queries.jsonl"
    calibrated = evaluate_files(settings, DATA / "base.jsonl", queries)
    risky = evaluate_files(
        Settings(data_dir=tmp_path, faq={"max_false_answer_rate": 0.3}),
        DATA / "base.jsonl",
        queries,
    )
    run = calibrate_file(settings, DATA / "base.jsonl")
    assert calibrated.rule_threshold == run.calibration.rule.threshold
    assert calibrated.false_answer_rate <= 0.05  # the risk holds on real questions
    assert risky.rule_threshold < calibrated.rule_threshold
    assert risky.top1_accuracy > calibrated.top1_accuracy
    assert run.seconds < 10


def test_calibrate_from_the_command_line(run: Any, tmp_path: Path) -> None:
    code, out = run("faq", "calibrate", "--base", str(DATA / "base.jsonl"))
    assert code == 0, out
    assert "118 entries, risk 5%" in out
    assert "118 questions without an entry" in out
    assert "rule: answer when (match + 2 × its lead" in out and "in force: this rule" in out
    code, out = run("faq", "calibrate", "--base", str(DATA / "base.jsonl"), "--json")
    figures = json.loads(out)
    assert figures["entries"] == 118 and figures["false_bound"] <= 0.05
    code, out = run("faq", "calibrate", "--base", str(tmp_path / "missing.jsonl"))
    assert code == 2 and out.startswith("cannot calibrate:") and len(out.splitlines()) == 1


def test_calibrate_the_database_with_its_feedback(run: Any, tmp_path: Path) -> None:
    code, out = run("faq", "import", str(DATA / "base.jsonl"))
    assert code == 0, out
    code, out = run("faq", "calibrate")
    assert code == 0, out
    assert "118 entries" in out and "0 of them from members' feedback" in out
    code, out = run("faq", "calibrate", "--no-feedback")
    assert code == 0 and "0 of them from" in out


def test_an_uncertain_base_says_so(run: Any, tmp_path: Path) -> None:
    small = tmp_path / "small.jsonl"
    small.write_text(
        "\n".join(
            json.dumps({"id": f"e{i}", "question": q, "answer": "…"}, ensure_ascii=False)
            for i, q in enumerate(["积分怎么兑换？", "忘记密码怎么办？", "直播有回放吗？"])
        ),
        "utf-8",
    )
    code, out = run("faq", "calibrate", "--base", str(small))
    assert code == 0, out
    assert "uncertain" in out and f"{UNCERTAIN_THRESHOLD:.2f}" in out


def test_recalibration_waits_for_a_change(tmp_path: Path) -> None:
    """The calibrator reruns when the base changed, and for new feedback alone at most
    hourly; replies read the rule in force meanwhile."""
    tokenizer = Tokenizer()
    calibrator = Calibrator(FaqSettings(), lambda: empty(tokenizer))
    entries = base_entries()
    feedback: list[FaqFeedbackRecord] = []

    async def read() -> list[FaqFeedbackRecord]:
        return list(feedback)

    async def scenario() -> list[bool]:
        now = datetime(2026, 1, 1, tzinfo=UTC)
        ran = [await calibrator.update(entries, read, now)]
        ran.append(await calibrator.update(entries, read, now + timedelta(minutes=2)))
        feedback.append(FaqFeedbackRecord("积分能换什么礼物", 1, True))
        ran.append(await calibrator.update(entries, read, now + timedelta(minutes=4)))
        ran.append(
            await calibrator.update(entries, read, now + FEEDBACK_EVERY + timedelta(minutes=1))
        )
        del entries[next(iter(entries))]
        ran.append(
            await calibrator.update(entries, read, now + FEEDBACK_EVERY + timedelta(minutes=3))
        )
        return ran

    assert asyncio.run(scenario()) == [True, False, False, True, True]
    assert calibrator.in_force().calibration is calibrator.calibration


def test_a_calibration_in_progress_stops_when_the_bot_does(tokenizer: Tokenizer) -> None:
    """Shutting down does not wait for a long self-test: it stops between samples."""
    with pytest.raises(Stopped):
        self_test(empty(tokenizer), base_entries(), stop=lambda: True)
    calibrator = Calibrator(FaqSettings(), lambda: empty(tokenizer))

    async def read() -> list[FaqFeedbackRecord]:
        return []

    async def scenario() -> bool:
        now = datetime(2026, 1, 1, tzinfo=UTC)
        running = asyncio.create_task(calibrator.update(base_entries(), read, now))
        await asyncio.sleep(0.05)
        calibrator.stop()
        stopped = await running
        again = await calibrator.update(base_entries(), read, now + FEEDBACK_EVERY, force=True)
        return stopped or again

    assert asyncio.run(scenario()) is False
    assert calibrator.calibration is None
