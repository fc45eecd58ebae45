"""The staff console's pages on a large community: 100,000 members in 10 groups
joined over a year, 1,000,000 ledger rows, 10,000 tickets (300 of them open),
a year of hourly message counts, 50,000 FAQ answers. Each page is fetched over
HTTP (in process) 20 times after one warm-up; the p95 target is 300 ms. The
sign-in page, which reads nothing, is the baseline in the same run."""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert
from starlette.applications import Starlette

from bot.app import build_app
from bot.settings import Settings
from bot.web.console.site import ConsoleSite
from handlers.clock import ManualClock
from handlers.console import sign_in_link
from storage.database import Storage
from storage.migrate import upgrade
from storage.models import (
    Chat,
    ChatHour,
    EventLog,
    FaqAnswer,
    FaqEntry,
    FaqMiss,
    Member,
    PointsAccount,
    PointsLedger,
    Ticket,
    User,
)
from tests.conftest import create_pg_database, drop_pg_database

MEMBERS, CHATS, LEDGER, TICKETS, OPEN = 100_000, 10, 1_000_000, 10_000, 300
NOW = datetime(2026, 12, 3, 4, 0, tzinfo=UTC)
YEAR = timedelta(days=365)
ROUNDS = 20
OWNER = "telegram:1"
CHUNK = 20_000


def _at(rng: random.Random) -> datetime:
    return NOW - YEAR * rng.random()


def _rows(count: int, make: Callable[[int], dict[str, Any]]) -> Any:
    for start in range(0, count, CHUNK):
        yield [make(i) for i in range(start, min(start + CHUNK, count))]


