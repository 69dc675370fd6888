"""Batch scoring equals single-household scoring, on random valid households (hypothesis)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from strategies import base_household, household_lists, member, with_deprivations

from scoring import EXAMPLE_SCORECARD, ScoringError, classify
from scoring.batch import categorize_tables, iter_chunks, score_tables
from survey_forms.tables import households_to_tables

STANDARDS = ["vn-2016", "vn-2022", "vn-2027"]


def _single(records, standard, mode):
    """classify() on every record, or the ScoringError the first failing one raises."""
    scorecard = EXAMPLE_SCORECARD if mode == "field" else None
    try:
        return [classify(r, standard, mode=mode, scorecard=scorecard) for r in records], None
    except ScoringError as exc:
        return None, exc


def _assert_same(batch: pd.DataFrame, singles) -> None:
    assert list(batch["household_id"]) == [c.household_id for c in singles]
    for row, c in zip(batch.to_dict("records"), singles, strict=True):
        assert row["classification"] == c.classification
        assert row["rule"] == c.rule
        assert row["deprivation_count"] == c.deprivation_count
        assert row["deprivations"].split() == c.deprivations
        for ind in c.indicators:
            assert row[f"dep_{ind.id}"] == ind.deprived, ind.id
        y = c.income["per_capita_month"]
        assert (y is None and math.isnan(row["income_pc_month"])) or row["income_pc_month"] == y
        fs = c.field_score
        assert (fs is None and math.isnan(row["b1"])) or row["b1"] == fs["b1"]
        assert (fs is None and math.isnan(row["b2"])) or row["b2"] == fs["b2"]


@pytest.mark.parametrize("mode", ["income", "field"])
@pytest.mark.parametrize("standard", STANDARDS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=household_lists())
def test_batch_equals_classify(standard, mode, records):
    singles, error = _single(records, standard, mode)
    hh, mm = households_to_tables(records)
    scorecard = EXAMPLE_SCORECARD if mode == "field" else None
    if error is not None:
        with pytest.raises(ScoringError) as info:
            score_tables(hh, mm, standard, mode=mode, scorecard=scorecard)
        assert info.value.code == error.code
        return
    _assert_same(score_tables(hh, mm, standard, mode=mode, scorecard=scorecard), singles)


@settings(max_examples=30, deadline=None)
@given(records=household_lists(max_size=8))
def test_member_order_and_categorical_columns_do_not_change_results(records):
    hh, mm = households_to_tables(records)
    expected = (
        score_tables(hh, mm, "vn-2022", mode="income")
        if _single(records, "vn-2022", "income")[1] is None
        else None
    )
    if expected is None:
        return
    shuffled = mm.sample(frac=1.0, random_state=1)
    as_category = mm.astype({c: "category" for c in ("work_status", "highest_diploma", "sex")})
    for members in (shuffled, as_category):
        got = score_tables(hh, members, "vn-2022", mode="income")
        pd.testing.assert_frame_equal(got, expected)
    cat_hh, cat_mm = categorize_tables(hh, mm)
    assert isinstance(cat_mm["work_status"].dtype, pd.CategoricalDtype)
    pd.testing.assert_frame_equal(score_tables(cat_hh, cat_mm, "vn-2022"), expected)


def test_chunks_give_the_same_result_as_the_whole_table():
    records = []
    for i in range(23):
        r = with_deprivations(base_household(income_pc=1_000_000 + 100_000 * i), i % 5)
        r["household_id"] = f"18496-thon-1-{i:04d}"
        records.append(r)
    hh, mm = households_to_tables(records)
    whole = score_tables(hh, mm, "vn-2022")
    parts = pd.concat([score_tables(h, m, "vn-2022") for h, m in iter_chunks(hh, mm, size=5)])
    pd.testing.assert_frame_equal(parts, whole)
    assert set(whole["classification"]) >= {"poor", "near_poor", "average"}


def test_row_numbers_pass_through_and_attrs_name_the_standard():
    hh, mm = households_to_tables([base_household()])
    hh["_row"] = [7]
    out = score_tables(hh, mm, "vn-2027")
    assert out["_row"].tolist() == [7]
    assert out.attrs["standard"] == "vn-2027" and out.attrs["provisional"] is True


def test_errors_name_the_households_that_cannot_be_scored():
    ok = base_household()
    no_income = base_household(income_pc=None)
    no_income["household_id"] = "18496-thon-1-0099"
    no_income["income"] = {"scorecard": {"fridge": True}}
    hh, mm = households_to_tables([ok, no_income])
    with pytest.raises(ScoringError, match="18496-thon-1-0099") as info:
        score_tables(hh, mm, "vn-2022")
    assert info.value.code == "income_missing"
    stray = pd.concat([mm, pd.DataFrame([{**member(9), "household_id": "nope"}])])
    with pytest.raises(ScoringError, match="nope"):
        score_tables(hh.iloc[:1], stray, "vn-2022")


def test_output_columns_follow_the_design():
    hh, mm = households_to_tables([base_household()])
    out = score_tables(hh, mm, "vn-2022")
    assert list(out.columns[:7]) == [
        "household_id",
        "commune_code",
        "classification",
        "rule",
        "deprivation_count",
        "deprivations",
        "dep_employment",
    ]
    assert list(out.columns[-3:]) == ["income_pc_month", "b1", "b2"]
    assert out["dep_employment"].dtype == np.bool_


def test_a_repeated_household_id_is_an_error():
    a, b = base_household(), base_household()
    a["household_id"] = b["household_id"] = "18496-thon-1-0005"
    hh, mm = households_to_tables([a, base_household(), b])
    with pytest.raises(ScoringError, match="18496-thon-1-0005") as info:
        score_tables(hh, mm, "vn-2022")
    assert info.value.code == "duplicate_household_id"
