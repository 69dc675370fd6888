"""The named indicator functions a standard file can use, each in three parts.

* ``record(hh, params) -> (deprived, facts)`` over one household (``view.HouseholdView``);
  ``facts`` say what decided it (which member, age, diploma, material …).
* ``vector(frame, params) -> bool array`` over a whole table (``frame.Frame``), the exact twin.
* ``check(params) -> list[str]`` validates the parameters the standard file gives.

The law lives in the parameters (ages, thresholds, which materials are durable …), so a new
decree is a new data file; a new *kind* of rule is a new function here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import vocab
from .errors import ScoringError
from .frame import Frame
from .view import HouseholdView, is_true

Params = Mapping[str, Any]
Facts = dict[str, Any]


@dataclass(frozen=True)
class IndicatorFunction:
    name: str
    record: Callable[[HouseholdView, Params], tuple[bool, Facts]]
    vector: Callable[[Frame, Params], np.ndarray]
    check: Callable[[Params], list[str]]
    doc: str


REGISTRY: dict[str, IndicatorFunction] = {}

_DWELLING_PARTS = {"wall": "wall_material", "frame": "frame_material", "roof": "roof_material"}
_DIPLOMAS = vocab.MEMBER_CHOICES["highest_diploma"]


# -- parameter checking helpers -------------------------------------------------------------
class _Spec:
    """Collects parameter problems for one function call of ``check``."""

    def __init__(self, params: Params, allowed: set[str]) -> None:
        self.p = params
        self.errors = [f"unknown parameter {k!r}" for k in params if k not in allowed]

    def need(self, key: str, kind: type | tuple[type, ...], *, optional: bool = False) -> Any:
        if key not in self.p:
            if not optional:
                self.errors.append(f"missing parameter {key!r}")
            return None
        value = self.p[key]
        if isinstance(value, bool) and kind in (int, float, (int, float)):
            self.errors.append(f"parameter {key!r} must be a number")
            return None
        if not isinstance(value, kind):
            self.errors.append(f"parameter {key!r} has the wrong type ({type(value).__name__})")
            return None
        if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
            self.errors.append(f"parameter {key!r} must not be negative")
        return value

    def choices(self, key: str, allowed: tuple[str, ...], *, optional: bool = False) -> None:
        values = self.need(key, list, optional=optional)
        self.check_list(key, values, allowed)

    def check_list(self, key: str, values: Any, allowed: tuple[str, ...]) -> None:
        if values is None:
            return
        if not isinstance(values, list):
            self.errors.append(f"parameter {key!r} must be a list")
            return
        for v in values:
            if v not in allowed:
                self.errors.append(f"parameter {key!r}: {v!r} is not one of {', '.join(allowed)}")

    def field(self, key: str, fields: tuple[str, ...]) -> str | None:
        value = self.need(key, str)
        if value is not None and value not in fields:
            self.errors.append(f"parameter {key!r}: {value!r} is not one of {', '.join(fields)}")
            return None
        return value

    def age_range(self) -> None:
        lo = self.need("min_age", int, optional=True)
        hi = self.need("max_age", int, optional=True)
        if lo is not None and hi is not None and lo > hi:
            self.errors.append("min_age is greater than max_age")


def _register(name: str, doc: str):
    def wrap(cls):
        REGISTRY[name] = IndicatorFunction(name, cls.record, cls.vector, cls.check, doc)
        return cls

    return wrap


def _in_age(age: int, p: Params) -> bool:
    lo, hi = p.get("min_age"), p.get("max_age")
    return (lo is None or age >= lo) and (hi is None or age <= hi)


def _member_fact(hh: HouseholdView, i: int, **extra: Any) -> Facts:
    return {"member_no": hh.member_no(i), "age": hh.ages[i], **extra}


# -- members ----------------------------------------------------------------------------------
@_register("employment", "a working-age member is unemployed or a wage worker without contract")
class _Employment:
    @staticmethod
    def _max_age(p: Params, sex: Any) -> int:
        return p["working_age_max_female"] if sex == "female" else p["working_age_max_male"]

    @staticmethod
    def record(hh: HouseholdView, p: Params) -> tuple[bool, Facts]:
        hits, working_age = [], 0
        for i, (m, age) in enumerate(hh.iter_members()):
            if not p["working_age_min"] <= age <= _Employment._max_age(p, m.get("sex")):
                continue
            working_age += 1
            status = m.get("work_status")
            if status in p["unemployed_statuses"]:
                hits.append(_member_fact(hh, i, work_status=status, reason="unemployed"))
            elif status in p["wage_statuses"] and not is_true(m.get("labour_contract")):
                hits.append(
                    _member_fact(
                        hh,
                        i,
                        work_status=status,
                        labour_contract=m.get("labour_contract"),
                        reason="wage_without_contract",
                    )
                )
        return bool(hits), {"members": hits, "working_age_members": working_age}

    @staticmethod
    def vector(f: Frame, p: Params) -> np.ndarray:
        female = f.m_in("sex", ["female"])
        hi = np.where(
            female, np.int16(p["working_age_max_female"]), np.int16(p["working_age_max_male"])
        )
        in_age = (f.age >= p["working_age_min"]) & (f.age <= hi)
        unemployed = f.m_in("work_status", p["unemployed_statuses"])
        no_contract = f.m_in("work_status", p["wage_statuses"]) & ~f.m_true("labour_contract")
        return f.any(in_age & (unemployed | no_contract))

    @staticmethod
    def check(p: Params) -> list[str]:
        s = _Spec(
            p,
            {
                "working_age_min",
                "working_age_max_male",
                "working_age_max_female",
                "unemployed_statuses",
                "wage_statuses",
            },
        )
        for key in ("working_age_min", "working_age_max_male", "working_age_max_female"):
            s.need(key, int)
        s.choices("unemployed_statuses", vocab.MEMBER_CHOICES["work_status"])
        s.choices("wage_statuses", vocab.MEMBER_CHOICES["work_status"])
        return s.errors


@_register("dependency_ratio", "dependents (children, elderly, disabled unable to work) > share")
class _Dependents:
    @staticmethod
    def _is_dependent(p: Params, m: Mapping[str, Any], age: int) -> str | None:
        if age < p["child_under_age"]:
            return "child"
        statuses = p["elderly_work_statuses"]
        if age >= p["elderly_from_age"] and (not statuses or m.get("work_status") in statuses):
            return "elderly"
        if (
            m.get("disability") in p["disabled_levels"]
            and m.get("work_status") in p["disabled_work_statuses"]
        ):
            return "disabled_unable_to_work"
        return None

    @staticmethod
    def record(hh: HouseholdView, p: Params) -> tuple[bool, Facts]:
        deps = []
        for i, (m, age) in enumerate(hh.iter_members()):
            why = _Dependents._is_dependent(p, m, age)
            if why:
                deps.append(_member_fact(hh, i, reason=why))
        share = len(deps) / hh.n
        facts = {"dependents": deps, "members": hh.n, "share": share, "max_share": p["max_share"]}
        return share > p["max_share"], facts

    @staticmethod
    def vector(f: Frame, p: Params) -> np.ndarray:
        dep = f.age < p["child_under_age"]
        elderly = f.age >= p["elderly_from_age"]
        if p["elderly_work_statuses"]:
            elderly &= f.m_in("work_status", p["elderly_work_statuses"])
        disabled = f.m_in("disability", p["disabled_levels"]) & f.m_in(
            "work_status", p["disabled_work_statuses"]
        )
        share = f.count(dep | elderly | disabled) / f.n
        return share > p["max_share"]

    @staticmethod
    def check(p: Params) -> list[str]:
        s = _Spec(
            p,
            {
                "child_under_age",
                "elderly_from_age",
                "elderly_work_statuses",
                "disabled_levels",
                "disabled_work_statuses",
                "max_share",
            },
        )
        s.need("child_under_age", int)
        s.need("elderly_from_age", int)
        s.choices("elderly_work_statuses", vocab.MEMBER_CHOICES["work_status"])
        s.choices("disabled_levels", vocab.MEMBER_CHOICES["disability"])
        s.choices("disabled_work_statuses", vocab.MEMBER_CHOICES["work_status"])
        share = s.need("max_share", (int, float))
        if share is not None and not 0 <= share <= 1:
            s.errors.append("max_share must be between 0 and 1")
        return s.errors


@_register("any_member_in", "a member (in an age range) has one of the listed values of a field")
class _AnyMemberIn:
    @staticmethod
    def record(hh: HouseholdView, p: Params) -> tuple[bool, Facts]:
        field, values = p["field"], set(p["values"])
        hits = [
            _member_fact(hh, i, **{field: m.get(field)})
            for i, (m, age) in enumerate(hh.iter_members())
            if _in_age(age, p) and m.get(field) in values
        ]
        return bool(hits), {"members": hits}

    @staticmethod
    def vector(f: Frame, p: Params) -> np.ndarray:
        mask = f.m_in(p["field"], p["values"]) & f.age_between(p.get("min_age"), p.get("max_age"))
        return f.any(mask)

    @staticmethod
    def check(p: Params) -> list[str]:
        s = _Spec(p, {"field", "values", "min_age", "max_age"})
        field = s.field("field", tuple(vocab.MEMBER_CHOICES))
        if field:
            s.choices("values", vocab.MEMBER_CHOICES[field])
        s.age_range()
        return s.errors


@_register(
    "any_member_flag", "a member (in an age range) has a yes/no answer equal to deprived_when"
)
class _AnyMemberFlag:
    @staticmethod
    def record(hh: HouseholdView, p: Params) -> tuple[bool, Facts]:
        field, when = p["field"], p["deprived_when"]
        hits = [
            _member_fact(hh, i, **{field: m.get(field)})
            for i, (m, age) in enumerate(hh.iter_members())
            if _in_age(age, p) and is_true(m.get(field)) == when
        ]
        return bool(hits), {"members": hits}

    @staticmethod
    def vector(f: Frame, p: Params) -> np.ndarray:
        flag = f.m_true(p["field"])
        if not p["deprived_when"]:
            flag = ~flag
        return f.any(flag & f.age_between(p.get("min_age"), p.get("max_age")))

    @staticmethod
    def check(p: Params) -> list[str]:
        s = _Spec(p, {"field", "deprived_when", "min_age", "max_age"})
        s.field("field", vocab.MEMBER_BOOLS)
        s.need("deprived_when", bool)
        s.age_range()
        return s.errors


@_register("no_member_flag", "no member answers yes to any of the listed fields")
class _NoMemberFlag:
    @staticmethod
    def record(hh: HouseholdView, p: Params) -> tuple[bool, Facts]:
        with_flag = [
            hh.member_no(i)
            for i, (m, _age) in enumerate(hh.iter_members())
            if any(is_true(m.get(k)) for k in p["fields"])
        ]
        return not with_flag, {"members_with": with_flag, "fields": list(p["fields"])}

    @staticmethod
    def vector(f: Frame, p: Params) -> np.ndarray:
        mask = np.zeros(len(f.age), dtype=bool)
        for k in p["fields"]:
            mask |= f.m_true(k)
        return ~f.any(mask)

    @staticmethod
    def check(p: Params) -> list[str]:
        s = _Spec(p, {"fields"})
        fields = s.need("fields", list)
        if fields is not None and not fields:
            s.errors.append("parameter 'fields' must not be empty")
        s.check_list("fields", fields, vocab.MEMBER_BOOLS)
        return s.errors


@_register("adult_education", "a member in an age band lacks the diploma that band requires")
class _AdultEducation:
    @staticmethod
    def _band(p: Params, m: Mapping[str, Any], age: int) -> Mapping[str, Any] | None:
        for band in p["bands"]:
            born_from = band.get("born_from_year")
            if _in_age(age, band) and (born_from is None or int(m["birth_year"]) >= born_from):
                return band
        return None

    @staticmethod
    def record(hh: HouseholdView, p: Params) -> tuple[bool, Facts]:
        hits = []
        for i, (m, age) in enumerate(hh.iter_members()):
            band = _AdultEducation._band(p, m, age)
            if band is None or (p["exempt_in_school"] and is_true(m.get("in_school"))):
                continue
            has_voc = band["vocational_certificate_counts"] and is_true(
                m.get("vocational_certificate")
            )
            if m.get("highest_diploma") not in band["accepted_diplomas"] and not has_voc:
                hits.append(
                    _member_fact(
                        hh,
                        i,
                        highest_diploma=m.get("highest_diploma"),
                        vocational_certificate=m.get("vocational_certificate"),
                        in_school=m.get("in_school"),
                        required=list(band["accepted_diplomas"]),
                    )
                )
        return bool(hits), {"members": hits}

    @staticmethod
    def vector(f: Frame, p: Params) -> np.ndarray:
        decided = np.zeros(len(f.age), dtype=bool)  # member already matched an earlier band
        deprived = np.zeros(len(f.age), dtype=bool)
        birth = f.members["birth_year"].to_numpy().astype(np.int64)
        for band in p["bands"]:
            in_band = f.age_between(band.get("min_age"), band.get("max_age")) & ~decided
            if band.get("born_from_year") is not None:
                in_band &= birth >= band["born_from_year"]
            ok = f.m_in("highest_diploma", band["accepted_diplomas"])
            if band["vocational_certificate_counts"]:
                ok |= f.m_true("vocational_certificate")
            deprived |= in_band & ~ok
            decided |= in_band
        if p["exempt_in_school"]:
            deprived &= ~f.m_true("in_school")
        return f.any(deprived)

    @staticmethod
    def check(p: Params) -> list[str]:
        s = _Spec(p, {"bands", "exempt_in_school"})
        s.need("exempt_in_school", bool)
        bands = s.need("bands", list)
        for j, band in enumerate(bands or []):
            if not isinstance(band, Mapping):
                s.errors.append(f"bands[{j}] must be a table")
                continue
            b = _Spec(
                band,
                {
                    "min_age",
                    "max_age",
                    "born_from_year",
                    "accepted_diplomas",
                    "vocational_certificate_counts",
                },
            )
            b.age_range()
            b.need("born_from_year", int, optional=True)
            b.choices("accepted_diplomas", _DIPLOMAS)
            b.need("vocational_certificate_counts", bool)
            s.errors += [f"bands[{j}]: {e}" for e in b.errors]
        return s.errors


@_register("child_schooling", "a child in the age range is not in school, or not at a suited level")
class _ChildSchooling:
    @staticmethod
    def _levels(p: Params, age: int) -> list[str] | None:
        for band in p.get("bands") or []:
            if _in_age(age, band):
                return band["levels"]
        return None

    @staticmethod
    def record(hh: HouseholdView, p: Params) -> tuple[bool, Facts]:
        hits = []
        for i, (m, age) in enumerate(hh.iter_members()):
            if not _in_age(age, p):
                continue
            level = m.get("school_level")
            if not is_true(m.get("in_school")):
                hits.append(
                    _member_fact(hh, i, in_school=m.get("in_school"), reason="not_in_school")
                )
                continue
            suited = _ChildSchooling._levels(p, age)
            if suited is not None and level is not None and level not in suited:
                hits.append(
                    _member_fact(
                        hh,
                        i,
                        school_level=level,
                        suited_levels=list(suited),
                        reason="level_not_suited",
                    )
                )
        return bool(hits), {"members": hits}

    @staticmethod
    def vector(f: Frame, p: Params) -> np.ndarray:
        child = f.age_between(p.get("min_age"), p.get("max_age"))
        in_school = f.m_true("in_school")
        bad = child & ~in_school
        level_known = f.m_values("school_level")[0] > 0
        decided = np.zeros(len(f.age), dtype=bool)
        for band in p.get("bands") or []:
            in_band = f.age_between(band.get("min_age"), band.get("max_age")) & ~decided
            suited = f.m_in("school_level", band["levels"])
            bad |= child & in_school & in_band & level_known & ~suited
            decided |= in_band
        return f.any(bad)

    @staticmethod
    def check(p: Params) -> list[str]:
        s = _Spec(p, {"min_age", "max_age", "bands"})
        s.age_range()
        for j, band in enumerate(s.need("bands", list, optional=True) or []):
            if not isinstance(band, Mapping):
                s.errors.append(f"bands[{j}] must be a table")
                continue
            b = _Spec(band, {"min_age", "max_age", "levels"})
            b.age_range()
            b.choices("levels", vocab.MEMBER_CHOICES["school_level"])
            s.errors += [f"bands[{j}]: {e}" for e in b.errors]
        return s.errors


@_register("no_member_diploma", "no member of at least min_age holds an accepted diploma")
class _NoMemberDiploma:
    @staticmethod
    def record(hh: HouseholdView, p: Params) -> tuple[bool, Facts]:
        holders = [
            hh.member_no(i)
            for i, (m, age) in enumerate(hh.iter_members())
            if age >= p["min_age"] and m.get("highest_diploma") in p["accepted_diplomas"]
        ]
        return not holders, {"members_with": holders}

    @staticmethod
    def vector(f: Frame, p: Params) -> np.ndarray:
        mask = (f.age >= p["min_age"]) & f.m_in("highest_diploma", p["accepted_diplomas"])
        return ~f.any(mask)

    @staticmethod
    def check(p: Params) -> list[str]:
        s = _Spec(p, {"min_age", "accepted_diplomas"})
        s.need("min_age", int)
        s.choices("accepted_diplomas", _DIPLOMAS)
        return s.errors


# -- dwelling ---------------------------------------------------------------------------------
@_register("housing_materials", "at least min_non_durable of the main parts are non-durable")
class _Housing:
    @staticmethod
    def record(hh: HouseholdView, p: Params) -> tuple[bool, Facts]:
        materials = {part: hh.dwelling.get(_DWELLING_PARTS[part]) for part in p["durable"]}
        weak = [part for part, v in materials.items() if v not in p["durable"][part]]
        return len(weak) >= p["min_non_durable"], {"materials": materials, "non_durable": weak}

    @staticmethod
    def vector(f: Frame, p: Params) -> np.ndarray:
        weak = np.zeros(f.H, dtype=np.int64)
        for part, durable in p["durable"].items():
            ok = set(durable)
            weak += ~f.d_map(_DWELLING_PARTS[part], lambda v, ok=ok: v is not None and v in ok)
        return weak >= p["min_non_durable"]

    @staticmethod
    def check(p: Params) -> list[str]:
        s = _Spec(p, {"min_non_durable", "durable"})
        n = s.need("min_non_durable", int)
        durable = s.need("durable", Mapping)
        for part, values in (durable or {}).items():
            if part not in _DWELLING_PARTS:
                s.errors.append(f"durable: unknown part {part!r} (wall, frame, roof)")
                continue
            s.check_list(f"durable.{part}", values, vocab.DWELLING_CHOICES[_DWELLING_PARTS[part]])
        if durable is not None and n is not None and not 1 <= n <= len(durable):
            s.errors.append("min_non_durable must be between 1 and the number of parts")
        return s.errors


@_register("floor_area_per_person", "living floor area per person below a minimum")
class _FloorArea:
    @staticmethod
    def record(hh: HouseholdView, p: Params) -> tuple[bool, Facts]:
        area = hh.dwelling.get("floor_area_m2")
        if area is None:
            raise ScoringError(
                "floor_area_m2_missing",
                "Thiếu diện tích nhà ở",
                "Floor area missing",
                household_id=hh.household_id,
            )
        per_person = float(area) / hh.n
        facts = {
            "floor_area_m2": area,
            "members": hh.n,
            "m2_per_person": per_person,
            "min_m2_per_person": p["min_m2_per_person"],
        }
        return per_person < p["min_m2_per_person"], facts

    @staticmethod
    def vector(f: Frame, p: Params) -> np.ndarray:
        return f.d_number("floor_area_m2") / f.n < p["min_m2_per_person"]

    @staticmethod
    def check(p: Params) -> list[str]:
        s = _Spec(p, {"min_m2_per_person"})
        s.need("min_m2_per_person", (int, float))
        return s.errors


@_register("dwelling_in", "a dwelling answer is not among the accepted values")
class _DwellingIn:
    @staticmethod
    def record(hh: HouseholdView, p: Params) -> tuple[bool, Facts]:
        value = hh.dwelling.get(p["field"])
        return value not in p["accepted"], {p["field"]: value}

    @staticmethod
    def vector(f: Frame, p: Params) -> np.ndarray:
        ok = set(p["accepted"])
        return ~f.d_map(p["field"], lambda v: v is not None and v in ok)

    @staticmethod
    def check(p: Params) -> list[str]:
        s = _Spec(p, {"field", "accepted"})
        fields = tuple(k for k in vocab.DWELLING_CHOICES if k != "devices")
        field = s.field("field", fields)
        if field:
            s.choices("accepted", vocab.DWELLING_CHOICES[field])
        return s.errors


@_register("dwelling_flag", "a dwelling yes/no answer equals deprived_when")
class _DwellingFlag:
    @staticmethod
    def record(hh: HouseholdView, p: Params) -> tuple[bool, Facts]:
        value = hh.dwelling.get(p["field"])
        return is_true(value) == p["deprived_when"], {p["field"]: value}

    @staticmethod
    def vector(f: Frame, p: Params) -> np.ndarray:
        return f.d_map(p["field"], lambda v: is_true(v) == p["deprived_when"])

    @staticmethod
    def check(p: Params) -> list[str]:
        s = _Spec(p, {"field", "deprived_when"})
        s.field("field", vocab.DWELLING_BOOLS)
        s.need("deprived_when", bool)
        return s.errors


def devices_of(value: Any) -> list[str]:
    """Devices as a list, from the record's list or a table's space-separated string."""
    if value is None or (isinstance(value, float) and value != value):
        return []
    if isinstance(value, str):
        return value.split()
    return list(value)


@_register("devices_none", "owns none of the listed devices (unless an exemption flag is yes)")
class _DevicesNone:
    @staticmethod
    def record(hh: HouseholdView, p: Params) -> tuple[bool, Facts]:
        owned = [d for d in devices_of(hh.dwelling.get("devices")) if d in p["devices"]]
        exempt_field = p.get("exempt_if")
        exempt = bool(exempt_field) and is_true(hh.dwelling.get(exempt_field))
        facts: Facts = {"owned": owned}
        if exempt_field:
            facts[exempt_field] = hh.dwelling.get(exempt_field)
        return not owned and not exempt, facts

    @staticmethod
    def vector(f: Frame, p: Params) -> np.ndarray:
        wanted = set(p["devices"])
        none = f.d_map("devices", lambda v: not wanted.intersection(devices_of(v)))
        if p.get("exempt_if"):
            none &= ~f.d_map(p["exempt_if"], is_true)
        return none

    @staticmethod
    def check(p: Params) -> list[str]:
        s = _Spec(p, {"devices", "exempt_if"})
        s.choices("devices", vocab.DWELLING_CHOICES["devices"])
        if "exempt_if" in p:
            s.field("exempt_if", vocab.DWELLING_BOOLS)
        return s.errors


@_register("asset_count", "owns at most max_owned_deprived of the asset groups")
class _AssetCount:
    @staticmethod
    def _owned(p: Params, devices: Any) -> list[str]:
        have = set(devices_of(devices))
        return [g for g, members in p["groups"].items() if have.intersection(members)]

    @staticmethod
    def record(hh: HouseholdView, p: Params) -> tuple[bool, Facts]:
        owned = _AssetCount._owned(p, hh.dwelling.get("devices"))
        return len(owned) <= p["max_owned_deprived"], {"owned_groups": owned}

    @staticmethod
    def vector(f: Frame, p: Params) -> np.ndarray:
        return f.d_map(
            "devices", lambda v: len(_AssetCount._owned(p, v)) <= p["max_owned_deprived"]
        )

    @staticmethod
    def check(p: Params) -> list[str]:
        s = _Spec(p, {"groups", "max_owned_deprived"})
        s.need("max_owned_deprived", int)
        for g, members in (s.need("groups", Mapping) or {}).items():
            s.check_list(f"groups.{g}", members, vocab.DWELLING_CHOICES["devices"])
        return s.errors


@_register("not_collected", "the record does not carry this indicator: never deprived")
class _NotCollected:
    @staticmethod
    def record(hh: HouseholdView, p: Params) -> tuple[bool, Facts]:
        return False, {"collected": False}

    @staticmethod
    def vector(f: Frame, p: Params) -> np.ndarray:
        return np.zeros(f.H, dtype=bool)

    @staticmethod
    def check(p: Params) -> list[str]:
        return _Spec(p, set()).errors
