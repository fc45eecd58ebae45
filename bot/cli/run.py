"""``shequn run``, ``shequn sandbox`` and ``shequn config``."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.base import ConfigOption, build, cli, load, setup_logging
from bot.settings import Settings

SANDBOX_TIP = (
    "No Telegram token configured, so Shequn starts in the local sandbox.\n"
    "未配置 Telegram token，进入本地沙盒。Type as a member; /sandbox lists sandbox commands, "
    "/help the bot's. Set SHEQUN_TELEGRAM__TOKEN to run on Telegram.\n"
)


@cli.command()
def run(config: ConfigOption = None) -> None:
    """Run Shequn: on Telegram when a token is configured, else in the sandbox."""
    settings = load(config)
    if settings.telegram_token is None:
        typer.echo(SANDBOX_TIP)
        setup_logging(settings, quiet=True)
        asyncio.run(_sandbox(settings, None))
        return
    setup_logging(settings)
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
    settings = load(config)
    setup_logging(settings, quiet=True)
    if script is not None and not script.is_file():
        typer.echo(f"script file {script} does not exist", err=True)
        raise typer.Exit(2)
    lines = script.read_text("utf-8").splitlines() if script is not None else None
    asyncio.run(_sandbox(settings, lines))


@cli.command("config")
def show_config(config: ConfigOption = None) -> None:
    """Print the effective configuration (secrets hidden)."""
    settings = load(config)
    typer.echo(json.dumps(settings.model_dump(mode="json"), ensure_ascii=False, indent=2))


async def _telegram(settings: Settings) -> None:
    from bot.channels.telegram.channel import TelegramChannel
    from bot.runtime import run_channels

    app = build(settings)
    token = settings.telegram_token
    assert token is not None
    channel = TelegramChannel(settings.telegram, token, app.dispatcher, app.texts, app.router)
    await run_channels(app, [channel], channel.execute)


async def _sandbox(settings: Settings, script: list[str] | None) -> None:
    from bot.channels.sandbox.console import SandboxConsole, interactive, play
    from bot.channels.sandbox.world import operator_is_staff
    from handlers.clock import ManualClock

    clock = ManualClock()
    app = build(operator_is_staff(settings), clock=clock)
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
