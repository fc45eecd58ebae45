"""Telegram updates → normalized events, on real payloads (tests/data/telegram_updates)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from telegram import Update

from bot.channels.telegram.convert import to_incoming
from handlers.events import (
    BotAddedToChat,
    BotRemovedFromChat,
    ButtonPressed,
    ChatKind,
    ChatMigrated,
    CommandIssued,
    MemberJoined,
    MemberLeft,
    MessagePosted,
    ModeratorsChanged,
)

DATA = Path(__file__).parent / "data" / "telegram_updates"
BOT_ID = 1995173476  # the bot of the captured telegram4j sequence
BOT_NAME = "SkatTestBot"


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text("utf-8"))


def convert(payload: dict[str, Any], bot_id: int = BOT_ID, bot_name: str | None = BOT_NAME):
    return to_incoming(Update.de_json(payload, None), bot_id, bot_name)


def with_is_bot(payload: dict[str, Any]) -> dict[str, Any]:
    """Pre-2017 payloads lack ``is_bot``, which current Bot API objects always carry."""
    payload = copy.deepcopy(payload)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "first_name" in node and "id" in node and node.get("type") is None:
                node.setdefault("is_bot", False)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(payload)
    return payload


def test_private_start_command() -> None:
    incoming = convert(with_is_bot(load("official_webhooks_message_start_private.json")))
    [event] = incoming.events
    assert isinstance(event, CommandIssued)
    assert incoming.key == "10000"
    assert event.name == "start" and event.args == ""
    assert event.chat.kind is ChatKind.PRIVATE and event.chat.id == "1111111"
    assert event.sender.display_name == "Test Firstname Test Lastname"


def test_command_addressed_to_another_bot_is_ignored() -> None:
    payload = with_is_bot(load("official_webhooks_message_start_private.json"))
    payload["message"]["text"] = "/help@OtherBot"
    payload["message"]["entities"] = [{"type": "bot_command", "offset": 0, "length": 14}]
    assert convert(payload).events == ()
    payload["message"]["text"] = "/Help@skattestbot now please"
    [event] = convert(payload).events
    assert isinstance(event, CommandIssued)
    assert (event.name, event.args, event.addressed) == ("help", "now please", True)


def test_plain_private_text() -> None:
    [event] = convert(load("teloxide_message_private_text.json")).events
    assert isinstance(event, MessagePosted)
    assert (
        event.text == "4" and event.sender.language == "en" and event.sender.username == "hirrolot"
    )


def test_reply_to_message() -> None:
    payload = with_is_bot(load("official_webhooks_message_reply.json"))
    payload["message"]["text"] = "I agree"
    [event] = convert(payload).events
    assert isinstance(event, MessagePosted)
    assert event.reply_to is not None and event.reply_to.id == "1334"
    assert not event.reply_to_bot


def test_slash_that_is_not_a_command_is_text() -> None:
    payload = load("teloxide_message_private_text.json")
    for text in ("/ spaced", "//double", "/", "/名字"):
        payload["message"]["text"] = text
        [event] = convert(payload).events
        assert isinstance(event, MessagePosted), text


def test_new_chat_members_service_message() -> None:
    payload = {"update_id": 5, "message": load("tgbot_message_new_chat_members.json")}
    [event] = convert(payload).events
    assert isinstance(event, MemberJoined)
    assert event.member.id == "1" and event.chat.kind is ChatKind.GROUP
    assert event.invited_by is None  # joined by themself


def test_left_chat_member_legacy_payload() -> None:
    [event] = convert(with_is_bot(load("issue_cjbot22_left_chat_member_supergroup.json"))).events
    assert isinstance(event, MemberLeft)
    assert event.chat.id == "-1001043020159"
    assert event.member.display_name == "Федя Шультцев"


def test_chat_member_kicked_is_a_leave_with_actor() -> None:
    [event] = convert(load("tgbot_chat_member_kicked.json")).events
    assert isinstance(event, MemberLeft)
    assert event.member.id == "2" and event.removed_by is not None and event.removed_by.id == "1"


def test_chat_member_join_derived_from_the_kick_payload() -> None:
    payload = load("tgbot_chat_member_kicked.json")
    change = payload["chat_member"]
    change["old_chat_member"] = {"status": "left", "user": change["new_chat_member"]["user"]}
    change["new_chat_member"] = {"status": "member", "user": change["old_chat_member"]["user"]}
    [event] = convert(payload).events
    assert isinstance(event, MemberJoined) and event.member.id == "2"


def test_promotion_is_a_moderator_change() -> None:
    payload = load("tgbot_chat_member_kicked.json")
    change = payload["chat_member"]
    user = change["new_chat_member"]["user"]
    change["old_chat_member"] = {"status": "member", "user": user}
    change["new_chat_member"] = {
        "status": "administrator",
        "user": user,
        "can_be_edited": False,
        "is_anonymous": False,
        "can_manage_chat": True,
        "can_delete_messages": True,
        "can_manage_video_chats": True,
        "can_restrict_members": True,
        "can_promote_members": False,
        "can_change_info": True,
        "can_invite_users": True,
        "can_post_stories": False,
        "can_edit_stories": False,
        "can_delete_stories": False,
    }
    [event] = convert(payload).events
    assert isinstance(event, ModeratorsChanged) and event.member.id == "2"


def modernize_admin_rights(payload: Any) -> Any:
    """The 2021 capture predates Bot API renames (voice → video chats) and story rights."""
    text = json.dumps(payload).replace("can_manage_voice_chats", "can_manage_video_chats")
    payload = json.loads(text)
    for update in payload:
        member = update.get("my_chat_member", {}).get("new_chat_member", {})
        if member.get("status") == "administrator":
            for right in ("can_post_stories", "can_edit_stories", "can_delete_stories"):
                member.setdefault(right, False)
    return payload


def test_captured_group_lifecycle() -> None:
    """Bot added → group migrated to a supergroup → anonymous admin posts → bot promoted."""
    updates = modernize_admin_rights(load("telegram4j_group_lifecycle_updates.json"))
    events = [convert(u).events for u in updates]
    [added] = events[0]
    assert isinstance(added, BotAddedToChat) and not added.is_admin
    assert added.added_by is not None and added.added_by.username == "Skat_ina"
    migrations = [e for batch in events[1:3] for e in batch if isinstance(e, ChatMigrated)]
    assert migrations, "the migration service message must become ChatMigrated"
    for migrated in migrations:
        assert migrated.chat.id.startswith("-100") and migrated.old_chat_id != migrated.chat.id
    promoted = [e for e in events[3] if isinstance(e, ModeratorsChanged)]
    assert promoted and promoted[0].member.id == str(BOT_ID)


def test_bot_removed_from_group() -> None:
    update = load("telegram4j_group_lifecycle_updates.json")[0]
    change = update["my_chat_member"]
    change["old_chat_member"], change["new_chat_member"] = (
        {"status": "member", "user": change["new_chat_member"]["user"]},
        {"status": "left", "user": change["new_chat_member"]["user"]},
    )
    [event] = convert(update).events
    assert isinstance(event, BotRemovedFromChat)


def test_user_blocking_the_bot_in_private_means_nothing_for_chats() -> None:
    assert convert(load("teloxide_my_chat_member_private_blocked.json"), bot_id=1).events == ()


def test_callback_query_without_message_is_a_private_press() -> None:
    payload = load("tgbot_callback_query_minimal.json")
    payload["callback_query"]["chat_instance"] = "ci"
    payload["callback_query"]["data"] = "faq:up:3"
    [event] = convert(payload).events
    assert isinstance(event, ButtonPressed)
    assert event.press_id == "query-id" and event.data == "faq:up:3" and event.chat.is_private


def test_join_request_is_not_handled_yet() -> None:
    payload = load("tgbot_chat_join_request.json")
    payload["chat_join_request"]["user_chat_id"] = 1  # required since Bot API 6.5
    assert convert(payload).events == ()


def test_anonymous_admin_message_counts_as_moderator_command() -> None:
    payload = {
        "update_id": 9,
        "message": {
            "message_id": 3,
            "date": 1629498900,
            "chat": {"id": -1001538393672, "title": "MindustrInside", "type": "supergroup"},
            "from": {
                "id": 1087968824,
                "is_bot": True,
                "first_name": "Group",
                "username": "GroupAnonymousBot",
            },
            "sender_chat": {"id": -1001538393672, "title": "MindustrInside", "type": "supergroup"},
            "text": "/setrules be nice",
            "entities": [{"type": "bot_command", "offset": 0, "length": 9}],
        },
    }
    [event] = convert(payload).events
    assert isinstance(event, CommandIssued) and event.sender_is_anonymous_admin
    assert event.args == "be nice"


@pytest.mark.parametrize("sender_chat_id", [-100777])
def test_linked_channel_forward_is_ignored(sender_chat_id: int) -> None:
    payload = {
        "update_id": 10,
        "message": {
            "message_id": 4,
            "date": 1629498900,
            "chat": {"id": -1001538393672, "title": "G", "type": "supergroup"},
            "from": {"id": 777000, "is_bot": False, "first_name": "Telegram"},
            "sender_chat": {"id": sender_chat_id, "title": "News", "type": "channel"},
            "text": "channel post",
        },
    }
    assert convert(payload).events == ()


def _reaction(old: list[str], new: list[str], user: dict[str, Any] | None) -> dict[str, Any]:
    update: dict[str, Any] = {
        "update_id": 90,
        "message_reaction": {
            "chat": {"id": -1001, "type": "supergroup", "title": "g"},
            "message_id": 77,
            "date": 1764000000,
            "old_reaction": [{"type": "emoji", "emoji": e} for e in old],
            "new_reaction": [{"type": "emoji", "emoji": e} for e in new],
        },
    }
    if user is not None:
        update["message_reaction"]["user"] = user
    return update


def test_an_added_reaction_becomes_an_event_and_the_rest_nothing() -> None:
    from handlers.events import ReactionAdded

    member = {"id": 5, "is_bot": False, "first_name": "Ann"}
    [event] = convert(_reaction([], ["👍"], member)).events
    assert isinstance(event, ReactionAdded)
    assert (event.sender.id, event.message.id, event.chat.id) == ("5", "77", "-1001")
    assert convert(_reaction(["👍"], [], member)).events == ()  # removed
    assert convert(_reaction(["👍"], ["❤"], member)).events == ()  # changed, not added
    assert convert(_reaction([], ["👍"], None)).events == ()  # anonymous
