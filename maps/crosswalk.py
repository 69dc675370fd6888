"""Earlier layouts: re-express an earlier round's commune results on today's communes.

The July 2025 reorganisation merged communes (and split a few) and reused codes, so an old code
may now name a different, larger commune. Results cross years only through a crosswalk:
old_ward_code → new_ward_code with a weight (the share of the old commune that went to the new
one). A crosswalk file may give ``weight`` directly; or ``population`` or ``area_km2`` of the part
of the old commune that went to each new one (weights are each part's share); or ``n_targets``
(equal shares); or none of these (equal shares over the rows of each old code) — equal shares
are the stated fallback where no population or area of the parts is known. The bundled default
(data/crosswalk_2025.csv) is derived from the MIT package vietnamadminunits plus hand-entered
rows with their sources; see data/README.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from maps.aggregate import _count_columns, indicators_of, rates_from_counts
from maps.codes import normalise_code

DEFAULT_CROSSWALK = Path(__file__).with_name("data") / "crosswalk_2025.csv"
OLD_COLUMNS = ("old_ward_code", "old_code", "old_commune_code")
NEW_COLUMNS = ("new_ward_code", "new_code", "new_commune_code", "commune_code")
OLD_NAME_COLUMNS = ("old_ward", "old_name", "old_commune")


def load_crosswalk(path: str | Path | None = None) -> pd.DataFrame:
    """Read a crosswalk CSV into columns ``old_code``, ``new_code``, ``weight``, ``old_name``.

    ``path=None`` loads the bundled national 2020–2024 → 2025 crosswalk. Raises ValueError
    (listing every offending code) when an old code's weights do not add up to 1.
    """
    raw = pd.read_csv(path or DEFAULT_CROSSWALK, dtype=str, encoding="utf-8-sig")
    old_col = _pick(raw, OLD_COLUMNS, "old_ward_code")
    new_col = _pick(raw, NEW_COLUMNS, "new_ward_code")
    name_col = next((c for c in OLD_NAME_COLUMNS if c in raw.columns), None)
    cw = pd.DataFrame(
        {
            "old_code": raw[old_col].map(normalise_code),
            "new_code": raw[new_col].map(normalise_code),
            "old_name": raw[name_col].fillna("") if name_col else "",
        }
    ).drop_duplicates(["old_code", "new_code"])
    cw["weight"] = _weights(raw.loc[cw.index], cw)
    _check_weights(cw)
    return cw.reset_index(drop=True)


def _pick(raw: pd.DataFrame, names: tuple[str, ...], what: str) -> str:
    found = next((c for c in names if c in raw.columns), None)
    if found is None:
        raise ValueError(
            f"Bảng chuyển đổi thiếu cột / crosswalk lacks a {what} column (one of {names})"
        )
    return found


def _weights(raw: pd.DataFrame, cw: pd.DataFrame) -> pd.Series:
    if "weight" in raw.columns:
        return pd.to_numeric(raw["weight"], errors="raise")
    for part in ("population", "area_km2"):
        if part in raw.columns:
            size = pd.to_numeric(raw[part], errors="raise")
            return size / size.groupby(cw["old_code"]).transform("sum")
    if "n_targets" in raw.columns:
        return 1.0 / pd.to_numeric(raw["n_targets"], errors="raise")
    return 1.0 / cw.groupby("old_code")["new_code"].transform("count")


def _check_weights(cw: pd.DataFrame) -> None:
    sums = cw.groupby("old_code")["weight"].sum()
    bad = sums[(sums - 1.0).abs() > 1e-6]
    if len(bad):
        shown = ", ".join(f"{code}={total:g}" for code, total in bad.head(20).items())
        raise ValueError(
            f"Trọng số mỗi mã cũ phải cộng lại bằng 1 / weights per old code must sum to 1: {shown}"
        )


def to_current_layout(
    old_aggregates: pd.DataFrame,
    crosswalk: pd.DataFrame,
    *,
    on_unmapped: str = "raise",
    extra_counts: Sequence[str] = (),
) -> pd.DataFrame:
    """Re-express per-commune results of an earlier layout on today's communes.

    Counts are distributed by weight and summed per new commune (fractional where an old
    commune was split), then rates are recomputed. Extra columns: ``merged_from`` (old codes,
    space-separated), ``merged_from_names`` ("; "-separated), ``n_merged``, ``split_from``
    (old codes only partly inside this commune). Old codes missing from the crosswalk raise
    ValueError, or with ``on_unmapped="drop"`` are left out and listed in ``attrs["unmapped"]``.
    Only additive columns are carried over: the standard counts plus ``extra_counts``.
    """
    if on_unmapped not in ("raise", "drop"):
        raise ValueError("on_unmapped must be 'raise' or 'drop'")
    old = old_aggregates.assign(commune_code=old_aggregates["commune_code"].map(normalise_code))
    unmapped = sorted(set(old["commune_code"]) - set(crosswalk["old_code"]))
    if unmapped and on_unmapped == "raise":
        raise ValueError(
            f"Mã cũ không có trong bảng chuyển đổi / old codes not in the crosswalk: {', '.join(unmapped)}"
        )
    counts = _count_columns(old) + list(extra_counts)
    joined = old[["commune_code", *counts]].merge(
        crosswalk, left_on="commune_code", right_on="old_code"
    )
    joined[counts] = joined[counts].astype(float).mul(joined["weight"], axis=0)
    summed = joined.groupby("new_code")[counts].sum()
    result = rates_from_counts(
        summed.rename_axis("commune_code").reset_index(), indicators=indicators_of(old)
    )
    result = result.merge(_provenance(joined), on="commune_code", how="left")
    result.attrs["unmapped"] = unmapped
    return result


def _provenance(joined: pd.DataFrame) -> pd.DataFrame:
    """Which old units make up each new commune."""
    grouped = joined.sort_values("old_code").groupby("new_code")
    frame = pd.DataFrame(
        {
            "merged_from": grouped["old_code"].agg(" ".join),
            "merged_from_names": grouped["old_name"].agg(
                lambda names: "; ".join(n for n in names if n)
            ),
            "n_merged": grouped["old_code"].nunique(),
            "split_from": grouped.apply(
                lambda g: " ".join(g.loc[g["weight"] < 1, "old_code"]), include_groups=False
            ),
        }
    )
    return frame.rename_axis("commune_code").reset_index()
