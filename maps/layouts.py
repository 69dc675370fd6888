"""Commune layouts: which list of communes a set of codes belongs to.

Two layouts exist for the years this toolkit covers: the 2020–2024 one (Hà Tĩnh: 216 communes
in 13 districts over those years, 210 at the end of 2024) and the one in force since 1 July 2025
(Hà Tĩnh: 69 communes). The 2025 reorganisation reused old codes — every one of Hà Tĩnh's 69 new
codes was an old commune's code — so a code alone does not say which commune it means, and a
silent join of two layouts compares a merged commune with one of its parts.

`detect_layout` reads the evidence in a set of codes; `resolve_layout` turns it into a layout or
a clear error, taking the user's word (``declared``) where the codes cannot tell. Pure pandas.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from maps.codes import normalise_code

LAYOUT_2025 = "2025"
LAYOUT_OLD = "2020-2024"
LAYOUTS = (LAYOUT_2025, LAYOUT_OLD)
LAYOUT_NAMES = {
    LAYOUT_2025: "bộ mã sau 1/7/2025 / the July 2025 layout",
    LAYOUT_OLD: "bộ mã 2020–2024 / the 2020–2024 layout",
}
COMMUNES_CSV = Path(__file__).resolve().parents[1] / "survey_forms" / "data" / "communes.csv"
CROSSWALK_CSV = Path(__file__).with_name("data") / "crosswalk_2025.csv"
# A set of reused codes covering at least this share of its provinces' 2025 communes is a 2025
# set: an old-layout file of the same area would carry the old-only codes of the merged communes.
FULL_COVERAGE = 0.9


class LayoutError(ValueError):
    """Codes of the wrong, a mixed or an undecidable layout (message in Vietnamese and English)."""


@dataclass
class LayoutEvidence:
    """What a set of codes says about its layout. ``layout`` is None when it cannot tell."""

    layout: str | None
    codes: int
    new_only: list[str] = field(default_factory=list)  # valid only since July 2025
    old_only: list[str] = field(default_factory=list)  # valid only before July 2025
    reused: list[str] = field(default_factory=list)  # valid in both (a different commune!)
    unknown: list[str] = field(default_factory=list)  # in neither list
    coverage: float = 0.0  # share of the 2025 communes of the codes' provinces present
    reason: str = ""


@functools.lru_cache(maxsize=1)
def current_codes() -> frozenset[str]:
    """Codes of the 3,321 communes in force since 1 July 2025."""
    frame = pd.read_csv(COMMUNES_CSV, dtype=str, usecols=["commune_code"])
    return frozenset(frame["commune_code"])


@functools.lru_cache(maxsize=1)
def _province_of_current() -> dict[str, str]:
    frame = pd.read_csv(COMMUNES_CSV, dtype=str, usecols=["province_code", "commune_code"])
    return dict(zip(frame["commune_code"], frame["province_code"], strict=True))


@functools.lru_cache(maxsize=1)
def old_codes() -> frozenset[str]:
    """Codes of the 2020–2024 communes (every old code of the bundled crosswalk)."""
    frame = pd.read_csv(CROSSWALK_CSV, dtype=str, usecols=["old_ward_code"])
    return frozenset(frame["old_ward_code"].map(normalise_code))


def detect_layout(codes: Iterable[object]) -> LayoutEvidence:
    """Which layout ``codes`` belong to, from the codes alone.

    Old-only codes (and no new-only ones) mean 2020–2024; new-only codes (and no old-only ones)
    mean 2025; a set of reused codes is 2025 only when it covers nearly all (90 %) of its
    provinces' 2025 communes, otherwise the codes cannot tell.
    """
    present = sorted({normalise_code(c) for c in codes} - {"", "nan", "None"})
    new, old = current_codes(), old_codes()
    evidence = LayoutEvidence(
        layout=None,
        codes=len(present),
        new_only=[c for c in present if c in new and c not in old],
        old_only=[c for c in present if c in old and c not in new],
        reused=[c for c in present if c in new and c in old],
        unknown=[c for c in present if c not in new and c not in old],
    )
    evidence.coverage = _coverage(evidence.new_only + evidence.reused)
    if evidence.old_only and evidence.new_only:
        evidence.reason = (
            f"trộn hai bộ mã / mixes both layouts: {_few(evidence.old_only)} only before "
            f"July 2025, {_few(evidence.new_only)} only since"
        )
    elif evidence.old_only:
        evidence.layout = LAYOUT_OLD
        evidence.reason = (
            f"{len(evidence.old_only)} mã chỉ có trước 7/2025 / codes only valid before July 2025"
        )
    elif evidence.new_only:
        evidence.layout = LAYOUT_2025
        evidence.reason = (
            f"{len(evidence.new_only)} mã chỉ có từ 7/2025 / codes only valid since July 2025"
        )
    elif evidence.reused and evidence.coverage >= FULL_COVERAGE:
        evidence.layout = LAYOUT_2025
        evidence.reason = (
            f"đủ {evidence.coverage:.0%} xã hiện nay của tỉnh / covers "
            f"{evidence.coverage:.0%} of the province's current communes"
        )
    elif evidence.reused:
        evidence.reason = (
            f"{len(evidence.reused)} mã có ở cả hai bộ mã (mã cũ được dùng lại) / codes valid in "
            "both layouts (old codes were reused)"
        )
    else:
        evidence.reason = "không mã nào có trong danh mục / no code is in either commune list"
    return evidence


def _coverage(current: list[str]) -> float:
    if not current:
        return 0.0
    province_of = _province_of_current()
    provinces = {province_of[c] for c in current}
    total = sum(1 for p in province_of.values() if p in provinces)
    return len(current) / total


def _few(codes: list[str], limit: int = 5) -> str:
    return ", ".join(codes[:limit]) + (f" … ({len(codes)})" if len(codes) > limit else "")


def resolve_layout(codes: Iterable[object], declared: str | None, what: str) -> str:
    """The layout of ``what`` (e.g. "the scores file"): detected, or ``declared`` by the user.

    A declaration that the codes contradict, codes mixing both layouts, and codes that cannot
    tell without a declaration are `LayoutError`s naming the option to use.
    """
    if declared is not None and declared not in LAYOUTS:
        raise LayoutError(f"Bộ mã không rõ / unknown layout {declared!r}; use one of {LAYOUTS}")
    evidence = detect_layout(codes)
    if evidence.new_only and evidence.old_only:
        raise LayoutError(f"{what}: {evidence.reason}")
    if declared is None:
        if evidence.layout is None:
            raise LayoutError(
                f"{what}: không xác định được bộ mã / cannot tell the layout — {evidence.reason}; "
                f"hãy ghi / say --layout {LAYOUT_2025} hoặc / or {LAYOUT_OLD}"
            )
        return evidence.layout
    wrong = evidence.old_only if declared == LAYOUT_2025 else evidence.new_only
    if wrong:
        raise LayoutError(
            f"{what}: ghi là {LAYOUT_NAMES[declared]} nhưng có mã {_few(wrong)} không thuộc bộ "
            f"mã đó / declared {declared} but codes {_few(wrong)} do not exist in that layout"
        )
    return declared
