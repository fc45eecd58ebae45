"""Limits that hold across replicas, counted in the real Redis on this machine: two
limiters stand for two replicas, each with its own connection."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from telegram.error import RetryAfter

from bot.channels.wechat.wecom_api import Pacer
from bot.fleet.pacer import FleetPacer
from bot.fleet.ratelimit import FleetRateLimiter

REDIS = "redis://127.0.0.1:6379/0"


async def test_two_replicas_share_a_persons_budget_where_two_pacers_would_not() -> None:
    prefix = f"t{uuid.uuid4().hex[:8]}:"
    fleet = [FleetPacer(REDIS, prefix, "wecom-app:corp:1", [(3, 1.0)]) for _ in range(2)]
    started = time.monotonic()
    sent: list[float] = []

    async def send(pacer: FleetPacer | Pacer, person: str) -> None:
        await pacer.wait(person)
        sent.append(time.monotonic() - started)

    await asyncio.gather(*(send(fleet[n % 2], "zhangsan") for n in range(6)))
    assert sum(at < 0.9 for at in sent) == 3  # three in the first second, whoever sends
    assert max(sent) >= 0.9
    # Another person has a budget of their own.
    before = time.monotonic()
    await send(fleet[0], "lisi")
    assert time.monotonic() - before < 0.5

    # The in-process pacers, by contrast, each allow three: six at once.
    sent.clear()
    started = time.monotonic()
    local = [Pacer([(3, 1.0)]) for _ in range(2)]
    await asyncio.gather(*(send(local[n % 2], "zhangsan") for n in range(6)))
    assert max(sent) < 0.5


async def test_telegram_sends_of_two_replicas_keep_one_overall_rate_and_a_429_pauses_both() -> None:
    prefix = f"t{uuid.uuid4().hex[:8]}:"
    limiters = [
        FleetRateLimiter(REDIS, prefix, overall_per_second=4, group_per_minute=20, max_retries=2)
        for _ in range(2)
    ]
    for limiter in limiters:
        await limiter.initialize()
    calls: list[tuple[float, str]] = []
    started = time.monotonic()
    flooded = [True]

    async def api(chat: str) -> dict[str, Any]:
        if chat == "flood" and flooded[0]:
            flooded[0] = False
            raise RetryAfter(1)
        calls.append((time.monotonic() - started, chat))
        return {"ok": True}

    async def send(limiter: FleetRateLimiter, chat: str) -> Any:
        return await limiter.process_request(
            api, (chat,), {}, "sendMessage", {"chat_id": chat}, None
        )

    try:
        await asyncio.gather(*(send(limiters[n % 2], f"{n}") for n in range(8)))
        first_second = [at for at, _ in calls if at < 0.95]
        assert len(first_second) == 4 and len(calls) == 8  # 4 a second, both replicas
        # A 429 on one replica pauses the other too, for retry_after.
        calls.clear()
        started = time.monotonic()
        await asyncio.sleep(1.1)  # a fresh window
        started = time.monotonic()
        await asyncio.gather(send(limiters[0], "flood"), _later(send(limiters[1], "other"), 0.2))
        other = next(at for at, chat in calls if chat == "other")
        assert other >= 1.0  # waited out the pause the first replica was told of
    finally:
        for limiter in limiters:
            await limiter.shutdown()


async def _later(work: Any, seconds: float) -> Any:
    await asyncio.sleep(seconds)
    return await work
