"""The festival calendar: on a festival the day's first slot posts the festival's prompt.

The calendar holds rules, not dates, so it never runs out: a Gregorian month and day
(元旦), a lunar month and day or the last day of a lunar month (春节, 中秋, 除夕), or a
solar term (清明, 冬至). An explicit ``date`` is that one day only (an anniversary), which
is also what every entry was in older calendar files, so those keep working.

Lunar dates and solar terms come from lunar-python (6tail, MIT, pure Python, no
dependencies, maintained): it computes new moons and solar terms astronomically for any
year, where lunardate, zhdate, cnlunar and borax read tables that end around 2100 (and
lunardate and zhdate are GPL), and chinese-calendar knows only the holiday years the
State Council has published. Nothing is computed until a year is first asked for.
"""

from __future__ import annotations

import calendar
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any, Literal

#: The 24 solar terms (节气), in the order they fall from the start of spring.
SOLAR_TERMS = (
    "立春", "雨水", "惊蛰", "春分", "清明", "谷雨", "立夏", "小满", "芒种", "夏至", "小暑", "大暑",
    "立秋", "处暑", "白露", "秋分", "寒露", "霜降", "立冬", "小雪", "大雪", "冬至", "小寒", "大寒",
)  # fmt: skip

# lunar-python's table of terms runs from the 大雪 before a lunar year to the 惊蛰 after it;
# the terms that repeat in that run are keyed in pinyin.
_TERM_KEYS = {
    "DA_XUE": "大雪", "DONG_ZHI": "冬至", "XIAO_HAN": "小寒", "DA_HAN": "大寒",
    "LI_CHUN": "立春", "YU_SHUI": "雨水", "JING_ZHE": "惊蛰",
}  # fmt: skip

_TEXT_KEYS = ("name", "name_en", "prompt", "prompt_en")
_RULE_KEYS = ("date", "calendar", "month", "day", "last_day_of_month", "solar_term")
_CALENDARS = ("gregorian", "lunar")

# Lunar and solar-term festivals are worked out from this year on.
_COMPUTED_FROM = 1583


class CalendarError(ValueError):
    """The calendar file cannot be read."""


@dataclass(frozen=True, slots=True)
class Holiday:
    day: date
    name: str
    name_en: str
    prompt: str
    prompt_en: str

    def prompt_for(self, language: str) -> str:
        return self.prompt_en if language == "en" and self.prompt_en else self.prompt

    def name_for(self, language: str) -> str:
        return self.name_en if language == "en" and self.name_en else self.name


@dataclass(frozen=True, slots=True)
class Festival:
    """One ``[[holiday]]`` entry: the rule for its day and what is posted on it."""

    name: str
    name_en: str
    prompt: str
    prompt_en: str
    kind: Literal["date", "gregorian", "lunar", "solar_term"]
    month: int = 0
    #: 0 is the last day of the month.
    day: int = 0
    solar_term: str = ""
    only_on: date | None = None

    def on(self, day: date) -> Holiday:
        return Holiday(day, self.name, self.name_en, self.prompt, self.prompt_en)


class HolidayCalendar:
    """Festivals by day, worked out a Gregorian year at a time when first asked for.

    When two festivals fall on one day, an explicit date wins over a rule, and otherwise
    the one listed first.
    """

    #: Years kept: this one, the next for previews across New Year, and a spare.
    KEEP_YEARS = 3

    def __init__(self, festivals: Iterable[Festival] = ()) -> None:
        self.festivals = tuple(festivals)
        self._years: dict[int, dict[date, Holiday]] = {}

    def get(self, day: date) -> Holiday | None:
        return self._year(day.year).get(day)

    def name_for(self, stored: str, language: str) -> str:
        """A festival post's stored name (the calendar's own, which keeps it from being
        posted twice) as ``language`` reads it; a name no longer listed as it was."""
        for festival in self.festivals:
            if festival.name == stored:
                return festival.on(date.min).name_for(language)
        return stored

    def between(self, start: date, end: date) -> list[Holiday]:
        """The festivals from ``start`` to ``end``, both included, in date order."""
        found = [
            holiday
            for year in range(start.year, end.year + 1)
            for day, holiday in self._year(year).items()
            if start <= day <= end
        ]
        return sorted(found, key=lambda holiday: holiday.day)

    def _year(self, year: int) -> dict[date, Holiday]:
        days = self._years.get(year)
        if days is None:
            days = _work_out(self.festivals, year)
            if len(self._years) >= self.KEEP_YEARS:
                del self._years[next(iter(self._years))]
            self._years[year] = days
        return days


def load_calendar(path: Path | None = None) -> HolidayCalendar:
    """The built-in Chinese festivals, or the file at ``path`` in the same format."""
    source = path or "built-in"
    try:
        if path is None:
            builtin = resources.files("handlers.topics").joinpath("holidays_cn.toml")
            text = builtin.read_text("utf-8")
        else:
            text = path.read_text("utf-8")
        entries = tomllib.loads(text).get("holiday", [])
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise CalendarError(f"holiday calendar {source}: {error}") from None
    if not isinstance(entries, list):
        raise CalendarError(f"holiday calendar {source}: write each entry as [[holiday]]")
    festivals = []
    for index, entry in enumerate(entries):
        try:
            festivals.append(_festival(entry))
        except CalendarError as error:
            label = f"holiday[{index}]"
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                label += f" ({entry['name']})"
            raise CalendarError(f"holiday calendar {source}: {label}: {error}") from None
    return HolidayCalendar(festivals)


