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


# --- Vietnam's calendar (the holidays package) with the province's changes on top ----------

from server.review.workdays import (  # noqa: E402
    days_off_between,
    national_holidays,
    parse_changes,
    round_calendar,
)


def test_vietnam_calendar_2026_2027_knows_tet_by_the_lunar_calendar_and_the_fixed_days():
    days = national_holidays((2026, 2027))
    # Tết Bính Ngọ: mùng 1 is 17/02/2026; Tết Đinh Mùi: mùng 1 is 06/02/2027 (lunar calendar)
    assert {date(2026, 2, 16), date(2026, 2, 17), date(2026, 2, 18), date(2026, 2, 20)} <= set(days)
    assert "Tết Nguyên Đán" in days[date(2027, 2, 6)]
    assert {date(2027, 2, 5), date(2027, 2, 8), date(2027, 2, 9)} <= set(days)
    assert "Giỗ Tổ" in days[date(2026, 4, 26)]  # 10/3 âm lịch, a Sunday: Monday off instead
    assert date(2026, 4, 27) in days and "Giỗ Tổ" in days[date(2027, 4, 16)]
    for year in (2026, 2027):
        assert {date(year, 4, 30), date(year, 5, 1), date(year, 9, 2)} <= set(days)
    assert date(2026, 9, 1) in days and date(2027, 9, 3) in days  # 2/9 with its extra day
    assert date(2027, 5, 3) in days  # 1/5/2027 is a Saturday: substitute Monday
    assert date(2026, 3, 10) not in days  # an ordinary Tuesday


def test_posting_period_skips_tet_by_default():
    # Friday 13/02/2026, 3 working days: 13/02, then Tết (16–20/02), then 23 and 24/02
    assert posting_end(date(2026, 2, 13), 3, round_calendar(date(2026, 2, 13))) == date(2026, 2, 24)
    # across 30/4–1/5/2026 (Thursday, Friday)
    assert posting_end(date(2026, 4, 29), 3, round_calendar(date(2026, 4, 29))) == date(2026, 5, 5)


def test_the_province_adds_days_off_and_swaps_working_days():
    start = date(2026, 11, 16)  # a Monday
    assert posting_end(start, 3, round_calendar(start, "")) == date(2026, 11, 18)
    assert posting_end(start, 3, round_calendar(start, "2026-11-17")) == date(2026, 11, 19)
    saturday = date(2026, 11, 21)
    assert posting_end(saturday, 1, round_calendar(saturday, f"!{saturday}")) == saturday
    off, working = parse_changes("2026-12-31, !2026-08-22")
    assert off == {date(2026, 12, 31)} and working == {date(2026, 8, 22)}
    with pytest.raises(ValueError):
        parse_changes("!2026-02-30")


def test_days_off_are_listed_by_name_for_the_posting_page():
    listed = days_off_between(date(2026, 8, 25), date(2026, 9, 10), "2026-09-04")
    assert [d for d, _ in listed] == [date(2026, 8, 31), date(2026, 9, 1), date(2026, 9, 2),
                                      date(2026, 9, 4)]  # fmt: skip
    assert listed[2][1] == "Quốc khánh" and listed[3][1] == "Ngày nghỉ do tỉnh quy định"
    english = days_off_between(date(2026, 9, 1), date(2026, 9, 2), "", "en")
    assert all("National Day" in name for _, name in english)
