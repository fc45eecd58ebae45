"""WeCom's per-person and robot limits held by the whole fleet, in Redis.

The WeCom channel paces its messages (:class:`bot.channels.wechat.wecom_api.Pacer`:
30 a minute and 1,000 an hour to each person, 20 a minute for a group robot)
in its own process; replicas share one budget instead, through the ``limits``
library's moving windows kept in Redis. While Redis is away each replica paces
in its own memory (:mod:`bot.fleet.shared`, as Telegram's limits are counted):
a message to staff is worth more than a shared count.
"""

from __future__ import annotations

from limits import RateLimitItemPerSecond

from bot.fleet.shared import RedisOrLocal, Windows

#: The longest single wait for a window to free a place (then it is asked again).
MAX_NAP = 2.0


class FleetPacer:
    """WeCom's limits (messages a minute and an hour to each person, 20 a minute for a
    group robot) for the whole fleet: :class:`bot.channels.wechat.wecom_api.Pacer`'s
    ``wait``, the windows kept in Redis (``fleet``, which pacers of one channel share,
    so that an outage is told once)."""

    def __init__(
        self, fleet: RedisOrLocal, prefix: str, name: str, limits: list[tuple[int, float]]
    ) -> None:
        self._windows = Windows(fleet, f"{prefix}limits", MAX_NAP)
        self._name = name
        self._items = [
            RateLimitItemPerSecond(count, max(1, int(seconds))) for count, seconds in limits
        ]

    async def wait(self, *people: str) -> None:
        """Returns once one more message to each of ``people`` keeps every limit."""
        for person in people:
            for item in self._items:
                await self._windows.take(item, self._name, person)
