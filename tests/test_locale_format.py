"""Vietnamese first: numbers, percentages, money, dates and local times in vi and en — in the
pure formatting layer, on the pages, in the exports and on the command line — and the labels
that replace codes (rounds, statuses, roles, audit details, villages)."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from click.testing import CliRunner
from conftest import ingest_accepted

from povcensus import fmt
from server import labels
from server.queries.users import get_user

NBSP = "\u00a0"


# --- the pure layer -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "thousands", "rate", "money"),
    [
        ("vi", "20.400", f"5,61{NBSP}%", f"1.500.000{NBSP}₫"),
        ("en", "20,400", f"5.61{NBSP}%", "₫1,500,000"),
    ],
)
def test_numbers_follow_the_locale(locale, thousands, rate, money):
    assert fmt.number(20400, locale) == thousands
    assert fmt.percent(5.6123, locale) == rate
    assert fmt.percent(0.056123, locale, ratio=True) == rate
    assert fmt.money(1_500_000, locale) == money
    assert fmt.number(None, locale) == "—" and fmt.percent(float("nan"), locale) == "—"


def test_times_are_shown_in_the_province_zone_and_dates_whole():
    stored = "2026-11-29T05:12:34Z"  # what the server stores (UTC)
    assert fmt.datetime(stored, "vi") == "12:12 29/11/2026"  # Asia/Ho_Chi_Minh is UTC+7
    assert fmt.datetime(stored, "en") == "29 Nov 2026, 12:12"
    assert fmt.datetime("2026-11-29 20:00:00", "vi") == "03:00 30/11/2026"  # sqlite style, next day
    assert fmt.date("2026-09-02", "vi") == "02/09/2026"
    assert fmt.date("2026-09-02", "en") == "2 Sep 2026"
    assert fmt.datetime("not a time", "vi") == "not a time"  # shown, never hidden


def test_counts_have_units_and_english_plurals():
    assert fmt.count(10000, "vi", unit_vi="hộ", unit_en="household") == "10.000 hộ"
    assert fmt.count(10000, "en", unit_vi="hộ", unit_en="household") == "10,000 households"
    assert fmt.count(1, "en", unit_vi="hộ", unit_en="household") == "1 household"


def test_rounds_statuses_roles_and_standards_have_names():
    assert labels.round_name("2026-annual") == "Đợt rà soát định kỳ năm 2026"
    assert labels.round_name({"year": 2027, "kind": "rolling"}, "en") == "Rolling review 2027"
    assert labels.round_status("open") == "đang mở" and labels.role_name("commune") == "cán bộ xã"
    assert labels.standard_name("vn-2022").startswith("Chuẩn nghèo đa chiều giai đoạn 2022–2025")
    assert labels.standard_name("no-such-standard") == "no-such-standard"


def test_villages_sort_naturally_and_take_the_commune_word():
    names = ["Thôn 10", "Thôn 2", "Thôn 1", "Thôn 19", "Tổ dân phố 3"]
    assert labels.natural_sorted(names) == [
        "Thôn 1",
        "Thôn 2",
        "Thôn 10",
        "Thôn 19",
        "Tổ dân phố 3",
    ]
    assert labels.village_name("Thôn 27", "xa") == "Thôn 27"  # never "Thôn Thôn 27"
    assert labels.village_name("Tổ dân phố 1", "xa") == "Tổ dân phố 1"
    assert labels.village_name("5", "phuong") == "Tổ dân phố 5"
    assert labels.village_word("phuong") == "Tổ dân phố" and labels.village_word("xa") == "Thôn"


def test_audit_details_are_sentences_not_json():
    data = json.dumps({"version": 3, "computed_class": "poor", "override_class": "near_poor",
                       "complaint_id": 7, "recheck_on": "2026-12-01", "passed": True})  # fmt: skip
    text = labels.audit_details(data, "vi")
    assert text == (
        "Phiên bản: 3 · Loại theo chấm điểm: Hộ nghèo · Loại điều chỉnh: Hộ cận nghèo"
        " · Ngày phúc tra: 01/12/2026 · Thông qua: có"
    )
    assert "{" not in text and "complaint_id" not in text
    assert "Computed class: Poor" in labels.audit_details(data, "en")


# --- pages --------------------------------------------------------------------------------


def _submit(db, user, record: dict) -> None:
    ingest_accepted(db, user, record)


@pytest.fixture
def three_households(db, make_user, open_round, household):
    """An open round with three households in commune 18496 (all poor under the test standard)."""
    open_round()
    submitter = get_user(db, make_user("sub", role="province", communes=()).id)
    for record in (household(), household(), household()):
        _submit(db, submitter, record)
    make_user("tinh", role="province", communes=(), password="pw")
    make_user("xa", role="commune", communes=("18496",), password="pw")


def _login(client, username: str) -> None:
    assert client.post("/login", data={"username": username, "password": "pw"}).status_code == 302


def test_dashboard_numbers_and_labels_in_vietnamese_and_english(client, three_households):
    _login(client, "tinh")
    vi_page = client.get("/province/").data.decode()
    assert re.search(rf"<b>3 \(100,00{NBSP}%\)</b>", vi_page)  # all three poor here: 100,00 %
    assert "Đợt rà soát định kỳ năm 2026" in vi_page and "2026-annual</" not in vi_page
    assert "đang mở" in vi_page and "(cán bộ tỉnh)" in vi_page
    en_page = client.get("/province/?lang=en").data.decode()
    assert re.search(rf"<b>3 \(100.00{NBSP}%\)</b>", en_page) and "Annual review 2026" in en_page
    # one language rule: the choice lasts the session, on the province and the review pages
    assert "Annual review 2026" in client.get("/province/").data.decode()
    assert "Households to check" in client.get("/review/c/18496/").data.decode()


def test_audit_page_reads_local_time_and_labelled_details(client, db, three_households):
    from server.queries.review import add_event

    round_id = db.execute("SELECT id FROM review_rounds").fetchone()[0]
    with db.conn:
        event = add_event(db.conn, action="override", user_id=None, round_id=round_id,
                          commune_code="18496", household_id="h-1", comment="Ốm dài ngày",
                          data={"version": 2, "computed_class": "poor", "override_class": "near_poor"})  # fmt: skip
        db.execute("UPDATE review_events SET created_at = ? WHERE id = ?",
                   ["2026-11-29T05:12:34Z", event])  # fmt: skip
    _login(client, "tinh")
    page = client.get("/review/audit").data.decode()
    assert "12:12 29/11/2026" in page and "2026-11-29T05:12:34Z" not in page
    assert "Loại điều chỉnh: Hộ cận nghèo" in page and "override_class" not in page
    english = client.get("/review/audit?lang=en").data.decode()
    assert "29 Nov 2026, 12:12" in english and "Overridden to: Near-poor" in english


def test_queue_explains_its_columns_and_sorts_villages_naturally(
    client, db, make_user, open_round, household
):
    open_round()
    submitter = get_user(db, make_user("sub", role="province", communes=()).id)
    for village in ("Thôn 10", "Thôn 2", "Thôn 1"):
        _submit(db, submitter, household(village=village))
    make_user("xa", role="commune", communes=("18496",), password="pw")
    _login(client, "xa")
    page = client.get("/review/c/18496/").data.decode()
    options = re.findall(r'<option value="(Thôn [^"]+)"', page)
    assert options == ["Thôn 1", "Thôn 2", "Thôn 10"]
    assert "Số chỉ số thiếu hụt" in page  # the "Số TH" heading is explained


# --- exports ------------------------------------------------------------------------------


def test_csv_export_uses_the_readers_decimal_mark(client, three_households):
    _login(client, "tinh")
    for lang, mark in (("vi", ","), ("en", ".")):
        client.get(f"/province/?lang={lang}")
        text = client.get("/province/tables/results.csv").data.decode("utf-8-sig")
        row = next(r for r in csv.DictReader(io.StringIO(text)) if r["Mã xã"] == "18496")
        assert row["Hộ nghèo – Tỷ lệ (%)"] == f"100{mark}00"


def test_xlsx_export_names_the_round_and_its_local_time(client, three_households):
    from openpyxl import load_workbook

    _login(client, "tinh")
    book = load_workbook(io.BytesIO(client.get("/province/tables/results.xlsx").data))
    subtitle = book["Ket qua"]["A2"].value
    assert subtitle.startswith("Đợt rà soát định kỳ năm 2026 — Chuẩn nghèo")
    assert re.search(r"lập lúc \d\d:\d\d \d\d/\d\d/\d{4}$", subtitle)
    assert book["Ket qua"]["F7"].number_format == "#,##0.00"


# --- command line -------------------------------------------------------------------------


def test_cli_counts_are_written_the_way_each_language_writes_them(tmp_path):
    from povcensus.cli import main

    out = tmp_path / "synth.jsonl"
    result = CliRunner().invoke(main, ["synth", "--households", "1200", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "Đã tạo 1.200 hộ giả lập" in result.output
    assert "Wrote 1,200 synthetic households" in result.output


def test_posting_page_lists_the_days_off_ahead(client, db, make_user, open_round):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from server.queries import review_commune as cq

    today = lambda: datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()  # noqa: E731
    review_round = open_round()
    province = make_user("tinh", role="province", communes=(), password="pw")
    make_user("xa", role="commune", communes=("18496",), password="pw")
    day = today() + timedelta(days=10)
    day += timedelta(days=(7 - day.weekday()) % 7)  # the next Monday: a weekday
    cq.save_settings(db, review_round["id"], posting_days=3, holidays=str(day), user_id=province.id)
    _login(client, "xa")
    page = client.get("/review/c/18496/posting").data.decode()
    assert f"{day:%d/%m/%Y} — Ngày nghỉ do tỉnh quy định" in page


def test_server_commands_do_not_warn_about_the_sync_clients_variables(
    tmp_path, monkeypatch, caplog
):
    from server import create_app

    monkeypatch.setenv("POVCENSUS_SYNC_STORE", str(tmp_path / "store.sqlite3"))
    monkeypatch.setenv("POVCENSUS_NO_SUCH_SETTING", "1")
    with caplog.at_level("WARNING"):
        create_app({"DATABASE": str(tmp_path / "x.sqlite3")}, instance_path=str(tmp_path))
    assert "POVCENSUS_SYNC_STORE" not in caplog.text
    assert "POVCENSUS_NO_SUCH_SETTING" in caplog.text  # a typo of a setting is still reported


def test_english_messages_agree_in_number():
    from server.queries.review_commune import _households_en

    assert _households_en(1) == "1 household is" and _households_en(3) == "3 households are"


def test_validation_messages_write_bounds_the_way_each_language_does():
    from conftest import example_household

    from survey_forms import validate_household

    record = example_household()
    record["income"]["sources_12m"]["wages"] = 3_000_000_000
    (error,) = [e for e in validate_household(record) if e.path.endswith("wages")]
    assert "từ 0 đến 2.000.000.000" in error.message_vi
    assert "between 0 and 2,000,000,000" in error.message_en
