"""The ``shequn`` command line."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from bot.settings import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from bot.app import App

T = TypeVar("T")

cli = typer.Typer(
    help="Shequn (社群): a self-hosted community-operations assistant.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_cli = typer.Typer(help="Database maintenance.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
report_cli = typer.Typer(help="Reports for operators.", no_args_is_help=True)
cli.add_typer(report_cli, name="report")
faq_cli = typer.Typer(help="The FAQ knowledge base.", no_args_is_help=True)
cli.add_typer(faq_cli, name="faq")
points_cli = typer.Typer(help="The points economy.", no_args_is_help=True)
cli.add_typer(points_cli, name="points")
topics_cli = typer.Typer(help="Discussion topic pools.", no_args_is_help=True)
cli.add_typer(topics_cli, name="topics")
schedule_cli = typer.Typer(help="The programme of scheduled topics.", no_args_is_help=True)
cli.add_typer(schedule_cli, name="schedule")
complaints_cli = typer.Typer(help="The complaint detector.", no_args_is_help=True)
cli.add_typer(complaints_cli, name="complaints")

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="TOML config file (default: $SHEQUN_CONFIG or ./shequn.toml)"
    ),
]

SkipBadOption = Annotated[
    bool, typer.Option("--skip-bad", help="import the good rows even if some are bad")
]

SANDBOX_TIP = (
    "No Telegram token configured, so Shequn starts in the local sandbox.\n"
    "未配置 Telegram token，进入本地沙盒。Type as a member; /sandbox lists sandbox commands, "
    "/help the bot's. Set SHEQUN_TELEGRAM__TOKEN to run on Telegram.\n"
)


def _settings(config: Path | None) -> Settings:
    try:
        return load_settings(config)
    except ConfigError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None


def _build(settings: Settings, **kwargs: object) -> App:
    from bot.app import build_app

    try:
        return build_app(settings, **kwargs)  # type: ignore[arg-type]
    except ConfigError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None


@asynccontextmanager
async def _prepared(settings: Settings) -> AsyncIterator[App]:
    """An app with its schema up to date, closed afterwards (for one-shot commands)."""
    app = _build(settings)
    try:
        await app.prepare()
        yield app
    finally:
        await app.close()


def _read_or_exit(
    read: Callable[[Path], T], file: Path, error_type: type[Exception], verb: str = "import"
) -> T:
    """What ``read`` makes of ``file``, or one line saying why it cannot (exit code 2)."""
    try:
        return read(file)
    except (error_type, OSError) as error:
        typer.echo(f"cannot {verb}: {error}", err=True)
        raise typer.Exit(2) from None


def _logging(settings: Settings, quiet: bool = False) -> None:
    level = logging.WARNING if quiet and settings.log_level == "INFO" else settings.log_level
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)


@cli.command()
def run(config: ConfigOption = None) -> None:
    """Run Shequn: on Telegram when a token is configured, else in the sandbox."""
    settings = _settings(config)
    if settings.telegram_token is None:
        typer.echo(SANDBOX_TIP)
        _logging(settings, quiet=True)
        asyncio.run(_sandbox(settings, None))
        return
    _logging(settings)
    asyncio.run(_telegram(settings))


@cli.command()
def sandbox(
    config: ConfigOption = None,
    script: Annotated[
        Path | None,
        typer.Option("--script", "-s", help="play this file instead of reading the terminal"),
    ] = None,
) -> None:
    """Chat with the bot in your terminal, with the real handlers and database."""
    settings = _settings(config)
    _logging(settings, quiet=True)
    if script is not None and not script.is_file():
        typer.echo(f"script file {script} does not exist", err=True)
        raise typer.Exit(2)
    lines = script.read_text("utf-8").splitlines() if script is not None else None
    asyncio.run(_sandbox(settings, lines))


@db_cli.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Apply database migrations (also done automatically at start)."""
    settings = _settings(config)
    asyncio.run(_upgrade(settings))
    typer.echo("database is up to date")


