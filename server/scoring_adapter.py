"""The server's only door to the domain core: validation (survey_forms) and scoring.

Kept in one place so the ingest path reads as plain steps, and so the loaded standards are
cached once per process (a standard file is parsed and validated once, not per submission).
"""

from __future__ import annotations

import functools
from typing import Any


def form_identity() -> tuple[str, str]:
    """(FORM_ID, FORM_VERSION) of the questionnaire this server accepts."""
    import survey_forms

    return survey_forms.FORM_ID, survey_forms.FORM_VERSION


def known_standards() -> list[str]:
    from scoring import list_standards

    return list(list_standards())


@functools.lru_cache(maxsize=16)
def standard(standard_id: str):
    from scoring import load_standard

    return load_standard(standard_id)


# The area of an đặc khu's households (setting SPECIAL_ZONE_AREA); None: the record's answer.
_special_zone_area: str | None = None


def configure(*, special_zone_area: str | None) -> None:
    """Set by `create_app` from the settings (one server process serves one province)."""
    global _special_zone_area
    _special_zone_area = special_zone_area


def load(record: dict[str, Any]) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """(normalised record, []) when valid, else (None, every problem as FieldError dicts)."""
    from survey_forms import InvalidHousehold, load_household

    try:
        return load_household(record, special_zone_area=_special_zone_area), []
    except InvalidHousehold as invalid:
        errors = getattr(invalid, "errors", None) or (invalid.args[0] if invalid.args else [])
        return None, [
            error.to_dict() if hasattr(error, "to_dict") else dict(error) for error in errors
        ]


class Unscorable(ValueError):
    """The standard cannot score this household (a `scoring.ScoringError`): its stable code,
    e.g. `income_missing`, and its messages, so every entry point refuses with the library's code."""

    def __init__(self, code: str, message_vi: str, message_en: str) -> None:
        super().__init__(message_en)
        self.code, self.message_vi, self.message_en = code, message_vi, message_en


# The part of the record a scoring error is about (for the error's `path`).
_SCORING_ERROR_PATHS = {"income_missing": "income", "area_invalid": "area"}


def scoring_error_path(code: str) -> str:
    return _SCORING_ERROR_PATHS.get(code, "")


def classify(
    record: dict[str, Any], standard_id: str, *, mode: str = "income", explained: bool = True
) -> dict[str, Any]:
    """The full, auditable classification of one household as a dict; `Unscorable` if the
    standard cannot score it. `explained=False`: without the sentences (what is stored)."""
    from scoring import ScoringError
    from scoring import classify as classify_household
    from survey_forms.communes import with_commune_area

    # The commune decides the area (docs/scoring.md "Area"): a stored record from before that
    # rule is re-scored at the line of where it lives, whatever its `area` says.
    record = with_commune_area(record, special_zone_area=_special_zone_area)
    try:
        return classify_household(
            record, standard(standard_id), mode=mode, explained=explained
        ).to_dict()
    except ScoringError as error:
        raise Unscorable(error.code, error.message_vi, error.message_en) from error


def classify_many(
    records: list[dict[str, Any]], standard_id: str, *, mode: str = "income"
) -> list[dict[str, Any]]:
    """The class of each record (in order) without its explanation, by the vectorised batch
    scorer: `classify`'s household_id, standard, standard_version, provisional, mode,
    classification, rule, deprivation_count and deprivations, plus `income_per_capita_month`
    (None when no income was given). About twenty times cheaper than `classify` per household;
    the two agree on every household (tests/test_rescore_batch.py, and scoring's own property
    test). `Unscorable` when any record cannot be scored — call `classify` on each to find
    which."""
    import math

    from scoring import ScoringError
    from scoring.batch import score_tables
    from survey_forms.communes import with_commune_area
    from survey_forms.tables import households_to_tables

    if not records:
        return []
    areas = [with_commune_area(r, special_zone_area=_special_zone_area) for r in records]
    try:
        table = score_tables(*households_to_tables(areas), standard(standard_id), mode=mode)
    except ScoringError as error:
        raise Unscorable(error.code, error.message_vi, error.message_en) from error
    meta = table.attrs
    common = {
        "standard": meta["standard"],
        "standard_version": meta["standard_version"],
        "provisional": meta["provisional"],
        "mode": meta["mode"],
    }
    return [
        {
            "household_id": household_id,
            **common,
            "classification": classification,
            "rule": rule,
            "deprivation_count": int(count),
            "deprivations": deprivations.split(),
            "income_per_capita_month": None if math.isnan(income) else float(income),
        }
        for household_id, classification, rule, count, deprivations, income in zip(
            table["household_id"].tolist(),
            table["classification"].tolist(),
            table["rule"].tolist(),
            table["deprivation_count"].tolist(),
            table["deprivations"].tolist(),
            table["income_pc_month"].tolist(),
            strict=True,
        )
    ]
