"""Dates of the commune's procedure (meeting, posting, complaint, re-check) are checked against
the round and Vietnam's today, so a typing slip (2031 for 2021) is refused with a reason."""

from __future__ import annotations

from datetime import date

from server.queries.review import ReviewError

VIETNAM = "Asia/Ho_Chi_Minh"


def vietnam_today() -> date:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(VIETNAM)).date()


def check_day(db, round_id: int, day: date, what: tuple[str, str], today: date | None) -> None:
    """A date of the procedure (meeting, posting, complaint, re-check) must fall within the
    round — not before 1 January of its year — and not in the future (Vietnam's today)."""
    today = today or vietnam_today()
    year, label = db.execute(
        "SELECT year, label FROM review_rounds WHERE id = ?", [round_id]
    ).fetchone()
    shown = day.strftime("%d/%m/%Y")
    if day > today:
        raise ReviewError(
            f"{what[0]} {shown} ở tương lai (hôm nay là {today.strftime('%d/%m/%Y')}).",
            f"{what[1]} {day.isoformat()} is in the future (today is {today.isoformat()}).",
        )
    if day < date(year, 1, 1):
        raise ReviewError(
            f"{what[0]} {shown} trước đợt rà soát {label} (năm {year}).",
            f"{what[1]} {day.isoformat()} is before the review round {label} (year {year}).",
        )
