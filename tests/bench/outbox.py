"""Finding and claiming due deliveries among many: the cost must follow the
number due, not the number of members (partial index on pending ``due_at``).

100,000 members with three pending onboarding steps each (300,000 rows); each
round claims the next 1,000 due in one transaction, as the sweep does.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from storage.database import Storage
from storage.migrate import upgrade
from storage.models import Chat, Delivery, User
from tests.conftest import create_pg_database, drop_pg_database

MEMBERS, STEPS, BATCH, ROUNDS = 100_000, 3, 1_000, 5
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _due(member: int, step: int) -> datetime:
    # Steps at day 1, 7 and 14 after joins spread over a month, one second apart.
    return T0 + timedelta(seconds=member * 26) + timedelta(days=(1, 7, 14)[step])


async def _fill(storage: Storage) -> None:
    async with storage.engine.begin() as db:
        await db.execute(
            insert(Chat).values(
                id=1,
                platform="telegram",
                external_id="-1",
                kind="group",
                title="g",
                bot_status="member",
                created_at=T0,
                updated_at=T0,
            )
        )
        for start in range(0, MEMBERS, 10_000):
            await db.execute(
                insert(User),
                [
                    {
                        "id": i + 1,
                        "platform": "telegram",
                        "external_id": str(i),
                        "display_name": f"m{i}",
                        "is_bot": False,
                        "created_at": T0,
                        "updated_at": T0,
                    }
                    for i in range(start, start + 10_000)
                ],
            )
            await db.execute(
                insert(Delivery),
                [
                    {
                        "key": f"{i}:{s}",
                        "kind": f"onboarding.step{s}",
                        "audience": "private",
                        "chat_id": 1,
                        "user_id": i + 1,
                        "payload": {},
                        "due_at": _due(i, s),
                        "stale_at": None,
                        "status": "pending",
                        "attempts": 0,
                        "created_at": T0,
                    }
                    for i in range(start, start + 10_000)
                    for s in range(STEPS)
                ],
            )


async def _rounds(storage: Storage) -> list[float]:
    due_times = sorted(_due(i, s) for i in range(MEMBERS) for s in range(STEPS))
    timings = []
    for index in range(ROUNDS):
        now = due_times[(index + 1) * BATCH - 1]
        started = time.perf_counter()
        async with storage.transaction() as repos:
            await repos.deliveries.expire_stale(now)
            claimed = await repos.deliveries.claim_due(now, BATCH)
        timings.append((time.perf_counter() - started) * 1000)
        assert len(claimed) == BATCH, len(claimed)
    return timings


async def _measure(url: str) -> list[float]:
    storage = Storage.from_url(url)
    try:
        await upgrade(storage.engine)
        await _fill(storage)
        return await _rounds(storage)
    finally:
        await storage.close()


async def _both() -> dict[str, list[float]]:
    results = {}
    with tempfile.TemporaryDirectory() as workdir:
        results["SQLite"] = await _measure(f"sqlite+aiosqlite:///{Path(workdir) / 'bench.db'}")
    name, url = await create_pg_database()
    try:
        results["PostgreSQL"] = await _measure(url)
    finally:
        await drop_pg_database(name)
    return results


def main() -> None:
    print(
        f"== Outbox sweep: claim {BATCH} due among {MEMBERS * STEPS:,} pending "
        f"({MEMBERS:,} members x {STEPS} steps)"
    )
    for backend, timings in asyncio.run(_both()).items():
        print(
            f"  {backend:<11} median {statistics.median(timings):6.1f} ms"
            f"   max {max(timings):6.1f} ms   (target < 100 ms)"
        )
