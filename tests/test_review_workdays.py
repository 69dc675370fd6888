"""The posting period counts working days: weekends and listed holidays do not count."""

from datetime import date

import pytest

from server.review.workdays import parse_holidays, posting_end


@pytest.mark.parametrize(
    ("start", "days", "holidays", "end"),
    [
        (date(2026, 11, 23), 3, "", date(2026, 11, 25)),  # Monday → Wednesday
        (date(2026, 11, 20), 3, "", date(2026, 11, 24)),  # Friday → Tuesday
        (date(2026, 11, 21), 3, "", date(2026, 11, 25)),  # Saturday: counting starts Monday
        (date(2026, 11, 20), 7, "", date(2026, 11, 30)),  # vn-2016's 7 days
        (date(2026, 8, 31), 3, "2026-09-01 2026-09-02", date(2026, 9, 4)),  # National Day
        (date(2026, 11, 23), 1, "", date(2026, 11, 23)),
    ],
)
def test_posting_end(start, days, holidays, end):
    assert posting_end(start, days, parse_holidays(holidays)) == end


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        parse_holidays("2026-13-01")
    with pytest.raises(ValueError):
        posting_end(date(2026, 11, 23), 0)
