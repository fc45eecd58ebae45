"""WeCom's per-person and robot limits held by the whole fleet, in Redis.

The WeCom channel paces its messages (:class:`bot.channels.wechat.wecom_api.Pacer`:
30 a minute and 1,000 an hour to each person, 20 a minute for a group robot)
in its own process; replicas share one budget instead, through the ``limits``
library's moving windows kept in Redis.
"""

from __future__ import annotations

import asyncio
import time

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter

#: The longest single wait for a window to free a place (then it is asked again).
MAX_NAP = 2.0


class FleetPacer:
    """WeCom's limits (messages a minute and an hour to each person, 20 a minute for a
    group robot) for the whole fleet: :class:`bot.channels.wechat.wecom_api.Pacer`'s
    ``wait``, the windows kept in Redis."""

    def __init__(
        self, redis_url: str, prefix: str, name: str, limits: list[tuple[int, float]]
    ) -> None:
        self._url = redis_url
        self._namespace = f"{prefix}limits"
        self._name = name
        self._items = [
            RateLimitItemPerSecond(count, max(1, int(seconds))) for count, seconds in limits
        ]
        self._limiter: MovingWindowRateLimiter | None = None

    async def wait(self, *people: str) -> None:
        """Returns once one more message to each of ``people`` keeps every limit."""
        if self._limiter is None:
            storage = RedisStorage(
                "async+" + self._url, implementation="redispy", key_prefix=self._namespace
            )
            self._limiter = MovingWindowRateLimiter(storage)
        for person in people:
            for item in self._items:
                await take_place(self._limiter, item, MAX_NAP, self._name, person)


async def take_place(
    limiter: MovingWindowRateLimiter, item: RateLimitItem, longest_nap: float, *keys: str
) -> None:
    """Wait until ``item``'s window for ``keys`` has a place for one more, and take it."""
    while not await limiter.hit(item, *keys):
        stats = await limiter.get_window_stats(item, *keys)
        await asyncio.sleep(min(longest_nap, max(0.005, stats.reset_time - time.time())))
