"""What channels with limits remember, on SQLite and PostgreSQL: cursors, the shared
access token and its refresh lease, members' reply windows, held messages."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from storage.database import Storage

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


async def test_a_cursor_is_kept_and_replaced(storage: Storage) -> None:
    async with storage.transaction() as repos:
        assert await repos.channel_state.get("wechat", "cursor:kf1") is None
        await repos.channel_state.put("wechat", "cursor:kf1", "c1", T0)
        await repos.channel_state.put("wechat", "cursor:kf1", "c2", T0 + HOUR)
    async with storage.transaction() as repos:
        assert await repos.channel_state.get("wechat", "cursor:kf1") == "c2"
        assert await repos.channel_state.get("wechat", "cursor:kf2") is None


async def test_a_cursor_rolls_back_with_the_work_it_covers(storage: Storage) -> None:
    try:
        async with storage.transaction() as repos:
            await repos.channel_state.put("wechat", "cursor:kf1", "c9", T0)
            raise RuntimeError("the messages' effects failed")
    except RuntimeError:
        pass
    async with storage.transaction() as repos:
        assert await repos.channel_state.get("wechat", "cursor:kf1") is None


async def test_one_replica_refreshes_the_token_the_others_wait(storage: Storage) -> None:
    async def lease() -> bool:
        async with storage.transaction() as repos:
            return await repos.access_tokens.take_lease("wecom", T0, T0 + timedelta(seconds=30))

    assert sorted(await asyncio.gather(lease(), lease(), lease())) == [False, False, True]
    async with storage.transaction() as repos:
        assert await repos.access_tokens.valid("wecom", T0) is None
        await repos.access_tokens.store("wecom", "tok-1", T0 + 2 * HOUR)
        assert await repos.access_tokens.valid("wecom", T0) == ("tok-1", T0 + 2 * HOUR)
        assert await repos.access_tokens.valid("wecom", T0 + 2 * HOUR) is None  # expired
        # Stored: the lease is free again; an expired lease is free too.
        assert await repos.access_tokens.take_lease("wecom", T0, T0 + timedelta(seconds=30))
        assert await repos.access_tokens.take_lease("wecom", T0 + HOUR, T0 + 2 * HOUR)
        await repos.access_tokens.forget("wecom", "tok-old")  # not the stored one: kept
        assert await repos.access_tokens.valid("wecom", T0) == ("tok-1", T0 + 2 * HOUR)
        await repos.access_tokens.forget("wecom", "tok-1")
        assert await repos.access_tokens.valid("wecom", T0) is None


async def test_a_window_allows_five_messages_after_the_members_last(storage: Storage) -> None:
    span = timedelta(hours=48)
    async with storage.transaction() as repos:
        windows = repos.reply_windows
        assert not await windows.reserve("wechat", "wm1", opened_after=T0 - span, limit=5)
        await windows.member_wrote("wechat", "wm1", T0)
        now = T0 + HOUR
        sent = [await windows.reserve("wechat", "wm1", opened_after=now - span, limit=5)]
        sent += [await windows.reserve("wechat", "wm1", opened_after=now - span, limit=5)]
        assert sent == [True, True]
        await windows.give_back("wechat", "wm1")  # one did not go out
        for _ in range(4):
            assert await windows.reserve("wechat", "wm1", opened_after=now - span, limit=5)
        assert not await windows.reserve("wechat", "wm1", opened_after=now - span, limit=5)
        await windows.member_wrote("wechat", "wm1", T0 - HOUR)  # an older message, late
        assert (await windows.get("wechat", "wm1")).sent == 5  # type: ignore[union-attr]
        await windows.member_wrote("wechat", "wm1", T0 + 2 * HOUR)  # a new message
        later = T0 + 49 * HOUR
        assert await windows.reserve("wechat", "wm1", opened_after=later - span, limit=5)
        too_late = T0 + 51 * HOUR  # 48 h after the member's last message
        assert not await windows.reserve("wechat", "wm1", opened_after=too_late - span, limit=5)
        await windows.close("wechat", "wm1", 5)
        await windows.set_servicer("wechat", "wm1", "zhangsan")
        window = await windows.get("wechat", "wm1")
        assert window is not None and window.sent == 5 and window.servicer == "zhangsan"


async def test_a_message_in_several_parts_fits_the_window_whole_or_not(storage: Storage) -> None:
    """A scheduled message of three parts takes three places at once, or none."""
    span = timedelta(hours=48)
    async with storage.transaction() as repos:
        windows = repos.reply_windows
        await windows.member_wrote("wechat", "wm2", T0)
        reserve = windows.reserve
        assert await reserve("wechat", "wm2", opened_after=T0 - span, limit=5, count=3)
        assert not await reserve("wechat", "wm2", opened_after=T0 - span, limit=5, count=3)
        assert (await windows.get("wechat", "wm2")).sent == 3  # type: ignore[union-attr]
        assert await reserve("wechat", "wm2", opened_after=T0 - span, limit=5, count=2)
        await windows.give_back("wechat", "wm2", 2)
        assert (await windows.get("wechat", "wm2")).sent == 3  # type: ignore[union-attr]
        await windows.give_back("wechat", "wm2", 9)  # never below nothing
        assert (await windows.get("wechat", "wm2")).sent == 0  # type: ignore[union-attr]


async def test_held_messages_wait_for_the_member(storage: Storage) -> None:
    async with storage.transaction() as repos:
        first = await repos.held.hold("wechat", "wm1", "客服回复：已退款", "window_closed", T0)
        await repos.held.hold("wechat", "wm2", "第 7 天的推荐", "window_closed", T0)
        second = await repos.held.hold("wechat", "wm1", "请为本次服务打分", "window_closed", T0)
        waiting = await repos.held.waiting("wechat", "wm1")
        assert [held.id for held in waiting] == [first, second]
        assert waiting[0].text == "客服回复：已退款" and waiting[0].reason == "window_closed"
        assert await repos.held.count_waiting("wechat") == 3
        await repos.held.release([first, second], T0 + HOUR)
        assert await repos.held.waiting("wechat", "wm1") == []
        assert await repos.held.count_waiting("wechat") == 1
