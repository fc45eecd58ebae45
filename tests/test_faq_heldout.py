"""The FAQ matcher on the sets from other domains it was never tuned on
(tests/data/faq_home, tests/data/faq_exam): what it does today, kept as floors, and the
comparison with the plain baselines at the same risk that it has still to win."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.evaluate import evaluate_files
from bot.settings import Settings
from faq.evaluation import Prediction, predict, read_queries, trade_off
from tests.faq_baseline import CharTfidf, PlainBm25

DATA = Path(__file__).parent / "data"
#: As measured when each set was added (their README): correct answers at the default
#: threshold, false answers there, and the best correct share at most 10 % false.
TODAY = {"faq_home": (0.204, 0.190, 0.132), "faq_exam": (0.552, 0.311, 0.300)}


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
def test_what_the_matcher_does_today_on_sets_never_tuned_on(name: str, tmp_path: Path) -> None:
    folder = DATA / name
    report = evaluate_files(
        Settings(data_dir=tmp_path), folder / "base.jsonl", folder / "queries.jsonl"
    )
    correct, false, best = TODAY[name]
    assert report.top1_accuracy >= correct - 0.001
    assert report.false_answer_rate <= false + 0.001
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
