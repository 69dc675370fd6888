"""Classify one household under a standard: the auditable result with its explanation.

``classify(household, "vn-2022")`` computes every indicator of the standard from the raw
answers, per-capita income (income mode) or B1/B2 from the Phiếu B scorecard (field mode), and
applies the standard's classification rule. The result records the rule that fired, the facts
behind each indicator and the standard's id, version and provisional flag.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import ScoringError
from .indicators import REGISTRY
from .reasons import indicator_reason, people_of
from .rules import (
    RULE_CLASSES,
    field_conditions,
    first_rule,
    income_conditions,
    line_values,
    require_cutoffs,
)
from .scorecard import Scorecard, load_scorecard, score_b1
from .standard import Standard, load_standard
from .text import explain
from .view import HouseholdView

MODES = ("income", "field")


@dataclass(frozen=True)
class IndicatorResult:
    id: str
    dimension: str
    deprived: bool
    facts: Mapping[str, Any]
    label_vi: str
    label_en: str
    provenance: str
    # why, as sentences an official reads ({"vi", "en"}; scoring.reasons)
    reason: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "dimension": self.dimension,
            "deprived": self.deprived,
            "facts": dict(self.facts),
            "label_vi": self.label_vi,
            "label_en": self.label_en,
            "provenance": self.provenance,
            "reason": dict(self.reason),
        }


@dataclass(frozen=True)
class Classification:
    """The outcome for one household; ``to_dict()`` is the documented JSON shape."""

    household_id: str | None
    standard: str
    standard_version: str
    provisional: bool
    mode: str
    classification: str
    rule: str
    income: Mapping[str, Any]
    indicators: tuple[IndicatorResult, ...]
    field_score: Mapping[str, Any] | None
    explanation: Mapping[str, str]

    @property
    def deprivations(self) -> list[str]:
        return [i.id for i in self.indicators if i.deprived]

    @property
    def deprivation_count(self) -> int:
        return len(self.deprivations)

    def to_dict(self) -> dict[str, Any]:
        return {
            "household_id": self.household_id,
            "standard": self.standard,
            "standard_version": self.standard_version,
            "provisional": self.provisional,
            "mode": self.mode,
            "classification": self.classification,
            "rule": self.rule,
            "income": dict(self.income),
            "deprivation_count": self.deprivation_count,
            "deprivations": self.deprivations,
            "indicators": [i.to_dict() for i in self.indicators],
            "field_score": None if self.field_score is None else dict(self.field_score),
            "explanation": dict(self.explanation),
        }


def evaluate_indicators(
    hh: HouseholdView, std: Standard, *, reasons: bool = True
) -> tuple[IndicatorResult, ...]:
    """Every indicator of the standard over one household, with the facts that decided it
    (and, unless `reasons` is False, why, as sentences)."""
    results = []
    people = people_of({"members": hh.members})
    for ind in std.indicators:
        deprived, facts = REGISTRY[ind.function].record(hh, ind.params)
        results.append(
            IndicatorResult(
                ind.id,
                ind.dimension,
                bool(deprived),
                facts,
                ind.label_vi,
                ind.label_en,
                ind.provenance,
                indicator_reason(ind.function, ind.params, facts, bool(deprived), people)
                if reasons
                else {},
            )
        )
    return tuple(results)


def _income_block(hh: HouseholdView, std: Standard, area: str) -> dict[str, Any]:
    return {
        "per_capita_month": hh.income_per_capita(std.counted_sources),
        "line": std.line(area, "poor"),
        "near_poor_line": std.line(area, "near_poor"),
        "average_line": std.line(area, "average"),
        "area": area,
        "members": hh.n,
        "counted_sources": list(std.counted_sources),
    }


def _income_rule(std: Standard, income: Mapping[str, Any], d: int, hid: str | None) -> str:
    y = income["per_capita_month"]
    if y is None:
        raise ScoringError(
            "income_missing",
            "Hộ không có thu nhập 12 tháng (income.sources_12m): không chấm được theo thu nhập; "
            "dùng chế độ phiếu B (mode='field')",
            "No 12-month income recorded (income.sources_12m): cannot score by income; "
            "use the Phiếu B field mode (mode='field')",
            household_id=hid,
        )
    poor, near, avg = line_values(std, income["area"])
    return first_rule(income_conditions(std, y, d, poor, near, avg))


def _field(hh: HouseholdView, std: Standard, card: Scorecard, income: Mapping[str, Any], d: int):
    cut = require_cutoffs(std, income["area"], hh.household_id)
    b1, region, items = score_b1(hh, card)
    b2 = std.field_score["b2_points_per_deprivation"] * d
    y = income["per_capita_month"]
    poor_cut = cut.get("b1_poor_max", float("nan"))
    conditions = field_conditions(
        std,
        b1,
        b2,
        float("nan") if y is None else y,
        cut["b1_max"],
        poor_cut,
        line_values(std, income["area"])[2],
    )
    score = {
        "b1": b1,
        "b2": b2,
        "b1_cutoff": cut["b1_max"],
        "b1_poor_cutoff": cut.get("b1_poor_max"),
        "b2_poor_min": std.field_score["b2_poor_min"],
        "region": region,
        "items": items,
        "scorecard": card.describe(),
    }
    return first_rule(conditions), score


def _check_mode(std: Standard, mode: str, scorecard: Any) -> None:
    if std.kind != "legal":
        raise ScoringError(
            "analysis_standard",
            f"{std.id} là chuẩn phân tích: dùng scoring.mpi, không dùng classify",
            f"{std.id} is an analysis standard: use scoring.mpi, not classify",
        )
    if mode not in MODES:
        raise ScoringError(
            "mode_invalid",
            f"Chế độ không hợp lệ: {mode!r} (income, field)",
            f"Invalid mode: {mode!r} (income, field)",
        )
    if mode == "field" and scorecard is None:
        raise ScoringError(
            "scorecard_required",
            "Chế độ phiếu B cần bảng điểm B1 của tỉnh (scorecard=...); "
            "scoring.EXAMPLE_SCORECARD chỉ là ví dụ",
            "Field mode needs the province's B1 scorecard (scorecard=...); "
            "scoring.EXAMPLE_SCORECARD is only an example",
        )


def classify(
    household: Mapping[str, Any],
    standard: str | Standard = "vn-2022",
    *,
    mode: str = "income",
    scorecard: Scorecard | Mapping[str, Any] | str | None = None,
    explained: bool = True,
) -> Classification:
    """Classify one canonical household record (see docs/scoring.md).

    `explained=False` leaves out the sentences (each indicator's `reason` and the
    `explanation` are empty): the same class, rule, facts and income for about half the time,
    for callers that store the decision and explain it later (the server, issue 16)."""
    std = load_standard(standard)
    _check_mode(std, mode, scorecard)
    hh = HouseholdView.from_record(household)
    indicators = evaluate_indicators(hh, std, reasons=explained)
    d = sum(1 for i in indicators if i.deprived)
    income = _income_block(hh, std, hh.area)
    if mode == "income":
        rule, score = _income_rule(std, income, d, hh.household_id), None
    else:
        rule, score = _field(hh, std, load_scorecard(scorecard), income, d)
    cls = RULE_CLASSES[rule]
    explanation = explain(std, mode, cls, rule, income, indicators, score) if explained else {}
    return Classification(
        household_id=hh.household_id,
        standard=std.id,
        standard_version=std.version,
        provisional=std.provisional,
        mode=mode,
        classification=cls,
        rule=rule,
        income=income,
        indicators=indicators,
        field_score=score,
        explanation=explanation,
    )
