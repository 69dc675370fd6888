"""Boundary import (formats, reprojection, repair, code matching, simplification) and the default layer."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from geo_support import REAL_2025, centroid_layer
from shapely.geometry import Polygon, box

from maps.boundaries import (
    METRIC_CRS,
    count_vertices,
    default_boundaries,
    import_boundaries,
    load_communes,
    national_boundaries,
    normalise_code,
    simplify_layer,
)

needs_real = pytest.mark.skipif(
    not REAL_2025.exists(), reason=f"real Hà Tĩnh boundaries not present at {REAL_2025}"
)


def small_layer(codes: list[str]) -> gpd.GeoDataFrame:
    """One ~2 km square per code around its commune's centroid (unknown codes: at sea)."""
    return centroid_layer(codes)


@needs_real
def test_real_hatinh_layer_matches_all_69_communes():
    report = import_boundaries(REAL_2025, code_field="ma_xa")
    assert len(report.matched) == 69
    assert report.unmatched == [] and report.missing == []
    assert not report.reprojected
    assert report.boundaries.crs.to_epsg() == 4326
    assert set(report.boundaries["commune_code"]) == set(load_communes("42")["commune_code"])


@needs_real
@pytest.mark.parametrize("epsg", [3405, 32648])
def test_projected_copy_comes_back_in_wgs84(tmp_path, epsg):
    original = gpd.read_file(REAL_2025)
    path = tmp_path / "projected.gpkg"
    original.to_crs(epsg=epsg).to_file(path, driver="GPKG")
    report = import_boundaries(path, code_field="ma_xa")
    assert report.reprojected and str(epsg) in report.source_crs
    assert report.boundaries.crs.to_epsg() == 4326
    assert np.allclose(report.boundaries.total_bounds, original.total_bounds, atol=1e-4)
    assert len(report.matched) == 69


def test_invalid_polygon_is_repaired_and_reported(tmp_path):
    layer = small_layer(["18073", "18100"])
    x0, y0, x1, y1 = layer.geometry[1].bounds  # a bow-tie over the commune's own square
    bowtie = Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1), (x0, y0)])
    layer.loc[1, "geometry"] = bowtie
    assert not layer.geometry.is_valid.all()
    path = tmp_path / "bad.geojson"
    layer.to_file(path, driver="GeoJSON")
    report = import_boundaries(path, code_field="ma")
    assert report.repaired == ["18100"]
    assert report.boundaries.geometry.is_valid.all()
    assert report.boundaries.set_index("commune_code").loc["18100"].geometry.area > 0
    dropped = import_boundaries(path, code_field="ma", repair=False)
    assert dropped.invalid_dropped == ["18100"] and list(dropped.boundaries["commune_code"]) == [
        "18073"
    ]


def test_unmatched_codes_are_listed_and_kept_flagged(tmp_path):
    path = tmp_path / "layer.shp"
    small_layer(["18073", "99999", "12345"]).to_file(path)
    report = import_boundaries(path, code_field="ma")
    assert report.unmatched == ["12345", "99999"]
    assert report.matched == ["18073"]
    assert len(report.missing) == 68  # the rest of the province
    flags = report.boundaries.set_index("commune_code")["matched"]
    assert flags["18073"] and not flags["99999"]
    assert "99999" in "\n".join(report.lines())


def test_numeric_codes_are_zero_padded(tmp_path):
    layer = small_layer([4])  # Phường Ba Đình is 00004, written as the number 4
    path = tmp_path / "n.geojson"
    layer.to_file(path, driver="GeoJSON")
    assert import_boundaries(path, code_field="ma").matched == ["00004"]
    assert normalise_code("18073.0") == "18073" and normalise_code(" 42", width=2) == "42"


def test_missing_code_field_names_the_available_fields(tmp_path):
    path = tmp_path / "layer.geojson"
    small_layer(["18073"]).to_file(path, driver="GeoJSON")
    with pytest.raises(ValueError, match="'ma'"):
        import_boundaries(path, code_field="ma_xa")


