"""The FAQ matcher on the sets from other domains (tests/data/faq_home, faq_exam): the
calibrated answer rule keeping the operator's risk on questions nobody tuned for, what it
answers, kept as floors, and the comparison with the plain baselines at the same risk that
it has still to win."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.evaluate import evaluate_files
from bot.settings import Settings
from faq.evaluation import Prediction, predict, read_queries, trade_off
from tests.faq_baseline import CharTfidf, PlainBm25

DATA = Path(__file__).parent / "data"
#: Correct answers by the rule calibrated at the default 5 % risk, and the best correct
#: share at most 10 % false (as measured when the set was added: its README).
TODAY = {"faq_home": (0.068, 0.132), "faq_exam": (0.178, 0.300)}
#: The default risk: at most this share of questions without an entry get an answer.
RISK = 0.05


def _rescaled(predictions: list[Prediction]) -> list[Prediction]:
    """Scores divided by the highest (BM25's are unbounded); the order is unchanged."""
    top = max((p.score for p in predictions), default=0.0) or 1.0
    return [replace(p, score=p.score / top) for p in predictions]


def _baselines(folder: Path) -> dict[str, float]:
    queries = read_queries(folder / "queries.jsonl")
    base = folder / "base.jsonl"
    return {
        name: trade_off(_rescaled(predict(queries, scorer(base), 0.0)))[0]
        for name, scorer in (("jieba BM25", PlainBm25), ("character TF-IDF", CharTfidf))
    }


@pytest.mark.parametrize("name", sorted(TODAY))
def test_the_calibrated_rule_keeps_the_risk_on_other_domains(name: str, tmp_path: Path) -> None:
    """With the former fixed threshold (0.38) 19.0 % and 31.1 % of the questions without
    an entry got an answer; the rule calibrated from each base keeps within the risk."""
    folder = DATA / name
    report = evaluate_files(
        Settings(data_dir=tmp_path), folder / "base.jsonl", folder / "queries.jsonl"
    )
    correct, best = TODAY[name]
    assert report.false_answer_rate <= RISK
    assert report.top1_accuracy >= correct - 0.001
    assert report.wrong_answer_rate <= RISK
    assert report.best_correct >= best - 0.001


@pytest.mark.xfail(
    strict=True,
    reason="the FAQ issue's target: character TF-IDF answers more at 10 % false answers "
    "(faq_home 13.6 % against 13.2 %, faq_exam 40.0 % against 30.0 %)",
)
@pytest.mark.parametrize("name", sorted(TODAY))
def test_the_matcher_beats_both_plain_baselines_at_the_same_risk(name: str, tmp_path: Path) -> None:
    folder = DATA / name
    ours = evaluate_files(
        Settings(data_dir=tmp_path), folder / "base.jsonl", folder / "queries.jsonl"
    )
    for baseline, correct in _baselines(folder).items():
        assert ours.best_correct > correct, baseline
