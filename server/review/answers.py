"""Labels for the recorded answers, taken from the questionnaire (survey_forms), so that the
household page shows "Giếng đào không được bảo vệ" rather than `unprotected_dug_well`."""

from __future__ import annotations

from typing import Any

from survey_forms import QUESTIONNAIRE


def question_label(path: str, locale: str) -> str:
    """The question's label for a record path (`dwelling.latrine`), else the last path part."""
    question = QUESTIONNAIRE.question_at(path)
    if question is None:
        return path.rsplit(".", 1)[-1]
    return question.label_en if locale == "en" else question.label_vi


def answer_label(path: str, value: Any, locale: str) -> Any:
    """A choice's label (a list of labels for multiple choices); other values unchanged."""
    question = QUESTIONNAIRE.question_at(path)
    if question is None or not question.choices:
        return value
    if isinstance(value, list):
        return [answer_label(path, item, locale) for item in value]
    choice = QUESTIONNAIRE.choice(question.choices, value)
    if choice is None:
        return value
    return choice.label_en if locale == "en" else choice.label_vi
