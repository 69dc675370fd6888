"""Explanations of a classification in Vietnamese and English, built from the rule that fired.

The text names the numbers that decided the class (income and line, or B1/B2 and cut-offs),
the deprived indicators, and warns when the standard is provisional or the scorecard is an
example, so a printed or posted result can never be mistaken for an official one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

CLASS_LABELS = {
    "poor": ("Hộ nghèo", "Poor household"),
    "near_poor": ("Hộ cận nghèo", "Near-poor household"),
    "average": ("Hộ có mức sống trung bình", "Average-living-standard household"),
    "not_poor": ("Không thuộc hộ nghèo, cận nghèo", "Neither poor nor near-poor"),
}
AREA_LABELS = {"rural": ("nông thôn", "rural"), "urban": ("thành thị", "urban")}

# rule id -> (Vietnamese, English) reason; fields filled from _numbers()
REASONS: dict[str, tuple[str, str]] = {
    "income_at_or_below_poor_line": (
        "thu nhập bình quân {y} đồng/người/tháng không vượt chuẩn nghèo {area_vi} {poor} đồng",
        "income of {y_en} VND per person per month is at or below the {area_en} poverty line of "
        "{poor_en} VND",
    ),
    "income_at_or_below_line_and_deprived": (
        "thu nhập bình quân {y} đồng/người/tháng không vượt {line_vi} {area_vi} {line} đồng và "
        "thiếu hụt {d}/{n} chỉ số (từ {k} chỉ số trở lên là hộ nghèo)",
        "income of {y_en} VND per person per month is at or below the {area_en} {line_en} of "
        "{line_en_amount} VND and the household is deprived in {d} of {n} indicators "
        "({k} or more make it poor)",
    ),
    "income_at_or_below_line_few_deprivations": (
        "thu nhập bình quân {y} đồng/người/tháng không vượt {line_vi} {area_vi} {line} đồng nhưng "
        "chỉ thiếu hụt {d}/{n} chỉ số (dưới {k})",
        "income of {y_en} VND per person per month is at or below the {area_en} {line_en} of "
        "{line_en_amount} VND but the household is deprived in only {d} of {n} indicators "
        "(fewer than {k})",
    ),
    "income_at_or_below_average_line": (
        "thu nhập bình quân {y} đồng/người/tháng trên {line_vi} {line} đồng nhưng không vượt mức "
        "sống trung bình {area_vi} {avg} đồng",
        "income of {y_en} VND per person per month is above the {line_en} of {line_en_amount} VND "
        "but at or below the {area_en} average-living-standard line of {avg_en} VND",
    ),
    "income_above_average_line": (
        "thu nhập bình quân {y} đồng/người/tháng trên mức sống trung bình {area_vi} {avg} đồng",
        "income of {y_en} VND per person per month is above the {area_en} average-living-standard "
        "line of {avg_en} VND",
    ),
    "income_above_line_average_band_unknown": (
        "thu nhập bình quân {y} đồng/người/tháng trên chuẩn {area_vi} {line} đồng; chuẩn này chưa "
        "quy định mức sống trung bình nên không tách hộ có mức sống trung bình",
        "income of {y_en} VND per person per month is above the {area_en} line of {line_en_amount} "
        "VND; this standard has no average-living-standard band yet, so average-living households "
        "are not separated",
    ),
    "field_b1_at_or_below_poor_cutoff": (
        "điểm B1 = {b1} không vượt ngưỡng nghèo {area_vi} {poor_cut}",
        "B1 score {b1} is at or below the {area_en} poverty cut-off of {poor_cut}",
    ),
    "field_b1_at_or_below_cutoff_and_b2_poor": (
        "điểm B1 = {b1} không vượt ngưỡng {area_vi} {cut} và điểm B2 = {b2} (từ {b2min} trở lên)",
        "B1 score {b1} is at or below the {area_en} cut-off of {cut} and B2 = {b2} "
        "({b2min} or more)",
    ),
    "field_b1_at_or_below_cutoff_b2_below_poor": (
        "điểm B1 = {b1} không vượt ngưỡng {area_vi} {cut} và điểm B2 = {b2} (dưới {b2min})",
        "B1 score {b1} is at or below the {area_en} cut-off of {cut} and B2 = {b2} (below {b2min})",
    ),
    "field_b1_above_cutoff_income_at_or_below_average_line": (
        "điểm B1 = {b1} trên ngưỡng {cut}; thu nhập thực tế {y} đồng/người/tháng không vượt mức "
        "sống trung bình {avg} đồng",
        "B1 score {b1} is above the cut-off of {cut}; actual income of {y_en} VND per person per "
        "month is at or below the average-living-standard line of {avg_en} VND",
    ),
    "field_b1_above_cutoff_income_above_average_line": (
        "điểm B1 = {b1} trên ngưỡng {cut}; thu nhập thực tế {y} đồng/người/tháng trên mức sống "
        "trung bình {avg} đồng",
        "B1 score {b1} is above the cut-off of {cut}; actual income of {y_en} VND per person per "
        "month is above the average-living-standard line of {avg_en} VND",
    ),
    "field_b1_above_cutoff_average_band_unknown": (
        "điểm B1 = {b1} trên ngưỡng {cut}; chuẩn này chưa quy định mức sống trung bình",
        "B1 score {b1} is above the cut-off of {cut}; this standard has no "
        "average-living-standard band yet",
    ),
    "field_b1_above_cutoff_income_unknown": (
        "điểm B1 = {b1} trên ngưỡng {cut}; không có thu nhập thực tế để xét mức sống trung bình",
        "B1 score {b1} is above the cut-off of {cut}; no actual income recorded to test the "
        "average-living-standard band",
    ),
}


# Short names of the rules (rules.py ids) for pages that say which rule decided the class.
RULE_TITLES: dict[str, tuple[str, str]] = {
    "income_at_or_below_poor_line": (
        "Thu nhập không vượt chuẩn nghèo",
        "Income at or below the poverty line",
    ),
    "income_at_or_below_line_and_deprived": (
        "Thu nhập không vượt chuẩn và thiếu hụt đủ số chỉ số",
        "Income at or below the line and deprived in enough indicators",
    ),
    "income_at_or_below_line_few_deprivations": (
        "Thu nhập không vượt chuẩn, thiếu hụt ít chỉ số",
        "Income at or below the line, few deprivations",
    ),
    "income_at_or_below_average_line": (
        "Thu nhập không vượt mức sống trung bình",
        "Income at or below the average-living-standard line",
    ),
    "income_above_average_line": (
        "Thu nhập trên mức sống trung bình",
        "Income above the average-living-standard line",
    ),
    "income_above_line_average_band_unknown": (
        "Thu nhập trên chuẩn (chuẩn chưa quy định mức sống trung bình)",
        "Income above the line (no average band in this standard)",
    ),
    "field_b1_at_or_below_poor_cutoff": (
        "Điểm B1 không vượt ngưỡng nghèo",
        "B1 score at or below the poverty cut-off",
    ),
    "field_b1_at_or_below_cutoff_and_b2_poor": (
        "Điểm B1 không vượt ngưỡng và điểm B2 đủ mức nghèo",
        "B1 at or below the cut-off and B2 at the poverty level",
    ),
    "field_b1_at_or_below_cutoff_b2_below_poor": (
        "Điểm B1 không vượt ngưỡng, điểm B2 dưới mức nghèo",
        "B1 at or below the cut-off, B2 below the poverty level",
    ),
    "field_b1_above_cutoff_income_at_or_below_average_line": (
        "Điểm B1 trên ngưỡng, thu nhập không vượt mức sống trung bình",
        "B1 above the cut-off, income at or below the average line",
    ),
    "field_b1_above_cutoff_income_above_average_line": (
        "Điểm B1 trên ngưỡng, thu nhập trên mức sống trung bình",
        "B1 above the cut-off, income above the average line",
    ),
    "field_b1_above_cutoff_average_band_unknown": (
        "Điểm B1 trên ngưỡng (chuẩn chưa quy định mức sống trung bình)",
        "B1 above the cut-off (no average band in this standard)",
    ),
    "field_b1_above_cutoff_income_unknown": (
        "Điểm B1 trên ngưỡng, không có thu nhập thực tế",
        "B1 above the cut-off, no measured income",
    ),
}


def vi_number(value: Any, decimals: int | None = None) -> str:
    """Vietnamese number format: 20.400 and 5,61 (decimals: fixed places; None: as needed)."""
    return _grouped(value, decimals, thousands=".", point=",")


def en_number(value: Any, decimals: int | None = None) -> str:
    """English number format: 20,400 and 5.61."""
    return _grouped(value, decimals, thousands=",", point=".")


def _grouped(value: Any, decimals: int | None, *, thousands: str, point: str) -> str:
    if value is None or value != value:
        return "?"
    if decimals is None:
        decimals = 0 if float(value).is_integer() else 2
    text = f"{float(value):,.{decimals}f}"
    if decimals and "." in text:
        text = text.rstrip("0").rstrip(".") if decimals > 0 else text
    return text.replace(",", "\0").replace(".", point).replace("\0", thousands)


def vi_percent(share: Any) -> str:
    """A share (0.5714) as a Vietnamese percentage rounded to whole points: "57 %"."""
    if share is None or share != share:
        return "?"
    return f"{vi_number(round(float(share) * 100))} %"


def _vnd(value: Any, sep: str) -> str:
    if value is None or value != value:
        return "?"
    text = f"{round(value):,}"
    return text.replace(",", sep)


def _pts(value: Any) -> str:
    if value is None:
        return "?"
    return f"{value:g}"


def _numbers(std, income: Mapping[str, Any], inds: Sequence, score) -> dict[str, Any]:
    area = income["area"]
    two = std.rule == "two_line"
    line = income["near_poor_line"] if two else income["line"]
    fs = score or {}
    return {
        "y": _vnd(income["per_capita_month"], "."),
        "y_en": _vnd(income["per_capita_month"], ","),
        "poor": _vnd(income["line"], "."),
        "poor_en": _vnd(income["line"], ","),
        "line": _vnd(line, "."),
        "line_en_amount": _vnd(line, ","),
        "line_vi": "chuẩn cận nghèo" if two else "chuẩn nghèo",
        "line_en": "near-poverty line" if two else "poverty line",
        "avg": _vnd(income["average_line"], "."),
        "avg_en": _vnd(income["average_line"], ","),
        "area_vi": AREA_LABELS[area][0],
        "area_en": AREA_LABELS[area][1],
        "d": sum(1 for i in inds if i.deprived),
        "n": len(inds),
        "k": std.min_deprivations_poor,
        "b1": _pts(fs.get("b1")),
        "b2": _pts(fs.get("b2")),
        "cut": _pts(fs.get("b1_cutoff")),
        "poor_cut": _pts(fs.get("b1_poor_cutoff")),
        "b2min": _pts(fs.get("b2_poor_min")),
    }


def _warnings(std, score) -> tuple[list[str], list[str]]:
    vi, en = [], []
    if std.provisional:
        vi.append(f"[TẠM THỜI — chuẩn {std.id} chưa chính thức, một số quy định chưa rõ]")
        en.append(f"[PROVISIONAL — standard {std.id} is not final; some rules are not established]")
    if score and score["scorecard"]["example"]:
        vi.append(f"[Bảng điểm B1 VÍ DỤ '{score['scorecard']['id']}' — không phải bảng chính thức]")
        en.append(f"[EXAMPLE B1 scorecard '{score['scorecard']['id']}' — not the official table]")
    return vi, en


def explain(std, mode: str, cls: str, rule: str, income, inds: Sequence, score) -> dict[str, str]:
    """{"vi": ..., "en": ...} sentences saying which class, why, and which deprivations."""
    nums = _numbers(std, income, inds, score)
    reason_vi, reason_en = (t.format(**nums) for t in REASONS[rule])
    deprived = [i for i in inds if i.deprived]
    dep_vi = ", ".join(i.label_vi.lower() for i in deprived) or "không có"
    dep_en = ", ".join(i.label_en.lower() for i in deprived) or "none"
    warn_vi, warn_en = _warnings(std, score)
    label_vi, label_en = CLASS_LABELS[cls]
    vi = " ".join(
        warn_vi
        + [
            f"{label_vi} (chuẩn {std.id}, phiên bản {std.version}):",
            f"{reason_vi}.",
            f"Chỉ số thiếu hụt ({nums['d']}/{nums['n']}): {dep_vi}.",
        ]
    )
    en = " ".join(
        warn_en
        + [
            f"{label_en} (standard {std.id}, version {std.version}):",
            f"{reason_en}.",
            f"Deprived indicators ({nums['d']}/{nums['n']}): {dep_en}.",
        ]
    )
    return {"vi": vi, "en": en}
