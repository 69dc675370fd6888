"""povcensus.readers: user files → records with their source locations; bad rows become rejects."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from povcensus.readers import InputError, default_members_path, open_input
from survey_forms import validate_household
from survey_forms.synth import synth_households, synth_tables
from survey_forms.tables import households_to_tables


@pytest.fixture(scope="module")
def records():
    return list(synth_households(6, seed=21))


def test_json_lines_keep_line_numbers_and_turn_bad_lines_into_rejects(tmp_path, records):
    path = tmp_path / "in.jsonl"
    lines = [json.dumps(records[0]), "", "{broken", '"text"', json.dumps(records[1])]
    path.write_bytes(("\n".join(lines) + "\n").encode() + b"\xff\xfe oops\n")
    sources = list(open_input(path))
    assert [s.line for s in sources] == [1, 3, 4, 5, 6]
    assert sources[0].record == records[0] and not sources[0].problems
    assert [s.problems[0].code for s in sources[1:3]] == ["bad_json", "type_object"]
    assert sources[3].record == records[1]
    assert sources[4].problems[0].code == "not_utf8"
    assert all(p.message_vi and p.message_en for s in sources for p in s.problems)


def test_json_file_with_a_list(tmp_path, records):
    path = tmp_path / "in.json"
    path.write_text(json.dumps(records[:3], ensure_ascii=False), "utf-8")
    sources = list(open_input(path))
    assert [s.record for s in sources] == records[:3] and [s.line for s in sources] == [1, 2, 3]


def test_csv_pair_round_trips_valid_records_and_finds_its_members_file(tmp_path, records):
    households, members = households_to_tables(records)
    households.to_csv(tmp_path / "hh.csv", index=False)
    members.to_csv(default_members_path(tmp_path / "hh.csv"), index=False)
    sources = list(open_input(tmp_path / "hh.csv"))
    assert [s.record["household_id"] for s in sources] == [r["household_id"] for r in records]
    assert all(validate_household(s.record) == [] for s in sources)
    assert sources[0].line == 2 and sources[0].members_file == "hh.members.csv"
    first_members = len(records[0]["members"])
    assert sources[1].member_lines[0] == 2 + first_members


def test_member_errors_are_located_in_the_members_table(tmp_path, records):
    households, members = households_to_tables(records)
    members["birth_year"] = members["birth_year"].astype(object)
    members.loc[1, "birth_year"] = "later"
    households.to_csv(tmp_path / "h.csv", index=False)
    members.to_csv(tmp_path / "m.csv", index=False)
    source = next(iter(open_input(tmp_path / "h.csv", members=tmp_path / "m.csv")))
    rejects = [source.locate(e) for e in validate_household(source.record)]
    assert [(r.file, r.line, r.field) for r in rejects] == [("m.csv", 3, "members[1].birth_year")]


def test_unordered_members_and_orphans(tmp_path):
    households, members = synth_tables(20, seed=3)
    shuffled = members.sample(frac=1.0, random_state=1)
    orphan = shuffled.iloc[[0]].assign(household_id="ghost")
    households.to_csv(tmp_path / "h.csv", index=False)
    pd.concat([shuffled, orphan]).to_csv(tmp_path / "m.csv", index=False)
    sources = list(open_input(tmp_path / "h.csv", members=tmp_path / "m.csv"))
    good = [s for s in sources if not s.problems]
    assert len(good) == 20
    assert all(validate_household(s.record) == [] for s in good)
    sizes = members.groupby("household_id", sort=False).size()
    assert [len(s.record["members"]) for s in good] == list(sizes[households["household_id"]])
    (orphan_source,) = [s for s in sources if s.problems]
    assert orphan_source.problems[0].code == "member_without_household"
    assert orphan_source.problems[0].line == len(members) + 2


def test_workbook_needs_both_sheets(tmp_path, records):
    households, members = households_to_tables(records)
    good = tmp_path / "good.xlsx"
    with pd.ExcelWriter(good) as book:
        households.to_excel(book, sheet_name="households", index=False)
        members.to_excel(book, sheet_name="members", index=False)
    sources = list(open_input(good))
    assert all(validate_household(s.record) == [] for s in sources)
    assert sources[0].file == "good.xlsx [households]" and sources[0].line == 2
    lonely = tmp_path / "lonely.xlsx"
    households.to_excel(lonely, sheet_name="households", index=False)
    with pytest.raises(InputError, match="members"):
        open_input(lonely)


@pytest.mark.parametrize(
    ("name", "needle"),
    [("absent.jsonl", "no such file"), ("data.parquet", "unknown file type"),
     ("alone.csv", "members table")],
)  # fmt: skip
def test_whole_file_problems_raise_input_error_with_a_hint(tmp_path, name, needle):
    path = tmp_path / name
    if name != "absent.jsonl":
        path.write_text("household_id\nx\n", "utf-8")
    with pytest.raises(InputError, match=needle) as info:
        open_input(path)
    assert info.value.message_vi and info.value.hint
