"""Truth tables that pin the law (docs/poverty-standards.md): lines, rules, limits, cut-offs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from strategies import (
    SURVEY_YEAR,
    base_household,
    child,
    fixed_b1,
    households,
    member,
    with_deprivations,
)

from scoring import IncompleteStandard, ScoringError, classify


def _cls(record, standard="vn-2022", **kw):
    return classify(record, standard, **kw)


def _dep(record, indicator, standard="vn-2022"):
    result = classify(record, standard)
    return next(i for i in result.indicators if i.id == indicator).deprived


# -- income lines: exactly at the line, and one đồng above ---------------------------------------
SINGLE_LINE = [
    ("vn-2022", "rural", 1_500_000, 2_250_000),
    ("vn-2022", "urban", 2_000_000, 3_000_000),
    ("vn-2027", "rural", 2_200_000, None),
    ("vn-2027", "urban", 2_800_000, None),
]


@pytest.mark.parametrize(("standard", "area", "line", "average"), SINGLE_LINE)
@pytest.mark.parametrize(
    ("offset", "deprived", "expected"),
    [(0, 3, "poor"), (0, 2, "near_poor"), (0, 0, "near_poor"), (1, 4, "above")],
)
def test_single_line_rule(standard, area, line, average, offset, deprived, expected):
    record = with_deprivations(base_household(area=area, income_pc=line + offset), deprived)
    result = _cls(record, standard)
    assert result.deprivation_count == deprived
    assert result.income["per_capita_month"] == line + offset
    if expected == "above":  # above the line is never poor, whatever D is
        expected = "average" if average else "not_poor"
    assert result.classification == expected


@pytest.mark.parametrize(("standard", "area", "line", "average"), SINGLE_LINE[:2])
def test_average_living_line(standard, area, line, average):
    at = _cls(base_household(area=area, income_pc=average), standard)
    above = _cls(base_household(area=area, income_pc=average + 1), standard)
    assert (at.classification, above.classification) == ("average", "not_poor")


def test_vn2027_has_no_average_band_and_says_so():
    result = _cls(base_household(income_pc=2_200_001), "vn-2027")
    assert result.classification == "not_poor"
    assert result.rule == "income_above_line_average_band_unknown"
    assert result.income["average_line"] is None
    assert "average-living-standard band" in result.explanation["en"]


def test_income_above_the_line_is_never_poor_under_vn2022_even_deprived_in_everything():
    members = [
        member(
            1,
            45,
            work_status="unemployed",
            labour_contract=None,
            health_insurance=False,
            uses_internet=False,
            highest_diploma="none",
        ),
        child(2, 10, in_school=False, school_level=None, nutrition="stunted"),
        child(3, 8, nutrition="underweight", health_insurance=False),
        member(
            4,
            20,
            highest_diploma="primary",
            work_status="unemployed",
            labour_contract=None,
            uses_internet=False,
        ),
        member(5, 80, work_status="retired", labour_contract=None, uses_internet=False),
    ]
    record = with_deprivations(base_household(members, income_pc=1_500_001), 4)
    record["dwelling"]["devices"] = []
    result = _cls(record)
    assert result.deprivation_count == 12
    assert result.classification == "average"
    at_line = record.copy()
    at_line["income"] = {"sources_12m": {"wages": 1_500_000 * 12 * 5}}
    assert _cls(at_line).classification == "poor"


def test_social_allowances_are_not_counted():
    record = base_household(income_pc=1_500_000)
    record["income"]["sources_12m"]["social_allowances"] = 50_000_000
    result = _cls(with_deprivations(record, 3))
    assert result.income["per_capita_month"] == 1_500_000
    assert result.classification == "poor"


# -- vn-2016: two lines ----------------------------------------------------------------------------
TWO_LINE = [("rural", 700_000, 1_000_000, 1_500_000), ("urban", 900_000, 1_300_000, 1_950_000)]


@pytest.mark.parametrize(("area", "poor", "near", "average"), TWO_LINE)
def test_vn2016_two_line_rule(area, poor, near, average):
    def cls(y, d):
        return _cls(
            with_deprivations(base_household(area=area, income_pc=y), d), "vn-2016"
        ).classification

    assert cls(poor, 0) == "poor"  # at the poverty line: poor whatever D
    assert cls(poor + 1, 0) == "near_poor"
    assert cls(poor + 1, 2) == "near_poor"
    assert cls(poor + 1, 3) == "poor"  # between the lines with 3+ deprivations
    assert cls(near, 3) == "poor"
    assert cls(near + 1, 4) == "average"  # above the near-poor line: never poor
    assert cls(average, 0) == "average"
    assert cls(average + 1, 0) == "not_poor"


def test_same_answers_differ_between_vn2016_and_vn2022():
    """At vn-2016's rural poverty line income alone makes a household poor (two-line rule);
    vn-2022's single line needs 3 deprivations as well."""
    record = with_deprivations(base_household(income_pc=700_000), 0)
    assert _cls(record, "vn-2016").classification == "poor"
    assert _cls(record, "vn-2022").classification == "near_poor"


