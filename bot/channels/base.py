"""What the runtime needs of a channel."""

from __future__ import annotations

from typing import Protocol


class Channel(Protocol):
    name: str

    async def start(self) -> None:
        """Connect and begin receiving updates (returns once running)."""
        ...

    async def stop(self) -> None:
        """Stop receiving, finish in-flight work, disconnect; also after a start that
        failed or was cut short."""
        ...
