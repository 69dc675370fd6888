"""Standards as data: shipped files validate; validate_standard reports every problem at once;
a new decree or a province's correction is a new file, not a code change."""

from __future__ import annotations

import copy
import tomllib

import pytest
from strategies import base_household, damaged_copies, fixed_b1, with_deprivations

from scoring import InvalidStandard, classify, list_standards, load_standard, validate_standard
from scoring.standard import STANDARDS_DIR


def _data(sid: str) -> dict:
    with (STANDARDS_DIR / f"{sid}.toml").open("rb") as fh:
        return tomllib.load(fh)


@pytest.mark.parametrize("sid", ["vn-2016", "vn-2022", "vn-2027", "mpi-global"])
def test_shipped_standards_are_valid(sid):
    assert validate_standard(_data(sid)) == []
    std = load_standard(sid)
    assert std.id == sid and std.legal_basis and std.effective_from


def test_shipped_standards_carry_the_law():
    v16, v22, v27 = (load_standard(s) for s in ("vn-2016", "vn-2022", "vn-2027"))
    assert (v22.rule, v16.rule, v27.rule) == ("single_line", "two_line", "single_line")
    assert v22.lines == {
        "rural": {"poor": 1_500_000, "average": 2_250_000},
        "urban": {"poor": 2_000_000, "average": 3_000_000},
    }
    assert v16.lines["urban"] == {"poor": 900_000, "near_poor": 1_300_000, "average": 1_950_000}
    assert v27.lines == {"rural": {"poor": 2_200_000}, "urban": {"poor": 2_800_000}}
    assert len(v22.indicators) == 12 and len(v16.indicators) == 10 and len(v27.indicators) == 12
    assert v27.provisional and not v22.provisional
    assert v27.provenance["lines_average"] == "unknown" and v27.cutoffs("rural") is None
    assert "social_allowances" not in v22.counted_sources
    assert list_standards(include_analysis=True)[0] == "mpi-global"


def test_validation_reports_every_problem_at_once():
    data = _data("vn-2022")
    data["colour"] = "red"
    data["indicators"][1]["id"] = "employment"
    data["indicators"][2]["function"] = "crystal_ball"
    data["indicators"][6]["params"]["durable"]["wall"].append("brick")
    data["indicators"][7]["params"]["min_m2"] = 8
    del data["lines"]["urban"]
    data["field_score"]["cutoffs"]["rural"]["b1_poor_max"] = 100
    problems = validate_standard(data)
    expected = [
        "unknown field 'colour'",
        "duplicate id 'employment'",
        "unknown indicator function 'crystal_ball'",
        "'brick' is not one of",
        "unknown parameter 'min_m2'",
        "lines.urban: missing",
        "b1_poor_max: only for the two_line rule",
    ]
    for text in expected:
        assert any(text in p for p in problems), (text, problems)
    with pytest.raises(InvalidStandard) as info:
        load_standard(data)
    assert info.value.details == problems


def test_two_line_rule_needs_near_poor_lines_and_poor_cutoffs():
    data = _data("vn-2016")
    del data["lines"]["rural"]["near_poor"]
    del data["field_score"]["cutoffs"]["urban"]["b1_poor_max"]
    data["lines"]["urban"]["average"] = 800_000
    problems = validate_standard(data)
    assert any("lines.rural.near_poor: missing" in p for p in problems)
    assert any("urban.b1_poor_max: required" in p for p in problems)
    assert any("lines.urban: lines must increase" in p for p in problems)


def test_unknown_values_must_be_marked_unknown_not_silently_missing():
    data = _data("vn-2027")
    data["provenance"]["lines_average"] = "check"
    data["provenance"]["field_score"] = "firm"
    problems = validate_standard(data)
    assert any("lines.rural.average: missing" in p for p in problems)
    assert any("field_score.cutoffs: missing" in p for p in problems)


def test_a_new_decree_is_a_new_file(tmp_path):
    """A hypothetical decree with other lines and a 4-deprivation rule, loaded from a file."""
    data = copy.deepcopy(_data("vn-2022"))
    text = (STANDARDS_DIR / "vn-2022.toml").read_text("utf-8")
    text = text.replace('id = "vn-2022"', 'id = "test-decree"').replace("1500000", "1700000")
    text = text.replace("min_deprivations_poor = 3", "min_deprivations_poor = 4")
    path = tmp_path / "test-decree.toml"
    path.write_text(text, "utf-8")
    record = with_deprivations(base_household(income_pc=1_600_000), 3)
    assert classify(record, "vn-2022").classification == "average"
    result = classify(record, load_standard(path))
    assert (result.standard, result.classification) == ("test-decree", "near_poor")
    assert classify(with_deprivations(record, 4), str(path)).classification == "poor"
    assert data["id"] == "vn-2022"  # the shipped file is untouched


def test_province_supplies_vn2027_cutoffs_and_average_band():
    data = _data("vn-2027")
    data["id"], data["version"] = "vn-2027-ha-tinh", "2026.1"
    data["provenance"]["field_score"] = "check"
    data["field_score"]["cutoffs"] = {"rural": {"b1_max": 150}, "urban": {"b1_max": 185}}
    data["lines"]["rural"]["average"] = 3_000_000
    std = load_standard(data)
    record = base_household(income_pc=2_500_000)
    assert classify(record, std).classification == "average"
    result = classify(with_deprivations(record, 3), std, mode="field", scorecard=fixed_b1(150))
    assert result.classification == "poor" and result.provisional


def test_unknown_standard_id_lists_the_known_ones():
    with pytest.raises(InvalidStandard, match="vn-2022"):
        load_standard("vn-1999")


@pytest.mark.parametrize("sid", ["vn-2016", "vn-2022", "vn-2027", "mpi-global"])
def test_validation_never_crashes_on_damaged_files(sid):
    """Replace or delete any one value: always a list of problems, never an exception."""
    for path, data in damaged_copies(_data(sid)):
        problems = validate_standard(data)
        assert isinstance(problems, list) and all(isinstance(p, str) for p in problems), path
