"""Runs the channels and the scheduler in one event loop until asked to stop."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app import App
from bot.channels.base import Channel
from handlers.actions import Action, Receipt

log = logging.getLogger(__name__)

#: Carries out actions and reports on those that are scheduled deliveries.
Deliver = Callable[[list[Action]], Awaitable[list[Receipt]]]


def start_scheduler(
    app: App, deliver: Deliver, running: asyncio.Lock, stopping: asyncio.Event
) -> AsyncIOScheduler:
    """An APScheduler job sweeps due work; ``coalesce`` folds missed runs into one.

    ``running`` is held while a sweep works, so a stop can let it finish; a
    sweep that the scheduler launched just before the stop sees ``stopping``
    and does nothing (the database is about to close).
    """
    scheduler = AsyncIOScheduler(timezone="UTC")

    async def sweep() -> None:
        async with running:
            if stopping.is_set():
                return
            actions = await app.sweep()
            if actions:
                await app.record(await deliver(actions))

    scheduler.add_job(
        sweep,
        "interval",
        seconds=app.settings.scheduler.sweep_seconds,
        id="sweep",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
        # First sweep right away: catches up on what fell due while the bot was down.
        next_run_time=datetime.now(UTC),
    )
    scheduler.start()
    return scheduler


async def run_channels(app: App, channels: list[Channel], deliver: Deliver) -> None:
    """Start everything, wait for SIGINT/SIGTERM, stop everything in reverse order."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await app.prepare()
    started: list[Channel] = []
    scheduler: AsyncIOScheduler | None = None
    sweeping = asyncio.Lock()
    try:
        for channel in channels:
            await channel.start()
            started.append(channel)
        scheduler = start_scheduler(app, deliver, sweeping, stop)
        log.info("Shequn is running (%s); Ctrl+C to stop", ", ".join(c.name for c in channels))
        await stop.wait()
    finally:
        log.info("stopping")
        stop.set()
        if scheduler is not None:
            scheduler.shutdown(wait=False)
            async with sweeping:  # a sweep in flight finishes and records its receipts
                pass
        for channel in reversed(started):
            await channel.stop()
        await app.close()
