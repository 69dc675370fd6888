"""A read-only view of one canonical household record with the derived quantities scoring needs.

Ages are ``survey year − birth_year`` (the questionnaire asks the year, as Phiếu B does);
per-capita income is counted 12-month income / 12 / members. The arithmetic here is written
in the same order as ``scoring.frame`` so that batch and single-household results are equal
to the last bit.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import ScoringError


def survey_year(value: Any) -> int:
    """The year of a survey date given as ``"YYYY-MM-DD"``, ``date`` or ``datetime``."""
    if isinstance(value, dt.date):
        return value.year
    text = str(value).strip() if value is not None else ""
    if len(text) >= 4 and text[:4].isdigit():
        return int(text[:4])
    raise ScoringError(
        "survey_date_missing",
        f"Thiếu hoặc sai ngày khảo sát: {value!r}",
        f"Survey date missing or invalid: {value!r}",
    )


def is_true(value: Any) -> bool:
    """True only for a true boolean (or 1); None, NaN and missing answers are False."""
    return bool(value == True)  # noqa: E712 — same semantics as the vectorised path


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


@dataclass(frozen=True)
class HouseholdView:
    """One household record plus survey year and member ages."""

    record: Mapping[str, Any]
    year: int
    members: Sequence[Mapping[str, Any]]
    ages: Sequence[int]

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> HouseholdView:
        hid = record.get("household_id")
        members = list(record.get("members") or [])
        if not members:
            raise ScoringError(
                "no_members",
                "Hộ không có thành viên nào",
                "Household has no members",
                household_id=hid,
            )
        try:
            year = survey_year(record.get("survey_date"))
        except ScoringError as exc:
            raise ScoringError(exc.code, exc.message_vi, exc.message_en, household_id=hid) from None
        ages = []
        for i, m in enumerate(members):
            by = m.get("birth_year")
            if is_missing(by):
                raise ScoringError(
                    "birth_year_missing",
                    f"Thiếu năm sinh: members[{i}]",
                    f"Birth year missing: members[{i}]",
                    household_id=hid,
                )
            ages.append(year - int(by))
        return cls(record, year, members, ages)

    @property
    def household_id(self) -> str | None:
        return self.record.get("household_id")

    @property
    def n(self) -> int:
        return len(self.members)

    @property
    def area(self) -> str:
        area = self.record.get("area")
        if area not in ("rural", "urban"):
            raise ScoringError(
                "area_invalid",
                f"Khu vực phải là 'urban' hoặc 'rural', không phải {area!r}",
                f"Area must be 'urban' or 'rural', not {area!r}",
                household_id=self.household_id,
            )
        return area

    @property
    def dwelling(self) -> Mapping[str, Any]:
        return self.record.get("dwelling") or {}

    def iter_members(self) -> Iterator[tuple[Mapping[str, Any], int]]:
        return zip(self.members, self.ages, strict=True)

    def member_no(self, index: int) -> Any:
        return self.members[index].get("member_no", index + 1)

    def income_sources(self) -> Mapping[str, Any]:
        income = self.record.get("income") or {}
        return income.get("sources_12m") or {}

    def income_known(self) -> bool:
        return any(not is_missing(v) for v in self.income_sources().values())

    def income_per_capita(self, counted: Sequence[str]) -> float | None:
        """Counted 12-month income / 12 / members, or None when no income was recorded."""
        if not self.income_known():
            return None
        sources = self.income_sources()
        total = 0.0
        for src in counted:
            v = sources.get(src)
            if not is_missing(v):
                total = total + float(v)
        return total / 12 / self.n

    def scorecard_answers(self) -> Mapping[str, Any]:
        income = self.record.get("income") or {}
        return income.get("scorecard") or {}
