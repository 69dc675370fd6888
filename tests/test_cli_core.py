"""`povcensus score`, `synth` and `standards` end to end: CliRunner and one real subprocess."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from povcensus.cli import main
from povcensus.core_cli import EXIT_CANNOT_RUN, EXIT_OK, EXIT_REJECTED
from scoring.batch import score_tables
from survey_forms.synth import synth_tables

COLUMNS = {"household_id", "commune_code", "classification", "deprivation_count", "deprivations",
           "standard", "standard_version", "provisional", "income_pc_month", "b1", "b2"}  # fmt: skip


def run(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def broken_input(path: Path, source: Path) -> None:
    """Two good households, then: bad JSON, a list, a wrong type, a duplicate id, one good."""
    good = source.read_text("utf-8").splitlines()
    wrong = json.loads(good[2])
    wrong["members"][0]["birth_year"] = "nineteen-eighty"
    lines = [good[0], good[1], "{not json", "[1, 2]", json.dumps(wrong), good[0], good[3]]
    path.write_text("\n".join(lines) + "\n", "utf-8")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("synth") / "demo.jsonl"
    result = run("synth", "--households", 300, "--seed", 11, "-o", path)
    assert result.exit_code == EXIT_OK, result.output
    return path


def test_synth_then_score_gives_the_batch_classes(demo, tmp_path):
    out = tmp_path / "scored.jsonl"
    result = run("score", demo, "--standard", "vn-2022", "-o", out)
    assert result.exit_code == EXIT_OK, result.output
    rows = read_jsonl(out)
    assert len(rows) == 300
    assert COLUMNS <= set(rows[0])
    expected = score_tables(*synth_tables(300, seed=11), "vn-2022")
    assert [r["household_id"] for r in rows] == list(expected["household_id"])
    assert [r["classification"] for r in rows] == list(expected["classification"])
    assert [r["deprivation_count"] for r in rows] == list(expected["deprivation_count"])
    assert all(r["standard"] == "vn-2022" and r["provisional"] is False for r in rows)
    assert "Scored 300 households" in result.output and "not_poor" in result.output
    assert not (tmp_path / "scored.jsonl.rejects.jsonl").exists()  # nothing rejected, no file


def test_broken_records_are_rejected_with_their_field_path_and_the_rest_scored(demo, tmp_path):
    bad = tmp_path / "broken.jsonl"
    broken_input(bad, demo)
    out, rejects = tmp_path / "out.csv", tmp_path / "rejects.jsonl"
    result = run("score", bad, "-o", out, "--rejects", rejects)
    assert result.exit_code == EXIT_REJECTED, result.output
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert COLUMNS <= set(rows[0])
    assert len(rows) == 3  # lines 1, 2 and 7
    assert [int(r["source_line"]) for r in rows] == [1, 2, 7]
    entries = read_jsonl(rejects)
    by_line = {e["line"]: e for e in entries}
    assert sorted(by_line) == [3, 4, 5, 6]
    assert by_line[3]["errors"][0]["code"] == "bad_json"
    assert by_line[4]["errors"][0]["code"] == "type_object"
    wrong = by_line[5]["errors"]
    assert [e["field"] for e in wrong] == ["members[0].birth_year"]
    assert wrong[0]["message_vi"] and wrong[0]["message_en"] and wrong[0]["code"] == "type_integer"
    assert by_line[6]["errors"][0]["code"] == "duplicate_household_id"
    assert "Rejected 4 households" in result.output and str(rejects) in result.output


def test_csv_pair_member_errors_point_at_the_members_file(tmp_path):
    households = tmp_path / "census.csv"
    assert run("synth", "--households", 40, "--seed", 2, "-o", households).exit_code == 0
    members_path = tmp_path / "census.members.csv"
    members = pd.read_csv(members_path, dtype=str, keep_default_na=False)
    members.loc[4, "sex"] = "robot"
    orphan = members.iloc[[0]].assign(household_id="nowhere-1")
    pd.concat([members, orphan]).to_csv(members_path, index=False)
    out = tmp_path / "scores.jsonl"
    result = run("score", households, "-o", out)
    assert result.exit_code == EXIT_REJECTED, result.output
    errors = [
        e for entry in read_jsonl(tmp_path / "scores.jsonl.rejects.jsonl") for e in entry["errors"]
    ]
    by_code = {e["code"]: e for e in errors}
    sex = by_code["choice"]
    assert sex["file"] == "census.members.csv" and sex["line"] == 6  # header row 1, 0-based 4
    assert sex["field"].endswith("].sex")
    orphan_error = by_code["member_without_household"]
    assert orphan_error["line"] == len(members) + 2 and orphan_error["household_id"] == "nowhere-1"
    assert len(read_jsonl(out)) == 39


def test_xlsx_workbook_and_field_mode_with_the_example_scorecard(tmp_path):
    book = tmp_path / "census.xlsx"
    assert run("synth", "--households", 30, "--seed", 4, "-o", book).exit_code == 0
    assert pd.ExcelFile(book).sheet_names == ["households", "members"]
    out = tmp_path / "field.jsonl"
    result = run("score", book, "--mode", "field", "--scorecard", "example", "-o", out)
    assert result.exit_code == EXIT_OK, result.output
    rows = read_jsonl(out)
    assert len(rows) == 30
    assert all(
        isinstance(r["b1"], int | float) and r["b2"] == 10 * r["deprivation_count"] for r in rows
    )
    assert all(r["mode"] == "field" for r in rows)


def test_explain_and_provisional_standard(demo, tmp_path):
    out = tmp_path / "explained.jsonl"
    result = run("score", demo, "--standard", "vn-2027", "--explain", "-o", out)
    assert result.exit_code == EXIT_OK, result.output
    row = read_jsonl(out)[0]
    assert row["provisional"] is True and row["standard"] == "vn-2027"
    assert row["explanation"]["vi"] and row["explanation"]["en"]
    assert {i["id"] for i in row["indicators"]} >= {"employment", "water"}
    assert "PROVISIONAL" in result.output


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["score", "missing.jsonl", "-o", "x.jsonl"], "no such file"),
        (["score", "{demo}", "--standard", "vn-1999", "-o", "x.jsonl"], "Known standards"),
        (["score", "{demo}", "--standard", "mpi-global", "-o", "x.jsonl"], "analysis standard"),
        (["score", "{demo}", "--standard", "nope.toml", "-o", "x.jsonl"], "no such standard file"),
        (["score", "{demo}", "--mode", "field", "-o", "x.jsonl"], "--scorecard"),
        (
            ["score", "{demo}", "--scorecard", "nope.toml", "--mode", "field", "-o", "x.jsonl"],
            "no such file",
        ),
        (["synth", "--households", "5", "--province", "99", "-o", "x.jsonl"], "unknown province"),
        (["synth", "--households", "5", "-o", "x.parquet"], "Use .jsonl"),
    ],
)
def test_friendly_errors_exit_3(demo, tmp_path, monkeypatch, args, needle):
    monkeypatch.chdir(tmp_path)
    result = run(*[a.format(demo=demo) for a in args])
    assert result.exit_code == EXIT_CANNOT_RUN, result.output
    assert needle in result.output
    assert "Traceback" not in result.output


def test_debug_shows_the_real_exception(tmp_path):
    from povcensus.readers import InputError

    result = CliRunner().invoke(main, ["score", str(tmp_path / "none.jsonl"), "-o", "x", "--debug"])
    assert isinstance(result.exception, InputError)


def test_standards_lists_ids_versions_flags_and_lines():
    text = run("standards")
    assert text.exit_code == 0
    assert "vn-2022" in text.output and "vn-2016" in text.output
    assert "PROVISIONAL" in [line for line in text.output.splitlines() if "vn-2027" in line][0]
    data = {s["id"]: s for s in json.loads(run("standards", "--json").output)}
    assert data["vn-2022"]["lines"]["rural"]["poor"] == 1_500_000
    assert data["vn-2022"]["lines"]["urban"]["poor"] == 2_000_000
    assert data["vn-2027"]["provisional"] is True and data["vn-2022"]["provisional"] is False


@pytest.mark.parametrize("command", ["score", "synth", "standards"])
def test_every_command_help_has_an_example(command):
    result = run(command, "--help")
    assert result.exit_code == 0 and "Example: povcensus " + command in result.output


def test_real_subprocess_synth_score_rejects_and_exit_code(tmp_path):
    def povcensus(*args):
        return subprocess.run(
            [sys.executable, "-m", "povcensus", *map(str, args)],
            capture_output=True, text=True, cwd=tmp_path, timeout=120,
        )  # fmt: skip

    made = povcensus("synth", "--households", 50, "--seed", 5, "-o", "households.jsonl")
    assert made.returncode == 0, made.stderr
    broken_input(tmp_path / "input.jsonl", tmp_path / "households.jsonl")
    done = povcensus("score", "input.jsonl", "--standard", "vn-2022", "-o", "scores.csv")
    assert done.returncode == EXIT_REJECTED, done.stderr
    with (tmp_path / "scores.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert COLUMNS <= set(rows[0]) and len(rows) == 3
    rejects = read_jsonl(tmp_path / "scores.csv.rejects.jsonl")
    fields = [e["field"] for entry in rejects for e in entry["errors"]]
    assert "members[0].birth_year" in fields
    assert "scores.csv.rejects.jsonl" in done.stderr
    assert "\r" not in done.stderr  # no progress bar when stderr is not a terminal


def test_a_household_that_cannot_be_scored_is_rejected_and_the_batch_still_scored(demo, tmp_path):
    lines = demo.read_text("utf-8").splitlines()[:4]
    no_answers = json.loads(lines[3])
    del no_answers["income"]["scorecard"]  # valid record, but field mode needs Phiếu B answers
    path = tmp_path / "field.jsonl"
    path.write_text("\n".join([*lines[:3], json.dumps(no_answers)]) + "\n", "utf-8")
    out = tmp_path / "field.out.jsonl"
    result = run("score", path, "--mode", "field", "--scorecard", "example", "-o", out)
    assert result.exit_code == EXIT_REJECTED, result.output
    assert [r["source_line"] for r in read_jsonl(out)] == [1, 2, 3]
    (entry,) = read_jsonl(tmp_path / "field.out.jsonl.rejects.jsonl")
    assert entry["line"] == 4 and entry["errors"][0]["code"] == "scorecard_answer_missing"
