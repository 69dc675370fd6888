"""No dead ends: error pages in Vietnamese inside the site layout with a way back (the JSON
API keeps its JSON errors), every role lands on its home, menus link the role's pages, and
`GET /logout` is a page, not a 405."""

from __future__ import annotations

import pytest
from flask import abort
from test_review_support import OWN, make_review


@pytest.fixture
def review(app, db, open_round):
    return make_review(app, db, open_round())


def _enumerator_can_sign_in(review):
    from server.queries.users import hash_password

    review.users["enum"]
    review.db.execute(
        "UPDATE users SET password_hash = ? WHERE username = 'enum'", [hash_password("pw")]
    )


@pytest.mark.parametrize(
    ("code", "title"),
    [
        (403, "Không có quyền truy cập"),
        (404, "Không tìm thấy"),
        (410, "Không còn dùng được"),
        (429, "Quá nhiều yêu cầu"),
        (500, "Máy chủ gặp lỗi"),
    ],
)
def test_error_pages_are_vietnamese_in_the_layout_with_a_way_back(app, code, title):
    def fail():
        if code == 500:
            raise RuntimeError("boom")
        abort(code)

    app.add_url_rule(f"/test-error-{code}", f"test_error_{code}", fail)
    response = app.test_client().get(f"/test-error-{code}")
    html = response.get_data(as_text=True)
    assert response.status_code == code
    assert title in html and 'id="error"' in html
    assert "<header>" in html and "Về trang chủ của bạn" in html  # the layout, a way back
    for english in ("Forbidden", "Not Found</h1>", "Internal Server Error", "Too Many Requests"):
        assert english not in html


def test_the_api_keeps_its_json_errors(app):
    response = app.test_client().get("/api/v1/no-such-thing")
    assert response.status_code == 404 and response.is_json


def test_an_enumerator_on_a_review_page_gets_a_page_with_a_way_out(review, app):
    _enumerator_can_sign_in(review)
    client = review.login(app.test_client(), "enum")
    response = client.get(f"/review/c/{OWN}/")
    html = response.get_data(as_text=True)
    assert response.status_code == 403 and "Không có quyền truy cập" in html
    assert 'href="/"' in html and "Đăng xuất" in html


@pytest.mark.parametrize(
    ("person", "home"),
    [
        ("enum", "/review/me"),
        ("head", f"/review/c/{OWN}/"),
        ("province", "/province/"),
        ("admin", "/review/admin"),
    ],
)
def test_each_role_lands_on_its_home(review, app, person, home):
    if person == "enum":
        _enumerator_can_sign_in(review)
    client = review.login(app.test_client(), person)
    response = client.get("/", follow_redirects=True)
    assert response.status_code == 200
    assert response.request.path == home


def test_the_admin_home_lists_users_tokens_and_rounds(review, app):
    from server.queries.users import issue_token

    review.users["enum"]
    issue_token(review.db, "enum", "tablet-07")
    html = review.login(app.test_client(), "admin").get("/review/admin").get_data(as_text=True)
    assert 'id="users"' in html and "Rà soát viên" in html and "enum" in html
    assert "tablet-07" in html and review.round["label"] in html
    assert review.login(app.test_client(), "head").get("/review/admin").status_code == 403


def test_menus_link_every_page_of_the_role(review, app):
    province = review.login(app.test_client(), "province")
    dashboard = province.get("/province/").get_data(as_text=True)
    assert 'href="/review/audit"' in dashboard and 'href="/review/settings"' in dashboard
    audit = province.get("/review/audit").get_data(as_text=True)
    assert 'href="/province/"' in audit
    admin = review.login(app.test_client(), "admin").get("/review/audit").get_data(as_text=True)
    assert 'href="/province/"' in admin and 'href="/review/admin"' in admin


def test_get_logout_is_a_page_with_the_sign_out_button(review, app):
    client = review.login(app.test_client(), "head")
    response = client.get("/logout")
    assert response.status_code == 200
    assert 'id="sign-out"' in response.get_data(as_text=True)
    assert client.post("/logout").status_code == 302
    assert client.get(f"/review/c/{OWN}/").status_code == 302  # signed out


def test_commune_heads_find_the_device_enrolment_pages_enumerators_do_not(review, app):
    """Tablets (ODK Collect QR codes) and phones (the offline web form) are enrolled by the
    commune head: both pages are in his menu, and each opens for him."""
    head = review.login(app.test_client(), "head")
    queue = head.get(f"/review/c/{OWN}/").get_data(as_text=True)
    for url in ("/devices/enrol", "/collect/enrol"):
        assert f'href="{url}"' in queue
        assert head.get(url).status_code == 200, url
    _enumerator_can_sign_in(review)
    enumerator = review.login(app.test_client(), "enum")
    home = enumerator.get("/review/me").get_data(as_text=True)
    assert 'href="/devices/enrol"' not in home and 'href="/collect/enrol"' not in home
