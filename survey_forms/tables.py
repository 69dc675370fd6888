"""Household records ⇄ two flat tables (households, members) for batch work, CSV and XLSX.

Layout (docs/household-record.md, last paragraph): the households table has one row per
household with the identification fields, ``gps_<field>``, ``dwelling_<field>`` (devices joined
by spaces), ``income_<source>`` and ``scorecard_<item>``; the members table has one row per
member with ``household_id`` plus the member fields. A ``_row`` column (source row numbers, for
error messages) passes through both ways. Values read from CSV/XLSX are coerced back to the
record's types where that is unambiguous (``"1"``/``"true"`` → True, ``18496.0`` → 18496,
province/commune codes zero-padded); anything else is left for validation to report.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd

NESTED = ("gps", "dwelling", "meta")  # nested mappings flattened as <key>_<field>
INCOME_PREFIX, SCORECARD_PREFIX = "income_", "scorecard_"
# a spreadsheet turns "042078001234" into a number: pad back (every such code starts with 0)
CODE_WIDTHS = {"province_code": 2, "commune_code": 5, "citizen_id": 12}
INT_FIELDS = {"member_no", "birth_year"}
BOOL_FIELDS = {
    "in_school",
    "vocational_certificate",
    "labour_contract",
    "health_insurance",
    "sick_no_care",
    "uses_internet",
    "mobile_subscription",
    "social_allowance",
    "hears_loudspeaker",
    "electricity",
}
# text fields a spreadsheet may have turned into numbers (ids, "2026.1")
TEXT_FIELDS = {
    "household_id",
    "village",
    "enumerator",
    "round",
    "form_id",
    "form_version",
    "head_name",
    "address",
    "name",
}
_TRUE = {"true", "1", "yes", "y", "có", "co", "x"}
_FALSE = {"false", "0", "no", "n", "không", "khong"}


# -- records → tables --------------------------------------------------------------------------
def _household_row(record: Mapping[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for key, value in record.items():
        if key == "members":
            continue
        if key == "income" and isinstance(value, Mapping):
            for src, amount in (value.get("sources_12m") or {}).items():
                row[INCOME_PREFIX + src] = amount
            for item, answer in (value.get("scorecard") or {}).items():
                row[SCORECARD_PREFIX + item] = answer
        elif key in NESTED and isinstance(value, Mapping):
            for sub, v in value.items():
                if key == "dwelling" and sub == "devices" and isinstance(v, list | tuple):
                    v = " ".join(v)
                row[f"{key}_{sub}"] = v
        elif key not in NESTED:
            row[key] = value
    return row


def households_to_tables(records: Iterable[Mapping[str, Any]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Flatten canonical records into (households_df, members_df)."""
    h_rows, m_rows = [], []
    for record in records:
        h_rows.append(_household_row(record))
        hid = record.get("household_id")
        for member in record.get("members") or []:
            m_rows.append({"household_id": hid, **member})
    households = pd.DataFrame(h_rows)
    members = pd.DataFrame(m_rows)
    if members.empty:
        members = pd.DataFrame({"household_id": pd.Series(dtype=object)})
    return households, members


# -- tables → records --------------------------------------------------------------------------
def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _plain(value: Any) -> Any:
    """numpy/pandas scalars → Python; integral floats stay floats (the field decides)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return value


def _as_int(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return value


def _as_bool(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    return value


def _as_number(value: Any) -> Any:
    if isinstance(value, str):
        try:
            value = float(value.replace(",", ""))
        except ValueError:
            return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _coerce(name: str, value: Any) -> Any:
    value = _plain(value)
    if name in CODE_WIDTHS:
        value = _as_int(value)
        return str(value).zfill(CODE_WIDTHS[name]) if isinstance(value, int) else value
    if name in INT_FIELDS:
        return _as_int(value)
    if name in BOOL_FIELDS:
        return _as_bool(value)
    if name in TEXT_FIELDS and isinstance(value, float | int) and not isinstance(value, bool):
        return str(_as_int(value))
    return value


def _record_from_row(row: Mapping[str, Any]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    nested: dict[str, dict[str, Any]] = {}
    sources: dict[str, Any] = {}
    answers: dict[str, Any] = {}
    for col, raw in row.items():
        if col == "dwelling_devices" and _missing(raw):
            raw = ""  # an empty cell = no devices (CSV cannot tell "" from missing)
        if _missing(raw):
            continue
        prefix, _, sub = col.partition("_")
        if col.startswith(INCOME_PREFIX):
            sources[col[len(INCOME_PREFIX) :]] = _as_number(_plain(raw))
        elif col.startswith(SCORECARD_PREFIX):
            answers[col[len(SCORECARD_PREFIX) :]] = _as_number(_plain(raw))
        elif prefix in NESTED and sub:
            value = _coerce(sub, raw)
            if prefix == "dwelling" and sub == "devices":
                value = str(value).split()
            elif prefix == "dwelling" and sub == "floor_area_m2" or prefix == "gps":
                value = _as_number(value)
                value = float(value) if isinstance(value, int) else value
            nested.setdefault(prefix, {})[sub] = value
        else:
            record[col] = _coerce(col, raw)
    record.update(nested)
    if sources or answers:
        record["income"] = {}
        if sources:
            record["income"]["sources_12m"] = sources
        if answers:
            record["income"]["scorecard"] = answers
    return record


def _member_from_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        col: None if _missing(raw) else _coerce(col, raw)
        for col, raw in row.items()
        if col != "household_id"
    }


def tables_to_households(
    households_df: pd.DataFrame, members_df: pd.DataFrame
) -> Iterator[dict[str, Any]]:
    """Rebuild canonical records, one per households row, in the households' order.

    Members are matched on ``household_id`` and keep the members table's order.
    """
    member_cols = list(members_df.columns)
    by_household: dict[Any, list[int]] = {}
    if len(members_df):
        ids = members_df["household_id"].map(lambda v: _coerce("household_id", v))
        for pos, hid in enumerate(ids.to_numpy()):
            by_household.setdefault(hid, []).append(pos)
    m_values = members_df.to_numpy(dtype=object) if len(members_df) else None
    h_cols = list(households_df.columns)
    for values in households_df.itertuples(index=False, name=None):
        record = _record_from_row(dict(zip(h_cols, values, strict=True)))
        rows = by_household.get(record.get("household_id"), [])
        record["members"] = [
            _member_from_row(dict(zip(member_cols, m_values[i], strict=True))) for i in rows
        ]
        yield _ordered(record)


def _ordered(record: dict[str, Any]) -> dict[str, Any]:
    """Members before dwelling and income, as in the documented record."""
    tail = {k: record.pop(k) for k in ("members", "dwelling", "income") if k in record}
    record.update(tail)
    return record
