"""Working-day arithmetic for the public posting period (niêm yết), pure functions.

The law counts the posting period in working days (3 under Quyết định 24/2021, 7 under
Thông tư 17/2016). Saturdays and Sundays are not working days; public holidays are whatever
the round's settings list (the software does not guess Vietnam's lunar-calendar holidays).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta


def parse_holidays(text: str | None) -> set[date]:
    """ISO dates separated by spaces, commas or new lines; raises ValueError on a bad one."""
    parts = (text or "").replace(",", " ").split()
    return {date.fromisoformat(part) for part in parts}


def is_working_day(day: date, holidays: Iterable[date] = ()) -> bool:
    return day.weekday() < 5 and day not in set(holidays)


def posting_end(start: date, working_days: int, holidays: Iterable[date] = ()) -> date:
    """The last day of a posting that starts on `start` and lasts `working_days` working days.

    The start day counts when it is a working day; a posting put up on a Saturday starts
    counting on Monday.
    """
    if working_days < 1:
        raise ValueError("working_days must be at least 1")
    holidays = set(holidays)
    day, counted = start, 0
    while True:
        if is_working_day(day, holidays):
            counted += 1
            if counted == working_days:
                return day
        day += timedelta(days=1)
