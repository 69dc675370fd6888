"""Maps are never silently wrong: every bad boundary file or mismatched layout is a clear error.

Each case here once produced a map with exit code 0 (issue 13): a projected Shapefile without
`.prj` read as degrees, swapped axes, an empty GeoPackage, another province's file, a
2008/2020-layout file with reused codes and features without a code, 6-digit codes, and an
old-layout `--compare` joined on reused codes. The layers are built in the test; the real
Hà Tĩnh files are used in addition where present.
"""

from __future__ import annotations

import json
import re

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from geo_support import REAL_2008, REAL_2025, centroid_layer, province_layer
from test_maps_cli import write_scores

from maps.boundaries import BoundaryError, import_boundaries, load_communes
from maps.crosswalk import load_crosswalk
from maps.layouts import LAYOUT_2025, LAYOUT_OLD, LayoutError, detect_layout, resolve_layout
from povcensus.cli import main

HATINH = list(load_communes("42")["commune_code"])


def _map(args: list[str]):
    return CliRunner().invoke(main, ["map", *args])


def _features(page: str) -> tuple[dict, list]:
    data = json.loads(re.search(r"var data = (\{.*?\});\n", page).group(1))
    measures = json.loads(re.search(r"var measures = (\[.*?\]);\n", page).group(1))
    return data, measures


# --- coordinates ------------------------------------------------------------------------------


def test_projected_shapefile_without_prj_is_an_error_naming_the_crs(tmp_path):
    path = tmp_path / "xa.shp"
    province_layer().to_crs("EPSG:32648").to_file(path)
    path.with_suffix(".prj").unlink()
    with pytest.raises(BoundaryError) as caught:
        import_boundaries(path, code_field="ma")
    message = str(caught.value)
    assert "--crs EPSG:" in message and "has no CRS" in message
    fits = message.split("fits:")[1].split("usual")[0]
    assert "EPSG:32648 (WGS 84 / UTM 48N)" in fits  # the system that fits, found by trying
    for named in ("EPSG:3405 VN-2000 / UTM 48N", "EPSG:3406 VN-2000 / UTM 49N", "TM-3"):
        assert named in message
    report = import_boundaries(path, code_field="ma", crs="EPSG:32648")
    assert len(report.matched) == 69 and report.reprojected and report.suspects == []


def test_the_crs_hint_tells_vn2000_tm3_from_utm(tmp_path):
    path = tmp_path / "xa.shp"
    province_layer().to_crs("EPSG:9209").to_file(path)  # VN-2000 / TM-3 105°30′, Hà Tĩnh's own
    path.with_suffix(".prj").unlink()
    with pytest.raises(BoundaryError, match="fits: EPSG:9209") as caught:
        import_boundaries(path, code_field="ma")
    fits = str(caught.value).split("fits:")[1].split("usual")[0]
    assert "EPSG:32648" not in fits  # 50 km off: the centroids fall outside their polygons


def test_usual_systems_are_named_when_none_fits(tmp_path):
    layer = province_layer().to_crs("EPSG:32648")
    layer["geometry"] = layer.translate(3_000_000, 0)  # nowhere near Vietnam in any candidate
    path = tmp_path / "far.shp"
    layer.to_file(path)
    path.with_suffix(".prj").unlink()
    with pytest.raises(BoundaryError) as caught:
        import_boundaries(path, code_field="ma")
    assert "fits:" not in str(caught.value)
    assert all(
        name in str(caught.value)
        for name in ("VN-2000 / UTM 48N", "VN-2000 / UTM 49N", "WGS 84 / UTM 48N")
    )


def test_swapped_axes_are_detected(tmp_path):
    layer = province_layer()
    layer["geometry"] = shapely.transform(layer.geometry.values, lambda xy: xy[:, ::-1])
    path = tmp_path / "swapped.geojson"
    layer.to_file(path, driver="GeoJSON")
    with pytest.raises(BoundaryError, match="swapped"):
        import_boundaries(path, code_field="ma")


def test_coordinates_outside_vietnam_are_an_error(tmp_path):
    layer = province_layer()
    layer["geometry"] = layer.translate(-100, 0)  # a plausible-looking but wrong place
    path = tmp_path / "elsewhere.geojson"
    layer.to_file(path, driver="GeoJSON")
    with pytest.raises(BoundaryError, match="outside Vietnam"):
        import_boundaries(path, code_field="ma")


# --- empty, unmatched, no code, another province ---------------------------------------------


def test_empty_geopackage_is_an_error_not_a_world_map(tmp_path):
    path = tmp_path / "empty.gpkg"
    gpd.GeoDataFrame({"ma": pd.Series([], dtype=str)}, geometry=[], crs="EPSG:4326").to_file(
        path, driver="GPKG"
    )
    with pytest.raises(BoundaryError, match="no features"):
        import_boundaries(path, code_field="ma")
    scores = write_scores(tmp_path / "s.jsonl", HATINH)
    result = _map([str(scores), "-o", str(tmp_path / "m.html"), "--boundaries", str(path)])
    assert result.exit_code == 1 and "no features" in result.output
    assert not (tmp_path / "m.html").exists()


