"""classify(): the documented example, the output shape, modes and errors."""

from __future__ import annotations

import json

import pytest
from conftest import EXAMPLE_HOUSEHOLD
from strategies import base_household

from scoring import EXAMPLE_SCORECARD, ScoringError, classify, list_standards, load_standard


@pytest.fixture
def example():
    return json.loads(EXAMPLE_HOUSEHOLD.read_text("utf-8"))


def test_documented_example_is_poor_under_vn2022(example):
    result = classify(example, "vn-2022")
    assert result.classification == "poor"
    assert result.deprivations == [
        "employment",
        "nutrition",
        "health_insurance",
        "housing_quality",
        "floor_area",
        "water",
        "latrine",
    ]
    # (36 M wages + 24 M agriculture) / 12 / 4; the 4.32 M social allowance is not counted
    assert result.income["per_capita_month"] == 1_250_000
    assert result.rule == "income_at_or_below_line_and_deprived"


def test_facts_say_what_decided_each_indicator(example):
    facts = {i.id: i.facts for i in classify(example).indicators}
    assert facts["employment"]["members"][0] == {
        "member_no": 1,
        "age": 48,
        "work_status": "wage_worker",
        "labour_contract": False,
        "reason": "wage_without_contract",
    }
    assert facts["nutrition"]["members"] == [{"member_no": 3, "age": 12, "nutrition": "stunted"}]
    assert facts["health_insurance"]["members"][0]["member_no"] == 4
    assert facts["housing_quality"]["non_durable"] == ["wall", "frame"]
    assert facts["floor_area"]["m2_per_person"] == 7.5
    assert facts["dependents"]["share"] == 0.5


def test_to_dict_has_exactly_the_documented_keys(example):
    d = classify(example).to_dict()
    assert set(d) == {
        "household_id",
        "standard",
        "standard_version",
        "provisional",
        "mode",
        "classification",
        "rule",
        "income",
        "deprivation_count",
        "deprivations",
        "indicators",
        "field_score",
        "explanation",
    }
    assert {"per_capita_month", "line", "average_line", "area"} <= set(d["income"])
    assert {"id", "dimension", "deprived", "facts", "label_vi", "label_en"} <= set(
        d["indicators"][0]
    )
    assert d["field_score"] is None and d["deprivation_count"] == 7
    assert set(d["explanation"]) == {"vi", "en"}
    assert "1.250.000" in d["explanation"]["vi"] and "1,250,000" in d["explanation"]["en"]
    json.dumps(d)  # serialisable as it is


def test_field_mode_reports_b1_b2_and_the_scorecard(example):
    example["income"]["scorecard"] = {
        "electricity_kwh": 40,
        "fridge": False,
        "motorbikes": 1,
        "cattle": 2,
    }
    d = classify(example, mode="field", scorecard=EXAMPLE_SCORECARD).to_dict()
    fs = d["field_score"]
    assert fs["b2"] == 70 and fs["b1_cutoff"] == 140 and fs["region"] == "rural_north_central_coast"
    assert fs["b1"] == sum(fs["items"].values()) + 15  # base of the example rural table
    assert d["classification"] == "poor"


def test_field_mode_needs_a_scorecard_and_all_its_answers(example):
    with pytest.raises(ScoringError, match="scorecard"):
        classify(example, mode="field")
    with pytest.raises(ScoringError) as info:
        classify(example, mode="field", scorecard=EXAMPLE_SCORECARD)  # no Phiếu B answers
    assert info.value.code == "scorecard_answer_missing"


def test_income_mode_without_income_is_an_error_not_a_class():
    record = base_household(income_pc=None)
    record["income"] = {"scorecard": {"fridge": True}}
    with pytest.raises(ScoringError) as info:
        classify(record)
    assert info.value.code == "income_missing" and info.value.household_id == record["household_id"]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"members": []}, "no_members"),
        ({"survey_date": None}, "survey_date_missing"),
        ({"area": "suburb"}, "area_invalid"),
    ],
)
def test_unscorable_records_raise(change, code):
    with pytest.raises(ScoringError) as info:
        classify(base_household() | change)
    assert info.value.code == code


def test_bad_mode_and_analysis_standard_are_refused():
    with pytest.raises(ScoringError, match="mode"):
        classify(base_household(), mode="guess")
    with pytest.raises(ScoringError, match="analysis"):
        classify(base_household(), "mpi-global")


def test_every_legal_standard_scores_the_example(example):
    assert list_standards() == ["vn-2016", "vn-2022", "vn-2027"]
    for sid in list_standards():
        d = classify(example, sid).to_dict()
        std = load_standard(sid)
        assert (d["standard"], d["standard_version"], d["provisional"]) == (
            std.id,
            std.version,
            std.provisional,
        )
        assert len(d["indicators"]) == len(std.indicators)
