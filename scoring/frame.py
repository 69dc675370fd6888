"""Vectorised view of a households table and a members table (the batch twin of ``view``).

Member-level quantities are numpy arrays aligned with the members table; ``codes`` maps each
member to its household's row. Categorical and boolean columns are factorised once and
cached, so each indicator is a few table look-ups and a scatter per household — no Python
loop over households. Arithmetic mirrors ``view.HouseholdView`` operation for operation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from .errors import ScoringError
from .view import is_true, survey_year


def _ids_preview(ids: Iterable[Any], limit: int = 5) -> str:
    ids = list(ids)
    more = f" (+{len(ids) - limit})" if len(ids) > limit else ""
    return ", ".join(str(i) for i in ids[:limit]) + more


def member_codes(h_ids: np.ndarray, m_ids: np.ndarray) -> np.ndarray:
    """Row index of each member's household; fast path when members come grouped in order."""
    H, M = len(h_ids), len(m_ids)
    index = pd.Index(h_ids)
    _check_unique(index)
    if M and H:
        change = np.empty(M, dtype=bool)
        change[0] = True
        np.not_equal(m_ids[1:], m_ids[:-1], out=change[1:])
        starts = np.flatnonzero(change)
        if len(starts) == H and bool(np.all(m_ids[starts] == h_ids)):
            return np.repeat(np.arange(H, dtype=np.int64), np.diff(np.append(starts, M)))
    codes = index.get_indexer(m_ids)
    if (codes < 0).any():
        bad = pd.unique(m_ids[codes < 0])
        raise ScoringError(
            "member_without_household",
            f"Thành viên thuộc hộ không có trong bảng hộ: {_ids_preview(bad)}",
            f"Members belong to households missing from the households table: {_ids_preview(bad)}",
        )
    return codes.astype(np.int64)


def _check_unique(index: pd.Index) -> None:
    """One row per household: a repeated household id is an error, not two households."""
    if not index.is_unique:
        dup = index[index.duplicated()].unique()
        raise ScoringError(
            "duplicate_household_id",
            f"Mã hộ trùng lặp: {_ids_preview(dup)}",
            f"Duplicate household ids: {_ids_preview(dup)}",
        )


def _codes_for(h_ids: pd.Series, m_ids: pd.Series) -> np.ndarray:
    """member_codes, going through the categories when the members' ids are categorical."""
    if isinstance(m_ids.dtype, pd.CategoricalDtype):
        cats = m_ids.cat.categories.to_numpy()
        index = pd.Index(h_ids.to_numpy())
        _check_unique(index)
        per_cat = index.get_indexer(cats)
        codes = m_ids.cat.codes.to_numpy()
        mapped = np.where(codes >= 0, per_cat[codes], -1)
        if (mapped >= 0).all():
            return mapped.astype(np.int64)
    return member_codes(h_ids.to_numpy(), m_ids.to_numpy())


