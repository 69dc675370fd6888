"""Dates of the procedure are checked: a village meeting, a posting, a complaint and its
re-check must fall within the round (not before 1 January of its year) and not in the future."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from test_review_support import OWN, make_review

from server.queries import review as rq
from server.queries import review_commune as cq

TODAY = date(2026, 11, 27)


@pytest.fixture
def review(app, db, open_round):
    return make_review(app, db, open_round(year=2026))


def _decided(review) -> str:
    household = review.add("poor")
    rq.record_decision(
        review.db,
        round_id=review.round["id"],
        household_id=household,
        user_id=review.users["head"].id,
        decision="confirmed",
        version=1,
    )
    return household


def _meeting(review, held_on):
    return cq.record_meeting(
        review.db,
        round_id=review.round["id"],
        commune_code=OWN,
        village="Thôn 1",
        held_on=held_on,
        chair="Trưởng thôn",
        secretary=None,
        attendees=10,
        agree=8,
        note=None,
        user_id=review.users["head"].id,
        today=TODAY,
    )


@pytest.mark.parametrize(
    ("day", "message"),
    [(date(2031, 1, 1), "ở tương lai"), (date(2025, 12, 31), "trước đợt rà soát 2026-annual")],
)
def test_a_meeting_outside_the_round_is_refused(review, day, message):
    _decided(review)
    with pytest.raises(rq.ReviewError) as refused:
        _meeting(review, day)
    assert message in refused.value.message_vi
    assert review.db.execute("SELECT count(*) FROM review_meetings").fetchone() == (0,)
    assert _meeting(review, TODAY)["passed"]  # the day itself is fine


def test_posting_and_complaint_dates_cannot_be_in_the_future(review):
    household = _decided(review)
    tomorrow = TODAY + timedelta(days=1)
    with pytest.raises(rq.ReviewError, match="future"):
        cq.record_posting(
            review.db,
            review_round=review.round,
            commune_code=OWN,
            kind="list",
            posted_from=tomorrow,
            place=None,
            note=None,
            user_id=review.users["head"].id,
            today=TODAY,
        )
    with pytest.raises(rq.ReviewError, match="future"):
        cq.register_complaint(
            review.db,
            round_id=review.round["id"],
            household_id=household,
            complainant="A",
            content="B",
            received_on=tomorrow,
            user_id=review.users["head"].id,
            today=TODAY,
        )
    complaint = cq.register_complaint(
        review.db,
        round_id=review.round["id"],
        household_id=household,
        complainant="A",
        content="B",
        received_on=TODAY,
        user_id=review.users["head"].id,
        today=TODAY,
    )
    with pytest.raises(rq.ReviewError, match="before the review round"):
        cq.resolve_complaint(
            review.db,
            complaint_id=complaint,
            recheck_on=date(2020, 5, 1),
            outcome="kept",
            new_class=None,
            note="ok",
            user_id=review.users["head"].id,
            today=TODAY,
        )


def test_the_meeting_form_says_why_a_date_is_refused_and_keeps_the_form(review, app):
    _decided(review)
    client = review.login(app.test_client(), "head")
    response = client.post(
        f"/review/c/{OWN}/meetings",
        data={
            "village": "Thôn 1",
            "held_on": "2031-01-01",
            "chair": "Nguyễn Văn Chủ Trì",
            "attendees": "20",
            "agree": "15",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Ngày họp 01/01/2031 ở tương lai" in html and "Nguyễn Văn Chủ Trì" in html
    assert review.db.execute("SELECT count(*) FROM review_meetings").fetchone() == (0,)
