"""Replicas tell each other what they changed, through Redis pub/sub.

Each replica caches what it has stored (chats, people, a chat's admins, the
FAQ index) so that a routine update costs no lookup. When one replica
changes such data it publishes what changed, after the commit; the others
drop those records (or refresh their FAQ index) as the message arrives,
well within a second. A replica that loses Redis, and may have missed
messages, drops its whole cache once it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from handlers.record_cache import PendingRecords

log = logging.getLogger(__name__)

#: Seconds between attempts to reach Redis again.
RECONNECT_SECONDS = 1.0

Message = dict[str, Any]


def changes_of(pending: PendingRecords) -> Message:
    """What a committed unit of work changed that others may hold in their caches."""
    chats = set(pending.changed_chat_ids) | {chat.id for chat in pending.chats}
    users = set(pending.changed_users) | {(u.platform, u.external_id) for u in pending.users}
    message: Message = {}
    if chats:
        message["chats"] = sorted(chats)
    if users:
        message["users"] = sorted(users)
    return message


class Invalidation:
    def __init__(
        self,
        url: str,
        prefix: str,
        replica_id: str,
        apply: Callable[[Message | None], Awaitable[None]],
    ) -> None:
        """``apply(message)``: drop what ``message`` names; ``apply(None)``: drop all."""
        self._url = url
        self._channel = prefix + "invalidate"
        self._me = replica_id
        self._apply = apply
        self._redis: Redis | None = None
        self._listening: asyncio.Task[None] | None = None
        self._sending: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._redis = Redis.from_url(self._url)
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(self._channel)  # a Redis that is down stops the start here
        self._listening = asyncio.create_task(self._listen(pubsub), name="invalidation")

    def publish(self, message: Message) -> None:
        """Tell the other replicas (in the background: never delays a reply)."""
        if not message or self._redis is None:
            return
        body = json.dumps({**message, "from": self._me})
        task = asyncio.create_task(self._send(body))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _send(self, body: str) -> None:
        assert self._redis is not None
        try:
            await self._redis.publish(self._channel, body)
        except RedisError as error:  # others' caches expire or are cleared on reconnect
            log.warning("could not tell the other replicas of a change: %s", error)

    async def _listen(self, pubsub: Any) -> None:
        while True:
            try:
                async for item in pubsub.listen():
                    if item.get("type") != "message":
                        continue
                    message = json.loads(item["data"])
                    if message.get("from") != self._me:
                        await self._apply(message)
            except (RedisError, OSError) as error:
                log.warning("lost Redis (%s); reconnecting", str(error)[:200])
                await asyncio.sleep(RECONNECT_SECONDS)
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.subscribe(self._channel)
                    await self._apply(None)  # what was missed cannot be known: drop it all

    async def stop(self) -> None:
        if self._sending:
            await asyncio.wait(set(self._sending), timeout=1)
        if self._listening is not None:
            self._listening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listening
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None
