"""`povcensus boundaries import` and `povcensus map` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
from click.testing import CliRunner
from geo_support import GEO, centroid_layer
from shapely.geometry import box

from povcensus.cli import main

REAL_2025 = GEO / "hatinh_wards_2025_vietnam3dmap.geojson"


def write_scores(path: Path, codes: list[str]) -> Path:
    """A small scores JSONL: flat rows and rows with a nested classification dict."""
    lines = []
    for i, code in enumerate(codes * 3):
        cls = ["poor", "near_poor", "not_poor"][i % 3]
        if i % 2:
            lines.append(
                {
                    "household_id": f"h{i}",
                    "commune_code": code,
                    "classification": {"classification": cls, "deprivations": ["water"]},
                }
            )
        else:
            lines.append(
                {
                    "household_id": f"h{i}",
                    "commune_code": code,
                    "classification": cls,
                    "deprivations": "",
                    "dep_water": False,
                }
            )
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    return path


def test_boundaries_import_prints_the_report_and_writes_the_layer(tmp_path):
    source = tmp_path / "in.geojson"
    centroid_layer(["18073", "77777"], field="MA_XA").to_crs(32648).to_file(
        source, driver="GeoJSON"
    )
    out = tmp_path / "out.geojson"
    result = CliRunner().invoke(
        main, ["boundaries", "import", str(source), "--code-field", "MA_XA", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert (
        "matched: 1" in result.output
        and "77777" in result.output
        and "reprojected" in result.output
    )
    written = gpd.read_file(out)
    assert written.crs.to_epsg() == 4326 and sorted(written["commune_code"]) == ["18073", "77777"]


def test_boundaries_import_json_report(tmp_path):
    source = tmp_path / "in.geojson"
    centroid_layer(["18073"]).to_file(source, driver="GeoJSON")
    result = CliRunner().invoke(
        main, ["boundaries", "import", str(source), "--code-field", "ma", "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (
        report["matched"] == ["18073"]
        and report["matched_count"] == 1
        and report["reprojected"] is False
    )


def test_boundaries_import_with_a_wrong_field_is_a_clean_error(tmp_path):
    source = tmp_path / "in.geojson"
    gpd.GeoDataFrame(
        {"a": ["18073"]}, geometry=[box(105.9, 18.3, 105.91, 18.31)], crs="EPSG:4326"
    ).to_file(source, driver="GeoJSON")
    result = CliRunner().invoke(
        main, ["boundaries", "import", str(source), "--code-field", "ma_xa"]
    )
    assert result.exit_code == 1 and "Error" in result.output and "Traceback" not in result.output


def test_map_command_writes_html_and_png(tmp_path):
    scores = write_scores(tmp_path / "scored.jsonl", ["18073", "18100", "18115"])
    html, png = tmp_path / "map.html", tmp_path / "map.png"
    result = CliRunner().invoke(
        main,
        [
            "map",
            str(scores),
            "-o",
            str(html),
            "--png",
            str(png),
            "--scheme",
            "equal_interval",
            "-k",
            "3",
            "--layout",
            "2025",
        ],
    )
    assert result.exit_code == 0, result.output
    page = html.read_text(encoding="utf-8")
    assert "Phường Thành Sen" in page and "Ranh giới gần đúng" in page
    assert png.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.skipif(
    not REAL_2025.exists(), reason=f"real Hà Tĩnh boundaries not present at {REAL_2025}"
)
def test_map_command_with_real_boundaries_and_comparison(tmp_path):
    scores = write_scores(tmp_path / "scored.jsonl", ["18073", "18100"])
    html = tmp_path / "map.html"
    args = [
        "map",
        str(scores),
        "-o",
        str(html),
        "--boundaries",
        str(REAL_2025),
        "--compare",
        str(scores),
        "--lang",
        "en",
        "--layout",
        "2025",
        "--compare-layout",
        "2025",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    page = html.read_text(encoding="utf-8")
    assert "Change in poor rate, points" in page and "Ranh giới gần đúng" not in page


def test_help_texts_have_examples():
    for command in (["boundaries"], ["boundaries", "import"], ["boundaries", "default"], ["map"]):
        result = CliRunner().invoke(main, [*command, "--help"])
        assert result.exit_code == 0 and "Example:" in result.output
