"""Phiếu B B1 scorecards: per-region point tables as data files, validation and scoring.

The official B1 point values are [unknown] to this project; a province supplies its table as a
TOML file in the format below. The shipped ``scorecards/example-vn-2022.toml`` is an EXAMPLE,
not the official table, and every result that uses it says so.

Format: ``id``, ``title``, ``example`` (bool), ``standard``, ``version``; ``[[items]]`` each with
``id``, ``label_vi``, ``label_en``, ``kind`` and ``source``; ``[regions.<id>]`` each with
``area``, ``provinces`` (GSO codes, ``"*"`` = any), ``base`` and ``points.<item>`` tables.

========  ============================================  =========================================
kind      source                                        points table
========  ============================================  =========================================
bands     household_size, floor_area_per_person,        list of ``{min, points}``, ascending; the
          dwelling.floor_area_m2, answer (number),      last band whose ``min`` ≤ value counts
          members.<field> (count of members whose
          field is in ``values``, or true)
choice    dwelling.<choice field>, answer (``choices``)  ``{value = points}``, every value listed
each      dwelling.devices                              ``{device = points}``, summed over owned
flag      dwelling.<yes/no field>, answer (yes/no)       ``{yes = points, no = points}``
========  ============================================  =========================================

``answer`` items read ``income.scorecard[<item id>]`` in a record and ``scorecard_<item id>`` in
a households table. An item missing from a region's ``points`` is not asked in that region.
"""

from __future__ import annotations

import bisect
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import vocab
from .errors import InvalidScorecard, ScoringError
from .frame import Frame
from .indicators import devices_of
from .standard import freeze
from .view import HouseholdView, is_missing, is_true

SCORECARDS_DIR = Path(__file__).parent / "scorecards"
KINDS = ("bands", "choice", "each", "flag")
_NUMBER_SOURCES = ("household_size", "floor_area_per_person", "dwelling.floor_area_m2")


@dataclass(frozen=True)
class Scorecard:
    id: str
    title: str
    example: bool
    standard: str | None
    version: str
    items: tuple[Mapping[str, Any], ...]
    regions: Mapping[str, Mapping[str, Any]]
    data: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def region_for(self, area: str, province: Any, household_id: str | None = None) -> str:
        """The region whose table scores a household: exact province first, then ``"*"``."""
        province = None if is_missing(province) else str(province)
        for wildcard in (False, True):
            for rid, region in self.regions.items():
                provs = region.get("provinces", [])
                hit = "*" in provs if wildcard else province in provs
                if region["area"] == area and hit:
                    return rid
        raise InvalidScorecard(
            "scorecard_no_region",
            f"Bảng điểm {self.id!r} không có bảng cho khu vực {area} của tỉnh {province}; "
            "tỉnh phải cung cấp bảng điểm B1",
            f"Scorecard {self.id!r} has no table for {area} areas of province {province}; "
            "the province must supply its B1 table",
            household_id=household_id,
        )

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "version": self.version,
            "example": self.example,
        }


# -- validation -------------------------------------------------------------------------------
def _source_errors(item: Mapping[str, Any]) -> list[str]:
    kind, source = item.get("kind"), item.get("source")
    where = f"items ({item.get('id')})"
    if not isinstance(source, str):
        return [f"{where}: source required"]
    if source in _NUMBER_SOURCES:
        return [] if kind == "bands" else [f'{where}: {source} needs kind = "bands"']
    if source == "answer":
        answer_type = item.get("answer_type")
        kinds = {"number": "bands", "choice": "choice", "bool": "flag"}
        want = kinds.get(answer_type) if isinstance(answer_type, str) else None
        if want is None:
            return [f"{where}: answer_type must be number, choice or bool"]
        errs = (
            []
            if kind == want
            else [f'{where}: answer_type {item["answer_type"]} needs kind = "{want}"']
        )
        choices = item.get("choices")
        if want == "choice" and not (
            isinstance(choices, list) and choices and all(isinstance(c, str) for c in choices)
        ):
            errs.append(f"{where}: choice answers need a list of choices (texts)")
        return errs
    table, _, name = source.partition(".")
    if table == "dwelling":
        if name == "devices":
            return [] if kind == "each" else [f'{where}: dwelling.devices needs kind = "each"']
        if name in vocab.DWELLING_CHOICES:
            return [] if kind == "choice" else [f'{where}: {source} needs kind = "choice"']
        if name in vocab.DWELLING_BOOLS:
            return [] if kind == "flag" else [f'{where}: {source} needs kind = "flag"']
    if table == "members" and (name in vocab.MEMBER_CHOICES or name in vocab.MEMBER_BOOLS):
        errs = [] if kind == "bands" else [f'{where}: member counts need kind = "bands"']
        if name in vocab.MEMBER_CHOICES:
            values = item.get("values")
            if not isinstance(values, list) or not values:
                errs.append(f"{where}: {source} needs the list of values to count")
            else:
                errs += [
                    f"{where}: {v!r} is not a value of {name}"
                    for v in values
                    if v not in vocab.MEMBER_CHOICES[name]
                ]
        return errs
    return [f"{where}: unknown source {source!r}"]


