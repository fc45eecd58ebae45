"""The FAQ matcher on the sets from other domains (tests/data/faq_home, faq_exam, and
faq_gym and faq_cars, which nothing was tuned on): the
calibrated answer rule keeping the operator's risk on questions nobody tuned for, what it
answers, kept as floors, and the comparison with the plain baselines at the same risk that
it has still to win."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.evaluate import evaluate_files
from bot.settings import Settings
from faq.evaluation import predict, read_queries, trade_off
from tests.faq_baseline import CharTfidf, PlainBm25, rescaled

DATA = Path(__file__).parent / "data"
#: Correct answers by the rule calibrated at the default 5 % risk, and the best correct
#: share at most 10 % false, as measured now (the README's FAQ section).
TODAY = {
    "faq_home": (0.076, 0.148),
    "faq_exam": (0.313, 0.457),
    "faq_gym": (0.117, 0.454),
    "faq_cars": (0.146, 0.362),
}
#: Where the matcher does not yet beat the plain baselines (measured once, as written).
BEHIND = {"faq_cars"}
#: The default risk: at most this share of questions without an entry get an answer.
RISK = 0.05


def _baselines(folder: Path) -> dict[str, float]:
    queries = read_queries(folder / "queries.jsonl")
    base = folder / "base.jsonl"
    return {
        name: trade_off(rescaled(predict(queries, scorer(base), 0.0)))[0]
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


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(
            name,
            marks=pytest.mark.xfail(
                strict=True,
                reason="faq_cars, measured once: 36.2 % correct at most 10 % false, "
                "both baselines 37.9 %",
            ),
        )
        if name in BEHIND
        else name
        for name in sorted(TODAY)
    ],
)
def test_the_matcher_beats_both_plain_baselines_at_the_same_risk(name: str, tmp_path: Path) -> None:
    """At most 10 % false answers, the matcher answers more questions correctly than
    character TF-IDF and jieba BM25 (before character evidence was fused in, TF-IDF
    answered more: faq_home 13.6 % against 13.2 %, faq_exam 40.0 % against 30.0 %)."""
    folder = DATA / name
    ours = evaluate_files(
        Settings(data_dir=tmp_path), folder / "base.jsonl", folder / "queries.jsonl"
    )
    for baseline, correct in _baselines(folder).items():
        assert ours.best_correct > correct, baseline
