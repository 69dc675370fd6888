"""Offline by default: no background tiles (nothing fetched, no credit for tiles not shown)
unless a tile URL is given; a metric-only scale; `--layer` on `map`; readable PNG titles."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner
from geo_support import province_layer
from test_maps_cli import write_scores
from test_province_views import _login, populated  # noqa: F401 — fixture

from maps.aggregate import commune_aggregates
from maps.boundaries import default_boundaries, load_communes
from maps.choropleth import choropleth, tile_layer, to_html
from povcensus.cli import main

OSM = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"


def _aggregates() -> pd.DataFrame:
    scores = pd.DataFrame(
        {
            "household_id": ["a", "b", "c"],
            "commune_code": ["18073", "18100", "18100"],
            "classification": ["poor", "not_poor", "near_poor"],
        }
    )
    return commune_aggregates(scores)


def _script(fmap) -> str:
    return to_html(fmap, inline_assets=False)  # the page without Leaflet's own source


def test_default_map_loads_no_tiles_and_credits_none():
    page = _script(choropleth(_aggregates(), default_boundaries("42")))
    assert "L.tileLayer(" not in page and "openstreetmap" not in page.lower()


def test_scale_is_metric_only():
    page = _script(choropleth(_aggregates(), default_boundaries("42")))
    assert "L.control.scale({metric: true, imperial: false})" in page
    assert "L.control.scale()" not in page  # Leaflet's default shows miles and feet too


def test_tiles_only_when_asked_with_their_attribution():
    page = _script(choropleth(_aggregates(), default_boundaries("42"), tiles=tile_layer(OSM)))
    assert "L.tileLayer(" in page and OSM in page and "OpenStreetMap contributors" in page
    with pytest.raises(ValueError, match="attribution"):
        tile_layer("https://tiles.example.org/{z}/{x}/{y}.png")
    custom = tile_layer("https://tiles.example.org/{z}/{x}/{y}.png", "Sở TN-MT Hà Tĩnh")
    page = _script(choropleth(_aggregates(), default_boundaries("42"), tiles=custom))
    assert "tiles.example.org" in page and "S\\u1edf TN-MT H\\u00e0 T\\u0129nh" in page


def test_map_command_is_offline_unless_tiles_are_given(tmp_path):
    scores = write_scores(tmp_path / "s.jsonl", list(load_communes("42")["commune_code"]))
    plain, tiled = tmp_path / "plain.html", tmp_path / "tiled.html"
    assert CliRunner().invoke(main, ["map", str(scores), "-o", str(plain)]).exit_code == 0
    assert "tile.openstreetmap.org" not in plain.read_text(encoding="utf-8")
    result = CliRunner().invoke(main, ["map", str(scores), "-o", str(tiled), "--tiles", OSM])
    assert result.exit_code == 0, result.output
    assert "tile.openstreetmap.org" in tiled.read_text(encoding="utf-8")


def test_map_accepts_layer_for_a_multilayer_geopackage(tmp_path):
    gpkg = tmp_path / "two.gpkg"
    province_layer("42").to_file(gpkg, layer="xa_2025", driver="GPKG")
    province_layer("40").to_file(gpkg, layer="nghe_an", driver="GPKG")
    scores = write_scores(tmp_path / "s.jsonl", list(load_communes("42")["commune_code"]))
    out = tmp_path / "m.html"
    args = ["map", str(scores), "-o", str(out), "--boundaries", str(gpkg), "--code-field", "ma"]
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 1 and "--layer" in refused.output
    result = CliRunner().invoke(main, [*args, "--layer", "xa_2025"])
    assert result.exit_code == 0, result.output
    assert "Ranh giới gần đúng" not in out.read_text(encoding="utf-8")


def test_png_title_on_the_dashboard_is_readable(app):
    from server.province.views import _png_title

    round_ = {"label": "2026-annual"}
    with app.test_request_context("/province/map.png?lang=vi"):
        from flask_babel import refresh

        refresh()
        title = _png_title(round_, "poor_rate", {})
    assert title == "Tỷ lệ hộ nghèo, % — đợt 2026-annual" and "poor_rate" not in title


def test_dashboard_map_has_tiles_only_from_the_server_setting(app, client, populated):  # noqa: F811
    _login(client, "tinh")
    assert "L.tileLayer(" not in client.get("/province/map.html?tiles=1").data.decode()
    app.config["MAP_TILES"] = OSM
    page = client.get("/province/map.html").data.decode()
    assert "L.tileLayer(" in page and "tile.openstreetmap.org" in page
