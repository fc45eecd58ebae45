"""Points at scale: /points and /top with 1,000,000 ledger rows and 100,000
members, and what awarding adds to handling a message.

Measured through the real dispatcher (update claim, transaction, handler,
commit), on SQLite and PostgreSQL. Targets (issue #5): /points and /top p99
< 20 ms; awarding adds < 2 ms p99 to a message.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text

from bot.app import build_app
from bot.settings import Settings
from handlers.clock import ManualClock
from handlers.events import ChatKind, ChatRef, CommandIssued, MessagePosted, MessageRef, UserRef
from storage.database import Storage
from storage.migrate import upgrade
from storage.models import Chat, Member, PointsAccount, PointsLedger, User
from tests.conftest import FakePlatform, create_pg_database, drop_pg_database

MEMBERS, LEDGER, SAMPLES = 100_000, 1_000_000, 300
NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
GROUP = ChatRef("telegram", "-100", ChatKind.GROUP, "bench")
WEEK, MONTH = "w2026-48", "m2026-11"


async def _fill(storage: Storage) -> None:
    rng = random.Random(5)
    earned = [0] * MEMBERS
    async with storage.engine.begin() as db:
        await db.execute(
            insert(Chat).values(
                id=1, platform="telegram", external_id="-100", kind="group", title="bench",
                bot_status="admin", created_at=NOW - timedelta(days=400), updated_at=NOW,
            )
        )  # fmt: skip
        for start in range(0, MEMBERS, 10_000):
            ids = range(start, start + 10_000)
            await db.execute(
                insert(User),
                [{"id": i + 1, "platform": "telegram", "external_id": str(i + 1),
                  "display_name": f"member{i}", "is_bot": False, "created_at": NOW,
                  "updated_at": NOW} for i in ids],
            )  # fmt: skip
            await db.execute(
                insert(Member),
                [{"chat_id": 1, "user_id": i + 1, "first_seen_at": NOW - timedelta(days=300),
                  "joined_at": NOW - timedelta(days=300), "message_count": 10} for i in ids],
            )  # fmt: skip
        for start in range(0, LEDGER, 50_000):
            rows = []
            for n in range(start, start + 50_000):
                member = rng.randrange(MEMBERS)
                amount = rng.choice((1, 1, 1, 5, 5, 10))
                earned[member] += amount
                rows.append(
                    {"chat_id": 1, "user_id": member + 1, "amount": amount, "reason": "message",
                     "source": f"seed:{n}", "created_at": NOW - timedelta(minutes=LEDGER - n)}
                )  # fmt: skip
            await db.execute(insert(PointsLedger), rows)
        for start in range(0, MEMBERS, 10_000):
            ids = range(start, start + 10_000)
            await db.execute(
                insert(PointsAccount),
                [{"chat_id": 1, "user_id": i + 1, "balance": earned[i], "earned": earned[i],
                  "level": _level(earned[i]), "messages": 10, "week": WEEK,
                  "week_earned": earned[i] // 10, "month": MONTH,
                  "month_earned": earned[i] // 5, "updated_at": NOW} for i in ids],
            )  # fmt: skip


def _level(earned: int) -> int:
    """The default levels (0 / 100 / 500 / 2000), as the bot would have stored them."""
    return sum(earned >= at for at in (100, 500, 2000))


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


async def _measure(url: str) -> dict[str, list[float]]:
    storage = Storage.from_url(url)
    try:
        await upgrade(storage.engine)
        await _fill(storage)
        async with storage.engine.begin() as db:  # what autovacuum would have done by now
            await db.execute(text("ANALYZE"))
        results: dict[str, list[float]] = {}
        for points_on in (False, True):
            with tempfile.TemporaryDirectory() as folder:
                settings = Settings(
                    data_dir=Path(folder),
                    points={"enabled": points_on},
                    faq={"enabled": False},
                    onboarding={"enabled": False},
                )
                clock = ManualClock(start=NOW)
                app = build_app(settings, clock=clock, storage=storage)
                await app.prepare()
                results.update(await _time(app, clock, points_on))
        return results
    finally:
        await storage.close()


async def _time(app, clock: ManualClock, points_on: bool) -> dict[str, list[float]]:
    platform = FakePlatform("telegram")
    rng = random.Random(9)
    timings: dict[str, list[float]] = {}
    awarding: list[float] = []
    _time_route(app, "points.message", awarding)

    async def run(label: str, make) -> None:
        samples = []
        for n in range(SAMPLES):
            clock.advance(timedelta(seconds=61))
            member = rng.randrange(MEMBERS) + 1
            user = UserRef("telegram", str(member), f"member{member - 1}")
            event = make(user, MessageRef(GROUP, f"{label}{points_on}{n}"))
            started = time.perf_counter()
            await app.dispatcher.handle(_incoming(f"{label}:{points_on}:{n}", event), platform)
            samples.append((time.perf_counter() - started) * 1000)
        timings[label] = samples[20:]  # the first ones warm caches

    def message(user: UserRef, ref: MessageRef) -> MessagePosted:
        return MessagePosted(chat=GROUP, occurred_at=clock.now(), sender=user, message=ref,
                             text=f"今天讨论的内容很有意思 {ref.id}")  # fmt: skip

    def command(name: str, args: str = ""):
        def make(user: UserRef, ref: MessageRef) -> CommandIssued:
            return CommandIssued(chat=GROUP, occurred_at=clock.now(), sender=user, message=ref,
                                 name=name, args=args)  # fmt: skip

        return make

    await run("message (points on)" if points_on else "message (points off)", message)
    if points_on:
        timings["awarding itself"] = awarding[20:]
        await run("/points", command("points"))
        await run("/top", command("top"))
        await run("/top week", command("top", "week"))
    return timings


def _time_route(app, name: str, into: list[float]) -> None:
    """Time one route of the router (the points rule inside message handling)."""
    for index, route in enumerate(app.router.routes):
        if route.name != name:
            continue

        async def timed(event, ctx, handler=route.handler):
            started = time.perf_counter()
            try:
                return await handler(event, ctx)
            finally:
                into.append((time.perf_counter() - started) * 1000)

        app.router.routes[index] = replace(route, handler=timed)


def _incoming(key: str, event: object):
    from handlers.events import Incoming

    return Incoming(key=key, events=(event,))  # type: ignore[arg-type]


async def _both() -> dict[str, dict[str, list[float]]]:
    results = {}
    with tempfile.TemporaryDirectory() as workdir:
        started = time.perf_counter()
        results["SQLite"] = await _measure(f"sqlite+aiosqlite:///{Path(workdir) / 'bench.db'}")
        print(f"  (SQLite filled and measured in {time.perf_counter() - started:.0f} s)")
    name, url = await create_pg_database()
    try:
        started = time.perf_counter()
        results["PostgreSQL"] = await _measure(url)
        print(f"  (PostgreSQL filled and measured in {time.perf_counter() - started:.0f} s)")
    finally:
        await drop_pg_database(name)
    return results


def main() -> None:
    print(f"\n== Points: {LEDGER:,} ledger rows, {MEMBERS:,} members; through the dispatcher")
    for backend, timings in asyncio.run(_both()).items():
        print(f"  {backend}")
        for label, samples in timings.items():
            print(
                f"    {label:<22} median {statistics.median(samples):6.2f} ms"
                f"   p99 {_p99(samples):6.2f} ms"
            )
        added = statistics.median(timings["message (points on)"]) - statistics.median(
            timings["message (points off)"]
        )
        print(
            f"    awarding: the rule itself p99 {_p99(timings['awarding itself']):.2f} ms "
            f"(target < 2 ms); a message end to end costs {added:+.2f} ms more at the median"
        )


if __name__ == "__main__":
    main()
