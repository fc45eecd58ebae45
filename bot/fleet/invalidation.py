"""Replicas tell each other what they changed, through Redis pub/sub.

Each replica caches what it has stored (chats, people, a chat's admins, the
FAQ index) so that a routine update costs no lookup. When one replica
changes such data it publishes what changed, after the commit; the others
drop those records (or refresh their FAQ index) as the message arrives,
well within a second. A replica that loses Redis, and may have missed
messages, drops its whole cache once it is back (one warning when Redis goes,
one line when it is back).
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

from bot.fleet.shared import Outage, connect, reason
from handlers.record_cache import PendingRecords
from storage.database import is_transient

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
        #: One client publishes, the other listens (see :func:`bot.fleet.shared.connect`).
        self._redis: Redis | None = None
        self._listener: Redis | None = None
        self._listening: asyncio.Task[None] | None = None
        self._sending: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Subscribe; a Redis that is down raises here (tried again by the caller)."""
        if self._redis is None:
            self._redis = connect(self._url)
            self._listener = connect(self._url, listening=True)
        assert self._listener is not None
        pubsub = self._listener.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self._channel)
        except BaseException:
            await pubsub.aclose()
            raise
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
        outage = Outage(
            "this replica hears of the others' changes again once it is back",
            "this replica's caches were dropped, in case it missed a change",
        )
        while True:
            try:
                if outage.since:
                    await pubsub.subscribe(self._channel)
                    await self._applied(None)  # what was missed cannot be known: drop it all
                    outage.back()
                async for item in pubsub.listen():
                    if item.get("type") != "message":
                        continue
                    message = json.loads(item["data"])
                    if message.get("from") != self._me:
                        await self._applied(message)
            except (RedisError, OSError) as error:
                outage.gone(error)
                await asyncio.sleep(RECONNECT_SECONDS)

    async def _applied(self, message: Message | None) -> None:
        """Apply one change; one that fails (the database away while the FAQ index is
        refreshed) is logged and the listening goes on: stopping would leave this
        replica deaf to every later change, while the FAQ's own sync catches up."""
        try:
            await self._apply(message)
        except Exception as error:
            if not is_transient(error):
                log.exception("could not apply another replica's change; listening on")
                return
            log.warning(
                "could not apply another replica's change (%s); listening on", reason(error)
            )

    async def stop(self) -> None:
        if self._sending:
            await asyncio.wait(set(self._sending), timeout=1)
        if self._listening is not None:
            self._listening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listening
        for client in (self._redis, self._listener):
            if client is not None:
                await client.aclose()
        self._redis = self._listener = None
