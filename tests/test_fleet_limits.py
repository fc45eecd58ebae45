"""Limits that hold across replicas, counted in the real Redis on this machine: two
limiters stand for two replicas, each with its own connection."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.channels.wechat.wecom_api import Pacer
from bot.fleet import shared
from bot.fleet.invalidation import Invalidation
from bot.fleet.pacer import FleetPacer
from bot.fleet.ratelimit import FleetRateLimiter
from bot.fleet.shared import RedisOrLocal
from tests.test_replicas import TcpProxy

REDIS = "redis://127.0.0.1:6379/0"


async def test_two_replicas_share_a_persons_budget_where_two_pacers_would_not() -> None:
    prefix = f"t{uuid.uuid4().hex[:8]}:"
    links = [RedisOrLocal(REDIS, "WeCom's limits") for _ in range(2)]
    fleet = [FleetPacer(link, prefix, "wecom-app:corp:1", [(3, 1.0)]) for link in links]
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
    for link in links:
        await link.close()


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


async def test_sends_go_on_counted_locally_while_redis_is_away(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis holds nothing to keep: its outage must not cost replies and welcomes.
    The replica counts in its own memory meanwhile, and shares again once it is back
    (a connection Redis dropped is opened again, not failed once)."""
    monkeypatch.setattr(shared, "REDIS_RETRY_SECONDS", 0.2)
    caplog.set_level(logging.INFO, "bot.fleet.shared")
    proxy = TcpProxy(("127.0.0.1", 6379))
    proxy.up()
    limiter = FleetRateLimiter(
        f"redis://127.0.0.1:{proxy.port}/0",
        f"t{uuid.uuid4().hex[:8]}:",
        overall_per_second=2,
        group_per_minute=20,
        max_retries=0,
    )
    await limiter.initialize()
    sent: list[float] = []

    async def api() -> dict[str, Any]:
        sent.append(time.monotonic())
        return {"ok": True}

    async def send() -> Any:
        return await limiter.process_request(api, (), {}, "sendMessage", {"chat_id": -1}, None)

    try:
        assert await send() == {"ok": True}
        proxy.down()
        await asyncio.sleep(1.1)  # a fresh window
        started = time.monotonic()
        assert [await send() for _ in range(3)] == [{"ok": True}] * 3
        assert sent[-1] - started >= 0.9  # still two a second, counted here
        warnings = [r.message for r in caplog.records if r.levelname == "WARNING"]
        assert len(warnings) == 1 and warnings[0].startswith("Redis is unreachable")
        proxy.up()
        await asyncio.sleep(0.3)
        assert await send() == {"ok": True}
        assert any("Redis is back" in r.message for r in caplog.records)
    finally:
        proxy.down()
        await limiter.shutdown()


async def test_wecom_messages_are_paced_locally_while_redis_is_away(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """As Telegram's limits: a WeCom pacer whose Redis went away paces in its own
    memory (sends go on, still within the limit), its channel's pacers say so once,
    and the budget is the fleet's again once Redis is back."""
    monkeypatch.setattr(shared, "REDIS_RETRY_SECONDS", 0.2)
    caplog.set_level(logging.INFO, "bot.fleet.shared")
    proxy = TcpProxy(("127.0.0.1", 6379))
    proxy.up()
    prefix = f"t{uuid.uuid4().hex[:8]}:"
    link = RedisOrLocal(f"redis://127.0.0.1:{proxy.port}/0", "WeCom's limits")
    people = FleetPacer(link, prefix, "wecom-app:corp:1", [(2, 1.0)])
    robot = FleetPacer(link, prefix, "wecom-app:corp:1:robot", [(2, 1.0)])
    other = RedisOrLocal(REDIS, "WeCom's limits")  # another replica, whose Redis stays
    try:
        await people.wait("zhangsan")
        proxy.down()
        await asyncio.sleep(1.1)  # a fresh window
        started = time.monotonic()
        for _ in range(3):
            await people.wait("zhangsan")
        await robot.wait("robot")
        assert time.monotonic() - started >= 0.9  # still two a second, paced here
        warnings = [r.message for r in caplog.records if r.levelname == "WARNING"]
        assert len(warnings) == 1, warnings  # one line for both pacers of the channel
        assert warnings[0].startswith("Redis is unreachable (")
        assert warnings[0].endswith(
            "counting WeCom's limits in this replica alone until it is back"
        )
        proxy.up()
        await asyncio.sleep(0.3)
        await people.wait("lisi")
        assert any(
            r.message.startswith("Redis is back") and "WeCom's limits are shared again" in r.message
            for r in caplog.records
        )
        # Shared again: what this replica sends counts in the other's budget.
        await people.wait("wangwu")
        await people.wait("wangwu")
        before = time.monotonic()
        await FleetPacer(other, prefix, "wecom-app:corp:1", [(2, 1.0)]).wait("wangwu")
        assert time.monotonic() - before >= 0.5
    finally:
        proxy.down()
        await link.close()
        await other.close()


async def test_a_change_that_fails_to_apply_leaves_the_replica_listening(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Another replica's change applied while the database is away (the FAQ index
    refreshed) fails: logged, and the next change is still heard."""
    prefix = f"t{uuid.uuid4().hex[:8]}:"
    heard: list[dict[str, Any] | None] = []
    fail = [ConnectionRefusedError("the database is away"), RuntimeError("a bug")]

    async def apply(message: dict[str, Any] | None) -> None:
        if fail:
            raise fail.pop(0)
        heard.append(message)

    listener = Invalidation(REDIS, prefix, "replica-a", apply)
    sender = Invalidation(REDIS, prefix, "replica-b", lambda _message: asyncio.sleep(0))
    await listener.start()
    await sender.start()
    try:
        for change in ({"faq": True}, {"faq": True}, {"chats": [7]}):
            sender.publish(change)
            await asyncio.sleep(0.05)
        for _ in range(100):
            if heard:
                break
            await asyncio.sleep(0.02)
        assert heard == [{"chats": [7], "from": "replica-b"}]
    finally:
        await sender.stop()
        await listener.stop()
    assert "could not apply another replica's change (the database is away)" in caplog.text
    assert "listening on" in caplog.text
