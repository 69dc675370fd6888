"""A province officer imports the commune boundaries in a real browser (Playwright driving
Debian's Chromium, headless) against `povcensus serve` on loopback, CSRF on: the dashboard map
first shows the approximate layer, a file without its CRS is refused with the reason, the
checked file is imported through the form, and the map then draws the 69 imported shapes
without the "approximate" label. Screenshots go to /tmp/boundaries-*.png."""

from __future__ import annotations

import zipfile

import pytest
from browser_support import SHOTS, needs_chromium
from conftest import example_household, ingest_accepted, new_household_id, start_live_server
from geo_support import province_layer

from server.queries.users import get_user
from survey_forms.communes import commune_area

pytestmark = needs_chromium

COMMUNES = ("18496", "18502", "18073")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = start_live_server(tmp_path_factory.mktemp("boundaries-live"))
    live.open_round()
    officer = live.user("tinh", role="province", communes=(), password="pw-tinh")
    submitter = get_user(live.db(), officer.id)
    for commune in COMMUNES:
        record = example_household(
            household_id=new_household_id(commune),
            commune_code=commune,
            area=commune_area(commune),  # phường are urban, xã rural (docs/scoring.md)
        )
        ingest_accepted(live.db(), submitter, record)
    yield live
    live.stop()


def _title_box(page) -> str:
    frame = page.frame_locator("#pv-map")
    frame.locator("path.leaflet-interactive").first.wait_for(timeout=30_000)
    return frame.locator(".pc-title").inner_text()


def test_officer_imports_boundaries_and_sees_them_on_the_map(server, browser, tmp_path):
    layer = province_layer("42")
    good = tmp_path / "xa_hatinh.geojson"
    layer.to_file(good, driver="GeoJSON")
    shp = tmp_path / "xa.shp"
    layer.to_crs("EPSG:32648").to_file(shp)
    no_prj = tmp_path / "xa_khong_prj.zip"
    with zipfile.ZipFile(no_prj, "w") as zf:
        for part in tmp_path.glob("xa.*"):
            if part.suffix != ".prj":
                zf.write(part, part.name)

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(f"{server.url}/login")
    page.fill("input[name=username]", "tinh")
    page.fill("input[name=password]", "pw-tinh")
    page.get_by_role("button", name="Đăng nhập / Sign in").click()
    page.goto(f"{server.url}/province/")
    assert "Ranh giới gần đúng" in _title_box(page)

    page.click("#boundary-info a")
    page.set_input_files("input[name=file]", str(no_prj))
    page.fill("input[name=code_field]", "ma")
    page.fill("input[name=source]", "Sở Nông nghiệp và Môi trường Hà Tĩnh")
    page.click("#boundary-form button[type=submit]")
    error = page.locator("#boundary-error").inner_text()
    assert "Không nhập được tệp ranh giới" in error and "--crs EPSG:" in error
    assert "EPSG:32648" in error and "xa_khong_prj.zip" in error
    assert "matched" not in error  # refused before matching: no misleading "matched: 0"
    page.screenshot(path=str(SHOTS / "boundaries-refused.png"), full_page=True)

    page.set_input_files("input[name=file]", str(good))
    assert page.input_value("input[name=code_field]") == "ma"  # kept from the refused attempt
    page.fill("input[name=source]", "Sở Nông nghiệp và Môi trường Hà Tĩnh")
    page.fill("input[name=source_date]", "2025-07-01")
    page.fill("input[name=licence]", "dùng nội bộ")
    page.click("#boundary-form button[type=submit]")
    page.locator("#boundary-imported").wait_for(timeout=30_000)
    row = page.locator("#boundary-layers tbody tr")
    assert row.count() == 1 and "đang dùng trên bản đồ" in row.inner_text()

    page.goto(f"{server.url}/province/")
    info = page.inner_text("#boundary-info")
    assert "Sở Nông nghiệp và Môi trường Hà Tĩnh (01/07/2025)" in info and "dùng nội bộ" in info
    assert "Ranh giới gần đúng" not in _title_box(page)
    frame = page.frame_locator("#pv-map")
    assert frame.locator("path.leaflet-interactive").count() == 69
    inner = page.frame(url=lambda u: "/province/map.html" in u)
    drawn = inner.evaluate(
        """() => { const out = {};
          window.povcensusLayer.eachLayer(l => {
            const code = l.feature.properties.t.match(/\\((\\d{5})\\)/)[1];
            const b = l.getBounds();
            out[code] = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; });
          return out; }"""
    )
    expected = layer.set_index("ma").geometry
    assert sorted(drawn) == sorted(expected.index)
    for code, bounds in drawn.items():
        assert bounds == pytest.approx(list(expected[code].bounds), abs=1e-4), code
    page.screenshot(path=str(SHOTS / "boundaries-dashboard.png"))
    context.close()


def test_a_commune_user_cannot_open_the_import_page(server, browser):
    server.user("xa-b", role="commune", communes=("18496",), password="pw-xa")
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{server.url}/login")
    page.fill("input[name=username]", "xa-b")
    page.fill("input[name=password]", "pw-xa")
    page.get_by_role("button", name="Đăng nhập / Sign in").click()
    response = page.goto(f"{server.url}/province/boundaries")
    assert response.status == 403
    context.close()
