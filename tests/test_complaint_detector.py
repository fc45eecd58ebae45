"""The complaint detector on its own and on the labelled set in tests/data/complaints."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from handlers.escalation.detector import Detector, Severity
from handlers.escalation.evaluation import evaluate, read_labelled

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


def test_the_terms_that_counted_are_named(detector: Detector) -> None:
    verdict = detector.grade("你们就是骗子！我要找律师")
    assert "骗子" in verdict.terms and "律师" in verdict.terms and "骗" not in verdict.terms


def test_odd_and_huge_input(detector: Detector) -> None:
    assert detector.grade("").severity is Severity.NONE
    assert detector.grade("🙂" * 3000).severity is Severity.NONE
    assert detector.grade("骗子" + "\u202e\u200b" * 5000).is_complaint


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
