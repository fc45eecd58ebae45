"""Periodic upkeep that keeps the database small."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from handlers.actions import Action
from handlers.sweeper import SweepTask
from storage.repositories import Repositories

Forget = Callable[[Repositories, datetime], Awaitable[int]]


def _forget_older_than(name: str, keep: timedelta, forget: Forget) -> SweepTask:
    async def task(repos: Repositories, now: datetime) -> list[Action]:
        await forget(repos, now - keep)
        return []

    task.__name__ = name
    return task


def forget_old_update_keys(keep: timedelta) -> SweepTask:
    """Platforms redeliver for hours at most; keys older than ``keep`` are dropped."""
    return _forget_older_than(
        "forget_old_update_keys", keep, lambda repos, cutoff: repos.updates.forget_before(cutoff)
    )


def forget_old_sent_messages(keep: timedelta) -> SweepTask:
    """Replies to the bot's messages are routed for ``keep``; older ids are dropped."""
    return _forget_older_than(
        "forget_old_sent_messages", keep, lambda repos, cutoff: repos.sent.forget_before(cutoff)
    )