def factorize(series: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """Codes shifted by one (0 = missing, i + 1 = i-th value) and the list of distinct values.

    Codes use the smallest unsigned dtype, so per-row look-ups touch little memory.
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes, uniques = series.cat.codes.to_numpy(), list(series.cat.categories)
    else:
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        uniques = list(uniques)
    dtype = np.uint8 if len(uniques) < 255 else np.uint16 if len(uniques) < 65535 else np.int64
    shifted = codes.astype(dtype if dtype is np.int64 else np.int32) + 1
    return shifted.astype(dtype, copy=False), uniques


class Frame:
    """Households and members tables prepared for vectorised indicator functions."""

    def __init__(self, households: pd.DataFrame, members: pd.DataFrame) -> None:
        for col in ("household_id", "survey_date"):
            if col not in households.columns:
                raise _missing_column("households", col)
        for col in ("household_id", "birth_year"):
            if col not in members.columns:
                raise _missing_column("members", col)
        self.households = households
        self.members = members
        self.H = len(households)
        self.h_ids = households["household_id"].to_numpy()
        self.codes = _codes_for(households["household_id"], members["household_id"])
        self._cache: dict[tuple[str, str], tuple[np.ndarray, list[Any]]] = {}
        self.n = np.bincount(self.codes, minlength=self.H)
        if self.H and (self.n == 0).any():
            raise ScoringError(
                "no_members",
                f"Hộ không có thành viên nào: {_ids_preview(self.h_ids[self.n == 0])}",
                f"Households without members: {_ids_preview(self.h_ids[self.n == 0])}",
            )
        self.year = self._survey_years()
        self.age = self.year[self.codes] - self._birth_years()

    def _survey_years(self) -> np.ndarray:
        codes, uniques = self._factorized("h", "survey_date")
        if (codes == 0).any():
            raise ScoringError(
                "survey_date_missing",
                f"Thiếu ngày khảo sát ở các hộ: {_ids_preview(self.h_ids[codes == 0])}",
                f"Survey date missing in households: {_ids_preview(self.h_ids[codes == 0])}",
            )
        return np.array([0] + [survey_year(u) for u in uniques], dtype=np.int16)[codes]

    def _birth_years(self) -> np.ndarray:
        by = self.members["birth_year"]
        if by.isna().any():
            bad = pd.unique(self.members["household_id"].to_numpy()[by.isna().to_numpy()])
            raise ScoringError(
                "birth_year_missing",
                f"Thiếu năm sinh ở các hộ: {_ids_preview(bad)}",
                f"Birth year missing in households: {_ids_preview(bad)}",
            )
        # ages fit int16 and comparisons over millions of members are cheaper on small ints
        return by.to_numpy().astype(np.int16)

    # -- column access -------------------------------------------------------------------
    def _factorized(self, table: str, column: str) -> tuple[np.ndarray, list[Any]]:
        key = (table, column)
        if key not in self._cache:
            df = self.households if table == "h" else self.members
            if column not in df.columns:
                self._cache[key] = (np.zeros(len(df), dtype=np.uint8), [])
            else:
                self._cache[key] = factorize(df[column])
        return self._cache[key]

    def _lookup(self, table: str, column: str, fn: Callable[[Any], Any], dtype: Any) -> np.ndarray:
        """fn applied to every distinct value of a column, broadcast back to its rows."""
        codes, uniques = self._factorized(table, column)
        lut = np.array([fn(None)] + [fn(u) for u in uniques], dtype=dtype)
        return lut[codes]

    def m_in(self, field: str, values: Iterable[Any]) -> np.ndarray:
        wanted = set(values)
        return self._lookup("m", field, lambda v: v is not None and v in wanted, bool)

    def m_true(self, field: str) -> np.ndarray:
        col = self.members.get(field)
        if col is not None and col.dtype == bool:
            return col.to_numpy()
        if col is not None and isinstance(col.dtype, pd.BooleanDtype):
            return col.to_numpy(dtype=bool, na_value=False)
        return self._lookup("m", field, is_true, bool)

    def m_values_h(self, column: str) -> tuple[np.ndarray, list[Any]]:
        """Shifted codes (0 = missing) and distinct values of a households-table column."""
        return self._factorized("h", column)

    def m_values(self, field: str) -> tuple[np.ndarray, list[Any]]:
        return self._factorized("m", field)

    def h_map(self, column: str, fn: Callable[[Any], Any], dtype: Any = bool) -> np.ndarray:
        """fn over a households-table column, per household (fn(None) for missing values)."""
        return self._lookup("h", column, fn, dtype)

    def d_map(self, field: str, fn: Callable[[Any], Any], dtype: Any = bool) -> np.ndarray:
        """fn over a dwelling field (column ``dwelling_<field>``), per household."""
        return self._lookup("h", f"dwelling_{field}", fn, dtype)

    def d_number(self, field: str) -> np.ndarray:
        col = f"dwelling_{field}"
        if col not in self.households.columns:
            raise _missing_column("households", col)
        values = pd.to_numeric(self.households[col]).to_numpy(dtype=np.float64)
        if np.isnan(values).any():
            bad = self.h_ids[np.isnan(values)]
            raise ScoringError(
                f"{field}_missing",
                f"Thiếu {col} ở các hộ: {_ids_preview(bad)}",
                f"{col} missing in households: {_ids_preview(bad)}",
            )
        return values

    # -- reductions per household -----------------------------------------------------------
    def any(self, member_mask: np.ndarray) -> np.ndarray:
        out = np.zeros(self.H, dtype=bool)
        out[self.codes[member_mask]] = True
        return out

    def count(self, member_mask: np.ndarray) -> np.ndarray:
        return np.bincount(self.codes[member_mask], minlength=self.H)

    def age_between(self, lo: int | None, hi: int | None) -> np.ndarray:
        if lo is None and hi is None:
            return np.ones(len(self.age), dtype=bool)
        if lo is None:
            return self.age <= hi
        if hi is None:
            return self.age >= lo
        return (self.age >= lo) & (self.age <= hi)


def _missing_column(table: str, column: str) -> ScoringError:
    return ScoringError(
        "column_missing",
        f"Bảng {table} thiếu cột {column}",
        f"The {table} table has no column {column}",
    )


__all__ = ["Frame", "factorize", "member_codes"]
