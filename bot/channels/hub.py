"""Carries every action out on the channel of its target, with what that channel can do.

Handlers answer one update with actions addressed to chats and people on any
platform: a WeChat member's complaint becomes a card in the Telegram staff chat,
a staff answer typed on Telegram goes back to the member on WeChat. Each action
is degraded (:func:`handlers.capabilities.degrade`) with the capabilities of the
channel it is going to, scheduled output included, and what degrading produces
(a task for staff) is routed again. An action whose platform has no running
channel fails alone, with its own receipt, and never takes the others down.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from handlers.actions import (
    Action,
    DeleteMessage,
    EditMessage,
    NotifyStaff,
    Receipt,
    RestrictMember,
    SendInviteLink,
    SendMessage,
    SendPrivate,
    receipt_for,
)
from handlers.capabilities import Capabilities, degrade
from handlers.desk import DeskSettings
from handlers.i18n import Texts

log = logging.getLogger(__name__)


class Executor(Protocol):
    """A channel as the hub sees it: a platform name, what it can do, and a way to
    carry actions out (one receipt per action that asked for one)."""

    name: str
    capabilities: Capabilities

    async def execute(self, actions: list[Action]) -> list[Receipt]: ...


class ChannelHub:
    def __init__(self, channels: Sequence[Executor], desk: DeskSettings, texts: Texts) -> None:
        self._channels = {channel.name: channel for channel in channels}
        self._desk = desk
        self._texts = texts

    @property
    def platforms(self) -> list[str]:
        return list(self._channels)

    def deliver_from(self, source: str) -> Callable[[list[Action]], Awaitable[list[Receipt]]]:
        """The deliver function for updates from ``source`` (button answers go back there)."""

        async def deliver(actions: list[Action]) -> list[Receipt]:
            return await self.deliver(actions, source)

        return deliver

    async def deliver(self, actions: list[Action], source: str | None = None) -> list[Receipt]:
        """Carry ``actions`` out, each on its target's channel, in order per channel."""
        batches: dict[str, list[Action]] = {}
        receipts: list[Receipt] = []
        for action in self._degraded(actions, source, receipts):
            platform = self.target(action, source)
            if platform in self._channels:
                batches.setdefault(platform, []).append(action)
                continue
            error = f"no channel for platform {platform!r} is running"
            log.warning("cannot carry out %s: %s", type(action).__name__, error)
            receipt = receipt_for(action, error)
            if receipt is not None:
                receipts.append(receipt)
        for platform, batch in batches.items():
            receipts.extend(await self._channels[platform].execute(batch))
        return receipts

    def _degraded(
        self, actions: list[Action], source: str | None, receipts: list[Receipt]
    ) -> list[Action]:
        """Each action as its target channel can carry it out. What degrading makes (a
        staff task instead of a group post) may target another channel: once more there.
        An action that degrades to nothing (an announcement nobody could see) still
        closes its delivery, with the reason."""
        result: list[Action] = []
        for action in actions:
            channel = self._channels.get(self.target(action, source))
            if channel is None:
                result.append(action)
                continue
            carried = degrade([action], channel.capabilities, self._texts)
            if not carried:
                receipt = receipt_for(action, "nobody_to_see_it", skipped=True)
                if receipt is not None:
                    receipts.append(receipt)
            for made in carried:
                other = self._channels.get(self.target(made, source))
                if made is action or other is None or other is channel:
                    result.append(made)
                else:
                    result.extend(degrade([made], other.capabilities, self._texts))
        return result

    def target(self, action: Action, source: str | None = None) -> str:
        """The platform ``action`` is addressed to."""
        match action:
            case SendMessage() | RestrictMember() | SendInviteLink():
                return action.chat.platform
            case SendPrivate():
                return action.user.platform
            case EditMessage() | DeleteMessage():
                return action.message.chat.platform
            case NotifyStaff():
                room = self._desk.room(leads=action.leads)
                if room is not None:
                    return room.platform
        # A button press is answered where it was pressed; a staff notice with no staff
        # chat configured goes to the channel at hand, which says so.
        return source or next(iter(self._channels), "")
