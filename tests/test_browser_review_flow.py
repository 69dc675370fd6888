"""The commune head's day in a real browser (Playwright, Debian Chromium, headless) against the
real server: the list rule (a returned household blocks its village's meeting until it comes
back and is decided), decide-and-next, bulk confirmation, an expired form that keeps what was
typed, and where each role lands after signing in."""

from __future__ import annotations

import pytest
from browser_support import needs_chromium
from conftest import start_live_server

from server.review.sample import sample_record, submit

pytestmark = needs_chromium
PASSWORD = "mật-khẩu"


def _households(live_server, commune: str, village: str, kinds_names, enumerator=None):
    enumerator = enumerator or live_server.user(communes=(commune,))
    records = []
    for number, (kind, name) in enumerate(kinds_names, start=1):
        record = sample_record(
            kind, commune=commune, village=village, number=number, head_name=name
        )
        assert submit(live_server.db(), record, enumerator).outcome == "accepted"
        records.append(record)
    return records, enumerator


def _sign_in(browser, live_server, user, password=PASSWORD):
    context = browser.new_context(viewport={"width": 1366, "height": 800}, locale="vi-VN")
    page = context.new_page()
    page.goto(f"{live_server.url}/login")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Đăng nhập / Sign in").click()
    return context, page


def _meeting(page, village: str, attendees="20", agree="15"):
    page.get_by_role("link", name="Họp dân").first.click()
    page.select_option("select[name=village]", village)
    page.fill("input[name=chair]", "Nguyễn Trưởng Thôn")
    page.fill("input[name=attendees]", attendees)
    page.fill("input[name=agree]", agree)
    page.get_by_role("button", name="Ghi biên bản họp").click()


def test_a_returned_household_blocks_the_meeting_until_it_is_decided_again(live_server, browser):
    commune = "18604"
    (kept, returned), enumerator = _households(
        live_server, commune, "Thôn Đông", [("poor", "Võ Văn Giữ"), ("poor", "Đặng Văn Trả")]
    )
    head = live_server.user(role="commune", communes=(commune,), password=PASSWORD)
    context, page = _sign_in(browser, live_server, head)
    for name, decision in (("Võ Văn Giữ", "confirmed"), ("Đặng Văn Trả", "returned")):
        page.goto(f"{live_server.url}/review/c/{commune}/")
        page.get_by_role("link", name=name).click()
        page.check(f"input[name=decision][value={decision}]")
        page.fill("textarea[name=comment]", "Kiểm tra lại thu nhập")
        page.get_by_role("button", name="Ghi quyết định").click()

    _meeting(page, "Thôn Đông")
    flash = page.inner_text(".flash")
    assert "Chưa thể họp dân" in flash and "1 hộ đang rà soát lại" in flash
    assert "BIÊN BẢN HỌP DÂN" not in page.content()

    # the enumerator sends the household again; the commune decides it; the village meets
    current = (
        live_server.db()
        .execute(
            "SELECT submission_id FROM households WHERE household_id = ?",
            [returned["household_id"]],
        )
        .fetchone()[0]
    )
    assert submit(live_server.db(), returned, enumerator, base=current).outcome == "accepted"
    page.goto(f"{live_server.url}/review/c/{commune}/")
    page.get_by_role("link", name="Đặng Văn Trả").click()
    page.check("input[name=decision][value=confirmed]")
    page.get_by_role("button", name="Ghi quyết định").click()
    _meeting(page, "Thôn Đông")
    assert "THÔNG QUA" in page.inner_text("#minutes")

    page.get_by_role("link", name="Niêm yết").click()
    poor = page.inner_text("table[data-category=poor]")
    assert "Võ Văn Giữ" in poor and "Đặng Văn Trả" in poor
    context.close()


def test_decide_and_next_keeps_the_village_filter_across_five_households(live_server, browser):
    commune = "18619"
    south = [("near_poor", f"Nam Hộ {n}") for n in range(1, 6)]
    _households(live_server, commune, "Thôn Nam", south)
    _households(live_server, commune, "Thôn Bắc", [("poor", "Bắc Hộ 1"), ("poor", "Bắc Hộ 2")])
    head = live_server.user(role="commune", communes=(commune,), password=PASSWORD)
    context, page = _sign_in(browser, live_server, head)
    page.goto(f"{live_server.url}/review/c/{commune}/")
    page.select_option("select[name=village]", "Thôn Nam")
    page.get_by_role("button", name="Xem").click()
    page.get_by_role("link", name="Nam Hộ 1").click()
    page.screenshot(path="/tmp/review_household_explained.png", full_page=True)
    for number in range(1, 6):
        assert page.inner_text("h1").startswith(f"Nam Hộ {number}")
        assert "village=Th%C3%B4n+Nam" in page.url or "village=Thôn+Nam" in page.url
        assert f"Hộ thứ {number}/5 trong danh sách" in page.inner_text("nav.walk")
        with page.expect_navigation():
            page.keyboard.press("c")  # confirm and open the next household
        assert "Đã ghi nhận quyết định." in page.inner_text(".flash")
    # after the last one: back on the same filtered list
    assert "/review/c/18619/" in page.url
    assert "Thôn+Nam" in page.url or "Th%C3%B4n+Nam" in page.url
    rows = page.locator("table.list tbody tr")
    assert rows.count() == 5
    assert all("Đã xác nhận" in rows.nth(i).inner_text() for i in range(5))
    statuses = dict(
        live_server.db().execute(
            "SELECT json_extract(unpacked(record), '$.head_name'), status FROM households"
            " WHERE commune_code = ?",
            [commune],
        )
    )
    assert statuses == {
        **{name: "confirmed" for _kind, name in south},
        "Bắc Hộ 1": "submitted",
        "Bắc Hộ 2": "submitted",
    }
    context.close()


