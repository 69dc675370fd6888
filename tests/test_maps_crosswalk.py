"""Crosswalks: earlier rounds' commune results re-expressed on today's communes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from geo_support import CODES_2020_2024, GEO, REAL_2008, REAL_2025

from maps.aggregate import rates_from_counts, totals
from maps.crosswalk import DEFAULT_CROSSWALK, load_crosswalk, to_current_layout

HATINH_CROSSWALK = GEO / "hatinh_crosswalk_old2new_dvhcvn20250701.csv"
needs_real = pytest.mark.skipif(
    not HATINH_CROSSWALK.exists(), reason=f"Hà Tĩnh crosswalk not present at {HATINH_CROSSWALK}"
)


def old_aggregates(codes: list[str], seed: int = 3) -> pd.DataFrame:
    """Random integer counts per old commune, with rates, as commune_aggregates would give."""
    rng = np.random.default_rng(seed)
    n = len(codes)
    poor, near, average = rng.integers(0, 40, n), rng.integers(0, 40, n), rng.integers(0, 60, n)
    not_poor = rng.integers(10, 300, n)
    dep = rng.integers(0, 30, n)
    counts = pd.DataFrame(
        {
            "commune_code": codes,
            "households": poor + near + average + not_poor,
            "poor": poor,
            "near_poor": near,
            "average": average,
            "not_poor": not_poor,
            "dep_water_n": dep,
            "dep_water_n_poor": np.minimum(dep, poor),
            "dep_water_n_near_poor": np.minimum(dep, near),
        }
    )
    return rates_from_counts(counts)


def write_crosswalk(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cw.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_merges_sum_counts_and_splits_share_them(tmp_path):
    cw = load_crosswalk(
        write_crosswalk(tmp_path, "old_code,new_code,weight\n1,10,1\n2,10,1\n3,10,0.5\n3,20,0.5\n")
    )
    old = old_aggregates(["00001", "00002", "00003"])
    new = to_current_layout(old, cw).set_index("commune_code")
    o = old.set_index("commune_code")
    assert new.loc["00010", "poor"] == pytest.approx(
        o.loc["00001", "poor"] + o.loc["00002", "poor"] + o.loc["00003", "poor"] / 2
    )
    assert new.loc["00020", "households"] == pytest.approx(o.loc["00003", "households"] / 2)
    assert new.loc["00010", "merged_from"] == "00001 00002 00003"
    assert new.loc["00010", "split_from"] == "00003"
    assert new.loc["00010", "n_merged"] == 3
    expected_rate = 100 * new.loc["00010", "poor"] / new.loc["00010", "households"]
    assert new.loc["00010", "poor_rate"] == pytest.approx(expected_rate)


def test_extra_additive_columns_are_carried_when_named(tmp_path):
    cw = load_crosswalk(write_crosswalk(tmp_path, "old_code,new_code\n1,10\n2,10\n"))
    old = old_aggregates(["00001", "00002"]).assign(poor_hmong=[3, 4], note=["a", "b"])
    new = to_current_layout(old, cw, extra_counts=["poor_hmong"])
    assert new["poor_hmong"].tolist() == [7.0] and "note" not in new.columns
    assert totals(old, extra_counts=["poor_hmong"])["poor_hmong"].tolist() == [7]


def test_n_targets_gives_equal_shares_and_bad_weights_are_rejected(tmp_path):
    cw = load_crosswalk(
        write_crosswalk(tmp_path, "old_ward_code,new_ward_code,n_targets\n5,7,2\n5,8,2\n")
    )
    assert cw["weight"].tolist() == [0.5, 0.5]
    with pytest.raises(ValueError, match="00005"):
        load_crosswalk(write_crosswalk(tmp_path, "old_code,new_code,weight\n5,7,0.5\n5,8,0.2\n"))


def test_unmapped_old_codes_raise_or_are_listed(tmp_path):
    cw = load_crosswalk(write_crosswalk(tmp_path, "old_code,new_code\n1,10\n"))
    old = old_aggregates(["00001", "00009"])
    with pytest.raises(ValueError, match="00009"):
        to_current_layout(old, cw)
    dropped = to_current_layout(old, cw, on_unmapped="drop")
    assert dropped.attrs["unmapped"] == ["00009"] and list(dropped["commune_code"]) == ["00010"]


@needs_real
def test_hatinh_crosswalk_maps_210_old_codes_onto_69_and_conserves_totals():
    cw = load_crosswalk(HATINH_CROSSWALK)
    assert cw["old_code"].nunique() == 210 and cw["new_code"].nunique() == 69
    old = old_aggregates(sorted(cw["old_code"].unique()))
    new = to_current_layout(old, cw)
    assert len(new) == 69
    before, after = totals(old).iloc[0], totals(new).iloc[0]
    for column in (
        "households",
        "poor",
        "near_poor",
        "average",
        "not_poor",
        "dep_water_n",
        "dep_water_n_poor",
    ):
        assert after[column] == pytest.approx(before[column])
    assert after["poor_rate"] == pytest.approx(before["poor_rate"])
    thanh_sen = new.set_index("commune_code").loc["18073"]
    assert set(thanh_sen["merged_from"].split()) >= {"18073", "18077", "18079", "18082"}
    assert "Phường Bắc Hà" in thanh_sen["merged_from_names"]


@needs_real
def test_bundled_crosswalk_agrees_with_the_hatinh_file():
    bundled = load_crosswalk()
    reference = load_crosswalk(HATINH_CROSSWALK)
    pairs = set(zip(bundled["old_code"], bundled["new_code"], strict=True))
    reference_pairs = set(zip(reference["old_code"], reference["new_code"], strict=True))
    assert len(reference_pairs & pairs) / len(reference_pairs) > 0.98


def test_bundled_crosswalk_targets_todays_communes():
    from maps.boundaries import load_communes

    bundled = load_crosswalk()
    assert set(bundled["new_code"]) <= set(load_communes()["commune_code"])
    assert bundled["old_code"].nunique() > 10_000


def test_splits_are_weighted_by_population_or_area_when_given(tmp_path):
    by_people = load_crosswalk(
        write_crosswalk(tmp_path, "old_code,new_code,population\n5,7,3000\n5,8,1000\n6,8,200\n")
    )
    assert by_people["weight"].tolist() == [0.75, 0.25, 1.0]
    by_area = load_crosswalk(
        write_crosswalk(tmp_path, "old_code,new_code,area_km2\n5,7,1\n5,8,4\n")
    )
    assert by_area["weight"].tolist() == [0.2, 0.8]


def test_bundled_crosswalk_has_the_codes_it_used_to_miss():
    bundled = load_crosswalk().set_index("old_code")
    expected = {
        "18070": "18073",
        "18076": "18073",
        "18193": "18202",
        "18205": "18202",
        "18214": "18223",
        "18472": "18484",
        "18535": "18496",
        "18448": "18568",
    }
    for old, new in expected.items():
        assert bundled.loc[[old], "new_code"].tolist() == [new], old


def test_bundled_splits_state_their_basis():
    raw = pd.read_csv(DEFAULT_CROSSWALK, dtype=str)
    split = raw[raw["n_targets"] != "1"]
    assert len(split) and set(split["weight_basis"]) == {"equal"}  # the stated fallback
    assert set(raw.loc[raw["n_targets"] == "1", "weight_basis"]) == {"whole"}
    assert raw["source"].notna().all()


@pytest.mark.skipif(not CODES_2020_2024.exists(), reason=f"2020–2024 list not at {CODES_2020_2024}")
def test_every_old_hatinh_code_of_the_2020_2024_list_is_covered():
    old_list = pd.read_csv(CODES_2020_2024, dtype=str)["ward_code"]
    assert len(old_list) == 216
    bundled = set(load_crosswalk()["old_code"])
    assert sorted(set(old_list) - bundled) == []


@pytest.mark.skipif(not REAL_2008.exists(), reason=f"2008 polygons not at {REAL_2008}")
@pytest.mark.skipif(not REAL_2025.exists(), reason=f"2025 polygons not at {REAL_2025}")
def test_hand_entered_successors_hold_their_old_communes():
    """Each hand-entered old commune lies mostly (> 80 %) inside its assigned 2025 commune."""
    import geopandas as gpd

    old = gpd.read_file(REAL_2008).to_crs(32648).set_index("gso_code_2020_2024_namematch")
    new = gpd.read_file(REAL_2025).to_crs(32648).set_index("ma_xa")
    bundled = load_crosswalk().set_index("old_code")
    for code in ("18070", "18076", "18193", "18205", "18214", "18472", "18535"):
        shape = old.geometry[code]
        target = bundled.loc[code, "new_code"]
        assert new.geometry[target].intersection(shape).area / shape.area > 0.8, code
