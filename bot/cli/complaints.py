"""``shequn complaints eval``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.base import ConfigOption, complaints_cli, load, read_or_exit


@complaints_cli.command("eval")
def complaints_eval(
    file: Annotated[Path, typer.Argument(help='JSONL of {"text", "severity", "lang"}')],
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable figures")] = False,
    ordinary: Annotated[
        bool,
        typer.Option(
            "--ordinary",
            help="FILE holds ordinary messages, one per line (text or JSONL): count false alarms",
        ),
    ] = False,
) -> None:
    """Measure the detector, with this config's lexicon and thresholds, on labelled messages."""
    from handlers.escalation.detector import Detector
    from handlers.escalation.evaluation import LabelError, evaluate, read_labelled, read_ordinary

    settings = load(config)
    read = read_ordinary if ordinary else read_labelled
    rows = read_or_exit(read, file, LabelError, verb="evaluate")
    report = evaluate(Detector(settings.escalation.detector), rows)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
    else:
        for line in report.lines():
            typer.echo(line)
