"""povcensus Collect in a real browser (Playwright driving Debian's Chromium) against the real
server on loopback: visited once online, it opens and fills households with the network off,
keeps them across a browser restart, and sends each exactly once — also when the server dies
in the middle of a sync."""

from __future__ import annotations

import json
import re

import pytest
from browser_support import SHOTS, needs_chromium
from collect_support import (
    COMMUNE,
    CSP_VIOLATIONS,
    FINALIZED,
    SENT,
    CollectServer,
    answer,
    enrol,
    fill_member,
    fill_rest,
    finalize,
    go_to_page,
    inject_finalized,
    launch,
    new_household,
    sync_and_wait,
    wait_until,
)
from playwright.sync_api import expect

pytestmark = needs_chromium


@pytest.fixture
def playwright():
    from playwright.sync_api import sync_playwright

    CSP_VIOLATIONS.clear()
    with sync_playwright() as running:
        yield running
    # the app runs under a strict same-origin policy without breaking it, and without errors
    assert CSP_VIOLATIONS == []


def _stored(server: CollectServer) -> dict[str, int]:
    return {
        "households": server.count(
            "SELECT COUNT(*) FROM households WHERE commune_code = ?", COMMUNE
        ),
        "submissions": server.count("SELECT COUNT(*) FROM submissions"),
        "scored": server.count(
            "SELECT COUNT(DISTINCT household_id) FROM scores WHERE official = 1"
        ),
        "classified": server.count(
            "SELECT COUNT(*) FROM households WHERE classification IS NOT NULL"
        ),
        "quarantined": server.count("SELECT COUNT(*) FROM quarantine"),
    }


def test_offline_fill_restart_and_sync_exactly_once(tmp_path, playwright):
    server = CollectServer(tmp_path / "server")
    profile = tmp_path / "profile"
    try:
        context = launch(playwright, profile)
        page = context.pages[0]
        enrol(page, server)

        context.set_offline(True)
        page.reload()
        page.wait_for_selector("button[data-action=new]")
        assert "Không có mạng" in page.inner_text("#net")

        # 1: a couple with a child under 16 (the nutrition question appears for her only)
        new_household(page, "Hồ Văn Một")
        go_to_page(page, "Thành viên hộ")
        fill_member(page, 0, "Hồ Văn Một", 1975)
        assert page.locator('.q[data-path="members[0].nutrition"]').is_hidden()
        page.locator("button[data-action=member-add]").click()
        fill_member(
            page, 1, "Hồ Thị Con", 2016, relation="child", sex="female", in_school=True,
            work_status="child", highest_diploma="none", uses_internet=False,
            mobile_subscription=False,
        )  # fmt: skip
        answer(page, "members[1].school_level", "primary")
        answer(page, "members[1].nutrition", "stunted")
        fill_rest(page, "30000000")
        wages = page.locator('.q[data-path="income.sources_12m.wages"]')
        expect(wages.locator("output.amount")).to_have_text("= 30.000.000")  # read back, vi
        answer(page, "income.sources_12m.wages", "30.000.000")  # written the Vietnamese way
        finalize(page)

        # 2: a birth year after the survey year, shown on the question, then fixed
        new_household(page, "Lê Thị Hai")
        go_to_page(page, "Thành viên hộ")
        fill_member(page, 0, "Lê Thị Hai", 2099, sex="female")
        message = page.locator('.q[data-path="members[0].birth_year"] .err')
        expect(message).to_have_text(
            re.compile(r"^Thành viên thứ 1 – Năm sinh: năm 2099 sau năm rà soát 20\d\d\.$")
        )
        fill_rest(page, 12_000_000)
        go_to_page(page, "Kiểm tra và hoàn tất")
        assert page.locator("button[data-action=finalize]").count() == 0
        page.locator(".finish a[data-action=goto]", has_text="Năm sinh").click()
        answer(page, "members[0].birth_year", 1968)
        page.locator('.q[data-path="members[0].sex"] input[value=female]').click()  # blur
        expect(message).to_have_text("")
        finalize(page)

        # 3
        new_household(page, "Trần Văn Ba")
        go_to_page(page, "Thành viên hộ")
        fill_member(page, 0, "Trần Văn Ba", 1990, work_status="wage_worker")
        answer(page, "members[0].labour_contract", False)
        fill_rest(page, 60_000_000)
        finalize(page)
        assert page.inner_text(FINALIZED).endswith("(3)")
        assert _stored(server)["submissions"] == 0
        context.close()

        # the browser restarts, still without network: the three are there
        context = launch(playwright, profile, offline=True)
        page = context.pages[0]
        page.goto(f"{server.url}/collect/")
        page.wait_for_selector("button[data-action=new]")
        assert page.inner_text(FINALIZED).endswith("(3)")
        names = page.inner_text('section[data-status="finalized"]')
        assert all(name in names for name in ("Hồ Văn Một", "Lê Thị Hai", "Trần Văn Ba"))

        context.set_offline(False)
        page.locator("#sync-button").click()
        page.wait_for_selector(f'{SENT}:has-text("(3)")')
        assert _stored(server) == {
            "households": 3, "submissions": 3, "scored": 3, "classified": 3, "quarantined": 0,
        }  # fmt: skip
        records = [
            json.loads(row[0])
            for row in server.live.db().execute("SELECT unpacked(record) FROM households")
        ]
        by_head = {record["head_name"]: record for record in records}
        assert sorted(by_head) == ["Hồ Văn Một", "Lê Thị Hai", "Trần Văn Ba"]
        child = by_head["Hồ Văn Một"]["members"][1]
        assert (child["member_no"], child["name"], child["nutrition"]) == (
            2,
            "Hồ Thị Con",
            "stunted",
        )
        assert by_head["Lê Thị Hai"]["members"][0]["birth_year"] == 1968
        assert by_head["Hồ Văn Một"]["income"]["sources_12m"]["wages"] == 30_000_000
        assert by_head["Hồ Văn Một"]["dwelling"]["floor_area_m2"] == 24.5

        assert sync_and_wait(page) == "Không có gì mới để gửi."
        assert _stored(server)["submissions"] == 3
        context.close()
    finally:
        server.stop()


