"""Per-commune aggregates: counts, rates, indicator rates by group, MPI, totals and changes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from maps.aggregate import change_between, commune_aggregates, rates_from_counts, totals


def scores(rows: list[tuple]) -> pd.DataFrame:
    """(commune, class, water, latrine, mpi_c, members) rows as a score_tables-like frame."""
    frame = pd.DataFrame(
        rows,
        columns=[
            "commune_code",
            "classification",
            "dep_water",
            "dep_latrine",
            "mpi_c",
            "n_members",
        ],
    )
    frame.insert(0, "household_id", [f"h{i}" for i in range(len(frame))])
    frame["deprivations"] = [
        " ".join(name for name, flag in (("water", w), ("latrine", la)) if flag)
        for w, la in zip(frame["dep_water"], frame["dep_latrine"], strict=True)
    ]
    frame["deprivation_count"] = frame["dep_water"].astype(int) + frame["dep_latrine"].astype(int)
    return frame


SAMPLE = scores(
    [
        ("18073", "poor", True, True, 0.50, 4),
        ("18073", "near_poor", True, False, 0.20, 3),
        ("18073", "average", False, False, 0.00, 2),
        ("18073", "not_poor", False, True, 0.10, 5),
        ("18100", "poor", True, False, 0.40, 1),
        ("18100", "poor", False, True, 0.34, 2),
    ]
)


def by_code(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index("commune_code")


def test_counts_and_rates_per_commune():
    agg = by_code(commune_aggregates(SAMPLE))
    assert agg.loc[
        "18073", ["households", "poor", "near_poor", "average", "not_poor"]
    ].tolist() == [4, 1, 1, 1, 1]
    assert agg.loc["18100", ["households", "poor", "near_poor"]].tolist() == [2, 2, 0]
    assert agg.loc["18073", "poor_rate"] == pytest.approx(25.0)
    assert agg.loc["18073", "combined_rate"] == pytest.approx(50.0)
    assert agg.loc["18100", "poor_rate"] == pytest.approx(100.0)


def test_indicator_rates_among_all_poor_and_near_poor():
    agg = by_code(commune_aggregates(SAMPLE))
    assert agg.loc["18073", "dep_water_rate"] == pytest.approx(50.0)
    assert agg.loc["18073", "dep_water_rate_poor"] == pytest.approx(100.0)
    assert agg.loc["18073", "dep_latrine_rate_near_poor"] == pytest.approx(0.0)
    assert agg.loc["18100", "dep_latrine_n_poor"] == 1
    # no near-poor household in 18100: the rate among them is undefined, not 0
    assert np.isnan(agg.loc["18100", "dep_water_rate_near_poor"])


def test_indicators_missing_as_columns_are_read_from_deprivations():
    frame = SAMPLE.drop(columns=["dep_latrine"])
    agg = by_code(commune_aggregates(frame, indicators=["water", "latrine"]))
    expected = by_code(commune_aggregates(SAMPLE))
    assert agg["dep_latrine_n"].tolist() == expected["dep_latrine_n"].tolist()


def test_mpi_headcount_intensity_and_m0_are_people_weighted():
    agg = by_code(commune_aggregates(SAMPLE))
    # 18073: only the 4-member household (c=0.5) is MPI-poor among 14 people
    assert agg.loc["18073", "mpi_H"] == pytest.approx(4 / 14)
    assert agg.loc["18073", "mpi_A"] == pytest.approx(0.5)
    assert agg.loc["18073", "mpi_M0"] == pytest.approx(4 / 14 * 0.5)
    # 18100: both poor (0.40 x 1 person, 0.34 x 2 people)
    assert agg.loc["18100", "mpi_A"] == pytest.approx((0.40 + 0.68) / 3)


def test_no_mpi_columns_without_mpi_input():
    agg = commune_aggregates(SAMPLE.drop(columns=["mpi_c"]))
    assert not [c for c in agg.columns if c.startswith("mpi_")]


def test_unknown_classification_is_an_error_not_a_silent_class():
    bad = SAMPLE.assign(classification=["poor", "rich", "average", "not_poor", "poor", None])
    with pytest.raises(ValueError, match="rich"):
        commune_aggregates(bad)


def test_totals_recompute_rates_from_summed_counts():
    agg = commune_aggregates(SAMPLE)
    total = totals(agg).iloc[0]
    assert total["households"] == 6 and total["poor"] == 3
    assert total["poor_rate"] == pytest.approx(50.0)
    assert total["dep_water_rate_poor"] == pytest.approx(100 * 2 / 3)
    assert total["mpi_H"] == pytest.approx(7 / 17)


def test_rates_from_counts_accepts_fractional_counts():
    counts = pd.DataFrame(
        {
            "commune_code": ["x"],
            "households": [2.5],
            "poor": [0.5],
            "near_poor": [1.0],
            "average": [1.0],
            "not_poor": [0.0],
        }
    )
    rates = rates_from_counts(counts, indicators=[]).iloc[0]
    assert rates["poor_rate"] == pytest.approx(20.0)
    assert rates["combined_rate"] == pytest.approx(60.0)


def test_change_between_rounds_in_points():
    now = commune_aggregates(SAMPLE)
    before = now.assign(poor_rate=now["poor_rate"] - 5)
    change = by_code(change_between(now, before, ["poor_rate"]))
    assert change["change_poor_rate"].tolist() == pytest.approx([5.0, 5.0])


def test_numeric_commune_codes_are_zero_padded():
    frame = SAMPLE.assign(commune_code=[4, 4, 4, 4, 18100, 18100])
    assert commune_aggregates(frame)["commune_code"].tolist() == ["00004", "18100"]


def test_aggregates_and_crosswalks_do_not_need_geopandas():
    import subprocess
    import sys

    code = "import sys, maps.aggregate, maps.crosswalk, maps.layouts; sys.exit('geopandas' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
