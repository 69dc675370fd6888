"""Global MPI (Alkire–Foster) against a hand-computed example."""

from __future__ import annotations

from fractions import Fraction

import pandas as pd
import pytest
from hypothesis import given, settings
from strategies import base_household, child, household_lists, member

from scoring import ScoringError
from scoring.mpi import household_mpi, mpi_summary, mpi_tables
from survey_forms.tables import households_to_tables


def _households():
    # A (4 people): nutrition 1/3 + cooking fuel 1/18 + sanitation 1/18 = 8/18 → poor
    a = base_household(
        [member(1), member(2), child(3, 4, nutrition="stunted"), child(4, 7)],
        cooking_fuel="wood_straw_dung",
        latrine="simple_pit",
    )
    # B (2 people): years of schooling 1/6 + electricity 1/18 = 4/18 → vulnerable, not poor
    b = base_household(
        [member(1, highest_diploma="none"), member(2, highest_diploma="none")], electricity=False
    )
    # C (3 people): attendance 1/6 + schooling 1/6 + housing, assets, water 3 × 1/18 = 9/18 → severe
    c = base_household(
        [
            member(1, highest_diploma="none"),
            member(2, highest_diploma="none"),
            child(3, 9, in_school=False, school_level=None),
        ],
        wall_material="bamboo_leaves",
        devices=["radio"],
        water_source="surface_water",
    )
    for i, r in enumerate((a, b, c)):
        r["household_id"] = f"18496-thon-1-{i:04d}"
        r["commune_code"] = "18496" if i < 2 else "18500"
    return [a, b, c]


def test_household_scores_are_exact_fractions():
    a, b, c = (household_mpi(r) for r in _households())
    assert (a["c_i_fraction"], b["c_i_fraction"], c["c_i_fraction"]) == ("4/9", "2/9", "1/2")
    assert (a["poor"], a["vulnerable"], a["severe"]) == (True, False, False)
    assert (b["poor"], b["vulnerable"], b["severe"]) == (False, True, False)
    assert (c["poor"], c["vulnerable"], c["severe"]) == (True, False, True)
    assert c["deprivations"] == [
        "years_of_schooling",
        "school_attendance",
        "drinking_water",
        "housing",
        "assets",
    ]


def test_summary_matches_the_hand_computation():
    table = mpi_tables(*households_to_tables(_households()))
    s = mpi_summary(table)
    # people: 4 + 2 + 3 = 9; poor people 4 + 3 = 7
    assert s["H"] == pytest.approx(7 / 9)
    # A = (4 × 4/9 + 3 × 1/2) / 7 = 59/126; M0 = H × A = 59/162
    assert s["A"] == pytest.approx(float(Fraction(59, 126)))
    assert s["M0"] == pytest.approx(float(Fraction(59, 162)))
    assert s["vulnerable"] == pytest.approx(2 / 9) and s["severe"] == pytest.approx(3 / 9)
    # censored headcounts: B's schooling deprivation does not count (B is not poor)
    assert s["censored_years_of_schooling"] == pytest.approx(3 / 9)
    assert s["uncensored_years_of_schooling"] == pytest.approx(5 / 9)
    assert s["censored_nutrition"] == pytest.approx(4 / 9)
    # contribution of nutrition = (1/3 × 4/9) / (59/162) = 24/59
    assert s["contribution_nutrition"] == pytest.approx(24 / 59)
    contributions = [v for k, v in s.items() if k.startswith("contribution_")]
    assert sum(contributions) == pytest.approx(1.0)


def test_summary_by_commune_and_batch_equals_single():
    records = _households()
    table = mpi_tables(*households_to_tables(records))
    for row, record in zip(table.to_dict("records"), records, strict=True):
        single = household_mpi(record)
        assert row["c_i"] == single["c_i"] and row["mpi_poor"] == single["poor"]
    by = mpi_summary(table, by="commune_code")
    assert list(by.index) == ["18496", "18500"]
    assert by.loc["18496", "H"] == pytest.approx(4 / 6)
    assert by.loc["18500", "M0"] == pytest.approx(0.5)
    assert isinstance(by, pd.DataFrame)


def test_legal_standard_is_not_an_mpi_standard():
    with pytest.raises(ScoringError):
        household_mpi(base_household(), "vn-2022")


@settings(max_examples=40, deadline=None)
@given(records=household_lists())
def test_mpi_tables_equal_household_mpi(records):
    table = mpi_tables(*households_to_tables(records))
    for row, record in zip(table.to_dict("records"), records, strict=True):
        single = household_mpi(record)
        assert row["c_i"] == single["c_i"]
        assert (row["mpi_poor"], row["mpi_vulnerable"], row["mpi_severe"]) == (
            single["poor"],
            single["vulnerable"],
            single["severe"],
        )
        assert [k[4:] for k, v in row.items() if k.startswith("dep_") and v] == single[
            "deprivations"
        ]
