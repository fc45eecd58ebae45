"""The complaint detector on its own and on the labelled set in tests/data/complaints."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from handlers.escalation.detector import Detector, Severity
from handlers.escalation.evaluation import evaluate, read_labelled
from handlers.escalation.settings import DetectorSettings

DATA = Path(__file__).parent / "data" / "complaints" / "messages.jsonl"


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector()


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("退款一般几天到账？", Severity.NONE),  # an inquiry, not a complaint
        ("我不是要投诉，只是问问退款流程", Severity.NONE),  # negated
        ("This is not a scam, relax", Severity.NONE),
        ("太棒了！！！谢谢老师", Severity.NONE),
        ("课件下载链接失效了，能不能靠谱点", Severity.LOW),
        ("你们不退钱我就投诉！！", Severity.HIGH),
        ("This is a scam, I want my money back!!", Severity.HIGH),
        ("你们就是骗子！我要找律师维权", Severity.CRISIS),
        ("I will report you to the regulator and go public", Severity.CRISIS),
        ("律师资格考试的课程有推荐吗？", Severity.NONE),  # crisis words in a calm question
    ],
)
def test_grades(detector: Detector, text: str, severity: Severity) -> None:
    assert detector.grade(text).severity is severity


def test_traditional_characters_and_full_width_are_folded(detector: Detector) -> None:
    assert detector.grade("你們就是騙子！我要找律師").severity is Severity.CRISIS


def test_persistence_and_spread_raise_the_grade(detector: Detector) -> None:
    text = "课件下载链接失效了，能不能靠谱点"
    assert detector.grade(text).severity is Severity.LOW
    assert detector.grade(text, repeats=2).severity is Severity.HIGH
    assert detector.grade(text, others=3).severity is Severity.HIGH


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("app 又闪退了，好烦", Severity.LOW),  # a nuisance to one member
        ("花了1999买的课，一半章节打不开", Severity.HIGH),  # money paid
        ("Paid $299 and half the videos won't load", Severity.HIGH),
        ("我们宿舍四个人都打不开课程", Severity.HIGH),  # several people affected
        ("At least six of us can't access the course", Severity.HIGH),
        ("花了多少钱？", Severity.NONE),  # money alone is no complaint
    ],
)
def test_money_lost_or_several_affected_is_serious(
    detector: Detector, text: str, severity: Severity
) -> None:
    assert detector.grade(text).severity is severity


def test_operators_add_signs_of_harm() -> None:
    text = "押金到现在都没退，太慢了"
    assert Detector().grade(text).severity is Severity.LOW
    tuned = Detector(DetectorSettings(harm_terms=["押金"]))
    assert tuned.grade(text).severity is Severity.HIGH


def test_the_terms_that_counted_are_named(detector: Detector) -> None:
    verdict = detector.grade("你们就是骗子！我要找律师")
    assert "骗子" in verdict.terms and "律师" in verdict.terms and "骗" not in verdict.terms


def test_odd_and_huge_input(detector: Detector) -> None:
    assert detector.grade("").severity is Severity.NONE
    assert detector.grade("🙂" * 3000).severity is Severity.NONE
    assert detector.grade("骗子" + "\u202e\u200b" * 5000).is_complaint


def test_the_held_out_set_keeps_false_alarms_rare(detector: Detector) -> None:
    """Messages never used for tuning: what a community can expect before adding its
    own terms. Precision stays high; recall is lower than on the tuning set."""
    report = evaluate(detector, read_labelled(DATA.with_name("holdout.jsonl")))
    assert report.messages == 100
    assert report.precision >= 0.85
    assert report.recall >= 0.45
    serious = sum(n for (a, f), n in report.confusion.items() if a == "high" and f == "high")
    assert serious >= 5  # money lost or several affected: serious, not minor


def test_precision_and_recall_on_the_labelled_set(detector: Detector) -> None:
    rows = read_labelled(DATA)
    assert len(rows) >= 200
    assert {row.language for row in rows} == {"zh", "en"}
    report = evaluate(detector, rows)
    assert report.precision >= 0.80
    assert report.recall >= 0.75
    assert report.severity_accuracy >= 0.70


def test_the_cli_measures_the_configured_detector(run: Any, tmp_path: Path) -> None:
    labelled = tmp_path / "mine.jsonl"
    rows = [
        {"text": "又在割韭菜", "severity": "low", "lang": "zh"},
        {"text": "骗子！我要投诉！！", "severity": "high", "lang": "zh"},
        {"text": "今天的分享很棒", "severity": "none", "lang": "zh"},
    ]
    labelled.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    code, out = run("complaints", "eval", str(labelled), "--json")
    assert code == 0, out
    assert json.loads(out)["messages"] == 3
    config = tmp_path / "shequn.toml"
    config.write_text('[escalation.detector]\ncomplaint_terms = { "割韭菜" = 3.0 }\n', "utf-8")
    code, tuned = run("complaints", "eval", str(labelled), "--config", str(config), "--json")
    assert code == 0, tuned
    assert json.loads(tuned)["recall"] > json.loads(out)["recall"]
    code, text = run("complaints", "eval", str(labelled))
    assert "labelled \\ found" in text and "precision" in text
    labelled.write_text('{"text": "x", "severity": "meh"}\n', "utf-8")
    code, out = run("complaints", "eval", str(labelled))
    assert code == 2 and "line 1" in out
    code, out = run("complaints", "eval", str(tmp_path / "missing.jsonl"))
    assert code == 2 and "cannot evaluate" in out
