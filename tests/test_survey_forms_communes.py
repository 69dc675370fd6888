"""The national commune list (post-1 July 2025) as the package reads it."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from survey_forms import communes

GEO = Path(__file__).resolve().parents[2] / "shared" / "data" / "geo"


def test_all_communes_has_the_national_list():
    found = communes.all_communes()
    assert isinstance(found, dict) and len(found) == 3321
    assert Counter(c.kind for c in found.values()) == {"xa": 2621, "phuong": 687, "dac_khu": 13}
    assert len(communes.all_provinces()) == 34
    huong_khe = found["18496"]
    assert (huong_khe.name, huong_khe.province_code, huong_khe.province) == (
        "Xã Hương Khê",
        "42",
        "Tỉnh Hà Tĩnh",
    )
    assert huong_khe.name_en == "Hương Khê commune"


def test_all_communes_returns_a_copy():
    first = communes.all_communes()
    first.clear()
    assert len(communes.all_communes()) == 3321


def test_ha_tinh_has_69_communes_since_july_2025():
    ha_tinh = communes.province_communes("42")
    assert Counter(c.kind for c in ha_tinh) == {"xa": 60, "phuong": 9}
    assert [c.commune_code for c in ha_tinh] == sorted(c.commune_code for c in ha_tinh)
    assert communes.province_communes("00") == []


def test_blank_areas_in_the_source_stay_unknown():
    # Two Quảng Trị communes have no area in the source data: None, not 0.
    assert communes.all_communes()["19147"].area_km2 is None


@pytest.mark.parametrize(
    ("name", "english"),
    [
        ("Tỉnh Hà Tĩnh", "Hà Tĩnh province"),
        ("Thành phố Huế", "Huế city"),
        ("Phường Thành Sen", "Thành Sen ward"),
        ("Đặc khu Phú Quốc", "Phú Quốc special zone"),
    ],
)
def test_english_names(name, english):
    assert communes.english_name(name) == english


def test_ha_tinh_codes_agree_with_the_shared_2025_list():
    source = GEO / "hatinh_codes_2025_vietnam_provinces.csv"
    if not source.exists():
        pytest.skip(f"shared geo data not present at {source}")
    with source.open(encoding="utf-8") as handle:
        rows = {row["ward_code"]: row["name"] for row in csv.DictReader(handle)}
    ours = {c.commune_code: c.name for c in communes.province_communes("42")}
    assert ours == rows