# -- age and size limits -----------------------------------------------------------------------------
@pytest.mark.parametrize("standard", ["vn-2016", "vn-2022", "vn-2027"])
@pytest.mark.parametrize(("age", "deprived"), [(5, False), (6, True)])
def test_health_insurance_from_age_6(standard, age, deprived):
    record = base_household([member(1), child(2, age, health_insurance=False)])
    assert _dep(record, "health_insurance", standard) is deprived


@pytest.mark.parametrize(("age", "deprived"), [(15, True), (16, False)])
def test_dependents_children_under_16_and_more_than_half(age, deprived):
    extra = (
        child(3, age)
        if age < 16
        else member(
            3,
            age,
            in_school=True,
            school_level="upper_secondary",
            work_status="student",
            labour_contract=None,
            highest_diploma="lower_secondary",
        )
    )
    record = base_household([member(1), child(2, 10), extra])
    assert _dep(record, "dependents") is deprived


def test_dependents_exactly_half_is_not_deprived_elderly_and_disabled_count():
    half = base_household(
        [
            member(1),
            member(2),
            child(3, 4),
            member(4, 70, work_status="retired", labour_contract=None),
        ]
    )
    assert _dep(half, "dependents") is False
    disabled = member(
        4, 40, disability="severe", work_status="unable_to_work", labour_contract=None
    )
    more = base_household([member(1), child(2, 9), child(3, 4), disabled])
    assert _dep(more, "dependents") is True
    facts = classify(more).indicators[1].facts
    assert [d["reason"] for d in facts["dependents"]] == [
        "child",
        "child",
        "disabled_unable_to_work",
    ]


@pytest.mark.parametrize(
    ("age", "diploma", "vocational", "deprived"),
    [
        (15, "primary", False, False),  # not yet 16: children's schooling, not adult education
        (16, "primary", False, True),
        (17, "lower_secondary", False, False),
        (17, "primary", True, True),  # a vocational certificate does not replace THCS before 18
        (18, "lower_secondary", False, True),  # from 18, THPT or vocational needed
        (18, "lower_secondary", True, False),
        (18, "upper_secondary", False, False),
        (30, "lower_secondary", False, True),
        (31, "lower_secondary", False, False),
    ],
)
def test_adult_education_16_to_30(age, diploma, vocational, deprived):
    adult = member(2, age, highest_diploma=diploma, vocational_certificate=vocational)
    record = base_household([member(1), adult])
    assert _dep(record, "adult_education") is deprived
    if deprived:
        facts = classify(record).indicators[4].facts["members"][0]
        assert (facts["member_no"], facts["age"], facts["highest_diploma"]) == (2, age, diploma)


def test_adult_education_in_school_is_not_deprived():
    student = member(
        2,
        17,
        highest_diploma="primary",
        in_school=True,
        school_level="lower_secondary",
        work_status="student",
        labour_contract=None,
    )
    assert _dep(base_household([member(1), student]), "adult_education") is False


@pytest.mark.parametrize(("birth_year", "deprived"), [(1985, False), (1986, True)])
def test_vn2016_adult_education_born_1986_or_later(birth_year, deprived):
    adult = member(2, SURVEY_YEAR - birth_year, highest_diploma="primary")
    record = base_household([member(1), adult])
    assert _dep(record, "adult_education", "vn-2016") is deprived


