"""Working-day arithmetic for the public posting period (niêm yết), pure functions.

The law counts the posting period in working days (3 under Quyết định 24/2021, 7 under
Thông tư 17/2016). Saturdays and Sundays are not working days, nor are Vietnam's public
holidays: by default the `holidays` package's Vietnam calendar (Tết by the lunar calendar,
Giỗ Tổ Hùng Vương, 30/4–1/5, Quốc khánh with its extra day, the substitute days the
government announces). A province adds its own days on top in the round's settings:

    2026-12-31        an extra day off
    !2026-08-22       a working day although the calendar says otherwise (a swapped Saturday,
                      or a national day off the province does not observe)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

WORKING_MARK = "!"


@dataclass(frozen=True)
class Calendar:
    """Days off beyond weekends, and days worked although weekend or holiday."""

    days_off: frozenset[date] = field(default_factory=frozenset)
    working: frozenset[date] = field(default_factory=frozenset)

    def is_working_day(self, day: date) -> bool:
        if day in self.working:
            return True
        return day.weekday() < 5 and day not in self.days_off


def parse_holidays(text: str | None) -> set[date]:
    """ISO dates separated by spaces, commas or new lines; raises ValueError on a bad one.
    (Only the extra days off: `parse_changes` also reads the "!" working days.)"""
    return set(parse_changes(text)[0])


def parse_changes(text: str | None) -> tuple[frozenset[date], frozenset[date]]:
    """(extra days off, extra working days) from the province's settings text."""
    off, working = set(), set()
    for part in (text or "").replace(",", " ").split():
        if part.startswith(WORKING_MARK):
            working.add(date.fromisoformat(part[len(WORKING_MARK) :]))
        else:
            off.add(date.fromisoformat(part))
    return frozenset(off), frozenset(working)


@lru_cache(maxsize=16)
def _vietnam_year(year: int, language: str) -> tuple[tuple[date, str], ...]:
    import holidays

    calendar = holidays.country_holidays("VN", years=year, language=language)
    return tuple(sorted(calendar.items()))


def national_holidays(years: Iterable[int], language: str = "vi") -> dict[date, str]:
    """Vietnam's public holidays (and announced substitute days) of those years, named."""
    language = "vi" if language == "vi" else "en_US"
    found: dict[date, str] = {}
    for year in sorted(set(years)):
        found.update(_vietnam_year(year, language))
    return found


def round_calendar(start: date, changes: str | None = "") -> Calendar:
    """The calendar a posting starting on `start` runs on: Vietnam's holidays of that year and
    the next (a posting can cross New Year) with the province's changes on top."""
    off, working = parse_changes(changes)
    national = set(national_holidays((start.year, start.year + 1)))
    return Calendar(days_off=frozenset((national | off) - working), working=working)


def is_working_day(day: date, holidays: Iterable[date] = ()) -> bool:
    return day.weekday() < 5 and day not in set(holidays)


def posting_end(start: date, working_days: int, holidays: Iterable[date] | Calendar = ()) -> date:
    """The last day of a posting that starts on `start` and lasts `working_days` working days.

    The start day counts when it is a working day; a posting put up on a Saturday starts
    counting on Monday. `holidays` is a `Calendar` or a plain collection of days off.
    """
    if working_days < 1:
        raise ValueError("working_days must be at least 1")
    calendar = holidays if isinstance(holidays, Calendar) else Calendar(frozenset(holidays))
    day, counted = start, 0
    while True:
        if calendar.is_working_day(day):
            counted += 1
            if counted == working_days:
                return day
        day += timedelta(days=1)


def days_off_between(
    first: date, last: date, changes: str | None = "", language: str = "vi"
) -> list[tuple[date, str]]:
    """The weekday days off from `first` to `last` with their names (for the posting page)."""
    off, working = parse_changes(changes)
    named = national_holidays(range(first.year, last.year + 1), language)
    extra = "Ngày nghỉ do tỉnh quy định" if language == "vi" else "Day off set by the province"
    for day in off:
        named.setdefault(day, extra)
    return [
        (day, name)
        for day, name in sorted(named.items())
        if first <= day <= last and day not in working and day.weekday() < 5
    ]