def _choices_of(item: Mapping[str, Any]) -> tuple[str, ...]:
    source = item["source"]
    if source == "answer":
        return tuple(item.get("choices") or ())
    return vocab.DWELLING_CHOICES[source.partition(".")[2]]


def _points_errors(where: str, item: Mapping[str, Any], table: Any) -> list[str]:
    kind = item.get("kind")
    num = lambda v: isinstance(v, int | float) and not isinstance(v, bool)  # noqa: E731
    if kind == "bands":
        if (
            not isinstance(table, list)
            or not table
            or not all(
                isinstance(b, Mapping)
                and set(b) == {"min", "points"}
                and num(b["min"])
                and num(b["points"])
                for b in table
            )
        ):
            return [f"{where}: bands must be a list of {{min, points}}"]
        mins = [b["min"] for b in table]
        errs = [] if mins == sorted(set(mins)) else [f"{where}: band minimums must increase"]
        return errs + ([] if mins[0] <= 0 else [f"{where}: the first band must start at 0"])
    if not isinstance(table, Mapping) or not all(num(v) for v in table.values()):
        return [f"{where}: points must be a table of numbers"]
    if kind == "flag":
        return [] if set(table) == {"yes", "no"} else [f"{where}: flag points need yes and no"]
    allowed = vocab.DWELLING_CHOICES["devices"] if kind == "each" else _choices_of(item)
    errs = [f"{where}: {k!r} is not a choice" for k in table if k not in allowed]
    if kind == "choice":
        errs += [f"{where}: no points for {c!r}" for c in allowed if c not in table]
    return errs


def _region_errors(
    rid: str, region: Any, items: Mapping[str, Mapping[str, Any]], broken: set[str]
) -> list[str]:
    where = f"regions.{rid}"
    if not isinstance(region, Mapping):
        return [f"{where}: must be a table"]
    errs = [
        f"{where}: unknown field {k!r}"
        for k in region
        if k not in ("label_vi", "label_en", "area", "provinces", "base", "points")
    ]
    if region.get("area") not in vocab.AREAS:
        errs.append(f"{where}: area must be rural or urban")
    provs = region.get("provinces")
    if not isinstance(provs, list) or not provs or not all(isinstance(p, str) for p in provs):
        errs.append(f'{where}: provinces must be a list of GSO codes ("*" = any)')
    base = region.get("base", 0)
    if not isinstance(base, int | float) or isinstance(base, bool):
        errs.append(f"{where}: base must be a number")
    points = region.get("points")
    if not isinstance(points, Mapping) or not points:
        return errs + [f"{where}: points required"]
    for item_id, table in points.items():
        if item_id not in items:
            errs.append(f"{where}.points: unknown item {item_id!r}")
        elif item_id not in broken:
            errs += _points_errors(f"{where}.points.{item_id}", items[item_id], table)
    return errs


