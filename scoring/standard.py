"""Poverty standards as versioned data files: loading and whole-file validation.

A standard is ``scoring/standards/<id>.toml`` (or any TOML/JSON mapping a province supplies):
identity and legal basis, effective dates, the provisional flag, income lines by area, the
income sources that count, the indicator list (each naming a function of
``scoring.indicators`` with its parameters), the classification rule and the field-score
cut-offs, with provenance tags ``firm`` / ``check`` / ``unknown``. Values the law has not fixed
are left out on purpose; the code that needs them raises ``IncompleteStandard``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from . import vocab
from .errors import InvalidStandard
from .indicators import REGISTRY

STANDARDS_DIR = Path(__file__).parent / "standards"
PROVENANCE = ("firm", "check", "unknown")
RULES = ("single_line", "two_line")
KINDS = ("legal", "analysis")

_TOP_KEYS = {
    "id",
    "version",
    "kind",
    "title_vi",
    "title_en",
    "legal_basis",
    "effective_from",
    "effective_to",
    "provisional",
    "provenance",
    "income",
    "lines",
    "classification",
    "field_score",
    "dimensions",
    "indicators",
    "mpi",
}
_LEGAL_ONLY = {"income", "lines", "classification", "field_score"}
_INDICATOR_KEYS = {
    "id",
    "dimension",
    "label_vi",
    "label_en",
    "function",
    "params",
    "provenance",
    "note",
    "weight",
}
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


@dataclass(frozen=True)
class Indicator:
    id: str
    dimension: str
    label_vi: str
    label_en: str
    function: str
    params: Mapping[str, Any]
    provenance: str
    note: str | None = None
    weight: Fraction | None = None


@dataclass(frozen=True)
class Standard:
    """A validated standard. Use ``load_standard``; ``data`` keeps the file as read."""

    id: str
    version: str
    kind: str
    title_vi: str
    title_en: str
    legal_basis: tuple[str, ...]
    effective_from: dt.date
    effective_to: dt.date | None
    provisional: bool
    provenance: Mapping[str, str]
    indicators: tuple[Indicator, ...]
    dimensions: Mapping[str, Mapping[str, str]]
    counted_sources: tuple[str, ...] = ()
    lines: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    rule: str | None = None
    min_deprivations_poor: int | None = None
    field_score: Mapping[str, Any] | None = None
    mpi: Mapping[str, Fraction] | None = None
    data: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def indicator_ids(self) -> list[str]:
        return [i.id for i in self.indicators]

    def line(self, area: str, name: str) -> int | None:
        return self.lines.get(area, {}).get(name)

    def cutoffs(self, area: str) -> Mapping[str, Any] | None:
        cutoffs = (self.field_score or {}).get("cutoffs")
        return None if cutoffs is None else cutoffs.get(area)


# -- validation ---------------------------------------------------------------------------
def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _fraction(value: Any) -> Fraction | None:
    if isinstance(value, bool):
        return None
    try:
        return Fraction(value) if isinstance(value, str | int) else None
    except (ValueError, ZeroDivisionError):
        return None


def _table(d: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """A sub-table, or {} when absent or of the wrong type (reported by its own check)."""
    value = d.get(key)
    return value if isinstance(value, Mapping) else {}


def _list(d: Mapping[str, Any], key: str) -> list[Any]:
    value = d.get(key)
    return value if isinstance(value, list) else []


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_identity(d: Mapping[str, Any]) -> list[str]:
    errs = [f"unknown field {k!r}" for k in d if k not in _TOP_KEYS]
    for key in ("id", "version", "title_vi", "title_en"):
        if not isinstance(d.get(key), str) or not d.get(key):
            errs.append(f"{key}: required text")
    if isinstance(d.get("id"), str) and not _ID_RE.match(d["id"]):
        errs.append("id: lower-case letters, digits, '-', '_' and '.' only")
    if d.get("kind") not in KINDS:
        errs.append(f"kind: must be one of {', '.join(KINDS)}")
    basis = d.get("legal_basis")
    if not isinstance(basis, list) or not basis or not all(isinstance(b, str) for b in basis):
        errs.append("legal_basis: required list of texts")
    start = _as_date(d.get("effective_from"))
    if start is None:
        errs.append("effective_from: required date (YYYY-MM-DD)")
    if "effective_to" in d:
        end = _as_date(d["effective_to"])
        if end is None:
            errs.append("effective_to: must be a date (YYYY-MM-DD)")
        elif start is not None and end < start:
            errs.append("effective_to is before effective_from")
    if not isinstance(d.get("provisional"), bool):
        errs.append("provisional: required true/false")
    prov = d.get("provenance", {})
    if not isinstance(prov, Mapping):
        errs.append("provenance: must be a table")
    else:
        errs += [
            f"provenance.{k}: {v!r} is not one of {', '.join(PROVENANCE)}"
            for k, v in prov.items()
            if v not in PROVENANCE
        ]
    return errs


def _check_income(d: Mapping[str, Any]) -> list[str]:
    income = d.get("income")
    if not isinstance(income, Mapping):
        return ["income: required table (counted_sources, excluded_sources)"]
    errs = [
        f"income: unknown field {k!r}"
        for k in income
        if k not in ("counted_sources", "excluded_sources")
    ]
    counted = income.get("counted_sources")
    excluded = income.get("excluded_sources", [])
    if not isinstance(counted, list) or not isinstance(excluded, list):
        return errs + ["income.counted_sources and income.excluded_sources: required lists"]
    if not all(isinstance(x, str) for x in counted + excluded):
        return errs + ["income: sources must be texts"]
    for src in counted + excluded:
        if src not in vocab.INCOME_SOURCES:
            errs.append(f"income: unknown source {src!r}")
    if set(counted) & set(excluded):
        errs.append(
            f"income: sources both counted and excluded: {sorted(set(counted) & set(excluded))}"
        )
    missing = set(vocab.INCOME_SOURCES) - set(counted) - set(excluded)
    if missing:
        errs.append(f"income: sources neither counted nor excluded: {sorted(missing)}")
    return errs


def _check_lines(d: Mapping[str, Any]) -> list[str]:
    lines, rule = d.get("lines"), _table(d, "classification").get("rule")
    if not isinstance(lines, Mapping):
        return ["lines: required table with rural and urban"]
    errs = [f"lines: unknown area {a!r}" for a in lines if a not in vocab.AREAS]
    prov = _table(d, "provenance")
    for area in vocab.AREAS:
        row = lines.get(area)
        if not isinstance(row, Mapping):
            errs.append(f"lines.{area}: missing")
            continue
        errs += [
            f"lines.{area}: unknown line {k!r}"
            for k in row
            if k not in ("poor", "near_poor", "average")
        ]
        for k, v in row.items():
            if not _is_number(v) or v <= 0:
                errs.append(f"lines.{area}.{k}: must be a positive amount in VND")
        if "poor" not in row:
            errs.append(f"lines.{area}.poor: missing")
        if rule == "two_line" and "near_poor" not in row:
            errs.append(f"lines.{area}.near_poor: missing (two_line rule needs it)")
        if rule == "single_line" and "near_poor" in row:
            errs.append(f"lines.{area}.near_poor: the single_line rule has no near-poor line")
        if "average" not in row and prov.get("lines_average") != "unknown":
            errs.append(
                f"lines.{area}.average: missing (mark provenance.lines_average = "
                '"unknown" if the law has not fixed it)'
            )
        order = [row[k] for k in ("poor", "near_poor", "average") if _is_number(row.get(k))]
        if order != sorted(order) or len(set(order)) != len(order):
            errs.append(f"lines.{area}: lines must increase (poor < near_poor < average)")
    return errs


def _check_classification(d: Mapping[str, Any], n_indicators: int) -> list[str]:
    c = d.get("classification")
    if not isinstance(c, Mapping):
        return ["classification: required table (rule, min_deprivations_poor)"]
    errs = [
        f"classification: unknown field {k!r}"
        for k in c
        if k not in ("rule", "min_deprivations_poor")
    ]
    if c.get("rule") not in RULES:
        errs.append(f"classification.rule: must be one of {', '.join(RULES)}")
    k = c.get("min_deprivations_poor")
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= max(n_indicators, 1):
        errs.append(
            "classification.min_deprivations_poor: integer between 1 and the number of indicators"
        )
    return errs


def _check_field_score(d: Mapping[str, Any]) -> list[str]:
    fs, rule = d.get("field_score"), _table(d, "classification").get("rule")
    if not isinstance(fs, Mapping):
        return ["field_score: required table"]
    errs = [
        f"field_score: unknown field {k!r}"
        for k in fs
        if k not in ("b2_points_per_deprivation", "b2_poor_min", "cutoffs")
    ]
    for key in ("b2_points_per_deprivation", "b2_poor_min"):
        if not _is_number(fs.get(key)) or fs[key] <= 0:
            errs.append(f"field_score.{key}: required positive number")
    cutoffs = fs.get("cutoffs")
    if cutoffs is None:
        if _table(d, "provenance").get("field_score") != "unknown":
            errs.append(
                'field_score.cutoffs: missing (mark provenance.field_score = "unknown" '
                "if the law has not fixed them)"
            )
        return errs
    if not isinstance(cutoffs, Mapping):
        return errs + ["field_score.cutoffs: must be a table with rural and urban"]
    errs += [f"field_score.cutoffs: unknown area {a!r}" for a in cutoffs if a not in vocab.AREAS]
    for area in vocab.AREAS:
        row = cutoffs.get(area)
        if not isinstance(row, Mapping):
            errs.append(f"field_score.cutoffs.{area}: missing")
            continue
        errs += [
            f"field_score.cutoffs.{area}: unknown field {k!r}"
            for k in row
            if k not in ("b1_max", "b1_poor_max")
        ]
        if not _is_number(row.get("b1_max")):
            errs.append(f"field_score.cutoffs.{area}.b1_max: required number")
        if rule == "two_line":
            if not _is_number(row.get("b1_poor_max")):
                errs.append(
                    f"field_score.cutoffs.{area}.b1_poor_max: required by the two_line rule"
                )
            elif _is_number(row.get("b1_max")) and row["b1_poor_max"] >= row["b1_max"]:
                errs.append(f"field_score.cutoffs.{area}: b1_poor_max must be below b1_max")
        elif "b1_poor_max" in row:
            errs.append(f"field_score.cutoffs.{area}.b1_poor_max: only for the two_line rule")
    return errs


def _check_dimensions(d: Mapping[str, Any]) -> list[str]:
    dims = d.get("dimensions")
    if not isinstance(dims, Mapping) or not dims:
        return ["dimensions: required table"]
    errs = []
    for key, dim in dims.items():
        if not isinstance(dim, Mapping) or not all(
            isinstance(dim.get(k), str) for k in ("label_vi", "label_en")
        ):
            errs.append(f"dimensions.{key}: needs label_vi and label_en")
        else:
            errs += [
                f"dimensions.{key}: unknown field {k!r}"
                for k in dim
                if k not in ("label_vi", "label_en")
            ]
    return errs


def _check_indicator(i: int, ind: Any, d: Mapping[str, Any]) -> list[str]:
    where = f"indicators[{i}]"
    if not isinstance(ind, Mapping):
        return [f"{where}: must be a table"]
    if isinstance(ind.get("id"), str):
        where = f"indicators[{i}] ({ind['id']})"
    errs = [f"{where}: unknown field {k!r}" for k in ind if k not in _INDICATOR_KEYS]
    for key in ("id", "dimension", "label_vi", "label_en", "function"):
        if not isinstance(ind.get(key), str) or not ind.get(key):
            errs.append(f"{where}: {key} required")
    if isinstance(ind.get("dimension"), str) and ind["dimension"] not in _table(d, "dimensions"):
        errs.append(f"{where}: unknown dimension {ind['dimension']!r}")
    if ind.get("provenance") not in PROVENANCE:
        errs.append(f"{where}: provenance must be one of {', '.join(PROVENANCE)}")
    fn = ind.get("function")
    params = ind.get("params", {})
    if isinstance(fn, str) and fn not in REGISTRY:
        errs.append(
            f"{where}: unknown indicator function {fn!r} (known: {', '.join(sorted(REGISTRY))})"
        )
    elif isinstance(fn, str):
        if not isinstance(params, Mapping):
            errs.append(f"{where}: params must be a table")
        else:
            errs += [f"{where}: {e}" for e in REGISTRY[fn].check(params)]
    if d.get("kind") == "analysis":
        w = _fraction(ind.get("weight"))
        if w is None or not 0 <= w <= 1:
            errs.append(f'{where}: weight required, a fraction such as "1/6"')
    elif "weight" in ind:
        errs.append(f"{where}: weight is only for analysis standards")
    return errs


def _check_indicators(d: Mapping[str, Any]) -> list[str]:
    inds = d.get("indicators")
    if not isinstance(inds, list) or not inds:
        return ["indicators: required non-empty list"]
    errs = []
    for i, ind in enumerate(inds):
        errs += _check_indicator(i, ind, d)
    ids = [ind.get("id") for ind in inds if isinstance(ind, Mapping)]
    errs += [
        f"indicators: duplicate id {x!r}" for x in sorted({x for x in ids if ids.count(x) > 1})
    ]
    return errs


def _check_mpi(d: Mapping[str, Any]) -> list[str]:
    m = d.get("mpi")
    if not isinstance(m, Mapping):
        return ["mpi: required table for analysis standards"]
    keys = ("poverty_cutoff", "vulnerable_from", "severe_from")
    errs = [f"mpi: unknown field {k!r}" for k in m if k not in keys]
    for key in keys:
        f = _fraction(m.get(key))
        if f is None or not 0 < f <= 1:
            errs.append(f'mpi.{key}: required fraction in (0, 1], e.g. "1/3"')
    weights = [_fraction(i.get("weight")) for i in _list(d, "indicators") if isinstance(i, Mapping)]
    if weights and all(w is not None for w in weights) and sum(weights) != 1:
        errs.append(f"indicators: weights sum to {sum(weights)}, not 1")
    return errs


def validate_standard(data: Mapping[str, Any]) -> list[str]:
    """Every problem of a standard mapping at once; an empty list means it is usable."""
    if not isinstance(data, Mapping):
        return ["a standard must be a table/mapping"]
    errs = _check_identity(data) + _check_dimensions(data) + _check_indicators(data)
    if data.get("kind") == "analysis":
        errs += [f"{k}: not used by analysis standards" for k in _LEGAL_ONLY if k in data]
        errs += _check_mpi(data)
    else:
        n = len(_list(data, "indicators"))
        errs += _check_income(data) + _check_classification(data, n)
        errs += _check_lines(data) + _check_field_score(data)
        if "mpi" in data:
            errs.append("mpi: only for analysis standards")
    return errs


# -- loading -------------------------------------------------------------------------------
def freeze(value: Any) -> Any:
    """Read-only copy (mappings → MappingProxyType, lists → tuples): loaded standards are
    cached and shared, so no caller may change the law under another's feet."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    return value


