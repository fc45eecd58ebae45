"""How well the detector does on labelled messages: precision and recall for
"is a complaint", how often the severity is exactly right, and how many ordinary
messages (no complaint) would open a ticket anyway."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from handlers.escalation.detector import Detector, Severity

_LABELS = [severity.label for severity in Severity]


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

    @property
    def alarms(self) -> dict[str, int]:
        """Ordinary messages (labelled none), and how many of them would open a
        ticket, a serious one (high or crisis), and a crisis."""
        found = {label: self.confusion.get(("none", label), 0) for label in _LABELS}
        return {
            "ordinary": sum(found.values()),
            "ticket": found["low"] + found["high"] + found["crisis"],
            "serious": found["high"] + found["crisis"],
            "crisis": found["crisis"],
        }

    def lines(self) -> list[str]:
        grid = ["labelled \\ found  " + " ".join(f"{label:>7}" for label in _LABELS)]
        for actual in _LABELS:
            counts = " ".join(f"{self.confusion.get((actual, found), 0):>7}" for found in _LABELS)
            grid.append(f"{actual:<17}{counts}")
        alarms = self.alarms
        lines = [f"messages: {self.messages}"]
        if self.messages > alarms["ordinary"]:  # some complaints among them
            lines += [
                f"complaint precision {self.precision:.1%}, recall {self.recall:.1%}",
                f"severity exactly right: {self.severity_accuracy:.1%} of all messages, "
                f"{self.grade_accuracy:.1%} of the complaints caught",
            ]
        if alarms["ordinary"]:
            lines.append(
                f"false alarms: {alarms['ticket']} of {alarms['ordinary']} ordinary messages "
                f"({alarms['ticket'] / alarms['ordinary']:.1%}) open a ticket, "
                f"{alarms['serious']} serious, {alarms['crisis']} crisis"
            )
        return [*lines, *grid]

    def as_dict(self) -> dict[str, object]:
        return {
            "messages": self.messages,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "severity_accuracy": round(self.severity_accuracy, 4),
            "grade_accuracy": round(self.grade_accuracy, 4),
            "false_alarms": self.alarms,
            "confusion": {f"{a}->{b}": n for (a, b), n in sorted(self.confusion.items())},
        }


class LabelError(ValueError):
    """A labelled file line that cannot be read; says which line and why."""


def read_labelled(path: Path) -> list[Labelled]:
    """JSONL lines of ``{"text", "severity": none|low|high|crisis, "lang"}``."""
    rows = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            severity = Severity[str(record["severity"]).upper()]
            rows.append(Labelled(str(record["text"]), severity, str(record.get("lang", "?"))))
        except (ValueError, KeyError, TypeError) as error:
            raise LabelError(f"{path.name} line {number}: {_why(error)}") from None
    return rows


def read_ordinary(path: Path) -> list[Labelled]:
    """Ordinary messages (chatter, reviews), none of them a complaint, to measure false
    alarms: one per line, as plain text or as JSONL with a "text" key."""
    rows = []
    for line in path.read_text("utf-8").splitlines():
        if line.strip():
            record = _object(line)
            text, language = record.get("text", line), record.get("lang", "?")
            rows.append(Labelled(str(text), Severity.NONE, str(language)))
    return rows


def _object(line: str) -> dict[str, object]:
    try:
        record = json.loads(line)
    except ValueError:
        return {}
    return record if isinstance(record, dict) else {}


def _why(error: Exception) -> str:
    if isinstance(error, KeyError):
        return f"missing or unknown {error}"
    return str(error) or type(error).__name__


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