def validate_scorecard(data: Mapping[str, Any]) -> list[str]:
    """Every problem of a scorecard mapping at once; an empty list means it is usable."""
    if not isinstance(data, Mapping):
        return ["a scorecard must be a table/mapping"]
    top = {"id", "title", "example", "standard", "version", "note", "items", "regions"}
    errs = [f"unknown field {k!r}" for k in data if k not in top]
    for key in ("id", "title", "version"):
        if not isinstance(data.get(key), str) or not data[key]:
            errs.append(f"{key}: required text")
    if not isinstance(data.get("example"), bool):
        errs.append("example: required true/false (true for anything but the official table)")
    items = data.get("items")
    if not isinstance(items, list) or not items:
        return errs + ["items: required list"]
    by_id: dict[str, Mapping[str, Any]] = {}
    broken: set[str] = set()
    item_keys = {"id", "label_vi", "label_en", "kind", "source", "answer_type", "choices", "values"}
    for i, item in enumerate(items):
        if not isinstance(item, Mapping) or not isinstance(item.get("id"), str):
            errs.append(f"items[{i}]: must be a table with an id")
            continue
        if item["id"] in by_id:
            errs.append(f"items: duplicate id {item['id']!r}")
        by_id[item["id"]] = item
        errs += [f"items ({item['id']}): unknown field {k!r}" for k in item if k not in item_keys]
        item_errs = _source_errors(item)
        if item.get("kind") not in KINDS:
            item_errs.append(f"items ({item['id']}): kind must be one of {', '.join(KINDS)}")
        if item_errs:
            broken.add(item["id"])  # its point tables cannot be checked against a bad source
        errs += item_errs
    regions = data.get("regions")
    if not isinstance(regions, Mapping) or not regions:
        return errs + ["regions: required table"]
    for rid, region in regions.items():
        errs += _region_errors(rid, region, by_id, broken)
    return errs


def load_scorecard(source: str | Path | Mapping[str, Any] | Scorecard) -> Scorecard:
    """A scorecard from a TOML file path or a mapping; raises InvalidScorecard listing problems."""
    if isinstance(source, Scorecard):
        return source
    if isinstance(source, Mapping):
        data = source
    else:
        with Path(source).open("rb") as fh:
            data = tomllib.load(fh)
    errors = validate_scorecard(data)
    if errors:
        raise InvalidScorecard(
            "invalid_scorecard",
            f"Bảng điểm B1 không hợp lệ ({len(errors)} lỗi): " + "; ".join(errors),
            f"B1 scorecard is invalid ({len(errors)} problems): " + "; ".join(errors),
            details=errors,
        )
    return Scorecard(
        id=data["id"],
        title=data["title"],
        example=data["example"],
        standard=data.get("standard"),
        version=data["version"],
        items=freeze(data["items"]),
        regions=freeze(data["regions"]),
        data=data,
    )


# -- scoring one household --------------------------------------------------------------------
def _band_points(bands: list[Mapping[str, Any]], value: float) -> float:
    i = bisect.bisect_right([b["min"] for b in bands], value) - 1
    return float(bands[max(i, 0)]["points"])


def _missing_answer(item: Mapping[str, Any], hid: Any, value: Any) -> ScoringError:
    return ScoringError(
        "scorecard_answer_missing",
        f"Thiếu hoặc sai câu trả lời phiếu B cho mục {item['id']!r}: {value!r}",
        f"Phiếu B answer missing or invalid for item {item['id']!r}: {value!r}",
        household_id=hid,
    )


def _raw_value(hh: HouseholdView, item: Mapping[str, Any]) -> Any:
    source = item["source"]
    if source == "household_size":
        return hh.n
    if source == "floor_area_per_person":
        return float(hh.dwelling.get("floor_area_m2")) / hh.n
    if source == "answer":
        return hh.scorecard_answers().get(item["id"])
    table, _, name = source.partition(".")
    if table == "dwelling":
        return hh.dwelling.get(name)
    values = item.get("values")
    return sum(1 for m in hh.members if (m.get(name) in values if values else is_true(m.get(name))))


def _item_points(hh: HouseholdView, item: Mapping[str, Any], table: Any) -> float:
    value = _raw_value(hh, item)
    kind = item["kind"]
    if kind == "each":
        return float(sum(table.get(d, 0) for d in devices_of(value)))
    if kind == "flag":
        if is_missing(value) and item["source"] == "answer":
            raise _missing_answer(item, hh.household_id, value)
        return float(table["yes" if is_true(value) else "no"])
    if kind == "choice":
        if value not in table:
            raise _missing_answer(item, hh.household_id, value)
        return float(table[value])
    number = _as_number(value)
    if number is None:
        raise _missing_answer(item, hh.household_id, value)
    return _band_points(table, number)


def _as_number(value: Any) -> float | None:
    if is_missing(value) or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def score_b1(hh: HouseholdView, card: Scorecard) -> tuple[float, str, dict[str, float]]:
    """B1 of one household: (score, region id, points per item)."""
    rid = card.region_for(hh.area, hh.record.get("province_code"), hh.household_id)
    region = card.regions[rid]
    total = float(region.get("base", 0))
    items = {}
    for item in card.items:
        table = region["points"].get(item["id"])
        if table is not None:
            pts = _item_points(hh, item, table)
            items[item["id"]] = pts
            total = total + pts
    return total, rid, items


