"""One person in two current households of the province: the matching rule (pure), the derived
`persons` index kept by the households' triggers, the province list (`povcensus duplicates`) and
the flag with the other household in the commune queue. Nothing is blocked."""

from __future__ import annotations

import csv
import io

import pytest
from browser_support import needs_chromium
from click.testing import CliRunner
from test_review_support import FOREIGN, OWN, make_review

from server.review.sample import sample_record, submit
from survey_forms.persons import Person, normalise_name, same_person_pairs

# --- the rule --------------------------------------------------------------------------------


def person(household, name, year, commune=OWN, citizen_id=None, member_no=1) -> Person:
    return Person(household, commune, member_no, name, year, citizen_id)


def pairs(*people: Person) -> set[tuple[str, str, str]]:
    return {(a.household_id, b.household_id, why) for a, b, why in same_person_pairs(people)}


def test_names_fold_diacritics_case_and_spaces():
    assert normalise_name("Nguyễn Văn An") == "nguyen van an"
    assert normalise_name("  NGUYỄN   văn AN ") == "nguyen van an"
    assert normalise_name("Đặng Thị Ánh") == normalise_name("Dang Thi Anh") == "dang thi anh"
    assert normalise_name("") is None and normalise_name(None) is None


def test_same_name_birth_year_and_commune_match():
    found = pairs(person("h1", "Nguyễn Văn An", 1978), person("h2", "NGUYEN VAN AN", 1978))
    assert found == {("h1", "h2", "name")}


def test_same_name_other_birth_year_is_another_person():
    assert pairs(person("h1", "Nguyễn Văn An", 1978), person("h2", "Nguyễn Văn An", 1979)) == set()


def test_same_name_and_year_in_another_commune_needs_the_id():
    assert (
        pairs(person("h1", "Lê Thị Hoa", 1990), person("h2", "Lê Thị Hoa", 1990, FOREIGN)) == set()
    )
    same_id = pairs(person("h1", "Lê Thị Hoa", 1990, citizen_id="042190000001"),
                    person("h2", "Le Hoa", 1990, FOREIGN, citizen_id="042190000001"))  # fmt: skip
    assert same_id == {("h1", "h2", "citizen_id")}


def test_two_recorded_different_ids_are_two_people():
    a = person("h1", "Trần Văn Bình", 1985, citizen_id="042085000001")
    b = person("h2", "Trần Văn Bình", 1985, citizen_id="042085000002")
    assert pairs(a, b) == set()
    c = person("h3", "Trần Văn Bình", 1985)  # no id: the name rule applies
    assert pairs(a, c) == {("h1", "h3", "name")}


def test_members_of_one_household_are_not_duplicates():
    assert pairs(person("h1", "An", 2000), person("h1", "An", 2000, member_no=2)) == set()


# --- the server: index, province list, queue -------------------------------------------------


@pytest.fixture
def review(app, db, open_round):
    return make_review(app, db, open_round())


def add(review, commune: str, number: int, name: str, year: int, citizen_id=None, sex="male"):
    """A household whose second member (a sibling) is the person under test."""
    record = sample_record("poor", commune=commune, village="Thôn 9", number=number)
    for index, member in enumerate(record["members"]):  # the sample's own people: all different
        member["name"] = f"Người {commune} {number} {index}"
    record["head_name"] = record["members"][0]["name"]
    extra = dict(record["members"][0], member_no=9, relation="sibling", name=name,
                 birth_year=year, sex=sex, citizen_id=citizen_id, work_status="farmer",
                 labour_contract=None, in_school=False, school_level=None, nutrition=None)  # fmt: skip
    record["members"].append(extra)
    enumerator = review.users["enum" if commune == OWN else "enum_foreign"]
    outcome = submit(review.db, record, enumerator)
    assert outcome.outcome == "accepted", outcome.to_result()  # nothing is blocked
    return record


