"""One daily-window type for staff hours and quiet hours, wrapping midnight included."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from handlers.daily_window import DailyWindow

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.mark.parametrize("text", ["9-21", "09:00", "25:00-08:00", "08:00-08:00", ""])
def test_bad_windows_are_refused_with_an_example(text: str) -> None:
    with pytest.raises(ValueError, match=r"HH:MM-HH:MM|same time"):
        DailyWindow.parse(text)


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("０９：００－２１：００", "09:00-21:00"),  # typed with a Chinese input method
        ("9:00~21:00", "09:00-21:00"),
        ("09:00 至 21:00", "09:00-21:00"),
        ("09:00–24:00", "09:00-24:00"),
    ],
)
def test_windows_are_read_as_people_write_them(text: str, read: str) -> None:
    assert str(DailyWindow.parse(text)) == read


def test_24_00_ends_a_window_at_midnight() -> None:
    evening = DailyWindow.parse("09:00-24:00")
    assert evening.contains(local(24, 23, 59), SHANGHAI)
    assert not evening.contains(local(25, 0, 30), SHANGHAI)
    assert evening.end_after(local(24, 22), SHANGHAI) == local(25, 0)
    # A two-hour target set at 23:30 falls due at 10:30 the next morning.
    assert evening.after(local(24, 23, 30), timedelta(hours=2), SHANGHAI) == local(25, 10, 30)
    with pytest.raises(ValueError, match="whole day"):
        DailyWindow.parse("00:00-24:00")
    with pytest.raises(ValueError, match="HH:MM-HH:MM"):
        DailyWindow.parse("09:00-x-21:00")


def test_a_day_window() -> None:
    day = DailyWindow.parse("09:00-21:00")
    assert str(day) == "09:00-21:00" and not day.wraps
    assert day.contains(local(24, 9), SHANGHAI) and not day.contains(local(24, 21), SHANGHAI)
    assert day.end_after(local(24, 10), SHANGHAI) == local(24, 21)
    assert day.end_after(local(24, 22), SHANGHAI) is None
    assert day.next_start(local(24, 22), SHANGHAI) == local(25, 9)
    # Tuesday 20:00 to Wednesday 10:00: one hour on Tuesday, one on Wednesday.
    assert day.overlap(local(24, 20), local(25, 10), SHANGHAI) == timedelta(hours=2)


def test_a_window_across_midnight_is_a_night_not_nothing() -> None:
    night = DailyWindow.parse("20:00-02:00")
    assert night.wraps and night.start == time(20) and night.end == time(2)
    assert night.contains(local(24, 23), SHANGHAI) and night.contains(local(25, 1), SHANGHAI)
    assert not night.contains(local(25, 2), SHANGHAI) and not night.contains(
        local(25, 12), SHANGHAI
    )
    assert night.end_after(local(24, 23), SHANGHAI) == local(25, 2)
    assert night.end_after(local(25, 1), SHANGHAI) == local(25, 2)
    assert night.next_start(local(25, 3), SHANGHAI) == local(25, 20)
    # 22:00 to 04:00: four hours of the night shift.
    assert night.overlap(local(24, 22), local(25, 4), SHANGHAI) == timedelta(hours=4)
    # Two whole days: six hours a night, and the evening of the first.
    assert night.overlap(local(24, 0), local(26, 0), SHANGHAI) == timedelta(hours=2 + 6 + 4)


def test_quiet_hours_end_at_the_same_local_time_across_daylight_saving() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    quiet = DailyWindow.parse("22:00-08:00")
    before_change = datetime(2026, 3, 28, 23, 0, tzinfo=berlin)  # the clocks go forward at 02:00
    wake = quiet.end_after(before_change, berlin)
    assert wake is not None and wake.astimezone(berlin).hour == 8
    assert wake.astimezone(UTC) - before_change.astimezone(UTC) == timedelta(hours=8)  # 1 h less


def test_when_a_span_of_window_time_has_passed() -> None:
    day = DailyWindow.parse("09:00-21:00")
    # Two staff hours from 20:30: half an hour tonight, the rest from 09:00.
    assert day.after(local(24, 20, 30), timedelta(hours=2), SHANGHAI) == local(25, 10, 30)
    assert day.after(local(24, 23), timedelta(minutes=30), SHANGHAI) == local(25, 9, 30)
    assert day.after(local(24, 10), timedelta(hours=1), SHANGHAI) == local(24, 11)
    night = DailyWindow.parse("20:00-02:00")
    assert night.after(local(24, 23), timedelta(hours=4), SHANGHAI) == local(25, 21)
    assert night.after(local(24, 12), timedelta(hours=13), SHANGHAI) == local(26, 21)


def test_a_night_shift_across_a_daylight_saving_change_counts_real_hours() -> None:
    new_york = ZoneInfo("America/New_York")
    night = DailyWindow.parse("20:00-02:00")
    # 1 November 2026: at 02:00 EDT the clocks go back to 01:00, so that night's shift
    # (20:00 EDT to 02:00 EST) lasts seven hours.
    shift_starts = datetime(2026, 10, 31, 20, 0, tzinfo=new_york)
    evening = datetime(2026, 10, 31, 19, 0, tzinfo=new_york).astimezone(UTC)
    morning = datetime(2026, 11, 1, 9, 0, tzinfo=new_york).astimezone(UTC)
    assert night.overlap(evening, morning, new_york) == timedelta(hours=7)
    # A ticket at 19:00 with a 6.5-hour target: due at 02:30 real time after 20:00,
    # that very night, not the next evening.
    due = night.after(evening, timedelta(hours=6, minutes=30), new_york)
    assert due == shift_starts.astimezone(UTC) + timedelta(hours=6, minutes=30)
    # 8 March 2026, the clocks go forward at 02:00: that night's shift lasts five hours.
    spring = DailyWindow.parse("22:00-08:00")
    before = datetime(2026, 3, 7, 21, 0, tzinfo=new_york).astimezone(UTC)
    after = datetime(2026, 3, 8, 9, 0, tzinfo=new_york).astimezone(UTC)
    assert spring.overlap(before, after, new_york) == timedelta(hours=9)