def test_server_killed_mid_sync_loses_and_duplicates_nothing(tmp_path, playwright):
    batches = []

    def cut_second_batch(_index: int, method: str, path: str) -> str:
        if method == "POST" and path.endswith("/submissions/batch"):
            batches.append(path)
            if len(batches) == 2:
                # The server commits; its answer breaks off half-way (a cut before any byte of
                # the answer would be retried by Chromium itself, harmlessly: "duplicate").
                return "cut_body"
        return "pass"

    server = CollectServer(tmp_path / "server", faults=cut_second_batch)
    try:
        context = launch(playwright, tmp_path / "profile")
        page = context.pages[0]
        enrol(page, server)
        entries = inject_finalized(page, 60)
        page.wait_for_selector(f'{FINALIZED}:has-text("(60)")')
        assert sync_and_wait(page).startswith("Không kết nối được máy chủ")
        server.live.kill()
        assert _stored(server)["submissions"] == 50  # two batches of 25 reached the database
        assert page.inner_text(SENT).endswith("(25)")  # the device only knows of the first

        assert sync_and_wait(page).startswith("Không kết nối được máy chủ")  # still down

        server.restart()
        page.locator("#sync-button").click()
        page.wait_for_selector(f'{SENT}:has-text("(60)")')
        stored = _stored(server)
        assert stored == {
            "households": 60, "submissions": 60, "scored": 60, "classified": 60, "quarantined": 0,
        }  # fmt: skip
        ids = {row[0] for row in server.live.db().execute("SELECT instance_id FROM submissions")}
        assert ids == {entry["instance_id"] for entry in entries}
        context.close()
    finally:
        server.stop()


