"""Builders for normalized events, so handler tests read like transcripts."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import uuid
from datetime import datetime
from pathlib import Path

from handlers.commands import parse_command
from handlers.events import (
    ChatKind,
    ChatRef,
    CommandIssued,
    Event,
    Incoming,
    MemberJoined,
    MemberLeft,
    MessagePosted,
    MessageRef,
    UserRef,
)
from storage.repositories import Repositories

PLATFORM = "testnet"
GROUP = ChatRef(PLATFORM, "-100500", ChatKind.GROUP, "测试群 <Test> & co")
_message_ids = itertools.count(1)


def person(
    user_id: str, name: str | None = None, *, is_bot: bool = False, language: str | None = None
) -> UserRef:
    return UserRef(PLATFORM, user_id, name or f"user{user_id}", is_bot=is_bot, language=language)


def private_chat(user: UserRef) -> ChatRef:
    return ChatRef(PLATFORM, user.id, ChatKind.PRIVATE, user.display_name)


def incoming(*events: Event, key: str | None = None) -> Incoming:
    return Incoming(key=key or uuid.uuid4().hex, events=tuple(events))


def command(
    at: datetime,
    sender: UserRef,
    text: str,
    chat: ChatRef = GROUP,
    *,
    anonymous_admin: bool = False,
) -> CommandIssued:
    parsed = parse_command(text if text.startswith(("/", "／")) else "/" + text)
    assert parsed is not None, text
    return CommandIssued(
        chat=chat,
        occurred_at=at,
        sender=sender,
        message=MessageRef(chat, str(next(_message_ids))),
        name=parsed.name,
        args=parsed.args,
        addressed=parsed.addressed_to is not None,
        sender_is_anonymous_admin=anonymous_admin,
    )


def message(at: datetime, sender: UserRef, text: str, chat: ChatRef = GROUP) -> MessagePosted:
    return MessagePosted(
        chat=chat,
        occurred_at=at,
        sender=sender,
        message=MessageRef(chat, str(next(_message_ids))),
        text=text,
    )


def joined(at: datetime, member: UserRef, chat: ChatRef = GROUP) -> MemberJoined:
    return MemberJoined(chat=chat, occurred_at=at, member=member)


def left(at: datetime, member: UserRef, chat: ChatRef = GROUP) -> MemberLeft:
    return MemberLeft(chat=chat, occurred_at=at, member=member)


async def stored_people(
    repos: Repositories, count: int, at: datetime, platform: str = PLATFORM
) -> list[int]:
    """``count`` people stored directly (ids "0", "1", …), for storage-level tests."""
    return [
        (
            await repos.users.upsert(
                platform, str(n), display_name=f"u{n}", username=None, language=None,
                is_bot=False, at=at,
            )
        ).id
        for n in range(count)
    ]  # fmt: skip


def shequn_on(*args: str, url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``shequn ARGS`` as a real process on the database at ``url``, no other
    ``SHEQUN_*`` setting of the test's environment leaking in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHEQUN_")}
    env["SHEQUN_DATABASE__URL"] = url
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