def _build(d: Mapping[str, Any]) -> Standard:
    indicators = tuple(
        Indicator(
            id=i["id"],
            dimension=i["dimension"],
            label_vi=i["label_vi"],
            label_en=i["label_en"],
            function=i["function"],
            params=freeze(i.get("params", {})),
            provenance=i["provenance"],
            note=i.get("note"),
            weight=_fraction(i["weight"]) if "weight" in i else None,
        )
        for i in d["indicators"]
    )
    cls = d.get("classification") or {}
    return Standard(
        id=d["id"],
        version=d["version"],
        kind=d["kind"],
        title_vi=d["title_vi"],
        title_en=d["title_en"],
        legal_basis=tuple(d["legal_basis"]),
        effective_from=_as_date(d["effective_from"]),
        effective_to=_as_date(d.get("effective_to")),
        provisional=d["provisional"],
        provenance=freeze(d.get("provenance", {})),
        indicators=indicators,
        dimensions=freeze(d["dimensions"]),
        counted_sources=tuple((d.get("income") or {}).get("counted_sources", ())),
        lines=freeze(d.get("lines", {})),
        rule=cls.get("rule"),
        min_deprivations_poor=cls.get("min_deprivations_poor"),
        field_score=freeze(d.get("field_score")),
        mpi={k: _fraction(v) for k, v in d["mpi"].items()} if "mpi" in d else None,
        data=d,
    )


