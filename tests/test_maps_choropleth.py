"""Choropleths: every commune drawn, no-data class, escaping, legend, layers, size, PNG."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from geo_support import GEO

from maps.aggregate import commune_aggregates
from maps.boundaries import default_boundaries, import_boundaries
from maps.choropleth import choropleth, safe_json, to_html, to_png
from maps.classify import classify

REAL_2025 = GEO / "hatinh_wards_2025_vietnam3dmap.geojson"
EVIL = "<script>alert(1)</script>"


def synthetic_scores(codes: list[str], n: int = 4000, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "household_id": [f"h{i}" for i in range(n)],
            "commune_code": rng.choice(codes, n),
            "classification": rng.choice(
                ["poor", "near_poor", "average", "not_poor"], n, p=[0.1, 0.1, 0.2, 0.6]
            ),
            "dep_water": rng.random(n) < 0.2,
            "dep_latrine": rng.random(n) < 0.3,
            "mpi_c": rng.random(n) * 0.6,
        }
    )


@pytest.fixture(scope="module")
def boundaries():
    if REAL_2025.exists():
        return import_boundaries(REAL_2025, code_field="ma_xa").boundaries
    return default_boundaries("42")


@pytest.fixture(scope="module")
def aggregates(boundaries):
    codes = sorted(boundaries["commune_code"])
    return commune_aggregates(synthetic_scores(codes[1:]))  # the first commune has no data


def map_data(page: str) -> tuple[dict, list[dict]]:
    data = json.loads(re.search(r"var data = (\{.*?\});\n", page).group(1))
    measures = json.loads(re.search(r"var measures = (\[.*?\]);\n", page).group(1))
    return data, measures


def test_every_commune_is_drawn_and_missing_data_gets_the_no_data_class(aggregates, boundaries):
    page = to_html(choropleth(aggregates, boundaries))
    data, measures = map_data(page)
    assert len(data["features"]) == len(boundaries) == 69
    tips = " ".join(f["properties"]["t"] for f in data["features"])
    for code in boundaries["commune_code"]:
        assert f"({code})" in tips
    missing = sorted(boundaries["commune_code"])[0]
    feature = next(f for f in data["features"] if f"({missing})" in f["properties"]["t"])
    assert set(feature["properties"]["k"]) == {-1} and set(feature["properties"]["v"]) == {None}
    others = [f for f in data["features"] if f is not feature]
    assert all(f["properties"]["k"][0] >= 0 for f in others)
    legend_text = " ".join(label for _, label in measures[0]["legend"])
    assert "Không có số liệu (No data) (1)" in legend_text


def test_values_in_the_map_are_the_aggregates(aggregates, boundaries):
    data, measures = map_data(to_html(choropleth(aggregates, boundaries, measure="near_poor_rate")))
    assert measures[0]["label"].startswith("Tỷ lệ hộ cận nghèo")
    rates = aggregates.set_index("commune_code")["near_poor_rate"]
    for feature in data["features"]:
        code = re.search(r"\((\d{5})\)", feature["properties"]["t"]).group(1)
        if code in rates.index:
            assert feature["properties"]["v"][0] == pytest.approx(rates[code], abs=0.051)


def test_layer_control_offers_rates_indicators_and_m0(aggregates, boundaries):
    _, measures = map_data(to_html(choropleth(aggregates, boundaries, lang="en")))
    labels = [m["label"] for m in measures]
    assert labels[:3] == ["Poor rate, %", "Near-poor rate, %", "Poor and near-poor rate, %"]
    assert "Deprived: domestic water, %" in labels
    assert any("M0" in label for label in labels)


def test_names_and_titles_are_escaped(aggregates, boundaries):
    evil = boundaries.copy()
    evil.loc[evil.index[3], "name"] = EVIL
    page = to_html(choropleth(aggregates, evil, title=f"Hà Tĩnh {EVIL}"))
    assert EVIL not in page
    assert "alert(1)" in page  # the name is still shown, as text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "</script>alert" not in page
    assert safe_json({"x": "</script>"}) == '{"x":"\\u003c/script\\u003e"}'


def test_approximate_layer_is_labelled(aggregates):
    page = to_html(choropleth(aggregates, default_boundaries("42")))
    assert "Ranh giới gần đúng (Approximate boundaries)" in page


def test_compare_adds_diverging_change_layers(aggregates, boundaries):
    previous = aggregates.assign(poor_rate=aggregates["poor_rate"] + 3.0)
    data, measures = map_data(
        to_html(choropleth(aggregates, boundaries, compare=previous, lang="en"))
    )
    labels = [m["label"] for m in measures]
    change = labels.index("Change in poor rate, points")
    values = [
        f["properties"]["v"][change]
        for f in data["features"]
        if f["properties"]["v"][change] is not None
    ]
    assert values and all(v == pytest.approx(-3.0) for v in values)


def test_html_is_standalone_and_small(aggregates, boundaries):
    page = to_html(choropleth(aggregates, boundaries))
    assert "cdn.jsdelivr.net/npm/leaflet" not in page  # Leaflet is inlined: opens offline
    assert len(page.encode()) < 1_000_000
    linked = to_html(choropleth(aggregates, boundaries), inline_assets=False)
    assert "cdn.jsdelivr.net/npm/leaflet" in linked and len(linked) < len(page)


def test_schemes_and_their_errors(aggregates, boundaries):
    for scheme in ("quantile", "equal_interval", "natural_breaks"):
        _, measures = map_data(to_html(choropleth(aggregates, boundaries, scheme=scheme, k=4)))
        assert len(measures[0]["colors"]) == 4
    _, measures = map_data(
        to_html(choropleth(aggregates, boundaries, scheme="fixed", thresholds=[5, 10, 15]))
    )
    assert measures[0]["legend"][0][1].startswith("0,0 – 5,0")  # Vietnamese decimals
    _, english = map_data(
        to_html(choropleth(aggregates, boundaries, scheme="fixed", thresholds=[5, 10], lang="en"))
    )
    assert english[0]["legend"][0][1].startswith("0.0 – 5.0")
    with pytest.raises(ValueError, match="thresholds"):
        choropleth(aggregates, boundaries, scheme="fixed")
    with pytest.raises(ValueError, match="nonsense"):
        choropleth(aggregates, boundaries, measure="nonsense")


def test_classify_keeps_no_data_apart_and_handles_ties():
    classes = classify([1.0, np.nan, 3.0, 3.0, 10.0], k=5)
    assert classes.index[1] == -1 and classes.no_data == 1
    assert len(classes.bins) <= 3  # only 3 distinct values
    same = classify([2.0, 2.0], k=5)
    assert same.index.tolist() == [0, 0]
    diverging = classify([-4.0, 0.0, 2.0], diverging=True, k=5)
    assert diverging.lower == -diverging.bins[-1]


def test_png_is_written_with_a_valid_header(tmp_path, aggregates, boundaries):
    from matplotlib.image import imread

    path = to_png(aggregates, boundaries, "poor_rate", tmp_path / "map.png", title=EVIL)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = imread(path)
    assert image.shape[0] > 300 and image.shape[1] > 300
    previous = aggregates.assign(poor_rate=aggregates["poor_rate"] + 1)
    change = to_png(
        aggregates, boundaries, "change_poor_rate", tmp_path / "change.png", compare=previous
    )
    assert change.read_bytes()[:4] == b"\x89PNG"


def test_communes_with_data_but_no_boundary_are_named_on_the_map(aggregates, boundaries):
    extra = pd.concat(
        [aggregates, aggregates.iloc[[0]].assign(commune_code="99999")], ignore_index=True
    )
    fmap = choropleth(extra, boundaries)
    assert fmap.povcensus_missing_geometry == ["99999"]
    assert "communes with data but no boundary): 1 (99999)" in to_html(fmap)


def test_earlier_round_on_todays_layout_names_merged_units(boundaries):
    from maps.crosswalk import load_crosswalk, to_current_layout

    crosswalk = load_crosswalk()
    old_codes = sorted(
        crosswalk.loc[crosswalk["new_code"].isin(boundaries["commune_code"]), "old_code"].unique()
    )
    old = commune_aggregates(synthetic_scores(old_codes, n=3000, seed=11))
    previous = to_current_layout(old, crosswalk)
    data, _ = map_data(to_html(choropleth(previous, boundaries)))
    thanh_sen = next(f for f in data["features"] if "(18073)" in f["properties"]["t"])
    assert "Gộp từ (merged from): " in thanh_sen["properties"]["t"]
    assert "Phường Bắc Hà" in thanh_sen["properties"]["t"]
