"""Periodic upkeep that keeps the database small."""

from __future__ import annotations

from datetime import datetime, timedelta

from handlers.actions import Action
from handlers.sweeper import SweepTask
from storage.repositories import Repositories


def forget_old_update_keys(keep: timedelta) -> SweepTask:
    """Platforms redeliver for hours at most; keys older than ``keep`` are dropped."""

    async def task(repos: Repositories, now: datetime) -> list[Action]:
        await repos.updates.forget_before(now - keep)
        return []

    task.__name__ = "forget_old_update_keys"
    return task