def test_bulk_confirm_of_fifty_households_audits_each(live_server, browser):
    commune = "18628"
    kinds = [("near_poor" if n % 2 else "poor", f"Hộ Số {n:02d}") for n in range(1, 51)]
    records, _ = _households(live_server, commune, "Thôn Trung", kinds)
    head = live_server.user(role="commune", communes=(commune,), password=PASSWORD)
    context, page = _sign_in(browser, live_server, head)
    page.goto(f"{live_server.url}/review/c/{commune}/")
    page.check("#pick-all")
    assert page.locator("input[name=pick]:checked").count() == 50
    page.get_by_role("button", name="Xác nhận các hộ đã chọn…").click()
    assert page.locator("#to-confirm tbody tr").count() == 50
    page.get_by_role("button", name="Xác nhận 50 hộ này").click()
    assert "Đã xác nhận 50 hộ." in page.inner_text(".flash")
    events = (
        live_server.db()
        .execute(
            "SELECT household_id, count(*) FROM review_events WHERE commune_code = ?"
            " AND action = 'confirm' AND user_id = ? GROUP BY household_id",
            [commune, head.id],
        )
        .fetchall()
    )
    assert sorted(events) == sorted((r["household_id"], 1) for r in records)
    context.close()


@pytest.fixture(scope="module")
def short_token_server(tmp_path_factory):
    """A server whose CSRF tokens expire after 2 seconds (the default is the session's life):
    lets the test see a form expire without waiting over lunch."""
    server = start_live_server(
        tmp_path_factory.mktemp("short-csrf"), POVCENSUS_WTF_CSRF_TIME_LIMIT="2"
    )
    server.open_round()
    yield server
    server.stop()


def test_an_expired_form_keeps_the_typed_reason(short_token_server, browser):
    commune = "18634"
    _households(short_token_server, commune, "Thôn Tây", [("poor", "Hoàng Văn Chậm")])
    head = short_token_server.user(role="commune", communes=(commune,), password=PASSWORD)
    context, page = _sign_in(browser, short_token_server, head)
    page.get_by_role("link", name="Hoàng Văn Chậm").click()
    reason = "Cụ ông có lương hưu 4 triệu/tháng chưa kê khai, đã đối chiếu sổ hưu"
    page.check("input[name=decision][value=overridden]")
    page.select_option("select[name=override_class]", "near_poor")
    page.fill("textarea[name=comment]", reason)
    page.wait_for_timeout(3500)  # the token expires while the page stays open
    page.get_by_role("button", name="Ghi quyết định").click()
    assert "Biểu mẫu đã quá hạn" in page.inner_text("#form-expired")
    assert page.input_value("textarea[name=comment]") == reason
    assert page.is_checked("input[name=decision][value=overridden]")
    assert page.input_value("select[name=override_class]") == "near_poor"
    page.get_by_role("button", name="Ghi quyết định").click()  # sent again at once: saved
    assert "Đã ghi nhận quyết định." in page.inner_text(".flash")
    status = (
        short_token_server.db()
        .execute(
            "SELECT status FROM households WHERE json_extract(unpacked(record), '$.head_name') = ?",
            ["Hoàng Văn Chậm"],
        )
        .fetchone()[0]
    )
    assert status == "overridden"
    context.close()


def test_an_enumerator_signing_in_lands_on_his_own_page(live_server, browser):
    commune = "18652"
    enumerator = live_server.user(communes=(commune,), password=PASSWORD)
    records, _ = _households(
        live_server,
        commune,
        "Thôn Mới",
        [("poor", "Phan Văn Sai"), ("poor", "Lê Văn Đúng")],
        enumerator=enumerator,
    )
    head = live_server.user(role="commune", communes=(commune,), password=PASSWORD)
    context, page = _sign_in(browser, live_server, head)
    page.get_by_role("link", name="Phan Văn Sai").click()
    page.check("input[name=decision][value=returned]")
    page.fill("textarea[name=comment]", "Ghi lại năm sinh của con")
    page.get_by_role("button", name="Ghi quyết định").click()
    context.close()

    context, page = _sign_in(browser, live_server, enumerator)
    assert page.url.endswith("/review/me")
    assert "Việc của tôi" in page.inner_text("h1")
    name = live_server.db().execute("SELECT name FROM communes WHERE code = ?", [commune])
    assert name.fetchone()[0] in page.inner_text("#assignments")
    returned = page.inner_text("#returned")
    assert "Phan Văn Sai" in returned and "Ghi lại năm sinh của con" in returned
    assert "Lê Văn Đúng" not in returned
    assert live_server.url in page.inner_text("#tablet ~ ol")
    page.screenshot(path="/tmp/review_enumerator_home.png", full_page=True)
    # a review page is closed to him, with a way back, and the sign-out link works from there
    page.goto(f"{live_server.url}/review/c/{commune}/")
    assert "Không có quyền truy cập" in page.inner_text("h1")
    page.get_by_role("link", name="Về trang chủ của bạn / Your home page").click()
    assert page.url.endswith("/review/me")
    page.goto(f"{live_server.url}/logout")
    page.click("#sign-out")
    assert "/login" in page.url
    context.close()
