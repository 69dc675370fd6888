"""The paper Phiếu B: a blank workbook generated from the questionnaire, filled in Vietnamese by
a clerk (here: openpyxl), imported with `sync add` and pushed to the real server; a wrong answer
is reported by sheet, row and Vietnamese column heading; a printable blank form."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from click.testing import CliRunner
from conftest import example_household, new_household_id
from openpyxl import load_workbook

from offline_sync.cli import sync as sync_cli
from povcensus.cli import main
from survey_forms.questionnaire import QUESTIONNAIRE

BY_LABEL = {q.label_vi: (path, q) for path, q in QUESTIONNAIRE.iter_questions()}


def _value(record: dict, path: str, member: int | None):
    node = record["members"][member] if member is not None else record
    for part in path.removeprefix("members[].").split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _label(question, value):
    """What a clerk writes: the Vietnamese answer, never the code."""
    if value is None:
        return None
    if question.type == "boolean":
        return "Có" if value else "Không"
    if question.choices:
        names = {c.value: c.label_vi for c in QUESTIONNAIRE.choices(question.choices)}
        if question.type == "select_multiple":
            return "; ".join(names[v] for v in value)
        return names[value]
    if question.type == "date":
        return dt.date.fromisoformat(value)
    return value


def _fill_row(sheet, row: int, record: dict, member: int | None = None) -> None:
    for cell in sheet[1]:
        path, question = BY_LABEL[cell.value]
        if member is not None and not path.startswith("members[]"):
            value = record["household_id"]  # the member sheet's first column links the household
        else:
            value = _label(question, _value(record, path, member))
        sheet.cell(row, cell.column, value)


@pytest.fixture
def blank(tmp_path):
    path = tmp_path / "phieu_b.xlsx"
    result = CliRunner().invoke(
        main, ["forms", "template", "--format", "xlsx", "--commune", "18496",
               "--village", "Thôn 10", "--village", "Thôn 2", "-o", str(path)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return path


def test_blank_workbook_is_vietnamese_with_drop_downs_from_the_questionnaire(blank):
    book = load_workbook(blank)
    assert book.sheetnames[:3] == ["Hướng dẫn", "Hộ", "Thành viên"]
    households, members = book["Hộ"], book["Thành viên"]
    headings = [c.value for c in households[1]]
    assert "Vật liệu chính của tường" in headings and "Mã hộ" == headings[0]
    assert not any("_" in h for h in headings)  # no code is a heading
    # every question of the questionnaire (but GPS) is a column, in order — nothing hard-coded
    asked = [(p, q.label_vi) for p, q in QUESTIONNAIRE.iter_questions() if q.type != "geopoint"]
    assert headings == [label for p, label in asked if not p.startswith("members[]")]
    assert [c.value for c in members[1]][1:] == [t for p, t in asked if p.startswith("members")]
    assert households.freeze_panes == "B2" and members.freeze_panes == "B2"
    lists = book["Danh mục"]
    assert lists.sheet_state == "hidden"
    checks = {str(v.sqref).split(":")[0]: v for v in households.data_validations.dataValidation}
    wall = checks[
        f"{households.cell(1, headings.index('Vật liệu chính của tường') + 1).column_letter}2"
    ]
    column = wall.formula1.split("!")[1].split(":")[0].replace("$", "")[0]
    offered = [c.value for c in lists[column][1:] if c.value]
    assert offered[:2] == ["Bê tông, gạch", "Đá"]
    village = checks[f"{households.cell(1, headings.index('Thôn, tổ dân phố') + 1).column_letter}2"]
    village_column = village.formula1.split("!")[1].split(":")[0].replace("$", "")[0]
    assert [c.value for c in lists[village_column][1:] if c.value] == ["Thôn 2", "Thôn 10"]
    commune = checks[f"{households.cell(1, 3).column_letter}2"]
    commune_column = commune.formula1.split("!")[1].split(":")[0].replace("$", "")[0]
    assert [c.value for c in lists[commune_column][1:] if c.value] == ["Xã Hương Khê"]


def test_filled_in_vietnamese_imports_and_reaches_the_server(blank, tmp_path, live_server):
    good = example_household(household_id=new_household_id("18496"))
    bad = example_household(household_id=new_household_id("18496"))
    book = load_workbook(blank)
    _fill_row(book["Hộ"], 2, good)
    _fill_row(book["Hộ"], 3, bad)
    heading = [c.value for c in book["Hộ"][1]].index("Vật liệu chính của tường") + 1
    book["Hộ"].cell(3, heading, "Gạch đá")  # not an answer on the form
    row = 2
    for record in (good, bad):
        for index in range(len(record["members"])):
            _fill_row(book["Thành viên"], row, record, index)
            row += 1
    book.save(blank)

    store = tmp_path / "store.sqlite3"
    runner = CliRunner()
    _, token = live_server.enumerator()
    login = ["--store", str(store), "login", "--server", live_server.url, "--token", token]
    assert runner.invoke(sync_cli, login).exit_code == 0
    added = runner.invoke(sync_cli, ["--store", str(store), "add", str(blank)])
    assert added.exit_code == 1, added.output  # one household was wrong: reported, not queued
    assert (
        "phieu_b.xlsx [Hộ], dòng 3, cột “Vật liệu chính của tường”: “Gạch đá” không có trong"
        " danh sách; chọn một trong: Bê tông, gạch, Đá" in added.output
    )
    assert "wall_material" not in added.output and "concrete_brick" not in added.output
    assert "queued 1" in added.output
    pushed = runner.invoke(sync_cli, ["--store", str(store), "push"])
    assert pushed.exit_code == 0, pushed.output
    with sqlite3.connect(f"file:{live_server.database}?mode=ro", uri=True) as conn:
        from server.db import _unpacked_or_null

        conn.create_function("unpacked", 1, _unpacked_or_null)
        stored = conn.execute(
            "SELECT json_extract(unpacked(record), '$.dwelling.wall_material'),"
            " json_extract(unpacked(record), '$.members[0].relation') FROM households WHERE household_id = ?",
            [good["household_id"]],
        ).fetchall()
        missing = conn.execute(
            "SELECT count(*) FROM households WHERE household_id = ?", [bad["household_id"]]
        ).fetchone()[0]
    assert stored == [(good["dwelling"]["wall_material"], good["members"][0]["relation"])]
    assert missing == 0


def test_a_member_answer_error_names_the_member_sheet(blank, tmp_path):
    record = example_household(household_id=new_household_id("18496"))
    book = load_workbook(blank)
    _fill_row(book["Hộ"], 2, record)
    for index in range(len(record["members"])):
        _fill_row(book["Thành viên"], 2 + index, record, index)
    sex = [c.value for c in book["Thành viên"][1]].index("Giới tính") + 1
    book["Thành viên"].cell(3, sex, "Nữ giới")
    book.save(blank)
    added = CliRunner().invoke(
        sync_cli, ["--store", str(tmp_path / "s.sqlite3"), "add", str(blank)]
    )
    assert added.exit_code == 1
    assert "phieu_b.xlsx [Thành viên], dòng 3, cột “Giới tính”: “Nữ giới”" in added.output


def test_printable_blank_form_follows_the_questionnaire(tmp_path):
    out = tmp_path / "phieu_b.html"
    result = CliRunner().invoke(main, ["forms", "template", "--format", "html", "-o", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text("utf-8")
    for section in QUESTIONNAIRE.sections:
        assert f"<h2>{section.label_vi}</h2>" in page
    assert "☐ Bê tông, gạch" in page and "concrete_brick" not in page
    assert "<script" not in page


def test_the_commune_office_downloads_its_blank_form_with_its_villages(app, db, make_user,
                                                                      open_round, household):  # fmt: skip
    import hashlib
    import io
    import json
    import uuid

    from server.ingest import Submission, ingest
    from server.queries.users import get_user

    open_round()
    submitter = get_user(db, make_user("sub", role="province", communes=()).id)
    for village in ("Thôn 10", "Thôn 2"):
        record = household(village=village)
        payload = json.dumps(record)
        ingest(db, Submission(f"uuid:{uuid.uuid4()}", record["form_id"], record["form_version"],
                              record, payload, hashlib.sha256(payload.encode()).hexdigest(),
                              "json", submitter), province="42")  # fmt: skip
    make_user("xa", role="commune", communes=("18496",), password="pw")
    client = app.test_client()
    client.post("/login", data={"username": "xa", "password": "pw"})
    queue = client.get("/review/c/18496/").data.decode()
    assert "/review/c/18496/phieu-b.xlsx" in queue and "Phiếu B trống" in queue
    response = client.get("/review/c/18496/phieu-b.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    lists = [[c.value for c in column if c.value] for column in book["Danh mục"].columns]
    assert ["Thôn, tổ dân phố", "Thôn 2", "Thôn 10"] in lists
    assert ["Xã, phường, đặc khu", "Xã Hương Khê"] in lists
    printed = client.get("/review/c/18496/phieu-b").data.decode()
    assert "Xã Hương Khê" in printed and "☐ Thôn 2" in printed
    assert client.get("/review/c/18502/phieu-b.xlsx").status_code == 403  # not their commune


def test_the_command_and_its_options_are_documented():
    from pathlib import Path

    from povcensus.forms_cli import template

    text = (Path(__file__).resolve().parents[1] / "docs" / "paper-forms.md").read_text("utf-8")
    for name, command in {"template": template}.items():
        assert f"povcensus forms {name}" in text
        for param in command.params:
            assert any(f"`{opt}`" in text for opt in param.opts), param.opts


def test_commune_names_are_read_within_the_sheets_province():
    """Commune names repeat across provinces: the sheet's province decides which is meant."""
    import pandas as pd

    from povcensus.paper import paper_tables
    from survey_forms.questionnaire import QUESTIONNAIRE

    communes = QUESTIONNAIRE.choices("communes")
    names = {}
    for choice in communes:
        names.setdefault(choice.label_vi, []).append(choice)
    name, choices = next((n, c) for n, c in names.items() if len(c) > 1)
    wanted = choices[0]
    province = next(p for p in QUESTIONNAIRE.choices("provinces") if p.value == wanted.province)
    households = pd.DataFrame(
        {"Mã hộ": ["h-1"], "Tỉnh, thành phố": [province.label_vi], "Xã, phường, đặc khu": [name]}
    )
    tables = paper_tables(households, pd.DataFrame({"Mã hộ": []}))
    assert tables.households.loc[0, "commune_code"] == wanted.value
    assert tables.households.loc[0, "province_code"] == wanted.province
    assert tables.problems == []
