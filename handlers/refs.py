"""Event references rebuilt from stored records (for work that runs without an update)."""

from __future__ import annotations

from handlers.events import ChatKind, ChatRef, UserRef
from storage.records import ChatRecord, UserRecord


def chat_ref(chat: ChatRecord) -> ChatRef:
    return ChatRef(chat.platform, chat.external_id, ChatKind(chat.kind), chat.title)


def user_ref(user: UserRecord) -> UserRef:
    return UserRef(
        user.platform,
        user.external_id,
        user.display_name,
        user.username,
        user.language,
        user.is_bot,
    )
