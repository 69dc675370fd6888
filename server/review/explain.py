"""What the household page shows about a stored score, in words: each indicator's reason
(`scoring.reasons`, the same sentences the scoring result and the API carry), the dimension's
and the rule's names, and the Phiếu B items with their questionnaire labels.

Scores stored before reasons were part of the result get them computed here from their facts,
so every household reads the same way.
"""

from __future__ import annotations

from typing import Any

from scoring import reasons
from scoring.text import RULE_TITLES, en_number, vi_number


def _standard(standard_id: str):
    from server import scoring_adapter

    return scoring_adapter.standard(standard_id)


def score_view(score: dict[str, Any] | None, record: dict[str, Any], locale: str) -> dict:
    """Per indicator id: reason and dimension label; the rule's title; Phiếu B items."""
    if not score:
        return {"indicators": {}, "rule": "", "items": [], "field": {}}
    lang = "en" if locale.startswith("en") else "vi"
    standard = _standard(score["standard"])
    computed = reasons.indicator_reasons(score, record, standard)
    indicators = {}
    for indicator in score.get("indicators") or []:
        reason = indicator.get("reason") or computed.get(indicator["id"]) or {}
        indicators[indicator["id"]] = {
            "reason": reason.get(lang, ""),
            "dimension": reasons.dimension_label(standard, indicator["dimension"])[lang],
        }
    title = RULE_TITLES.get(score.get("rule"), ("", ""))
    items = [
        {"label": item[lang], "points": item["points"]}
        for item in reasons.scorecard_items(score.get("field_score"))
    ]
    number = en_number if lang == "en" else vi_number
    field = {
        key: number(value) if value is not None else None
        for key, value in (score.get("field_score") or {}).items()
        if key in ("b1", "b2", "b1_cutoff", "b1_poor_cutoff", "b2_poor_min")
    }
    return {
        "indicators": indicators,
        "rule": title[0 if lang == "vi" else 1],
        "items": items,
        "field": field,
    }
