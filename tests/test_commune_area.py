"""The area a household is scored at comes from its commune: phường → urban, xã → rural, đặc khu
→ the configured SPECIAL_ZONE_AREA (the law does not say; without it the record's answer stands).

Every commune kind × recorded area, the bilingual refusal, the server setting, the JSON API on a
live server, and re-scoring a stored round: exactly the contradicting households change.
"""

from __future__ import annotations

import json
import uuid

import pytest
import requests
from conftest import json_submission

from scoring import classify
from survey_forms import validate_household
from survey_forms.communes import commune_area, communes_by_code, with_commune_area

THANH_SEN, HUONG_KHE, VAN_DON = "18073", "18496", "06994"  # phường, xã (Hà Tĩnh); đặc khu (QN)
KIND = {THANH_SEN: "phuong", HUONG_KHE: "xa", VAN_DON: "dac_khu"}
MEMBERS = 4  # the example household's


def at(household, commune: str, area: str, income_pc: int = 1_750_000) -> dict:
    """The example household (3+ deprivations) in a commune, recorded at an area."""
    province = communes_by_code()[commune].province_code
    record = household(commune, area=area, province_code=province)
    record["income"] = {"sources_12m": {"wages": income_pc * 12 * MEMBERS}}
    return record


def test_the_commune_list_knows_each_kind():
    assert {code: communes_by_code()[code].kind for code in KIND} == KIND
    kinds = {c.kind for c in communes_by_code().values()}
    assert kinds == {"phuong", "xa", "dac_khu"}


@pytest.mark.parametrize(
    ("commune", "zone", "expected"),
    [
        (THANH_SEN, None, "urban"),
        (HUONG_KHE, None, "rural"),
        (VAN_DON, None, None),
        (VAN_DON, "urban", "urban"),
        (VAN_DON, "rural", "rural"),
        (THANH_SEN, "rural", "urban"),  # the setting is for đặc khu only
        ("99999", None, None),
    ],
)
def test_commune_area(commune, zone, expected):
    assert commune_area(commune, special_zone_area=zone) == expected


@pytest.mark.parametrize("recorded", ["urban", "rural"])
@pytest.mark.parametrize(
    ("commune", "zone"),
    [(THANH_SEN, None), (HUONG_KHE, None), (VAN_DON, None), (VAN_DON, "urban"),
     (VAN_DON, "rural")],
)  # fmt: skip
def test_every_kind_and_recorded_area(household, commune, zone, recorded):
    errors = validate_household(at(household, commune, recorded), special_zone_area=zone)
    expected = commune_area(commune, special_zone_area=zone)
    if expected is None or expected == recorded:
        assert errors == []
    else:
        assert [(e.path, e.code) for e in errors] == [("area", "area_contradicts_commune")]


def test_the_refusal_says_where_and_why_in_both_languages(household):
    (error,) = validate_household(at(household, THANH_SEN, "rural"))
    assert "Phường Thành Sen là phường" in error.message_vi
    assert "thành thị (urban)" in error.message_vi and "nông thôn (rural)" in error.message_vi
    assert "Thành Sen ward is a ward, so the household is urban, not rural" in error.message_en
    (error,) = validate_household(at(household, HUONG_KHE, "urban"))
    assert "Xã Hương Khê là xã" in error.message_vi and "nông thôn (rural)" in error.message_vi


def test_the_issue_example_scores_poor_at_the_urban_line(household):
    """Thành Sen, 1,750,000 ₫/person, 3+ deprivations: rural said `average`; the ward is urban."""
    record = at(household, THANH_SEN, "rural")
    assert classify(record, "vn-2022").classification == "average"  # the old, wrong outcome
    assert classify(with_commune_area(record), "vn-2022").classification == "poor"


def test_unknown_setting_value_stops_the_start(tmp_path):
    from server import ConfigError, create_app

    with pytest.raises(ConfigError, match="SPECIAL_ZONE_AREA"):
        create_app(
            {"DATABASE": str(tmp_path / "x.sqlite3"), "SPECIAL_ZONE_AREA": "suburb"},
            instance_path=str(tmp_path),
        )


def test_json_api_refuses_a_contradicting_area(live_server, household):
    _, token = live_server.enumerator(communes=(HUONG_KHE, THANH_SEN))
    records = [at(household, THANH_SEN, "rural"), at(household, THANH_SEN, "urban"),
               at(household, HUONG_KHE, "urban"), at(household, HUONG_KHE, "rural")]  # fmt: skip
    items = [
        {"id": str(uuid.uuid4()), "household_id": r["household_id"],
         "form_id": "povcensus_household", "form_version": "2026.1", "base": None, "record": r}
        for r in records
    ]  # fmt: skip
    answer = requests.post(
        live_server.url + "/api/v1/submissions/batch",
        json={"items": items},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    results = answer.json()["results"]
    assert [r["outcome"] for r in results] == ["rejected", "accepted", "rejected", "accepted"]
    assert results[0]["errors"][0]["code"] == "area_contradicts_commune"
    assert results[1]["classification"] == "poor"  # urban line 2,000,000


# --- re-scoring a round stored before the rule -------------------------------------------------


def _store_unchecked(db, user, record: dict) -> None:
    """Store as a server before this rule did: the recorded area kept, no area check."""
    from server.ingest import ingest

    assert ingest(db, json_submission(record, user), province="42").outcome == "accepted"


def test_rescoring_changes_exactly_the_contradicting_households(
    db, make_user, open_round, household, monkeypatch
):
    import survey_forms.schemas
    from server.queries.scores import rescore_round
    from server.queries.users import get_user

    review_round = open_round(standard="vn-2022")
    user = get_user(db, make_user("tinh", role="province", communes=()).id)
    # 2,500,000 ₫/person, 3+ deprivations: poor at vn-2027's urban line (2.8 M), not at rural (2.2 M)
    records = {
        "ward recorded rural": at(household, THANH_SEN, "rural", 2_500_000),
        "ward recorded urban": at(household, THANH_SEN, "urban", 2_500_000),
        "xa recorded urban": at(household, HUONG_KHE, "urban", 2_500_000),
        "xa recorded rural": at(household, HUONG_KHE, "rural", 2_500_000),
    }
    with monkeypatch.context() as patch:
        patch.setattr(survey_forms.schemas, "_check_area", lambda data, errors: None)
        for record in records.values():
            _store_unchecked(db, user, record)
    stored = {
        hid: json.loads(text)
        for hid, text in db.execute(
            "SELECT household_id, unpacked(record) FROM households"
        ).fetchall()
    }
    assert {r["area"] for r in stored.values()} == {"urban", "rural"}  # stored as recorded

    rescore_round(db, review_round["label"], "vn-2027")

    rescored = dict(
        db.execute(
            "SELECT household_id, classification FROM scores"
            " WHERE official = 0 AND standard = 'vn-2027'"
        ).fetchall()
    )
    as_recorded = {hid: classify(r, "vn-2027").classification for hid, r in stored.items()}
    changed = {hid for hid in stored if rescored[hid] != as_recorded[hid]}
    contradicting = {records["ward recorded rural"]["household_id"],
                     records["xa recorded urban"]["household_id"]}  # fmt: skip
    assert changed == contradicting
    assert rescored[records["ward recorded rural"]["household_id"]] == "poor"
    assert rescored[records["xa recorded urban"]["household_id"]] != "poor"
