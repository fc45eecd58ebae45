"""The topics repository, and invitations and reactions of the points one: the
same contract on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.database import Storage

T0 = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)


async def _group(storage: Storage) -> tuple[int, int, int]:
    async with storage.transaction() as repos:
        chat = await repos.chats.upsert("testnet", "-1", kind="group", title="群", at=T0)
        users = [
            await repos.users.upsert(
                "testnet", str(n), display_name=f"user{n}", username=None, language=None,
                is_bot=False, at=T0,
            )
            for n in (1, 2)
        ]  # fmt: skip
    return chat.id, users[0].id, users[1].id


async def test_slots_are_decided_once_and_pools_go_round(storage: Storage) -> None:
    chat, alice, bob = await _group(storage)
    async with storage.transaction() as repos:
        await repos.topics.ensure_schedule(chat, "config:noon", "noon", "0 12 * * *", "daily", T0)
        await repos.topics.ensure_schedule(chat, "config:noon", "noon", "0 9 * * *", "x", T0)
        [schedule] = await repos.topics.schedules(chat)
        assert schedule.cron == "0 12 * * *"  # created once, never overwritten
        first = await repos.topics.add_topic("daily", "话题一", T0)
        await repos.topics.add_topic("daily", "话题二", T0)
        assert await repos.topics.current_cycle(chat, "daily") == (0, set())
        post = await repos.topics.claim_slot(
            schedule.id, chat, T0, "posted", topic_id=first.id, posted_at=T0,
            window_ends_at=T0 + timedelta(hours=3),
        )  # fmt: skip
        assert post is not None
        assert await repos.topics.claim_slot(schedule.id, chat, T0, "missed") is None
        assert await repos.topics.current_cycle(chat, "daily") == (0, {first.id})
        assert await repos.topics.pool_sizes() == {"daily": 2}
        assert (await repos.topics.open_post(chat, T0 + timedelta(hours=1))).id == post.id
        assert await repos.topics.open_post(chat, T0 + timedelta(hours=4)) is None
        assert await repos.topics.join(post.id, alice, T0)
        assert not await repos.topics.join(post.id, alice, T0)
        assert await repos.topics.join(post.id, bob, T0)
        assert await repos.topics.participant_names(post.id) == ["user1", "user2"]
        [closed] = await repos.topics.windows_closed(T0 + timedelta(hours=3))
        assert closed.participants == 2
        assert await repos.topics.mark_summarized(post.id, T0)
        assert not await repos.topics.mark_summarized(post.id, T0)
        await repos.topics.queue(chat, "daily", first.id, T0)
        assert await repos.topics.take_queued(chat, "daily") == first.id
        assert await repos.topics.take_queued(chat, "daily") is None
        assert await repos.topics.pause_chat(chat) == 1
        assert await repos.topics.schedules(chat, active_only=True) == []


async def test_invitations_settle_once(storage: Storage) -> None:
    chat, alice, bob = await _group(storage)
    async with storage.transaction() as repos:
        assert await repos.points.record_invite(chat, bob, alice, T0)
        assert not await repos.points.record_invite(chat, bob, alice, T0 + timedelta(days=1))
        assert await repos.points.invites_due(T0 - timedelta(seconds=1)) == []
        [due] = await repos.points.invites_due(T0)
        assert (due.invitee_id, due.inviter_id) == (bob, alice)
        assert await repos.points.settle_invite(chat, bob, "stayed", T0)
        assert not await repos.points.settle_invite(chat, bob, "left", T0)
        assert await repos.points.invites_due(T0 + timedelta(days=9)) == []
        await repos.points.save_invite_link(chat, alice, "https://t.me/+a", T0)
        await repos.points.save_invite_link(chat, alice, "https://t.me/+b", T0)
        assert await repos.points.invite_link(chat, alice) == "https://t.me/+b"


async def test_reactions_count_people_once(storage: Storage) -> None:
    chat, alice, bob = await _group(storage)
    async with storage.transaction() as repos:
        assert await repos.points.add_reaction(chat, "77", alice, T0) == 1
        assert await repos.points.add_reaction(chat, "77", alice, T0) == 1
        assert await repos.points.add_reaction(chat, "77", bob, T0) == 2
        assert await repos.points.add_reaction(chat, "78", bob, T0) == 1
