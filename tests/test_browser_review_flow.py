"""The commune head's day in a real browser (Playwright, Debian Chromium, headless) against the
real server: the list rule (a returned household blocks its village's meeting until it comes
back and is decided), decide-and-next, bulk confirmation, an expired form that keeps what was
typed, and where each role lands after signing in."""

from __future__ import annotations

from browser_support import needs_chromium

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
