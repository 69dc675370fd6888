"""Per-commune aggregates of scored households: counts, rates, deprivation rates and MPI.

Pure pandas: a scores DataFrame in (one row per household, as `scoring.batch.score_tables`
returns it), one row per commune out. Counts are kept next to the rates because counts add up
(province totals, re-expressing an earlier layout through a crosswalk) and rates do not:
`rates_from_counts` turns any table of counts back into rates, so every caller computes rates
the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from maps.codes import normalise_codes
from maps.labels import CLASSES, NEAR_POOR, POOR

MPI_SCORE_COLUMNS = ("mpi_c", "c_i", "mpi_score")
HOUSEHOLD_SIZE_COLUMNS = ("n_members", "household_size", "members", "size")
MPI_POVERTY_CUTOFF = 1 / 3  # Alkire–Foster k for the global MPI
RATE_GROUPS = {"": None, "_poor": POOR, "_near_poor": NEAR_POOR}


def commune_aggregates(
    scores_df: pd.DataFrame,
    *,
    indicators: Sequence[str] | None = None,
    mpi_k: float = MPI_POVERTY_CUTOFF,
) -> pd.DataFrame:
    """Aggregate scored households to one row per commune.

    Columns: ``commune_code``, ``households``, ``poor``, ``near_poor``, ``average``,
    ``not_poor``; rates in % (``poor_rate``, ``near_poor_rate``, ``combined_rate`` = poor +
    near-poor, ``average_rate``, ``not_poor_rate``); per indicator the counts
    ``dep_<id>_n``, ``dep_<id>_n_poor``, ``dep_<id>_n_near_poor`` and the rates (%) among all,
    poor and near-poor households ``dep_<id>_rate``, ``dep_<id>_rate_poor``,
    ``dep_<id>_rate_near_poor`` (NaN when the group is empty). When an MPI deprivation score
    column (``mpi_c``) is present: ``mpi_n``, ``mpi_q``, ``mpi_csum`` (additive) and ``mpi_H``,
    ``mpi_A``, ``mpi_M0`` as proportions 0–1, people-weighted when a household size column is
    present, household-weighted otherwise.

    ``indicators`` defaults to every ``dep_<id>`` column; an indicator without a column is
    read from the space-separated ``deprivations`` column.
    """
    _check_input(scores_df)
    scores_df = scores_df.assign(commune_code=normalise_codes(scores_df["commune_code"]))
    frame = _indicator_frame(scores_df, indicators)
    counts = _class_counts(scores_df)
    counts = counts.join(_deprivation_counts(scores_df, frame))
    mpi = _mpi_sums(scores_df, mpi_k)
    if mpi is not None:
        counts = counts.join(mpi)
    counts = counts.reset_index()
    return rates_from_counts(counts, indicators=list(frame.columns))


def with_mpi(scores_df: pd.DataFrame, mpi_df: pd.DataFrame) -> pd.DataFrame:
    """Attach `scoring.mpi.mpi_tables` results (``c_i``, ``size``, ``mpi_poor``) to a scores frame.

    Only those three columns are taken, by ``household_id``: the MPI's own ``dep_<indicator>``
    columns would otherwise be mistaken for the national standard's indicators.
    """
    extra = mpi_df[["household_id", "c_i", "size", "mpi_poor"]]
    clash = [c for c in ("c_i", "size", "mpi_poor") if c in scores_df.columns]
    merged = scores_df.drop(columns=clash).merge(
        extra, on="household_id", how="left", validate="one_to_one"
    )
    merged.index = scores_df.index
    return merged


def indicators_of(aggregates: pd.DataFrame) -> list[str]:
    """Indicator ids present in an aggregates table, in column order."""
    return [
        c[len("dep_") : -len("_n")]
        for c in aggregates.columns
        if c.startswith("dep_") and c.endswith("_n")
    ]


def rates_from_counts(
    counts: pd.DataFrame, *, indicators: Iterable[str] | None = None
) -> pd.DataFrame:
    """Recompute every rate column from the count columns (counts may be fractional)."""
    out = counts.copy()
    indicators = list(indicators) if indicators is not None else indicators_of(out)
    households = out["households"].astype(float)
    for cls in CLASSES:
        out[f"{cls}_rate"] = _percent(out[cls], households)
    out["combined_rate"] = _percent(out[POOR] + out[NEAR_POOR], households)
    for ind in indicators:
        for suffix, group in RATE_GROUPS.items():
            base = households if group is None else out[group].astype(float)
            out[f"dep_{ind}_rate{suffix}"] = _percent(out[f"dep_{ind}_n{suffix}"], base)
    if "mpi_n" in out.columns:
        out["mpi_H"] = _ratio(out["mpi_q"], out["mpi_n"])
        out["mpi_A"] = _ratio(out["mpi_csum"], out["mpi_q"])
        out["mpi_M0"] = _ratio(out["mpi_csum"], out["mpi_n"])
    return out


def totals(
    aggregates: pd.DataFrame, *, label: str = "total", extra_counts: Sequence[str] = ()
) -> pd.DataFrame:
    """One row summing every commune's counts (e.g. the province line of a table), rates recomputed.

    ``extra_counts`` names further additive columns to sum (e.g. a caller's ethnicity counts).
    """
    count_columns = _count_columns(aggregates) + list(extra_counts)
    row = aggregates[count_columns].sum().to_frame().T
    row.insert(0, "commune_code", label)
    return rates_from_counts(row, indicators=indicators_of(aggregates))


def change_between(
    current: pd.DataFrame, previous: pd.DataFrame, measures: Sequence[str]
) -> pd.DataFrame:
    """Per commune, ``change_<measure>`` = current − previous (percentage points for rates).

    Both tables must be on the same commune layout (use `maps.crosswalk.to_current_layout`
    first for an earlier round); communes missing from either side get NaN.
    """
    cur = current.set_index("commune_code")
    prev = previous.set_index("commune_code")
    out = pd.DataFrame(index=cur.index.union(prev.index))
    for measure in measures:
        if measure in cur.columns and measure in prev.columns:
            out[f"change_{measure}"] = cur[measure].reindex(out.index) - prev[measure].reindex(
                out.index
            )
    out.index.name = "commune_code"
    return out.reset_index()


def _count_columns(aggregates: pd.DataFrame) -> list[str]:
    """The additive columns of an aggregates table (what totals and crosswalks may sum)."""
    columns = ["households", *CLASSES]
    columns += [
        f"dep_{ind}_n{suffix}" for ind in indicators_of(aggregates) for suffix in RATE_GROUPS
    ]
    columns += [c for c in ("mpi_n", "mpi_q", "mpi_csum") if c in aggregates.columns]
    return columns


def _check_input(scores_df: pd.DataFrame) -> None:
    missing = {"commune_code", "classification"} - set(scores_df.columns)
    if missing:
        raise ValueError(
            f"Thiếu cột / missing columns: {sorted(missing)} (expected scoring.batch.score_tables output)"
        )
    unknown = set(scores_df["classification"].dropna().unique()) - set(CLASSES)
    if unknown or scores_df["classification"].isna().any():
        shown = sorted(map(str, unknown)) + (
            ["<empty>"] if scores_df["classification"].isna().any() else []
        )
        raise ValueError(
            f"Phân loại không hợp lệ / unknown classification values: {shown}; allowed {CLASSES}"
        )


def _indicator_frame(scores_df: pd.DataFrame, indicators: Sequence[str] | None) -> pd.DataFrame:
    """A boolean DataFrame (one column per indicator id) aligned with scores_df."""
    if indicators is None:
        indicators = [c[len("dep_") :] for c in scores_df.columns if c.startswith("dep_")]
    columns = {}
    tokens = None
    for ind in indicators:
        if f"dep_{ind}" in scores_df.columns:
            columns[ind] = scores_df[f"dep_{ind}"].astype("boolean").fillna(False).astype(bool)
            continue
        if "deprivations" not in scores_df.columns:
            raise ValueError(f"Không có cột / no column dep_{ind} and no 'deprivations' column")
        if tokens is None:
            tokens = scores_df["deprivations"].fillna("").astype(str).str.split()
        columns[ind] = tokens.map(lambda ids, ind=ind: ind in ids).astype(bool)
    return pd.DataFrame(columns, index=scores_df.index)


def _class_counts(scores_df: pd.DataFrame) -> pd.DataFrame:
    codes = scores_df["commune_code"].astype(str)
    table = pd.crosstab(codes, scores_df["classification"]).reindex(
        columns=list(CLASSES), fill_value=0
    )
    table.columns.name = None
    table.index.name = "commune_code"
    table.insert(0, "households", table.sum(axis=1))
    return table.astype(int)


def _deprivation_counts(scores_df: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    codes = scores_df["commune_code"].astype(str).rename("commune_code")
    parts = {}
    for suffix, group in RATE_GROUPS.items():
        mask = (
            np.ones(len(frame), bool)
            if group is None
            else (scores_df["classification"] == group).to_numpy()
        )
        sums = frame[mask].groupby(codes[mask]).sum()
        parts[suffix] = sums.rename(columns=lambda ind, s=suffix: f"dep_{ind}_n{s}")
    out = pd.concat(parts.values(), axis=1).reindex(codes.unique()).fillna(0).astype(int)
    ordered = [f"dep_{ind}_n{s}" for ind in frame.columns for s in RATE_GROUPS]
    return out.reindex(columns=ordered, fill_value=0)


def _mpi_sums(scores_df: pd.DataFrame, k: float) -> pd.DataFrame | None:
    score_col = next((c for c in MPI_SCORE_COLUMNS if c in scores_df.columns), None)
    if score_col is None:
        return None
    size_col = next((c for c in HOUSEHOLD_SIZE_COLUMNS if c in scores_df.columns), None)
    weight = (
        scores_df[size_col].astype(float) if size_col else pd.Series(1.0, index=scores_df.index)
    )
    c = scores_df[score_col].astype(float)
    poor = scores_df["mpi_poor"].astype(bool) if "mpi_poor" in scores_df.columns else c >= k - 1e-12
    sums = pd.DataFrame(
        {
            "mpi_n": weight.where(c.notna(), 0.0),
            "mpi_q": weight.where(poor, 0.0),
            "mpi_csum": (weight * c).where(poor, 0.0),
        }
    )
    return sums.groupby(scores_df["commune_code"].astype(str).rename("commune_code")).sum()


def _percent(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return 100.0 * _ratio(numerator, denominator)


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    denominator = denominator.astype(float)
    return numerator.astype(float) / denominator.where(denominator > 0)
