"""Two years of the same synthetic households for `povcensus demo`.

Last year's census comes from `survey_forms.synth.synth_households` (the domain core's
generator, calibrated to Hà Tĩnh's end-2024 rates), dated back one year; when that module is
not installed, from `census` below, a plain stand-in (per-capita income log-normal around a
commune level, deprivations likelier in low-income households). This year's answers of the same
households are then made by `next_year` (incomes move, some houses improve, everyone is a year
older) plus a few new households, so the movement tables have exits and new entries. Records
follow docs/household-record.md and are validated by the demo on a sample.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from typing import Any

FORM = {"form_id": "povcensus_household", "form_version": "2026.1"}
SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Phan", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ")
MIDDLE = {"male": ("Văn", "Đình", "Hữu", "Quang"), "female": ("Thị", "Ngọc", "Thu", "Kim")}
GIVEN = ("An", "Bình", "Cúc", "Dũng", "Hà", "Hải", "Hoa", "Hùng", "Lan", "Minh", "Nam", "Tâm")
VILLAGES = 6  # thôn per commune in the demo
MINORITY_COMMUNE_SHARE = 0.08  # communes where some heads are of an ethnic minority


def _name(rng: random.Random, sex: str, surname: str | None = None) -> str:
    return f"{surname or rng.choice(SURNAMES)} {rng.choice(MIDDLE[sex])} {rng.choice(GIVEN)}"


def _member(rng: random.Random, no: int, relation: str, sex: str, birth: int, year: int, **kw):
    age = year - birth
    in_school = 3 <= age < 18 and rng.random() < kw.get("school_p", 0.93)
    return {
        "member_no": no,
        "name": kw.get("name") or _name(rng, sex),
        "relation": relation,
        "sex": sex,
        "birth_year": birth,
        "ethnicity": kw.get("ethnicity", "kinh"),
        "disability": "severe" if rng.random() < 0.03 else "none",
        "in_school": in_school,
        "school_level": _level(age) if in_school else None,
        "highest_diploma": _diploma(rng, age, kw.get("poor", 0.0)),
        "vocational_certificate": age >= 18 and rng.random() < 0.2,
        "work_status": _work(rng, age, in_school),
        "labour_contract": None,
        "health_insurance": rng.random() > 0.06 + 0.2 * kw.get("poor", 0.0),
        "sick_no_care": rng.random() < 0.03,
        "nutrition": ("stunted" if rng.random() < 0.05 else "normal") if age < 16 else None,
        "uses_internet": age >= 12 and rng.random() > 0.25 + 0.4 * kw.get("poor", 0.0),
        "mobile_subscription": age >= 15 and rng.random() > 0.2,
        "social_allowance": age >= 80,
    }


def _level(age: int) -> str:
    return (
        "preschool"
        if age < 6
        else "primary"
        if age < 11
        else "lower_secondary"
        if age < 15
        else "upper_secondary"
    )


def _diploma(rng: random.Random, age: int, poverty: float) -> str:
    if age < 11:
        return "none"
    if age < 15:
        return "primary"
    if age < 18:
        return "lower_secondary"
    draw = rng.random() + 0.3 * poverty
    return "upper_secondary" if draw < 0.55 else "lower_secondary" if draw < 0.85 else "primary"


def _work(rng: random.Random, age: int, in_school: bool) -> str:
    if age < 15:
        return "child"
    if in_school:
        return "student"
    if age >= 65:
        return "retired" if rng.random() < 0.5 else "unable_to_work"
    return rng.choice(("farmer", "farmer", "wage_worker", "self_employed", "homemaker"))


def _household(rng: random.Random, commune: str, level: float, number: int, year: int, eth: str):
    """One household record of `year`; `level` is the commune's median income factor."""
    village = 1 + number % VILLAGES
    income_pc = math.exp(rng.gauss(math.log(4_300_000 * level), 0.62))
    poverty = max(0.0, min(1.0, (2_500_000 - income_pc) / 2_000_000))  # 0 rich … 1 very poor
    surname, sex_head = rng.choice(SURNAMES), "male" if rng.random() < 0.8 else "female"
    head_birth = rng.randint(1950, 1995)
    members = [
        _member(
            rng,
            1,
            "head",
            sex_head,
            head_birth,
            year,
            name=_name(rng, sex_head, surname),
            ethnicity=eth,
            poor=poverty,
        )
    ]
    if rng.random() < 0.85:
        sex = "female" if sex_head == "male" else "male"
        members.append(
            _member(
                rng,
                2,
                "spouse",
                sex,
                head_birth + rng.randint(-3, 5),
                year,
                ethnicity=eth,
                poor=poverty,
            )
        )
    for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
        birth = min(year - 1, head_birth + rng.randint(20, 38))
        members.append(
            _member(
                rng,
                len(members) + 1,
                "child",
                rng.choice(("male", "female")),
                birth,
                year,
                ethnicity=eth,
                poor=poverty,
                school_p=0.97 - 0.2 * poverty,
            )
        )
    for member in members:
        if member["work_status"] == "wage_worker":
            member["labour_contract"] = rng.random() > 0.3 + 0.4 * poverty
    yearly = income_pc * 12 * len(members)
    wages = round(yearly * rng.uniform(0.2, 0.7), -3)
    return {
        **FORM,
        "household_id": f"{commune}-thon-{village}-{number:04d}",
        "province_code": "42",
        "commune_code": commune,
        "village": f"Thôn {village}",
        "area": _area(commune, level),
        "head_name": members[0]["name"],
        "address": f"Thôn {village}",
        "enumerator": f"rsv-{commune}",
        "survey_date": f"{year}-{rng.randint(9, 10):02d}-{rng.randint(1, 28):02d}",
        "members": members,
        "dwelling": _dwelling(rng, poverty, len(members)),
        "income": {
            "sources_12m": {
                "wages": wages,
                "agriculture": round(yearly - wages, -3),
                "business": 0,
                "pensions": 0,
                "social_allowances": 0,
                "remittances": 0,
                "other": 0,
            }
        },
    }


