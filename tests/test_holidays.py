"""The festival calendar: rules worked out for any year, against published dates.

Every expected date below comes from a published source, not from this code: the
hand-kept 2026-27 table the rules replaced, the Purple Mountain Observatory's note that
腊月 has 29 days in 2025-2029 (除夕 on 2025-01-28, 2026-02-16, 2029-02-12) and 30 again
in 2030, and the widely published Spring Festival, Mid-Autumn and Qingming dates.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from handlers.topics.holidays import (
    SOLAR_TERMS,
    CalendarError,
    HolidayCalendar,
    load_calendar,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def builtin() -> HolidayCalendar:
    return load_calendar()


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2024, 2, 10), "春节"),
        (date(2025, 1, 29), "春节"),
        (date(2026, 2, 17), "春节"),
        (date(2030, 2, 3), "春节"),
        (date(2050, 1, 23), "春节"),
        (date(2024, 9, 17), "中秋节"),
        (date(2025, 10, 6), "中秋节"),
        (date(2029, 9, 22), "中秋节"),
        (date(2030, 9, 12), "中秋节"),
        (date(2025, 1, 28), "除夕"),  # 腊月二十九: a 29-day 12th month
        (date(2026, 2, 16), "除夕"),
        (date(2029, 2, 12), "除夕"),
        (date(2024, 2, 9), "除夕"),  # 腊月三十
        (date(2030, 2, 2), "除夕"),  # 腊月三十 again after five years without
        (date(2024, 4, 4), "清明节"),
        (date(2025, 4, 4), "清明节"),
        (date(2027, 4, 5), "清明节"),
        (date(2024, 12, 21), "冬至"),
        (date(2031, 10, 1), "中秋节"),  # on National Day: the rarer festival is posted
    ],
)
def test_published_festival_dates(builtin: HolidayCalendar, day: date, name: str) -> None:
    holiday = builtin.get(day)
    assert holiday is not None and holiday.name == name and holiday.day == day


def test_the_rules_give_the_hand_kept_table_it_replaces(builtin: HolidayCalendar) -> None:
    hand_kept = {
        date(2026, 12, 22): "冬至", date(2027, 1, 1): "元旦", date(2027, 2, 6): "春节",
        date(2027, 2, 20): "元宵节", date(2027, 4, 5): "清明节", date(2027, 5, 1): "劳动节",
        date(2027, 6, 9): "端午节", date(2027, 8, 8): "七夕", date(2027, 9, 15): "中秋节",
        date(2027, 10, 1): "国庆节", date(2027, 10, 8): "重阳节",
    }  # fmt: skip
    found = builtin.between(date(2026, 12, 1), date(2027, 11, 30))
    found_by_day = {holiday.day: holiday.name for holiday in found}
    assert found_by_day == hand_kept | {date(2027, 2, 5): "除夕"}
    national = builtin.get(date(2027, 10, 1))
    assert national is not None and national.name_en == "National Day"
    assert "长假" in national.prompt_for("zh") and "long holiday" in national.prompt_for("en")


def test_every_year_has_its_festivals_in_their_places(builtin: HolidayCalendar) -> None:
    for year in range(2024, 2100):
        days = {h.name: h.day for h in builtin.between(date(year, 1, 1), date(year, 12, 31))}
        spring = days["春节"]
        assert date(year, 1, 21) <= spring <= date(year, 2, 20)  # always between these
        assert days["除夕"] == spring - timedelta(days=1)
        assert days["元宵节"] == spring + timedelta(days=14)
        assert days["清明节"] in (date(year, 4, 4), date(year, 4, 5))
        assert days["冬至"] in (date(year, 12, 21), date(year, 12, 22))
        assert (days["元旦"], days["劳动节"]) == (date(year, 1, 1), date(year, 5, 1))
        assert {"端午节", "七夕", "中秋节", "重阳节"} <= days.keys()
        # 国庆节 gives way when 中秋 or 重阳 falls on 1 October (2031, 2033, ...)
        assert days.get("国庆节") == date(year, 10, 1) or date(year, 10, 1) in (
            days["中秋节"], days["重阳节"],
        )  # fmt: skip


def test_between_is_ordered_and_spans_new_year(builtin: HolidayCalendar) -> None:
    found = builtin.between(date(2026, 12, 22), date(2027, 2, 6))
    assert [(h.day.isoformat(), h.name) for h in found] == [
        ("2026-12-22", "冬至"), ("2027-01-01", "元旦"), ("2027-02-05", "除夕"),
        ("2027-02-06", "春节"),
    ]  # fmt: skip
    assert builtin.between(date(2027, 2, 7), date(2027, 2, 19)) == []
    assert builtin.get(date(2027, 3, 1)) is None
    assert builtin.get(date(2027, 2, 6)) is builtin.get(date(2027, 2, 6))  # worked out once


def test_loading_computes_nothing_until_a_day_is_asked_for(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from handlers.topics.holidays import load_calendar\n"
        "calendar = load_calendar()\n"
        "assert 'lunar_python' not in sys.modules\n"
        "from datetime import date\n"
        "assert calendar.get(date(2040, 2, 12)).name == '春节'\n"
    )
    subprocess.run([sys.executable, "-c", script], cwd=tmp_path, check=True,
                   env={"PYTHONPATH": str(ROOT)})  # fmt: skip


def test_solar_terms_are_the_package_names() -> None:
    from lunar_python import Lunar

    assert sorted(SOLAR_TERMS) == sorted(Lunar.JIE_QI)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "festivals.toml"
    path.write_text(text, "utf-8")
    return path


def test_a_custom_file_of_rules(tmp_path: Path) -> None:
    calendar = load_calendar(write(tmp_path, """
