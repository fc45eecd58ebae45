"""Time as a dependency: production reads the system clock, the sandbox and
tests move a manual one. Always timezone-aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """Real time shifted by an offset that :meth:`advance` grows."""

    def __init__(self, start: datetime | None = None) -> None:
        self._offset = timedelta(0) if start is None else start - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def advance(self, delta: timedelta) -> None:
        self._offset += delta


def parse_duration(text: str) -> timedelta:
    """``3d``, ``12h``, ``30m``, ``45s`` or combinations like ``1d6h``."""
    units = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds", "w": "weeks"}
    text = text.strip().lower()
    if not text:
        raise ValueError("empty duration")
    total = timedelta(0)
    number = ""
    for char in text:
        if char in "0123456789":
            number += char
        elif char in units and number:
            try:
                total += timedelta(**{units[char]: int(number)})
            except OverflowError:  # beyond timedelta's 999,999,999 days
                raise ValueError(f"duration {text[:20]!r} is too long") from None
            number = ""
        else:
            raise ValueError(f"bad duration {text!r}; use e.g. 3d, 12h, 30m")
    if number:
        raise ValueError(f"bad duration {text!r}: missing unit (d, h, m, s)")
    return total


def format_duration(delta: timedelta) -> str:
    """The shortest ``1d6h30m`` form of ``delta`` (what :func:`parse_duration` reads)."""
    seconds = int(delta.total_seconds())
    if seconds == 0:
        return "0m"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
