"""Classification rules: from per-capita income or field scores plus deprivation count to a class.

Shared by ``classify`` (one household, scalars) and ``batch`` (numpy arrays): each rule is a
list of (rule id, class, condition) tried in order, so both paths apply the same law.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .errors import IncompleteStandard
from .standard import Standard

POOR, NEAR_POOR, AVERAGE, NOT_POOR = "poor", "near_poor", "average", "not_poor"
CLASSES = (POOR, NEAR_POOR, AVERAGE, NOT_POOR)

# rule id -> class; the order is the order conditions are tried
RULE_CLASSES: dict[str, str] = {
    "income_at_or_below_poor_line": POOR,
    "income_at_or_below_line_and_deprived": POOR,
    "income_at_or_below_line_few_deprivations": NEAR_POOR,
    "income_at_or_below_average_line": AVERAGE,
    "income_above_average_line": NOT_POOR,
    "income_above_line_average_band_unknown": NOT_POOR,
    "field_b1_at_or_below_poor_cutoff": POOR,
    "field_b1_at_or_below_cutoff_and_b2_poor": POOR,
    "field_b1_at_or_below_cutoff_b2_below_poor": NEAR_POOR,
    "field_b1_above_cutoff_income_at_or_below_average_line": AVERAGE,
    "field_b1_above_cutoff_income_above_average_line": NOT_POOR,
    "field_b1_above_cutoff_average_band_unknown": NOT_POOR,
    "field_b1_above_cutoff_income_unknown": NOT_POOR,
}
RULE_IDS = tuple(RULE_CLASSES)


def _nan(value: Any) -> float:
    return np.nan if value is None else float(value)


def income_conditions(std: Standard, y, d, poor, near, avg) -> list[tuple[str, Any]]:
    """Income-mode rule conditions; y, d arrays or scalars, lines per row or scalars."""
    k = std.min_deprivations_poor
    below_avg = y <= avg  # NaN average line (unknown band) compares False
    avg_unknown = np.isnan(avg) if isinstance(avg, np.ndarray) else avg != avg
    if std.rule == "two_line":
        steps = [
            ("income_at_or_below_poor_line", y <= poor),
            ("income_at_or_below_line_and_deprived", (y <= near) & (d >= k)),
            ("income_at_or_below_line_few_deprivations", y <= near),
        ]
    else:
        steps = [
            ("income_at_or_below_line_and_deprived", (y <= poor) & (d >= k)),
            ("income_at_or_below_line_few_deprivations", y <= poor),
        ]
    return steps + [
        ("income_above_line_average_band_unknown", avg_unknown),
        ("income_at_or_below_average_line", below_avg),
        ("income_above_average_line", True),
    ]


def field_conditions(std: Standard, b1, b2, y, cut, poor_cut, avg) -> list[tuple[str, Any]]:
    """Field-mode rule conditions (Phiếu B): B1 against the cut-offs, B2 against b2_poor_min."""
    b2_poor = b2 >= std.field_score["b2_poor_min"]
    y_unknown = np.isnan(y) if isinstance(y, np.ndarray) else y != y
    avg_unknown = np.isnan(avg) if isinstance(avg, np.ndarray) else avg != avg
    steps = []
    if std.rule == "two_line":
        steps.append(("field_b1_at_or_below_poor_cutoff", b1 <= poor_cut))
    return steps + [
        ("field_b1_at_or_below_cutoff_and_b2_poor", (b1 <= cut) & b2_poor),
        ("field_b1_at_or_below_cutoff_b2_below_poor", b1 <= cut),
        ("field_b1_above_cutoff_income_unknown", y_unknown),
        ("field_b1_above_cutoff_average_band_unknown", avg_unknown),
        ("field_b1_above_cutoff_income_at_or_below_average_line", y <= avg),
        ("field_b1_above_cutoff_income_above_average_line", True),
    ]


def first_rule(conditions: list[tuple[str, Any]]) -> str:
    for rule, cond in conditions:
        if bool(cond):
            return rule
    raise AssertionError("the last condition is always true")


def require_cutoffs(std: Standard, area: str, household_id: str | None = None) -> Mapping[str, Any]:
    cut = std.cutoffs(area)
    if cut is None:
        raise IncompleteStandard(
            "field_cutoffs_unknown",
            f"Chuẩn {std.id} (phiên bản {std.version}) chưa có ngưỡng điểm B1 cho khu vực {area}: "
            "pháp luật chưa quy định; tỉnh phải cung cấp [field_score.cutoffs] trong tệp chuẩn "
            "trước khi chấm điểm theo phiếu B.",
            f"Standard {std.id} (version {std.version}) has no B1 cut-off for {area} areas: the law "
            "has not fixed it; the province must supply [field_score.cutoffs] in the standard "
            "file before field (Phiếu B) scoring.",
            household_id=household_id,
        )
    return cut


def line_values(std: Standard, area: str) -> tuple[float, float, float]:
    """(poor, near-poor, average) lines of an area; near-poor = poor for single-line rules."""
    poor = _nan(std.line(area, "poor"))
    near = _nan(std.line(area, "near_poor")) if std.rule == "two_line" else poor
    return poor, near, _nan(std.line(area, "average"))