async def _fill(storage: Storage) -> None:
    rng = random.Random(7)
    t0 = NOW - YEAR
    async with storage.engine.begin() as db:
        await db.execute(
            insert(Chat),
            [
                {"id": c + 1, "platform": "telegram", "external_id": str(-1000 - c),
                 "kind": "group", "title": f"群{c + 1}", "bot_status": "admin",
                 "created_at": t0, "updated_at": t0}
                for c in range(CHATS)
            ],
        )  # fmt: skip
        joined = [_at(rng) for _ in range(MEMBERS)]

        def user(i: int) -> dict[str, Any]:
            return {"id": i + 1, "platform": "telegram", "external_id": str(i + 1),
                    "display_name": f"成员{i + 1}", "username": f"m{i + 1}", "is_bot": False,
                    "created_at": joined[i], "updated_at": joined[i]}  # fmt: skip

        def member(i: int) -> dict[str, Any]:
            started = joined[i]
            active = started + timedelta(days=rng.random() * 20) if i % 2 else None
            return {"chat_id": i % CHATS + 1, "user_id": i + 1, "joined_at": started,
                    "left_at": started + timedelta(days=30) if i % 10 == 0 else None,
                    "first_seen_at": started, "last_active_at": active or started,
                    "message_count": i % 50, "onboarding_started_at": started,
                    "welcomed_at": started, "activated_at": active,
                    "activation_source": "message" if active else None}  # fmt: skip

        def joined_event(i: int) -> dict[str, Any]:
            return {"chat_id": i % CHATS + 1, "user_id": i + 1, "kind": "member_joined",
                    "payload": {}, "occurred_at": joined[i]}  # fmt: skip

        def ledger(i: int) -> dict[str, Any]:
            return {"chat_id": i % CHATS + 1, "user_id": i % MEMBERS + 1,
                    "amount": 1 + i % 5, "reason": "message", "source": f"m:{i}",
                    "created_at": _at(rng)}  # fmt: skip

        def account(i: int) -> dict[str, Any]:
            earned = (LEDGER // MEMBERS) * 3
            return {"chat_id": i % CHATS + 1, "user_id": i + 1, "balance": earned + i % 97,
                    "earned": earned + i % 97, "updated_at": NOW}  # fmt: skip

        def ticket(i: int) -> dict[str, Any]:
            opened = _at(rng) if i >= OPEN else NOW - timedelta(hours=rng.random() * 48)
            answered = opened + timedelta(minutes=rng.random() * 240) if i >= OPEN else None
            return {"chat_id": i % CHATS + 1, "user_id": (i * 7) % MEMBERS + 1,
                    "subject": "general", "text": f"投诉内容{i}",
                    "severity": ("low", "high", "crisis")[i % 3],
                    "status": "resolved" if i >= OPEN else "open", "created_at": opened,
                    "updated_at": answered or opened, "first_response_at": answered,
                    "resolved_at": answered}  # fmt: skip

        hours = int(YEAR.total_seconds() // 3600)

        first_hour = int(t0.timestamp() // 3600)

        def hour(i: int) -> dict[str, Any]:
            chat, step = divmod(i, hours)
            return {"chat_id": chat + 1, "hour": first_hour + step,
                    "messages": 1 + (i * 31) % 40, "points": (i * 17) % 60}  # fmt: skip

        def answer(i: int) -> dict[str, Any]:
            via = "suggestion" if i % 4 == 0 else "group"
            return {"entry_id": i % 200 + 1, "chat_id": i % CHATS + 1,
                    "user_id": i % MEMBERS + 1, "question": f"问题{i}", "confidence": 0.8,
                    "via": via, "answered_at": _at(rng)}  # fmt: skip

        def miss(i: int) -> dict[str, Any]:
            return {"chat_id": i % CHATS + 1, "user_id": i % MEMBERS + 1,
                    "text": f"停车场{i % 30}号门怎么走", "reason": "unanswered",
                    "occurred_at": NOW - timedelta(days=rng.random() * 60)}  # fmt: skip

        def entry(i: int) -> dict[str, Any]:
            return {"id": i + 1, "question": f"问题{i + 1}怎么办", "answer": "这样办。",
                    "alternatives": [], "tags": [], "enabled": True, "revision": 1,
                    "created_at": t0, "updated_at": t0}  # fmt: skip

        for table, count, make in (
            (User, MEMBERS, user), (Member, MEMBERS, member), (EventLog, MEMBERS, joined_event),
            (PointsLedger, LEDGER, ledger), (PointsAccount, MEMBERS, account),
            (Ticket, TICKETS, ticket), (ChatHour, CHATS * hours, hour),
            (FaqEntry, 200, entry), (FaqAnswer, 50_000, answer), (FaqMiss, 10_000, miss),
        ):  # fmt: skip
            for rows in _rows(count, make):
                await db.execute(insert(table), rows)


PAGES = (
    ("sign-in page (baseline)", "/console/signin"),
    ("ticket queue", "/console/"),
    ("a ticket", f"/console/tickets/{OPEN // 2}"),
    ("overview, 12 weeks, all groups", "/console/overview"),
    ("overview, a year, one group", "/console/overview?chat=3&from=2025-12-04&to=2026-12-03"),
    ("overview CSV", "/console/overview/points.csv"),
    ("members search", "/console/members?q=成员4242"),
    ("a member", "/console/members/telegram:4242"),
    ("points", "/console/points"),
    ("topics", "/console/topics"),
    ("FAQ", "/console/faq"),
    ("audit log", "/console/audit"),
)


async def _measure(url: str, workdir: Path) -> dict[str, list[float]]:
    storage = Storage.from_url(url)
    try:
        await upgrade(storage.engine)
        await _fill(storage)
        settings = Settings(data_dir=workdir, community={"moderators": [OWNER]})
        app = build_app(settings, clock=ManualClock(NOW), storage=storage)
        site = ConsoleSite(app, settings.console)
        transport = httpx.ASGITransport(app=Starlette(routes=site.routes()))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            link = await storage.run(lambda repos: sign_in_link(repos, OWNER, NOW, "http://bench"))
            await client.post("/console/login", data={"token": link.split("token=")[1]})
            timings: dict[str, list[float]] = {}
            for name, path in PAGES:
                first = await client.get(path)
                assert first.status_code == 200, (path, first.status_code, first.text[:300])
                runs = []
                for _ in range(ROUNDS):
                    started = time.perf_counter()
                    await client.get(path)
                    runs.append((time.perf_counter() - started) * 1000)
                timings[name] = runs
        return timings
    finally:
        await storage.close()


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


async def _both() -> dict[str, dict[str, list[float]]]:
    results = {}
    with tempfile.TemporaryDirectory() as workdir:
        folder = Path(workdir)
        results["SQLite"] = await _measure(f"sqlite+aiosqlite:///{folder / 'bench.db'}", folder)
        name, url = await create_pg_database()
        try:
            results["PostgreSQL"] = await _measure(url, folder)
        finally:
            await drop_pg_database(name)
    return results


def main() -> None:
    print(
        f"== Staff console pages: {MEMBERS:,} members, {LEDGER:,} ledger rows, "
        f"{TICKETS:,} tickets ({OPEN} open); p95 of {ROUNDS} (target < 300 ms)"
    )
    results = asyncio.run(_both())
    backends = list(results)
    print("  " + f"{'page':<36}" + "".join(f"{b:>14}" for b in backends))
    for name, _ in PAGES:
        cells = "".join(f"{_p95(results[b][name]):11.1f} ms" for b in backends)
        print(f"  {name:<36}{cells}")
