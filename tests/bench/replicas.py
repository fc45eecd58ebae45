"""One replica and two on the same PostgreSQL, side by side in one run.

Each replica is a real process (its own interpreter, engine and caches) that
handles group messages through the real dispatcher — de-duplication, the
member's bookkeeping, points, the event log, a commit. Runs on the same
machine and database:

- the cost of cross-replica ordering (a transaction-scoped advisory lock per
  chat, taken first in every update's transaction): one update at a time,
  without and with it;
- throughput: 16 updates in flight per replica across 200 groups, as a
  webhook under load would have, with one replica and with two at once (each
  with the ordering lock, on disjoint updates of the same groups).

Throughput is updates per second of wall time across the replicas; latency is
one update's handling, p50 and p99.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.conftest import create_pg_database, drop_pg_database

GROUPS, MEMBERS, UPDATES, IN_FLIGHT = 200, 4_000, 3_000, 16


def _worker(
    url: str, ordered: bool, lanes: int, name: str, start: float, out: multiprocessing.Queue
) -> None:
    out.put(asyncio.run(_handle_all(url, ordered, lanes, name, start)))


async def _handle_all(
    url: str, ordered: bool, lanes: int, name: str, start: float
) -> dict[str, object]:
    from bot.app import build_app
    from bot.settings import Settings
    from handlers.events import ChatKind, ChatRef, Incoming, MessagePosted, MessageRef, UserRef
    from storage.database import Storage
    from tests.conftest import FakePlatform

    storage = Storage.from_url(url)
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), faq={"enabled": False})
        app = build_app(settings, storage=storage)
        await app.prepare()
        app.dispatcher.across_replicas = ordered
        platform = FakePlatform("telegram")
        rng = random.Random(name)
        groups = [
            ChatRef("telegram", str(-1003000000000 - n), ChatKind.GROUP, f"群{n}")
            for n in range(GROUPS)
        ]
        queue: asyncio.Queue[int] = asyncio.Queue()
        for n in range(UPDATES):
            queue.put_nowait(n)
        latencies: list[float] = []

        async def one(n: int) -> None:
            member = rng.randrange(MEMBERS)
            user = UserRef("telegram", str(50_000 + member), f"成员{member}")
            event = MessagePosted(
                chat=groups[member % GROUPS],
                occurred_at=datetime.now(UTC),
                sender=user,
                message=MessageRef(groups[member % GROUPS], f"{name}-{n}"),
                text=f"今天的话题很有意思 {n}",
            )
            began = time.perf_counter()
            await app.dispatcher.handle(Incoming(key=f"{name}:{n}", events=(event,)), platform)
            latencies.append((time.perf_counter() - began) * 1000)

        async def lane() -> None:
            while not queue.empty():
                await one(queue.get_nowait())

        await asyncio.sleep(max(0.0, start - time.time()))  # the replicas begin together
        began = time.perf_counter()
        await asyncio.gather(*(lane() for _ in range(lanes)))
        elapsed = time.perf_counter() - began
        await app.close()
    return {"latencies": latencies[100:], "elapsed": elapsed, "count": UPDATES}


def _run(url: str, replicas: int, ordered: bool, lanes: int = IN_FLIGHT) -> dict[str, float]:
    context = multiprocessing.get_context("spawn")
    out: multiprocessing.Queue = context.Queue()
    start = time.time() + 4  # time for every interpreter to import and connect
    workers = [
        context.Process(
            target=_worker, args=(url, ordered, lanes, f"r{n}-{time.time()}", start, out)
        )
        for n in range(replicas)
    ]
    for worker in workers:
        worker.start()
    results = [out.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join()
    latencies = sorted(x for r in results for x in r["latencies"])  # type: ignore[union-attr]
    wall = max(r["elapsed"] for r in results)  # type: ignore[type-var]
    return {
        "throughput": sum(r["count"] for r in results) / wall,  # type: ignore[misc]
        "p50": statistics.median(latencies),
        "p99": latencies[int(len(latencies) * 0.99)],
    }


async def _database() -> tuple[str, str]:
    return await create_pg_database()


def main() -> None:
    print(
        f"\n== Replicas on one PostgreSQL: {UPDATES:,} group messages per replica, "
        f"{IN_FLIGHT} in flight, {GROUPS} groups, {MEMBERS:,} members"
    )
    name, url = asyncio.run(_database())
    try:
        # A first pass creates the schema and the members, as a running community has.
        _run(url, 1, False)
        alone = _run(url, 1, False, lanes=1)
        ordered = _run(url, 1, True, lanes=1)
        one = _run(url, 1, True)
        two = _run(url, 2, True)
    finally:
        asyncio.run(drop_pg_database(name))
    for label, figures in (
        ("one at a time, the only process (baseline)", alone),
        ("one at a time, with cross-replica ordering", ordered),
        (f"1 replica, {IN_FLIGHT} in flight", one),
        (f"2 replicas, {IN_FLIGHT} in flight each", two),
    ):
        print(
            f"  {label:<44} {figures['throughput']:7.0f} updates/s"
            f"   p50 {figures['p50']:6.2f} ms   p99 {figures['p99']:6.2f} ms"
        )
    added = ordered["p99"] - alone["p99"]
    print(
        f"  the ordering lock adds {added:+.2f} ms at p99 "
        f"({ordered['p50'] - alone['p50']:+.2f} ms at p50; target < 2 ms p99)"
    )
