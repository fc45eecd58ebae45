"""The FAQ matcher on the sets from other domains (tests/data/faq_home, faq_exam and the
English faq_en_brew, development sets, and faq_gym, faq_cars, faq_pets, faq_saas and the
English faq_en_course, which nothing was tuned on): the calibrated
answer rule keeping false answers low on questions nobody tuned for, what it answers,
kept as floors, and the comparison with the plain baselines at the same risk."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from tempfile import TemporaryDirectory

import pytest

from bot.evaluate import evaluate_files
from bot.settings import Settings
from faq.evaluation import TRADE_OFF_FALSE, Report, predict, read_queries, trade_off
from tests.faq_baseline import CharTfidf, PlainBm25, rescaled

DATA = Path(__file__).parent / "data"
#: Correct answers by the rule calibrated at the default 5 % risk, and the best correct
#: share at most 10 % false, as measured now (the README's FAQ section).
TODAY = {
    "faq_home": (0.212, 0.264),
    "faq_exam": (0.530, 0.639),
    "faq_en_brew": (0.487, 0.565),
    "faq_gym": (0.375, 0.529),
    "faq_cars": (0.400, 0.475),
    "faq_pets": (0.525, 0.592),
    "faq_saas": (0.479, 0.446),
    "faq_en_course": (0.348, 0.348),
}
#: Sets on which the calibrated rule answers more than TRADE_OFF_FALSE of the questions
#: without an entry: faq_saas (written last, measured once) 10.3 %, all of them
#: questions about a detail next to an entry's (下拉列表能多选吗 → 如何设置下拉列表？).
OVERSHOOTS = {"faq_saas"}
#: The default risk: at most this share of questions without an entry should get an
#: answer. The rule is estimated from the base alone, so on a set nobody tuned for it
#: may overshoot a little (faq_en_course 9.3 %, faq_pets 8.1 %); it must stay
#: within TRADE_OFF_FALSE.
RISK = 0.05


def _baselines(folder: Path) -> dict[str, float]:
    queries = read_queries(folder / "queries.jsonl")
    base = folder / "base.jsonl"
    return {
        name: trade_off(rescaled(predict(queries, scorer(base), 0.0)))[0]
        for name, scorer in (("jieba BM25", PlainBm25), ("character TF-IDF", CharTfidf))
    }


@cache
def _report(name: str) -> Report:
    """``shequn faq eval`` on a set, as the bot answers with the default settings."""
    folder = DATA / name
    with TemporaryDirectory() as data:
        return evaluate_files(
            Settings(data_dir=Path(data)), folder / "base.jsonl", folder / "queries.jsonl"
        )


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(
            name,
            marks=pytest.mark.xfail(strict=True, reason="the rule overshoots on this set"),
        )
        if name in OVERSHOOTS
        else name
        for name in sorted(TODAY)
    ],
)
def test_the_calibrated_rule_keeps_false_answers_low_on_other_domains(name: str) -> None:
    """With the former fixed threshold (0.38) 19.0 % and 31.1 % of the questions without
    an entry got an answer; the rule calibrated from each base at the 5 % risk gives
    2.4–9.3 %, and no more than 10 % but on faq_saas (10.3 %)."""
    assert _report(name).false_answer_rate <= TRADE_OFF_FALSE


@pytest.mark.parametrize("name", sorted(TODAY))
def test_the_calibrated_rule_answers_what_it_answered_before(name: str) -> None:
    """The correct direct answers and the best trade-off, kept as floors, with few
    questions answered by a wrong entry."""
    report = _report(name)
    correct, best = TODAY[name]
    assert report.top1_accuracy >= correct - 0.001
    assert report.wrong_answer_rate <= RISK
    assert report.best_correct >= best - 0.001


@pytest.mark.parametrize("name", sorted(TODAY))
def test_the_matcher_beats_both_plain_baselines_at_the_same_risk(name: str) -> None:
    """At most 10 % false answers, the matcher answers more questions correctly than
    character TF-IDF and jieba BM25 (faq_cars: 47.5 % against 37.9 % for both; before
    the entries' scope counted, 36.2 %)."""
    ours = _report(name)
    for baseline, correct in _baselines(DATA / name).items():
        assert ours.best_correct > correct, baseline
