"""``shequn points verify`` and ``shequn report points`` on a real SQLite file."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import update

from storage.database import Storage
from storage.models import PointsAccount

Cli = Callable[..., tuple[int, str]]


def _database(tmp_path: Path) -> Storage:
    return Storage.from_url(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'shequn.db'}")


def _fill(tmp_path: Path) -> None:
    async def fill() -> None:
        storage = _database(tmp_path)
        now = datetime.now(UTC)
        try:
            async with storage.transaction() as repos:
                chat = await repos.chats.upsert("telegram", "-1", kind="group", title="群", at=now)
                alice = await repos.users.upsert(
                    "telegram", "1", display_name="Alice", username=None, language=None,
                    is_bot=False, at=now,
                )  # fmt: skip
                await repos.points.apply(chat.id, alice.id, 5, "checkin", "c1", now)
                await repos.points.apply(chat.id, alice.id, 1, "message", "m1", now)
                await repos.points.apply(chat.id, alice.id, -4, "redeem", "r1", now, earning=False)
                request = await repos.points.create_redemption(chat.id, alice.id, "mug", 4, now)
                await repos.points.decide_redemption(request.id, "done", now, None)
        finally:
            await storage.close()

    asyncio.run(fill())


def test_verify_reports_a_tampered_balance(run: Cli, tmp_path: Path) -> None:
    assert run("db", "upgrade")[0] == 0
    _fill(tmp_path)
    code, out = run("points", "verify")
    assert code == 0 and "all 1 balances match the ledger" in out

    async def tamper() -> None:
        storage = _database(tmp_path)
        try:
            async with storage.engine.begin() as db:  # a hand edit behind the ledger's back
                await db.execute(update(PointsAccount).values(balance=999))
        finally:
            await storage.close()

    asyncio.run(tamper())
    code, out = run("points", "verify")
    assert code == 1 and "balance 999, ledger says 2" in out


def test_report_summary_and_csv(run: Cli, tmp_path: Path) -> None:
    assert run("db", "upgrade")[0] == 0
    _fill(tmp_path)
    code, out = run("report", "points")
    assert code == 0
    assert "6  Alice  (群)" in out and "checkin +5" in out and "redemptions: 1 (done 1)" in out
    code, out = run("report", "points", "--csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["section", "key", "subkey", "value"]
    assert ["top_earner", "Alice", "群", "6"] in rows
    assert ["redeemed_item", "mug", "", "1"] in rows
