"""The commune head's path in a real browser (Playwright driving Debian's Chromium, headless)
against the real server on loopback: log in, open a household, return it with a comment,
override another, record a village meeting, produce the posting list, register and resolve a
complaint, recognise the lists. Screenshots of the queue and a household page go to /tmp."""

from __future__ import annotations

import json
import urllib.request
from datetime import date, timedelta

from browser_support import SHOTS, needs_chromium

from server.review.sample import sample_record, submit

COMMUNE = "18133"  # a commune no other live-server test uses
pytestmark = needs_chromium


def _households(live_server) -> tuple[dict, object]:
    enumerator = live_server.user(communes=(COMMUNE,))
    people = {}
    for number, (key, kind, name) in enumerate(
        [
            ("returned", "poor", "Trần Văn Trả"),
            ("overridden", "poor", "Lê Thị Chỉnh"),
            ("confirmed", "near_poor", "Hồ Văn Xác"),
        ],
        start=1,
    ):
        record = sample_record(
            kind, commune=COMMUNE, village="Thôn Bắc", number=number, head_name=name
        )
        assert submit(live_server.db(), record, enumerator).outcome == "accepted"
        people[key] = record
    return people, enumerator


def _pull(live_server, username: str) -> list[dict]:
    request = urllib.request.Request(
        f"{live_server.url}/api/v1/sync/pull",
        headers={"Authorization": f"Bearer {live_server.token(username)}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return [c for c in json.load(response)["changes"] if c["kind"] == "decision"]


def _decide(page, name: str, decision: str, comment: str = "", klass: str | None = None):
    page.get_by_role("link", name=name).click()
    page.check(f"input[name=decision][value={decision}]")
    if klass:
        page.select_option("select[name=override_class]", klass)
    page.fill("textarea[name=comment]", comment)
    page.get_by_role("button", name="Ghi quyết định").click()
    assert "Đã ghi nhận quyết định." in page.inner_text(".flash")


def test_commune_head_takes_a_round_to_recognised_lists(live_server, browser):
    people, enumerator = _households(live_server)
    head = live_server.user(role="commune", communes=(COMMUNE,), password="mật-khẩu")
    context = browser.new_context(viewport={"width": 1366, "height": 800}, locale="vi-VN")
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    page.fill("input[name=username]", head.username)
    page.fill("input[name=password]", "mật-khẩu")
    page.get_by_role("button", name="Đăng nhập / Sign in").click()
    assert page.url.endswith(f"/review/c/{COMMUNE}/")
    assert "Danh sách hộ cần kiểm tra" in page.inner_text("h1")
    page.screenshot(path=str(SHOTS / "review_queue_laptop.png"), full_page=True)

    # return one household with a comment: it reaches the enumerator's device
    _decide(page, "Trần Văn Trả", "returned", "Đo lại diện tích nhà ở")
    pulled = [
        c
        for c in _pull(live_server, enumerator.username)
        if c["household_id"] == people["returned"]["household_id"]
    ]
    assert [(c["data"]["action"], c["data"]["comment"]) for c in pulled] == [
        ("return", "Đo lại diện tích nhà ở")
    ]
    # the enumerator sends a new version; the comment is shown again beside it
    current = (
        live_server.db()
        .execute(
            "SELECT submission_id FROM households WHERE household_id = ?",
            [people["returned"]["household_id"]],
        )
        .fetchone()[0]
    )
    assert (
        submit(live_server.db(), people["returned"], enumerator, base=current).outcome == "accepted"
    )
    page.get_by_role("link", name="Trần Văn Trả").click()
    assert "Đo lại diện tích nhà ở" in page.inner_text("#return-comment")
    page.screenshot(path=str(SHOTS / "review_household_laptop.png"), full_page=True)
    page.go_back()
    _decide(page, "Trần Văn Trả", "confirmed")

    # override another, confirm the third
    _decide(page, "Lê Thị Chỉnh", "overridden", "Có lương hưu chưa kê khai", "near_poor")
    _decide(page, "Hồ Văn Xác", "confirmed")
    row = page.locator("tr", has_text="Lê Thị Chỉnh")
    assert "Hộ cận nghèo" in row.inner_text() and "theo chấm điểm" in row.inner_text()

    # village meeting
    page.get_by_role("link", name="Họp dân").first.click()
    page.select_option("select[name=village]", "Thôn Bắc")
    page.fill("input[name=chair]", "Nguyễn Trưởng Thôn")
    page.fill("input[name=attendees]", "24")
    page.fill("input[name=agree]", "15")
    page.get_by_role("button", name="Ghi biên bản họp").click()
    assert "BIÊN BẢN HỌP DÂN" in page.inner_text("#minutes")
    assert "THÔNG QUA" in page.inner_text("#minutes")
    page.emulate_media(media="print")
    page.screenshot(path=str(SHOTS / "review_minutes_print.png"), full_page=True)
    page.emulate_media(media="screen")

    # posting list, posted two weeks ago
    page.get_by_role("link", name="Niêm yết").click()
    page.fill("input[name=posted_from]", (date.today() - timedelta(days=14)).isoformat())
    page.fill("input[name=place]", "Nhà văn hoá thôn Bắc")
    page.get_by_role("button", name="Ghi nhận niêm yết").click()
    assert "Đã ghi nhận niêm yết." in page.inner_text(".flash")
    assert "Trần Văn Trả" in page.inner_text("table[data-category=poor]")
    near = page.inner_text("table[data-category=near_poor]")
    assert "Lê Thị Chỉnh" in near and "Hồ Văn Xác" in near
    assert "đã hết thời gian niêm yết" in page.inner_text("#postings")
    page.emulate_media(media="print")
    page.screenshot(path=str(SHOTS / "review_posting_print.png"), full_page=True)
    page.emulate_media(media="screen")

    # a complaint, re-checked
    page.get_by_role("link", name="Hộ gia đình").click()
    page.get_by_role("link", name="Hồ Văn Xác").click()
    page.fill("input[name=complainant]", "Phan Văn Hàng Xóm")
    page.fill("textarea[name=content]", "Hộ này có xe tải")
    page.get_by_role("button", name="Tiếp nhận khiếu nại").click()
    assert "Đã tiếp nhận khiếu nại." in page.inner_text(".flash")
    page.select_option("select[name=outcome]", "kept")
    page.fill("textarea[name=note]", "Xe tải đã bán từ năm 2024")
    page.get_by_role("button", name="Ghi kết quả phúc tra").click()
    assert "Đã ghi nhận kết quả phúc tra." in page.inner_text(".flash")

    # recognition
    page.get_by_role("link", name="Công nhận").click()
    page.fill("input[name=decision_no]", "15/QĐ-UBND")
    page.get_by_role("button", name="Công nhận và khoá danh sách").click()
    assert "Danh sách đã được công nhận và khoá." in page.inner_text(".flash")
    assert "Trần Văn Trả" in page.inner_text("table.recognised[data-category=poor]")

    # tablet width: the same pages stay readable
    tablet = browser.new_context(
        viewport={"width": 800, "height": 1280},
        locale="vi-VN",
        storage_state=context.storage_state(),
    )
    tab = tablet.new_page()
    tab.goto(f"{live_server.url}/review/c/{COMMUNE}/")
    tab.screenshot(path=str(SHOTS / "review_queue_tablet.png"), full_page=True)
    tab.goto(f"{live_server.url}/review/c/{COMMUNE}/h/{people['overridden']['household_id']}")
    tab.screenshot(path=str(SHOTS / "review_household_tablet.png"), full_page=True)
    assert tab.evaluate("document.documentElement.scrollWidth") <= 800 + 1
    tablet.close()
    context.close()