def _read(path: Path) -> dict[str, Any]:
    if path.suffix == ".json":
        return json.loads(path.read_text(encoding="utf-8"))
    with path.open("rb") as fh:
        return tomllib.load(fh)


def standard_from_mapping(data: Mapping[str, Any]) -> Standard:
    """Validate a mapping and build the Standard; raises InvalidStandard listing every problem."""
    errors = validate_standard(data)
    if errors:
        sid = data.get("id") if isinstance(data, Mapping) else None
        raise InvalidStandard(
            "invalid_standard",
            f"Tệp chuẩn nghèo {sid!r} không hợp lệ ({len(errors)} lỗi): " + "; ".join(errors),
            f"Standard {sid!r} is invalid ({len(errors)} problems): " + "; ".join(errors),
            details=errors,
        )
    return _build(data)


def list_standards(*, include_analysis: bool = False) -> list[str]:
    """Ids of the shipped standards (legal ones; add the analysis ones on request)."""
    ids = []
    for path in sorted(STANDARDS_DIR.glob("*.toml")):
        if include_analysis or _read(path).get("kind") != "analysis":
            ids.append(path.stem)
    return ids


@lru_cache(maxsize=32)
def _load_shipped(standard_id: str) -> Standard:
    path = STANDARDS_DIR / f"{standard_id}.toml"
    if not path.is_file():
        known = ", ".join(list_standards(include_analysis=True))
        raise InvalidStandard(
            "unknown_standard",
            f"Không có chuẩn nghèo {standard_id!r} (có: {known})",
            f"No standard {standard_id!r} (known: {known})",
        )
    std = standard_from_mapping(_read(path))
    if std.id != standard_id:
        raise InvalidStandard(
            "standard_id_mismatch",
            f"Tệp {path.name} khai báo id {std.id!r}",
            f"File {path.name} declares id {std.id!r}",
        )
    return std


def load_standard(standard: str | Path | Mapping[str, Any] | Standard) -> Standard:
    """A shipped standard by id, a standard file a province supplies (path), or a mapping."""
    if isinstance(standard, Standard):
        return standard
    if isinstance(standard, Mapping):
        return standard_from_mapping(standard)
    if isinstance(standard, Path) or (
        isinstance(standard, str) and standard.endswith((".toml", ".json"))
    ):
        return standard_from_mapping(_read(Path(standard)))
    return _load_shipped(standard)
