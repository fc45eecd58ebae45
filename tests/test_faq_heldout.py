"""The FAQ matcher on the sets from other domains (tests/data/faq_home and faq_exam,
development sets, and faq_gym, faq_cars and faq_pets, which nothing was tuned on): the calibrated
answer rule keeping false answers low on questions nobody tuned for, what it answers,
kept as floors, and the comparison with the plain baselines at the same risk."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.evaluate import evaluate_files
from bot.settings import Settings
from faq.evaluation import TRADE_OFF_FALSE, predict, read_queries, trade_off
from tests.faq_baseline import CharTfidf, PlainBm25, rescaled

DATA = Path(__file__).parent / "data"
#: Correct answers by the rule calibrated at the default 5 % risk, and the best correct
#: share at most 10 % false, as measured now (the README's FAQ section).
TODAY = {
    "faq_home": (0.212, 0.276),
    "faq_exam": (0.530, 0.639),
    "faq_gym": (0.375, 0.529),
    "faq_cars": (0.400, 0.475),
    "faq_pets": (0.521, 0.596),
}
#: The default risk: at most this share of questions without an entry should get an
#: answer. The rule is estimated from the base alone, so on a set nobody tuned for it
#: may overshoot a little (faq_pets 6.9 %); it must stay
#: within TRADE_OFF_FALSE.
RISK = 0.05


def _baselines(folder: Path) -> dict[str, float]:
    queries = read_queries(folder / "queries.jsonl")
    base = folder / "base.jsonl"
    return {
        name: trade_off(rescaled(predict(queries, scorer(base), 0.0)))[0]
        for name, scorer in (("jieba BM25", PlainBm25), ("character TF-IDF", CharTfidf))
    }


@pytest.mark.parametrize("name", sorted(TODAY))
def test_the_calibrated_rule_keeps_false_answers_low_on_other_domains(
    name: str, tmp_path: Path
) -> None:
    """With the former fixed threshold (0.38) 19.0 % and 31.1 % of the questions without
    an entry got an answer; the rule calibrated from each base at the 5 % risk gives
    2.4–6.9 %, and never more than 10 %, while answering what it answered before."""
    folder = DATA / name
    report = evaluate_files(
        Settings(data_dir=tmp_path), folder / "base.jsonl", folder / "queries.jsonl"
    )
    correct, best = TODAY[name]
    assert report.false_answer_rate <= TRADE_OFF_FALSE
    assert report.top1_accuracy >= correct - 0.001
    assert report.wrong_answer_rate <= RISK
    assert report.best_correct >= best - 0.001


@pytest.mark.parametrize("name", sorted(TODAY))
def test_the_matcher_beats_both_plain_baselines_at_the_same_risk(name: str, tmp_path: Path) -> None:
    """At most 10 % false answers, the matcher answers more questions correctly than
    character TF-IDF and jieba BM25 (faq_cars: 47.5 % against 37.9 % for both; before
    the entries' scope counted, 36.2 %)."""
    folder = DATA / name
    ours = evaluate_files(
        Settings(data_dir=tmp_path), folder / "base.jsonl", folder / "queries.jsonl"
    )
    for baseline, correct in _baselines(folder).items():
        assert ours.best_correct > correct, baseline
