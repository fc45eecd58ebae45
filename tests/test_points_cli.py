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


def test_accounts_linked_lists_people_and_unlink_is_recorded(run: Cli, tmp_path: Path) -> None:
    assert run("db", "upgrade")[0] == 0
    assert run("accounts", "linked")[1].strip() == "no linked accounts"

    async def link() -> None:
        storage = _database(tmp_path)
        now = datetime.now(UTC)
        try:
            async with storage.transaction() as repos:
                alice = await repos.users.upsert(
                    "telegram", "1", display_name="Alice", username=None, language=None,
                    is_bot=False, at=now,
                )  # fmt: skip
                wechat = await repos.users.upsert(
                    "wechat", "wmA", display_name="小王", username=None, language=None,
                    is_bot=False, at=now,
                )  # fmt: skip
                await repos.links.set_person(wechat.id, alice.id, now)
                await repos.events.append(
                    "account_linked", now, user_id=wechat.id,
                    payload={"person": alice.id, "asked_by": alice.id, "points_moved": 7},
                )  # fmt: skip
        finally:
            await storage.close()

    asyncio.run(link())
    code, out = run("accounts", "linked")
    assert code == 0
    assert "telegram:1 (Alice) = wechat:wmA (小王)" in out
    assert "wechat:wmA (小王) linked to telegram:1 (Alice) (7 points moved)" in out
    code, out = run("accounts", "unlink", "wechat:wmA")
    assert code == 0 and "wechat:wmA (小王) unlinked from telegram:1 (Alice)" in out
    code, out = run("accounts", "linked")
    assert "no linked accounts" in out and "unlinked from telegram:1 (Alice) by an operator" in out
    assert "not linked to any other" in run("accounts", "unlink", "wechat:wmA")[1]
    assert run("accounts", "unlink", "wechat:nobody") == (1, "no account wechat:nobody is known\n")
    code, out = run("accounts", "unlink", "nocolon")
    assert code == 2 and "platform:id" in out
