"""validate_household / load_household: every rule of docs/household-record.md, bilingual
errors with exact paths, garbage handled as errors, and the normalised record."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from survey_forms import FieldError, InvalidHousehold, load_household, validate_household

EXAMPLE = Path(__file__).resolve().parents[1] / "survey_forms" / "examples" / "household.json"
TODAY = dt.date(2026, 11, 27)  # a day of the 2026 annual review, after the example's survey
VIETNAMESE = re.compile(
    r"[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]", re.I
)


@pytest.fixture
def record() -> dict:
    return json.loads(EXAMPLE.read_text("utf-8"))


def errors_of(record, today=TODAY) -> list[FieldError]:
    return validate_household(record, today=today)


def only_error(record, today=TODAY) -> FieldError:
    errors = errors_of(record, today)
    assert len(errors) == 1, [str(e) for e in errors]
    return errors[0]


def assert_bilingual(error: FieldError) -> None:
    assert error.message_vi and error.message_en
    assert error.message_vi != error.message_en
    assert VIETNAMESE.search(error.message_vi), error.message_vi


def test_the_documented_example_is_valid(record):
    assert errors_of(record) == []
    assert load_household(record, today=TODAY)["household_id"] == "18496-thon-1-0007"


# --- the cross-field rules, one failing case each -------------------------------------------


def _set(record: dict, path: str, value) -> dict:
    """Set `members[1].relation` / `dwelling.floor_area_m2` / `commune_code` in a copy."""
    changed = copy.deepcopy(record)
    target = changed
    keys = [int(k) if k.isdigit() else k for k in re.findall(r"[^.\[\]]+", path)]
    for key in keys[:-1]:
        target = target[key]
    target[keys[-1]] = value
    return changed


RULES = [
    # (path to change, new value, expected error path, expected code)
    ("members[1].relation", "head", "members[1].relation", "several_heads"),
    ("members[0].relation", "other", "members", "no_head"),
    ("members[2].member_no", 1, "members[2].member_no", "duplicate_member_no"),
    ("members[3].birth_year", 2027, "members[3].birth_year", "after_survey_year"),
    ("members[3].birth_year", 1899, "members[3].birth_year", "range"),
    ("dwelling.floor_area_m2", 0, "dwelling.floor_area_m2", "greater_than"),
    ("dwelling.floor_area_m2", -12.5, "dwelling.floor_area_m2", "greater_than"),
    ("commune_code", "99999", "commune_code", "unknown_commune"),
    ("commune_code", "00004", "commune_code", "commune_not_in_province"),  # a Hà Nội ward
    ("province_code", "99", "province_code", "unknown_province"),
    ("members[0].nutrition", "normal", "members[0].nutrition", "not_applicable"),
    ("members[1].labour_contract", True, "members[1].labour_contract", "not_applicable"),
    ("members[0].school_level", "primary", "members[0].school_level", "not_applicable"),
    ("survey_date", "2026-11-28", "survey_date", "future_date"),
]


@pytest.mark.parametrize(("path", "value", "error_path", "code"), RULES)
def test_each_rule_reports_its_path_in_both_languages(record, path, value, error_path, code):
    error = only_error(_set(record, path, value))
    assert (error.path, error.code) == (error_path, code)
    assert error.household_id == "18496-thon-1-0007"
    assert_bilingual(error)


def test_commune_in_another_province_names_both(record):
    error = only_error(_set(record, "commune_code", "00004"))
    assert "Phường Ba Đình" in error.message_vi and "Thành phố Hà Nội" in error.message_vi
    assert "Hà Nội city" in error.message_en and "42" in error.message_en


def test_nutrition_applies_below_sixteen_only(record):
    child = record["members"][2]  # born 2014, surveyed in 2026
    assert errors_of(_set(record, "members[2].birth_year", 2011)) == []  # 15: still asked
    sixteen = _set(record, "members[2].birth_year", 2010)
    assert [(e.path, e.code) for e in errors_of(sixteen)] == [
        ("members[2].nutrition", "not_applicable")
    ]
    assert child["nutrition"] == "stunted"


def test_labour_contract_and_school_level_are_fine_where_they_apply(record):
    wage = _set(record, "members[1].work_status", "wage_worker")
    assert errors_of(_set(wage, "members[1].labour_contract", True)) == []
    assert errors_of(_set(record, "members[2].school_level", "lower_secondary")) == []


def test_birth_year_may_equal_the_survey_year(record):
    assert errors_of(_set(record, "members[2].birth_year", 2026)) == []


def test_today_is_taken_from_the_argument(record):
    assert errors_of(record, today=dt.date(2026, 10, 5)) == []
    error = only_error(record, today=dt.date(2026, 10, 4))
    assert (error.path, error.code) == ("survey_date", "future_date")
    assert "2026-10-04" in error.message_en


def test_every_problem_is_reported_at_once(record):
    bad = _set(record, "members[1].relation", "head")
    bad = _set(bad, "members[3].birth_year", "1950")
    bad = _set(bad, "dwelling.floor_area_m2", 0)
    bad = _set(bad, "commune_code", "00004")
    bad["colour"] = "blue"
    found = {(e.path, e.code) for e in errors_of(bad)}
    assert found == {
        ("members[1].relation", "several_heads"),
        ("members[3].birth_year", "type_integer"),
        ("dwelling.floor_area_m2", "greater_than"),
        ("commune_code", "commune_not_in_province"),
        ("colour", "unknown_field"),
    }


# --- types, choices and ranges ---------------------------------------------------------------

FIELD_CASES = [
    ("members[0].relation", "boss", "members[0].relation", "choice"),
    ("members[0].relation", ["head"], "members[0].relation", "choice"),
    ("members[0].sex", None, "members[0].sex", "required"),
    ("members[0].birth_year", "1978", "members[0].birth_year", "type_integer"),
    ("members[0].birth_year", 1978.5, "members[0].birth_year", "type_integer"),
    ("members[0].birth_year", True, "members[0].birth_year", "type_integer"),
    ("members[0].in_school", "no", "members[0].in_school", "type_boolean"),
    ("members[0].in_school", 0, "members[0].in_school", "type_boolean"),
    ("members[0].name", "   ", "members[0].name", "required"),
    ("members[0].name", 7, "members[0].name", "type_text"),
    ("members[0].member_no", 0, "members[0].member_no", "range"),
    ("dwelling.devices", ["tv", "tv"], "dwelling.devices", "duplicate_choice"),
    ("dwelling.devices", ["fax"], "dwelling.devices", "choice"),
    ("dwelling.devices", "tv", "dwelling.devices", "type_list"),
    ("dwelling.devices", ["a|b=c"], "dwelling.devices", "choice"),  # message syntax in data
    ("dwelling.devices", [{"tv": 1}], "dwelling.devices", "choice"),
    ("dwelling.floor_area_m2", "30", "dwelling.floor_area_m2", "type_number"),
    ("dwelling.floor_area_m2", float("nan"), "dwelling.floor_area_m2", "type_number"),
    ("dwelling.floor_area_m2", 10**400, "dwelling.floor_area_m2", "type_number"),
    ("income.sources_12m.wages", 10**400, "income.sources_12m.wages", "range"),
    ("income.scorecard", {"custom": 10**400}, "income.scorecard.custom", "type_answer"),
    ("dwelling.latrine", "septic tank", "dwelling.latrine", "choice"),
    ("income.sources_12m.wages", -1, "income.sources_12m.wages", "range"),
    ("income.sources_12m.wages", "36 triệu", "income.sources_12m.wages", "type_integer"),
    ("income.sources_12m.lottery", 5, "income.sources_12m.lottery", "unknown_field"),
    ("survey_date", "05/10/2026", "survey_date", "type_date"),
    ("survey_date", "2026-02-30", "survey_date", "type_date"),
    ("area", "town", "area", "choice"),
    ("commune_code", 18496, "commune_code", "type_text"),
    ("province_code", 42, "province_code", "type_text"),
    ("household_id", "", "household_id", "required"),
    ("village", "x" * 101, "village", "too_long"),
    ("gps.lat", 200, "gps.lat", "range"),
    ("gps", [18.1, 105.5], "gps", "type_object"),
    ("form_id", "other_form", "form_id", "wrong_form"),
    ("form_version", "2025.1", "form_version", "unknown_version"),
    ("income.scorecard", {"Bad Id": 3}, "income.scorecard.Bad Id", "invalid_item_id"),
    ("income.scorecard", {"fridge": "yes"}, "income.scorecard.fridge", "type_boolean"),
    ("income.scorecard", {"custom_item": {"a": 1}}, "income.scorecard.custom_item", "type_answer"),
]


@pytest.mark.parametrize(("path", "value", "error_path", "code"), FIELD_CASES)
def test_field_types_choices_and_ranges(record, path, value, error_path, code):
    error = only_error(_set(record, path, value))
    assert (error.path, error.code) == (error_path, code)
    assert_bilingual(error)


def test_integers_too_long_to_print_are_reported(record):
    error = only_error(_set(record, "members[0].birth_year", 10**5000))  # > Python's 4,300 digits
    assert (error.path, error.code) == ("members[0].birth_year", "after_survey_year")
    assert "~1e5000" in error.message_en


def test_income_needs_sources_or_scorecard(record):
    record["income"] = {"sources_12m": None}
    error = only_error(record)
    assert (error.path, error.code) == ("income", "income_missing")
    record["income"] = {"scorecard": {"electricity_kwh": 40, "fridge": False}}
    assert errors_of(record) == []


def test_scorecard_items_of_other_scorecard_files_are_accepted(record):
    record["income"]["scorecard"] = {
        "tractors": 1,
        "roof_kind": "tile",
        "has_boat": True,
        "crops": ["rice"],
    }
    assert errors_of(record) == []


def test_choice_errors_list_short_choice_lists(record):
    error = only_error(_set(record, "area", "town"))
    assert '"town"' in error.message_en and "urban, rural" in error.message_en


# --- garbage is an error, never an exception ------------------------------------------------


@pytest.mark.parametrize("garbage", [None, [], "household", 42, 3.5, b"{}", {"members": None}])
def test_garbage_gives_errors_not_exceptions(garbage):
    errors = errors_of(garbage)
    assert errors and all(isinstance(e, FieldError) for e in errors)
    for error in errors:
        assert_bilingual(error)


def test_non_object_record_is_one_error_on_the_record():
    error = only_error(None)
    assert (error.household_id, error.path, error.code) == (None, "", "type_object")


def test_missing_sections_are_required(record):
    for section in ("members", "dwelling", "income"):
        del record[section]
    assert {(e.path, e.code) for e in errors_of(record)} == {
        ("members", "required"),
        ("dwelling", "required"),
        ("income", "required"),
    }


def test_broken_members_are_reported_by_index(record):
    record["members"][1] = "Trần Thị Bình"
    record["members"].append(None)
    found = [(e.path, e.code) for e in errors_of(record)]
    assert found == [("members[1]", "type_object"), ("members[4]", "type_object")]
    record["members"] = "four people"
    assert [(e.path, e.code) for e in errors_of(record)] == [("members", "type_list")]
    record["members"] = []
    assert [(e.path, e.code) for e in errors_of(record)] == [("members", "no_members")]


def test_non_string_keys_are_unknown_fields(record):
    record["dwelling"][3] = "x"
    assert [(e.path, e.code) for e in errors_of(record)] == [("dwelling.3", "unknown_field")]


TEXTS = st.text(max_size=8) | st.sampled_from(["|", "a=b", "{value}", "{0}", "%s", "head", "tv"])
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([10**400, -(10**400)])
    | st.floats()
    | TEXTS,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)
PATHS = [case[0] for case in FIELD_CASES + RULES] + [
    "members",
    "dwelling",
    "income",
    "members[0]",
    "gps",
]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(path=st.sampled_from(PATHS), value=JSON_VALUES)
def test_any_json_value_anywhere_never_raises(record, path, value):
    errors = validate_household(_set(record, path, value), today=TODAY)
    assert all(isinstance(e, FieldError) and e.message_vi and e.message_en for e in errors)


# --- the normalised record -------------------------------------------------------------------


def test_load_fills_defaults_and_normalises(record):
    del record["round"], record["gps"], record["dwelling"]["devices"]
    record["income"]["sources_12m"] = {"wages": 36000000.0, "other": None}
    record["members"][0]["birth_year"] = 1978.0
    record["members"][1]["name"] = "  Trần Thị Bình "
    record["_row"] = 12
    record["members"][0]["_row"] = 3
    original = copy.deepcopy(record)
    loaded = load_household(record, today=TODAY)
    assert record == original  # the input is not modified
    assert loaded["round"] is None and loaded["gps"] is None
    assert loaded["dwelling"]["devices"] == []
    assert loaded["income"]["sources_12m"] == {
        "wages": 36000000,
        "agriculture": 0,
        "business": 0,
        "pensions": 0,
        "social_allowances": 0,
        "remittances": 0,
        "other": 0,
    }
    assert loaded["income"]["scorecard"] is None
    assert loaded["members"][0]["birth_year"] == 1978 and isinstance(
        loaded["members"][0]["birth_year"], int
    )
    assert loaded["members"][1]["name"] == "Trần Thị Bình"
    assert "_row" not in loaded and "_row" not in loaded["members"][0]
    assert loaded["form_id"] == "povcensus_household" and loaded["form_version"] == "2026.1"


def test_load_orders_devices_like_the_choice_list(record):
    record["dwelling"]["devices"] = ["basic_phone", "smartphone", "tv"]
    assert load_household(record, today=TODAY)["dwelling"]["devices"] == [
        "tv",
        "smartphone",
        "basic_phone",
    ]


def test_load_defaults_form_identity_and_keeps_meta(record):
    del record["form_id"], record["form_version"]
    record["meta"] = {"instanceID": "uuid:1", "deprecatedID": None}
    loaded = load_household(record, today=TODAY)
    assert (loaded["form_id"], loaded["form_version"]) == ("povcensus_household", "2026.1")
    assert loaded["meta"] == {"instanceID": "uuid:1", "deprecatedID": None}


def test_load_raises_invalid_household_with_every_error(record):
    record["members"][1]["relation"] = "head"
    record["dwelling"]["floor_area_m2"] = -1
    with pytest.raises(InvalidHousehold) as raised:
        load_household(record, today=TODAY)
    assert raised.value.errors == errors_of(record)
    assert isinstance(raised.value, ValueError)
    assert "18496-thon-1-0007" in str(raised.value) and "2" in str(raised.value)
    assert raised.value.to_dict()["errors"][0]["path"] == "members[1].relation"


def test_field_error_reads_well_and_serialises(record):
    error = only_error(_set(record, "members[3].birth_year", 2030))
    assert error.to_dict() == {
        "household_id": "18496-thon-1-0007",
        "path": "members[3].birth_year",
        "code": "after_survey_year",
        "message_vi": error.message_vi,
        "message_en": error.message_en,
    }
    text = str(error)
    assert text.startswith("18496-thon-1-0007 members[3].birth_year: ")
    assert error.message_en in text and error.message_vi in text
    assert (
        "Member 4" in error.message_en and "2030" in error.message_en and "2026" in error.message_en
    )
    assert "Thành viên thứ 4" in error.message_vi
