"""Choice vocabularies of the canonical household record, as scoring needs them.

Scoring validates standard and scorecard files against these lists, so that a typo such as
``"brick"`` for ``"concrete_brick"`` in a decree file is reported when the file is loaded instead
of silently never matching. They are read from the questionnaire (`survey_forms.questionnaire`),
the one definition of the record, so a new choice there is known here without a second edit.
"""

from __future__ import annotations

from survey_forms.questionnaire import QUESTIONNAIRE


def _questions(prefix: str) -> list[tuple[str, object]]:
    """The direct questions of one part of the record, by their field name."""
    return [
        (path[len(prefix) :], question)
        for path, question in QUESTIONNAIRE.iter_questions()
        if path.startswith(prefix) and "." not in path[len(prefix) :]
    ]


def _choices(prefix: str) -> dict[str, tuple[str, ...]]:
    return {
        name: tuple(choice.value for choice in QUESTIONNAIRE.choices(q.choices))
        for name, q in _questions(prefix)
        if q.choices
    }


def _of_type(prefix: str, *types: str) -> tuple[str, ...]:
    return tuple(name for name, q in _questions(prefix) if q.type in types)


MEMBER_CHOICES: dict[str, tuple[str, ...]] = _choices("members[].")
MEMBER_BOOLS: tuple[str, ...] = _of_type("members[].", "boolean")

DWELLING_CHOICES: dict[str, tuple[str, ...]] = _choices("dwelling.")
DWELLING_BOOLS: tuple[str, ...] = _of_type("dwelling.", "boolean")
DWELLING_NUMBERS: tuple[str, ...] = _of_type("dwelling.", "decimal", "integer")

INCOME_SOURCES: tuple[str, ...] = _of_type("income.sources_12m.", "integer", "decimal")

# sorted: batch scoring indexes its per-area line arrays in this order
AREAS: tuple[str, ...] = tuple(sorted(choice.value for choice in QUESTIONNAIRE.choices("area")))