def test_six_digit_codes_match_nothing_and_map_prints_the_report(tmp_path):
    path = tmp_path / "six.geojson"
    layer = province_layer()
    layer["ma"] = "0" + layer["ma"]  # 018073: a 6-digit code no commune has
    layer.to_file(path, driver="GeoJSON")
    scores = write_scores(tmp_path / "s.jsonl", HATINH)
    result = _map([str(scores), "-o", str(tmp_path / "m.html"), "--boundaries", str(path)])
    assert result.exit_code == 1, result.output
    assert "no code matches the commune list" in result.output
    assert "matched: 0" in result.output  # the import report is printed before the refusal
    assert "on the map" not in result.output and not (tmp_path / "m.html").exists()


def test_features_without_a_code_are_an_error_never_one_commune_none(tmp_path):
    layer = centroid_layer(["18073", "18100", None, None])
    path = tmp_path / "nocode.geojson"
    layer.to_file(path, driver="GeoJSON")
    with pytest.raises(BoundaryError, match=r"2 features without a commune code .*rows 3, 4"):
        import_boundaries(path, code_field="ma")


def test_another_provinces_file_is_named(tmp_path):
    path = tmp_path / "nghe_an.geojson"
    province_layer("40").to_file(path, driver="GeoJSON")
    with pytest.raises(BoundaryError, match=r"another province \(40 .*Nghệ An.*\), not 42"):
        import_boundaries(path, code_field="ma", province="42")
    scores = write_scores(tmp_path / "s.jsonl", HATINH)
    result = _map([str(scores), "-o", str(tmp_path / "m.html"), "--boundaries", str(path)])
    assert result.exit_code == 1 and "another province" in result.output
    assert "missing" in result.output  # the report came first


# --- layouts of boundary layers ---------------------------------------------------------------


def _old_hatinh_codes() -> list[str]:
    crosswalk = load_crosswalk()
    return sorted(set(crosswalk.loc[crosswalk["new_code"].isin(HATINH), "old_code"]))


def test_a_2020_layout_layer_is_recognised_and_never_painted_with_2025_figures(tmp_path):
    old = _old_hatinh_codes()
    layer = centroid_layer(old)  # old-only codes land at sea: geometry is not what is tested
    path = tmp_path / "old.geojson"
    layer.to_file(path, driver="GeoJSON")
    report = import_boundaries(path, code_field="ma")
    assert report.layout == LAYOUT_OLD and len(report.matched) == len(old)
    assert report.boundaries.set_index("commune_code").loc["18076", "name"] == "Phường Bắc Hà"
    with pytest.raises(BoundaryError, match="declared '2025'"):
        import_boundaries(path, code_field="ma", layout=LAYOUT_2025)
    scores = write_scores(tmp_path / "s.jsonl", HATINH)
    result = _map([str(scores), "-o", str(tmp_path / "m.html"), "--boundaries", str(path)])
    assert result.exit_code == 1 and "cannot be drawn on 2020-2024 boundaries" in result.output


def test_reused_codes_on_small_old_polygons_are_suspects(tmp_path):
    """The 2008 trap: 56 reused codes "matched" on old, smaller communes elsewhere."""
    layer = province_layer()
    layer["geometry"] = layer.translate(0.05, 0.03)  # every polygon ~6 km off its commune
    path = tmp_path / "shifted.geojson"
    layer.to_file(path, driver="GeoJSON")
    with pytest.raises(BoundaryError, match=r"69/69 .*not the July 2025 communes"):
        import_boundaries(path, code_field="ma")
    with pytest.raises(BoundaryError, match=r"69/69 .*not the July 2025 communes"):
        import_boundaries(path, code_field="ma", layout=LAYOUT_2025)


def test_a_few_misplaced_communes_are_listed_as_suspects(tmp_path):
    layer = province_layer()
    layer.loc[[0, 1], "ma"] = layer.loc[[1, 0], "ma"].to_numpy()  # two codes swapped
    path = tmp_path / "two_swapped.geojson"
    layer.to_file(path, driver="GeoJSON")
    report = import_boundaries(path, code_field="ma")
    assert sorted(s.split()[0] for s in report.suspects) == sorted(layer["ma"][:2])
    assert "far from its polygon" in "\n".join(report.lines())


@pytest.mark.skipif(not REAL_2008.exists(), reason=f"2008-layout file not present at {REAL_2008}")
def test_real_2008_file_is_refused_with_its_uncoded_features(tmp_path):
    with pytest.raises(BoundaryError, match="77 features without a commune code"):
        import_boundaries(REAL_2008, code_field="gso_code_2020_2024_namematch")
    coded = gpd.read_file(REAL_2008)
    coded = coded[coded["gso_code_2020_2024_namematch"].notna()]
    path = tmp_path / "coded_2008.geojson"
    coded.to_file(path, driver="GeoJSON")
    report = import_boundaries(path, code_field="gso_code_2020_2024_namematch")
    assert report.layout == LAYOUT_OLD
    with pytest.raises(BoundaryError, match="declared '2025'"):
        import_boundaries(path, code_field="gso_code_2020_2024_namematch", layout=LAYOUT_2025)