def _no_horizontal_overflow(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px screen"


def test_phone_viewport_work_list_and_members(tmp_path, playwright):
    server = CollectServer(tmp_path / "server")
    try:
        context = launch(
            playwright, tmp_path / "profile", viewport={"width": 390, "height": 844}, has_touch=True
        )
        page = context.pages[0]
        enrol(page, server)
        inject_finalized(page, 2)
        new_household(page, "Nguyễn Thị Điện Thoại", village="Thôn Trung Lương Đông")
        # GPS from the browser, once the person allows it
        context.grant_permissions(["geolocation"])
        context.set_geolocation({"latitude": 18.1625, "longitude": 105.584, "accuracy": 12})
        page.locator('.q[data-path="gps"] button[data-action=gps]').click()
        expect(page.locator('.q[data-path="gps"] output')).to_have_text(
            "18.1625, 105.584 (độ chính xác 12 m)"
        )
        go_to_page(page, "Thành viên hộ")
        fill_member(page, 0, "Nguyễn Thị Điện Thoại", 1982, sex="female")
        page.locator("button[data-action=member-add]").click()
        answer(page, "members[1].name", "Nguyễn Văn Em")
        page.locator("button[data-action=member-add]").click()
        answer(page, "members[2].name", "Nguyễn Thị Út")
        # reorder: the youngest moves up one place; numbers follow the order
        page.locator(
            'fieldset.member[data-path="members[2]"] button[data-action=member-up]'
        ).click()
        expect(page.locator("fieldset.member legend")).to_have_text(
            [
                "Thành viên thứ 1: Nguyễn Thị Điện Thoại",
                "Thành viên thứ 2: Nguyễn Thị Út",
                "Thành viên thứ 3: Nguyễn Văn Em",
            ]
        )
        page.once("dialog", lambda dialog: dialog.accept())
        page.locator(
            'fieldset.member[data-path="members[2]"] button[data-action=member-remove]'
        ).click()
        expect(page.locator("fieldset.member")).to_have_count(2)
        answer(page, "members[1].relation", "child")
        answer(page, "members[1].birth_year", 2031)  # after the survey year
        answer(page, "members[1].sex", "male")  # leaves the birth year: it is checked
        page.screenshot(path=str(SHOTS / "collect_members_phone.png"), full_page=True)
        _no_horizontal_overflow(page)
        assert "sau năm rà soát" in page.inner_text('.q[data-path="members[1].birth_year"] .err')

        page.locator(".household-top a").click()
        page.wait_for_selector('section[data-status="draft"] li')
        page.screenshot(path=str(SHOTS / "collect_worklist_phone.png"), full_page=True)
        _no_horizontal_overflow(page)
        assert page.inner_text('section[data-status="draft"] h2').endswith("(1)")

        page.locator("button[data-action=lang]").click()  # English on request
        expect(page.locator('section[data-status="draft"] h2')).to_have_text("Drafts (1)")
        context.close()
    finally:
        server.stop()


def test_revoked_token_keeps_unsent_households_and_sign_out_warns(tmp_path, playwright):
    from server.queries.users import revoke_token

    server = CollectServer(tmp_path / "server")
    try:
        context = launch(playwright, tmp_path / "profile")
        page = context.pages[0]
        enrol(page, server)
        inject_finalized(page, 2)
        device = server.count(
            "SELECT d.id FROM devices d JOIN users u ON u.id = d.user_id WHERE u.username = ?",
            server.username,
        )
        revoke_token(server.live.db(), device)
        banner = sync_and_wait(page)
        assert banner.startswith("Mã thiết bị đã bị thu hồi")
        assert "Các hộ chưa gửi (2) VẪN ĐƯỢC GIỮ" in banner
        assert page.inner_text(FINALIZED).endswith("(2)")
        assert server.count("SELECT COUNT(*) FROM submissions") == 0

        page.locator(".who a").click()
        messages = []

        def dismiss(dialog):
            messages.append(dialog.message)
            dialog.dismiss()

        page.once("dialog", dismiss)
        page.locator("button[data-action=sign-out]").click()
        for _ in range(100):  # the warning comes after the unsent households are counted
            if messages:
                break
            page.wait_for_timeout(50)
        assert "XOÁ khỏi máy này mọi hộ chưa gửi (2 hộ)" in messages[0]
        page.locator(".device a").click()
        assert page.inner_text(FINALIZED).endswith("(2)")  # dismissed: nothing deleted

        page.locator(".who a").click()
        page.once("dialog", lambda dialog: dialog.accept())
        page.locator("button[data-action=sign-out]").click()
        page.wait_for_selector("text=Máy này chưa được đăng ký")
        assert page.inner_text(FINALIZED).endswith("(0)")
        context.close()
    finally:
        server.stop()


def test_server_rejection_shown_on_the_question_then_fixed(tmp_path, playwright):
    server = CollectServer(tmp_path / "server")
    try:
        context = launch(playwright, tmp_path / "profile")
        page = context.pages[0]
        enrol(page, server)
        [entry] = inject_finalized(page, 1)
        # A record the device did not check (an older app version, say): the server refuses
        # the third member's birth year.
        page.evaluate(
            """async (id) => {
                const store = await import('./static/store.js');
                const entry = await store.getHousehold(id);
                entry.record.members[2].birth_year = 2099;
                await store.putHousehold(entry);
            }""",
            entry["local_id"],
        )
        page.locator("#sync-button").click()
        page.wait_for_selector('section[data-status="rejected"] li')
        reason = page.inner_text('section[data-status="rejected"] ul.errors')
        assert "Thành viên thứ 3 – Năm sinh: năm 2099 sau năm rà soát 2026." in reason

        page.locator('section[data-status="rejected"] a.name').click()
        go_to_page(page, "Thành viên hộ")
        question = page.locator('.q[data-path="members[2].birth_year"]')
        assert "năm 2099 sau năm rà soát 2026" in question.locator(".err").inner_text()
        answer(page, "members[2].birth_year", 2014)
        page.locator('.q[data-path="members[2].sex"] input[value=female]').click()
        expect(question.locator(".err")).to_have_text("")
        go_to_page(page, "Kiểm tra và hoàn tất")
        page.locator("button[data-action=finalize]").click()
        page.wait_for_selector(f'{SENT}:has-text("(1)")')
        record = json.loads(
            server.live.db().execute("SELECT unpacked(record) FROM households").fetchone()[0]
        )
        assert record["members"][2]["birth_year"] == 2014
        context.close()
    finally:
        server.stop()


def test_conflict_shows_both_versions_and_the_choice_is_sent(tmp_path, playwright):
    import urllib.request
    import uuid

    server = CollectServer(tmp_path / "server")
    try:
        context = launch(playwright, tmp_path / "profile")
        page = context.pages[0]
        enrol(page, server)
        [entry] = inject_finalized(page, 1)
        page.locator("#sync-button").click()
        page.wait_for_selector(f'{SENT}:has-text("(1)")')

        # meanwhile a clerk changes the household from another device
        other = {**entry["record"], "head_name": "Tên Do Xã Sửa"}
        item = {
            "id": str(uuid.uuid4()),
            "household_id": other["household_id"],
            "form_id": other["form_id"],
            "form_version": other["form_version"],
            "base": entry["instance_id"],
            "record": other,
        }
        request = urllib.request.Request(
            f"{server.live.url}/api/v1/submissions/batch",
            data=json.dumps({"items": [item]}).encode(),
            headers={
                "Authorization": f"Bearer {server.live.token(server.username, 'office')}",
                "Content-Type": "application/json",
            },
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.load(response)["results"][0]["outcome"] == "accepted"

        page.locator(f'{SENT} + ul a.name, section[data-status="sent"] a.name').first.click()
        page.locator("button[data-action=edit-again]").click()
        answer(page, "address", "Xóm Mới, xã Hương Khê")
        go_to_page(page, "Kiểm tra và hoàn tất")
        page.locator("button[data-action=finalize]").click()
        page.wait_for_selector('section[data-status="conflict"] li')

        page.locator('section[data-status="conflict"] a.name').click()
        page.wait_for_selector(".diff")
        diff = page.inner_text(".diff")
        assert "Tên Do Xã Sửa" in diff and "Xóm Mới, xã Hương Khê" in diff
        page.locator("button[data-action=keep-mine]").click()
        page.wait_for_selector(f'{SENT}:has-text("(1)")')
        version, record = (
            server.live.db().execute("SELECT version, unpacked(record) FROM households").fetchone()
        )
        assert version == 3
        assert json.loads(record)["address"] == "Xóm Mới, xã Hương Khê"
        assert server.count("SELECT COUNT(*) FROM quarantine") == 1  # the conflict, kept
        context.close()
    finally:
        server.stop()


def test_last_rounds_households_and_returned_ones_come_to_the_device(tmp_path, playwright):
    from server.queries.review import record_decision
    from server.queries.rounds import close_round
    from server.review.sample import sample_record, submit

    server = CollectServer(tmp_path / "server", open_round=False)
    try:
        db = server.live.db()
        office = server.live.user(communes=(COMMUNE,))
        head = server.live.user(role="commune", communes=(COMMUNE,))
        last_year = server.live.open_round(year=2025)
        old = sample_record("poor", commune=COMMUNE, number=1, head_name="Phan Văn Cũ")
        assert submit(db, old, office).outcome == "accepted"
        close_round(db, last_year["label"])
        this_year = server.live.open_round(year=2026)
        returned = sample_record("near_poor", commune=COMMUNE, number=2, head_name="Võ Thị Trả")
        assert submit(db, returned, office).outcome == "accepted"
        record_decision(
            db,
            round_id=this_year["id"],
            household_id=returned["household_id"],
            user_id=head.id,
            decision="returned",
            version=1,
            reason="Đo lại diện tích nhà ở",
        )

        context = launch(playwright, tmp_path / "profile")
        page = context.pages[0]
        enrol(page, server)  # the first sync pulls the assignments and the return
        page.wait_for_selector('section[data-status="returned"] li')
        assert "Đo lại diện tích nhà ở" in page.inner_text('section[data-status="returned"]')
        assert "Phan Văn Cũ" in page.inner_text("section.assignments")

        # revisit last round's household: it starts from last year's answers
        page.locator("section.assignments button[data-action=start-assignment]").click()
        page.wait_for_selector('.q[data-path="head_name"]')
        assert page.input_value('.q[data-path="head_name"] input') == "Phan Văn Cũ"
        go_to_page(page, "Kiểm tra và hoàn tất")
        page.locator("button[data-action=finalize]").click()
        page.wait_for_selector(f'{SENT}:has-text("(1)")')

        # the returned household: the commune's comment on top, the answer corrected, sent
        page.locator('section[data-status="returned"] a.name').click()
        page.wait_for_selector("text=Ý kiến của xã: Đo lại diện tích nhà ở")
        go_to_page(page, "Nhà ở và điều kiện sống")
        answer(page, "dwelling.floor_area_m2", "41,5")
        go_to_page(page, "Kiểm tra và hoàn tất")
        page.locator("button[data-action=finalize]").click()
        page.wait_for_selector(f'{SENT}:has-text("(2)")')

        rows = {
            row[0]: row[1:]
            for row in db.execute(
                "SELECT household_id, version, unpacked(record) FROM households WHERE round_id = ?",
                [this_year["id"]],
            )
        }
        assert rows[old["household_id"]][0] == 1
        assert json.loads(rows[old["household_id"]][1])["head_name"] == "Phan Văn Cũ"
        assert rows[returned["household_id"]][0] == 2  # an edit of the returned version
        assert json.loads(rows[returned["household_id"]][1])["dwelling"]["floor_area_m2"] == 41.5
        context.close()
    finally:
        server.stop()


def test_storage_denied_says_so(tmp_path, playwright):
    server = CollectServer(tmp_path / "server")
    try:
        context = launch(playwright, tmp_path / "profile")
        # private browsing / blocked storage: opening IndexedDB throws
        context.add_init_script(
            "Object.defineProperty(window, 'indexedDB', {get() {"
            " throw new DOMException('blocked', 'SecurityError'); }});"
        )
        page = context.pages[0]
        page.goto(f"{server.url}/collect/#enrol={server.token}")
        page.wait_for_selector("text=Trình duyệt không cho phép lưu dữ liệu")
        assert page.locator("button[data-action=new]").is_disabled()
        context.close()
    finally:
        server.stop()


def _bad_records() -> dict[str, dict]:
    from conftest import example_household

    def changed(change) -> dict:
        record = example_household()
        change(record)
        return record

    def member(index, **values):
        return lambda r: r["members"][index].update(values)

    return {
        "birth year after the survey year": changed(member(2, birth_year=2099)),
        "no head": changed(member(0, relation="spouse")),
        "two heads": changed(member(1, relation="head")),
        "unknown relation": changed(member(1, relation="boss")),
        "school level out of school": changed(member(0, school_level="primary")),
        "not a whole number": changed(member(0, birth_year=1978.5)),
        "floor area zero": changed(lambda r: r["dwelling"].update(floor_area_m2=0)),
        "negative wages": changed(lambda r: r["income"]["sources_12m"].update(wages=-5)),
        "village missing": changed(lambda r: r.update(village=None)),
        "head's name too long": changed(lambda r: r.update(head_name="A" * 101)),
        "no members": changed(lambda r: r.update(members=[])),
        "no income at all": changed(lambda r: r.update(income={"sources_12m": None})),
        "interview in the future": changed(lambda r: r.update(survey_date="2027-01-02")),
        "GPS out of range": changed(lambda r: r.update(gps={"lat": 95, "lon": 105.5})),
    }


def test_device_checks_say_what_survey_forms_says(tmp_path, playwright):
    """The device's checks find the problems survey_forms finds, with the same messages."""
    from datetime import date

    from survey_forms import validate_household

    today = date(2026, 10, 20)
    server = CollectServer(tmp_path / "server")
    try:
        context = launch(playwright, tmp_path / "profile")
        page = context.pages[0]
        page.goto(f"{server.url}/collect/")
        page.wait_for_selector("#bar button")
        for name, record in _bad_records().items():
            expected = {
                (e.path, e.code, e.message_vi, e.message_en)
                for e in validate_household(record, today=today)
            }
            assert expected, name
            found = page.evaluate(
                """async ([record, today]) => {
                    const { Checker } = await import('./static/rules.js');
                    const form = await (await fetch('./questionnaire.json')).json();
                    return new Checker(form).check(record, today);
                }""",
                [record, today.isoformat()],
            )
            got = {(e["path"], e["code"], e["message_vi"], e["message_en"]) for e in found}
            assert got == expected, name
        context.close()
    finally:
        server.stop()


def test_storage_full_says_the_change_is_not_saved_then_recovers(tmp_path, playwright):
    server = CollectServer(tmp_path / "server")
    try:
        context = launch(playwright, tmp_path / "profile")
        # a full disk, switched on and off by the test: every IndexedDB write then fails
        context.add_init_script(
            "window.__full = false; const put = IDBObjectStore.prototype.put;"
            " IDBObjectStore.prototype.put = function (...args) {"
            "  if (window.__full) throw new DOMException('full', 'QuotaExceededError');"
            "  return put.apply(this, args); };"
        )
        page = context.pages[0]
        enrol(page, server)
        new_household(page, "Đặng Văn Đầy")
        page.evaluate("window.__full = true")
        answer(page, "village", "Thôn Đầy")
        expect(page.locator("#banner")).to_contain_text("Bộ nhớ của trình duyệt đã đầy")
        expect(page.locator("#saved")).to_have_text("CHƯA LƯU ĐƯỢC trên máy!")
        page.evaluate("window.__full = false")
        answer(page, "village", "Thôn Đã Lưu")
        expect(page.locator("#saved")).to_have_text("Đã lưu trên máy")
        expect(page.locator("#banner")).to_have_text("")
        page.reload()  # the same household page again, from what was stored
        expect(page.locator('.q[data-path="village"] input')).to_have_value("Thôn Đã Lưu")
        context.close()
    finally:
        server.stop()


def test_tab_closed_mid_sync_resumes_exactly_once(tmp_path, playwright):
    stalled = []

    def stall_first_batch(_index: int, method: str, path: str) -> str:
        if method == "POST" and path.endswith("/submissions/batch") and not stalled:
            stalled.append(path)
            return "stall"  # the request hangs on a bad line; the enumerator gives up
        return "pass"

    server = CollectServer(tmp_path / "server", faults=stall_first_batch)
    profile = tmp_path / "profile"
    try:
        context = launch(playwright, profile)
        page = context.pages[0]
        enrol(page, server)
        entries = inject_finalized(page, 30)
        page.locator("#sync-button").click()
        wait_until(page, "() => document.querySelector('#sync-button').textContent.includes('…')")
        for _ in range(100):
            if stalled:
                break
            page.wait_for_timeout(50)
        context.close()  # the tab is closed in the middle of the sync
        assert stalled and server.count("SELECT COUNT(*) FROM submissions") == 0

        context = launch(playwright, profile)
        page = context.pages[0]
        page.goto(f"{server.url}/collect/")  # opening the app online syncs by itself
        page.wait_for_selector(f'{SENT}:has-text("(30)")')
        ids = {row[0] for row in server.live.db().execute("SELECT instance_id FROM submissions")}
        assert ids == {entry["instance_id"] for entry in entries}
        assert server.count("SELECT COUNT(*) FROM households") == 30
        context.close()
    finally:
        server.stop()
