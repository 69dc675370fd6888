"""Inputs (issue 9, finding 9): household ids of one documented, safe form; OpenRosa
attachments only for declared media, bounded; huge integers in URLs → 404/400, never 500."""

from __future__ import annotations

import json

import pytest
from conftest import example_household, new_household_id

from survey_forms import validate_household

BAD_IDS = [
    "18496-a/../b",  # a path: such a household could never be opened for review
    "18073-thon-1-0001",  # another commune's prefix
    "18496-<b>x</b>",  # markup
    "18496-thon 1-0001",  # a space
    "18496-",  # nothing after the commune
    "thon-1-0001",  # no commune
    "18496-thôn-1",  # accented letters
    "18496-a.b",
    "١٨٤٩٦-a",  # digits, but not ASCII ones
]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_a_household_id_not_of_the_documented_form_is_a_bilingual_field_error(bad):
    errors = validate_household(example_household(household_id=bad))
    found = [e for e in errors if e.path == "household_id"]
    assert [e.code for e in found] == ["household_id_form"], errors
    assert "18496" in found[0].message_vi and "mã xã" in found[0].message_vi
    assert "18496" in found[0].message_en and "commune code" in found[0].message_en


@pytest.mark.parametrize(
    "good",
    ["18496-thon-1-0007", "18496-tdp-12-0003", "18496-thon1-0001", "18496-b7-000123", "18496-x_1"],
)
def test_the_ids_the_toolkit_makes_stay_valid(good):
    assert validate_household(example_household(household_id=good)) == []


def test_test_and_synthetic_ids_match_the_form():
    from survey_forms.synth import synth_households

    assert validate_household(example_household(household_id=new_household_id())) == []
    for record in synth_households(40, seed=1):
        assert validate_household(record) == [], record["household_id"]


def test_a_bad_household_id_is_refused_over_the_json_api(live_server, household):
    import requests
    from test_server_sync import item, push

    _, token = live_server.enumerator(communes=("18496",))
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    good, bad = household(), household(household_id="18496-a/../b")
    results = push(live_server, session, item(bad), item(good)).json()["results"]
    assert [r["outcome"] for r in results] == ["rejected", "accepted"]  # the good one still goes
    assert [e["code"] for e in results[0]["errors"]] == ["household_id_form"]
    assert json.dumps(results[0]).count("message_vi") == 1
