"""``shequn run``, ``shequn sandbox`` and ``shequn config``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from bot import startup
from bot.channels.sandbox.world import sandbox_database, sandbox_settings, sandbox_url
from bot.cli.base import ConfigOption, cli, load, run_async, setup_logging, where_set
from bot.settings import Settings

SANDBOX_TIP = (
    "No Telegram token configured, so Shequn starts in the local sandbox.\n"
    "未配置 Telegram token，进入本地沙盒。Type as a member; /sandbox lists sandbox commands, "
    "/help the bot's. Set SHEQUN_TELEGRAM__TOKEN to run on Telegram.\n"
    "The sandbox keeps its own database ({database}); `shequn sandbox --reset` starts afresh.\n"
)


@cli.command()
def run(config: ConfigOption = None) -> None:
    """Run Shequn: on Telegram when a token is configured, else in the sandbox (in a terminal)."""
    settings = load(config)
    if settings.telegram_token is None:
        if not sys.stdin.isatty():  # Docker -d, systemd: a sandbox nobody can type into
            token = where_set(config)("telegram.token")
            typer.echo(
                f"no channel to run: set {token} to run on Telegram, "
                "or run `shequn sandbox` in a terminal to try Shequn locally",
                err=True,
            )
            raise typer.Exit(2)
        typer.echo(SANDBOX_TIP.format(database=sandbox_database(settings)))
        setup_logging(settings, quiet=True)
        run_async(_sandbox(settings, None), config)
        return
    setup_logging(settings)
    run_async(_telegram(settings), config)


@cli.command()
def sandbox(
    config: ConfigOption = None,
    script: Annotated[
        Path | None,
        typer.Option("--script", "-s", help="play this file instead of reading the terminal"),
    ] = None,
    reset: Annotated[
        bool, typer.Option("--reset", help="delete the sandbox's database first, to start afresh")
    ] = False,
) -> None:
    """Chat with the bot in your terminal, with the real handlers on the sandbox's own database."""
    settings = load(config)
    setup_logging(settings, quiet=True)
    if script is not None and not script.is_file():
        typer.echo(f"script file {script} does not exist", err=True)
        raise typer.Exit(2)
    lines = script.read_text("utf-8").splitlines() if script is not None else None
    if reset:
        _reset(sandbox_database(settings))
    run_async(_sandbox(settings, lines), config)


def _reset(database: Path) -> None:
    """Delete the sandbox's SQLite file with its journal files; say so in one line."""
    files = [database.with_name(database.name + suffix) for suffix in ("", "-wal", "-shm")]
    existed = database.exists()
    try:
        for file in files:
            file.unlink(missing_ok=True)
    except OSError as error:
        typer.echo(f"cannot reset the sandbox: {error}", err=True)
        raise typer.Exit(2) from None
    if existed:
        typer.echo(f"sandbox reset: deleted {database}")
    else:
        typer.echo(f"sandbox reset: {database} did not exist yet")


@cli.command("config")
def show_config(config: ConfigOption = None) -> None:
    """Print the effective configuration (secrets hidden)."""
    settings = load(config)
    typer.echo(json.dumps(settings.model_dump(mode="json"), ensure_ascii=False, indent=2))


async def _telegram(settings: Settings) -> None:
    from bot.channels.telegram.channel import TelegramChannel
    from bot.runtime import run_channels

    app = startup.build(settings)
    token = settings.telegram_token
    assert token is not None
    channel = TelegramChannel(
        settings.telegram, token, app.dispatcher, app.texts, app.router, settings.staff
    )
    await run_channels(app, [channel], channel.execute)


async def _sandbox(settings: Settings, script: list[str] | None) -> None:
    from bot.channels.sandbox.console import SandboxConsole, interactive, play
    from handlers.clock import ManualClock

    clock = ManualClock()
    app = startup.build(sandbox_settings(settings), url=sandbox_url(settings), clock=clock)
    try:
        await startup.prepare(app, retry=False)
        console = await SandboxConsole.create(app, clock, write=_print)
        if script is not None:
            await play(console, script)
        else:
            await interactive(console)
    finally:
        await app.close()


def _print(text: str) -> None:
    print(text, flush=True)
