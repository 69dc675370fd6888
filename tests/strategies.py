"""Household builders and hypothesis strategies for the scoring and tables tests.

``base_household`` is a household deprived in nothing under every shipped standard, with a
comfortable income; tests change one thing at a time. ``households()`` draws random *valid*
canonical records (docs/household-record.md), biased towards the legal boundaries: incomes
exactly at the lines, floor area exactly 8 m² per person, ages at every limit.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

from scoring import vocab

SURVEY_YEAR = 2026

# Draw from the record's own vocabulary (the questionnaire), except where a test wants a subset:
# the head is placed explicitly, and a few ethnicities are enough.
MEMBER_CHOICES = {
    **{name: list(values) for name, values in vocab.MEMBER_CHOICES.items()},
    "relation": [r for r in vocab.MEMBER_CHOICES["relation"] if r != "head"],
    "ethnicity": ["kinh", "tay", "thai", "muong", "hmong", "other"],
}
DWELLING_CHOICES = {
    name: list(values) for name, values in vocab.DWELLING_CHOICES.items() if name != "devices"
}
DEVICES = list(vocab.DWELLING_CHOICES["devices"])
SOURCES = list(vocab.INCOME_SOURCES)
# Hà Tĩnh communes whose kind decides each area: Phường Thành Sen (urban), Xã Hương Khê (rural).
COMMUNE_OF_AREA = {"urban": "18073", "rural": "18496"}
# per-person monthly lines of every shipped standard: incomes are drawn at, just above and
# just below them
LINES = [
    700_000,
    900_000,
    1_000_000,
    1_300_000,
    1_500_000,
    1_950_000,
    2_000_000,
    2_200_000,
    2_250_000,
    2_800_000,
    3_000_000,
]


def member(no: int = 1, age: int = 40, **changes: Any) -> dict[str, Any]:
    """A working adult deprived in nothing; ``age`` sets birth_year for SURVEY_YEAR."""
    m = {
        "member_no": no,
        "name": f"Người {no}",
        "relation": "head" if no == 1 else "other",
        "sex": "male",
        "birth_year": SURVEY_YEAR - age,
        "ethnicity": "kinh",
        "disability": "none",
        "in_school": False,
        "school_level": None,
        "highest_diploma": "upper_secondary",
        "vocational_certificate": False,
        "work_status": "wage_worker",
        "labour_contract": True,
        "health_insurance": True,
        "sick_no_care": False,
        "nutrition": None,
        "uses_internet": True,
        "mobile_subscription": True,
        "social_allowance": False,
    }
    m.update(changes)
    return m


def child(no: int, age: int, **changes: Any) -> dict[str, Any]:
    """A child in school at an age-suited level, insured and well nourished."""
    level = "preschool" if age < 6 else "primary" if age < 11 else "lower_secondary"
    base = dict(
        relation="child",
        in_school=age >= 3,
        school_level=level if age >= 3 else None,
        highest_diploma="none",
        work_status="child",
        labour_contract=None,
        nutrition="normal",
        uses_internet=False,
        mobile_subscription=False,
    )
    base.update(changes)
    return member(no, age, **base)


def base_household(
    members: list[dict] | None = None,
    *,
    area: str = "rural",
    income_pc: int | None = 5_000_000,
    **dwelling: Any,
) -> dict[str, Any]:
    """A household deprived in nothing; ``income_pc`` sets wages so income/person/month is exact."""
    members = (
        copy.deepcopy(members) if members is not None else [member(1), member(2, 38, sex="female")]
    )
    d = {
        "wall_material": "concrete_brick",
        "frame_material": "reinforced_concrete",
        "roof_material": "tile",
        "floor_area_m2": 100.0,
        "water_source": "piped",
        "latrine": "septic",
        "devices": ["tv", "smartphone"],
        "hears_loudspeaker": True,
        "waste_treatment": "collected",
        "electricity": True,
        "cooking_fuel": "electricity_gas",
    }
    d.update(dwelling)
    record = {
        "form_id": "povcensus_household",
        "form_version": "2026.1",
        "household_id": "18496-thon-1-0001",
        "province_code": "42",
        "commune_code": COMMUNE_OF_AREA[area],  # the commune decides the area
        "village": "Thôn 1",
        "area": area,
        "head_name": "Người 1",
        "address": "Thôn 1",
        "enumerator": "rsv-1",
        "survey_date": f"{SURVEY_YEAR}-10-05",
        "members": members,
        "dwelling": d,
    }
    if income_pc is not None:
        record["income"] = {"sources_12m": {s: 0 for s in SOURCES}}
        record["income"]["sources_12m"]["wages"] = income_pc * 12 * len(members)
    return record


def with_deprivations(record: dict[str, Any], n: int) -> dict[str, Any]:
    """Make the household deprived in the first ``n`` of a fixed list of dwelling indicators
    shared by vn-2016, vn-2022 and vn-2027 (water, latrine, housing quality, floor area)."""
    steps = [
        ("water_source", "surface_water"),
        ("latrine", "none"),
        ("housing", None),
        ("floor_area_m2", None),
    ]
    d = record["dwelling"]
    for key, value in steps[:n]:
        if key == "housing":
            d.update(wall_material="earth", frame_material="softwood_bamboo")
        elif key == "floor_area_m2":
            d["floor_area_m2"] = 7.0 * len(record["members"])
        else:
            d[key] = value
    return record


def fixed_b1(b1: float) -> dict:
    """A scorecard whose B1 is exactly ``b1`` for every household (base points, one 0 item)."""
    table = {"household_size": [{"min": 0, "points": 0}]}
    return {
        "id": "test-fixed",
        "title": "test",
        "example": True,
        "version": "1",
        "items": [
            {
                "id": "household_size",
                "label_vi": "x",
                "label_en": "x",
                "kind": "bands",
                "source": "household_size",
            }
        ],
        "regions": {
            "urban": {"area": "urban", "provinces": ["*"], "base": b1, "points": table},
            "rural": {"area": "rural", "provinces": ["*"], "base": b1, "points": table},
        },
    }


def damaged_copies(base: dict):
    """Copies of a nested mapping with one value replaced by junk or deleted, for every value."""
    junk = [None, "x", -1, 1.5, True, [], {}, ["x"], {"a": 1}]

    def paths(node, prefix=()):
        if prefix:
            yield prefix
        children = (
            node.items()
            if isinstance(node, dict)
            else enumerate(node)
            if isinstance(node, list)
            else ()
        )
        for k, v in children:
            yield from paths(v, (*prefix, k))

    for n, path in enumerate(paths(base)):
        for j in (n % len(junk), -1):
            data = copy.deepcopy(base)
            parent = data
            for key in path[:-1]:
                parent = parent[key]
            if j == -1:
                if isinstance(parent, dict):
                    del parent[path[-1]]
                    yield path, data
            else:
                parent[path[-1]] = junk[j]
                yield path, data


# -- hypothesis ------------------------------------------------------------------------------
# every age limit of the shipped standards, and one year either side
BOUNDARY_AGES = st.sampled_from(
    [2, 3, 4, 5, 6, 9, 10, 14, 15, 16, 17, 18, 30, 31, 40, 56, 57, 59, 60, 61, 62]
)


@st.composite
def members_st(draw, year: int) -> list[dict[str, Any]]:
    n = draw(st.integers(1, 7))
    out = []
    for i in range(n):
        age = draw(st.one_of(st.integers(0, 95), BOUNDARY_AGES, BOUNDARY_AGES))
        status = draw(st.sampled_from(MEMBER_CHOICES["work_status"]))
        in_school = draw(st.booleans())
        m = {
            "member_no": i + 1,
            "name": f"Thành viên {i + 1}",
            "relation": "head" if i == 0 else draw(st.sampled_from(MEMBER_CHOICES["relation"])),
            "sex": draw(st.sampled_from(MEMBER_CHOICES["sex"])),
            "birth_year": year - age,
            "ethnicity": draw(st.sampled_from(MEMBER_CHOICES["ethnicity"])),
            "disability": draw(st.sampled_from(MEMBER_CHOICES["disability"])),
            "in_school": in_school,
            "school_level": draw(
                st.one_of(st.none(), st.sampled_from(MEMBER_CHOICES["school_level"]))
            )
            if in_school
            else None,
            "highest_diploma": draw(st.sampled_from(MEMBER_CHOICES["highest_diploma"])),
            "vocational_certificate": draw(st.booleans()),
            "work_status": status,
            "labour_contract": draw(st.booleans()) if status == "wage_worker" else None,
            "health_insurance": draw(st.booleans()),
            "sick_no_care": draw(st.booleans()),
            "nutrition": draw(st.one_of(st.none(), st.sampled_from(MEMBER_CHOICES["nutrition"])))
            if age < 16
            else None,
            "uses_internet": draw(st.booleans()),
            "mobile_subscription": draw(st.booleans()),
            "social_allowance": draw(st.booleans()),
        }
        out.append(m)
    return out


@st.composite
def income_st(draw, n: int) -> dict[str, Any] | None:
    if draw(st.integers(0, 9)) == 0:
        return None  # no measured income (field-only household)
    sources = {s: draw(st.sampled_from([0, 0, 1_200_000, 4_320_000, 10_000_000])) for s in SOURCES}
    line = draw(st.sampled_from(LINES))
    # wages chosen so that counted income/person/month lands on, just above or below a line
    other = sum(v for s, v in sources.items() if s not in ("wages", "social_allowances"))
    target = line * 12 * n + draw(st.sampled_from([-12 * n, 0, 1, 12 * n]))
    sources["wages"] = (
        max(target - other, 0) if draw(st.booleans()) else draw(st.integers(0, 400_000_000))
    )
    return {"sources_12m": sources}


@st.composite
def scorecard_answers_st(draw) -> dict[str, Any]:
    return {
        "electricity_kwh": draw(st.sampled_from([0, 29, 30, 59, 60, 119, 120, 150, 250])),
        "fridge": draw(st.booleans()),
        "motorbikes": draw(st.integers(0, 3)),
        "cattle": draw(st.integers(0, 5)),
    }


@st.composite
def households(draw, household_id: str = "18496-thon-1-0001") -> dict[str, Any]:
    """A random valid canonical household record (Hà Tĩnh, province 42)."""
    year = draw(st.sampled_from([2021, 2025, SURVEY_YEAR, 2027]))
    area = draw(st.sampled_from(["rural", "urban"]))
    members = draw(members_st(year))
    n = len(members)
    devices = draw(st.lists(st.sampled_from(DEVICES), unique=True, max_size=4))
    area_pp = draw(st.sampled_from([7.0, 7.99, 8.0, 8.01, 12.5, 30.0]))
    dwelling = {k: draw(st.sampled_from(v)) for k, v in DWELLING_CHOICES.items()}
    dwelling.update(
        floor_area_m2=draw(
            st.one_of(st.just(round(area_pp * n, 2)), st.floats(4, 300).map(lambda x: round(x, 1)))
        ),
        devices=devices,
        hears_loudspeaker=draw(st.booleans()),
        electricity=draw(st.booleans()),
    )
    record = {
        "form_id": "povcensus_household",
        "form_version": "2026.1",
        # the id starts with its commune's code (survey_forms.schemas.HOUSEHOLD_ID_PATTERN)
        "household_id": COMMUNE_OF_AREA[area] + household_id[household_id.index("-") :],
        "province_code": "42",
        "commune_code": COMMUNE_OF_AREA[area],  # the commune decides the area
        "village": "Thôn 1",
        "area": area,
        "head_name": members[0]["name"],
        "address": "Thôn 1, xã Hương Khê",
        "enumerator": "rsv-0012",
        "survey_date": f"{year}-{draw(st.integers(1, 12)):02d}-15",
        "members": members,
        "dwelling": dwelling,
    }
    income = draw(income_st(n))
    if income is None or "sources_12m" not in income or draw(st.integers(0, 9)) > 0:
        income = income or {}
        income["scorecard"] = draw(scorecard_answers_st())  # income is required: one or both
    if "scorecard" in income and draw(st.integers(0, 19)) == 0:
        income["scorecard"].pop("fridge")  # an incomplete Phiếu B: field mode must refuse
    record["income"] = income
    return record


@st.composite
def household_lists(draw, max_size: int = 6) -> list[dict[str, Any]]:
    """Several households with distinct ids."""
    k = draw(st.integers(1, max_size))
    return [draw(households(household_id=f"18496-thon-1-{i:04d}")) for i in range(k)]
