"""Official tables: the exports say what the households say (recomputed here straight from the
database, independently of the aggregates code), movement identity, overrides beside computed
classes, XLSX layout, CSV, and the `povcensus report` command.

One small demo database (5 households per commune, two rounds) is built for the module.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections import Counter, defaultdict

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from server.db import connect

HOUSEHOLDS = 345  # 5 per commune


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    from server.demo import build_demo

    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    build_demo(path, households=HOUSEHOLDS, seed=11)
    return path


@pytest.fixture(scope="module")
def app(demo_db):
    from server import create_app

    return create_app(
        {"DATABASE": str(demo_db), "SECRET_KEY": "t", "WTF_CSRF_ENABLED": False},
        instance_path=str(demo_db.parent),
    )


@pytest.fixture(scope="module")
def province_client(app):
    client = app.test_client()
    assert (
        client.post("/login", data={"username": "tinh", "password": "demo-tinh"}).status_code == 302
    )
    return client


def _final_classes(db, label: str) -> dict[str, tuple[str, str, str]]:
    """household → (commune, computed class, final class), straight from the tables."""
    rows = db.execute(
        "SELECT h.household_id, h.commune_code, h.classification, d.decision, d.override_class,"
        " d.version, h.version FROM households h JOIN review_rounds r ON r.id = h.round_id"
        " LEFT JOIN review_decisions d ON d.round_id = h.round_id"
        " AND d.household_id = h.household_id WHERE r.label = ?",
        [label],
    ).fetchall()
    out = {}
    for hid, commune, computed, decision, override, d_version, version in rows:
        final = override if decision == "overridden" and d_version == version else computed
        out[hid] = (commune, computed, final)
    return out


def _csv(client, url: str) -> list[dict[str, str]]:
    response = client.get(url)
    assert response.status_code == 200, response.data[:500]
    text = response.data.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("label", ["2025-annual", "2026-annual"])
def test_results_table_matches_households(province_client, demo_db, label):
    db = connect(demo_db)
    classes = _final_classes(db, label)
    final = Counter((c, f) for c, _computed, f in classes.values())
    computed = Counter((c, k) for c, k, _f in classes.values())
    households = Counter(c for c, _k, _f in classes.values())
    overrides = Counter(c for c, k, f in classes.values() if k != f)
    rows = _csv(province_client, f"/province/tables/results.csv?round={label}")
    total, communes = rows[0], rows[1:]
    assert total["Tên xã, phường"] == "Toàn tỉnh Hà Tĩnh"
    assert len(communes) == 69
    for row in communes:
        code = row["Mã xã"]
        assert int(row["Tổng số hộ dân cư"]) == households[code]
        assert int(row["Hộ nghèo – Số hộ"]) == final[(code, "poor")]
        assert int(row["Hộ nghèo – Theo chấm điểm"]) == computed[(code, "poor")]
        assert int(row["Hộ cận nghèo – Số hộ"]) == final[(code, "near_poor")]
        assert int(row["Hộ cận nghèo – Theo chấm điểm"]) == computed[(code, "near_poor")]
        assert int(row["Số hộ xã điều chỉnh loại"]) == overrides[code]
        if households[code] == 0:
            assert row["Hộ nghèo – Tỷ lệ (%)"] == ""  # no households: no rate, not 0 %
            continue
        expected_rate = 100 * final[(code, "poor")] / households[code]
        shown = row["Hộ nghèo – Tỷ lệ (%)"]  # Vietnamese decimal comma: 5,61
        assert "." not in shown and shown.count(",") == 1
        assert float(shown.replace(",", ".")) == pytest.approx(expected_rate, abs=0.005)
    assert int(total["Hộ nghèo – Số hộ"]) == sum(v for (c, k), v in final.items() if k == "poor")
    assert int(total["Tổng số hộ dân cư"]) == len(classes)
    assert sum(overrides.values()) > 0, "the demo makes overrides; the table must show them"


def test_movement_matches_recognised_start_and_identity_holds(province_client, demo_db):
    db = connect(demo_db)
    start = defaultdict(Counter)
    previous = {}
    for hid, commune, klass in db.execute(
        "SELECT rr.household_id, rr.commune_code, rr.final_class FROM review_recognised rr"
        " JOIN review_rounds r ON r.id = rr.round_id WHERE r.label = '2025-annual'"
    ):
        previous[hid] = klass
        start[commune][klass] += 1
    now = _final_classes(db, "2026-annual")
    rows = _csv(province_client, "/province/tables/movement.csv?round=2026-annual")
    assert len(rows) == 70
    for row in rows[1:]:
        code = row["Mã xã"]
        mine = {h: f for h, (c, _k, f) in now.items() if c == code}
        for klass, word in (("poor", "Hộ nghèo"), ("near_poor", "Hộ cận nghèo")):
            exited = sum(
                1
                for h, k in previous.items()
                if k == klass and mine.get(h, klass) != klass and h in mine
            )
            entered = sum(1 for h, f in mine.items() if f == klass and previous.get(h) != klass)
            end = sum(1 for f in mine.values() if f == klass)
            assert int(row[f"{word} – Đầu kỳ"]) == start[code][klass]
            assert int(row[f"{word} – Thoát"]) == exited
            assert int(row[f"{word} – Tái"]) + int(row[f"{word} – Phát sinh mới"]) == entered
            assert int(row[f"{word} – Cuối kỳ"]) == end
            assert end == start[code][klass] - exited + entered  # the identity, recomputed
            assert row[f"{word} – Cân đối"] == "Đúng"
    total = rows[0]
    for word in ("Hộ nghèo", "Hộ cận nghèo"):
        parts = {
            k: int(total[f"{word} – {k}"])
            for k in ("Đầu kỳ", "Thoát", "Tái", "Phát sinh mới", "Cuối kỳ")
        }
        assert (
            parts["Cuối kỳ"]
            == parts["Đầu kỳ"] - parts["Thoát"] + parts["Tái"] + parts["Phát sinh mới"]
        )
        assert parts["Đầu kỳ"] > 0 and parts["Thoát"] > 0


def test_identity_check_flags_a_row_that_does_not_add_up():
    from server.reports import identity_holds

    row = {"mv_poor_start": 10, "mv_poor_exited": 3, "mv_poor_fell_back": 1, "mv_poor_new": 2}
    assert identity_holds({**row, "mv_poor_end": 10}, "poor")
    assert not identity_holds({**row, "mv_poor_end": 11}, "poor")


def test_deprivation_and_ethnicity_tables_match_households(province_client, demo_db):
    db = connect(demo_db)
    classes = _final_classes(db, "2026-annual")
    deprived, heads = Counter(), Counter()
    for hid, result, record in db.execute(
        "SELECT h.household_id, s.deprivations, unpacked(h.record) FROM households h"
        " JOIN review_rounds r ON r.id = h.round_id JOIN scores s ON s.round_id = h.round_id"
        " AND s.household_id = h.household_id AND s.household_version = h.version"
        " AND s.official = 1 WHERE r.label = '2026-annual'"
    ):
        commune, _computed, final = classes[hid]
        for indicator in json.loads(result or "[]"):
            deprived[(commune, indicator, final)] += 1
        head = next(m for m in json.loads(record)["members"] if m["relation"] == "head")
        heads[(commune, head["ethnicity"], final)] += 1
    from server import scoring_adapter

    labels = {i.id: i.label_vi for i in scoring_adapter.standard("vn-2027").indicators}
    rows = _csv(province_client, "/province/tables/deprivation.csv?round=2026-annual")
    checked = 0
    overrides = Counter(c for c, k, f in classes.values() if k != f)
    for row in rows[1:]:
        code = row["Mã xã"]
        assert int(row["Số hộ xã điều chỉnh loại"]) == overrides[code]
        computed = sum(1 for c, k, _f in classes.values() if c == code and k == "poor")
        assert int(row["Hộ nghèo theo chấm điểm"]) == computed
        for ind, label in labels.items():
            for klass, word in (("poor", "nghèo"), ("near_poor", "cận nghèo")):
                assert int(row[f"{label} — hộ {word} – Số hộ"]) == deprived[(code, ind, klass)]
                checked += deprived[(code, ind, klass)]
    assert checked > 0
    rows = _csv(province_client, "/province/tables/ethnicity.csv?round=2026-annual")
    total = rows[0]
    assert int(total["Hộ nghèo – Kinh"]) == sum(
        v for (c, e, k), v in heads.items() if e == "kinh" and k == "poor"
    )
    minority = sum(v for (c, e, k), v in heads.items() if e != "kinh" and k == "near_poor")
    assert int(total["Hộ cận nghèo – Dân tộc thiểu số"]) == minority


def test_xlsx_is_laid_out_like_the_forms_and_equals_the_csv(province_client):
    response = province_client.get("/province/tables/all.xlsx?round=2026-annual")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Ket qua", "Bien dong", "Thieu hut", "Dan toc"]
    sheet = book["Ket qua"]
    assert sheet["A1"].value == "KẾT QUẢ RÀ SOÁT HỘ NGHÈO, HỘ CẬN NGHÈO"
    subtitle = sheet["A2"].value  # labels, not codes: round, standard, provisional
    assert "Đợt rà soát định kỳ năm 2026" in subtitle and "2026-annual" not in subtitle
    assert "2027–2030" in subtitle and "TẠM THỜI" in subtitle and "vn-2027" not in subtitle
    assert sheet.freeze_panes == "D6"
    assert sheet["E4"].value == "Hộ nghèo" and sheet["E5"].value == "Số hộ"
    assert sheet.column_dimensions["C"].width >= 20
    assert sheet["C6"].value == "Toàn tỉnh Hà Tĩnh" and sheet["C6"].font.bold
    csv_rows = _csv(province_client, "/province/tables/results.csv?round=2026-annual")
    for offset, row in enumerate(csv_rows):
        assert str(sheet.cell(6 + offset, 2).value or "") == row["Mã xã"]
        assert sheet.cell(6 + offset, 5).value == int(row["Hộ nghèo – Số hộ"])
    archive = zipfile.ZipFile(
        io.BytesIO(province_client.get("/province/tables/all.csv?round=2026-annual").data)
    )
    assert sorted(archive.namelist()) == [
        "deprivation.csv",
        "ethnicity.csv",
        "movement.csv",
        "results.csv",
    ]


def test_report_command_writes_the_same_tables(demo_db, province_client, tmp_path):
    from povcensus.cli import main

    out = tmp_path / "results.csv"
    result = CliRunner().invoke(
        main,
        [
            "report",
            "--round",
            "2026-annual",
            "--table",
            "results",
            "--format",
            "csv",
            "-o",
            str(out),
            "--db",
            str(demo_db),
        ],
    )
    assert result.exit_code == 0, result.output
    web = province_client.get("/province/tables/results.csv?round=2026-annual").data
    assert out.read_bytes() == web
    result = CliRunner().invoke(
        main,
        ["report", "--round", "1999-annual", "-o", str(tmp_path / "x.xlsx"), "--db", str(demo_db)],
    )
    assert result.exit_code != 0 and "1999-annual" in result.output


def test_text_cells_cannot_become_spreadsheet_formulas():
    from server.reports import _cell

    assert _cell('=HYPERLINK("http://x")', "text") == '\'=HYPERLINK("http://x")'
    assert _cell("Xã Kỳ Anh", "text") == "Xã Kỳ Anh"


def test_aggregates_computed_in_groups_of_communes_equal_those_computed_at_once(
    demo_db, monkeypatch
):
    """Issue 16: a round of millions is aggregated a group of communes at a time (bounded
    memory); the figures must be the very ones of one pass over the whole round."""
    from server.queries import province
    from server.queries.rounds import open_round_for

    db = connect(demo_db)
    review_round = open_round_for(db, "42")
    whole = province.compute_aggregates(db, review_round).set_index("commune_code").sort_index()
    monkeypatch.setattr(province, "AGGREGATE_GROUP", 12)  # 5 households per commune: 2 each
    grouped = province.compute_aggregates(db, review_round).set_index("commune_code").sort_index()
    assert len(whole) > 60  # every commune with households
    import pandas as pd

    pd.testing.assert_frame_equal(grouped[whole.columns], whole, check_dtype=False)


def test_each_household_versions_mpi_score_is_computed_once_and_kept(demo_db):
    """Issue 16: the commune figures read no record once a household version's MPI score is
    known; the kept score is the one `scoring.mpi.household_mpi` gives for its record."""
    import pandas as pd

    from scoring.mpi import household_mpi
    from server.household_rows import record_of
    from server.queries import province
    from server.queries.rounds import open_round_for

    db = connect(demo_db)
    review_round = open_round_for(db, "42")
    db.execute("DELETE FROM household_mpi")
    first = province.compute_aggregates(db, review_round)
    kept = dict(
        ((h, v), c)
        for h, v, c in db.execute("SELECT household_id, version, c_i FROM household_mpi")
    )
    current = db.execute(
        "SELECT household_id, version, record FROM households WHERE round_id = ?",
        [review_round["id"]],
    ).fetchall()
    assert {(h, v) for h, v, _ in current} <= set(kept)
    for household_id, version, stored in current[:40]:
        assert kept[(household_id, version)] == pytest.approx(
            household_mpi(record_of(stored))["c_i"]
        )
    again = province.compute_aggregates(db, review_round)
    pd.testing.assert_frame_equal(again, first)
    assert "mpi_M0" in first.columns and first["mpi_M0"].notna().all()


def test_the_province_movement_is_the_commune_pages_movement(demo_db):
    """Legal lists come from one rule: the province figures count the movement over distinct
    situations (`movement_counts`, issue 16), the commune's pages over its households
    (`categorise`); both give the same numbers and the same missing households."""
    from server.queries.province import household_frame
    from server.queries.review_movement import categorise, movement_counts
    from server.queries.rounds import get_round

    db = connect(demo_db)
    review_round = get_round(db, "2026-annual")
    frame = household_frame(db, review_round["id"])
    compared = movements = 0
    for code, rows in frame.groupby("commune_code"):
        columns = (rows["household_id"], rows["status"], rows["classification"])
        households = list(zip(*columns, strict=True))
        counted = movement_counts(db, review_round, code, households)
        listed = categorise(db, review_round, code)
        assert counted["movement"] == listed["movement"], code
        assert counted["missing"] == listed["missing"], code
        compared += 1
        moved = listed["movement"]["poor"]
        movements += moved["start"] + moved["new"] + moved["exited"]
    assert compared > 3
    assert movements > 0  # real movements compared, not zeros against zeros
