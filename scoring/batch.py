"""Vectorised scoring of a households table and a members table: one output row per household.

``score_tables`` computes the same indicators, income, B1/B2 and rule as ``classify`` with numpy
over whole columns (member indicators reduced per household by scatter/bincount), so it scales
to a census; its result equals ``classify`` on every household (property-tested). It works on
any slice of the tables that keeps each household's members with it, so callers may feed it in
chunks (``iter_chunks``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd

from . import vocab
from .classify import _check_mode
from .errors import ScoringError
from .frame import Frame, _ids_preview, member_codes
from .indicators import REGISTRY
from .rules import (
    RULE_CLASSES,
    RULE_IDS,
    field_conditions,
    income_conditions,
    line_values,
    require_cutoffs,
)
from .scorecard import Scorecard, load_scorecard, score_b1_frame
from .standard import Standard, load_standard

_RULE_CLASS = np.array([RULE_CLASSES[r] for r in RULE_IDS], dtype=object)
_RULE_NAME = np.array(RULE_IDS, dtype=object)


def _urban(frame: Frame) -> np.ndarray:
    """True for urban households; raises naming households whose area is neither."""
    bad = ~frame.h_map("area", lambda v: v in vocab.AREAS, bool)
    if bad.any():
        raise ScoringError(
            "area_invalid",
            f"Khu vực phải là 'urban' hoặc 'rural' ở các hộ: {_ids_preview(frame.h_ids[bad])}",
            f"Area must be 'urban' or 'rural' in households: {_ids_preview(frame.h_ids[bad])}",
        )
    return frame.h_map("area", lambda v: v == "urban", bool)


def _per_area(urban: np.ndarray, values: Mapping[str, tuple]) -> list[np.ndarray]:
    rural_v, urban_v = values["rural"], values["urban"]
    return [np.where(urban, u, r).astype(np.float64) for r, u in zip(rural_v, urban_v, strict=True)]


def income_per_capita(frame: Frame, std: Standard) -> np.ndarray:
    """Counted 12-month income / 12 / members; NaN where no income source was recorded."""
    cols = [c for c in frame.households.columns if c.startswith("income_")]
    known = np.zeros(frame.H, dtype=bool)
    numbers = {}
    for c in cols:
        values = pd.to_numeric(frame.households[c]).to_numpy(dtype=np.float64, na_value=np.nan)
        numbers[c] = values
        known |= ~np.isnan(values)
    total = np.zeros(frame.H, dtype=np.float64)
    for src in std.counted_sources:
        values = numbers.get(f"income_{src}")
        if values is not None:
            total = total + np.where(np.isnan(values), 0.0, values)
    y = total / 12 / frame.n
    y[~known] = np.nan
    return y


def _indicators(frame: Frame, std: Standard) -> dict[str, np.ndarray]:
    return {
        ind.id: np.asarray(REGISTRY[ind.function].vector(frame, ind.params), dtype=bool)
        for ind in std.indicators
    }


def _select_rule(conditions: list[tuple[str, Any]], H: int) -> np.ndarray:
    rule = np.full(H, -1, dtype=np.int64)
    for name, cond in reversed(conditions):  # earlier conditions win
        rule = np.where(np.broadcast_to(cond, (H,)), RULE_IDS.index(name), rule)
    return rule


def _income_rules(frame: Frame, std: Standard, urban, y, d) -> np.ndarray:
    if np.isnan(y).any():
        bad = frame.h_ids[np.isnan(y)]
        raise ScoringError(
            "income_missing",
            f"Các hộ không có thu nhập 12 tháng (income_*): {_ids_preview(bad)}; dùng mode='field'",
            f"Households without 12-month income (income_*): {_ids_preview(bad)}; use mode='field'",
        )
    lines = {a: line_values(std, a) for a in vocab.AREAS}
    poor, near, avg = _per_area(urban, lines)
    return _select_rule(income_conditions(std, y, d, poor, near, avg), frame.H)


def _field_rules(frame: Frame, std: Standard, card: Scorecard, urban, y, d):
    nan = float("nan")
    areas = [a for a, present in (("rural", (~urban).any()), ("urban", urban.any())) if present]
    cut = {a: require_cutoffs(std, a) for a in areas}
    cut_values = {
        a: (cut.get(a, {}).get("b1_max", nan), cut.get(a, {}).get("b1_poor_max", nan))
        for a in vocab.AREAS
    }
    b1_max, poor_cut = _per_area(urban, cut_values)
    b1 = score_b1_frame(frame, card, urban)
    if np.isnan(b1).any():
        bad = frame.h_ids[np.isnan(b1)]
        raise ScoringError(
            "scorecard_answer_missing",
            f"Thiếu hoặc sai câu trả lời phiếu B ở các hộ: {_ids_preview(bad)}",
            f"Phiếu B answers missing or invalid in households: {_ids_preview(bad)}",
        )
    b2 = (std.field_score["b2_points_per_deprivation"] * d).astype(np.float64)
    avg = _per_area(urban, {a: line_values(std, a) for a in vocab.AREAS})[2]
    conditions = field_conditions(std, b1, b2, y, b1_max, poor_cut, avg)
    return _select_rule(conditions, frame.H), b1, b2


def _deprivation_strings(deps: dict[str, np.ndarray], H: int) -> np.ndarray:
    """Space-separated deprived ids per household, via a bit mask and one string per pattern."""
    bits = [(1 << b, key) for b, key in enumerate(deps)]
    mask = np.zeros(H, dtype=np.int64)
    for bit, key in bits:
        mask |= deps[key].astype(np.int64) * bit
    codes, uniques = pd.factorize(mask)
    names = [" ".join([k for bit, k in bits if u & bit]) for u in uniques.tolist()]
    return np.array(names, dtype=object)[codes]


def score_tables(
    households_df: pd.DataFrame,
    members_df: pd.DataFrame,
    standard: str | Standard = "vn-2022",
    *,
    mode: str = "income",
    scorecard: Scorecard | Mapping[str, Any] | str | None = None,
) -> pd.DataFrame:
    """Score every household of the tables; one row per household, in the households' order.

    Columns: household_id, commune_code, [_row], classification, rule, deprivation_count,
    deprivations (space-separated ids), dep_<indicator>, income_pc_month, b1, b2 (NaN in
    income mode). ``df.attrs`` carries standard, standard_version, provisional, mode and the
    scorecard used. Raises ScoringError naming households when any cannot be scored.
    """
    std = load_standard(standard)
    _check_mode(std, mode, scorecard)
    card = load_scorecard(scorecard) if mode == "field" else None
    frame = Frame(households_df, members_df)
    urban = _urban(frame)
    deps = _indicators(frame, std)
    d = np.zeros(frame.H, dtype=np.int64)
    for values in deps.values():
        d += values
    y = income_per_capita(frame, std)
    if mode == "income":
        rule = _income_rules(frame, std, urban, y, d)
        b1 = b2 = np.full(frame.H, np.nan)
    else:
        rule, b1, b2 = _field_rules(frame, std, card, urban, y, d)
    out = {"household_id": households_df["household_id"].to_numpy()}
    out["commune_code"] = (
        households_df["commune_code"].to_numpy()
        if "commune_code" in households_df
        else np.full(frame.H, None, dtype=object)
    )
    if "_row" in households_df:
        out["_row"] = households_df["_row"].to_numpy()
    out |= {
        "classification": _RULE_CLASS[rule],
        "rule": _RULE_NAME[rule],
        "deprivation_count": d,
        "deprivations": _deprivation_strings(deps, frame.H),
    }
    out |= {f"dep_{k}": v for k, v in deps.items()}
    out |= {"income_pc_month": y, "b1": b1, "b2": b2}
    result = pd.DataFrame(out, index=households_df.index, copy=False)  # no block consolidation
    result.attrs.update(
        standard=std.id,
        standard_version=std.version,
        provisional=std.provisional,
        mode=mode,
        scorecard=card.describe() if card else None,
    )
    return result


MEMBER_CATEGORIES = tuple(vocab.MEMBER_CHOICES)
HOUSEHOLD_CATEGORIES = (
    "area",
    "province_code",
    "commune_code",
    "survey_date",
    *(f"dwelling_{k}" for k in vocab.DWELLING_CHOICES),
)


def categorize_tables(
    households_df: pd.DataFrame, members_df: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Copies with the choice columns scoring reads as ``category`` dtype (and yes/no columns
    with gaps as nullable ``boolean``).

    Scoring reads each choice column through its distinct values; with text (object) columns
    it must first hash millions of strings, with categories it reads small integer codes.
    Convert once and score the same tables under several standards (policy simulation), or
    have the table's producer (synthetic census, readers) emit categories directly. Values
    are kept as they are (unknown values stay unknown values), so results do not change.
    """
    return _categorize(households_df, HOUSEHOLD_CATEGORIES), _categorize(
        members_df, MEMBER_CATEGORIES
    )


