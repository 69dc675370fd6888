"""Missing income is not zero: every entry point refuses "no income answered" with the library's
code (`income_missing`), and "answered zero" stays a valid, scored household.

Entry points: the library (`scoring.classify`, `survey_forms.load_household`), `povcensus score`,
the JSON batch API and OpenRosa (both over a real server on loopback).
"""

from __future__ import annotations

import json
import uuid

import pytest
import requests
from click.testing import CliRunner

from povcensus.cli import main
from povcensus.core_cli import EXIT_OK, EXIT_REJECTED
from scoring import ScoringError, classify
from survey_forms import InvalidHousehold, load_household

SOURCES = ("wages", "agriculture", "business", "pensions", "social_allowances", "remittances",
           "other")  # fmt: skip

# "No income answered", in every shape a record can say it.
MISSING = {
    "empty mapping": {"sources_12m": {}},
    "every source null": {"sources_12m": {source: None for source in SOURCES}},
    "some sources null": {"sources_12m": {"wages": None, "other": None}},
}
ZERO = {"sources_12m": {source: 0 for source in SOURCES}}


def with_income(record: dict, income: dict) -> dict:
    return {**record, "income": json.loads(json.dumps(income))}


@pytest.mark.parametrize("shape", MISSING)
def test_library_refuses_missing_income_and_validation_agrees(household, shape):
    record = with_income(household(), MISSING[shape])
    with pytest.raises(ScoringError) as raw:  # the library on the raw record
        classify(record, "vn-2022")
    assert raw.value.code == "income_missing"
    with pytest.raises(InvalidHousehold) as invalid:
        load_household(record)
    assert [(e.path, e.code) for e in invalid.value.errors] == [("income", "income_missing")]


def test_answered_zero_is_valid_and_poor(household):
    loaded = load_household(with_income(household(), ZERO))
    assert loaded["income"]["sources_12m"] == {source: 0 for source in SOURCES}
    assert classify(loaded, "vn-2022").classification in ("poor", "near_poor")


def test_one_answered_source_fills_the_others_with_zero(household):
    loaded = load_household(with_income(household(), {"sources_12m": {"wages": 12_000_000}}))
    assert loaded["income"]["sources_12m"]["wages"] == 12_000_000
    assert loaded["income"]["sources_12m"]["other"] == 0


def test_no_sources_but_phieu_b_loads_and_income_mode_refuses_with_the_same_code(household):
    record = with_income(household(), {"sources_12m": {}, "scorecard": {"electricity_kwh": 40}})
    loaded = load_household(record)
    assert loaded["income"]["sources_12m"] is None  # not collected, never zeros
    with pytest.raises(ScoringError) as error:
        classify(loaded, "vn-2022")
    assert error.value.code == "income_missing"


# --- povcensus score ---------------------------------------------------------------------------


def test_cli_score_rejects_missing_and_scores_zero(household, tmp_path):
    missing = [with_income(household(), income) for income in MISSING.values()]
    zero = with_income(household(), ZERO)
    field_only = with_income(household(), {"sources_12m": {}, "scorecard": {"fridge": False}})
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in [*missing, zero, field_only]), "utf-8")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(
        main, ["score", str(source), "--standard", "vn-2022", "-o", str(out)]
    )
    assert result.exit_code == EXIT_REJECTED, result.output
    scored = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert [row["household_id"] for row in scored] == [zero["household_id"]]
    assert scored[0]["classification"] in ("poor", "near_poor")
    rejects = [
        json.loads(line)
        for line in (tmp_path / "out.jsonl.rejects.jsonl").read_text("utf-8").splitlines()
    ]
    codes = {r["household_id"]: [e["code"] for e in r["errors"]] for r in rejects}
    expected = [r["household_id"] for r in [*missing, field_only]]
    assert codes == {household_id: ["income_missing"] for household_id in expected}


def test_cli_score_field_mode_takes_phieu_b_without_income(household, tmp_path):
    record = with_income(
        household(), {"sources_12m": {source: None for source in SOURCES}, "scorecard": {}}
    )
    record["income"]["scorecard"] = {
        "electricity_kwh": 40, "fridge": False, "motorbikes": 0, "car": False,
        "air_conditioner": False, "washing_machine": False, "cattle": 0, "pigs_goats": 0,
        "cropland_m2": 0,
    }  # fmt: skip
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps(record) + "\n", "utf-8")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(
        main,
        ["score", str(source), "--mode", "field", "--scorecard", "example", "-o", str(out)],
    )
    assert result.exit_code == EXIT_OK, result.output
    (row,) = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert row["income_pc_month"] is None  # never a made-up zero


# --- JSON API and OpenRosa on a live server ----------------------------------------------------


def batch_item(record: dict) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "household_id": record["household_id"],
        "form_id": "povcensus_household",
        "form_version": "2026.1",
        "base": None,
        "record": record,
    }


def test_json_api_refuses_missing_income_and_stores_answered_zero(live_server, household):
    _, token = live_server.enumerator(communes=("18496",))
    missing = [with_income(household(), income) for income in MISSING.values()]
    field_only = with_income(household(), {"sources_12m": {}, "scorecard": {"fridge": False}})
    zero = with_income(household(), ZERO)
    items = [batch_item(r) for r in [*missing, field_only, zero]]
    answer = requests.post(
        live_server.url + "/api/v1/submissions/batch",
        json={"items": items},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["outcome"] for r in results] == ["rejected"] * 4 + ["accepted"]
    for result in results[:4]:
        assert [(e["path"], e["code"]) for e in result["errors"]] == [("income", "income_missing")]
        assert result["errors"][0]["message_vi"] and result["errors"][0]["message_en"]
    stored = live_server.db().execute(
        "SELECT household_id FROM households WHERE household_id IN (?, ?, ?, ?, ?)",
        [r["household_id"] for r in [*missing, field_only, zero]],
    )
    assert [row[0] for row in stored] == [zero["household_id"]]


def test_openrosa_refuses_blank_income_and_accepts_typed_zeros(live_server, household):
    from survey_forms.xform import household_to_instance

    username, token = live_server.enumerator(communes=("18496",))
    session = requests.Session()
    session.auth = (username, token)
    session.headers["X-OpenRosa-Version"] = "1.0"

    def submit(record: dict) -> requests.Response:
        xml = household_to_instance(record, instance_id=f"uuid:{uuid.uuid4()}")
        files = {"xml_submission_file": ("submission.xml", xml, "text/xml")}
        return session.post(live_server.url + "/submission", files=files, timeout=30)

    # the gate "income collected?" answered yes, every amount left blank
    blank = submit(with_income(household(), {"sources_12m": {s: None for s in SOURCES}}))
    assert blank.status_code == 422, blank.text
    assert "income_missing" in blank.text or "thu nhập 12 tháng" in blank.text
    zero = submit(with_income(household(), ZERO))
    assert zero.status_code == 201, zero.text
    session.close()
