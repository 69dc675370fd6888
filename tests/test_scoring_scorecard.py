"""B1 scorecards: the file format, validation, regions, and the EXAMPLE label."""

from __future__ import annotations

import copy

import pytest
from strategies import base_household, damaged_copies, fixed_b1

from scoring import (
    EXAMPLE_SCORECARD,
    InvalidScorecard,
    ScoringError,
    classify,
    load_scorecard,
    validate_scorecard,
)
from scoring.scorecard import SCORECARDS_DIR


def test_example_scorecard_is_valid_and_says_it_is_an_example():
    text = (SCORECARDS_DIR / "example-vn-2022.toml").read_text("utf-8")
    assert text.startswith("# EXAMPLE — NOT THE OFFICIAL TABLE")
    card = load_scorecard(SCORECARDS_DIR / "example-vn-2022.toml")
    assert card.example is True and "not the official table" in card.title
    assert validate_scorecard(card.data) == []
    assert set(card.regions) == {"urban", "rural_north_central_coast"}


def test_ha_tinh_rural_uses_the_north_central_table_urban_the_national_one():
    assert EXAMPLE_SCORECARD.region_for("rural", "42") == "rural_north_central_coast"
    assert EXAMPLE_SCORECARD.region_for("urban", "42") == "urban"
    assert EXAMPLE_SCORECARD.region_for("urban", "01") == "urban"
    with pytest.raises(InvalidScorecard, match="province must supply"):
        EXAMPLE_SCORECARD.region_for("rural", "01")


def test_points_follow_the_record_and_the_answers():
    record = base_household(income_pc=None)  # 2 adults, 100 m², concrete, piped, septic
    record["income"] = {
        "scorecard": {"electricity_kwh": 60, "fridge": True, "motorbikes": 2, "cattle": 3}
    }
    items = classify(record, mode="field", scorecard=EXAMPLE_SCORECARD).field_score["items"]
    assert items == {
        "household_size": 35.0,
        "members_upper_secondary": 15.0,
        "members_non_farm": 18.0,
        "members_retired": 0.0,
        "wall_material": 10.0,
        "floor_area_per_person": 18.0,
        "water_source": 8.0,
        "latrine": 8.0,
        "devices": 9.0,
        "electricity_kwh": 8.0,
        "fridge": 8.0,
        "motorbikes": 12.0,
        "cattle": 8.0,
    }


def test_validation_reports_every_problem_at_once():
    data = copy.deepcopy(dict(EXAMPLE_SCORECARD.data))
    data["items"] = [dict(i) for i in data["items"]]
    data["regions"] = copy.deepcopy(dict(data["regions"]))
    del data["example"]
    data["items"].append(dict(data["items"][0]))  # duplicate id
    data["items"][4]["source"] = "dwelling.colour"
    pts = data["regions"]["urban"]["points"]
    pts["household_size"] = [{"min": 2, "points": 1}, {"min": 1, "points": 2}]
    del pts["latrine"]["septic"]
    pts["ghost"] = {"yes": 1, "no": 0}
    data["regions"]["urban"]["area"] = "suburb"
    problems = validate_scorecard(data)
    for text in [
        "example: required",
        "duplicate id 'household_size'",
        "unknown source 'dwelling.colour'",
        "band minimums must increase",
        "no points for 'septic'",
        "unknown item 'ghost'",
        "area must be rural or urban",
    ]:
        assert any(text in p for p in problems), (text, problems)
    with pytest.raises(InvalidScorecard) as info:
        load_scorecard(data)
    assert info.value.details == problems


def test_invalid_answer_is_refused_not_scored_as_zero():
    record = base_household()
    record["income"]["scorecard"] = {
        "electricity_kwh": "a lot",
        "fridge": True,
        "motorbikes": 0,
        "cattle": 0,
    }
    with pytest.raises(ScoringError, match="electricity_kwh"):
        classify(record, mode="field", scorecard=EXAMPLE_SCORECARD)


def test_fixed_scorecard_helper_gives_exact_b1():
    result = classify(base_household(), mode="field", scorecard=fixed_b1(123.5))
    assert result.field_score["b1"] == 123.5


def test_validation_never_crashes_on_damaged_files():
    for path, data in damaged_copies(copy.deepcopy(dict(EXAMPLE_SCORECARD.data))):
        problems = validate_scorecard(data)
        assert isinstance(problems, list) and all(isinstance(p, str) for p in problems), path
