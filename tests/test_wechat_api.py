"""WeComApi against the fake WeCom: tokens shared through the store and
refreshed once, bounded retries, errors as WeChatError, no token in logs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.channels.wechat.api import (
    MemoryTokenStore,
    WeChatError,
    WeChatUnreachable,
    WeComApi,
    split_text,
)
from bot.channels.wechat.tokens import DatabaseTokenStore
from handlers.clock import ManualClock
from storage.database import Storage
from tests.fake_wechat import FakeWeCom

KF = "wkfakeaccount01"
ALICE = "wmAliceExternal"


@pytest.fixture
async def fake() -> AsyncIterator[FakeWeCom]:
    wecom = FakeWeCom()
    await wecom.start()
    wecom.add_account(KF)
    wecom.add_member(ALICE, "爱丽丝")
    yield wecom
    await wecom.stop()


def make_api(fake: FakeWeCom, store: MemoryTokenStore | None = None, **kwargs: object) -> WeComApi:
    return WeComApi(
        fake.corp_id,
        fake.secret,
        store or MemoryTokenStore(),
        api_base_url=fake.base_url,
        retry_pauses=(0.01, 0.02),
        now=lambda: datetime.fromtimestamp(fake.clock, UTC),
        **kwargs,  # type: ignore[arg-type]
    )


async def test_token_fetched_once_and_shared_through_the_store(fake: FakeWeCom) -> None:
    store = MemoryTokenStore()
    first, second = make_api(fake, store), make_api(fake, store)
    assert [a["open_kfid"] for a in await first.account_list()] == [KF]
    await second.account_list()
    assert len(fake.calls("gettoken")) == 1 and store.saves == 1
    token, expires_at = store.token  # type: ignore[misc]
    assert token in fake.issued_tokens
    assert expires_at == datetime.fromtimestamp(fake.clock + 7200, UTC)


async def test_refreshed_a_little_before_expiry(fake: FakeWeCom) -> None:
    api = make_api(fake, refresh_before=timedelta(minutes=5))
    fake.rotate_tokens = True
    await api.account_list()
    fake.advance(7200 - 301)
    await api.account_list()
    assert len(fake.calls("gettoken")) == 1
    fake.advance(2)
    await api.account_list()
    assert len(fake.calls("gettoken")) == 2


async def test_token_expired_mid_run_is_refreshed_once(fake: FakeWeCom) -> None:
    api = make_api(fake)
    await api.account_list()
    fake.expire_token()  # WeCom dropped it early; the store still believes in it
    fake.customer_says(KF, ALICE, "hi")
    assert await api.send_msg(ALICE, KF, "text", {"content": "hello"}, msgid="m1") == "m1"
    assert [c.errcode for c in fake.calls("kf/send_msg")] == [42001, 0]
    assert len(fake.calls("gettoken")) == 2
    assert fake.sent_texts(ALICE) == ["hello"]


async def test_a_token_that_stays_refused_is_an_error_not_a_loop(fake: FakeWeCom) -> None:
    api = make_api(fake)
    fake.fail_next("kf/account/list", 40014, times=5)
    with pytest.raises(WeChatError) as caught:
        await api.account_list()
    assert caught.value.errcode == 40014
    assert len(fake.calls("kf/account/list")) == 2


async def test_rate_limit_retried_twice_then_raised(fake: FakeWeCom) -> None:
    api = make_api(fake)
    fake.customer_says(KF, ALICE, "hi")
    fake.fail_next("kf/send_msg", 45009, times=2)
    await api.send_msg(ALICE, KF, "text", {"content": "after two waits"})
    assert [c.errcode for c in fake.calls("kf/send_msg")] == [45009, 45009, 0]
    fake.fail_next("kf/send_msg", 45009, times=3)
    with pytest.raises(WeChatError) as caught:
        await api.send_msg(ALICE, KF, "text", {"content": "never"})
    assert caught.value.errcode == 45009
    assert len(fake.calls("kf/send_msg")) == 6
    assert fake.sent_texts(ALICE) == ["after two waits"]


async def test_system_busy_retried(fake: FakeWeCom) -> None:
    api = make_api(fake)
    fake.fail_next("kf/account/list", -1)
    assert await api.account_list()


async def test_closed_window_is_95001(fake: FakeWeCom) -> None:
    api = make_api(fake)
    with pytest.raises(WeChatError) as caught:
        await api.send_msg(ALICE, KF, "text", {"content": "uninvited"})
    assert caught.value.errcode == 95001
    assert len(fake.calls("kf/send_msg")) == 1  # not retried


async def test_session_with_staff_is_surfaced(fake: FakeWeCom) -> None:
    api = make_api(fake)
    fake.customer_says(KF, ALICE, "hi")
    fake.set_session(ALICE, 3)
    with pytest.raises(WeChatError) as caught:
        await api.send_msg(ALICE, KF, "text", {"content": "x"})
    assert caught.value.errcode == 95018
    assert (await api.service_state_get(KF, ALICE))["service_state"] == 3
    await api.service_state_trans(KF, ALICE, 1)
    await api.send_msg(ALICE, KF, "text", {"content": "x"})


async def test_sync_welcome_and_customers(fake: FakeWeCom) -> None:
    api = make_api(fake)
    code = fake.enter_session(KF, ALICE)
    fake.customer_says(KF, ALICE, "签到", menu_id="checkin")
    token = fake.issue_sync_token()
    page = await api.sync_msg(token, "", KF, limit=1)
    assert page.has_more and page.messages[0]["event"]["welcome_code"] == code
    page = await api.sync_msg(token, page.next_cursor, KF, limit=1)
    assert not page.has_more and page.messages[0]["text"]["menu_id"] == "checkin"
    await api.send_msg_on_event(code, "text", {"content": "欢迎"})
    with pytest.raises(WeChatError):
        await api.send_msg_on_event(code, "text", {"content": "欢迎"})
    customers = await api.customer_batchget([ALICE])
    assert customers["customer_list"][0]["nickname"] == "爱丽丝"
    fake.advance(601)
    with pytest.raises(WeChatError) as caught:
        await api.sync_msg(token, "", KF)
    assert caught.value.errcode == 95007


async def test_every_call_goes_to_the_configured_base_url(fake: FakeWeCom) -> None:
    api = make_api(fake)
    await api.account_list()
    assert [c.method for c in fake.calls()] == ["gettoken", "kf/account/list"]


async def test_unreachable(fake: FakeWeCom) -> None:
    api = make_api(fake)
    await fake.stop()
    with pytest.raises(WeChatUnreachable) as caught:
        await api.account_list()
    assert "access_token" not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


async def test_wrong_secret_is_one_error(fake: FakeWeCom) -> None:
    api = WeComApi(fake.corp_id, "wrong", MemoryTokenStore(), api_base_url=fake.base_url)
    with pytest.raises(WeChatError) as caught:
        await api.account_list()
    assert caught.value.errcode == 40001
    assert len(fake.calls("gettoken")) == 1


async def test_token_and_secret_never_logged(
    fake: FakeWeCom, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger().setLevel(logging.DEBUG)
    api = make_api(fake)
    fake.customer_says(KF, ALICE, "hi")
    await api.account_list()
    fake.expire_token()
    fake.fail_next("kf/send_msg", 45009)
    await api.send_msg(ALICE, KF, "text", {"content": "x"})
    await fake.stop()
    with pytest.raises(WeChatUnreachable):
        await api.account_list()
    text = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert fake.issued_tokens and "retry 1 of 2" in text
    for secret in [*fake.issued_tokens, fake.secret]:
        assert secret not in text
    assert "access_token=" not in text and "corpsecret" not in text


@pytest.mark.parametrize(
    ("text", "sizes"),
    [
        ("", [0]),
        ("short", [5]),
        ("中" * 683, [2046, 3]),
        ("a" * 2048, [2048]),
        ("a" * 1500 + "\n" + "b" * 1000, [1500, 1000]),
        ("a" * 100 + "\n" + "b" * 3000, [2048, 1053]),
    ],
)
def test_split_text(text: str, sizes: list[int]) -> None:
    parts = split_text(text)
    assert [len(p.encode()) for p in parts] == sizes
    assert all(len(p.encode()) <= 2048 for p in parts)
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")


def test_split_text_keeps_emoji_whole() -> None:
    parts = split_text("😀" * 600)
    assert all(len(p.encode()) <= 2048 for p in parts) and "".join(parts) == "😀" * 600


async def test_replicas_share_one_token_through_the_database(
    fake: FakeWeCom, sqlite_storage: Storage
) -> None:
    """Three replicas calling at once on an empty database: one fetches under the lease,
    the others wait for what it stored."""
    clock = ManualClock(start=datetime.fromtimestamp(fake.clock, UTC))
    replicas = [
        make_api(fake, DatabaseTokenStore(sqlite_storage, "wecom:test", clock))  # type: ignore[arg-type]
        for _ in range(3)
    ]
    await asyncio.gather(*(api.account_list() for api in replicas))
    assert len(fake.calls("gettoken")) == 1
    async with sqlite_storage.transaction() as repos:
        stored = await repos.access_tokens.valid("wecom:test", clock.now())
    assert stored is not None and stored[0] in fake.issued_tokens
