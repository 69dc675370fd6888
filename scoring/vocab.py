"""Choice vocabularies of the canonical household record (docs/household-record.md).

Scoring validates standard and scorecard files against these lists, so that a typo such as
``"brick"`` for ``"concrete_brick"`` in a decree file is reported when the file is loaded instead
of silently never matching. They mirror the record format document; the questionnaire module of
``survey_forms`` is the source of truth for forms, this is scoring's read-only copy.
"""

from __future__ import annotations

MEMBER_CHOICES: dict[str, tuple[str, ...]] = {
    "relation": (
        "head",
        "spouse",
        "child",
        "child_in_law",
        "grandchild",
        "parent",
        "sibling",
        "other",
    ),
    "sex": ("male", "female"),
    "ethnicity": (
        "kinh",
        "tay",
        "thai",
        "muong",
        "khmer",
        "hmong",
        "nung",
        "dao",
        "chut",
        "other",
    ),
    "disability": ("none", "mild", "severe", "especially_severe"),
    "school_level": (
        "preschool",
        "primary",
        "lower_secondary",
        "upper_secondary",
        "vocational",
        "higher",
    ),
    "highest_diploma": (
        "none",
        "primary",
        "lower_secondary",
        "upper_secondary",
        "college",
        "university",
    ),
    "work_status": (
        "wage_worker",
        "self_employed",
        "farmer",
        "unemployed",
        "student",
        "homemaker",
        "retired",
        "unable_to_work",
        "child",
    ),
    "nutrition": ("normal", "stunted", "underweight", "wasted"),
}

MEMBER_BOOLS: tuple[str, ...] = (
    "in_school",
    "vocational_certificate",
    "labour_contract",
    "health_insurance",
    "sick_no_care",
    "uses_internet",
    "mobile_subscription",
    "social_allowance",
)

DWELLING_CHOICES: dict[str, tuple[str, ...]] = {
    "wall_material": (
        "concrete_brick",
        "stone",
        "hardwood",
        "metal",
        "earth",
        "bamboo_leaves",
        "tarpaulin_other",
    ),
    "frame_material": (
        "reinforced_concrete",
        "steel",
        "brick_stone",
        "hardwood",
        "softwood_bamboo",
        "none_other",
    ),
    "roof_material": (
        "concrete",
        "tile",
        "metal_sheet",
        "fibre_cement",
        "thatch_leaves",
        "tarpaulin_other",
    ),
    "water_source": (
        "piped",
        "drilled_well",
        "protected_dug_well",
        "unprotected_dug_well",
        "protected_spring",
        "unprotected_spring",
        "rainwater",
        "bottled",
        "surface_water",
        "vendor_other",
    ),
    "latrine": (
        "septic",
        "semi_septic",
        "pour_flush",
        "double_vault",
        "ventilated_pit",
        "biogas",
        "simple_pit",
        "over_water",
        "none",
    ),
    "devices": ("tv", "radio", "computer", "smartphone", "tablet", "landline", "basic_phone"),
    "waste_treatment": ("collected", "sorted_composted", "buried_burned_own", "discarded"),
    "cooking_fuel": ("electricity_gas", "biogas", "charcoal_coal", "wood_straw_dung", "none"),
}

DWELLING_BOOLS: tuple[str, ...] = ("hears_loudspeaker", "electricity")
DWELLING_NUMBERS: tuple[str, ...] = ("floor_area_m2",)

INCOME_SOURCES: tuple[str, ...] = (
    "wages",
    "agriculture",
    "business",
    "pensions",
    "social_allowances",
    "remittances",
    "other",
)

AREAS: tuple[str, ...] = ("rural", "urban")
