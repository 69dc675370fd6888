"""Labels for the recorded answers, taken from the questionnaire (survey_forms), so that the
household page shows "Giếng đào không được bảo vệ" rather than `unprotected_dug_well`."""

from __future__ import annotations

import functools
from typing import Any


@functools.lru_cache(maxsize=1)
def _questions() -> dict[str, Any]:
    from survey_forms import QUESTIONNAIRE

    return dict(QUESTIONNAIRE.iter_questions())


@functools.lru_cache(maxsize=64)
def _choices(list_name: str) -> dict[str, Any]:
    from survey_forms import QUESTIONNAIRE

    return {choice.value: choice for choice in QUESTIONNAIRE.choices(list_name)}


def question_label(path: str, locale: str) -> str:
    """The question's label for a record path (`dwelling.latrine`), else the last path part."""
    question = _questions().get(path)
    if question is None:
        return path.rsplit(".", 1)[-1]
    return question.label_en if locale == "en" else question.label_vi


def answer_label(path: str, value: Any, locale: str) -> Any:
    """A choice's label (a list of labels for multiple choices); other values unchanged."""
    question = _questions().get(path)
    if question is None or not question.choices:
        return value
    choices = _choices(question.choices)
    if isinstance(value, list):
        return [answer_label(path, item, locale) for item in value]
    choice = choices.get(value)
    if choice is None:
        return value
    return choice.label_en if locale == "en" else choice.label_vi
