"""The ``shequn`` Typer app, its command groups, and what every command shares:
settings loaded, an app built and migrated, one line for a bad file."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

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


def load(config: Path | None) -> Settings:
    try:
        return load_settings(config)
    except ConfigError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None


def build(settings: Settings, **kwargs: object) -> App:
    from bot.app import build_app

    try:
        return build_app(settings, **kwargs)  # type: ignore[arg-type]
    except ConfigError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None


@asynccontextmanager
async def prepared(settings: Settings) -> AsyncIterator[App]:
    """An app with its schema up to date, closed afterwards (for one-shot commands)."""
    app = build(settings)
    try:
        await app.prepare()
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
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
