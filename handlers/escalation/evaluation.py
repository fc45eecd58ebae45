"""How well the detector does on labelled messages: precision and recall for
"is a complaint", and how often the severity is exactly right."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from handlers.escalation.detector import Detector, Severity


@dataclass(frozen=True, slots=True)
class Labelled:
    text: str
    severity: Severity
    language: str


@dataclass(frozen=True, slots=True)
class DetectorReport:
    messages: int
    precision: float
    recall: float
    severity_accuracy: float
    #: Among true complaints the detector caught, how often the grade was exact.
    grade_accuracy: float
    confusion: dict[tuple[str, str], int]

    def lines(self) -> list[str]:
        return [
            f"messages: {self.messages}",
            f"complaint precision {self.precision:.1%}, recall {self.recall:.1%}",
            f"severity exactly right: {self.severity_accuracy:.1%} of all messages, "
            f"{self.grade_accuracy:.1%} of the complaints caught",
        ]


def read_labelled(path: Path) -> list[Labelled]:
    rows = []
    for line in path.read_text("utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            rows.append(
                Labelled(record["text"], Severity[record["severity"].upper()], record["lang"])
            )
    return rows


def evaluate(detector: Detector, rows: list[Labelled]) -> DetectorReport:
    confusion: Counter[tuple[str, str]] = Counter()
    true_positive = false_positive = false_negative = exact = graded = caught = 0
    for row in rows:
        found = detector.grade(row.text).severity
        confusion[(row.severity.label, found.label)] += 1
        actual, predicted = row.severity is not Severity.NONE, found is not Severity.NONE
        true_positive += actual and predicted
        false_positive += predicted and not actual
        false_negative += actual and not predicted
        exact += found is row.severity
        if actual and predicted:
            caught += 1
            graded += found is row.severity
    return DetectorReport(
        messages=len(rows),
        precision=true_positive / (true_positive + false_positive or 1),
        recall=true_positive / (true_positive + false_negative or 1),
        severity_accuracy=exact / (len(rows) or 1),
        grade_accuracy=graded / (caught or 1),
        confusion=dict(confusion),
    )
