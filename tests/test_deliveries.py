"""The delivery outbox on every backend: scheduled once, claimed once, never sent twice."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from storage.database import Storage
from storage.records import DeliveryStatus
from storage.repositories import Repositories

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


async def member(repos: Repositories) -> tuple[int, int]:
    chat = await repos.chats.upsert("telegram", "-100", kind="group", title="g", at=T0)
    user = await repos.users.upsert(
        "telegram", "7", display_name="n", username=None, language=None, is_bot=False, at=T0
    )
    return chat.id, user.id


async def schedule(repos: Repositories, key: str, due: timedelta, **extra: object) -> bool:
    chat_id, user_id = await member(repos)
    return await repos.deliveries.schedule(
        key,
        kind="onboarding.day3",
        audience="private",
        chat_id=chat_id,
        user_id=user_id,
        due_at=T0 + due,
        at=T0,
        **extra,  # type: ignore[arg-type]
    )


async def test_scheduling_is_idempotent_by_key(storage: Storage) -> None:
    async with storage.transaction() as repos:
        assert await schedule(repos, "m1:day3", timedelta(days=3), payload={"名": "小明"})
        assert not await schedule(repos, "m1:day3", timedelta(days=4))  # a redelivered join
        assert await repos.deliveries.status_counts() == {"pending": 1}


async def test_only_due_rows_are_claimed_in_due_order(storage: Storage) -> None:
    async with storage.transaction() as repos:
        for hours in (5, 1, 3, 48):
            await schedule(repos, f"k{hours}", timedelta(hours=hours))
    async with storage.transaction() as repos:
        claimed = await repos.deliveries.claim_due(T0 + timedelta(hours=4), limit=10)
        assert [d.key for d in claimed] == ["k1", "k3"]
        assert all(d.status == "sending" and d.attempts == 1 for d in claimed)
        assert await repos.deliveries.claim_due(T0 + timedelta(hours=4), limit=10) == []
        again = await repos.deliveries.claim_due(T0 + timedelta(hours=6), limit=1)
        assert [d.key for d in again] == ["k5"]


async def test_outcomes_and_payload(storage: Storage) -> None:
    async with storage.transaction() as repos:
        await schedule(repos, "a", timedelta(0), payload={"text": "欢迎 <b>"})
        await schedule(repos, "b", timedelta(0))
        first, second = await repos.deliveries.claim_due(T0, limit=5)
        await repos.deliveries.finish(first.id, DeliveryStatus.SENT, T0)
        await repos.deliveries.finish(second.id, DeliveryStatus.FAILED, T0, "403 Forbidden")
        assert (await repos.deliveries.get(second.id)).last_error == "403 Forbidden"  # type: ignore[union-attr]
        assert first.payload == {"text": "欢迎 <b>"}
        assert await repos.deliveries.status_counts("onboarding.") == {"sent": 1, "failed": 1}


async def test_stale_rows_are_closed_unsent(storage: Storage) -> None:
    async with storage.transaction() as repos:
        await schedule(repos, "old", timedelta(days=3), stale_at=T0 + timedelta(days=4))
        await schedule(repos, "fresh", timedelta(days=3), stale_at=T0 + timedelta(days=20))
        await schedule(repos, "future", timedelta(days=30), stale_at=T0 + timedelta(days=31))
        now = T0 + timedelta(days=12)  # the bot was down for nine days
        assert await repos.deliveries.expire_stale(now) == 1
        assert [d.key for d in await repos.deliveries.claim_due(now, limit=10)] == ["fresh"]


async def test_crash_mid_send_is_failed_not_resent(storage: Storage) -> None:
    async with storage.transaction() as repos:
        await schedule(repos, "x", timedelta(0))
        await repos.deliveries.claim_due(T0, limit=1)
        # A one-shot command of the running process's own is no next start:
        assert await repos.deliveries.fail_interrupted(T0) == 0
    # …the process dies here; the next start is another process on the same database:
    async with Storage(storage.engine).transaction() as repos:
        assert await repos.deliveries.fail_interrupted(T0 + timedelta(minutes=5)) == 1
        assert await repos.deliveries.claim_due(T0 + timedelta(days=1), limit=10) == []
        assert await repos.deliveries.status_counts() == {"failed": 1}


async def test_a_replica_gone_past_its_lease_loses_what_it_was_sending(storage: Storage) -> None:
    """Replicas: rows are recovered once their holder has not renewed its lease for the
    lease's length — never while it is alive, never sent again."""
    alive, killed = Storage(storage.engine), Storage(storage.engine)
    for replica in (alive, killed):
        async with replica.transaction() as repos:
            await repos.replicas.beat(replica.replica_id, host="h", pid=1, now=T0, leader=False)
            await schedule(repos, f"x-{replica.replica_id}", timedelta(0))
            await repos.deliveries.claim_due(T0, limit=1)
    lease = timedelta(seconds=30)
    later = T0 + timedelta(seconds=20)
    async with alive.transaction() as repos:  # the killed one is not late yet
        await repos.replicas.beat(alive.replica_id, host="h", pid=1, now=later, leader=True)
        assert await repos.deliveries.fail_abandoned(later, later - lease) == 0
    later = T0 + timedelta(seconds=45)
    async with alive.transaction() as repos:
        await repos.replicas.beat(alive.replica_id, host="h", pid=1, now=later, leader=True)
        assert await repos.deliveries.fail_abandoned(later, later - lease) == 1
        assert await repos.deliveries.status_counts() == {"failed": 1, "sending": 1}
        assert await repos.replicas.live(later - lease) == [(alive.replica_id, True)]
        await repos.replicas.leave(alive.replica_id)  # a stop gives the lease up at once
        assert await repos.deliveries.fail_abandoned(later, later - lease) == 1


async def test_defer_and_skip(storage: Storage) -> None:
    async with storage.transaction() as repos:
        chat_id, user_id = await member(repos)
        await schedule(repos, "night", timedelta(0))
        await schedule(repos, "later", timedelta(days=7))
        [night] = await repos.deliveries.claim_due(T0, limit=1)
        await repos.deliveries.defer(night.id, T0 + timedelta(hours=10))  # quiet hours
        assert await repos.deliveries.claim_due(T0 + timedelta(hours=9), limit=5) == []
        skipped = await repos.deliveries.skip_pending(
            chat_id=chat_id, user_id=user_id, at=T0, reason="member left"
        )
        assert skipped == 2
        assert await repos.deliveries.status_counts() == {"skipped": 2}


async def test_racing_sweeps_never_share_a_delivery(storage: Storage) -> None:
    async with storage.transaction() as repos:
        for index in range(60):
            await schedule(repos, f"r{index}", timedelta(seconds=-index))

    async def sweep(repos: Repositories) -> list[int]:
        claimed = await repos.deliveries.claim_due(T0, limit=40)
        await asyncio.sleep(0.1)  # hold the transaction so the sweeps overlap
        return [d.id for d in claimed]

    first, second = await asyncio.gather(storage.run(sweep), storage.run(sweep))
    assert not set(first) & set(second)
    assert len(first) + len(second) == 60