# -- scoring a table ----------------------------------------------------------------------------
def _column(frame: Frame, item: Mapping[str, Any]) -> str:
    if item["source"] == "answer":
        return f"scorecard_{item['id']}"
    return item["source"].replace(".", "_", 1)


def _counts(frame: Frame, item: Mapping[str, Any]) -> np.ndarray:
    """Integer per-household values: household size or a count of members."""
    if item["source"] == "household_size":
        return frame.n
    name = item["source"].partition(".")[2]
    mask = frame.m_in(name, item["values"]) if item.get("values") else frame.m_true(name)
    return frame.count(mask)


def _vector_points(frame: Frame, item: Mapping[str, Any], table: Any, numbers: dict) -> np.ndarray:
    col, kind = _column(frame, item), item["kind"]
    if kind == "each":
        return frame.h_map(
            col, lambda v: float(sum(table.get(d, 0) for d in devices_of(v))), np.float64
        )
    if kind == "flag":
        if item["source"] == "answer":
            return frame.h_map(
                col,
                lambda v: np.nan if is_missing(v) else float(table["yes" if is_true(v) else "no"]),
                np.float64,
            )
        return frame.h_map(col, lambda v: float(table["yes" if is_true(v) else "no"]), np.float64)
    if kind == "choice":
        return frame.h_map(col, lambda v: float(table[v]) if v in table else np.nan, np.float64)
    if item["source"] == "floor_area_per_person":
        values = frame.d_number("floor_area_m2") / frame.n
        mins = np.array([b["min"] for b in table], dtype=np.float64)
        pts = np.array([b["points"] for b in table], dtype=np.float64)
        return pts[np.maximum(np.searchsorted(mins, values, side="right") - 1, 0)]
    if item["source"] in ("household_size",) or item["source"].startswith("members."):
        if item["id"] not in numbers:  # the same counts serve every region's table
            numbers[item["id"]] = _counts(frame, item)
        counts = numbers[item["id"]]
        lut = np.array([_band_points(table, k) for k in range(int(counts.max(initial=0)) + 1)])
        return lut[counts]
    # answers and dwelling numbers: few distinct values, each banded once
    return frame.h_map(col, lambda v: _banded_or_nan(table, v), np.float64)


def _banded_or_nan(table: list[Mapping[str, Any]], value: Any) -> float:
    number = _as_number(value)
    return np.nan if number is None else _band_points(table, number)


def _regions(frame: Frame, card: Scorecard, urban: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Index of each household's region table (via distinct area × province pairs)."""
    p_codes, provinces = frame.m_values_h("province_code")
    key = urban.astype(np.int64) * (len(provinces) + 1) + p_codes
    key_codes, keys = pd.factorize(key)
    names: list[str] = []
    per_key = []
    for k in keys.tolist():
        is_urban, p = divmod(k, len(provinces) + 1)
        province = None if p == 0 else provinces[p - 1]
        rid = card.region_for("urban" if is_urban else "rural", province)
        if rid not in names:
            names.append(rid)
        per_key.append(names.index(rid))
    return np.array(per_key, dtype=np.int64)[key_codes], names


def score_b1_frame(frame: Frame, card: Scorecard, urban: np.ndarray) -> np.ndarray:
    """B1 for every household of a table (``urban`` = True for urban households).

    NaN where an answer is missing or invalid (the caller raises, naming the households).
    """
    region, names = _regions(frame, card, urban)
    if len(names) == 1:
        return _region_b1(frame, card, card.regions[names[0]], {})
    b1 = np.full(frame.H, np.nan)
    numbers: dict[str, np.ndarray] = {}
    for r, rid in enumerate(names):
        rows = region == r
        b1[rows] = _region_b1(frame, card, card.regions[rid], numbers)[rows]
    return b1


def _region_b1(frame: Frame, card: Scorecard, region: Mapping[str, Any], numbers: dict):
    total = np.full(frame.H, float(region.get("base", 0)))
    for item in card.items:
        table = region["points"].get(item["id"])
        if table is None:
            continue
        total = total + _vector_points(frame, item, table, numbers)
    return total


def example_scorecard() -> Scorecard:
    return load_scorecard(SCORECARDS_DIR / "example-vn-2022.toml")
