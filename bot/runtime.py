"""Runs the channels, the scheduler and (when a channel takes callbacks) the web
server in one event loop until asked to stop."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot import startup
from bot.app import App
from bot.channels.base import Channel
from bot.fleet.guard import ProcessGuard
from bot.fleet.invalidation import Invalidation, changes_of
from bot.fleet.lease import Membership
from bot.fleet.shared import ping
from bot.metrics import Metrics
from bot.web.operations import Operations
from bot.web.server import web_server
from handlers.actions import Action, Receipt
from storage.database import is_transient

log = logging.getLogger(__name__)

#: How long a stop waits for the sweep in flight (its sends) before letting go: the
#: whole stop stays within ten seconds, as orchestrators expect of SIGTERM.
DRAIN_SECONDS = 6

#: Carries out actions and reports on those that are scheduled deliveries.
Deliver = Callable[[list[Action]], Awaitable[list[Receipt]]]


class SweepJob:
    """The scheduler's job: sweep due work and deliver it.

    Sweeps never overlap: a sweep asked for while one runs (an update made a
    welcome due, see :meth:`nudge`) runs once more right after it. APScheduler
    cancels coroutine jobs that are running when it shuts down, which would
    cut a sweep off between sending and recording; :meth:`drain` lets the
    sweep in flight finish first, and no new one starts after it.
    """

    def __init__(self, app: App, deliver: Deliver) -> None:
        self._app, self._deliver = app, deliver
        self._in_flight: set[asyncio.Task[object]] = set()
        self._stopping = False
        self._running = False
        self._again = False
        self._caught_up = False

    async def run(self) -> None:
        task = asyncio.current_task()
        if self._stopping or task is None:
            return
        if self._running:
            self._again = True
            return
        self._running = True
        self._in_flight.add(task)
        try:
            self._again = True
            while self._again and not self._stopping:
                self._again = False
                actions = await self._app.sweep()
                if actions:
                    await self._app.carry_out(actions, self._deliver)
                if not self._caught_up:  # the first sweep: what fell due while stopped
                    self._caught_up = True
                    log.info("caught up on due work (%d messages)", len(actions))
        except Exception as error:
            if not is_transient(error):
                raise  # a bug: APScheduler logs it with its traceback
            # The database is away (a restart, a lock): the next sweep catches up.
            log.warning("sweep skipped, the database is unavailable: %s", _first_line(error))
        finally:
            self._running = False
            self._in_flight.discard(task)

    def nudge(self) -> None:
        """Sweep now rather than at the next interval (called after a commit)."""
        if not self._stopping:
            task = asyncio.get_running_loop().create_task(self.run())
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)

    async def drain(self) -> None:
        self._stopping = True
        while self._in_flight:
            await asyncio.wait(set(self._in_flight))


def start_scheduler(app: App, job: SweepJob) -> AsyncIOScheduler:
    """An APScheduler job sweeps due work; ``coalesce`` folds missed runs into one."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        job.run,  # a coroutine function: APScheduler awaits it on the loop
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