def _area(commune: str, level: float) -> str:
    """The commune's kind decides (phường urban, xã rural); the level only for unknown codes."""
    from survey_forms.communes import commune_area

    return commune_area(commune) or ("urban" if level > 1.15 else "rural")


def _dwelling(rng: random.Random, poverty: float, size: int) -> dict[str, Any]:
    weak = rng.random() < 0.05 + 0.5 * poverty
    return {
        "wall_material": "earth" if weak else "concrete_brick",
        "frame_material": "softwood_bamboo" if weak else "reinforced_concrete",
        "roof_material": "thatch_leaves" if weak and rng.random() < 0.5 else "tile",
        "floor_area_m2": round(max(6.0, rng.gauss(16 - 8 * poverty, 5)) * size, 1),
        "water_source": "unprotected_dug_well" if rng.random() < 0.05 + 0.4 * poverty else "piped",
        "latrine": "simple_pit" if rng.random() < 0.08 + 0.5 * poverty else "septic",
        "devices": ["smartphone", "tv"] if rng.random() > 0.1 + 0.4 * poverty else ["basic_phone"],
        "hears_loudspeaker": True,
        "waste_treatment": "collected" if rng.random() > 0.3 + 0.3 * poverty else "discarded",
        "electricity": True,
        "cooking_fuel": "wood_straw_dung"
        if rng.random() < 0.2 + 0.5 * poverty
        else "electricity_gas",
    }


def commune_levels(codes: Sequence[str], *, seed: int) -> dict[str, float]:
    """A median-income factor per commune (a few poorer mountain communes, some richer wards)."""
    rng = random.Random(seed)
    return {code: math.exp(rng.gauss(0.0, 0.28)) for code in codes}


def census(codes: Sequence[str], n: int, *, seed: int, year: int) -> Iterator[dict[str, Any]]:
    """`n` households spread over the communes `codes`, deterministic per seed."""
    rng = random.Random(seed)
    levels = commune_levels(codes, seed=seed)
    minority = set(rng.sample(list(codes), max(1, round(len(codes) * MINORITY_COMMUNE_SHARE))))
    for number in range(n):
        commune = codes[number % len(codes)]
        eth = "kinh"
        if commune in minority and rng.random() < 0.4:
            eth = rng.choice(("chut", "muong", "thai", "other"))
        yield _household(rng, commune, levels[commune], number // len(codes) + 1, year, eth)


def next_year(record: dict[str, Any], rng: random.Random, year: int) -> dict[str, Any]:
    """The same household a year later: incomes move, a few houses improve; ages follow."""
    record = {**record, "survey_date": f"{year}-{rng.randint(9, 10):02d}-{rng.randint(1, 28):02d}"}
    factor = math.exp(rng.gauss(0.06, 0.22))
    sources = record["income"]["sources_12m"]
    record["income"] = {
        **record["income"],
        "sources_12m": {k: round(v * factor, -3) for k, v in sources.items()},
    }
    dwelling = dict(record["dwelling"])
    if dwelling["wall_material"] == "earth" and rng.random() < 0.25:  # housing support
        dwelling.update(wall_material="concrete_brick", frame_material="reinforced_concrete")
    if rng.random() < 0.1:
        dwelling["latrine"] = "septic"
    record["dwelling"] = dwelling
    record["members"] = [_older(member, year) for member in record["members"]]
    return record


def _older(member: dict[str, Any], year: int) -> dict[str, Any]:
    """Age-dependent answers a year on (nutrition is asked only under 16)."""
    age = year - member["birth_year"]
    nutrition = member["nutrition"] if age < 16 else None
    if age < 16 and nutrition is None:
        nutrition = "normal"
    return {**member, "nutrition": nutrition}


def backdate(record: dict[str, Any], year: int) -> dict[str, Any]:
    """The household as surveyed in `year` (earlier than its record): people born later are
    not there yet; the survey date moves to that year."""
    month_day = record["survey_date"][5:]
    members = [_older(m, year) for m in record["members"] if m["birth_year"] <= year]
    out = {k: v for k, v in record.items() if k != "round"}
    out.update(survey_date=f"{year}-{month_day.replace('02-29', '02-28')}", members=members)
    return out


def base_census(codes: Sequence[str], n: int, *, seed: int, year: int) -> Iterator[dict[str, Any]]:
    """`n` households of `year`: survey_forms.synth when installed, else `census`."""
    try:
        from survey_forms.synth import synth_households
    except ImportError:
        yield from census(codes, n, seed=seed, year=year)
        return
    for record in synth_households(n, seed=seed):
        yield backdate(record, year)


def two_years(
    codes: Sequence[str], n: int, *, seed: int, years: tuple[int, int], new_share: float = 0.02
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(last year's households, this year's): the same households plus a few new ones."""
    first = list(base_census(codes, n, seed=seed, year=years[0]))
    rng = random.Random(seed + 1)
    second = [next_year(record, rng, years[1]) for record in first]
    extra = max(1, round(n * new_share))
    for record in base_census(codes, extra, seed=seed + 2, year=years[0]):
        record = next_year(record, rng, years[1])
        stem, number = record["household_id"].rsplit("-", 1)
        record["household_id"] = f"{stem}-{int(number) + 9000:04d}"  # ids unused last year
        second.append(record)
    return first, second