def _categorize(df: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    out = {}
    for col in df.columns:
        series = df[col]
        if col in columns and not isinstance(series.dtype, pd.CategoricalDtype):
            # factorize + from_codes: one hashing pass, no sorting of the categories
            codes, uniques = pd.factorize(series, use_na_sentinel=True)
            series = pd.Series(
                pd.Categorical.from_codes(codes, categories=uniques), index=df.index, name=col
            )
        elif series.dtype == object and col in vocab.MEMBER_BOOLS:
            series = _as_boolean(series)
        out[col] = series
    # a new frame from the columns without consolidating blocks (copy() would stack them all)
    return pd.DataFrame(out, index=df.index, copy=False)


def _as_boolean(col: pd.Series) -> pd.Series:
    """Object yes/no column (True/False/None) → nullable boolean via its distinct values."""
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    if not all(isinstance(u, bool | np.bool_) for u in uniques):
        return col  # not plain yes/no values: leave them for the scoring to read as they are
    values = np.array([bool(u) for u in uniques] + [False])
    return pd.Series(
        pd.arrays.BooleanArray(values[codes], codes < 0), index=col.index, name=col.name
    )


def iter_chunks(
    households_df: pd.DataFrame, members_df: pd.DataFrame, size: int = 200_000
) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
    """Split the tables into chunks of ``size`` households, each with its own members.

    Score each chunk with ``score_tables`` and ``pd.concat`` the results: the result equals
    scoring the whole tables at once, with bounded memory.
    """
    idx = member_codes(
        households_df["household_id"].to_numpy(), members_df["household_id"].to_numpy()
    )
    order = np.argsort(idx, kind="stable")
    sorted_idx = idx[order]
    for start in range(0, len(households_df), size):
        lo, hi = np.searchsorted(sorted_idx, [start, start + size])
        yield households_df.iloc[start : start + size], members_df.iloc[order[lo:hi]]
