"""The optional 12-digit số định danh cá nhân per member: format, century/sex and birth-year
digits against the member's answers, bilingual errors, paper import, XForm and OpenRosa."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pandas as pd
import pytest
import requests

from survey_forms import load_household, validate_household
from survey_forms.schemas import citizen_id_facts
from survey_forms.tables import tables_to_households

EXAMPLE = Path(__file__).resolve().parents[1] / "survey_forms" / "examples" / "household.json"
HEAD_ID = "042078001234"  # Hà Tĩnh-born man, 1978 (the example's head)


@pytest.fixture
def record() -> dict:
    data = json.loads(EXAMPLE.read_text("utf-8"))
    data["survey_date"] = "2026-10-05"
    return data


def codes(record: dict) -> list[tuple[str, str]]:
    return [(e.path, e.code) for e in validate_household(record)]


@pytest.mark.parametrize(
    ("citizen_id", "year", "sex"),
    [
        ("042078001234", 1978, "male"),
        ("042178001234", 1978, "female"),
        ("001200123456", 2000, "male"),
        ("079315999999", 2015, "female"),
        ("001499000001", 2199, "male"),
        ("001501000001", 2101, "female"),
    ],
)
def test_digits_say_year_and_sex(citizen_id, year, sex):
    assert citizen_id_facts(citizen_id) == (year, sex)


def test_a_matching_id_is_kept_and_absent_is_fine(record):
    assert codes(record) == []  # optional
    record["members"][0]["citizen_id"] = f" {HEAD_ID} "
    assert load_household(record)["members"][0]["citizen_id"] == HEAD_ID
    record["members"][0]["citizen_id"] = None
    assert codes(record) == []


@pytest.mark.parametrize("bad", ["04207800123", "0420780012345", "04207800123A", "042 078 001 234"])
def test_format_is_twelve_digits(record, bad):
    record["members"][0]["citizen_id"] = bad
    (error,) = validate_household(record)
    assert (error.path, error.code) == ("members[0].citizen_id", "citizen_id_format")
    assert "12 chữ số" in error.message_vi and "exactly 12 digits" in error.message_en


def test_a_number_is_not_an_id(record):
    record["members"][0]["citizen_id"] = 42078001234  # JSON number: the leading 0 is gone
    assert codes(record) == [("members[0].citizen_id", "type_text")]


def test_year_and_sex_digits_must_match_the_member(record):
    head = record["members"][0]  # male, 1978
    head["citizen_id"] = "042085001234"  # male, 1985
    (error,) = validate_household(record)
    assert (error.path, error.code) == ("members[0].citizen_id", "citizen_id_birth_year")
    assert "1985" in error.message_vi and "1978" in error.message_vi
    assert "year of birth 1985" in error.message_en
    head["citizen_id"] = "042178001234"  # female, 1978
    (error,) = validate_household(record)
    assert error.code == "citizen_id_sex"
    assert "người nữ" in error.message_vi and "giới tính đã ghi là nam" in error.message_vi
    assert "a female person, but the sex given is male" in error.message_en
    head["citizen_id"] = "042278001234"  # male, 2078: the century digit counts
    assert [e.code for e in validate_household(record)] == ["citizen_id_birth_year"]


def test_two_members_cannot_share_an_id(record):
    record["members"][0]["citizen_id"] = HEAD_ID
    second = dict(record["members"][0], member_no=9, relation="sibling", name="Nguyễn Văn Ba")
    record["members"].append(second)
    assert codes(record) == [(f"members[{len(record['members']) - 1}].citizen_id",
                              "duplicate_citizen_id")]  # fmt: skip


def test_paper_import_keeps_the_leading_zero(record):
    """A spreadsheet cell holding the id as a number (Excel drops the 0) is padded back."""
    households = pd.DataFrame([{"household_id": record["household_id"]}])
    members = pd.DataFrame(
        [{"household_id": record["household_id"], "member_no": 1, "citizen_id": 42078001234},
         {"household_id": record["household_id"], "member_no": 2, "citizen_id": "042178001234"},
         {"household_id": record["household_id"], "member_no": 3, "citizen_id": None}]
    )  # fmt: skip
    (rebuilt,) = tables_to_households(households, members)
    assert [m["citizen_id"] for m in rebuilt["members"]] == [HEAD_ID, "042178001234", None]


def test_xform_asks_it_in_the_roster_with_the_digit_checks():
    from survey_forms.xform import build_xform

    xml = build_xform().decode("utf-8")
    bind = re.search(r'<bind [^>]*nodeset="/\w+/members/citizen_id"[^>]*>', xml).group(0)
    assert "regex(., '^[0-9]{12}$')" in bind
    assert "../birth_year" in bind and "../sex" in bind  # relative to the member, in the repeat
    assert 'required="true()"' not in bind  # optional


def test_openrosa_round_trip_and_refusal(live_server, household):
    from survey_forms.xform import household_to_instance, instance_to_household

    good = household()
    good["members"][0]["citizen_id"] = HEAD_ID
    xml = household_to_instance(good, instance_id=f"uuid:{uuid.uuid4()}")
    assert instance_to_household(xml)["members"][0]["citizen_id"] == HEAD_ID
    username, token = live_server.enumerator(communes=("18496",))
    session = requests.Session()
    session.auth = (username, token)
    session.headers["X-OpenRosa-Version"] = "1.0"

    def submit(xml: bytes) -> requests.Response:
        files = {"xml_submission_file": ("submission.xml", xml, "text/xml")}
        return session.post(live_server.url + "/submission", files=files, timeout=30)

    assert submit(xml).status_code == 201
    stored = (
        live_server.db()
        .execute(
            "SELECT unpacked(record) FROM households WHERE household_id = ?", [good["household_id"]]
        )
        .fetchone()[0]
    )
    assert json.loads(stored)["members"][0]["citizen_id"] == HEAD_ID
    bad = household()
    bad["members"][0]["citizen_id"] = "042185001234"
    answer = submit(household_to_instance(bad, instance_id=f"uuid:{uuid.uuid4()}"))
    assert answer.status_code == 422 and "members[0].citizen_id" in answer.text
    session.close()
