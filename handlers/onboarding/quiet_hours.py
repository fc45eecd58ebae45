"""Quiet hours: private nudges do not wake members up."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


def quiet_until(
    now: datetime, start: time | None, end: time | None, zone: ZoneInfo
) -> datetime | None:
    """When the quiet period containing ``now`` ends (UTC), or None outside quiet hours.

    ``start``/``end`` are local wall-clock times; a period may wrap midnight
    (22:00-08:00). The end is computed on the local calendar, so it stays
    08:00 across DST changes.
    """
    if start is None or end is None or start == end:
        return None
    local = now.astimezone(zone)
    clock = local.time()
    wraps = start > end
    inside = (clock >= start or clock < end) if wraps else (start <= clock < end)
    if not inside:
        return None
    day = local.date()
    if clock >= end and (wraps or clock >= start):
        day += timedelta(days=1)
    morning = datetime.combine(day, end, tzinfo=zone)
    return morning.astimezone(now.tzinfo)
