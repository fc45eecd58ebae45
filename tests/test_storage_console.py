"""The console's sign-ins on SQLite and PostgreSQL: a link signs in once and only
before it expires, two redeemers racing: one wins; a session ends when idle too long
or signed out; only hashes of tokens are stored."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from storage.database import Storage
from storage.models import ConsoleLink, ConsoleSession
from storage.repositories.console import SignIn

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
IDLE = timedelta(hours=12)


async def test_a_link_signs_in_once_before_it_expires(storage: Storage) -> None:
    async with storage.transaction() as repos:
        await repos.console.issue_link("tok-a", "telegram:9", NOW, NOW + timedelta(minutes=10))
        await repos.console.issue_link("tok-b", "telegram:9", NOW, NOW + timedelta(minutes=10))
    later = NOW + timedelta(minutes=11)
    async with storage.transaction() as repos:
        assert await repos.console.link_usable("tok-a", NOW)
        assert not await repos.console.link_usable("tok-a", later)
        assert await repos.console.use_link("tok-b", later) is None  # expired

    async def use() -> SignIn | None:
        async with storage.transaction() as repos:
            return await repos.console.use_link("tok-a", NOW + timedelta(minutes=1))

    results = await asyncio.gather(use(), use(), use())
    assert sorted(r.account if r else "" for r in results) == ["", "", "telegram:9"]
    async with storage.engine.connect() as db:
        stored = (await db.execute(select(ConsoleLink.token_hash))).scalars().all()
    assert "tok-a" not in stored and all(len(value) == 64 for value in stored)


async def test_sessions_end_when_idle_or_signed_out(storage: Storage) -> None:
    async with storage.transaction() as repos:
        await repos.console.open_session("s1", "telegram:9", "csrf1", NOW)
        await repos.console.open_session("s2", "telegram:9", "csrf2", NOW)
    async with storage.transaction() as repos:
        seen = await repos.console.session("s1", NOW + timedelta(hours=11), IDLE)
        assert seen is not None and seen.csrf == "csrf1"
        # Seen at 11 h: the idle time counts from there.
        assert await repos.console.session("s1", NOW + timedelta(hours=22), IDLE) is not None
        assert await repos.console.session("s2", NOW + timedelta(hours=13), IDLE) is None
        assert await repos.console.session("s2", NOW + timedelta(hours=13, minutes=1), IDLE) is None
        await repos.console.end_session("s1", NOW + timedelta(hours=23))
        assert await repos.console.session("s1", NOW + timedelta(hours=23), IDLE) is None
        assert await repos.console.session("unknown", NOW, IDLE) is None
    async with storage.engine.connect() as db:
        ended = (await db.execute(select(ConsoleSession.ended_at))).scalars().all()
    assert all(value is not None for value in ended)


async def test_the_audit_log_keeps_every_change_newest_first(storage: Storage) -> None:
    async with storage.transaction() as repos:
        await repos.console.audit("telegram:9", "ticket_claim", "ticket:1", NOW, None)
        await repos.console.audit(
            "telegram:9", "ticket_reply", "ticket:1", NOW, {"text": "<b>你好</b>"}
        )
    async with storage.transaction() as repos:
        entries = await repos.console.audit_entries()
    assert [e.action for e in entries] == ["ticket_reply", "ticket_claim"]
    assert entries[0].detail == {"text": "<b>你好</b>"} and entries[0].at == NOW


async def test_a_group_admins_link_carries_its_groups_into_the_session(storage: Storage) -> None:
    async with storage.transaction() as repos:
        later = NOW + timedelta(minutes=10)
        await repos.console.issue_link("tok-g", "telegram:5", NOW, later, [3, 4])
        await repos.console.issue_link("tok-o", "telegram:6", NOW, later)
    async with storage.transaction() as repos:
        scoped = await repos.console.use_link("tok-g", NOW)
        listed = await repos.console.use_link("tok-o", NOW)
        assert scoped == SignIn("telegram:5", (3, 4)) and listed == SignIn("telegram:6", None)
        await repos.console.open_session("s-g", scoped, "c", NOW)
        await repos.console.open_session("s-o", listed, "c", NOW)
    async with storage.transaction() as repos:
        session = await repos.console.session("s-g", NOW, IDLE)
        assert session is not None and session.chats == (3, 4)
        other = await repos.console.session("s-o", NOW, IDLE)
        assert other is not None and other.chats is None
