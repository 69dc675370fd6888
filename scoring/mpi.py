"""Global Multidimensional Poverty Index (Alkire–Foster) as an analysis layer.

Uses an analysis standard (``mpi-global`` by default): indicators with weights (exact
fractions), poverty cut-off k = 1/3, vulnerable 1/5 ≤ c < 1/3, severe c ≥ 1/2. Deprivation
scores are computed in integer units of the weights' common denominator, so ``c_i ≥ 1/3`` is
decided exactly, with no floating-point edge at the cut-off. Aggregates are people-weighted
(each household counts with its number of members). Never use this for the legal class: the
law counts "3 or more deprivations" (``scoring.classify``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from .classify import evaluate_indicators
from .errors import ScoringError
from .frame import Frame
from .indicators import REGISTRY
from .standard import Standard, load_standard
from .view import HouseholdView

DEFAULT = "mpi-global"


def _analysis(standard: str | Standard) -> Standard:
    std = load_standard(standard)
    if std.kind != "analysis" or std.mpi is None:
        raise ScoringError(
            "not_analysis_standard",
            f"{std.id} không phải chuẩn phân tích MPI",
            f"{std.id} is not an MPI analysis standard",
        )
    return std


def _units(std: Standard) -> tuple[int, dict[str, int]]:
    """Common denominator of the weights and each weight in those units."""
    lcd = math.lcm(*(ind.weight.denominator for ind in std.indicators))
    return lcd, {ind.id: int(ind.weight * lcd) for ind in std.indicators}


def _status(std: Standard, lcd: int, units) -> dict[str, Any]:
    """poor / vulnerable / severe from integer units (scalar or array), exactly."""

    def at_least(cut: Fraction):
        # units / lcd >= p / q  <=>  units * q >= p * lcd
        return units * cut.denominator >= cut.numerator * lcd

    poor = np.asarray(at_least(std.mpi["poverty_cutoff"]))
    vulnerable = np.asarray(at_least(std.mpi["vulnerable_from"])) & ~poor
    severe = np.asarray(at_least(std.mpi["severe_from"]))
    if poor.ndim == 0:
        return {"poor": bool(poor), "vulnerable": bool(vulnerable), "severe": bool(severe)}
    return {"poor": poor, "vulnerable": vulnerable, "severe": severe}


def household_mpi(
    household: Mapping[str, Any], standard: str | Standard = DEFAULT
) -> dict[str, Any]:
    """c_i and status of one household record, with each indicator's facts and weight."""
    std = _analysis(standard)
    hh = HouseholdView.from_record(household)
    lcd, weights = _units(std)
    results = evaluate_indicators(hh, std)
    units = sum(weights[r.id] for r in results if r.deprived)
    c = Fraction(units, lcd)
    return {
        "household_id": hh.household_id,
        "standard": std.id,
        "standard_version": std.version,
        "size": hh.n,
        "c_i": float(c),
        "c_i_fraction": str(c),
        **_status(std, lcd, units),
        "deprivations": [r.id for r in results if r.deprived],
        "indicators": [
            {**r.to_dict(), "weight": str(ind.weight)}
            for r, ind in zip(results, std.indicators, strict=True)
        ],
    }


def mpi_tables(
    households_df: pd.DataFrame, members_df: pd.DataFrame, standard: str | Standard = DEFAULT
) -> pd.DataFrame:
    """Per household: household_id, commune_code, size, c_i, mpi_poor, mpi_vulnerable,
    mpi_severe and dep_<indicator> (vectorised; equal to ``household_mpi``)."""
    std = _analysis(standard)
    frame = Frame(households_df, members_df)
    lcd, weights = _units(std)
    units = np.zeros(frame.H, dtype=np.int64)
    deps = {}
    for ind in std.indicators:
        deps[ind.id] = np.asarray(REGISTRY[ind.function].vector(frame, ind.params), dtype=bool)
        units += deps[ind.id] * weights[ind.id]
    status = _status(std, lcd, units)
    out = {
        "household_id": households_df["household_id"].to_numpy(),
        "commune_code": households_df["commune_code"].to_numpy()
        if "commune_code" in households_df
        else np.full(frame.H, None, dtype=object),
        "size": frame.n,
        "c_i": units / lcd,
        "mpi_poor": status["poor"],
        "mpi_vulnerable": status["vulnerable"],
        "mpi_severe": status["severe"],
    }
    out |= {f"dep_{k}": v for k, v in deps.items()}
    result = pd.DataFrame(out, index=households_df.index, copy=False)
    result.attrs.update(standard=std.id, standard_version=std.version)
    return result


def _summary_row(df: pd.DataFrame, std: Standard, lcd: int, weights: Mapping[str, int]) -> dict:
    size = df["size"].to_numpy(dtype=np.float64)
    n = size.sum()
    units = sum(df[f"dep_{k}"].to_numpy(dtype=np.int64) * w for k, w in weights.items())
    status = _status(std, lcd, units)
    poor = status["poor"]
    q = size[poor].sum()
    H = q / n if n else np.nan
    A = (size * units)[poor].sum() / lcd / q if q else np.nan
    M0 = (size * units)[poor].sum() / lcd / n if n else np.nan
    row = {
        "households": len(df),
        "people": n,
        "poor_people": q,
        "H": H,
        "A": A,
        "M0": M0,
        "vulnerable": size[status["vulnerable"]].sum() / n if n else np.nan,
        "severe": size[status["severe"]].sum() / n if n else np.nan,
    }
    for ind in std.indicators:
        dep = df[f"dep_{ind.id}"].to_numpy(dtype=bool)
        censored = size[dep & poor].sum() / n if n else np.nan
        row[f"uncensored_{ind.id}"] = size[dep].sum() / n if n else np.nan
        row[f"censored_{ind.id}"] = censored
        row[f"contribution_{ind.id}"] = float(ind.weight) * censored / M0 if M0 else np.nan
    return {k: float(v) if isinstance(v, np.floating) else v for k, v in row.items()}


def mpi_summary(
    table: pd.DataFrame,
    by: str | Sequence[str] | None = None,
    *,
    standard: str | Standard = DEFAULT,
) -> dict[str, Any] | pd.DataFrame:
    """Alkire–Foster aggregates of an ``mpi_tables`` result, people-weighted by household size.

    H (headcount ratio), A (intensity among the poor), M0 = H × A, vulnerable and severe
    shares, and per indicator the uncensored and censored headcounts and the contribution
    w_j h_j / M0. ``by`` = None gives one dict for the whole table; otherwise a DataFrame with one
    row per group (e.g. ``by="commune_code"``) — to rank communes by M0, not only headcount.
    """
    std = _analysis(standard)
    lcd, weights = _units(std)
    if by is None:
        return _summary_row(table, std, lcd, weights)
    rows = {
        key: _summary_row(group, std, lcd, weights) for key, group in table.groupby(by, sort=True)
    }
    result = pd.DataFrame.from_dict(rows, orient="index")
    result.index.names = [by] if isinstance(by, str) else list(by)
    return result
