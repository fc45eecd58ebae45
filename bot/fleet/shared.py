"""What replicas count together in Redis, counted by each alone while Redis is away.

Redis holds nothing to keep (everything is in the database): the send limits it
shares are worth less than the sends themselves. :class:`RedisOrLocal` runs work
on Redis while it answers and the same work in this process while it does not,
asking Redis again every few seconds (so an outage costs no time per send) and
saying so once each way. :class:`Windows` are the ``limits`` library's moving
windows on top of it: Telegram's limiter and WeCom's pacer both take their
places there.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from limits import RateLimitItem
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import ConnectionPool, Redis
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

log = logging.getLogger(__name__)

T = TypeVar("T")
#: Seconds between tries of a Redis that was away (sends go on meanwhile).
REDIS_RETRY_SECONDS = 5.0
#: A Redis that does not answer within this long counts as away.
REDIS_TIMEOUT_SECONDS = 2.0


def connect(url: str, *, listening: bool = False) -> Redis:
    """A client that counts a Redis silent for :data:`REDIS_TIMEOUT_SECONDS` as away,
    and opens a connection Redis dropped (a restart) again once before failing.
    ``listening`` (pub/sub): reads wait as long as messages take, and a dropped
    connection is the caller's to notice, since messages may have been missed."""
    if listening:
        return Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS)
    return Redis.from_url(
        url,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 1),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
    )


def reason(error: BaseException) -> str:
    """An error's first line, for a log line or a readiness check."""
    return (str(error) or type(error).__name__).splitlines()[0][:200]


class Outage:
    """Whether Redis is away, told once each way: a warning naming ``consequence``
    when it goes, one line naming ``recovery`` when it is back."""

    def __init__(self, consequence: str, recovery: str) -> None:
        self._consequence = consequence
        self._recovery = recovery
        #: When Redis was found away (0: it answers).
        self.since = 0.0

    def gone(self, error: BaseException) -> None:
        if not self.since:
            self.since = time.monotonic()
            log.warning("Redis is unreachable (%s); %s", reason(error), self._consequence)

    def back(self) -> None:
        if self.since:
            log.info("Redis is back after %d s; %s", time.monotonic() - self.since, self._recovery)
            self.since = 0.0


class RedisOrLocal:
    """Work on Redis while it answers, in this process while it is away.

    ``what`` names what is shared, in the two lines an outage logs ("counting
    Telegram's limits in this replica alone", "Telegram's limits are shared again").
    """

    def __init__(self, url: str, what: str) -> None:
        self._url = url
        self._redis: Redis | None = None
        self._outage = Outage(
            f"counting {what} in this replica alone until it is back", f"{what} are shared again"
        )
        #: When to ask a Redis that was away again.
        self._retry_at = 0.0

    @property
    def redis(self) -> Redis:
        """The client (made on first use: in the event loop that uses it)."""
        if self._redis is None:
            self._redis = connect(self._url)
        return self._redis

    async def either(
        self, shared: Callable[[], Awaitable[T]], local: Callable[[], Awaitable[T]]
    ) -> T:
        """``shared()``, or ``local()`` while Redis is away (or just went)."""
        if self._outage.since and time.monotonic() < self._retry_at:
            return await local()
        try:
            result = await shared()
        except (RedisError, OSError) as error:
            self._outage.gone(error)
            self._retry_at = time.monotonic() + REDIS_RETRY_SECONDS
            return await local()
        self._outage.back()
        return result

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None


class Windows:
    """Moving windows kept in Redis under ``namespace`` for every replica, and in
    this process's memory while Redis is away."""

    def __init__(self, fleet: RedisOrLocal, namespace: str, longest_nap: float) -> None:
        self._fleet = fleet
        self._namespace = namespace
        self._longest_nap = longest_nap
        self._shared: MovingWindowRateLimiter | None = None
        self._pool: ConnectionPool | None = None
        self._local: MovingWindowRateLimiter | None = None

    async def take(self, item: RateLimitItem, *keys: str) -> None:
        """Wait until ``item``'s window for ``keys`` has a place for one more, and take it."""
        await self._fleet.either(
            lambda: take_place(self._on_redis(), item, self._longest_nap, *keys),
            lambda: take_place(self._in_memory(), item, self._longest_nap, *keys),
        )

    def _on_redis(self) -> MovingWindowRateLimiter:
        pool = self._fleet.redis.connection_pool  # a new one after a close
        if self._shared is None or self._pool is not pool:
            storage = RedisStorage(
                "async+redis://",  # where to connect is the pool's to say
                implementation="redispy",
                key_prefix=self._namespace,
                connection_pool=pool,
            )
            self._shared, self._pool = MovingWindowRateLimiter(storage), pool
        return self._shared

    def _in_memory(self) -> MovingWindowRateLimiter:
        if self._local is None:
            self._local = MovingWindowRateLimiter(MemoryStorage())
        return self._local


async def take_place(
    limiter: MovingWindowRateLimiter, item: RateLimitItem, longest_nap: float, *keys: str
) -> None:
    """Wait until ``item``'s window for ``keys`` has a place for one more, and take it."""
    while not await limiter.hit(item, *keys):
        stats = await limiter.get_window_stats(item, *keys)
        await asyncio.sleep(min(longest_nap, max(0.005, stats.reset_time - time.time())))


async def ping(url: str) -> None:
    """Raises unless Redis at ``url`` answers within :data:`REDIS_TIMEOUT_SECONDS`."""
    redis = connect(url)
    try:
        await redis.ping()
    finally:
        await redis.aclose()
