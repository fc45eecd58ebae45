"""Behaviour of the platform-neutral core, with no platform at all.

Each test drives the real dispatcher, router, handlers and an SQLite file
through normalized events and asserts on the actions that come back.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from markupsafe import Markup

from bot.app import App, build_app
from bot.channels.rendering import plain_text
from handlers.actions import Action, SendMessage, SendPrivate
from handlers.basics import MAX_RULES_LENGTH
from handlers.clock import ManualClock
from handlers.events import BotAddedToChat, ButtonPressed
from storage.database import Storage
from tests.conftest import FakePlatform, make_settings
from tests.helpers import GROUP, command, incoming, message, person, private_chat

ALICE = person("1001", "Alice")
MOD = person("42", "Mod <b>Boss</b>")


async def run(app: App, platform: FakePlatform, *events, key: str | None = None) -> list[Action]:
    return await app.dispatcher.handle(incoming(*events, key=key), platform)


def texts_of(actions: list[Action]) -> list[str]:
    return [plain_text(a.text) for a in actions if hasattr(a, "text") and a.text is not None]


async def test_help_in_private_lists_member_commands_only(app: App, platform: FakePlatform) -> None:
    now = app.clock.now()
    actions = await run(app, platform, command(now, ALICE, "/help", private_chat(ALICE)))
    [text] = texts_of(actions)
    assert "/start" in text and "/help" in text
    # Group-only and admin commands are not offered where they cannot be used.
    assert "/rules" not in text and "/setrules" not in text and "/settings" not in text


async def test_help_in_group_goes_privately_with_the_group_as_fallback(
    app: App, platform: FakePlatform
) -> None:
    platform.admins.add(MOD.id)
    [action] = await run(app, platform, command(app.clock.now(), MOD, "/help"))
    assert isinstance(action, SendPrivate)
    assert action.user == MOD and action.fallback_chat == GROUP
    text = plain_text(action.text)
    assert "/setrules" in text and "/settings" in text  # a moderator sees admin commands


async def test_admin_command_from_member_is_refused_and_changes_nothing(
    app: App, platform: FakePlatform
) -> None:
    now = app.clock.now()
    [refusal] = await run(app, platform, command(now, ALICE, "/setrules no rules at all"))
    assert "/setrules" in plain_text(refusal.text)
    [answer] = await run(app, platform, command(now, ALICE, "/rules"))
    assert "还没有设置群规" in plain_text(answer.text)


async def test_moderator_sets_rules_and_user_text_is_escaped(
    app: App, platform: FakePlatform
) -> None:
    platform.admins.add(MOD.id)
    now = app.clock.now()
    rules = '1. Be kind <script>alert("x")</script> & no ads'
    [saved] = await run(app, platform, command(now, MOD, f"/setrules {rules}"))
    assert isinstance(saved, SendMessage) and saved.reply_to is not None
    [shown] = await run(app, platform, command(now, ALICE, "/rules"))
    assert "<script>" not in str(shown.text)
    assert "&lt;script&gt;" in str(shown.text) and "&amp; no ads" in str(shown.text)
    assert rules in plain_text(shown.text)
    # The group title is user-supplied too.
    assert "&lt;Test&gt; &amp; co" in str(shown.text)


async def test_rules_argument_errors_are_explained(app: App, platform: FakePlatform) -> None:
    platform.admins.add(MOD.id)
    now = app.clock.now()
    [usage] = await run(app, platform, command(now, MOD, "/setrules"))
    assert "/setrules" in plain_text(usage.text) and "例如" in plain_text(usage.text)
    [too_long] = await run(
        app, platform, command(now, MOD, "/setrules " + "规" * (MAX_RULES_LENGTH + 1))
    )
    assert str(MAX_RULES_LENGTH) in plain_text(too_long.text)
    [cleared] = await run(app, platform, command(now, MOD, "/setrules -"))
    assert "清除" in plain_text(cleared.text)


async def test_anonymous_admin_and_configured_moderator_count_as_moderators(
    app: App, platform: FakePlatform
) -> None:
    now = app.clock.now()
    anon = person(GROUP.id, "测试群")
    [saved] = await run(
        app, platform, command(now, anon, "/setrules anon rules", anonymous_admin=True)
    )
    assert "已更新" in plain_text(saved.text)
    configured = person("777", "Configured")
    object.__setattr__(app.community, "moderators", frozenset({"testnet:777"}))
    [settings] = await run(app, platform, command(now, configured, "/settings"))
    assert "Asia/Shanghai" in plain_text(settings.text)


async def test_unknown_commands_answer_only_where_addressed(
    app: App, platform: FakePlatform
) -> None:
    now = app.clock.now()
    assert await run(app, platform, command(now, ALICE, "/nosuch")) == []  # another bot's command
    [addressed] = await run(app, platform, command(now, ALICE, "/nosuch@shequn_bot"))
    assert "/nosuch" in plain_text(addressed.text) and "/help" in plain_text(addressed.text)
    [private] = await run(app, platform, command(now, ALICE, "/nosuch", private_chat(ALICE)))
    assert "/help" in plain_text(private.text)


async def test_group_only_command_in_private_is_explained(app: App, platform: FakePlatform) -> None:
    [answer] = await run(
        app, platform, command(app.clock.now(), ALICE, "/rules", private_chat(ALICE))
    )
    assert "只能在群里" in plain_text(answer.text)


async def test_huge_message_is_recorded_without_reply(app: App, platform: FakePlatform) -> None:
    now = app.clock.now()
    text = "长" * 5000 + "\u200b\u202e" + "🙂" * 100
    actions = await run(app, platform, message(now, ALICE, text))
    # Nothing in the group; the first message's badges are told privately.
    assert not [a for a in actions if isinstance(a, SendMessage)]
    assert all(isinstance(a, SendPrivate) and "勋章" in plain_text(a.text) for a in actions)
    async with app.storage.transaction() as repos:
        chat = await repos.chats.get(GROUP.platform, GROUP.id)
        user = await repos.users.get(ALICE.platform, ALICE.id)
        assert chat and user
        member = await repos.members.get(chat.id, user.id)
        assert member is not None and member.message_count == 1
        account = await repos.points.account(chat.id, user.id)
        assert account is not None and account.balance == 1  # a long message earns like any


async def test_lone_surrogates_and_nul_are_replaced_not_a_failed_update(
    tmp_path: Path, storage: Storage, clock: ManualClock, platform: FakePlatform
) -> None:
    """JSON may carry ``"\\ud800"`` or ``"\\u0000"``, which PostgreSQL does not store
    in text: a member named with one, writing one, still gets their answer and their
    ticket, with U+FFFD in its place, on either database."""
    app = build_app(make_settings(tmp_path), clock=clock, storage=storage)
    now = app.clock.now()
    odd = person("1002", "bad\ud800name\x00")
    await run(app, platform, message(now, odd, "大家好，我是新来的\udc00\x00"))
    actions = await run(app, platform, command(now, odd, "/complain 退款\ud83d三周了\x00还没到账"))
    assert any("工单 #1" in text for text in texts_of(actions))
    async with app.storage.transaction() as repos:
        user = await repos.users.get(odd.platform, odd.id)
        ticket = await repos.tickets.get(1)
    assert user is not None and user.display_name == "bad\ufffdname\ufffd"
    assert ticket is not None and ticket.text == "退款\ufffd三周了\ufffd还没到账"


async def test_private_message_gets_a_hint(app: App, platform: FakePlatform) -> None:
    [hint] = await run(app, platform, message(app.clock.now(), ALICE, "你好", private_chat(ALICE)))
    assert "/help" in plain_text(hint.text)


async def test_english_community_answers_in_english(app: App, platform: FakePlatform) -> None:
    object.__setattr__(app.community, "language", "en")
    [answer] = await run(app, platform, command(app.clock.now(), ALICE, "/rules"))
    assert "no rules yet" in plain_text(answer.text)


async def test_private_chat_follows_the_members_language(app: App, platform: FakePlatform) -> None:
    bob = person("55", "Bob", language="en-US")
    [answer] = await run(app, platform, command(app.clock.now(), bob, "/start", private_chat(bob)))
    assert "Hi Bob" in plain_text(answer.text)


async def test_bot_added_without_admin_asks_for_rights(app: App, platform: FakePlatform) -> None:
    actions = await run(
        app, platform, BotAddedToChat(chat=GROUP, occurred_at=app.clock.now(), is_admin=False)
    )
    assert len(actions) == 2 and "管理员" in plain_text(actions[1].text)


async def test_stale_button_is_acknowledged(app: App, platform: FakePlatform) -> None:
    press = ButtonPressed(
        chat=GROUP,
        occurred_at=app.clock.now(),
        sender=ALICE,
        message=None,
        data="old",
        press_id="q1",
    )
    [toast] = await run(app, platform, press)
    assert toast.press_id == "q1" and "过期" in (toast.text or "")


async def test_updates_of_one_chat_keep_their_order(app: App, platform: FakePlatform) -> None:
    """Concurrent deliveries of one chat's updates come out in arrival order."""
    platform.admins.add(MOD.id)
    now = app.clock.now()
    delivered: list[str] = []

    async def deliver(actions: list[Action]) -> None:
        await asyncio.sleep(0.01)  # a slow network must not reorder replies
        delivered.extend(plain_text(a.text) for a in actions)

    steps = []
    for version in range(5):
        steps.append(command(now, MOD, f"/setrules v{version}"))
        steps.append(command(now, ALICE, "/rules"))
    await asyncio.gather(*(app.dispatcher.handle(incoming(s), platform, deliver) for s in steps))
    shown = [line for line in delivered if "群规\n" in line]
    assert [s.rsplit("v", 1)[1] for s in shown] == ["0", "1", "2", "3", "4"]


