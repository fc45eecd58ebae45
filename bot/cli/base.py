"""The ``shequn`` Typer app, its command groups, and what every command shares:
settings loaded (with warnings for unknown variables), an app built and
migrated, and a user's mistake told in one line with exit code 2, never a
traceback."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from contextvars import ContextVar
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from bot import startup
from bot.settings import (
    ConfigError,
    Settings,
    config_path,
    deprecated_settings,
    load_settings,
    unknown_settings_variables,
)
from bot.settings import where_set as _where_set

if TYPE_CHECKING:
    from bot.app import App

T = TypeVar("T")

#: ``shequn --sandbox …``: the command works on the sandbox's own database.
_ON_SANDBOX: ContextVar[bool] = ContextVar("on_sandbox", default=False)

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
accounts_cli = typer.Typer(
    help="Members' accounts: linked accounts, a member's data (export, erasure).",
    no_args_is_help=True,
)
cli.add_typer(accounts_cli, name="accounts")
topics_cli = typer.Typer(help="Discussion topic pools.", no_args_is_help=True)
cli.add_typer(topics_cli, name="topics")
schedule_cli = typer.Typer(help="The programme of scheduled topics.", no_args_is_help=True)
cli.add_typer(schedule_cli, name="schedule")
complaints_cli = typer.Typer(help="The complaint detector.", no_args_is_help=True)
cli.add_typer(complaints_cli, name="complaints")
console_cli = typer.Typer(
    help="The staff console (/console/ on the web server).", no_args_is_help=True
)
cli.add_typer(console_cli, name="console")

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="TOML config file (default: $SHEQUN_CONFIG or ./shequn.toml)"
    ),
]

SkipBadOption = Annotated[
    bool, typer.Option("--skip-bad", help="import the good rows even if some are bad")
]


def _print_version(value: bool) -> None:
    if value:
        try:
            version = metadata.version("shequn")
        except metadata.PackageNotFoundError:  # run from a checkout that was never installed
            version = "(not installed)"
        typer.echo(f"shequn {version}")
        raise typer.Exit()


@cli.callback()
def _root(
    _version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="print the version and exit"
        ),
    ] = False,
    _sandbox: Annotated[
        bool,
        typer.Option(
            "--sandbox",
            help="work on the sandbox's own database (sandbox.db in data_dir), "
            "e.g. shequn --sandbox faq import faq.yaml",
        ),
    ] = False,
) -> None:
    _ON_SANDBOX.set(_sandbox)


def load(config: Path | None) -> Settings:
    """The settings, or one line naming the bad key (exit code 2). Unknown ``SHEQUN_*``
    variables are warned about first: a misspelt one is otherwise silently ignored."""
    for warning in unknown_settings_variables():
        typer.echo(warning, err=True)
    try:
        settings = load_settings(config)
    except ConfigError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    for warning in deprecated_settings(settings):
        typer.echo(warning, err=True)
    if _ON_SANDBOX.get():  # the sandbox's database, and its staff chat (not a community)
        from bot.channels.sandbox.world import sandbox_settings, sandbox_url

        database = settings.database.model_copy(update={"url": sandbox_url(settings)})
        settings = sandbox_settings(settings.model_copy(update={"database": database}))
    return settings


def where_set(config: Path | None) -> Callable[[str], str]:
    """Where the operator fixes a setting: its variable, or the key in the config file
    in use (``redis.url in shequn.toml or SHEQUN_REDIS__URL``)."""
    source = config_path(config)

    def where(key: str) -> str:
        place = _where_set(key, source)
        return place if place.startswith("SHEQUN_") else f"{key} in {place}"

    return where


def run_async(work: Coroutine[Any, Any, T], config: Path | None) -> T:
    """``asyncio.run(work)``; a start-up failure is one line and its exit code."""
    try:
        return asyncio.run(work)
    except startup.StartupError as error:
        typer.echo(error.line(where_set(config)), err=True)
        raise typer.Exit(error.code) from None


@asynccontextmanager
async def prepared(settings: Settings, *, reads: bool = False) -> AsyncIterator[App]:
    """An app with its schema up to date, closed afterwards (for one-shot commands);
    ``reads``: the command only reads, so an SQLite file that is not there is refused."""
    if reads:
        startup.existing_database(settings)
    clock = None
    if _ON_SANDBOX.get():  # the sandbox's time: its clock may be days ahead of the wall's
        from bot.channels.sandbox.world import sandbox_clock

        clock = sandbox_clock(settings)
    app = startup.build(settings, clock=clock)
    try:
        await startup.prepare(app, retry=False)
        yield app
    finally:
        await app.close()


def read_or_exit(
    read: Callable[[Path], T], file: Path, error_type: type[Exception], verb: str = "import"
) -> T:
    """What ``read`` makes of ``file``, or one line saying why it cannot (exit code 2)."""
    try:
        return read(file)
    except (error_type, OSError) as error:
        typer.echo(f"cannot {verb}: {error}", err=True)
        raise typer.Exit(2) from None


def setup_logging(settings: Settings, quiet: bool = False) -> None:
    level = logging.WARNING if quiet and settings.log_level == "INFO" else settings.log_level
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if settings.logging.format == "json":  # one object per line, for a log collector
        from pythonjsonlogger.json import JsonFormatter

        formatter = JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            json_ensure_ascii=False,
        )
        for handler in logging.getLogger().handlers:
            handler.setFormatter(formatter)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # Its "Fetching access token" at every fetch: Shequn's own line says when and for how long.
    logging.getLogger("wechatpy").setLevel(logging.WARNING)


def parse_account(account: str) -> tuple[str, str]:
    """``platform:id`` as typed, or exit 2 with one line saying how to write it."""
    platform, _, external_id = account.partition(":")
    if not platform or not external_id:
        typer.echo(
            f"write the account as platform:id, e.g. telegram:123 (got {account!r})", err=True
        )
        raise typer.Exit(2)
    return platform, external_id
