"""Boundaries as server data: a province officer imports a checked layer (upload form or
`povcensus boundaries import --into-server`), the dashboard map, its HTML download and PNG use
it; a bad file is refused with the reason and stores nothing; only province and admin users
may import; the history of layers is kept."""

from __future__ import annotations

import io
import json
import re
import zipfile

import numpy as np
import pytest
import shapely
from click.testing import CliRunner
from geo_support import REAL_2025, province_layer
from test_province_views import _login, populated  # noqa: F401 — fixture used by the tests

from maps.boundaries import load_communes
from server.db import connect

APPROXIMATE = "Ranh giới gần đúng"


def _geojson(layer) -> bytes:
    return layer.to_json(drop_id=True).encode("utf-8")


def _upload(client, data: bytes, filename: str = "xa_hatinh.geojson", **fields):
    form = {
        "file": (io.BytesIO(data), filename),
        "code_field": "ma",
        "source": "Sở Tài nguyên và Môi trường Hà Tĩnh",
        "source_date": "2025-07-01",
        "licence": "dùng nội bộ / internal use",
        **fields,
    }
    return client.post("/province/boundaries", data=form, content_type="multipart/form-data")


def _map_features(page: str) -> list[dict]:
    return json.loads(re.search(r"var data = (\{.*?\});\n", page).group(1))["features"]


def _imported_shape_layer():
    """Hà Tĩnh's 69 communes as distinctive squares (not the approximate shapes)."""
    return province_layer("42")


def test_imported_layer_replaces_the_approximate_one_on_the_map(client, populated):  # noqa: F811
    _login(client, "tinh")
    before = client.get("/province/map.html").data.decode()
    assert APPROXIMATE in before
    layer = _imported_shape_layer()
    response = _upload(client, _geojson(layer))
    assert response.status_code == 303, response.data.decode()[:2000]
    page = client.get("/province/map.html").data.decode()
    assert APPROXIMATE not in page
    features = _map_features(page)
    assert len(features) == 69
    expected = layer.set_index("ma").geometry
    for feature in features:
        code = re.search(r"\((\d{5})\)", feature["properties"]["t"]).group(1)
        drawn = shapely.geometry.shape(feature["geometry"])
        assert np.allclose(drawn.bounds, expected[code].bounds, atol=1e-4), code
    dashboard = client.get("/province/").data.decode()
    assert "Sở Tài nguyên và Môi trường Hà Tĩnh" in dashboard
    assert "dùng nội bộ / internal use" in dashboard and "(01/07/2025)" in dashboard
    download = client.get("/province/map.html?download=1").data.decode()
    assert APPROXIMATE not in download and len(_map_features(download)) == 69
    png = client.get("/province/map.png")
    assert png.status_code == 200 and png.data[:4] == b"\x89PNG"


def test_a_bad_file_is_refused_with_its_reason_and_nothing_is_stored(
    client,
    populated,  # noqa: F811
    tmp_path,
):
    _login(client, "tinh")
    shp = tmp_path / "xa.shp"
    _imported_shape_layer().to_crs("EPSG:32648").to_file(shp)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        for part in tmp_path.glob("xa.*"):
            if part.suffix != ".prj":  # the classic: a Shapefile sent without its .prj
                zf.write(part, part.name)
    response = _upload(client, archive.getvalue(), "xa.zip")
    page = response.data.decode()
    assert response.status_code == 400
    assert "--crs EPSG:" in page and "EPSG:32648" in page and "Không nhập được" in page
    other = _upload(client, _geojson(province_layer("40")), "nghe_an.geojson")
    assert other.status_code == 400 and "another province" in other.data.decode()
    assert APPROXIMATE in client.get("/province/map.html").data.decode()
    assert "boundary-layers" not in client.get("/province/boundaries").data.decode()
    fixed = _upload(client, archive.getvalue(), "xa.zip", crs="EPSG:32648")
    assert fixed.status_code == 303
    assert APPROXIMATE not in client.get("/province/map.html").data.decode()


def test_history_is_kept_and_the_newest_layer_is_drawn(client, db, populated):  # noqa: F811
    _login(client, "boss")  # admin may import too
    first = _imported_shape_layer()
    assert _upload(client, _geojson(first), source="first").status_code == 303
    second = first.assign(geometry=first.scale(0.5, 0.5))
    assert _upload(client, _geojson(second), source="second").status_code == 303
    page = client.get("/province/boundaries").data.decode()
    assert page.count("<tr data-layer=") == 2 and "first" in page and "second" in page
    drawn = _map_features(client.get("/province/map.html").data.decode())
    code = "18073"
    feature = next(f for f in drawn if f"({code})" in f["properties"]["t"])
    expected = second.set_index("ma").geometry[code].bounds
    assert np.allclose(shapely.geometry.shape(feature["geometry"]).bounds, expected, atol=1e-4)
    rows = db.execute("SELECT action, target FROM audit_log WHERE action = 'boundaries_import'")
    assert len(list(rows)) == 2


@pytest.mark.parametrize("username", ["xa", "rsv"])
def test_only_province_and_admin_may_import(client, populated, username):  # noqa: F811
    _login(client, username)
    assert client.get("/province/boundaries").status_code == 403
    assert _upload(client, _geojson(_imported_shape_layer())).status_code == 403


def test_anonymous_upload_goes_to_login(client, populated):  # noqa: F811
    response = _upload(client, _geojson(_imported_shape_layer()))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_cli_import_into_server_is_used_by_the_dashboard(app, client, populated, tmp_path):  # noqa: F811
    from povcensus.cli import main

    path = tmp_path / "xa.geojson"
    _imported_shape_layer().to_file(path, driver="GeoJSON")
    database = app.config["DATABASE"]
    args = ["boundaries", "import", str(path), "--code-field", "ma", "--into-server"]
    args += ["--db", database, "--source", "CLI source", "--licence", "CC BY 4.0"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    conn = connect(database)
    stored = conn.execute(
        "SELECT source, licence, layout, features, province_code FROM province_boundary_layers"
    ).fetchall()
    conn.close()
    assert [tuple(row) for row in stored] == [("CLI source", "CC BY 4.0", "2025", 69, "42")]
    _login(client, "tinh")
    assert APPROXIMATE not in client.get("/province/map.html").data.decode()
    bad = tmp_path / "nghe_an.geojson"
    province_layer("40").to_file(bad, driver="GeoJSON")
    refused = CliRunner().invoke(
        main,
        ["boundaries", "import", str(bad), "--code-field", "ma", "--into-server", "--db", database],
    )
    assert refused.exit_code == 1 and "another province" in refused.output


@pytest.mark.skipif(not REAL_2025.exists(), reason=f"real boundaries not present at {REAL_2025}")
def test_the_official_file_is_drawn_as_imported(client, populated):  # noqa: F811
    _login(client, "tinh")
    response = _upload(client, REAL_2025.read_bytes(), "hatinh.geojson", code_field="ma_xa")
    assert response.status_code == 303
    features = _map_features(client.get("/province/map.html").data.decode())
    names = {re.search(r"<b>(.*?)</b>", f["properties"]["t"]).group(1) for f in features}
    assert len(features) == 69 and names == set(load_communes("42")["name"])