def test_index_follows_current_versions_and_rebuilds_the_same(review):
    from server.db import rebuild_person_index, transaction
    from server.queries.persons import commune_duplicates

    a = add(review, OWN, 1, "Nguyễn Văn Tư", 1960)
    b = add(review, OWN, 2, "NGUYEN VAN TU", 1960)
    c = add(review, OWN, 3, "Nguyễn Văn Tư", 1961)  # another man of that name
    ids = [r["household_id"] for r in (a, b, c)]
    found = commune_duplicates(review.db, review.round["id"], OWN, ids)
    assert set(found) == {a["household_id"], b["household_id"]}
    assert found[a["household_id"]][0]["household_id"] == b["household_id"]
    assert found[a["household_id"]][0]["reason"] == "name"

    # b's new version no longer lists him: only current households count
    current = review.db.execute(
        "SELECT submission_id FROM households WHERE household_id = ?", [b["household_id"]]
    ).fetchone()[0]
    b["members"] = b["members"][:-1]
    outcome = submit(review.db, b, review.users["enum"], base=current)
    assert outcome.outcome == "accepted"
    assert commune_duplicates(review.db, review.round["id"], OWN, ids) == {}

    before = sorted(review.db.execute("SELECT * FROM persons").fetchall())
    with transaction(review.db) as conn:
        rebuild_person_index(conn)
    assert sorted(review.db.execute("SELECT * FROM persons").fetchall()) == before
    assert (
        len(before)
        == sum(len(r) for r in [a["members"], b["members"]])
        + len(sample_record("poor")["members"])
        + 1
    )


def test_province_list_and_the_commune_queue_show_both_households(review, monkeypatch):
    from povcensus.cli import main

    cid = "042190000123"
    own = add(review, OWN, 1, "Lê Thị Hoa", 1990, citizen_id=cid, sex="female")
    foreign = add(review, FOREIGN, 1, "Lê Thị Hoà", 1990, citizen_id=cid, sex="female")
    twin_a = add(review, OWN, 2, "Phạm Văn Nam", 1972)
    twin_b = add(review, OWN, 3, "Pham Van Nam", 1972)
    add(review, OWN, 4, "Phạm Văn Nam", 1975)  # same name, other year: never flagged

    monkeypatch.setenv("POVCENSUS_INSTANCE_PATH", review.app.instance_path)
    result = CliRunner().invoke(
        main,
        ["duplicates", "--round", review.round["label"], "--db", review.app.config["DATABASE"]],
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {(frozenset((r["Hộ thứ nhất"], r["Hộ thứ hai"])), r["Lý do"]) for r in rows} == {
        (frozenset((own["household_id"], foreign["household_id"])), "Trùng số định danh cá nhân"),
        (frozenset((twin_a["household_id"], twin_b["household_id"])), "Trùng họ tên, năm sinh, xã"),
    }
    communes = {r["Xã/phường (hộ thứ nhất)"] for r in rows} | {
        r["Xã/phường (hộ thứ hai)"] for r in rows
    }
    assert communes == {"Phường Thành Sen", "Xã Hương Khê"}  # names, not codes

    client = review.app.test_client()
    review.login(client, "head")
    page = client.get(f"/review/c/{OWN}/").get_data(as_text=True)
    assert page.count("có thể trùng người") == 3  # own, twin_a, twin_b
    assert f"{foreign['household_id']} (Phường Thành Sen)" in page  # other commune: no link
    assert f"household_id={twin_b['household_id']}" in page or (
        f"/h/{twin_b['household_id']}" in page
    )  # same commune: a link to the other household
    assert "trùng số định danh cá nhân" in page and "trùng họ tên và năm sinh" in page


@needs_chromium[0]
@needs_chromium[1]
def test_the_queue_shows_the_flag_and_the_other_household_in_a_browser(live_server, browser):
    commune = "18844"  # Xã Kỳ Thượng: no other live-server test uses it
    enumerator = live_server.user(communes=(commune,))
    records = []
    for number, name in enumerate(["Võ Văn Hải", "VO VAN HAI"], start=1):
        record = sample_record("poor", commune=commune, village="Thôn Nam", number=number)
        extra = dict(record["members"][0], member_no=9, relation="sibling", name=name,
                     birth_year=1966, citizen_id=None)  # fmt: skip
        record["members"].append(extra)
        assert submit(live_server.db(), record, enumerator).outcome == "accepted"
        records.append(record)
    head = live_server.user(role="commune", communes=(commune,), password="mật-khẩu")
    context = browser.new_context(locale="vi-VN")
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    page.fill("input[name=username]", head.username)
    page.fill("input[name=password]", "mật-khẩu")
    page.get_by_role("button", name="Đăng nhập / Sign in").click()
    assert page.url.endswith(f"/review/c/{commune}/")
    first, second = (r["household_id"] for r in records)
    row = page.locator("tr", has_text=first).first
    assert "có thể trùng người" in row.inner_text()
    assert "Võ Văn Hải, sinh năm 1966" in row.inner_text()
    row.get_by_role("link", name=second).click()  # the other household, one click away
    assert page.url.split("?")[0].endswith(f"/review/c/{commune}/h/{second}")
    context.close()