def test_large_layers_are_simplified_to_the_vertex_budget():
    circle = gpd.GeoDataFrame(
        {"commune_code": ["18073"]},
        geometry=[box(105.9, 18.3, 106.0, 18.4).buffer(0.05, quad_segs=2000)],
        crs="EPSG:4326",
    )
    before = count_vertices(circle)
    simplified = simplify_layer(circle, max_vertices=500)
    assert before > 5000 and count_vertices(simplified) <= 500
    assert simplified.geometry.iloc[0].area == pytest.approx(circle.geometry.iloc[0].area, rel=0.02)
    assert simplify_layer(circle, max_vertices=None) is circle


def test_default_layer_covers_the_province_with_plausible_areas():
    layer = default_boundaries("42")
    communes = load_communes("42").set_index("commune_code")
    assert layer.attrs["approximate"] and layer["approximate"].all()
    assert sorted(layer["commune_code"]) == sorted(communes.index)
    assert layer.geometry.is_valid.all() and not layer.geometry.is_empty.any()
    area = layer.to_crs(METRIC_CRS).set_index("commune_code").area / 1e6
    ratio = area / communes["area_km2"]
    assert ratio.median() == pytest.approx(1.0, abs=0.05)
    assert ratio.between(0.5, 1.05).all(), ratio[~ratio.between(0.5, 1.05)]


def test_default_layer_contains_each_commune_centroid():
    layer = default_boundaries("42").set_index("commune_code")
    communes = load_communes("42").set_index("commune_code")
    points = gpd.points_from_xy(communes["lon"], communes["lat"])
    inside = [
        layer.geometry[code].buffer(1e-3).contains(p)
        for code, p in zip(communes.index, points, strict=True)
    ]
    assert all(inside)


@needs_real
def test_default_layer_centroids_are_near_the_real_ones():
    real = gpd.read_file(REAL_2025).set_index("ma_xa").to_crs(METRIC_CRS)
    approx = default_boundaries("42").set_index("commune_code").to_crs(METRIC_CRS)
    distance_km = real.centroid.distance(approx.centroid.reindex(real.index)) / 1000
    typical_radius_km = np.sqrt(real.area / np.pi) / 1000
    assert (distance_km < typical_radius_km).mean() >= 0.9
    overlap = real.intersection(approx.geometry.reindex(real.index)).area / real.area
    assert overlap.median() > 0.6


def test_national_layer_has_every_commune():
    layer = national_boundaries()
    assert len(layer) == 3321 and layer["commune_code"].is_unique
    assert layer.geometry.is_valid.all()
    assert set(default_boundaries("01")["commune_code"]) <= set(layer["commune_code"])
    with pytest.raises(ValueError):
        default_boundaries("99")


def test_zipped_shapefile_and_multilayer_geopackage(tmp_path):
    import zipfile

    small_layer(["18073", "18100"]).to_file(tmp_path / "xa.shp")
    archive = tmp_path / "xa.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in tmp_path.glob("xa.*"):
            if part.suffix != ".zip":
                zf.write(part, part.name)
    assert import_boundaries(archive, code_field="ma").matched == ["18073", "18100"]
    gpkg = tmp_path / "two.gpkg"
    small_layer(["18073"]).to_file(gpkg, layer="xa", driver="GPKG")
    small_layer(["18100"]).to_file(gpkg, layer="xa_cu", driver="GPKG")
    with pytest.raises(ValueError, match="xa, xa_cu"):
        import_boundaries(gpkg, code_field="ma")
    assert import_boundaries(gpkg, code_field="ma", layer="xa_cu").matched == ["18100"]


def test_points_and_empty_geometries_are_dropped_and_counted(tmp_path):
    from shapely.geometry import Point

    layer = small_layer(["18073", "18100", "18115"])
    layer.loc[1, "geometry"] = Point(105.9, 18.3)
    layer.loc[2, "geometry"] = Polygon()
    path = tmp_path / "mixed.gpkg"
    layer.to_file(path, driver="GPKG")
    report = import_boundaries(path, code_field="ma")
    assert report.not_polygon_dropped == ["18100"] and report.empty_dropped == 1
    assert list(report.boundaries["commune_code"]) == ["18073"]
    assert "not polygons 18100" in "\n".join(report.lines())
