"""``shequn db upgrade`` and ``shequn db copy``."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import URL

from bot import startup
from bot.cli.base import ConfigOption, db_cli, load, run_async, setup_logging
from bot.settings import Settings
from storage.database import UnsupportedDatabase, engine_url, shown_url
from storage.migrate import current_revision, upgrade
from storage.transfer import CopiedTable, RowRefused, TargetNotEmpty, copy_database

#: How an empty database's revision is shown.
NO_REVISION = "0000"
#: What a setting of the target database is called in its error lines.
TARGET = "the target URL"


@db_cli.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Apply database migrations (also done automatically at start), saying what was done."""
    settings = load(config)
    setup_logging(settings, quiet=True)
    before, after, database = run_async(_upgrade(settings), config)
    if before == after:
        typer.echo(f"already at {after} ({database})")
    else:
        typer.echo(f"migrated {before or NO_REVISION} → {after} ({database})")


async def _upgrade(settings: Settings) -> tuple[str | None, str | None, str]:
    app = startup.build(settings)
    engine = app.storage.engine
    try:
        before = await startup.using_database(app, lambda: current_revision(engine))
        await startup.prepare(app, retry=False)
        after = await current_revision(engine)
    finally:
        await app.close()
    return before, after, engine.url.render_as_string(hide_password=True)


TargetArgument = Annotated[
    str,
    typer.Argument(
        help="the empty database to copy into: postgresql://user:password@host:5432/shequn "
        "(created with createdb), or sqlite:///path/to/new.db",
        show_default=False,
    ),
]


@dataclass(frozen=True)
class Copy:
    source: str
    target: str
    tables: list[CopiedTable]
    seconds: float
    #: The target as database.url takes it (sqlite:///copy.db, not copy.db).
    target_setting: str


@db_cli.command("copy")
def db_copy(target: TargetArgument, config: ConfigOption = None) -> None:
    """Copy the community's data into another, empty database, ids and all: a pilot on
    SQLite moving to PostgreSQL. Stop Shequn first."""
    settings = load(config)
    setup_logging(settings, quiet=True)
    done = run_async(_copy(settings, target, report=_report_table), config)
    rows = sum(table.rows for table in done.tables)
    typer.echo(
        f"copied {rows:,} rows in {len(done.tables)} tables from {done.source} into "
        f"{done.target} in {done.seconds:.1f} s; every table counted on both sides"
    )
    typer.echo(
        f"next: set database.url (SHEQUN_DATABASE__URL) to {done.target_setting} and start "
        f"Shequn; {done.source} is left as it was"
    )


def _report_table(table: CopiedTable) -> None:
    if table.rows:
        typer.echo(f"  {table.name:<22} {table.rows:>10,}")


async def _copy(
    settings: Settings, target_url: str, *, report: Callable[[CopiedTable], None]
) -> Copy:
    startup.existing_database(settings)
    try:
        target_at = engine_url(target_url)
    except UnsupportedDatabase as error:
        raise startup.StartupError(f"{TARGET}: {error}") from None
    source_at = engine_url(settings.database_url)
    if _same_database(source_at, target_at):
        raise startup.StartupError(
            f"{_shown(target_at)} is the database Shequn uses now: name a new one to copy into"
        )
    from bot.fleet.guard import ProcessGuard

    source = startup.build(settings)
    target = None
    guards: list[ProcessGuard] = []
    try:
        async with _about_target():
            target = startup.build(settings, url=target_url)
        guards = [ProcessGuard(source.storage, settings), ProcessGuard(target.storage, settings)]
        await startup.using_database(
            source,
            lambda: guards[0].acquire_alone(
                f"Shequn is running on {_shown(source_at)}: stop it first, so that "
                "nothing it writes during the copy is lost"
            ),
        )
        async with _about_target():
            await startup.using_database(
                target,
                lambda: guards[1].acquire_alone(
                    f"Shequn is running on {_shown(target_at)}: stop it; copy only into "
                    "a database no Shequn uses"
                ),
            )
        await startup.using_database(source, lambda: upgrade(source.storage.engine))
        async with _about_target():
            await startup.using_database(target, lambda: upgrade(target.storage.engine))
        started = time.monotonic()
        try:
            tables = await copy_database(
                source.storage.engine, target.storage.engine, copied=report
            )
        except TargetNotEmpty as error:
            raise startup.StartupError(
                f"{_shown(target_at)} already holds a community's data "
                f"({_some_of(error.held)}): copy only "
                "into an empty database (drop and create it again, or name another)"
            ) from None
        except RowRefused as error:
            raise startup.StartupError(
                f"{_shown(target_at)} refused a row of {error.table} ({error.reason}); "
                "nothing was copied"
            ) from None
        return Copy(
            _shown(source_at),
            _shown(target_at),
            tables,
            time.monotonic() - started,
            shown_url(target_at),
        )
    finally:
        for guard in guards:
            await guard.release()
        await source.close()
        if target is not None:
            await target.close()


#: What tells an operator most about whose data a database holds, named first.
TELLING_TABLES = ("members", "tickets", "faq_entries", "points_ledger")


def _some_of(held: dict[str, int], shown: int = 4) -> str:
    names = sorted(held, key=lambda name: (name not in TELLING_TABLES, name))
    listed = ", ".join(f"{name} {held[name]:,}" for name in names[:shown])
    return listed + (", …" if len(names) > shown else "")


@asynccontextmanager
async def _about_target() -> AsyncIterator[None]:
    """A start-up failure on the target names the command's argument, not a setting."""
    try:
        yield
    except startup.StartupError as error:
        raise startup.StartupError(error.line(lambda _: TARGET), code=error.code) from None


def _same_database(one: URL, other: URL) -> bool:
    if one.get_backend_name() != other.get_backend_name():
        return False
    if one.get_backend_name() == "sqlite":
        return Path(one.database or "").resolve() == Path(other.database or "").resolve()
    return (one.host, one.port or 5432, one.database) == (
        other.host,
        other.port or 5432,
        other.database,
    )


def _shown(url: URL) -> str:
    """The database as an operator writes it: a file's path, a URL without its password."""
    if url.get_backend_name() == "sqlite":
        return url.database or ":memory:"
    return shown_url(url)