@pytest.mark.parametrize(
    ("standard", "age", "deprived"),
    [
        ("vn-2022", 2, False),
        ("vn-2022", 3, True),
        ("vn-2022", 15, True),
        ("vn-2022", 16, False),
        ("vn-2016", 4, False),
        ("vn-2016", 5, True),
        ("vn-2016", 14, True),
        ("vn-2016", 15, False),
    ],
)
def test_children_not_in_school(standard, age, deprived):
    kid = child(2, age, in_school=False, school_level=None, highest_diploma="lower_secondary")
    if age >= 16:
        kid.update(nutrition=None)
    record = base_household([member(1), kid])
    assert _dep(record, "child_schooling", standard) is deprived


def test_vn2022_child_at_an_unsuited_level_is_deprived():
    record = base_household([member(1), child(2, 14, school_level="preschool")])
    assert _dep(record, "child_schooling") is True
    assert _dep(record, "child_schooling", "vn-2016") is False  # vn-2016 only asks attendance


@pytest.mark.parametrize(("area_m2", "deprived"), [(23.97, True), (24.0, False)])
def test_floor_area_8_m2_per_person(area_m2, deprived):
    record = base_household([member(1), member(2), member(3)], floor_area_m2=area_m2)
    for standard in ("vn-2016", "vn-2022", "vn-2027"):
        assert _dep(record, "floor_area", standard) is deprived


@pytest.mark.parametrize(
    ("sex", "age", "deprived"),
    [
        ("male", 14, False),
        ("male", 15, True),
        ("male", 61, True),
        ("male", 62, False),
        ("female", 56, True),
        ("female", 57, False),
    ],
)
def test_employment_working_age(sex, age, deprived):
    worker = member(2, age, sex=sex, work_status="unemployed", labour_contract=None)
    assert _dep(base_household([member(1), worker]), "employment") is deprived


def test_wage_work_without_contract_is_deprived():
    record = base_household([member(1, labour_contract=False)])
    result = classify(record)
    assert result.deprivations == ["employment"]
    assert result.indicators[0].facts["members"][0]["reason"] == "wage_without_contract"


@pytest.mark.parametrize(
    ("wall", "frame", "roof", "deprived"),
    [
        ("earth", "hardwood", "tile", False),
        ("earth", "softwood_bamboo", "tile", True),
        ("concrete_brick", "none_other", "thatch_leaves", True),
    ],
)
def test_housing_two_of_three_parts_non_durable(wall, frame, roof, deprived):
    record = base_household(wall_material=wall, frame_material=frame, roof_material=roof)
    assert _dep(record, "housing_quality") is deprived


def test_information_means_vn2022_and_vn2016_loudspeaker():
    only_phone = base_household(devices=["basic_phone"], hears_loudspeaker=False)
    assert _dep(only_phone, "information_means") is True
    assert _dep(base_household(devices=["smartphone"]), "information_means") is False
    assert _dep(only_phone, "information_means", "vn-2016") is True
    hears = base_household(devices=["basic_phone"], hears_loudspeaker=True)
    assert _dep(hears, "information_means", "vn-2016") is False


def test_telecom_vn2022_internet_vn2016_subscription_or_internet():
    offline = [member(1, uses_internet=False), member(2, uses_internet=False)]
    record = base_household(offline)
    assert _dep(record, "telecom") is True
    assert _dep(record, "telecom", "vn-2016") is False  # they have phone subscriptions


def test_vn2027_waste_treatment_and_no_means_of_information():
    record = base_household(waste_treatment="discarded", devices=[])
    result = classify(record, "vn-2027")
    assert result.deprivations == ["waste_treatment"]
    assert "information_means" not in [i.id for i in result.indicators]