async def test_a_failing_handler_gets_a_friendly_error(app: App, platform: FakePlatform) -> None:
    async def broken(event, ctx):
        raise RuntimeError("boom")

    from handlers.router import Command

    app.router.command(Command("broken", broken, help_key="help.help"))
    [answer] = await run(app, platform, command(app.clock.now(), ALICE, "/broken"))
    assert "出错" in plain_text(answer.text)
    assert isinstance(answer.text, Markup)


async def test_id_tells_the_ids_the_configuration_needs(app: App, platform: FakePlatform) -> None:
    now = app.clock.now()
    [ids] = await run(app, platform, command(now, ALICE, "/id"))
    text = plain_text(ids.text)
    assert "本群 ID：testnet:-100500" in text and "你的 ID：testnet:1001" in text
    base = command(now, MOD, "/id")
    replying = type(base)(**{**_fields(base), "reply_to_sender": ALICE})
    [other] = await run(app, platform, replying)
    assert "Alice的 ID：testnet:1001" in plain_text(other.text)
    [private] = await run(app, platform, command(now, ALICE, "/id", private_chat(ALICE)))
    assert "本群" not in plain_text(private.text)
    platform.admins.add(MOD.id)
    [shown] = await run(app, platform, command(now, MOD, "/settings"))
    settings = plain_text(shown.text)
    assert "本群 ID：testnet:-100500" in settings and "接收方式：test" in settings


def _fields(event: object) -> dict[str, object]:
    return {name: getattr(event, name) for name in event.__dataclass_fields__}  # type: ignore[attr-defined]


async def test_a_keyword_is_the_command_with_the_callers_roles(
    app: App, platform: FakePlatform
) -> None:
    """帮助 typed by a group admin is their /help: roles are looked up for the command
    the keyword stands for, so the admin commands are listed as for /help itself."""
    platform.admins.add(MOD.id)
    [action] = await run(app, platform, message(app.clock.now(), MOD, "帮助"))
    assert isinstance(action, SendPrivate)
    assert "/setrules" in plain_text(action.text) and "/givepoints" in plain_text(action.text)