@report_cli.command("onboarding")
def report_onboarding(
    config: ConfigOption = None,
    days: Annotated[int, typer.Option(min=1, max=365, help="how far back joins count")] = 30,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """The newcomer funnel of every group: joined, welcomed, activated within 3/7/14 days, left."""
    settings = _settings(config)
    _logging(settings, quiet=True)
    reports = asyncio.run(_onboarding_report(settings, days))
    if as_json:
        typer.echo(json.dumps(reports, ensure_ascii=False, indent=2))
        return
    for report in reports:
        total = report["funnel"]["total"]
        typer.echo(
            f"{report['title']} ({report['platform']} {report['chat_id']}), last {days} days"
        )
        if not total["joined"]:
            typer.echo("  nobody joined")
            continue
        typer.echo(f"  joined    {total['joined']}")
        typer.echo(f"  welcomed  {total['welcomed']} ({total['welcomed_percent']}%)")
        for span, count in total["activated"].items():
            percent = total["activated_percent"][span]
            typer.echo(f"  activated within {span:>3}  {count} ({percent}%)")
        typer.echo(f"  left      {total['left']} ({total['left_percent']}%)")
        for week, row in report["funnel"]["cohorts"].items():
            typer.echo(
                f"  week of {week}: joined {row['joined']}, activated within 14d "
                f"{row['activated']['14d']} ({row['activated_percent']['14d']}%)"
            )


async def _onboarding_report(settings: Settings, days: int) -> list[dict]:
    from datetime import timedelta

    from handlers.onboarding.funnel import compute_funnel

    async with _prepared(settings) as app:
        since = app.clock.now() - timedelta(days=days)
        reports = []
        async with app.storage.transaction() as repos:
            for chat in await repos.chats.list_groups():
                members = await repos.members.onboarding_since(since, chat.id)
                funnel = compute_funnel(members, since, app.community.timezone)
                reports.append(
                    {
                        "chat_id": chat.external_id,
                        "platform": chat.platform,
                        "title": chat.title,
                        "onboarding_enabled": chat.onboarding_enabled,
                        "funnel": funnel.as_dict(),
                    }
                )
        return reports


@faq_cli.command("import")
def faq_import(
    file: Annotated[Path, typer.Argument(help="a .yaml/.yml, .csv or .jsonl file")],
    config: ConfigOption = None,
    skip_bad: SkipBadOption = False,
) -> None:
    """Add or update entries from a file; any bad row stops the import unless --skip-bad."""
    from faq.formats import FormatError, read_entries

    settings = _settings(config)
    _logging(settings, quiet=True)
    result = _read_or_exit(read_entries, file, FormatError)
    code = asyncio.run(_faq_import(settings, result.rows, result.problems, skip_bad))
    raise typer.Exit(code)


async def _faq_import(settings: Settings, rows: list, problems: list, skip_bad: bool) -> int:
    from handlers.faq.transfer import apply_import, plan_import

    async with _prepared(settings) as app:
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
    file: Annotated[Path, typer.Argument(help="a .yaml/.yml, .csv or .jsonl file to write")],
    config: ConfigOption = None,
) -> None:
    """Write every entry (disabled ones too) to a file the import reads back."""
    from faq.formats import FormatError, format_of

    settings = _settings(config)
    _logging(settings, quiet=True)
    try:
        format_of(file)
    except FormatError as error:
        typer.echo(f"cannot export: {error}", err=True)
        raise typer.Exit(2) from None
    count = asyncio.run(_faq_export(settings, file))
    typer.echo(f"exported {count} entries to {file}")


async def _faq_export(settings: Settings, file: Path) -> int:
    from faq.formats import write_entries
    from handlers.faq.transfer import export_rows

    async with _prepared(settings) as app:
        async with app.storage.transaction() as repos:
            entries = await repos.faq.entries()
        return write_entries(file, export_rows(entries))