async def run_channels(
    app: App, channels: list[Channel], deliver: Deliver, metrics: Metrics | None = None
) -> None:
    """Start everything, wait for SIGINT/SIGTERM, stop everything in reverse order.

    Starting may wait a long time (a database or Telegram that is not reachable
    yet is retried), so a signal during the start stops it too. Stopping takes
    no new work, lets what is in flight finish for up to :data:`DRAIN_SECONDS`,
    and gives up this replica's lease, so another takes over at once.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    started: list[Channel] = []
    scheduler: AsyncIOScheduler | None = None
    job = SweepJob(app, deliver)
    app.dispatcher.on_due = job.nudge
    metrics = metrics or Metrics()
    app.dispatcher.observe = metrics.handled
    guard = ProcessGuard(app.storage, app.settings)
    membership = Membership(app.storage, replicas=guard.replicas, keep=guard.keep, on_lost=stop.set)
    app.leads = lambda: membership.leader
    app.dispatcher.across_replicas = guard.replicas
    sharing: list[Invalidation] = []
    web = web_server(app.settings.http, channels)
    redis = functools.partial(ping, app.settings.redis.url) if guard.replicas else None
    web.serve_always(Operations(app.storage, metrics, channels, app.leads, redis).routes())

    async def start() -> None:
        await startup.using_database(app, guard.acquire, retry=True)
        if redis is not None:  # waited for before migrating: a replica without it cannot start
            await startup.using_redis(app.settings.redis.url, redis, retry=True)
        await startup.prepare(app, retry=True)
        if not guard.replicas:  # the only process: what the last stop left mid-send is over
            await app.recover_interrupted()
        await membership.start()
        if guard.replicas:
            sharing.append(await _share_changes(app, channels))
        await web.start()  # before the channels: callbacks may come once they start
        for channel in channels:
            started.append(channel)  # stopped even if its start is cut short
            await channel.start()
            web.channel_started(channel.name)
        web.announce()

    try:
        if not await _unless_stopped(start(), stop):
            return
        scheduler = start_scheduler(app, job)
        log.info(
            "Shequn is running (%s)%s; Ctrl+C to stop",
            ", ".join(c.name for c in channels),
            f" as replica {membership.id}" if guard.replicas else "",
        )
        await stop.wait()
    finally:
        if scheduler is not None or stop.is_set():  # a failed start says why, and only that
            log.info("stopping")
        web.closing()  # callbacks answer 503 now: the platform retries elsewhere or later
        if scheduler is not None:
            scheduler.pause()  # no new sweep starts …
            try:  # … and the one in flight finishes and records its receipts
                await asyncio.wait_for(job.drain(), DRAIN_SECONDS)
            except TimeoutError:
                log.warning("stopped a sweep still sending after %d s", DRAIN_SECONDS)
            scheduler.shutdown(wait=False)
        for channel in reversed(started):
            await channel.stop()
        await web.stop()
        for invalidation in sharing:
            await invalidation.stop()
        await membership.stop()
        await guard.release()
        await app.close()


async def _share_changes(app: App, channels: list[Channel]) -> Invalidation:
    """Replicas: what this one changes is dropped from the others' caches, and the
    other way round (:mod:`bot.fleet.invalidation`)."""
    admin_caches = [c.admins for c in channels if hasattr(c, "admins")]

    async def apply(message: dict[str, Any] | None) -> None:
        records = app.dispatcher.records
        if message is None:
            records.clear()
            for cache in admin_caches:
                cache.clear()
        else:
            users = {(platform, key) for platform, key in message.get("users", ())}
            records.forget(set(message.get("chats", ())), users)
            for chat_id in message.get("admins", ()):
                for cache in admin_caches:
                    cache.invalidate(chat_id)
        if message is None or message.get("faq"):
            await app.storage.run(app.faq.refresh)

    redis = app.settings.redis
    invalidation = Invalidation(redis.url, redis.prefix, app.storage.replica_id, apply)
    await startup.using_redis(redis.url, invalidation.start, retry=True)
    app.dispatcher.on_change = lambda pending: invalidation.publish(changes_of(pending))
    app.faq.on_change = lambda: invalidation.publish({"faq": True})
    for channel in channels:
        if hasattr(channel, "on_admins_changed"):
            channel.on_admins_changed = lambda chat_id: invalidation.publish({"admins": [chat_id]})
    return invalidation


async def _unless_stopped(work: Coroutine[Any, Any, None], stop: asyncio.Event) -> bool:
    """Run ``work`` to its end (True), or cancel it when ``stop`` is set first (False)."""
    task = asyncio.ensure_future(work)
    stopped = asyncio.ensure_future(stop.wait())
    await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return False
    task.result()
    return True


def _first_line(error: BaseException) -> str:
    return (str(error) or type(error).__name__).splitlines()[0]