def _festival(entry: Any) -> Festival:
    """Check one entry; every problem is one short sentence."""
    if not isinstance(entry, dict):
        raise CalendarError("must be a table: write [[holiday]]")
    unknown = sorted(set(entry) - {*_TEXT_KEYS, *_RULE_KEYS})
    if unknown:
        raise CalendarError(f"unknown key {unknown[0]!r}")
    texts = {}
    for key in _TEXT_KEYS:
        value = entry.get(key, "")
        if not isinstance(value, str):
            raise CalendarError(f"{key} must be text")
        texts[key] = value
    for key in ("name", "prompt"):
        if not texts[key].strip():
            raise CalendarError(f"needs a {key}")
    given = {key for key in _RULE_KEYS if key in entry}
    if "date" in given:
        day = entry["date"]
        if not isinstance(day, date) or isinstance(day, datetime):
            raise CalendarError("date must be a date like 2027-02-06")
        _only(given, "date")
        return Festival(**texts, kind="date", only_on=day)
    if "solar_term" in given:
        term = entry["solar_term"]
        if term not in SOLAR_TERMS:
            raise CalendarError(f"unknown solar term {term!r}; one of {'、'.join(SOLAR_TERMS)}")
        _only(given, "solar_term")
        return Festival(**texts, kind="solar_term", solar_term=term)
    if "month" not in given:
        raise CalendarError("needs date, month (with day or last_day_of_month) or solar_term")
    kind = entry.get("calendar", "gregorian")
    if kind not in _CALENDARS:
        raise CalendarError(f'unknown calendar {kind!r}; use "gregorian" or "lunar"')
    month = entry["month"]
    if not _whole(month) or not 1 <= month <= 12:
        raise CalendarError(f"month must be 1 to 12, not {month!r}")
    last = entry.get("last_day_of_month", False)
    if not isinstance(last, bool):
        raise CalendarError("last_day_of_month must be true or false")
    if last == ("day" in given):
        raise CalendarError("needs either day or last_day_of_month = true")
    _only(given, "calendar", "month", "day", "last_day_of_month")
    day = 0 if last else entry["day"]
    if not last:
        longest = 30 if kind == "lunar" else calendar.monthrange(2000, month)[1]  # a leap year
        if not _whole(day) or not 1 <= day <= longest:
            raise CalendarError(f"{kind} month {month} has no day {day!r}")
    return Festival(**texts, kind=kind, month=month, day=day)


def _only(given: set[str], *allowed: str) -> None:
    extra = sorted(given - set(allowed))
    if extra:
        raise CalendarError(f"{extra[0]} does not go with {allowed[0]}")


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _work_out(festivals: tuple[Festival, ...], year: int) -> dict[date, Holiday]:
    """Every festival's day in one Gregorian year."""
    ordered = sorted(festivals, key=lambda festival: festival.kind != "date")  # stable
    if year < _COMPUTED_FROM:  # lunar-python counts the days before it as Julian dates
        ordered = [f for f in ordered if f.kind in ("date", "gregorian")]
    lunar = [f for f in ordered if f.kind == "lunar"]
    lunar_days = _lunar_days(lunar, year) if lunar else {}
    terms = _solar_terms(year) if any(f.kind == "solar_term" for f in ordered) else {}
    found: dict[date, Holiday] = {}
    for festival in ordered:
        if festival.kind == "date":
            once = festival.only_on
            days = [once] if once and once.year == year else []
        elif festival.kind == "gregorian":
            days = _gregorian_day(festival, year)
        elif festival.kind == "lunar":
            days = lunar_days[festival]
        else:
            days = [terms[festival.solar_term]]
        for day in days:
            found.setdefault(day, festival.on(day))
    return found


def _gregorian_day(festival: Festival, year: int) -> list[date]:
    last = calendar.monthrange(year, festival.month)[1]
    if festival.day > last:  # 29 February outside a leap year
        return []
    return [date(year, festival.month, festival.day or last)]


def _lunar_days(festivals: list[Festival], year: int) -> dict[Festival, list[date]]:
    """A lunar date falls in Gregorian ``year`` from the lunar year of the same number or
    from the one before (a 腊月 day in January). A leap month never holds a festival, but
    ``last_day_of_month`` takes the last day before the next month, so 除夕 is always the
    eve of 春节. A lunar 30th in a 29-day month does not happen that year."""
    from lunar_python import LunarYear, Solar

    found: dict[Festival, list[date]] = {festival: [] for festival in festivals}
    for lunar_year in (year - 1, year):
        months = LunarYear.fromYear(lunar_year)
        leap = months.getLeapMonth()
        for festival in festivals:
            number = -festival.month if festival.day == 0 and leap == festival.month else None
            month = months.getMonth(number or festival.month)
            day = festival.day or month.getDayCount()
            if day > month.getDayCount():
                continue
            solar = Solar.fromJulianDay(month.getFirstJulianDay() + day - 1)
            if solar.getYear() == year:
                found[festival].append(date(solar.getYear(), solar.getMonth(), solar.getDay()))
    return found


def _solar_terms(year: int) -> dict[str, date]:
    """The day of each solar term in Gregorian ``year``, in China's time."""
    from lunar_python import Solar

    table = Solar.fromYmd(year, 7, 1).getLunar().getJieQiTable()
    days = {}
    for key, solar in table.items():
        if solar.getYear() == year:
            days[_TERM_KEYS.get(key, key)] = date(year, solar.getMonth(), solar.getDay())
    return days
