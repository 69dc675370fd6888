"""The synthetic census: deterministic, valid, geographically plausible and calibrated."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from scoring.batch import score_tables
from survey_forms import QUESTIONNAIRE, validate_household
from survey_forms.communes import province_communes
from survey_forms.synth import (
    DEVICES,
    DIPLOMAS,
    DISABILITIES,
    ETHNICITIES,
    FRAMES,
    FUELS,
    LATRINES,
    NUTRITION,
    RELATIONS,
    ROOFS,
    SCHOOL_LEVELS,
    WALLS,
    WASTE,
    WATER,
    WORK,
    synth_households,
    synth_national_chunks,
    synth_tables,
)
from survey_forms.tables import households_to_tables, tables_to_households

# Validation checks that survey dates are not in the future; the synthetic review ran in
# September–October 2026, so validate as of a fixed later day.
TODAY = dt.date(2026, 12, 31)


def test_same_seed_same_tables_other_seed_other_tables():
    h1, m1 = synth_tables(400, seed=5)
    h2, m2 = synth_tables(400, seed=5)
    pd.testing.assert_frame_equal(h1, h2)
    pd.testing.assert_frame_equal(m1, m2)
    h3, _ = synth_tables(400, seed=6)
    assert not h1["income_wages"].equals(h3["income_wages"])


def test_households_are_the_same_households_as_the_tables():
    households, members = synth_tables(300, seed=9)
    records = list(synth_households(300, seed=9))
    assert records == list(tables_to_households(households, members))
    assert [r["household_id"] for r in records] == list(households["household_id"])
    # scoring the records' own tables gives the same classes as scoring the generated tables
    again = score_tables(*households_to_tables(records), "vn-2022")
    direct = score_tables(households, members, "vn-2022")
    assert list(again["classification"]) == list(direct["classification"])
    assert list(again["deprivations"]) == list(direct["deprivations"])


@pytest.mark.parametrize("seed", [1, 2])
def test_every_generated_record_is_valid(seed):
    problems = {}
    for record in synth_households(1500, seed=seed):
        errors = validate_household(record, today=TODAY)
        if errors:
            problems[record["household_id"]] = [e.to_dict() for e in errors]
    assert problems == {}


def test_national_chunks_are_valid_bounded_and_unique():
    seen: set[str] = set()
    provinces: set[str] = set()
    sizes = []
    for households, members in synth_national_chunks(2500, chunk=1000, seed=3):
        sizes.append(len(households))
        ids = set(households["household_id"])
        assert not ids & seen
        seen |= ids
        provinces |= set(households["province_code"].astype(str))
        assert set(members["household_id"]) == ids
        for record in list(tables_to_households(households, members))[:150]:
            assert validate_household(record, today=TODAY) == []
    assert sizes == [1000, 1000, 500]
    assert len(provinces) > 20


def test_vocabularies_match_the_questionnaire():
    lists = {
        "relation": RELATIONS,
        "ethnicity": ETHNICITIES,
        "disability": DISABILITIES,
        "school_level": SCHOOL_LEVELS,
        "diploma": DIPLOMAS,
        "work_status": WORK,
        "nutrition": NUTRITION,
        "wall_material": WALLS,
        "frame_material": FRAMES,
        "roof_material": ROOFS,
        "water_source": WATER,
        "latrine": LATRINES,
        "devices": DEVICES,
        "waste_treatment": WASTE,
        "cooking_fuel": FUELS,
    }
    for name, values in lists.items():
        assert set(values) <= QUESTIONNAIRE.choice_values(name), name


def test_households_spread_over_all_ha_tinh_communes_wards_urban():
    households, members = synth_tables(20_000, seed=4)
    communes = {c.commune_code: c for c in province_communes("42")}
    codes = households["commune_code"].astype(str)
    assert set(codes) == set(communes)
    kinds = codes.map(lambda code: communes[code].kind)
    areas = households["area"].astype(str)
    assert (areas[kinds == "phuong"] == "urban").all()
    assert (areas[kinds == "xa"] == "rural").all()
    assert households["household_id"].is_unique
    assert (households["province_code"].astype(str) == "42").all()
    # nutrition is asked for under-16s only
    ages = 2026 - members["birth_year"]
    assert members.loc[ages >= 16, "nutrition"].isna().all()
    assert members.loc[ages < 16, "nutrition"].notna().all()


def test_western_mountain_communes_are_poorer_than_wards():
    households, members = synth_tables(60_000, seed=8)
    scores = score_tables(households, members, "vn-2022")
    communes = {c.commune_code: c for c in province_communes("42")}
    # the western mountains, read from the commune data: far west and large
    mountain = {code for code, c in communes.items() if c.lon < 105.5 and (c.area_km2 or 0) > 80}
    wards = {code for code, c in communes.items() if c.kind == "phuong"}
    assert len(mountain) >= 4 and len(wards) == 9
    codes = scores["commune_code"].astype(str)
    poor_or_near = scores["classification"].isin(["poor", "near_poor"])
    rate_mountain = poor_or_near[codes.isin(mountain)].mean()
    rate_wards = poor_or_near[codes.isin(wards)].mean()
    assert rate_mountain > 3 * rate_wards
    # and the minorities live in the west: a far larger non-Kinh share there than in wards
    hh_commune = dict(zip(households["household_id"], codes, strict=True))
    member_commune = members["household_id"].map(hh_commune)
    non_kinh = members["ethnicity"].astype(str) != "kinh"
    assert non_kinh.mean() < 0.01
    assert non_kinh[member_commune.isin(mountain)].mean() > 10 * max(
        non_kinh[member_commune.isin(wards)].mean(), 1e-4
    )


def test_calibrated_to_ha_tinh_end_2024_rates():
    households, members = synth_tables(100_000, seed=2024)
    classes = score_tables(households, members, "vn-2022")["classification"]
    poor = (classes == "poor").mean() * 100
    near = (classes == "near_poor").mean() * 100
    assert abs(poor - 2.40) < 0.5, poor
    assert abs(near - 3.04) < 0.5, near


def test_income_sources_and_counted_income_are_consistent():
    households, members = synth_tables(2000, seed=12)
    scores = score_tables(households, members, "vn-2022")
    counted = ["wages", "agriculture", "business", "pensions", "remittances", "other"]
    total = households[[f"income_{s}" for s in counted]].sum(axis=1)
    size = members.groupby("household_id", sort=False).size().reindex(households["household_id"])
    np.testing.assert_allclose(scores["income_pc_month"], total / 12 / size.to_numpy())
    assert (households.filter(like="income_") >= 0).all().all()


def test_bad_sizes_are_refused_and_zero_gives_empty_tables():
    with pytest.raises(ValueError):
        synth_tables(-1, seed=1)
    households, members = synth_tables(0, seed=1)
    assert len(households) == 0 and len(members) == 0
    assert "household_id" in households.columns and "birth_year" in members.columns
    assert list(synth_households(0, seed=1)) == []
