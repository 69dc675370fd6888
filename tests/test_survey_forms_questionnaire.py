"""The questionnaire as data: complete bilingual labels, consistent ids, and agreement with the
record format document that other packages code against."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import survey_forms
from survey_forms.questionnaire import QUESTION_TYPES, QUESTIONNAIRE, Group, Question

REPO = Path(__file__).resolve().parents[1]
VIETNAMESE_LETTERS = re.compile(
    r"[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]", re.I
)


def _groups(group: Group):
    yield group
    for item in group.items:
        if isinstance(item, Group):
            yield from _groups(item)


def test_identity_is_exported():
    assert survey_forms.FORM_ID == "povcensus_household"
    assert survey_forms.FORM_VERSION == "2026.1"
    assert survey_forms.QUESTIONNAIRE.form_id == survey_forms.FORM_ID
    assert survey_forms.QUESTIONNAIRE.version == survey_forms.FORM_VERSION
    assert [s.id for s in QUESTIONNAIRE.sections] == [
        "identification",
        "members",
        "dwelling",
        "income",
    ]
    assert QUESTIONNAIRE.section("members").repeat


def test_every_question_has_labels_in_both_languages():
    for path, question in QUESTIONNAIRE.iter_questions():
        assert question.label_vi.strip() and question.label_en.strip(), path
        assert VIETNAMESE_LETTERS.search(question.label_vi), f"{path}: {question.label_vi!r}"
        assert question.label_vi != question.label_en, path
        assert bool(question.hint_vi) == bool(question.hint_en), path
        if question.relevant is not None:
            assert question.relevant.text_vi and question.relevant.text_en, path


def test_every_group_and_gate_has_labels_in_both_languages():
    for section in QUESTIONNAIRE.sections:
        for group in _groups(section):
            assert VIETNAMESE_LETTERS.search(group.label_vi) and group.label_en, group.id
            if group.optional:
                assert VIETNAMESE_LETTERS.search(group.gate_vi) and group.gate_en, group.id


@pytest.mark.parametrize("list_name", ["yes_no", *QUESTIONNAIRE.list_names()])
def test_every_choice_has_labels_in_both_languages(list_name):
    choices = QUESTIONNAIRE.choices(list_name)
    assert choices
    for choice in choices:
        assert choice.value and choice.label_vi.strip() and choice.label_en.strip(), choice
    values = [choice.value for choice in choices]
    assert len(values) == len(set(values)), f"duplicate values in {list_name}"
    # Most answers read differently in the two languages; proper names (ethnic groups,
    # communes) may coincide, but never a whole list.
    assert any(choice.label_vi != choice.label_en for choice in choices), list_name


def test_question_definitions_are_consistent():
    paths = [path for path, _ in QUESTIONNAIRE.iter_questions()]
    assert len(paths) == len(set(paths))
    for path, question in QUESTIONNAIRE.iter_questions():
        assert question.type in QUESTION_TYPES, path
        assert re.fullmatch(r"[a-z][a-z0-9_]*", question.id), path
        if question.type in ("select_one", "select_multiple"):
            assert QUESTIONNAIRE.choices(question.choices), path
        if question.min is not None and question.max is not None:
            assert question.min < question.max, path
        if question.relevant and question.relevant.field:
            QUESTIONNAIRE.section("members").question(question.relevant.field)


def test_commune_choices_follow_the_commune_list():
    communes = QUESTIONNAIRE.choices("communes")
    provinces = {choice.value for choice in QUESTIONNAIRE.choices("provinces")}
    assert len(communes) == 3321 and len(provinces) == 34
    assert all(choice.province in provinces for choice in communes)
    huong_khe = next(choice for choice in communes if choice.value == "18496")
    assert (huong_khe.label_vi, huong_khe.label_en, huong_khe.province) == (
        "Xã Hương Khê",
        "Hương Khê commune",
        "42",
    )


def _documented_values() -> dict[str, list[str]]:
    """Field → backticked values from the tables of docs/household-record.md."""
    text = (REPO / "docs" / "household-record.md").read_text("utf-8")
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[1] in ("choice", "choice or null", "list of choices"):
            field = cells[0].strip("`")
            values = re.split(r" — | only ", cells[2])[0]  # drop "— exactly one `head`" etc.
            found[field] = re.findall(r"`([a-z_0-9]+)`", values)
    return found


def test_choice_values_match_the_record_format_document():
    documented = _documented_values()
    assert len(documented) >= 15  # the document's tables were read
    questions = {path.split(".")[-1]: q for path, q in QUESTIONNAIRE.iter_questions()}
    for field, values in documented.items():
        question: Question = questions[field]
        assert [c.value for c in QUESTIONNAIRE.choices(question.choices)] == values, field


def test_income_sources_match_the_record_format_document():
    text = (REPO / "docs" / "household-record.md").read_text("utf-8")
    line = next(line for line in text.splitlines() if line.startswith("| `sources_12m`"))
    documented = re.findall(r"`([a-z_0-9]+)`", line.split("|")[3])
    sources = QUESTIONNAIRE.section("income").items[0]
    assert [q.id for q in sources.items] == documented
