"""The storage contract, run against every backend (an SQLite file and a fresh
PostgreSQL database): repositories behave the same whatever the database.

In the style of aiogram's storage tests: each test takes the parametrized
``storage`` fixture, so a behaviour that holds on one backend and not on the
other fails on the backend that breaks it. The few backend-specific faults
(SQLite's file lock, PostgreSQL's dropped connections) have their own fixtures.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import OperationalError, StatementError

from storage.database import Storage
from storage.migrate import alembic_config, current_revision, upgrade
from storage.models import Base, Chat, EventLog, Member, ProcessedUpdate, Topic
from storage.records import Arrival, ChatRecord, ChatSeen, JoinOutcome, UserRecord, UserSeen
from storage.repositories import Repositories
from tests.conftest import PG_ADMIN_DSN, create_pg_database, drop_pg_database

PLATFORM = "telegram"
T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
#: Beijing time, the same instant as T0: stored values must come back as UTC.
T0_BEIJING = datetime(2026, 11, 24, 20, 0, tzinfo=timezone(timedelta(hours=8)))
#: A supergroup id and the largest signed 64-bit value: neither fits a float exactly.
BIG_IDS = ["-1001234567890123", "9223372036854775807"]


# --- helpers ------------------------------------------------------------------------------


async def group(
    repos: Repositories, external_id: str = "-100500", title: str | None = "群"
) -> ChatRecord:
    """A Telegram group, created or refreshed."""
    return await repos.chats.upsert(PLATFORM, external_id, kind="group", title=title, at=T0)


async def person(repos: Repositories, external_id: str = "7", **changes: Any) -> UserRecord:
    """A Telegram user with a plausible profile; ``changes`` override single fields."""
    values: dict[str, Any] = {
        "display_name": "小明",
        "username": "ming",
        "language": "zh",
        "is_bot": False,
        "at": T0,
    }
    values.update(changes)
    return await repos.users.upsert(PLATFORM, external_id, **values)


async def count_rows(storage: Storage, model: type[Base]) -> int:
    """Rows in a table, read outside any repository: what really got committed."""
    async with storage.engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(model)) or 0)


def assert_utc(value: datetime | None) -> None:
    """Aware and in UTC: comparing it with other aware times is then always right."""
    assert value is not None
    assert value.tzinfo is not None, f"naive datetime from the database: {value!r}"
    assert value.utcoffset() == timedelta(0), f"not UTC: {value!r}"


def schema_diff(connection: Any) -> list[Any]:
    """What Alembic would autogenerate to bring the live schema to the models."""
    return compare_metadata(MigrationContext.configure(connection), Base.metadata)


@pytest.fixture
async def pg_storage() -> AsyncIterator[Storage]:
    """A migrated, fresh PostgreSQL database, for the PostgreSQL-only faults."""
    name, url = await create_pg_database()
    store = Storage.from_url(url)
    try:
        await upgrade(store.engine)
        yield store
    finally:
        await store.close()
        await drop_pg_database(name)


# --- 1. migrations ------------------------------------------------------------------------


async def test_upgrade_is_idempotent_and_reaches_the_head(storage: Storage) -> None:
    """The bot upgrades at every start: a second run must change nothing and lose nothing."""
    async with storage.transaction() as repos:
        chat = await group(repos)
    await upgrade(storage.engine)
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    assert await current_revision(storage.engine) == head
    async with storage.transaction() as repos:
        assert await repos.chats.get_by_id(chat.id) == chat


async def test_migrated_schema_matches_the_models(storage: Storage) -> None:
    """A model change without a migration (or a migration that differs) shows up here.

    Types are compared too (Alembic's default); no backend currently reports
    even a harmless type-only difference, so the expected diff is empty.
    """
    async with storage.engine.connect() as connection:
        assert await connection.run_sync(schema_diff) == []


async def test_schema_comparison_notices_a_missing_index(storage: Storage) -> None:
    """A control for the test above: the comparison really inspects this backend."""
    async with storage.engine.begin() as connection:
        await connection.execute(text("DROP INDEX ix_members_user_id"))
    async with storage.engine.connect() as connection:
        diff = await connection.run_sync(schema_diff)
    assert [(kind, index.name) for kind, index in diff] == [("add_index", "ix_members_user_id")]


# --- 2. chats -----------------------------------------------------------------------------


async def test_chat_upsert_creates_then_refreshes_the_title(storage: Storage) -> None:
    """Events without a title (None or empty) must not wipe the known one."""
    async with storage.transaction() as repos:
        created = await group(repos)
        renamed = await group(repos, title="新名字")
        untitled = await group(repos, title=None)
        empty = await group(repos, title="")
    assert created.title == "群"
    assert created.id == renamed.id == untitled.id == empty.id
    assert renamed.title == untitled.title == empty.title == "新名字"
    async with storage.transaction() as repos:
        assert await repos.chats.get(PLATFORM, "-100500") == empty


async def test_long_chat_titles_are_truncated(storage: Storage) -> None:
    async with storage.transaction() as repos:
        chat = await group(repos, title="长" * 300)
    async with storage.transaction() as repos:
        stored = await repos.chats.get_by_id(chat.id)
    assert stored is not None and stored.title == "长" * 256


@pytest.mark.parametrize("external_id", BIG_IDS)
async def test_64_bit_ids_round_trip_exactly(storage: Storage, external_id: str) -> None:
    """Ids are text: no float or int conversion may round them onto a neighbour."""
    neighbour = external_id[:-1] + str(int(external_id[-1]) - 1)
    async with storage.transaction() as repos:
        chat = await group(repos, external_id)
        user = await person(repos, external_id)
    async with storage.transaction() as repos:
        stored_chat = await repos.chats.get(PLATFORM, external_id)
        stored_user = await repos.users.get(PLATFORM, external_id)
        assert await repos.chats.get(PLATFORM, neighbour) is None
        assert await repos.users.get(PLATFORM, neighbour) is None
    assert stored_chat is not None and stored_chat.id == chat.id
    assert stored_chat.external_id == external_id
    assert stored_user is not None and stored_user.id == user.id
    assert stored_user.external_id == external_id


async def test_list_groups_lists_only_groups(storage: Storage) -> None:
    async with storage.transaction() as repos:
        first = await group(repos, "-1")
        await repos.chats.upsert(PLATFORM, "42", kind="private", title="私聊", at=T0)
        second = await group(repos, "-2")
        other = await repos.chats.upsert("wechat", "room@chatroom", kind="group", title="", at=T0)
    async with storage.transaction() as repos:
        telegram = await repos.chats.list_groups(PLATFORM)
        everywhere = await repos.chats.list_groups()
    assert [c.id for c in telegram] == [first.id, second.id]
    assert [c.id for c in everywhere] == [first.id, second.id, other.id]


async def test_rules_and_bot_status_are_stored(storage: Storage) -> None:
    async with storage.transaction() as repos:
        chat = await group(repos)
        assert (chat.rules, chat.bot_status) == (None, "member")
        await repos.chats.set_rules(chat.id, "友善交流\n不发广告", T0)
        await repos.chats.set_bot_status(chat.id, "administrator", T0)
        assert repos.chats.changed == {chat.id}  # callers evict cached chats by this
    async with storage.transaction() as repos:
        stored = await repos.chats.get_by_id(chat.id)
        await repos.chats.set_rules(chat.id, None, T0)
    assert stored is not None
    assert (stored.rules, stored.bot_status) == ("友善交流\n不发广告", "administrator")
    async with storage.transaction() as repos:
        cleared = await repos.chats.get_by_id(chat.id)
    assert cleared is not None and cleared.rules is None and cleared.bot_status == "administrator"


# --- 3. users -----------------------------------------------------------------------------


async def test_user_upsert_refreshes_the_profile(storage: Storage) -> None:
    """The platform's latest profile wins, except an unknown language (None) keeps ours."""
    async with storage.transaction() as repos:
        first = await person(repos)
        renamed = await person(repos, display_name="小明同学", username="ming2", language="en")
        no_language = await person(repos, display_name="Ming", username=None, language=None)
    assert first.id == renamed.id == no_language.id
    assert (renamed.display_name, renamed.username, renamed.language) == ("小明同学", "ming2", "en")
    assert (no_language.display_name, no_language.username) == ("Ming", None)
    assert no_language.language == "en"
    async with storage.transaction() as repos:
        assert await repos.users.get(PLATFORM, "7") == no_language


async def test_mark_started_is_true_only_the_first_time(storage: Storage) -> None:
    async with storage.transaction() as repos:
        user = await person(repos)
        assert user.started_bot_at is None
        assert await repos.users.mark_started(user.id, T0)
        assert not await repos.users.mark_started(user.id, T0 + timedelta(days=1))
        await person(repos, "8")
    async with storage.transaction() as repos:
        stored = await repos.users.get_by_id(user.id)
        assert await repos.users.started_ids(PLATFORM) == {"7"}
    assert stored is not None and stored.started_bot_at == T0


async def test_upsert_with_started_records_the_first_start_only(storage: Storage) -> None:
    async with storage.transaction() as repos:
        first = await person(repos, "9", started=True)
        later = await person(repos, "9", started=True, at=T0 + timedelta(days=1))
        stranger = await person(repos, "10")
        assert not await repos.users.mark_started(first.id, T0 + timedelta(days=2))
    assert first.started_bot_at == T0 and later.started_bot_at == T0
    assert stranger.started_bot_at is None


async def test_find_by_username_with_and_without_at(storage: Storage) -> None:
    async with storage.transaction() as repos:
        user = await person(repos, username="ming")
        await repos.users.upsert(
            "wechat", "wx1", display_name="明", username="other", language=None, is_bot=False, at=T0
        )
    async with storage.transaction() as repos:
        with_at = await repos.users.find_by_username(PLATFORM, "@ming")
        without_at = await repos.users.find_by_username(PLATFORM, "ming")
        assert await repos.users.find_by_username(PLATFORM, "@nobody") is None
        assert await repos.users.find_by_username(PLATFORM, "other") is None  # other platform
    assert with_at is not None and without_at is not None
    assert with_at.id == without_at.id == user.id


ODD_NAMES = {
    "zwj-family": "👨\u200d👩\u200d👧\u200d👦 一家人",
    "rtl-override": "\u202egnp.exe 小明",
    "combining": "Z\u0336\u0301a\u0337l\u0338g\u0335o",
    "300-astral": "长" * 150 + "😀" * 150,
    "300-mixed": ("\u202e👨\u200d👩\u200d👧" + "x") * 50,
}


@pytest.mark.parametrize("name", ODD_NAMES.values(), ids=ODD_NAMES.keys())
async def test_odd_unicode_names_round_trip(storage: Storage, name: str) -> None:
    """Names are stored as given, cut to 256 characters (code points) without an error.

    Astral characters count as one character on both backends, as in Python.
    """
    async with storage.transaction() as repos:
        created = await person(repos, display_name=name)
    async with storage.transaction() as repos:
        stored = await repos.users.get_by_id(created.id)
    assert stored is not None and stored.display_name == created.display_name == name[:256]


async def test_nul_in_any_written_text_is_stored_as_a_replacement_character(
    storage: Storage,
) -> None:
    """PostgreSQL refuses NUL in text; whatever path a text comes by (a FAQ file, a
    topic, a console form), it is written with U+FFFD in its place, on both backends,
    one row or many at a time."""
    at = datetime(2026, 12, 1, tzinfo=UTC)
    async with storage.transaction() as repos:
        entry = await repos.faq.add("怎么\x00退款", "找客服\x00", at, alternatives=["退\x00款"])
        await repos.topics.add_topic("weekend", "话\x00题", at)
    async with storage.engine.begin() as connection:  # many rows in one statement
        await connection.execute(
            insert(Topic), [{"pool": "weekend", "text": f"第{n}个\x00话题", "created_at": at}
                            for n in (2, 3)]
        )  # fmt: skip
    async with storage.transaction() as repos:
        stored = await repos.faq.get(entry.id)
        topics = sorted(topic.text for topic in await repos.topics.pool("weekend"))
    assert stored is not None and stored.question == "怎么\ufffd退款"
    assert stored.alternatives == ("退\x00款",)  # JSON carries it escaped, and back
    assert topics == ["第2个\ufffd话题", "第3个\ufffd话题", "话\ufffd题"]


# --- 4. members ---------------------------------------------------------------------------


async def test_join_duplicate_leave_rejoin(storage: Storage) -> None:
    """Telegram reports one join twice; only a join after a leave is a rejoin."""
    later = T0 + timedelta(days=1)
    async with storage.transaction() as repos:
        chat, user = await group(repos), await person(repos)
        assert await repos.members.record_join(chat.id, user.id, T0) is JoinOutcome.NEW
        assert await repos.members.record_join(chat.id, user.id, T0) is JoinOutcome.DUPLICATE
        assert await repos.members.record_leave(chat.id, user.id, T0 + timedelta(hours=1))
        assert not await repos.members.record_leave(chat.id, user.id, T0 + timedelta(hours=2))
        gone = await repos.members.get(chat.id, user.id)
        assert await repos.members.record_join(chat.id, user.id, later) is JoinOutcome.REJOINED
    async with storage.transaction() as repos:
        back = await repos.members.get(chat.id, user.id)
    assert gone is not None and not gone.present and gone.left_at == T0 + timedelta(hours=1)
    assert back is not None and back.present and back.joined_at == later
    assert back.first_seen_at == T0 and back.id == gone.id


async def test_a_member_seen_posting_before_the_join(storage: Storage) -> None:
    """A member known only from messages (no join seen yet) joining is a NEW join."""
    async with storage.transaction() as repos:
        chat, user = await group(repos), await person(repos)
        first = await repos.members.record_message(chat.id, user.id, T0)
        second = await repos.members.record_message(chat.id, user.id, T0 + timedelta(minutes=5))
        assert await repos.members.record_join(chat.id, user.id, T0) is JoinOutcome.NEW
        assert await repos.members.record_join(chat.id, user.id, T0) is JoinOutcome.DUPLICATE
    assert first.joined_at is None and first.message_count == 1 and first.present
    assert first.first_seen_at == first.last_active_at == T0
    assert second.id == first.id and second.message_count == 2
    assert second.first_seen_at == T0 and second.last_active_at == T0 + timedelta(minutes=5)


async def test_messages_are_counted_and_touch_does_not_count(storage: Storage) -> None:
    async with storage.transaction() as repos:
        chat, user = await group(repos), await person(repos)
        for minute in range(3):
            await repos.members.record_message(chat.id, user.id, T0 + timedelta(minutes=minute))
        touched = await repos.members.touch(chat.id, user.id, T0 + timedelta(minutes=9))
    async with storage.transaction() as repos:
        stored = await repos.members.get(chat.id, user.id)
    assert touched.message_count == 3 and touched.last_active_at == T0 + timedelta(minutes=9)
    assert stored == touched


async def test_count_present(storage: Storage) -> None:
    async with storage.transaction() as repos:
        chat, elsewhere = await group(repos, "-1"), await group(repos, "-2")
        users = [await person(repos, str(n)) for n in range(4)]
        for user in users:
            await repos.members.record_join(chat.id, user.id, T0)
        await repos.members.record_join(elsewhere.id, users[0].id, T0)
        await repos.members.record_leave(chat.id, users[1].id, T0)
        await repos.members.record_message(chat.id, users[2].id, T0)
    async with storage.transaction() as repos:
        assert await repos.members.count_present(chat.id) == 3
        assert await repos.members.count_present(elsewhere.id) == 1


async def test_times_come_back_aware_utc(storage: Storage) -> None:
    """Every backend hands back aware UTC, also for times stored in another zone."""
    async with storage.transaction() as repos:
        chat, user = await group(repos), await person(repos, started=True, at=T0_BEIJING)
        await repos.members.record_message(chat.id, user.id, T0_BEIJING)
        await repos.members.record_join(chat.id, user.id, T0_BEIJING)
        await repos.members.record_leave(chat.id, user.id, T0_BEIJING)
        await repos.events.append("member_left", T0_BEIJING, chat_id=chat.id)
    async with storage.transaction() as repos:
        member = await repos.members.get(chat.id, user.id)
        stored_user = await repos.users.get_by_id(user.id)
        (event,) = await repos.events.recent(chat_id=chat.id)
    assert member is not None and stored_user is not None
    times = [
        member.first_seen_at,
        member.last_active_at,
        member.joined_at,
        member.left_at,
        stored_user.started_bot_at,
        event.occurred_at,
    ]
    for value in times:
        assert_utc(value)
        assert value == T0


async def test_naive_times_are_refused_and_nothing_is_written(storage: Storage) -> None:
    """A naive time is a bug in the caller: which zone it meant is unknowable."""
    with pytest.raises(StatementError, match="naive") as caught:
        async with storage.transaction() as repos:
            chat, user = await group(repos), await person(repos)
            await repos.members.record_message(chat.id, user.id, datetime(2026, 11, 24, 12))
    assert isinstance(caught.value.orig, ValueError)
    assert await count_rows(storage, Chat) == 0


# --- 5. processed updates -----------------------------------------------------------------


async def test_update_keys_are_claimed_once_per_channel(storage: Storage) -> None:
    async with storage.transaction() as repos:
        assert await repos.updates.claim("telegram", "1", T0)
        assert not await repos.updates.claim("telegram", "1", T0 + timedelta(seconds=1))
        assert await repos.updates.claim("wechat", "1", T0)
        assert await repos.updates.claim("telegram", "2", T0)
    async with storage.transaction() as repos:  # committed claims hold in later transactions
        assert not await repos.updates.claim("telegram", "1", T0)
        assert not await repos.updates.claim("wechat", "1", T0)


async def test_forget_before_removes_only_older_keys(storage: Storage) -> None:
    ages = {"old": -timedelta(days=2), "just-old": -timedelta(seconds=1), "cutoff": timedelta(0)}
    ages["new"] = timedelta(days=1)
    async with storage.transaction() as repos:
        for key, age in ages.items():
            assert await repos.updates.claim("telegram", key, T0 + age)
    async with storage.transaction() as repos:
        assert await repos.updates.forget_before(T0_BEIJING) == 2  # same instant as T0
    async with storage.transaction() as repos:
        assert await repos.updates.claim("telegram", "old", T0)
        assert await repos.updates.claim("telegram", "just-old", T0)
        assert not await repos.updates.claim("telegram", "cutoff", T0)
        assert not await repos.updates.claim("telegram", "new", T0)


async def test_arrival_claims_and_stores_chat_and_sender_in_one_trip(storage: Storage) -> None:
    chat = ChatSeen("telegram", "8001", "private", "小明")
    user = UserSeen("telegram", "8001", "小明", "xm", "zh-hans", False, started=True)
    async with storage.transaction() as repos:
        arrival = await repos.updates.arrive("telegram", "u1", T0, chat=chat, user=user)
        assert arrival.claimed and arrival.chat is not None and arrival.user is not None
        assert arrival.chat == await repos.chats.get("telegram", "8001")
        assert arrival.user == await repos.users.get("telegram", "8001")
        assert arrival.chat.onboarding_enabled and arrival.chat.bot_status == "member"
        assert arrival.user.started_bot_at == T0 and arrival.user.language == "zh-hans"
        # Claimed alone (the chat and sender known): nothing else is asked for.
        assert await repos.updates.arrive("telegram", "u2", T0) == Arrival(claimed=True)
    later = T0 + timedelta(hours=1)
    renamed = UserSeen("telegram", "8001", "小明明", None, None, False)
    async with storage.transaction() as repos:
        # A redelivery stores nothing, not even a changed profile.
        assert not (await repos.updates.arrive("telegram", "u1", later, user=renamed)).claimed
        assert (await repos.users.get("telegram", "8001")).display_name == "小明"  # type: ignore[union-attr]
        untitled = ChatSeen("telegram", "8001", "private", None)
        arrival = await repos.updates.arrive(
            "telegram", "u3", later, chat=untitled, user=renamed, seen_at=later
        )
        assert arrival.chat is not None and arrival.chat.title == "小明"  # a title left out stays
        assert arrival.user is not None and arrival.user.display_name == "小明明"
        assert arrival.user.language == "zh-hans"  # a language left out stays
        assert arrival.user.started_bot_at == T0  # the first start is kept
        assert arrival.user.username is None


async def test_concurrent_claims_of_one_key_have_one_winner(storage: Storage) -> None:
    """Two workers handling one redelivered update: exactly one may act on it.

    Each holds its transaction open after claiming, so on PostgreSQL the two
    really overlap (the loser's insert waits for the winner's commit); SQLite
    serializes writers, and must give the same answer.
    """
    loop = asyncio.get_running_loop()
    spans: list[tuple[float, float]] = []

    async def claim(repos: Repositories) -> bool:
        entered = loop.time()
        won = await repos.updates.claim("telegram", "race", T0)
        await asyncio.sleep(0.2)
        spans.append((entered, loop.time()))
        return won

    results = await asyncio.gather(storage.run(claim), storage.run(claim))
    assert sorted(results) == [False, True]
    assert await count_rows(storage, ProcessedUpdate) == 1
    if storage.backend == "postgresql":
        assert max(start for start, _ in spans) < min(end for _, end in spans), "no overlap"


# --- 6. chat migration (group → supergroup) -----------------------------------------------


async def test_migrating_a_known_group_keeps_everything(storage: Storage) -> None:
    """(a) Only the old chat exists: it keeps its internal id under the new external id."""
    async with storage.transaction() as repos:
        chat, user = await group(repos, "-4004"), await person(repos)
        await repos.chats.set_rules(chat.id, "迁移前的规则", T0)
        await repos.members.record_join(chat.id, user.id, T0)
        await repos.members.record_message(chat.id, user.id, T0)
        await repos.events.append("member_joined", T0, chat_id=chat.id, user_id=user.id)
    async with storage.transaction() as repos:
        moved = await repos.chats.migrate(PLATFORM, "-4004", "-1004004", T0)
        assert chat.id in repos.chats.changed
    async with storage.transaction() as repos:
        assert await repos.chats.get(PLATFORM, "-4004") is None
        assert await repos.chats.get(PLATFORM, "-1004004") == moved
        member = await repos.members.get(chat.id, user.id)
        events = await repos.events.recent(chat_id=chat.id)
    assert moved is not None and moved.id == chat.id and moved.external_id == "-1004004"
    assert moved.rules == "迁移前的规则" and moved.kind == "group"
    assert member is not None and member.message_count == 1 and member.joined_at == T0
    assert [(e.kind, e.user_id) for e in events] == [("member_joined", user.id)]


async def fold_scenario(storage: Storage) -> dict[str, Any]:
    """(b) The supergroup's first messages arrived before the migration notice.

    ``both`` is in the old group and posted twice in the new one, ``only_new``
    was first seen in the new one, ``only_old`` only ever in the old one.
    """
    async with storage.transaction() as repos:
        old, new = await group(repos, "-4004", "旧群"), await group(repos, "-1004004", "新群")
        await repos.chats.set_rules(old.id, "旧规则", T0)
        both, only_new, only_old = [await person(repos, n) for n in ("1", "2", "3")]
        await repos.members.record_join(old.id, both.id, T0)
        await repos.members.record_message(old.id, both.id, T0)
        await repos.members.record_message(old.id, only_old.id, T0)
        await repos.members.record_message(new.id, both.id, T0 + timedelta(hours=1))
        await repos.members.record_message(new.id, both.id, T0 + timedelta(hours=1))
        await repos.members.record_message(new.id, only_new.id, T0 + timedelta(hours=1))
        await repos.events.append("member_joined", T0, chat_id=old.id, user_id=both.id)
        await repos.events.append("message", T0, chat_id=new.id, user_id=only_new.id)
    return {"old": old, "new": new, "both": both, "only_new": only_new, "only_old": only_old}


async def assert_folded(storage: Storage, s: dict[str, Any]) -> None:
    """One chat row (old internal id, new external id), members merged, events moved."""
    old, new = s["old"], s["new"]
    assert await count_rows(storage, Chat) == 1
    assert await count_rows(storage, Member) == 3
    assert await count_rows(storage, EventLog) == 2
    async with storage.transaction() as repos:
        chat = await repos.chats.get(PLATFORM, "-1004004")
        assert await repos.chats.get(PLATFORM, "-4004") is None
        assert await repos.chats.get_by_id(new.id) is None
        counts = {
            key: (await repos.members.get(old.id, s[key].id)).message_count  # type: ignore[union-attr]
            for key in ("both", "only_new", "only_old")
        }
        assert await repos.members.count_present(old.id) == 3
        events = await repos.events.recent(chat_id=old.id)
        assert await repos.events.recent(chat_id=new.id) == []
    assert chat is not None and chat.id == old.id and chat.rules == "旧规则"
    assert counts == {"both": 3, "only_new": 1, "only_old": 1}
    assert [(e.kind, e.user_id) for e in events] == [
        ("message", s["only_new"].id),
        ("member_joined", s["both"].id),
    ]


async def test_migration_folds_a_supergroup_seen_first(storage: Storage) -> None:
    """(b) Both chats exist: the new one's rows fold into the old one, no unique clash."""
    scenario = await fold_scenario(storage)
    async with storage.transaction() as repos:
        merged = await repos.chats.migrate(PLATFORM, "-4004", "-1004004", T0)
        assert {scenario["old"].id, scenario["new"].id} <= repos.chats.changed
    assert merged is not None and merged.id == scenario["old"].id
    assert merged.external_id == "-1004004"
    await assert_folded(storage, scenario)


async def test_migration_fold_keeps_the_new_chats_deliveries(storage: Storage) -> None:
    """(b) A member who joined the supergroup before the notice keeps their onboarding.

    Deliveries reference chats ``ON DELETE CASCADE``: dropping the folded chat
    must not silently drop the messages scheduled for it.
    """
    async with storage.transaction() as repos:
        old, new = await group(repos, "-4004"), await group(repos, "-1004004")
        user = await person(repos)
        await repos.members.record_join(new.id, user.id, T0)
        assert await repos.deliveries.schedule(
            "onboarding:1",
            kind="step",
            audience="private",
            due_at=T0,
            at=T0,
            chat_id=new.id,
            user_id=user.id,
        )
    async with storage.transaction() as repos:
        await repos.chats.migrate(PLATFORM, "-4004", "-1004004", T0)
    async with storage.transaction() as repos:
        due = await repos.deliveries.claim_due(T0, limit=10)
    assert [(d.key, d.chat_id, d.user_id) for d in due] == [("onboarding:1", old.id, user.id)]


async def test_migration_from_an_unknown_group(storage: Storage) -> None:
    """(c) The old chat was never seen: nothing to move, and no error."""
    async with storage.transaction() as repos:
        assert await repos.chats.migrate(PLATFORM, "-9", "-1009", T0) is None
    assert await count_rows(storage, Chat) == 0
    async with storage.transaction() as repos:
        new = await group(repos, "-1009")
        assert await repos.chats.migrate(PLATFORM, "-9", "-1009", T0) == new


async def test_running_a_migration_twice_is_harmless(storage: Storage) -> None:
    """(d) Telegram sends the notice in both chats; a redelivery may repeat it too."""
    scenario = await fold_scenario(storage)
    results = []
    for _ in range(2):
        async with storage.transaction() as repos:
            results.append(await repos.chats.migrate(PLATFORM, "-4004", "-1004004", T0))
    assert results[0] is not None and results[0] == results[1]
    await assert_folded(storage, scenario)


# --- 7. event log -------------------------------------------------------------------------


async def test_recent_events_newest_first_with_filters(storage: Storage) -> None:
    async with storage.transaction() as repos:
        chat, other = await group(repos, "-1"), await group(repos, "-2")
        log = [
            ("member_joined", chat.id),
            ("rules_changed", chat.id),
            ("member_joined", other.id),
            ("bot_added", None),
            ("member_joined", chat.id),
        ]
        for second, (kind, chat_id) in enumerate(log):
            await repos.events.append(kind, T0 + timedelta(seconds=second), chat_id=chat_id)
    async with storage.transaction() as repos:
        everything = await repos.events.recent()
        in_chat = await repos.events.recent(chat_id=chat.id)
        joins = await repos.events.recent(kind="member_joined")
        joins_in_chat = await repos.events.recent(chat_id=chat.id, kind="member_joined")
        latest_two = await repos.events.recent(limit=2)
        assert await repos.events.count("member_joined") == 3
        assert await repos.events.count("member_joined", chat.id) == 2
        assert await repos.events.count("member_left", chat.id) == 0
    assert [(e.kind, e.chat_id) for e in everything] == log[::-1]
    assert [e.kind for e in in_chat] == ["member_joined", "rules_changed", "member_joined"]
    assert [e.chat_id for e in joins] == [chat.id, other.id, chat.id]
    assert [e.occurred_at for e in joins_in_chat] == [T0 + timedelta(seconds=4), T0]
    assert latest_two == everything[:2]


async def test_event_payloads_round_trip_as_json(storage: Storage) -> None:
    payload = {
        "名字": "小明",
        "text": "欢迎 👋 \u202e",
        "nested": {"列表": [1, 2.5, True, None, "三"]},
        "big": 9223372036854775807,
    }
    async with storage.transaction() as repos:
        chat, user = await group(repos), await person(repos)
        await repos.events.append(
            "member_joined", T0, chat_id=chat.id, user_id=user.id, payload=payload
        )
        await repos.events.append("bot_added", T0, chat_id=chat.id)
    async with storage.transaction() as repos:
        joined = await repos.events.recent(kind="member_joined")
        added = await repos.events.recent(kind="bot_added")
    assert joined[0].payload == payload and joined[0].user_id == user.id
    assert added[0].payload == {} and added[0].user_id is None


# --- 8. retries ---------------------------------------------------------------------------


def quick(storage: Storage) -> Storage:
    """The fixture's engine with retries that wait milliseconds, not seconds."""
    return Storage(storage.engine, attempts=3, max_wait=0.01)


def locked() -> OperationalError:
    return OperationalError("INSERT", {}, Exception("database is locked"))


async def test_transient_errors_are_retried_and_applied_once(storage: Storage) -> None:
    """The failed attempt's writes roll back; the retry's commit: exactly one copy."""
    calls = 0

    async def work(repos: Repositories) -> int:
        nonlocal calls
        calls += 1
        chat = await group(repos)
        await repos.events.append("member_joined", T0, chat_id=chat.id)
        if calls == 1:
            raise locked()
        return chat.id

    chat_id = await quick(storage).run(work)
    assert calls == 2
    assert await count_rows(storage, Chat) == 1
    assert await count_rows(storage, EventLog) == 1
    async with storage.transaction() as repos:
        assert await repos.events.count("member_joined", chat_id) == 1


async def test_retries_give_up_after_the_last_attempt(storage: Storage) -> None:
    calls = 0

    async def work(repos: Repositories) -> None:
        nonlocal calls
        calls += 1
        await group(repos)
        raise locked()

    with pytest.raises(OperationalError, match="database is locked"):
        await quick(storage).run(work)
    assert calls == 3
    assert await count_rows(storage, Chat) == 0


async def test_other_errors_roll_back_and_are_not_retried(storage: Storage) -> None:
    calls = 0

    async def work(repos: Repositories) -> None:
        nonlocal calls
        calls += 1
        await group(repos)
        raise ValueError("a bug, not a passing fault")

    with pytest.raises(ValueError, match="a bug"):
        await quick(storage).run(work)
    assert calls == 1
    assert await count_rows(storage, Chat) == 0


# --- 9. SQLite: another process holds the file --------------------------------------------


async def test_sqlite_write_waits_out_an_exclusive_lock(sqlite_storage: Storage) -> None:
    """Another process (here a plain sqlite3 connection) writing for 0.5 s delays us,
    it does not make us fail: both its write and ours survive."""
    path = sqlite_storage.engine.url.database
    assert path is not None
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute(
        "INSERT INTO processed_updates (channel, key, processed_at) "
        "VALUES ('telegram', 'held', '2026-11-24 12:00:00.000000')"
    )
    release = threading.Timer(0.5, holder.execute, args=("COMMIT",))
    release.start()

    async def write(repos: Repositories) -> int:
        assert await repos.updates.claim("telegram", "waited", T0)
        return (await group(repos)).id

    loop = asyncio.get_running_loop()
    try:
        started = loop.time()
        chat_id = await sqlite_storage.run(write)
        waited = loop.time() - started
    finally:
        release.join()
        holder.close()
    assert waited >= 0.4, f"the write did not wait for the lock ({waited:.2f} s)"
    async with sqlite_storage.transaction() as repos:
        assert await repos.chats.get_by_id(chat_id) is not None
        assert not await repos.updates.claim("telegram", "held", T0)
        assert not await repos.updates.claim("telegram", "waited", T0)


# --- 10. PostgreSQL: connections killed under the pool ------------------------------------


async def test_postgresql_survives_killed_connections(pg_storage: Storage) -> None:
    """A PostgreSQL restart or failover kills pooled connections; the next unit of
    work must reconnect (pre-ping, else a retry) instead of failing."""
    await pg_storage.run(group)  # leaves an open connection in the pool
    database = pg_storage.engine.url.database
    admin = await asyncpg.connect(f"{PG_ADMIN_DSN.rsplit('/', 1)[0]}/{database}", timeout=5)
    try:
        others = "datname = current_database() AND pid <> pg_backend_pid()"
        # In the select list, not the WHERE clause: the planner may not run it on this session.
        terminated = await admin.fetch(
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE {others}"
        )
        for _ in range(100):  # termination is asynchronous: wait until they are gone
            if not await admin.fetchval(f"SELECT count(*) FROM pg_stat_activity WHERE {others}"):
                break
            await asyncio.sleep(0.02)
    finally:
        await admin.close()
    assert sum(row[0] for row in terminated) >= 1

    async def read_and_write(repos: Repositories) -> list[ChatRecord]:
        await group(repos, "-2")
        return await repos.chats.list_groups()

    assert [c.external_id for c in await pg_storage.run(read_and_write)] == ["-100500", "-2"]
