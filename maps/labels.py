"""Names and labels the map package shows: classes, measures and indicators, in Vietnamese and English.

The class names are the strings `scoring` uses (docs/design.md); they are repeated here so that
`maps` stays importable without the scoring package. Indicator labels default to the vn-2022
list; a caller that has a loaded standard passes its own labels.
"""

from __future__ import annotations

from collections.abc import Mapping

POOR, NEAR_POOR, AVERAGE, NOT_POOR = "poor", "near_poor", "average", "not_poor"
CLASSES: tuple[str, ...] = (POOR, NEAR_POOR, AVERAGE, NOT_POOR)

NO_DATA = ("Không có số liệu", "No data")
APPROXIMATE = ("Ranh giới gần đúng", "Approximate boundaries")

# measure id -> (Vietnamese, English)
MEASURE_LABELS: dict[str, tuple[str, str]] = {
    "poor_rate": ("Tỷ lệ hộ nghèo, %", "Poor rate, %"),
    "near_poor_rate": ("Tỷ lệ hộ cận nghèo, %", "Near-poor rate, %"),
    "combined_rate": ("Tỷ lệ hộ nghèo và cận nghèo, %", "Poor and near-poor rate, %"),
    "average_rate": ("Tỷ lệ hộ có mức sống trung bình, %", "Average living standard rate, %"),
    "mpi_M0": ("Chỉ số nghèo đa chiều M0", "Multidimensional poverty index M0"),
    "mpi_H": ("Tỷ lệ nghèo MPI H", "MPI headcount ratio H"),
    "mpi_A": ("Cường độ thiếu hụt MPI A", "MPI intensity A"),
    "households": ("Số hộ", "Households"),
}

INDICATOR_LABELS: dict[str, tuple[str, str]] = {
    "employment": ("Việc làm", "Employment"),
    "dependents": ("Người phụ thuộc", "Dependents"),
    "nutrition": ("Dinh dưỡng", "Nutrition"),
    "health_insurance": ("Bảo hiểm y tế", "Health insurance"),
    "adult_education": ("Giáo dục người lớn", "Adult education"),
    "child_schooling": ("Trẻ em đi học", "Children's schooling"),
    "housing_quality": ("Chất lượng nhà ở", "Housing quality"),
    "floor_area": ("Diện tích nhà ở", "Floor area per person"),
    "water": ("Nước sinh hoạt", "Domestic water"),
    "latrine": ("Nhà tiêu hợp vệ sinh", "Hygienic latrine"),
    "telecom": ("Dịch vụ viễn thông", "Telecom use"),
    "information_means": ("Phương tiện thông tin", "Means of information"),
    "waste": ("Xử lý rác thải", "Waste treatment"),
    "healthcare_access": ("Tiếp cận y tế", "Health-care access"),
    "information_access": ("Tiếp cận thông tin", "Information access"),
}

LANGUAGES = ("both", "vi", "en")


def pick(pair: tuple[str, str], lang: str = "both") -> str:
    """One label from a (Vietnamese, English) pair: ``both`` gives "Tiếng Việt (English)"."""
    if lang not in LANGUAGES:
        raise ValueError(f"Ngôn ngữ không hợp lệ / unknown language {lang!r}: use {LANGUAGES}")
    vi, en = pair
    if lang == "vi":
        return vi
    if lang == "en":
        return en
    return f"{vi} ({en})"


def indicator_pair(
    indicator: str, labels: Mapping[str, tuple[str, str]] | None = None
) -> tuple[str, str]:
    """(vi, en) label of an indicator id; unknown ids are shown as the id itself."""
    table = {**INDICATOR_LABELS, **(labels or {})}
    if indicator in table:
        return tuple(table[indicator])  # type: ignore[return-value]
    plain = indicator.replace("_", " ")
    return plain, plain


def measure_pair(
    measure: str, indicator_labels: Mapping[str, tuple[str, str]] | None = None
) -> tuple[str, str]:
    """(vi, en) label of a measure column such as ``poor_rate`` or ``dep_water_rate_poor``."""
    if measure in MEASURE_LABELS:
        return MEASURE_LABELS[measure]
    if measure.startswith("change_"):
        vi, en = measure_pair(measure[len("change_") :], indicator_labels)
        return (
            f"Thay đổi {_lower_first(vi).replace(', %', ', điểm %')}",
            f"Change in {_lower_first(en).replace(', %', ', points')}",
        )
    if measure.startswith("dep_"):
        return _deprivation_pair(measure[len("dep_") :], indicator_labels)
    return measure, measure


def _deprivation_pair(rest: str, labels: Mapping[str, tuple[str, str]] | None) -> tuple[str, str]:
    groups = {
        "_rate_near_poor": ("trong hộ cận nghèo", "among near-poor"),
        "_rate_poor": ("trong hộ nghèo", "among poor"),
        "_rate": ("", ""),
    }
    for suffix, (group_vi, group_en) in groups.items():
        if rest.endswith(suffix):
            vi, en = indicator_pair(rest[: -len(suffix)], labels)
            vi_text = f"Thiếu hụt {vi.lower()}" + (f" {group_vi}" if group_vi else "")
            en_text = f"Deprived: {en.lower()}" + (f" {group_en}" if group_en else "")
            return f"{vi_text}, %", f"{en_text}, %"
    return rest, rest


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]
