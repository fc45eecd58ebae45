"""Telegram's send limits held by the whole fleet, not by each replica.

python-telegram-bot's ``AIORateLimiter`` counts in one process; two replicas
under it would each send 30 messages a second. This limiter counts the same
way — every request naming a chat takes one from the overall budget (30 a
second), a group's also from that group's (20 a minute) — in moving windows
kept in Redis by the ``limits`` library, which every replica shares. A 429
pauses every replica for Telegram's ``retry_after``, as PTB's limiter pauses
its own process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from limits import RateLimitItem, RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import Redis
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.fleet.pacer import take_place

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
        self._url = redis_url
        self._prefix = prefix
        self._overall = RateLimitItemPerSecond(max(1, int(overall_per_second)))
        self._group = RateLimitItemPerMinute(max(1, int(group_per_minute)))
        self._max_retries = max_retries
        self._limiter: MovingWindowRateLimiter | None = None
        self._storage: RedisStorage | None = None
        self._redis: Redis | None = None

    async def initialize(self) -> None:
        self._storage = RedisStorage(
            "async+" + self._url, implementation="redispy", key_prefix=self._prefix + "limits"
        )
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._redis = Redis.from_url(self._url)

    async def shutdown(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None
        self._limiter = self._storage = None

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
        assert self._limiter is not None, "initialize() first"
        await take_place(self._limiter, item, MAX_NAP, *keys)

    async def _pause(self, seconds: float) -> None:
        assert self._redis is not None
        await self._redis.set(self._prefix + "telegram:paused", "1", px=int(seconds * 1000))
        await asyncio.sleep(seconds)

    async def _paused(self) -> None:
        """Wait out a 429 another replica (or this one) was told of."""
        assert self._redis is not None
        left = await self._redis.pttl(self._prefix + "telegram:paused")
        if left > 0:
            await asyncio.sleep(left / 1000)


def _seconds(value: Any) -> float:
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)
