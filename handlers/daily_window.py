"""A daily window of local time, such as staff hours (09:00-21:00) or quiet hours
(22:00-08:00): the same idea wherever it is used, including windows that wrap
midnight (20:00-02:00 is a night shift, not an empty window)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

#: What people put between the two times, besides "-" (after NFKC: －→-, ～→~).
SEPARATORS = ("–", "—", "~", "至", "到")
#: One end: 9:00, 09:00 (24:00 is midnight, as an end).
CLOCK = re.compile(r"(?P<hour>\d{1,2}):(?P<minute>\d{2})")


@dataclass(frozen=True, slots=True)
class DailyWindow:
    """``start``–``end`` every day in local wall-clock time; ``end`` before ``start``
    wraps midnight. Equal ends are refused by :meth:`parse` (it would mean nothing)."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> DailyWindow:
        """``"22:00-08:00"`` → a window; ValueError with an example otherwise. Written
        as people write it: full-width digits and colons (０９：００), a dash, ~ or 至
        between, and 24:00 for midnight at the end (09:00-24:00)."""
        normalized = unicodedata.normalize("NFKC", text)
        for between in SEPARATORS:
            normalized = normalized.replace(between, "-")
        ends = [CLOCK.fullmatch(end.strip()) for end in normalized.split("-")]
        try:
            if len(ends) != 2 or not all(ends):
                raise ValueError
            start_at, end_at = ((int(end["hour"]), int(end["minute"])) for end in ends if end)
            midnight = end_at == (24, 0)
            start, end = time(*start_at), time(0) if midnight else time(*end_at)
        except ValueError:
            raise ValueError(f"{text!r} is not HH:MM-HH:MM (e.g. 09:00-21:00)") from None
        if start == end and midnight:
            raise ValueError(f'{text!r} is the whole day: around the clock is written ""')
        if start == end:
            raise ValueError(f"{text!r} starts and ends at the same time")
        return cls(start, end)

    def __str__(self) -> str:
        end = "24:00" if self.end == time(0) else f"{self.end:%H:%M}"
        return f"{self.start:%H:%M}-{end}"

    @property
    def wraps(self) -> bool:
        return self.end < self.start

    def contains(self, moment: datetime, zone: ZoneInfo) -> bool:
        clock = moment.astimezone(zone).time()
        if self.wraps:
            return clock >= self.start or clock < self.end
        return self.start <= clock < self.end

    def _spans(
        self, first: datetime, last: datetime, zone: ZoneInfo
    ) -> list[tuple[datetime, datetime]]:
        """The windows (UTC-aware, start and end) that can touch ``first``–``last``.
        Laid out on the local calendar, then in UTC: arithmetic on two times of one
        zone would count wall-clock hours, one hour off on a daylight-saving night."""
        day = first.astimezone(zone).date() - timedelta(days=1)
        final = last.astimezone(zone).date()
        spans = []
        while day <= final:
            opens = datetime.combine(day, self.start, zone)
            closes = datetime.combine(
                day + timedelta(days=1) if self.wraps else day, self.end, zone
            )
            spans.append((opens.astimezone(UTC), closes.astimezone(UTC)))
            day += timedelta(days=1)
        return spans

    def end_after(self, moment: datetime, zone: ZoneInfo) -> datetime | None:
        """When the window containing ``moment`` closes (in ``moment``'s zone), or None
        when ``moment`` is outside it. Computed on the local calendar, so 08:00 stays
        08:00 across daylight-saving changes."""
        for opens, closes in self._spans(moment, moment, zone):
            if opens <= moment < closes:
                return closes.astimezone(moment.tzinfo)
        return None

    def next_start(self, moment: datetime, zone: ZoneInfo) -> datetime:
        """The next time the window opens at or after ``moment``."""
        for opens, _ in self._spans(moment, moment + timedelta(days=2), zone):
            if opens >= moment:
                return opens.astimezone(moment.tzinfo)
        raise AssertionError("a daily window opens every day")

    def after(self, start: datetime, duration: timedelta, zone: ZoneInfo) -> datetime:
        """When ``duration`` of window time has passed since ``start`` (a two-hour target
        set at 20:30 with staff hours 09:00-21:00 falls due at 10:30 the next day)."""
        left, day = duration, start
        while True:
            for opens, closes in self._spans(day, day + timedelta(days=1), zone):
                begin = max(opens, start)
                if closes <= begin:
                    continue
                if left <= closes - begin:
                    return (begin + left).astimezone(start.tzinfo)
                left -= closes - begin
                start = closes
            day += timedelta(days=2)

    def overlap(self, start: datetime, end: datetime, zone: ZoneInfo) -> timedelta:
        """How much of ``start``–``end`` falls inside the window."""
        total = timedelta(0)
        if end <= start:
            return total
        for opens, closes in self._spans(start, end, zone):
            shared = min(end, closes) - max(start, opens)
            if shared > timedelta(0):
                total += shared
        return total
