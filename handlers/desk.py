"""``[staff]``: the staff desk — the chat where staff work tickets, and the leads'
chat for crises and missed targets.

These chats are work rooms, not community groups: no member feature runs
there (no welcome, points, topics, FAQ answers or complaint detection), and
everyone in them counts as staff for the desk commands. Each is named once,
with its platform (``telegram:-1001234567890``), whatever channel a ticket
comes from.
"""

from __future__ import annotations

from typing import Any

from pydantic import field_validator

from handlers.config import Section
from handlers.events import ChatKind, ChatRef
from storage.records import ChatRecord
from storage.repositories import Repositories


def _address(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    platform, _, chat_id = text.partition(":")
    if not platform or not chat_id:
        raise ValueError(f"{value!r} should look like telegram:-1001234567890")
    return f"{platform.lower()}:{chat_id.strip()}"


class DeskSettings(Section):
    #: The staff chat (a group), as ``platform:chat_id``.
    chat: str | None = None
    #: Where crises, escalations and missed targets go; the staff chat when unset.
    leads_chat: str | None = None

    _check = field_validator("chat", "leads_chat", mode="before")(_address)

    @property
    def rooms(self) -> frozenset[str]:
        return frozenset(address for address in (self.chat, self.leads_chat) if address)

    def is_work_room(self, chat: ChatRef | ChatRecord) -> bool:
        if isinstance(chat, ChatRecord):
            return f"{chat.platform}:{chat.external_id}" in self.rooms
        return not chat.is_private and f"{chat.platform}:{chat.id}" in self.rooms

    def room(self, leads: bool = False) -> ChatRef | None:
        """The chat a staff notice goes to (the leads' chat for leads' notices)."""
        address = (self.leads_chat or self.chat) if leads else self.chat
        if address is None:
            return None
        platform, _, chat_id = address.partition(":")
        title = "leads" if leads and self.leads_chat else "staff"
        return ChatRef(platform, chat_id, ChatKind.GROUP, title)


async def community_groups(
    repos: Repositories, desk: DeskSettings, *, one_to_one: bool = False
) -> list[ChatRecord]:
    """The groups members live in: every group but the staff desk's rooms; with
    ``one_to_one``, also the communities of members reached one to one (WeChat)."""
    chats = await repos.chats.list_groups(services=one_to_one)
    return [chat for chat in chats if not desk.is_work_room(chat)]
