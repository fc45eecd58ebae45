"""A WeChat member in the sandbox: what a 微信客服 member gets, with WeChat's window.

WeChat lets the bot write to a member only within 48 hours of the member's last
message, and at most 5 messages in that time. The sandbox keeps the same count
on its clock and shows it under each message, holds what cannot go out, and
sends it when the member writes again, as the real channel does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.channels.wechat.kf_channel import KfPlatform
from bot.channels.wechat.window import WINDOW, WINDOW_MESSAGES
from handlers.clock import ManualClock


@dataclass
class _Window:
    last_message_at: datetime | None = None
    sent: int = 0


@dataclass
class SandboxWeChat:
    clock: ManualClock
    windows: dict[str, _Window] = field(default_factory=dict)
    #: Held messages by member: (the text, why it was held).
    held: dict[str, list[str]] = field(default_factory=dict)
    platform: KfPlatform = field(default_factory=KfPlatform)
    #: Members with an unused welcome code (they just opened the chat): one message
    #: may go out on it, outside the window.
    welcome_codes: set[str] = field(default_factory=set)

    def entered(self, member: str) -> None:
        self.welcome_codes.add(member)

    def member_wrote(self, member: str) -> list[str]:
        """The window opens again; what was held for the member is due now."""
        self.windows[member] = _Window(self.clock.now(), 0)
        return self.held.pop(member, [])

    def take(self, member: str) -> bool:
        """Count one message against the window, if it is open (a welcome code, when
        there is one, carries the message instead)."""
        if member in self.welcome_codes:
            self.welcome_codes.discard(member)
            return True
        window = self.windows.get(member)
        if window is None or window.last_message_at is None:
            return False
        if self.clock.now() - window.last_message_at > WINDOW or window.sent >= WINDOW_MESSAGES:
            return False
        window.sent += 1
        return True

    def hold(self, member: str, text: str) -> None:
        self.held.setdefault(member, []).append(text)

    def saved(self) -> dict[str, object]:
        """The windows, held messages and unused welcome codes, for the next run."""
        windows = {
            member: [window.last_message_at.isoformat(), window.sent]
            for member, window in self.windows.items()
            if window.last_message_at is not None
        }
        return {"windows": windows, "held": self.held, "welcome_codes": sorted(self.welcome_codes)}

    def restore(self, saved: dict[str, Any]) -> None:
        """Go on from :meth:`saved` of a previous run."""
        for member, (last, sent) in saved.get("windows", {}).items():
            self.windows[member] = _Window(datetime.fromisoformat(last), int(sent))
        for member, texts in saved.get("held", {}).items():
            self.held.setdefault(member, []).extend(str(text) for text in texts)
        self.welcome_codes.update(str(member) for member in saved.get("welcome_codes", ()))

    def state(self, member: str, local: Callable[[datetime], str]) -> str:
        """``窗口 window: 2/5 已用 used, 至 until 2026-12-04 10:00 CST``; ``local`` shows
        a moment in the community's time."""
        window = self.windows.get(member)
        if window is None or window.last_message_at is None:
            return "窗口未打开 window not open (the member has not written)"
        until = window.last_message_at + WINDOW
        if self.clock.now() > until:
            return f"窗口已过期 window expired at {local(until)}"
        return f"窗口 window: {window.sent}/{WINDOW_MESSAGES} 已用 used, 至 until {local(until)}"