# -- field mode (Phiếu B) cut-offs -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("standard", "area", "b1", "d", "expected"),
    [
        ("vn-2022", "rural", 140, 3, "poor"),
        ("vn-2022", "rural", 140, 2, "near_poor"),
        ("vn-2022", "rural", 141, 4, "not_poor"),
        ("vn-2022", "urban", 175, 3, "poor"),
        ("vn-2022", "urban", 175, 2, "near_poor"),
        ("vn-2022", "urban", 176, 4, "not_poor"),
        ("vn-2016", "rural", 120, 0, "poor"),
        ("vn-2016", "rural", 121, 3, "poor"),
        ("vn-2016", "rural", 121, 2, "near_poor"),
        ("vn-2016", "rural", 150, 2, "near_poor"),
        ("vn-2016", "rural", 151, 4, "not_poor"),
        ("vn-2016", "urban", 140, 0, "poor"),
        ("vn-2016", "urban", 141, 3, "poor"),
        ("vn-2016", "urban", 141, 2, "near_poor"),
        ("vn-2016", "urban", 175, 0, "near_poor"),
        ("vn-2016", "urban", 176, 4, "not_poor"),
    ],
)
def test_field_score_cutoffs(standard, area, b1, d, expected):
    record = with_deprivations(base_household(area=area, income_pc=99_000_000), d)
    result = classify(record, standard, mode="field", scorecard=fixed_b1(b1))
    assert result.field_score["b1"] == b1
    assert result.field_score["b2"] == 10 * d  # B2 = 10 points per deprivation: 20 vs 30
    assert result.classification == expected


def test_field_mode_above_cutoff_uses_actual_income_for_the_average_band():
    record = base_household(income_pc=2_000_000)
    result = classify(record, "vn-2022", mode="field", scorecard=fixed_b1(141))
    assert (result.classification, result.rule) == (
        "average",
        "field_b1_above_cutoff_income_at_or_below_average_line",
    )


def test_vn2027_field_mode_refuses_until_the_province_supplies_cutoffs():
    with pytest.raises(IncompleteStandard) as info:
        classify(base_household(), "vn-2027", mode="field", scorecard=fixed_b1(100))
    assert "province must supply" in info.value.message_en
    assert "tỉnh phải cung cấp" in info.value.message_vi


# -- flags in every output -----------------------------------------------------------------------------
def test_vn2027_outputs_are_flagged_provisional():
    result = classify(base_household(), "vn-2027").to_dict()
    assert result["provisional"] is True
    assert result["explanation"]["en"].startswith("[PROVISIONAL")
    assert result["explanation"]["vi"].startswith("[TẠM THỜI")
    assert classify(base_household(), "vn-2022").to_dict()["provisional"] is False


def test_example_scorecard_is_flagged_in_every_field_result():
    from scoring import EXAMPLE_SCORECARD

    record = base_household()
    record["income"]["scorecard"] = {
        "electricity_kwh": 50,
        "fridge": True,
        "motorbikes": 1,
        "cattle": 0,
    }
    result = classify(record, mode="field", scorecard=EXAMPLE_SCORECARD).to_dict()
    assert result["field_score"]["scorecard"]["example"] is True
    assert "EXAMPLE" in result["explanation"]["en"] and "VÍ DỤ" in result["explanation"]["vi"]
    assert "EXAMPLE" in EXAMPLE_SCORECARD.title


@pytest.mark.parametrize(("age", "deprived"), [(15, True), (16, False)])
def test_nutrition_counts_children_under_16(age, deprived):
    kid = child(2, age, nutrition="stunted")
    assert _dep(base_household([member(1), kid]), "nutrition") is deprived


def test_loaded_standards_are_read_only():
    from scoring import load_standard

    std = load_standard("vn-2022")
    with pytest.raises(TypeError):
        std.indicators[7].params["min_m2_per_person"] = 1.0  # type: ignore[index]
    with pytest.raises(TypeError):
        std.lines["rural"]["poor"] = 1  # type: ignore[index]


@settings(max_examples=150, deadline=None)
@given(record=households())
def test_single_line_law_holds_for_any_household(record):
    """vn-2022 / vn-2027: poor ⇔ y ≤ line and D ≥ 3; above the line never poor or near-poor."""
    for standard in ("vn-2022", "vn-2027"):
        try:
            result = classify(record, standard)
        except ScoringError as exc:
            assert exc.code == "income_missing"  # the only reason a valid record cannot be scored
            return
        y, line = result.income["per_capita_month"], result.income["line"]
        if y > line:
            assert result.classification in ("average", "not_poor")
        else:
            expected = "poor" if result.deprivation_count >= 3 else "near_poor"
            assert result.classification == expected
