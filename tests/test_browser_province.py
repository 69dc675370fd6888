"""The province user's path in a real browser (Playwright driving Debian's Chromium, headless)
against `povcensus demo` serving on loopback: log in, open the dashboard, the map draws all 69
communes, hovering a known commune shows its figures (checked against the database), and the
XLSX download holds the same numbers. Screenshots go to /tmp/province-*.png."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from browser_support import SHOTS, needs_chromium, running_demo

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo-browser")
    with running_demo(folder, households=690) as url:
        yield url, folder / "demo.sqlite3"


def _poorest(database: Path) -> str:
    from server.db import connect

    db = connect(database)
    code = db.execute(
        "SELECT h.commune_code FROM households h JOIN review_rounds r ON r.id = h.round_id"
        " AND r.status = 'open' WHERE h.classification = 'poor'"
        " GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
    ).fetchone()[0]
    db.conn.close()
    return code


def _expected(database: Path, code: str) -> dict:
    """The commune's figures in the open round, straight from the tables."""
    from server.db import connect

    db = connect(database)
    rows = db.execute(
        "SELECT h.classification, d.decision, d.override_class, d.version = h.version"
        " FROM households h JOIN review_rounds r ON r.id = h.round_id AND r.status = 'open'"
        " LEFT JOIN review_decisions d ON d.round_id = h.round_id AND d.household_id = h.household_id"
        " WHERE h.commune_code = ?",
        [code],
    ).fetchall()
    final = [o if d == "overridden" and same else c for c, d, o, same in rows]
    name = db.execute("SELECT name FROM communes WHERE code = ?", [code]).fetchone()[0]
    total_households = db.execute(
        "SELECT count(*) FROM households h JOIN review_rounds r ON r.id = h.round_id"
        " AND r.status = 'open'"
    ).fetchone()[0]
    db.conn.close()
    return {
        "name": name,
        "households": len(final),
        "poor": final.count("poor"),
        "near_poor": final.count("near_poor"),
        "total_households": total_households,
    }


def test_province_user_sees_map_tooltip_and_downloads(demo_server, browser, tmp_path):
    from openpyxl import load_workbook

    url, database = demo_server
    known = _poorest(database)  # a commune with poor households
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{url}/login")
    page.fill("input[name=username]", "tinh")
    page.fill("input[name=password]", "demo-tinh")
    page.get_by_role("button", name="Đăng nhập / Sign in").click()
    page.goto(f"{url}/province/")
    assert "Bảng điều khiển của tỉnh" in page.inner_text("h1")
    assert page.locator("#commune-table tbody tr").count() == 69

    frame = page.frame_locator("#pv-map")
    frame.locator("path.leaflet-interactive").first.wait_for(timeout=30_000)
    assert frame.locator("path.leaflet-interactive").count() == 69
    inner = page.frame(url=lambda u: "/province/map.html" in u)
    assert inner.evaluate("Object.keys(window.povcensusLayer._layers).length") == 69
    page.screenshot(path=str(SHOTS / "province-dashboard.png"), full_page=False)

    point = inner.evaluate(
        """code => { let found = null;
          window.povcensusLayer.eachLayer(l => {
            if (l.feature.properties.t.includes('(' + code + ')')) found = l; });
          const p = found._map.latLngToContainerPoint(found.getCenter());
          return {x: p.x, y: p.y}; }""",
        known,
    )
    box = page.locator("#pv-map").bounding_box()
    page.mouse.move(box["x"] + point["x"], box["y"] + point["y"])
    tooltip = frame.locator(".leaflet-tooltip")
    tooltip.wait_for(timeout=10_000)
    text = tooltip.inner_text()
    want = _expected(database, known)
    assert want["poor"] > 0, "pick a commune with poor households: zeros prove little"
    rate = 100 * want["poor"] / want["households"]
    assert want["name"] in text and f"({known})" in text
    households = f"{want['households']:,}".replace(",", ".")  # 1.144 in Vietnamese
    assert f"Số hộ: {households}" in text
    vi_rate = f"{rate:.1f}".replace(".", ",")  # 5,6 % (a no-break space before %)
    assert f"Hộ nghèo: {want['poor']} ({vi_rate}\u00a0%)" in text.replace(" %", "\u00a0%")
    assert f"Hộ cận nghèo: {want['near_poor']}" in text
    page.screenshot(path=str(SHOTS / "province-tooltip.png"))

    with page.expect_download() as download_info:
        page.click("#dl-all-xlsx")
    saved = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(saved)
    assert saved.suffix == ".xlsx"
    sheet = load_workbook(io.BytesIO(saved.read_bytes()))["Ket qua"]
    assert sheet["D6"].value == want["total_households"]  # province row: all households
    row = next(r for r in range(7, 80) if sheet.cell(r, 2).value == known)
    assert sheet.cell(row, 4).value == want["households"]
    assert sheet.cell(row, 5).value == want["poor"]
    page.locator("#commune-table").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "province-table.png"))
    context.close()
