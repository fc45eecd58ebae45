"""``shequn db upgrade``."""

from __future__ import annotations

import asyncio

import typer

from bot.cli.base import ConfigOption, db_cli, load, prepared
from bot.settings import Settings


@db_cli.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Apply database migrations (also done automatically at start)."""
    settings = load(config)
    asyncio.run(_upgrade(settings))
    typer.echo("database is up to date")


async def _upgrade(settings: Settings) -> None:
    async with prepared(settings):
        pass
