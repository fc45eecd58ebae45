"""``shequn run``, ``shequn sandbox`` and ``shequn config``."""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit, urlunsplit

import typer

from bot import startup
from bot.channels.sandbox.world import (
    sandbox_database,
    sandbox_settings,
    sandbox_state,
    sandbox_url,
)
from bot.cli.base import ConfigOption, cli, load, run_async, setup_logging
from bot.settings import Settings, config_path
from storage.database import engine_url, shown_url

SANDBOX_TIP = (
    "No Telegram token configured, so Shequn starts in the local sandbox: type as a member;\n"
    "/sandbox lists the sandbox's commands, /help the bot's. Set SHEQUN_TELEGRAM__TOKEN to run\n"
    "on Telegram. The sandbox keeps its own database ({database}); `shequn sandbox --reset`\n"
    "starts afresh.\n"
    "未配置 Telegram token，进入本地沙盒：直接输入就是以成员身份发言；/sandbox 列出沙盒命令，\n"
    "/help 列出机器人命令。设置 SHEQUN_TELEGRAM__TOKEN 即可接入 Telegram。沙盒有自己的数据库，\n"
    "`shequn sandbox --reset` 清空重来。\n"
)


@cli.command()
def run(config: ConfigOption = None) -> None:
    """Run Shequn on the configured channels, or in the sandbox when there are none.

    Telegram, 微信客服 and the Official Account, as configured.
    """
    settings = load(config)
    if settings.telegram_token is None and not settings.wechat.configured:
        if not sys.stdin.isatty():  # Docker -d, systemd: a sandbox nobody can type into
            source = config_path(config)
            token = (
                f"telegram.token in {source} or SHEQUN_TELEGRAM__TOKEN"
                if source
                else "SHEQUN_TELEGRAM__TOKEN"
            )
            typer.echo(
                f"no channel to run: set {token} to run on Telegram, the wechat.kf keys "
                "(SHEQUN_WECHAT__KF__CORP_ID …) to run on 微信客服, the wechat.oa keys "
                "(SHEQUN_WECHAT__OA__APP_ID …) for an Official Account, "
                "or run `shequn sandbox` in a terminal to try Shequn locally",
                err=True,
            )
            raise typer.Exit(2)
        typer.echo(SANDBOX_TIP.format(database=sandbox_database(settings)))
        setup_logging(settings, quiet=True)
        run_async(_sandbox(settings, None), config)
        return
    setup_logging(settings)
    run_async(_channels(settings), config)


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
    files.append(sandbox_state(database))
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
    """Check the configuration as a start would, and print it (secrets hidden)."""
    from bot.app import build_app
    from bot.settings import ConfigError
    from storage.database import Storage

    settings = load(config)
    # Wired as a start wires it (texts, keywords, commands…), on a database never opened:
    # what a start would refuse is the same one line here, and nothing is created.
    with tempfile.TemporaryDirectory() as scratch:
        storage = Storage.from_url(f"sqlite+aiosqlite:///{Path(scratch) / 'unused.db'}")
        try:
            build_app(settings, storage=storage)
        except ConfigError as error:
            typer.echo(str(error), err=True)
            raise typer.Exit(2) from None
        finally:
            asyncio.run(storage.close())
    shown = settings.model_dump(mode="json")
    # The database a start would open (data/shequn.db when none is set), its password
    # hidden: a password in the URL is a secret too.
    shown["database"]["url"] = shown_url(engine_url(settings.database_url))
    if settings.redis.url:  # and in Redis's
        shown["redis"]["url"] = _without_password(settings.redis.url)
    typer.echo(json.dumps(shown, ensure_ascii=False, indent=2))


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))


async def _channels(settings: Settings) -> None:
    """Every configured channel, each action carried out by the channel of its target."""
    from bot.channels.hub import ChannelHub
    from bot.metrics import Metrics
    from bot.runtime import run_channels

    app = startup.build(settings)
    channels: list[Any] = []
    token = settings.telegram_token
    if token is not None:
        from bot.channels.telegram.channel import TelegramChannel

        channels.append(
            TelegramChannel(
                settings.telegram,
                token,
                app.dispatcher,
                app.texts,
                app.router,
                settings.staff,
                settings.redis,
            )
        )
    if settings.wechat.kf.configured:
        from bot.channels.wechat.kf_channel import WeChatKfChannel

        channels.append(WeChatKfChannel(settings.wechat, app.dispatcher, app.storage, app.clock))
    if settings.wechat.oa.configured:
        from bot.channels.wechat.oa_channel import WeChatOaChannel

        channels.append(WeChatOaChannel(settings.wechat, app.dispatcher, app.storage, app.clock))
    if settings.wecom.configured:
        from bot.channels.wechat.wecom_channel import WeComAppChannel

        channels.append(
            WeComAppChannel(
                settings.wecom,
                settings.staff,
                app.dispatcher,
                app.storage,
                app.clock,
                api_base_url=settings.wechat.api_base_url,
                max_clock_skew=settings.wechat.max_clock_skew,
                redis=settings.redis,
            )
        )
    if settings.console.enabled:
        from bot.web.console.site import ConsoleSite

        channels.append(ConsoleSite(app, settings.console).channel)
    hub = ChannelHub(channels, settings.staff, app.texts)
    metrics = Metrics()
    for channel in channels:
        channel.deliver = hub.deliver_from(channel.name)
        if hasattr(channel, "count_send"):
            channel.count_send = metrics.sent
    await run_channels(app, channels, hub.deliver, metrics)


async def _sandbox(settings: Settings, script: list[str] | None) -> None:
    from bot.channels.sandbox.console import SandboxConsole, interactive, play
    from bot.fleet.guard import ProcessGuard
    from handlers.clock import ManualClock

    state = sandbox_state(sandbox_database(settings))
    clock = ManualClock()
    app = startup.build(sandbox_settings(settings), url=sandbox_url(settings), clock=clock)
    guard = ProcessGuard(app.storage, app.settings, sandbox=True)
    try:
        await guard.acquire()  # one sandbox per database file
        await startup.prepare(app, retry=False)
        await app.recover_interrupted()
        console = await SandboxConsole.create(app, clock, write=_print)
        console.resume(state)  # the clock and message numbers where the last run left them
        try:
            await console.sweep()  # as a start does: what fell due while it was closed
            if script is not None:
                await play(console, script)
            else:
                await interactive(console)
        finally:
            console.save(state)
    finally:
        await guard.release()
        await app.close()


def _print(text: str) -> None:
    print(text, flush=True)
