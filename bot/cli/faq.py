"""``shequn faq import|export|misses|eval|calibrate|feedback``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.base import (
    ConfigOption,
    SkipBadOption,
    faq_cli,
    load,
    prepared,
    read_or_exit,
    run_async,
    setup_logging,
)
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.calibrate import CalibrationRun
    from faq.formats import EntryRow
    from storage.records import FaqFeedbackRecord


@faq_cli.command("import")
def faq_import(
    file: Annotated[Path, typer.Argument(help="a .yaml/.yml, .csv, .jsonl or .xlsx (Excel) file")],
    config: ConfigOption = None,
    skip_bad: SkipBadOption = False,
) -> None:
    """Add or update entries from a file; any bad row stops the import unless --skip-bad."""
    from faq.formats import FormatError, read_entries

    settings = load(config)
    setup_logging(settings, quiet=True)
    result = read_or_exit(read_entries, file, FormatError)
    if not result.rows and not result.problems:
        typer.echo(f"cannot import: {file} has no entries; nothing imported", err=True)
        raise typer.Exit(2)
    code = run_async(_faq_import(settings, result.rows, result.problems, skip_bad), config)
    raise typer.Exit(code)


async def _faq_import(settings: Settings, rows: list, problems: list, skip_bad: bool) -> int:
    from handlers.faq.transfer import apply_import, plan_import

    async with prepared(settings) as app:
        async with app.storage.transaction() as repos:
            plan = plan_import(await repos.faq.entries(), rows)
            problems = sorted([*problems, *plan.problems], key=lambda p: p.line)
            for problem in problems:
                typer.echo(str(problem), err=True)
            if problems and not skip_bad:
                typer.echo(
                    f"nothing imported: {len(problems)} bad row(s); fix them or use --skip-bad",
                    err=True,
                )
                return 1
            await apply_import(repos, plan, app.clock.now())
        typer.echo(
            f"imported: {len(plan.new)} added, {len(plan.changed)} updated, "
            f"{plan.unchanged} unchanged, {len(problems)} skipped"
        )
        return 0


@faq_cli.command("export")
def faq_export(
    file: Annotated[Path, typer.Argument(help="a .yaml/.yml, .csv, .jsonl or .xlsx file to write")],
    config: ConfigOption = None,
) -> None:
    """Write every entry (disabled ones too) to a file the import reads back."""
    from faq.formats import FormatError, format_of, write_entries

    settings = load(config)
    setup_logging(settings, quiet=True)
    try:
        format_of(file)
    except FormatError as error:
        typer.echo(f"cannot export: {error}", err=True)
        raise typer.Exit(2) from None
    rows = run_async(_faq_rows(settings), config)
    try:
        count = write_entries(file, rows)
    except OSError as error:
        typer.echo(f"cannot export: {file}: {error.strerror or error}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"exported {count} {'entry' if count == 1 else 'entries'} to {file}")


async def _faq_rows(settings: Settings) -> list[EntryRow]:
    from handlers.faq.transfer import export_rows

    async with prepared(settings, reads=True) as app:
        async with app.storage.transaction() as repos:
            entries = await repos.faq.entries()
        return export_rows(entries)


@faq_cli.command("misses")
def faq_misses(
    config: ConfigOption = None,
    days: Annotated[int, typer.Option(min=1, max=365, help="how far back")] = 30,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """The questions the bot could not answer (or got 👎), grouped by similarity."""
    settings = load(config)
    setup_logging(settings, quiet=True)
    clusters = run_async(_faq_misses(settings, days), config)
    if as_json:
        rows = [{"count": count, "example": example} for example, count in clusters]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not clusters:
        typer.echo(f"no unanswered questions in the last {days} days")
    for example, count in clusters:
        typer.echo(f"{count:>4}×  {example}")


async def _faq_misses(settings: Settings, days: int) -> list[tuple[str, int]]:
    from handlers.faq.manage import top_misses

    async with prepared(settings, reads=True) as app, app.storage.transaction() as repos:
        return await top_misses(app.faq, repos, app.clock.now(), days)


@faq_cli.command("eval")
def faq_eval(
    base: Annotated[Path, typer.Option(help="knowledge base file (.jsonl, .yaml, .csv or .xlsx)")],
    queries: Annotated[Path, typer.Option(help='JSONL of {"query", "expected_id" or null}')],
    predictions: Annotated[
        Path | None, typer.Option(help="write every prediction to this JSONL file")
    ] = None,
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable figures")] = False,
) -> None:
    """Measure the matcher, with this config's settings and thresholds, on labelled queries."""
    from bot.evaluate import evaluate_files
    from faq.formats import FormatError

    settings = load(config)
    setup_logging(settings, quiet=True)
    try:
        report = evaluate_files(settings, base, queries, predictions)
    except FormatError as error:
        typer.echo(f"cannot evaluate: {error}", err=True)
        raise typer.Exit(2) from None
    except OSError as error:  # the predictions file (the inputs' errors are FormatErrors)
        typer.echo(f"cannot evaluate: {error.filename}: {error.strerror or error}", err=True)
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
    else:
        for line in report.lines():
            typer.echo(line)


