"""What the runtime needs of a channel."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from starlette.routing import BaseRoute


class Channel(Protocol):
    name: str

    async def start(self) -> None:
        """Connect and begin receiving updates (returns once running)."""
        ...

    async def stop(self) -> None:
        """Stop receiving, finish in-flight work, disconnect; also after a start that
        failed or was cut short."""
        ...


@runtime_checkable
class HttpChannel(Channel, Protocol):
    """A channel that takes HTTP callbacks (a webhook) on Shequn's web server.

    The runtime starts the server (:mod:`bot.web`) before the channel, so callbacks
    can arrive as soon as the platform is told where to send them, and stops it
    after. Until the channel has started, and once it is stopping, its routes
    answer 503 without reaching it. A route answers quickly: slow work (handling
    the update, calling the platform back) happens after the answer, in a queue,
    a Starlette ``BackgroundTask`` or an asyncio task the channel owns and drains
    in :meth:`stop`.
    """

    def routes(self) -> list[BaseRoute]:
        """The routes to serve; none when the channel receives otherwise (polling)."""
        ...
