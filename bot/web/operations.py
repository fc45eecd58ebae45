"""``GET /readyz`` and ``GET /metrics``: what a load balancer and Prometheus ask.

``/healthz`` (on :class:`bot.web.server.WebServer`) says the process is alive;
``/readyz`` says it can do its work: the database answers, its schema is the
one this version expects, and each channel reaches its platform. A replica
that is not ready is taken out of the balancer's rotation, not restarted.
Replicas also report Redis, as ``degraded`` while it is away, but stay ready:
they still serve (each counting the send limits alone), and a fleet taken out
of rotation for a Redis outage would serve nobody.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.metrics import Metrics
from storage.database import Storage
from storage.migrate import current_revision, head_revision

log = logging.getLogger(__name__)

#: Seconds each readiness check may take.
CHECK_TIMEOUT = 3.0
#: A channel's answer about its platform is reused this long (readiness is polled).
REACH_CACHE_SECONDS = 10.0

#: Checks reported but not required: the replica serves without them.
ADVISORY = frozenset({"redis"})

Reach = Callable[[], Awaitable[None]]


class Operations:
    def __init__(
        self,
        storage: Storage,
        metrics: Metrics,
        channels: Sequence[Any],
        leads: Callable[[], bool],
        redis: Reach | None = None,
    ) -> None:
        """``redis``: raises unless Redis answers (replicas only)."""
        self._storage = storage
        self._redis = redis
        self._metrics = metrics
        self._leads = leads
        #: Channels that can tell whether they reach their platform (``reach()``).
        self._reach: dict[str, Reach] = {
            channel.name: channel.reach for channel in channels if hasattr(channel, "reach")
        }
        self._reached: dict[str, tuple[float, str]] = {}
        self._head = head_revision()

    def routes(self) -> list[Route]:
        return [
            Route("/readyz", self._ready, methods=["GET"]),
            Route("/metrics", self._metrics_page, methods=["GET"]),
        ]

    async def checks(self) -> dict[str, str]:
        """Each check's outcome: ``ok`` or why not, in a few words."""
        results = {"database": "ok", "migrations": "ok"}
        try:
            await asyncio.wait_for(self._storage.ping(), CHECK_TIMEOUT)
        except Exception as error:
            results["database"] = _reason(error)
            results["migrations"] = "unknown: the database does not answer"
        else:
            try:
                current = await asyncio.wait_for(
                    current_revision(self._storage.engine), CHECK_TIMEOUT
                )
            except Exception as error:
                results["migrations"] = _reason(error)
            else:
                if current != self._head:
                    results["migrations"] = f"schema at {current}, this version needs {self._head}"
        for name, reach in self._reach.items():
            results[name] = await self._reached_lately(name, reach)
        if self._redis is not None:
            results["redis"] = await self._redis_state(self._redis)
        return results

    @staticmethod
    async def _redis_state(ping: Reach) -> str:
        """``ok``, or ``degraded: why`` (not a reason to leave the rotation)."""
        try:
            await asyncio.wait_for(ping(), CHECK_TIMEOUT)
        except Exception as error:
            return f"degraded: {_reason(error)}"
        return "ok"

    async def _reached_lately(self, name: str, reach: Reach) -> str:
        known = self._reached.get(name)
        if known is not None and time.monotonic() - known[0] < REACH_CACHE_SECONDS:
            return known[1]
        try:
            await asyncio.wait_for(reach(), CHECK_TIMEOUT)
            result = "ok"
        except Exception as error:
            result = _reason(error)
        self._reached[name] = (time.monotonic(), result)
        return result

    async def _ready(self, _request: Request) -> Response:
        results = await self.checks()
        ready = all(value == "ok" for name, value in results.items() if name not in ADVISORY)
        return JSONResponse({"ready": ready, "checks": results}, status_code=200 if ready else 503)

    async def _metrics_page(self, _request: Request) -> Response:
        from prometheus_client import CONTENT_TYPE_LATEST

        try:
            body = await self._metrics.exposition(self._storage, leader=self._leads())
        except Exception as error:  # the database away: say so, Prometheus marks it down
            log.warning("metrics: %s", _reason(error))
            return Response(f"# database unavailable: {_reason(error)}\n", status_code=503)
        return Response(body, media_type=CONTENT_TYPE_LATEST)


def _reason(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return "no answer in time"
    text = (str(error) or type(error).__name__).splitlines()[0]
    return text[:200]
