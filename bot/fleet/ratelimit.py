"""Telegram's send limits held by the whole fleet, not by each replica.

python-telegram-bot's ``AIORateLimiter`` counts in one process; two replicas
under it would each send 30 messages a second. This limiter counts the same
way — every request naming a chat takes one from the overall budget (30 a
second), a group's also from that group's (20 a minute) — in moving windows
kept in Redis by the ``limits`` library, which every replica shares. A 429
pauses every replica for Telegram's ``retry_after``, as PTB's limiter pauses
its own process. While Redis is away the replica counts in its own memory
(:mod:`bot.fleet.shared`: one warning, and one line when Redis is back): a reply
or a welcome is worth more than a shared count, and a 429 is still waited out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from limits import RateLimitItem, RateLimitItemPerMinute, RateLimitItemPerSecond
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.fleet.shared import RedisOrLocal, Windows

log = logging.getLogger(__name__)

JSONDict = dict[str, Any]
#: The longest single wait for a window to free a place (then it is asked again).
MAX_NAP = 0.5


class FleetRateLimiter(BaseRateLimiter[int]):
    def __init__(
        self,
        redis_url: str,
        prefix: str,
        *,
        overall_per_second: float,
        group_per_minute: float,
        max_retries: int,
    ) -> None:
        self._prefix = prefix
        self._overall = RateLimitItemPerSecond(max(1, int(overall_per_second)))
        self._group = RateLimitItemPerMinute(max(1, int(group_per_minute)))
        self._max_retries = max_retries
        self._fleet = RedisOrLocal(redis_url, "Telegram's limits")
        self._windows = Windows(self._fleet, prefix + "limits", MAX_NAP)
        #: This process's own pause, while Redis is away.
        self._local_pause_until = 0.0

    async def initialize(self) -> None:
        """Nothing to do: Redis is connected to at the first send (it may be away)."""

    async def shutdown(self) -> None:
        await self._fleet.close()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        chat_id = data.get("chat_id")
        group: str | None = None
        with contextlib.suppress(ValueError, TypeError):
            chat_id = int(chat_id)  # type: ignore[arg-type]
        if (isinstance(chat_id, int) and chat_id < 0) or isinstance(chat_id, str):
            group = str(chat_id)
        max_retries = rate_limit_args or self._max_retries
        for attempt in range(max_retries + 1):
            await self._paused()
            if group is not None:
                await self._take(self._group, "group", group)
            if chat_id is not None:
                await self._take(self._overall, "overall")
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                if attempt == max_retries:
                    raise
                wait = _seconds(error.retry_after) + 0.1
                log.info("Telegram asks every replica to wait %.1f s (429)", wait)
                await self._pause(wait)
        raise AssertionError("unreachable")

    async def _take(self, item: RateLimitItem, *keys: str) -> None:
        await self._windows.take(item, *keys)

    async def _pause(self, seconds: float) -> None:
        self._local_pause_until = time.monotonic() + seconds
        key = self._prefix + "telegram:paused"
        await self._fleet.either(
            lambda: self._fleet.redis.set(key, "1", px=int(seconds * 1000)), _nothing
        )
        await asyncio.sleep(seconds)

    async def _paused(self) -> None:
        """Wait out a 429 another replica (or this one) was told of."""
        left = await self._fleet.either(
            lambda: self._fleet.redis.pttl(self._prefix + "telegram:paused"), self._own_pause
        )
        if left > 0:
            await asyncio.sleep(left / 1000)

    async def _own_pause(self) -> float:
        """Milliseconds left of this process's own pause (Redis away)."""
        return (self._local_pause_until - time.monotonic()) * 1000


async def _nothing() -> None:
    return None


def _seconds(value: Any) -> float:
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)
