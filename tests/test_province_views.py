"""Province dashboard: who may see it, escaping of stored text, the map, comparison, sorting,
and aggregates computed once per change of the round (not on every page view)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from conftest import ingest_accepted

from server.queries.users import get_user

PAGES = (
    "/province/",
    "/province/map.html",
    "/province/map.png",
    "/province/tables/results.xlsx",
    "/province/tables/all.csv",
)


def _submit(db, user, record: dict) -> str:
    return ingest_accepted(db, user, record).classification


@pytest.fixture
def populated(db, make_user, open_round, household):
    """An open round with households in two communes, submitted through the real ingest."""
    open_round()
    submitter = get_user(db, make_user("sub", role="province", communes=()).id)
    poor = {"sources_12m": {"wages": 1_000_000, "agriculture": 0}}
    classes = [
        _submit(db, submitter, household("18496")),
        _submit(db, submitter, household("18496", income=poor)),
        _submit(db, submitter, household("18502")),
    ]
    make_user("tinh", role="province", communes=(), password="pw")
    make_user("boss", role="admin", communes=(), password="pw")
    make_user("xa", role="commune", communes=("18496",), password="pw")
    make_user("rsv", role="enumerator", communes=("18496",), password="pw")
    return classes


def _login(client, username: str) -> None:
    response = client.post("/login", data={"username": username, "password": "pw"})
    assert response.status_code == 302


def test_anonymous_users_are_sent_to_login(client, populated):
    for page in PAGES:
        response = client.get(page)
        assert response.status_code == 302 and "/login" in response.headers["Location"], page


@pytest.mark.parametrize("username", ["xa", "rsv"])
def test_commune_and_enumerator_users_get_nothing(client, populated, username):
    _login(client, username)
    for page in PAGES:
        response = client.get(page)
        assert response.status_code == 403, page
        assert b"18496" not in response.data


@pytest.mark.parametrize("username", ["tinh", "boss"])
def test_province_and_admin_see_every_commune(client, populated, username):
    _login(client, username)
    page = client.get("/province/").data.decode()
    rows = re.findall(r'<tr data-code="(\d{5})"', page)
    assert len(rows) == 69 and "18496" in rows and "18502" in rows
    assert client.get("/province/map.png").mimetype == "image/png"


def test_table_shows_the_figures_and_sorts(client, populated):
    _login(client, "tinh")
    expected_poor = sum(1 for c in populated[:2] if c == "poor")
    page = client.get("/province/?sort=households&dir=desc").data.decode()
    first = re.search(r'<tr data-code="(\d{5})">(.*?)</tr>', page, re.S)
    assert first.group(1) == "18496"  # 2 households: the largest
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", first.group(2))
    assert cells[2] == "2" and cells[3] == str(expected_poor)
    ascending = re.findall(
        r'<tr data-code="(\d{5})"', client.get("/province/?sort=commune_code").data.decode()
    )
    assert ascending == sorted(ascending)


def test_stored_text_is_escaped_in_page_and_tables(client, db, populated):
    evil = '<script>alert("x")</script>'
    db.execute("UPDATE communes SET name = ? WHERE code = '18496'", ["=cmd|" + evil])
    _login(client, "tinh")
    text = client.get("/province/").data.decode()
    assert evil not in text and "&lt;script&gt;alert(" in text
    csv_text = client.get("/province/tables/results.csv").data.decode("utf-8-sig")
    assert "'=cmd|" in csv_text


def test_unknown_round_or_table_is_404(client, populated):
    _login(client, "tinh")
    assert client.get("/province/?round=1999-annual").status_code == 404
    assert client.get("/province/tables/nothing.xlsx").status_code == 404
    assert client.get("/province/tables/results.pdf").status_code == 404


def test_aggregates_are_computed_once_per_change(client, db, populated, household, monkeypatch):
    from server.queries import province

    calls = []
    real = province.compute_aggregates
    monkeypatch.setattr(province, "compute_aggregates", lambda *a: calls.append(a[2]) or real(*a))
    _login(client, "tinh")
    for _ in range(3):
        assert client.get("/province/").status_code == 200
    client.get("/province/tables/results.csv")
    assert len(calls) == 1  # three page views and an export: computed once
    submitter = get_user(
        db, db.execute("SELECT id FROM users WHERE username = 'sub'").fetchone()[0]
    )
    _submit(db, submitter, household("18502"))
    page = client.get("/province/?sort=commune_code").data.decode()
    assert calls[1:] == [["18502"]]  # a new household there: only that commune recomputed
    row = re.search(r'<tr data-code="18502">(.*?)</tr>', page, re.S).group(1)
    assert re.findall(r"<td[^>]*>([^<]*)</td>", row)[2] == "2"
    from server.queries.review import record_decision

    hid, version = db.execute(
        "SELECT household_id, version FROM households WHERE commune_code = '18496' LIMIT 1"
    ).fetchone()
    record_decision(
        db, round_id=1, household_id=hid, user_id=1, decision="confirmed", version=version
    )
    page = client.get("/province/").data.decode()
    assert calls[2:] == [["18496"]]  # a decision there: only that commune recomputed
    row = re.search(r'<tr data-code="18496">(.*?)</tr>', page, re.S).group(1)
    assert re.findall(r"<td[^>]*>([^<]*)</td>", row)[11] == "1"  # households decided


def test_override_is_shown_beside_the_computed_class(client, db, populated):
    from server.queries.review import record_decision

    hid, version, computed = db.execute(
        "SELECT household_id, version, classification FROM households WHERE commune_code = '18502'"
    ).fetchone()
    target = "poor" if computed != "poor" else "near_poor"
    record_decision(
        db,
        round_id=1,
        household_id=hid,
        user_id=1,
        decision="overridden",
        version=version,
        reason="xác minh tại họp dân",
        override_class=target,
    )
    _login(client, "tinh")
    text = client.get("/province/tables/results.csv").data.decode("utf-8-sig")
    row = next(r for r in csv.DictReader(io.StringIO(text)) if r["Mã xã"] == "18502")
    assert row["Số hộ xã điều chỉnh loại"] == "1"
    poor_final, poor_computed = int(row["Hộ nghèo – Số hộ"]), int(row["Hộ nghèo – Theo chấm điểm"])
    assert poor_final - poor_computed == (1 if target == "poor" else -1)
    page = client.get("/province/").data.decode()
    cells = re.findall(
        r"<td[^>]*>([^<]*)</td>",
        re.search(r'<tr data-code="18502">(.*?)</tr>', page, re.S).group(1),
    )
    assert (cells[3], cells[4], cells[10]) == (str(poor_final), str(poor_computed), "1")


def test_comparison_adds_change_columns_and_map_layers(client, db, populated, household):
    from server.queries.rounds import close_round, open_round

    close_round(db, "2026-annual")
    open_round(db, year=2027, standard="vn-2022", province="42")
    submitter = get_user(
        db, db.execute("SELECT id FROM users WHERE username = 'sub'").fetchone()[0]
    )
    poor = {"sources_12m": {"wages": 1_000_000, "agriculture": 0}}
    assert _submit(db, submitter, household("18496", income=poor)) == "poor"
    _login(client, "tinh")
    page = client.get("/province/?round=2027-annual&compare=2026-annual").data.decode()
    assert "Thay đổi, nghèo" in page
    before = 100 * sum(1 for c in populated[:2] if c == "poor") / 2
    row = re.search(r'<tr data-code="18496">(.*?)</tr>', page, re.S).group(1)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", row)
    vi = lambda text: text.replace(".", ",")  # noqa: E731  (Vietnamese decimal comma)
    change = vi(f"{100 - before:+.2f}") if before != 100 else "0,00"  # no sign on no change
    assert cells[13] == vi(f"{before:.2f}") and cells[14] == change
    html_map = client.get("/province/map.html?round=2027-annual&compare=2026-annual").data.decode()
    assert "povcensusLayer" in html_map and "change" in html_map.lower()


def test_no_round_yet_says_how_to_open_one(client, make_user):
    make_user("tinh", role="province", communes=(), password="pw")
    _login(client, "tinh")
    page = client.get("/province/").data.decode()
    assert "Chưa có đợt rà soát nào" in page and "povcensus rounds open" in page
    assert client.get("/province/map.html").status_code == 404
    assert client.get("/province/tables/results.xlsx").status_code == 404


def test_pages_follow_the_language_asked_for(client, populated):
    _login(client, "tinh")
    vietnamese = client.get("/province/").data.decode()
    english = client.get("/province/?lang=en").data.decode()
    assert "Bảng điều khiển của tỉnh" in vietnamese and "Tỷ lệ nghèo (%)" in vietnamese
    assert "Province dashboard" in english and "Poor rate (%)" in english
    assert "lang=en" in re.search(r'<iframe[^>]*src="([^"]+)"', english).group(1)


def test_comparing_with_a_round_without_households_shows_no_change(client, db, populated):
    from server.queries.rounds import close_round, open_round

    close_round(db, "2026-annual")
    open_round(db, year=2027, standard="vn-2022", province="42")
    _login(client, "tinh")
    for query in ("round=2027-annual&compare=2026-annual", "round=2026-annual&compare=2027-annual"):
        page = client.get(f"/province/?{query}&sort=change_poor_rate").data.decode()
        row = re.search(r'<tr data-code="18496">(.*?)</tr>', page, re.S).group(1)
        assert re.findall(r"<td[^>]*>([^<]*)</td>", row)[14] == "—", query
