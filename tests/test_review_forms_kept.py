"""Typed text is never lost: a form's CSRF token lives as long as the session (not one hour);
a form sent with an expired or invalid token, or refused by the workflow, comes back as typed
with a Vietnamese message (the login page too), and nothing is written."""

from __future__ import annotations

import re
import time
from html import unescape

import pytest
from itsdangerous import TimestampSigner
from test_review_support import OWN, make_review

REASON = "Hộ có lương hưu của cụ ông chưa kê khai — đã xác minh với UBND xã"


@pytest.fixture
def csrf_review(tmp_path):
    from server import create_app
    from server.db import open_app_db
    from server.queries.rounds import open_round

    app = create_app(
        {"DATABASE": str(tmp_path / "c.sqlite3"), "SECRET_KEY": "s", "WTF_CSRF_ENABLED": True},
        instance_path=str(tmp_path),
    )
    db = open_app_db(app)
    review = make_review(app, db, open_round(db, year=2026, standard="vn-2022", province="42"))
    yield review
    db.conn.close()


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def _sign_in(review, client):
    review.users["head"]
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login", data={"username": "head", "password": "pw", "csrf_token": _token(page)}
    )
    assert response.status_code == 302


def _events(review) -> int:
    return review.db.execute("SELECT count(*) FROM review_events").fetchone()[0]


def test_a_token_lives_as_long_as_the_session_not_one_hour(csrf_review, monkeypatch):
    household = csrf_review.add("poor")
    client = csrf_review.app.test_client()
    _sign_in(csrf_review, client)
    page = client.get(f"/review/c/{OWN}/h/{household}").get_data(as_text=True)
    # three hours later (lunch, a meeting): the token is three hours old
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) + 3 * 3600)
    response = client.post(
        f"/review/c/{OWN}/h/{household}/decision",
        data={"decision": "confirmed", "version": "1", "csrf_token": _token(page)},
    )
    assert response.status_code == 302  # a three-hour-old page still saves


def test_an_invalid_token_shows_the_form_again_as_typed(csrf_review):
    household = csrf_review.add("poor")
    client = csrf_review.app.test_client()
    _sign_in(csrf_review, client)
    before = _events(csrf_review)
    response = client.post(
        f"/review/c/{OWN}/h/{household}/decision",
        data={
            "decision": "overridden",
            "override_class": "near_poor",
            "comment": REASON,
            "version": "1",
            "csrf_token": "expired-or-forged",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Biểu mẫu đã quá hạn hoặc không hợp lệ nên chưa được ghi" in html
    assert REASON in unescape(html)
    assert re.search(r'value="overridden"[^>]*checked|checked[^>]*value="overridden"', html)
    assert re.search(
        r'<option selected value="near_poor">|<option value="near_poor" selected', html
    )
    assert _events(csrf_review) == before  # nothing written
    # the page carries a fresh token: sending it again saves the decision
    response = client.post(
        f"/review/c/{OWN}/h/{household}/decision",
        data={
            "decision": "overridden",
            "override_class": "near_poor",
            "comment": REASON,
            "version": "1",
            "csrf_token": _token(html),
        },
    )
    assert response.status_code == 302 and _events(csrf_review) == before + 1


def test_the_login_page_keeps_the_username_on_an_expired_token(csrf_review):
    client = csrf_review.app.test_client()
    response = client.post(
        "/login", data={"username": "trưởng-xã", "password": "x", "csrf_token": "old"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Biểu mẫu đã quá hạn" in html and 'value="trưởng-xã"' in html
    assert "Bad Request" not in html


def test_a_refused_override_keeps_every_choice(app, db, open_round):
    review = make_review(app, db, open_round())
    household = review.add("poor")
    client = review.login(app.test_client(), "head")
    response = client.post(
        f"/review/c/{OWN}/h/{household}/decision",
        data={"decision": "overridden", "override_class": "average", "comment": "", "version": "1"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Điều chỉnh loại hộ bắt buộc ghi lý do." in html
    assert re.search(r'value="overridden"[^>]*checked|checked[^>]*value="overridden"', html)
    assert re.search(r'<option selected value="average">|<option value="average" selected', html)


def test_a_refused_meeting_keeps_what_was_typed(app, db, open_round):
    review = make_review(app, db, open_round())
    review.add("poor")  # not checked yet: the meeting is refused
    client = review.login(app.test_client(), "head")
    response = client.post(
        f"/review/c/{OWN}/meetings",
        data={
            "village": "Thôn 1",
            "held_on": "2026-11-20",
            "chair": "Nguyễn Văn Trưởng Thôn",
            "attendees": "31",
            "agree": "20",
            "note": "Ý kiến của bà con ghi đầy đủ",
        },
    )
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 422 and "Chưa thể họp dân" in html
    assert 'value="Nguyễn Văn Trưởng Thôn"' in html and "Ý kiến của bà con ghi đầy đủ" in html
    assert 'value="31"' in html
