"""``shequn complaints eval`` and ``shequn complaints train``."""

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
    from handlers.escalation.model import ModelError

    settings = load(config)
    read = read_ordinary if ordinary else read_labelled
    rows = read_or_exit(read, file, LabelError, verb="evaluate")
    try:
        detector = Detector(settings.escalation.detector)
    except ModelError as error:
        typer.echo(f"config error: {error}", err=True)
        raise typer.Exit(2) from None
    report = evaluate(detector, rows)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
    else:
        for line in report.lines():
            typer.echo(line)


@complaints_cli.command("train")
def complaints_train(
    files: Annotated[
        list[Path], typer.Argument(help='JSONL files of {"text", "severity", "lang"}')
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="the model file to write")],
    c: Annotated[
        float, typer.Option("--c", min=0.001, help="inverse regularisation strength")
    ] = 3.0,
) -> None:
    """Train the detector's model on labelled messages (complaints and ordinary talk);
    name the file in escalation.detector.model_file to use it."""
    from bot.complaint_training import TrainingUnavailable, train, training_set
    from handlers.escalation.evaluation import LabelError, read_labelled

    sets = [
        training_set(file, read_or_exit(read_labelled, file, LabelError, verb="train"))
        for file in files
    ]
    try:
        model = train(sets, c)
    except (TrainingUnavailable, ValueError) as error:
        typer.echo(f"cannot train: {error}", err=True)
        raise typer.Exit(2) from None
    try:
        out.write_text(json.dumps(model, ensure_ascii=False, indent=0) + "\n", "utf-8")
    except OSError as error:
        typer.echo(f"cannot write {out}: {error.strerror}", err=True)
        raise typer.Exit(2) from None
    typer.echo(
        f"trained on {model['messages']} messages ({model['complaints']} complaints) "
        f"from {len(sets)} files: {len(model['weights'])} weights written to {out}"
    )
