"""The storage contract, run against every backend (an SQLite file and a fresh
PostgreSQL database): repositories behave the same whatever the database."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from datetime import UTC, datetime, timedelta, timezone

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from storage.database import Storage
from storage.migrate import alembic_config, current_revision, upgrade
from storage.models import Base
from storage.records import JoinOutcome
from storage.repositories import Repositories
from tests.conftest import PG_ADMIN_DSN, create_pg_database, drop_pg_database

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
BIG_IDS = ["-1001234567890123", "9223372036854775807"]


async def group(repos: Repositories, external_id: str = "-100500", title: str | None = "群"):
    return await repos.chats.upsert("telegram", external_id, kind="group", title=title, at=T0)


async def person(repos: Repositories, external_id: str = "7", **changes: object):
    values: dict = {
        "display_name": "小明",
        "username": "ming",
        "language": "zh",
        "is_bot": False,
        "at": T0,
    }
    values.update(changes)
    return await repos.users.upsert("telegram", external_id, **values)


async def test_migrations_are_idempotent_and_match_the_models(storage: Storage) -> None:
    await upgrade(storage.engine)  # a second time: nothing to do
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert await current_revision(storage.engine) == head

    def diff(connection):
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)

    async with storage.engine.connect() as connection:
        assert await connection.run_sync(diff) == []


async def test_chats_upsert_and_keep_their_title(storage: Storage) -> None:
    async with storage.transaction() as repos:
        created = await group(repos)
        renamed = await group(repos, title="新名字")
        untouched = await group(repos, title=None)
    assert created.id == renamed.id == untouched.id
    assert untouched.title == "新名字"


@pytest.mark.parametrize("external_id", BIG_IDS)
async def test_64_bit_ids_round_trip_exactly(storage: Storage, external_id: str) -> None:
    async with storage.transaction() as repos:
        await group(repos, external_id)
        await person(repos, external_id.lstrip("-"))
    async with storage.transaction() as repos:
        chat = await repos.chats.get("telegram", external_id)
        user = await repos.users.get("telegram", external_id.lstrip("-"))
    assert chat is not None and chat.external_id == external_id
    assert user is not None and int(user.external_id) == int(external_id.lstrip("-"))


async def test_chat_settings(storage: Storage) -> None:
    async with storage.transaction() as repos:
        chat = await group(repos)
        await repos.chats.upsert("telegram", "42", kind="private", title="DM", at=T0)
        await repos.chats.set_rules(chat.id, "友善", T0)
        await repos.chats.set_bot_status(chat.id, "admin", T0)
        assert repos.chats.changed == {chat.id}
    async with storage.transaction() as repos:
        stored = await repos.chats.get_by_id(chat.id)
        groups = await repos.chats.list_groups("telegram")
    assert stored is not None and (stored.rules, stored.bot_status) == ("友善", "admin")
    assert [g.id for g in groups] == [chat.id]


async def test_users_refresh_their_profile(storage: Storage) -> None:
    async with storage.transaction() as repos:
        first = await person(repos)
        second = await person(repos, display_name="小明同学", username="ming2", language=None)
        assert await repos.users.mark_started(first.id, T0)
        assert not await repos.users.mark_started(first.id, T0)
    assert second.id == first.id and second.language == "zh"  # None keeps the known language
    async with storage.transaction() as repos:
        found = await repos.users.find_by_username("telegram", "@ming2")
        same = await repos.users.find_by_username("telegram", "ming2")
        assert await repos.users.started_ids("telegram") == {"7"}
    assert found is not None and same is not None and found.started_bot_at == T0
    assert found.display_name == "小明同学"


async def test_odd_unicode_names(storage: Storage) -> None:
    name = "\u202eevil\u200d👨‍👩‍👧" + "长" * 300
    async with storage.transaction() as repos:
        user = await person(repos, display_name=name)
    assert user.display_name == name[:256]


async def test_membership_lifecycle(storage: Storage) -> None:
    async with storage.transaction() as repos:
        chat, user = await group(repos), await person(repos)
        assert await repos.members.record_join(chat.id, user.id, T0) is JoinOutcome.NEW
        assert await repos.members.record_join(chat.id, user.id, T0) is JoinOutcome.DUPLICATE
        assert await repos.members.count_present(chat.id) == 1
        assert await repos.members.record_leave(chat.id, user.id, T0 + timedelta(hours=1))
        assert not await repos.members.record_leave(chat.id, user.id, T0 + timedelta(hours=1))
        assert await repos.members.count_present(chat.id) == 0
        rejoin = await repos.members.record_join(chat.id, user.id, T0 + timedelta(days=1))
        assert rejoin is JoinOutcome.REJOINED
        member = await repos.members.get(chat.id, user.id)
    assert member is not None and member.present and member.joined_at == T0 + timedelta(days=1)


async def test_a_member_seen_posting_before_any_join(storage: Storage) -> None:
    async with storage.transaction() as repos:
        chat, user = await group(repos), await person(repos)
        first = await repos.members.record_message(chat.id, user.id, T0)
        second = await repos.members.record_message(chat.id, user.id, T0 + timedelta(minutes=5))
        touched = await repos.members.touch(chat.id, user.id, T0 + timedelta(minutes=9))
        assert first.joined_at is None and first.message_count == 1
        assert second.message_count == 2 and second.last_active_at == T0 + timedelta(minutes=5)
        assert touched.message_count == 2 and touched.last_active_at == T0 + timedelta(minutes=9)
        assert await repos.members.record_join(chat.id, user.id, T0) is JoinOutcome.NEW


async def test_times_are_aware_utc_and_naive_times_refused(storage: Storage) -> None:
    beijing = datetime(2026, 11, 24, 20, 0, tzinfo=timezone(timedelta(hours=8)))
    async with storage.transaction() as repos:
        chat, user = await group(repos), await person(repos)
        await repos.members.record_message(chat.id, user.id, beijing)
    async with storage.transaction() as repos:
        member = await repos.members.get(chat.id, user.id)
    assert member is not None and member.last_active_at == T0
    assert (
        member.last_active_at.tzinfo is not None
        and member.last_active_at.utcoffset() == timedelta(0)
    )
    with pytest.raises(Exception, match="naive"):
        async with storage.transaction() as repos:
            await repos.members.record_message(chat.id, user.id, datetime(2026, 1, 1))


async def test_update_keys_are_claimed_once(storage: Storage) -> None:
    async with storage.transaction() as repos:
        assert await repos.updates.claim("telegram", "1", T0)
        assert not await repos.updates.claim("telegram", "1", T0)
        assert await repos.updates.claim("wechat", "1", T0)
        assert await repos.updates.claim("telegram", "2", T0 + timedelta(days=8))
        assert await repos.updates.forget_before(T0 + timedelta(days=1)) == 2
        assert not await repos.updates.claim("telegram", "2", T0)
        assert await repos.updates.claim("telegram", "1", T0)


async def test_concurrent_claims_of_one_key_have_one_winner(storage: Storage) -> None:
    async def claim(repos: Repositories) -> bool:
        won = await repos.updates.claim("telegram", "race", T0)
        await asyncio.sleep(0.2)  # keep the transaction open so the two overlap
        return won

    results = await asyncio.gather(storage.run(claim), storage.run(claim))
    assert sorted(results) == [False, True]


async def test_migration_of_a_known_group(storage: Storage) -> None:
    async with storage.transaction() as repos:
        chat, user = await group(repos, "-4004"), await person(repos)
        await repos.chats.set_rules(chat.id, "迁移前", T0)
        await repos.members.record_message(chat.id, user.id, T0)
        await repos.events.append("member_joined", T0, chat_id=chat.id, user_id=user.id)
    async with storage.transaction() as repos:
        moved = await repos.chats.migrate("telegram", "-4004", "-1004004", T0)
        again = await repos.chats.migrate("telegram", "-4004", "-1004004", T0)
        assert await repos.chats.get("telegram", "-4004") is None
        member = await repos.members.get(chat.id, user.id)
        events = await repos.events.recent(chat_id=chat.id)
    assert moved is not None and moved.id == chat.id and moved.external_id == "-1004004"
    assert moved.rules == "迁移前" and again is not None and again.id == chat.id
    assert member is not None and member.message_count == 1 and len(events) == 1


async def test_migration_folds_a_supergroup_seen_first(storage: Storage) -> None:
    async with storage.transaction() as repos:
        old, new = await group(repos, "-4004"), await group(repos, "-1004004")
        both, only_new = await person(repos, "1"), await person(repos, "2")
        await repos.members.record_message(old.id, both.id, T0)
        await repos.members.record_message(new.id, both.id, T0)
        await repos.members.record_message(new.id, both.id, T0)
        await repos.members.record_message(new.id, only_new.id, T0)
        await repos.events.append("member_joined", T0, chat_id=new.id, user_id=only_new.id)
    async with storage.transaction() as repos:
        merged = await repos.chats.migrate("telegram", "-4004", "-1004004", T0)
        assert merged is not None and merged.id == old.id
        assert await repos.chats.get_by_id(new.id) is None
        assert (await repos.members.get(old.id, both.id)).message_count == 3  # type: ignore[union-attr]
        assert (await repos.members.get(old.id, only_new.id)).message_count == 1  # type: ignore[union-attr]
        assert await repos.events.count("member_joined", old.id) == 1
        assert await repos.chats.migrate("telegram", "-9", "-1009", T0) is None  # unknown: harmless


async def test_event_log(storage: Storage) -> None:
    async with storage.transaction() as repos:
        chat = await group(repos)
        await repos.events.append("member_joined", T0, chat_id=chat.id, payload={"名字": "小明"})
        await repos.events.append("rules_changed", T0 + timedelta(seconds=1), chat_id=chat.id)
        await repos.events.append("bot_added", T0 + timedelta(seconds=2))
    async with storage.transaction() as repos:
        recent = await repos.events.recent(chat_id=chat.id)
        joined = await repos.events.recent(kind="member_joined")
        assert await repos.events.count("member_joined", chat.id) == 1
    assert [e.kind for e in recent] == ["rules_changed", "member_joined"]
    assert joined[0].payload == {"名字": "小明"} and joined[0].occurred_at == T0


async def test_transient_errors_are_retried_and_applied_once(storage: Storage) -> None:
    flaky = Storage(storage.engine, attempts=3, max_wait=0.01)
    calls = 0

    async def work(repos: Repositories) -> int:
        nonlocal calls
        calls += 1
        chat = await group(repos)
        await repos.events.append("member_joined", T0, chat_id=chat.id)
        if calls == 1:
            raise OperationalError("INSERT", {}, Exception("database is locked"))
        return chat.id

    chat_id = await flaky.run(work)
    async with storage.transaction() as repos:
        assert await repos.events.count("member_joined", chat_id) == 1
    assert calls == 2


async def test_other_errors_roll_back_and_are_not_retried(storage: Storage) -> None:
    calls = 0

    async def work(repos: Repositories) -> None:
        nonlocal calls
        calls += 1
        await group(repos)
        raise ValueError("a bug")

    with pytest.raises(ValueError):
        await Storage(storage.engine, attempts=3, max_wait=0.01).run(work)
    async with storage.transaction() as repos:
        assert await repos.chats.list_groups() == []
    assert calls == 1


async def test_sqlite_waits_out_another_writer(sqlite_storage: Storage) -> None:
    path = make_url(str(sqlite_storage.engine.url)).database
    assert path is not None
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    threading.Timer(0.5, lambda: holder.execute("COMMIT")).start()

    async def write(repos: Repositories) -> int:
        return (await group(repos)).id

    loop = asyncio.get_running_loop()
    started = loop.time()
    chat_id = await sqlite_storage.run(write)
    assert loop.time() - started >= 0.4  # it really waited for the lock
    async with sqlite_storage.transaction() as repos:
        assert await repos.chats.get_by_id(chat_id) is not None
    holder.close()


async def test_postgresql_reconnects_after_connections_are_killed() -> None:
    name, database_url = await create_pg_database()
    store = Storage.from_url(database_url)
    await upgrade(store.engine)
    try:
        async with store.transaction() as repos:
            await group(repos)
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            killed = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1",
                make_url(database_url).database,
            )
        finally:
            await admin.close()
        assert killed >= 1
        async with store.transaction() as repos:
            assert len(await repos.chats.list_groups()) == 1
    finally:
        await store.close()
        await drop_pg_database(name)


async def test_writing_privately_records_the_first_start_only(storage: Storage) -> None:
    async with storage.transaction() as repos:
        first = await person(repos, "9", started=True)
        later = await person(repos, "9", started=True, at=T0 + timedelta(days=1))
        stranger = await person(repos, "10")
    assert first.started_bot_at == T0 and later.started_bot_at == T0
    assert stranger.started_bot_at is None
