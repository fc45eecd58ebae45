"""The web server: Starlette routes served by uvicorn inside the bot's event loop.

One server for everything that calls Shequn over HTTP, in every mode: the
channels' callbacks (the Telegram webhook, WeChat), the staff console,
``GET /healthz`` (alive), ``GET /readyz`` and ``GET /metrics``
(:mod:`bot.web.operations`). It binds its socket itself,
so an address in use or a host that is not this machine's is one line naming
``http.port`` or ``http.host``, never uvicorn's exit. Shutdown signals stay with
:mod:`bot.runtime`: uvicorn does not install its own handlers here.

A channel's routes answer 503 until the runtime says the channel has started,
and again once it is stopping: a caller such as Telegram then retries later
instead of handing over an update nobody would process.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
from collections.abc import Callable, Generator, Sequence
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.channels.base import Channel, HttpChannel
from bot.startup import StartupError
from bot.web.settings import HttpSettings

log = logging.getLogger(__name__)

#: Seconds in-flight requests get to finish when the server stops.
GRACEFUL_SECONDS = 5


class _Uvicorn(uvicorn.Server):
    """uvicorn without its signal handlers: SIGINT/SIGTERM stop the whole bot
    (:func:`bot.runtime.run_channels`), which then stops this server."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield

    def install_signal_handlers(self) -> None:  # the name in uvicorn before 0.29
        pass


class WebServer:
    """Serves ``GET /healthz`` and the routes of the channels it is given."""

    def __init__(self, settings: HttpSettings, channels: Sequence[str]) -> None:
        self._settings = settings
        #: Every channel of the run, in order, and whether it has started.
        self._started = dict.fromkeys(channels, False)
        self._stopping = False
        self._routes: list[BaseRoute] = [Route("/healthz", self._health, methods=["GET"])]
        self._server: _Uvicorn | None = None
        self._task: asyncio.Task[None] | None = None
        self._socket: socket.socket | None = None
        #: The port listened on once started (``http.port``, or the one chosen for 0).
        self.port: int | None = None

    def serve_always(self, routes: list[BaseRoute]) -> None:
        """Serve ``routes`` whatever the channels' state (readiness, metrics)."""
        self._routes.extend(routes)

    def serve(self, channel: str, routes: list[BaseRoute]) -> None:
        """Serve ``routes`` of ``channel``; they answer 503 while it is not running."""
        for route in routes:
            _gate(route, lambda: self._started.get(channel, False) and not self._stopping)
        self._routes.extend(routes)

    def channel_started(self, channel: str) -> None:
        self._started[channel] = True

    def closing(self) -> None:
        """The bot is stopping: callbacks and ``/healthz`` answer 503 from now on."""
        self._stopping = True

    async def start(self) -> None:
        """Listen on ``http.host``:``http.port``; returns once requests are accepted."""
        host, port = self._settings.host, self._settings.port
        self._socket = await _bind(host, port)
        self.port = self._socket.getsockname()[1]
        debug = logging.getLogger().getEffectiveLevel() <= logging.DEBUG
        config = uvicorn.Config(
            Starlette(routes=self._routes),
            lifespan="off",
            access_log=False,
            log_config=None,  # Shequn's logging, not uvicorn's
            log_level=logging.DEBUG if debug else logging.WARNING,
            server_header=False,
            timeout_graceful_shutdown=GRACEFUL_SECONDS,
        )
        server = self._server = _Uvicorn(config)
        sockets = [self._socket]
        self._socket = None  # uvicorn closes it from now on
        self._task = asyncio.create_task(server.serve(sockets=sockets), name="web server")
        while not server.started:
            if self._task.done():
                self._task.result()  # a failure is raised here
                raise StartupError(f"the web server on {_address(host, self.port)} did not start")
            await asyncio.sleep(0.01)

    def announce(self) -> None:
        """Say where it listens, once every channel has started (a start that fails says
        why and only that)."""
        host = self._settings.host
        log.info(
            "web server listening on http://%s (GET /healthz, /readyz, /metrics)",
            _address(host, self.port),
        )

    async def stop(self) -> None:
        """Stop accepting requests, let those in flight finish, close the socket."""
        self._stopping = True
        if self._socket is not None:  # bound but never handed to uvicorn
            self._socket.close()
            self._socket = None
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
            self._server = self._task = None

    @property
    def serving(self) -> bool:
        """Every channel has started and none is stopping."""
        return not self._stopping and all(self._started.values())

    async def _health(self, _request: Request) -> Response:
        if self._stopping:
            return JSONResponse({"status": "stopping"}, status_code=503)
        if not all(self._started.values()):
            return JSONResponse({"status": "starting"}, status_code=503)
        return JSONResponse({"status": "ok", "channels": list(self._started)})


def web_server(settings: HttpSettings, channels: Sequence[Channel]) -> WebServer:
    """The server for ``channels`` (their callbacks) and the operations' routes."""
    server = WebServer(settings, [channel.name for channel in channels])
    for channel in channels:
        if isinstance(channel, HttpChannel):
            server.serve(channel.name, channel.routes())
    return server


def _gate(route: BaseRoute, is_open: Callable[[], bool]) -> None:
    """Answer ``route``'s requests with 503 while ``is_open()`` is false."""
    inner: ASGIApp | None = getattr(route, "app", None)
    if inner is None:
        raise TypeError(f"cannot serve {route!r}: a route with an ASGI app is needed")

    async def gated(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not is_open():
            closed = JSONResponse({"status": "unavailable"}, 503, headers={"Retry-After": "5"})
            await closed(scope, receive, send)
            return
        await inner(scope, receive, send)

    route.app = gated  # type: ignore[attr-defined]


async def _bind(host: str, port: int) -> socket.socket:
    """A socket bound to ``host``:``port``, or a :class:`StartupError` naming the key."""
    address = _address(host, port)
    loop = asyncio.get_running_loop()
    try:
        found = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        raise StartupError(
            f"cannot listen on {address}: unknown host ({error.strerror or error}); "
            "set {setting} to an address of this machine (e.g. 127.0.0.1 or 0.0.0.0)",
            setting="http.host",
        ) from None
    family, kind, protocol, _name, where = found[0]
    sock = socket.socket(family, kind, protocol)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(where)
    except OSError as error:
        sock.close()
        raise _bind_error(address, error) from None
    return sock


def _bind_error(address: str, error: OSError) -> StartupError:
    reason = (error.strerror or str(error)).lower()
    if error.errno == errno.EADDRINUSE:
        fix, setting = "set {setting} to a free port", "http.port"
    elif error.errno == errno.EACCES:
        fix, setting = "set {setting} to a port above 1023", "http.port"
    else:
        fix = "set {setting} to an address of this machine (e.g. 127.0.0.1 or 0.0.0.0)"
        setting = "http.host"
    return StartupError(f"cannot listen on {address} ({reason}); {fix}", setting=setting)


def _address(host: str, port: Any) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
