"""survey_forms.tables: records ⇄ households/members tables, round trips, CSV, _row."""

from __future__ import annotations

import json

import pandas as pd
from conftest import EXAMPLE_HOUSEHOLD
from hypothesis import given, settings
from strategies import household_lists

from survey_forms.tables import households_to_tables, tables_to_households


def _example():
    return json.loads(EXAMPLE_HOUSEHOLD.read_text("utf-8"))


def test_layout_follows_the_record_document():
    hh, mm = households_to_tables([_example()])
    row = hh.iloc[0]
    assert row["dwelling_devices"] == "tv basic_phone"
    assert row["income_social_allowances"] == 4_320_000
    assert row["gps_lat"] == 18.1625 and row["commune_code"] == "18496"
    assert "members" not in hh.columns and "dwelling" not in hh.columns
    assert list(mm.columns[:2]) == ["household_id", "member_no"]
    assert len(mm) == 4 and set(mm["household_id"]) == {"18496-thon-1-0007"}


def test_example_round_trip():
    record = _example()
    assert list(tables_to_households(*households_to_tables([record]))) == [record]


@settings(max_examples=60, deadline=None)
@given(records=household_lists())
def test_round_trip_random_households(records):
    assert list(tables_to_households(*households_to_tables(records))) == records


def test_csv_round_trip_restores_types(tmp_path):
    record = _example()
    record["dwelling"]["devices"] = []
    record["income"]["scorecard"] = {"fridge": True, "motorbikes": 2}
    hh, mm = households_to_tables([record])
    hh.to_csv(tmp_path / "h.csv", index=False)
    mm.to_csv(tmp_path / "m.csv", index=False)
    back = list(
        tables_to_households(pd.read_csv(tmp_path / "h.csv"), pd.read_csv(tmp_path / "m.csv"))
    )
    assert back == [record]


def test_codes_lose_no_leading_zeros_and_spreadsheet_answers_are_read():
    hh = pd.DataFrame(
        [
            {
                "household_id": "00001-a-1",
                "province_code": 1,
                "commune_code": 4,
                "survey_date": "2026-10-01",
                "dwelling_electricity": "có",
                "dwelling_floor_area_m2": "30",
            }
        ]
    )
    mm = pd.DataFrame(
        [
            {
                "household_id": "00001-a-1",
                "member_no": 1.0,
                "birth_year": "1980",
                "in_school": "0",
                "health_insurance": "TRUE",
                "labour_contract": float("nan"),
            }
        ]
    )
    (record,) = tables_to_households(hh, mm)
    assert (record["province_code"], record["commune_code"]) == ("01", "00004")
    assert record["dwelling"] == {"electricity": True, "floor_area_m2": 30.0}
    assert record["members"] == [
        {
            "member_no": 1,
            "birth_year": 1980,
            "in_school": False,
            "health_insurance": True,
            "labour_contract": None,
        }
    ]


def test_row_numbers_pass_through_both_ways():
    hh, mm = households_to_tables([_example()])
    hh["_row"] = [2]
    mm["_row"] = [2, 3, 4, 5]
    (record,) = tables_to_households(hh, mm)
    assert record["_row"] == 2 and [m["_row"] for m in record["members"]] == [2, 3, 4, 5]
    hh2, mm2 = households_to_tables([record])
    assert hh2["_row"].tolist() == [2] and mm2["_row"].tolist() == [2, 3, 4, 5]


def test_members_follow_their_household_whatever_the_order():
    records = [_example(), _example()]
    records[1]["household_id"] = "18496-thon-1-0008"
    hh, mm = households_to_tables(records)
    back = list(tables_to_households(hh, mm.iloc[::-1]))
    assert [len(r["members"]) for r in back] == [4, 4]
    assert [m["member_no"] for m in back[0]["members"]] == [4, 3, 2, 1]
    assert all(r["household_id"] == hid for r, hid in zip(back, hh["household_id"], strict=True))
