"""The seam with scoring: households scored by `scoring` aggregate to the right commune figures."""

from __future__ import annotations

import copy

import pandas as pd
import pytest
from strategies import base_household, with_deprivations

from maps.aggregate import commune_aggregates, with_mpi
from scoring.batch import score_tables
from scoring.mpi import mpi_summary, mpi_tables
from survey_forms.tables import households_to_tables

COMMUNES = ["18073", "18100", "18115"]


def census() -> list[dict]:
    """Households of varied income and deprivation spread over three communes."""
    records = []
    for i in range(30):
        poor_dwelling = (
            {"cooking_fuel": "wood_straw_dung", "electricity": False, "devices": []}
            if i % 4 == 0
            else {}
        )
        record = with_deprivations(
            base_household(
                income_pc=[1_000_000, 1_400_000, 2_000_000, 6_000_000][i % 4], **poor_dwelling
            ),
            i % 5,
        )
        record = copy.deepcopy(record)
        record["household_id"] = f"{COMMUNES[i % 3]}-thon-1-{i:04d}"
        record["commune_code"] = COMMUNES[i % 3]
        records.append(record)
    return records


@pytest.fixture(scope="module")
def scored():
    households, members = households_to_tables(census())
    return score_tables(households, members, "vn-2022"), mpi_tables(households, members)


def test_class_counts_and_indicator_rates_match_the_scores(scored):
    scores, _ = scored
    agg = commune_aggregates(scores).set_index("commune_code")
    counts = scores.groupby(["commune_code", "classification"]).size().unstack(fill_value=0)
    assert set(scores["classification"]) >= {"poor", "near_poor", "not_poor"}
    for code in COMMUNES:
        for cls in counts.columns:
            assert agg.loc[code, cls] == counts.loc[code, cls]
    water = (
        scores[scores["classification"] == "poor"].groupby("commune_code")["dep_water"].mean() * 100
    )
    for code, rate in water.items():
        assert agg.loc[code, "dep_water_rate_poor"] == pytest.approx(rate)


def test_mpi_matches_scoring_mpi_summary(scored):
    scores, mpi = scored
    agg = commune_aggregates(with_mpi(scores, mpi)).set_index("commune_code")
    summary = mpi_summary(mpi, by="commune_code")
    assert summary["H"].gt(0).any()
    for code in COMMUNES:
        assert agg.loc[code, "mpi_H"] == pytest.approx(summary.loc[code, "H"])
        assert agg.loc[code, "mpi_M0"] == pytest.approx(summary.loc[code, "M0"])
        a, expected = agg.loc[code, "mpi_A"], summary.loc[code, "A"]
        assert (pd.isna(a) and pd.isna(expected)) or a == pytest.approx(expected)
    # the MPI's own indicators did not leak into the national standard's
    assert not [c for c in agg.columns if c.startswith("dep_cooking")]