@pytest.mark.skipif(not REAL_2025.exists(), reason=f"real boundaries not present at {REAL_2025}")
def test_real_2025_layer_passes_every_check(tmp_path):
    report = import_boundaries(REAL_2025, code_field="ma_xa", province="42")
    assert report.layout == LAYOUT_2025 and report.suspects == []
    path = tmp_path / "real.shp"
    gpd.read_file(REAL_2025).to_crs("EPSG:3405").to_file(path)
    path.with_suffix(".prj").unlink()
    with pytest.raises(BoundaryError, match="EPSG:3405"):
        import_boundaries(path, code_field="ma_xa")


# --- layouts of scores and comparisons --------------------------------------------------------


def test_layout_detection_from_codes():
    assert detect_layout(HATINH).layout == LAYOUT_2025  # all reused, but the whole province
    assert detect_layout(["18073", "18100"]).layout is None  # a few reused codes: cannot tell
    assert detect_layout(["18073", "18076"]).layout == LAYOUT_OLD  # 18076: only before 2025
    with pytest.raises(LayoutError, match="say --layout"):
        resolve_layout(["18073"], None, "scores")
    with pytest.raises(LayoutError, match="declared 2025"):
        resolve_layout(["18076"], LAYOUT_2025, "scores")
    assert resolve_layout(["18073"], LAYOUT_OLD, "scores") == LAYOUT_OLD


def _flat_scores(path, classes: dict[str, str]):
    """Three households per commune code, each of the given class."""
    rows = [
        {"household_id": f"{code}-{i}", "commune_code": code, "classification": klass}
        for code, klass in classes.items()
        for i in range(3)
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_old_layout_compare_goes_through_the_crosswalk_without_the_flag(tmp_path):
    """Old Nam Hà (18073) all poor, its partners in new Thành Sen (18073) none: a silent join
    on the reused code would show −100 points; through the crosswalk Nam Hà is one part."""
    current = _flat_scores(tmp_path / "now.jsonl", dict.fromkeys(HATINH, "not_poor"))
    old = {code: "not_poor" for code in _old_hatinh_codes()} | {"18073": "poor"}
    earlier = _flat_scores(tmp_path / "before.jsonl", old)
    out = tmp_path / "m.html"
    result = _map([str(current), "-o", str(out), "--compare", str(earlier), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "2020–2024 codes re-expressed on the 2025 communes" in result.output
    data, measures = _features(out.read_text(encoding="utf-8"))
    change = [m["label"] for m in measures].index("Change in poor rate, points")
    sen = next(f for f in data["features"] if "(18073)" in f["properties"]["t"])
    crosswalk = load_crosswalk()
    parts = crosswalk.loc[crosswalk["new_code"] == "18073", "weight"].sum()  # old communes in it
    assert parts > 3
    assert sen["properties"]["v"][change] == pytest.approx(-100 / parts, abs=0.05)


def test_declared_layout_contradicted_by_codes_is_an_error(tmp_path):
    earlier = _flat_scores(tmp_path / "before.jsonl", dict.fromkeys(_old_hatinh_codes(), "poor"))
    result = _map([str(earlier), "-o", str(tmp_path / "m.html"), "--layout", "2025"])
    assert result.exit_code == 1 and "declared 2025" in result.output
    assert not (tmp_path / "m.html").exists()


def test_an_old_round_can_be_the_main_layer(tmp_path):
    earlier = write_scores(tmp_path / "before.jsonl", _old_hatinh_codes())
    out = tmp_path / "m.html"
    result = _map([str(earlier), "-o", str(out)])
    assert result.exit_code == 0, result.output
    data, _ = _features(out.read_text(encoding="utf-8"))
    assert len(data["features"]) == 69
    assert "69 có ranh giới / with a boundary" in result.output


def test_an_old_round_on_old_boundaries_is_drawn_as_it_was(tmp_path):
    old = _old_hatinh_codes()
    boundaries = tmp_path / "old.geojson"
    centroid_layer(old).to_file(boundaries, driver="GeoJSON")
    earlier = _flat_scores(tmp_path / "before.jsonl", dict.fromkeys(old, "poor"))
    out = tmp_path / "m.html"
    result = _map([str(earlier), "-o", str(out), "--boundaries", str(boundaries)])
    assert result.exit_code == 0, result.output
    assert "re-expressed" not in result.output  # same layout: no crosswalk
    data, _ = _features(out.read_text(encoding="utf-8"))
    names = {re.search(r"<b>(.*?)</b>", f["properties"]["t"]).group(1) for f in data["features"]}
    assert len(data["features"]) == len(old) and "Phường Nam Hà" in names  # the old 18073