@faq_cli.command("calibrate")
def faq_calibrate(
    config: ConfigOption = None,
    base: Annotated[
        Path | None, typer.Option(help="a knowledge base file instead of the database")
    ] = None,
    feedback: Annotated[
        bool, typer.Option(help="fold members' 👍/👎 and requests for staff in")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable figures")] = False,
) -> None:
    """When the bot answers: the rule calibrated from the base at the configured risk."""
    from bot.calibrate import calibrate_file, calibration_lines

    settings = load(config)
    setup_logging(settings, quiet=True)
    if base is not None:
        from faq.formats import FormatError

        result = read_or_exit(
            lambda path: calibrate_file(settings, path), base, FormatError, "calibrate"
        )
    else:
        result = run_async(_faq_calibrate(settings, feedback), config)
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=2))
        return
    for line in calibration_lines(result, settings.faq):
        typer.echo(line)


async def _faq_calibrate(settings: Settings, feedback: bool) -> CalibrationRun:
    from bot.calibrate import calibrate_database

    async with prepared(settings, reads=True) as app:
        return await calibrate_database(app, feedback=feedback)


@faq_cli.command("feedback")
def faq_feedback(
    config: ConfigOption = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option(help="leave this verdict (a12, m34) out of the calibration; repeatable"),
    ] = None,
    restore: Annotated[
        list[str] | None, typer.Option(help="take a verdict left out back in; repeatable")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=5000, help="how many, newest first")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """What the FAQ calibration learns from members and staff; leave a verdict out.

    For a member voting 👎 on every answer, or a staff reply given with the wrong entry.
    """
    settings = load(config)
    setup_logging(settings, quiet=True)
    changes = [(ref.strip().lower(), True) for ref in exclude or ()]
    changes += [(ref.strip().lower(), False) for ref in restore or ()]
    unknown, records = run_async(_faq_feedback(settings, changes, limit), config)
    for ref in unknown:
        typer.echo(f"no verdict {ref} (see the first column of `shequn faq feedback`)", err=True)
    if as_json:
        rows = [
            {
                "ref": r.ref,
                "kind": r.kind,
                "question": r.question,
                "entry": r.entry_id,
                "at": r.at.isoformat() if r.at else None,
                "excluded": r.excluded,
            }
            for r in records
        ]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for line in _feedback_lines(settings, records):
            typer.echo(line)
    if len(unknown) < len(changes):
        typer.echo(
            "the running bot takes the change in at its next calibration (within the hour); "
            "`shequn faq calibrate` shows the rule with it now"
        )
    if unknown:
        raise typer.Exit(2)


_KINDS = {"helpful": "👍 helpful", "wrong": "👎 wrong", "staff": "✅ staff"}


def _feedback_lines(settings: Settings, records: list[FaqFeedbackRecord]) -> list[str]:
    if not records:
        return ["no feedback yet: 👍/👎 on answers and staff replies with an entry appear here"]
    zone = settings.community.timezone
    lines = []
    for r in records:
        when = r.at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if r.at else ""
        left_out = "  (left out)" if r.excluded else ""
        lines.append(
            f"{r.ref:>6}  {_KINDS.get(r.kind, r.kind):<10}  {when}  #{r.entry_id} ← "
            f"{r.question[:60]}{left_out}"
        )
    counted = sum(1 for r in records if not r.excluded)
    lines.append(
        f"{counted} of these count in the calibration; `--exclude REF` leaves one out, "
        "`--restore REF` takes it back"
    )
    return lines


async def _faq_feedback(
    settings: Settings, changes: list[tuple[str, bool]], limit: int
) -> tuple[list[str], list[FaqFeedbackRecord]]:
    async with prepared(settings) as app, app.storage.transaction() as repos:
        now = app.clock.now()
        unknown = [
            ref
            for ref, leave_out in changes
            if not await repos.faq.exclude_feedback(ref, now if leave_out else None)
        ]
        return unknown, await repos.faq.feedback(limit, with_excluded=True)