[[holiday]]
name = "社群生日"
date = 2025-02-03
prompt = "今天是社群生日！"

[[holiday]]
name = "立春"
solar_term = "立春"
prompt = "立春了，春天从哪里开始？"

[[holiday]]
name = "赏月"
calendar = "lunar"
month = 8
day = 15
prompt = "今晚一起赏月。"

[[holiday]]
name = "腊月三十"
calendar = "lunar"
month = 12
day = 30
prompt = "只在腊月有三十天的年份。"

[[holiday]]
name = "闰日"
calendar = "gregorian"
month = 2
day = 29
prompt = "四年一次。"

[[holiday]]
name = "月末"
month = 2
last_day_of_month = true
prompt = "二月的最后一天。"
"""))  # fmt: skip

    def name(day: date) -> str | None:
        holiday = calendar.get(day)
        return holiday.name if holiday else None

    assert name(date(2025, 2, 3)) == "社群生日"  # an explicit date wins over 立春 that day
    assert name(date(2026, 2, 4)) == "立春"
    assert name(date(2030, 9, 12)) == "赏月"
    assert name(date(2024, 2, 9)) == "腊月三十"
    # 2025 has no 腊月三十, and its 立春 gave way to the explicit date
    early_2025 = calendar.between(date(2025, 1, 1), date(2025, 2, 28))
    assert [h.name for h in early_2025] == ["社群生日", "月末"]
    assert name(date(2028, 2, 29)) == "闰日" and name(date(2028, 2, 28)) is None
    assert name(date(2027, 2, 28)) == "月末"


def test_a_file_of_explicit_dates_keeps_working(tmp_path: Path) -> None:
    calendar = load_calendar(write(tmp_path, """
[[holiday]]
date = 2027-02-06
name = "春节"
name_en = "Spring Festival"
prompt = "春节快乐！"
prompt_en = "Happy Spring Festival!"
"""))  # fmt: skip
    holiday = calendar.get(date(2027, 2, 6))
    assert holiday is not None and holiday.prompt_for("en") == "Happy Spring Festival!"
    assert calendar.get(date(2028, 1, 26)) is None  # that one day, not every 春节


def entry(rule: str) -> str:
    return f'[[holiday]]\nname = "节日"\nprompt = "内容"\n{rule}\n'


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[[holiday]\nname = 1", "Expected ']]'"),
        (entry('calendar = "moon"\nmonth = 1\nday = 1'), "unknown calendar 'moon'"),
        (entry('calendar = "lunar"\nmonth = 13\nday = 1'), "month must be 1 to 12, not 13"),
        (entry('calendar = "lunar"\nmonth = 1\nday = 31'), "lunar month 1 has no day 31"),
        (entry("month = 2\nday = 30"), "gregorian month 2 has no day 30"),
        (entry('solar_term = "清明节"'), "unknown solar term '清明节'"),
        (entry('calender = "lunar"\nmonth = 1\nday = 1'), "unknown key 'calender'"),
        (entry("month = 12\nday = 30\nlast_day_of_month = true"), "either day or last_day"),
        (entry('calendar = "lunar"'), "needs date, month"),
        (entry("date = 2027-01-01\nmonth = 1"), "month does not go with date"),
        (entry('date = "2027-01-01"'), "date must be a date"),
        ('[[holiday]]\nname = "节日"\nmonth = 1\nday = 1\n', "needs a prompt"),
        ('[holiday]\nname = "节日"\n', "write each entry as [[holiday]]"),
    ],
)
def test_a_bad_file_is_refused_in_one_line(tmp_path: Path, text: str, problem: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(CalendarError) as error:
        load_calendar(path)
    message = str(error.value)
    assert message.startswith(f"holiday calendar {path}: ") and problem in message
    assert "\n" not in message


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CalendarError, match="No such file"):
        load_calendar(tmp_path / "missing.toml")


def test_the_entry_at_fault_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, entry("month = 1\nday = 1") + entry('solar_term = "春风"'))
    with pytest.raises(CalendarError, match=r"holiday\[1\] \(节日\): unknown solar term"):
        load_calendar(path)
