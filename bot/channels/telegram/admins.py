"""Who administers a Telegram chat, cached.

``getChatAdministrators`` is asked at most once per chat per
``ttl`` seconds, and again right after a ``chat_member`` update changed
someone's admin status.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from telegram.error import TelegramError

log = logging.getLogger(__name__)

FetchAdmins = Callable[[int], Awaitable[frozenset[int]]]


class AdminCache:
    def __init__(self, fetch: FetchAdmins, ttl: float, clock: Callable[[], float] = time.monotonic):
        self._fetch = fetch
        self._ttl = ttl
        self._clock = clock
        self._entries: dict[int, tuple[float, frozenset[int]]] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    async def admins(self, chat_id: int) -> frozenset[int]:
        entry = self._entries.get(chat_id)
        if entry and entry[0] > self._clock():
            return entry[1]
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        async with lock:  # one fetch per chat, however many callers wait
            entry = self._entries.get(chat_id)
            if entry and entry[0] > self._clock():
                return entry[1]
            try:
                admins = await self._fetch(chat_id)
            except TelegramError as error:
                log.warning("could not read the admins of chat %s: %s", chat_id, error)
                return entry[1] if entry else frozenset()
            self._entries[chat_id] = (self._clock() + self._ttl, admins)
            return admins

    def invalidate(self, chat_id: int) -> None:
        self._entries.pop(chat_id, None)

    def clear(self) -> None:
        self._entries.clear()