@faq_cli.command("misses")
def faq_misses(
    config: ConfigOption = None,
    days: Annotated[int, typer.Option(min=1, max=365, help="how far back")] = 30,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """The questions the bot could not answer (or got 👎), grouped by similarity."""
    settings = _settings(config)
    _logging(settings, quiet=True)
    clusters = asyncio.run(_faq_misses(settings, days))
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

    async with _prepared(settings) as app, app.storage.transaction() as repos:
        return await top_misses(app.faq, repos, app.clock.now(), days)


@faq_cli.command("eval")
def faq_eval(
    base: Annotated[Path, typer.Option(help="knowledge base file (.jsonl, .yaml or .csv)")],
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

    settings = _settings(config)
    _logging(settings, quiet=True)
    try:
        report = evaluate_files(settings, base, queries, predictions)
    except FormatError as error:
        typer.echo(f"cannot evaluate: {error}", err=True)
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
    else:
        for line in report.lines():
            typer.echo(line)


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
    from bot.app import build_detector
    from handlers.escalation.detector import Detector
    from handlers.escalation.evaluation import LabelError, evaluate, read_labelled, read_ordinary

    settings = _settings(config)
    read = read_ordinary if ordinary else read_labelled
    rows = _read_or_exit(read, file, LabelError, verb="evaluate")
    report = evaluate(Detector(build_detector(settings.escalation.detector)), rows)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
    else:
        for line in report.lines():
            typer.echo(line)


@points_cli.command("verify")
def points_verify(config: ConfigOption = None) -> None:
    """Recompute every balance from the ledger and report any difference (exit 1 if any)."""
    settings = _settings(config)
    _logging(settings, quiet=True)
    differences, accounts = asyncio.run(_points_verify(settings))
    for (chat_id, user_id), (stored, derived) in sorted(differences.items()):
        typer.echo(f"chat {chat_id} user {user_id}: balance {stored}, ledger says {derived}")
    if differences:
        typer.echo(f"{len(differences)} of {accounts} balances differ from the ledger", err=True)
        raise typer.Exit(1)
    typer.echo(f"all {accounts} balances match the ledger")


async def _points_verify(settings: Settings) -> tuple[dict, int]:
    async with _prepared(settings) as app, app.storage.transaction() as repos:
        derived = await repos.points.ledger_sums()
        stored = await repos.points.balances()
    differences = {
        key: (stored.get(key, 0), derived.get(key, 0))
        for key in set(derived) | set(stored)
        if stored.get(key, 0) != derived.get(key, 0)
    }
    return differences, len(set(derived) | set(stored))


@report_cli.command("points")
def report_points(
    config: ConfigOption = None,
    weeks: Annotated[int, typer.Option(min=1, max=104, help="how many weeks back")] = 4,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV rows instead of a summary")] = False,
) -> None:
    """Top earners, points issued per rule per week, and redemptions."""
    from bot.points_report import points_report, print_report, write_csv

    settings = _settings(config)
    _logging(settings, quiet=True)
    report = asyncio.run(_points_report(settings, weeks, points_report))
    if as_csv:
        write_csv(report, sys.stdout)
    else:
        print_report(report, typer.echo)


async def _points_report(settings: Settings, weeks: int, build: Any) -> Any:
    from datetime import timedelta

    async with _prepared(settings) as app, app.storage.transaction() as repos:
        now = app.clock.now()
        return await build(repos, now - timedelta(weeks=weeks), app.community.timezone)


@topics_cli.command("import")
def topics_import(
    file: Annotated[Path, typer.Argument(help="a .yaml/.yml or .csv file of pool and text")],
    config: ConfigOption = None,
    skip_bad: SkipBadOption = False,
) -> None:
    """Add topics to pools; any bad row stops the import unless --skip-bad."""
    from bot.topics_file import read_topics
    from faq.formats import FormatError

    settings = _settings(config)
    _logging(settings, quiet=True)
    rows, problems = _read_or_exit(read_topics, file, FormatError)
    for problem in problems:
        typer.echo(str(problem), err=True)
    if problems and not skip_bad:
        typer.echo(f"nothing imported: {len(problems)} bad row(s); fix them or use --skip-bad",
                   err=True)  # fmt: skip
        raise typer.Exit(1)
    added = asyncio.run(_topics_import(settings, rows))
    typer.echo(f"imported {added} topics ({len(problems)} skipped)")


async def _topics_import(settings: Settings, rows: list[tuple[int, str, str]]) -> int:
    async with _prepared(settings) as app, app.storage.transaction() as repos:
        existing = {
            (pool, topic.text)
            for pool in {pool for _, pool, _ in rows}
            for topic in await repos.topics.pool(pool)
        }
        added = 0
        for _, pool, text in rows:
            if (pool, text) not in existing:
                await repos.topics.add_topic(pool, text, app.clock.now())
                added += 1
        return added


@schedule_cli.command("preview")
def schedule_preview(
    config: ConfigOption = None,
    days: Annotated[int, typer.Option(min=1, max=366, help="how many days ahead")] = 14,
) -> None:
    """What will be posted when, in every group (community time)."""
    settings = _settings(config)
    _logging(settings, quiet=True)
    for line in asyncio.run(_schedule_preview(settings, days)):
        typer.echo(line)


async def _schedule_preview(settings: Settings, days: int) -> list[str]:
    from datetime import timedelta

    from bot.app import build_topics
    from handlers.topics.slots import CronError, slots_between

    topics = build_topics(settings)
    async with _prepared(settings) as app, app.storage.transaction() as repos:
        now = app.clock.now()
        zone = app.community.timezone
        groups = {chat.id: chat for chat in await repos.chats.list_groups()}
        schedules = await repos.topics.schedules(active_only=True)
        sizes = await repos.topics.pool_sizes()
        entries = []
        for schedule in schedules:
            chat = groups.get(schedule.chat_id)
            if chat is None or chat.bot_status == "removed":
                continue
            try:
                slots = slots_between(schedule.cron, zone, now, now + timedelta(days=days))
            except CronError:
                continue
            for slot in slots:
                local = slot.astimezone(zone)
                holiday = topics.holidays.get(local.date())
                what = (
                    f"holiday: {holiday.name}" if holiday else
                    f"pool {schedule.pool} ({sizes.get(schedule.pool, 0)} topics)"
                )  # fmt: skip
                title = chat.title or chat.external_id
                entries.append(
                    (slot, f"{local:%Y-%m-%d %a %H:%M}  {title}  {schedule.name}: {what}")
                )
    if not entries:
        return [f"nothing scheduled in the next {days} days"]
    return [line for _, line in sorted(entries)]


@report_cli.command("sla")
def report_sla(
    config: ConfigOption = None,
    days: Annotated[int, typer.Option(min=1, max=365, help="how far back tickets count")] = 30,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """First-response and resolution times (median, p90), breaches, satisfaction and the
    share answered within 2 and 24 hours, by severity and by week (minutes)."""
    from handlers.escalation.report import percent

    settings = _settings(config)
    _logging(settings, quiet=True)
    report = asyncio.run(_sla_report(settings, days))
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    if not report["by_severity"]:
        typer.echo(f"no tickets in the last {days} days")
        return
    for title, rows in (("by severity", report["by_severity"]), ("by week", report["by_week"])):
        typer.echo(title + ":")
        for key, row in rows.items():
            typer.echo(
                f"  {key:<9} {row['tickets']:>4} tickets  first response median "
                f"{row['first_response_median']} p90 {row['first_response_p90']}  resolution "
                f"median {row['resolution_median']}  breaches {row['breaches']}  "
                f"satisfaction {row['satisfaction']}  answered within 2 h "
                f"{percent(row['answered_2h'])}, 24 h {percent(row['answered_24h'])}"
            )


async def _sla_report(settings: Settings, days: int) -> dict[str, Any]:
    from datetime import timedelta

    from handlers.escalation.report import by_severity, by_week

    async with _prepared(settings) as app, app.storage.transaction() as repos:
        tickets = await repos.tickets.since(app.clock.now() - timedelta(days=days))
        zone = app.community.timezone
    return {
        "by_severity": {k: v.as_dict() for k, v in by_severity(tickets).items()},
        "by_week": {k: v.as_dict() for k, v in by_week(tickets, zone).items()},
    }


@cli.command("config")
def show_config(config: ConfigOption = None) -> None:
    """Print the effective configuration (secrets hidden)."""
    settings = _settings(config)
    typer.echo(json.dumps(settings.model_dump(mode="json"), ensure_ascii=False, indent=2))


async def _upgrade(settings: Settings) -> None:
    async with _prepared(settings):
        pass


async def _telegram(settings: Settings) -> None:
    from bot.channels.telegram.channel import TelegramChannel
    from bot.runtime import run_channels

    app = _build(settings)
    token = settings.telegram_token
    assert token is not None
    channel = TelegramChannel(settings.telegram, token, app.dispatcher, app.texts, app.router)
    await run_channels(app, [channel], channel.execute)


async def _sandbox(settings: Settings, script: list[str] | None) -> None:
    from bot.channels.sandbox.console import SandboxConsole, interactive, play
    from bot.channels.sandbox.world import operator_is_staff
    from handlers.clock import ManualClock

    clock = ManualClock()
    app = _build(operator_is_staff(settings), clock=clock)
    try:
        await app.prepare()
        console = await SandboxConsole.create(app, clock, write=_print)
        if script is not None:
            await play(console, script)
        else:
            await interactive(console)
    finally:
        await app.close()


def _print(text: str) -> None:
    print(text, flush=True)


def main() -> None:
    try:
        cli()
    except KeyboardInterrupt:
        sys.exit(130)
