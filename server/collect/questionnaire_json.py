"""The questionnaire as the JSON the web form renders: generated from `survey_forms` data.

Nothing here is a copy of the questionnaire: every question, choice, label, range, relevance
condition and error message comes from `survey_forms.questionnaire` / `survey_forms.errors`, so
questions added there appear in the web form without a change here. Question attributes are
exported generically (every dataclass field), so new attributes also reach the browser.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from survey_forms.errors import MESSAGES
from survey_forms.questionnaire import QUESTIONNAIRE, Group, Question

# The geopoint's parts, as the validation names them (labels of gps.lat, gps.lon, ...).
from survey_forms.schemas import _GPS_QUESTIONS as GPS_QUESTIONS  # noqa: PLC2701


def questionnaire_document(province: str) -> dict[str, Any]:
    """The whole form for one server's province: sections, choice lists, messages."""
    return {
        "form_id": QUESTIONNAIRE.form_id,
        "form_version": QUESTIONNAIRE.version,
        "title_vi": QUESTIONNAIRE.title_vi,
        "title_en": QUESTIONNAIRE.title_en,
        "province": province,
        "sections": [_item(section) for section in QUESTIONNAIRE.sections],
        "choice_lists": {name: _choice_list(name, province) for name in QUESTIONNAIRE.list_names()},
        "gps": [_item(question) for question in GPS_QUESTIONS.values()],
        "messages": {code: {"vi": vi, "en": en} for code, (vi, en) in MESSAGES.items()},
    }


def _item(item: Question | Group) -> dict[str, Any]:
    if isinstance(item, Group):
        out = {key: value for key, value in _fields(item).items() if key != "items"}
        out["kind"] = "group"
        out["items"] = [_item(child) for child in item.items]
        return out
    out = _fields(item)
    out["kind"] = "question"
    return out


def _fields(item: Question | Group) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for spec in dataclasses.fields(item):
        value = getattr(item, spec.name)
        if spec.name == "items":
            continue
        if dataclasses.is_dataclass(value):
            value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        elif isinstance(value, tuple):
            value = list(value)
        out[spec.name] = value
    return out


def _choice_list(name: str, province: str) -> list[dict[str, Any]]:
    """A choice list; provinces and communes only those of this server's province (the server
    refuses any other province, and the full commune list would be 3,321 entries)."""
    choices = QUESTIONNAIRE.choices(name)
    if name == "provinces":
        choices = [choice for choice in choices if choice.value == province]
    elif name == "communes":
        choices = [choice for choice in choices if choice.province == province]
    return [
        {"value": choice.value, "vi": choice.label_vi, "en": choice.label_en}
        | ({"province": choice.province} if choice.province else {})
        for choice in choices
    ]
