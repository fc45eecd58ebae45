"""Chats and people this process has already stored, so that an update from a
known, unchanged chat or member costs no database statement.

Records enter the cache only after the transaction that wrote them committed
(a rolled-back insert must not look stored), and a chat is evicted whenever a
unit of work changed it (rules, status, migration). Other processes on the
database (CLI reports) only read chats; replicas tell each other what they
changed, and :meth:`RecordCache.forget` drops it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from handlers.events import ChatRef, UserRef
from storage.records import ChatRecord, UserRecord

#: Activity timestamps are kept to this resolution: plenty for activation and
#: retention figures, and it spares a write for every command of a chatty member.
ACTIVITY_RESOLUTION = timedelta(minutes=1)


@dataclass(slots=True)
class PendingRecords:
    """What one unit of work learned, applied to the cache after it commits."""

    chats: list[ChatRecord] = field(default_factory=list)
    users: list[UserRecord] = field(default_factory=list)
    changed_chat_ids: set[int] = field(default_factory=set)
    #: People whose stored record changed behind the cache (an account linked).
    changed_users: set[tuple[str, str]] = field(default_factory=set)
    activity: list[tuple[int, int, datetime]] = field(default_factory=list)
    #: Callbacks for in-memory state that must follow committed data (the FAQ index).
    after_commit: list[Callable[[], None]] = field(default_factory=list)


class RecordCache:
    def __init__(self, limit: int = 100_000) -> None:
        self._limit = limit
        self._chats: OrderedDict[tuple[str, str], ChatRecord] = OrderedDict()
        self._users: OrderedDict[tuple[str, str], UserRecord] = OrderedDict()
        self._activity: OrderedDict[tuple[int, int], datetime] = OrderedDict()

    def chat(self, ref: ChatRef) -> ChatRecord | None:
        """The stored chat, when nothing the platform now says about it differs."""
        record = self._chats.get((ref.platform, ref.id))
        if record is None or (ref.title and record.title != ref.title[:256]):
            return None
        return record

    def user(self, ref: UserRef) -> UserRecord | None:
        """The stored person, when their profile is unchanged."""
        record = self._users.get((ref.platform, ref.id))
        if record is None:
            return None
        if (
            record.display_name != ref.display_name[:256]
            or record.username != ref.username
            or record.is_bot != ref.is_bot
            or (ref.language and record.language != ref.language[:16])
        ):
            return None
        return record

    def recently_active(self, chat_id: int, user_id: int, at: datetime) -> bool:
        """Whether the member's last activity stored is within the resolution of ``at``."""
        stored = self._activity.get((chat_id, user_id))
        return stored is not None and timedelta(0) <= at - stored < ACTIVITY_RESOLUTION

    def apply(self, pending: PendingRecords) -> None:
        for chat in pending.chats:
            self._put(self._chats, (chat.platform, chat.external_id), chat)
        for user in pending.users:
            self._put(self._users, (user.platform, user.external_id), user)
        for chat_id, user_id, at in pending.activity:
            self._put(self._activity, (chat_id, user_id), at)
        for key in pending.changed_users:
            self._users.pop(key, None)
        if pending.changed_chat_ids:
            for key in [k for k, c in self._chats.items() if c.id in pending.changed_chat_ids]:
                del self._chats[key]

    def forget(self, chat_ids: set[int], users: set[tuple[str, str]]) -> None:
        """Drop what another replica changed (or everything, when told nothing: a
        missed message cannot be known)."""
        self.apply(PendingRecords(changed_chat_ids=chat_ids, changed_users=users))

    def clear(self) -> None:
        self._chats.clear()
        self._users.clear()
        self._activity.clear()

    def _put(self, store: OrderedDict, key: tuple, value: object) -> None:
        store[key] = value
        store.move_to_end(key)
        while len(store) > self._limit:
            store.popitem(last=False)


def started(user: UserRecord, at: datetime) -> UserRecord:
    return replace(user, started_bot_at=at)
