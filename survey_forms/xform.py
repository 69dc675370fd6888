"""The questionnaire as an ODK form, and ODK submissions back as canonical records.

`build_xlsform()` writes QUESTIONNAIRE as an XLSForm workbook (survey, choices and settings
sheets; Vietnamese and English labels, Vietnamese by default; the members roster as a repeat;
ranges, relevance and the roster rules as XLSForm constraints); `build_xform()` converts it
with pyxform into the XForm XML that ODK Collect / KoboCollect / Enketo download. The XForm
bytes are the same on every call, so the md5 in the OpenRosa form list stays stable.

`instance_to_household(xml)` reads a submitted instance into the canonical record plus
`"meta": {"instanceID", "deprecatedID"}`; values are converted but not validated (the server
validates next, so that every problem is reported at once). `household_to_instance(record)`
does the reverse, as ODK Collect would, for tests and demos.

The instance mirrors the record: identification answers sit in an `identification` group
(flattened in the record), `dwelling` and `income` are groups, `members` is the repeat. A few
form-only nodes exist for the form's own logic and are not part of the record:
`survey_year`, `head_count`, `roster_check`, `income/sources_known`, `income/scorecard_used`,
and the household picker that opens the form (`previous_household`, `previous_class`; see
"the household picker" below).
"""

from __future__ import annotations

import io
import math
import re
import uuid
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any
from xml.etree.ElementTree import Element, ParseError, SubElement, XMLParser, tostring

from openpyxl import Workbook

from survey_forms.errors import InvalidSubmission
from survey_forms.questionnaire import (
    FORM_ID,
    FORM_VERSION,
    QUESTIONNAIRE,
    Condition,
    Group,
    Question,
)

__all__ = [
    "build_xlsform",
    "build_xform",
    "convert_xlsform",
    "instance_to_household",
    "household_to_instance",
    "XFormInstanceError",
]

VI = "Vietnamese (vi)"
EN = "English (en)"
SURVEY_COLUMNS = (
    "type",
    "name",
    f"label::{VI}",
    f"label::{EN}",
    f"hint::{VI}",
    f"hint::{EN}",
    "required",
    f"required_message::{VI}",
    f"required_message::{EN}",
    "relevant",
    "constraint",
    f"constraint_message::{VI}",
    f"constraint_message::{EN}",
    "calculation",
    "choice_filter",
    "default",
    "appearance",
    "trigger",
)
CHOICE_COLUMNS = ("list_name", "name", f"label::{VI}", f"label::{EN}", "province")
REQUIRED_MESSAGE = ("Câu hỏi này bắt buộc phải trả lời.", "This question must be answered.")
_GATES = {"sources_12m": "sources_known", "scorecard": "scorecard_used"}


# --- XLSForm --------------------------------------------------------------------------------------


def build_xlsform(*, province: str | None = None) -> bytes:
    """The questionnaire as an XLSForm workbook (.xlsx bytes).

    `province` (a GSO code such as "42") keeps only that province and its communes in the choice
    lists: a server serves one province, and the national list makes the form ~800 KB to download
    over a village's network instead of ~50 KB.
    """
    workbook = Workbook()
    survey = workbook.active
    survey.title = "survey"
    _write_sheet(survey, SURVEY_COLUMNS, _survey_rows())
    _write_sheet(workbook.create_sheet("choices"), CHOICE_COLUMNS, _choice_rows(province))
    settings = {
        "form_title": f"{QUESTIONNAIRE.title_vi} / {QUESTIONNAIRE.title_en}",
        "form_id": FORM_ID,
        "version": FORM_VERSION,
        "default_language": VI,
        "instance_name": "concat(${household_id}, ' – ', ${head_name})",
    }
    _write_sheet(workbook.create_sheet("settings"), tuple(settings), [settings])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _write_sheet(sheet: Any, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    sheet.append(list(columns))
    for row in rows:
        sheet.append([row.get(column, "") for column in columns])


def _survey_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = _picker_rows()
    for section in QUESTIONNAIRE.sections:
        rows.extend(_group_rows(section))
        if section.id == "identification":
            rows.append(_calculate("survey_year", "format-date(${survey_date}, '%Y')"))
        if section.id == "members":
            rows.append(_calculate("head_count", "count(${relation}[. = 'head'])"))
            rows.append(_roster_check())
    for row in rows:
        if row.get("name") in PREFILLED and row.get("type", "").split()[0] in (
            "text",
            "select_one",
        ):
            row["trigger"] = f"${{{PICKER}}}"  # set when the pick changes, still editable
            row["calculation"] = _picked(PREFILLED[row["name"]])
    return rows


# --- the household picker -----------------------------------------------------------------------
# The form's first question picks last round's household to revisit, or "new household". The
# list is form media, `households.csv` (columns name, label, household_id, head_name, village,
# commune_code, previous_class; its first row is the "new" choice): the server writes it for
# the enumerator's own communes (server/queries/tablet_media.py). Picking a household fills in
# the identification answers the commune already knows; the enumerator can still change them.
# The picker nodes are form-only: they are not part of the record.

HOUSEHOLDS_FILE = "households.csv"
PICKER = "previous_household"
NEW_HOUSEHOLD = "new"
PREFILLED = {  # question -> households.csv column
    "household_id": "household_id",
    "commune_code": "commune_code",
    "village": "village",
    "head_name": "head_name",
}


def _picked(column: str) -> str:
    """The picked household's `column`, or '' for a new household."""
    return (
        f"if(${{{PICKER}}} = '{NEW_HOUSEHOLD}', '', "
        f"instance('{HOUSEHOLDS_FILE.rsplit('.', 1)[0]}')/root/item[name = ${{{PICKER}}}]/{column})"
    )


def _picker_rows() -> list[dict[str, Any]]:
    return [
        {
            "type": f"select_one_from_file {HOUSEHOLDS_FILE}",
            "name": PICKER,
            f"label::{VI}": "Hộ cần rà soát",
            f"label::{EN}": "Household to review",
            f"hint::{VI}": "Chọn hộ đã rà soát năm trước để thăm lại, hoặc “Hộ mới”",
            f"hint::{EN}": "Pick last round's household to revisit, or “New household”",
            "required": "yes",
            **_required_messages(),
            "appearance": "minimal autocomplete",
        },
        _calculate("previous_class", _picked("previous_class")),
        {
            "type": "note",
            "name": "previous_class_note",
            f"label::{VI}": "Xếp loại kỳ trước: ${previous_class}",
            f"label::{EN}": "Last round's class: ${previous_class}",
            "relevant": "${previous_class} != ''",
        },
    ]


def _group_rows(group: Group) -> list[dict[str, Any]]:
    kind = "repeat" if group.repeat else "group"
    rows = [{"type": f"begin {kind}", "name": group.id, **_labels(group)}]
    if group.optional:
        rows[0]["relevant"] = f"${{{_GATES[group.id]}}} = 'yes'"
    for item in group.items:
        if isinstance(item, Group):
            if item.optional:
                rows.append(_gate_row(item))
            rows.extend(_group_rows(item))
        else:
            rows.append(_question_row(item))
    rows.append({"type": f"end {kind}"})
    return rows


def _gate_row(group: Group) -> dict[str, Any]:
    row = {
        "type": "select_one yes_no",
        "name": _GATES[group.id],
        f"label::{VI}": group.gate_vi,
        f"label::{EN}": group.gate_en,
        "required": "yes",
        **_required_messages(),
    }
    if group.id == "scorecard":  # a record needs measured income or Phiếu B answers
        row["constraint"] = f". = 'yes' or ${{{_GATES['sources_12m']}}} = 'yes'"
        row[f"constraint_message::{VI}"] = "Cần có thu nhập 12 tháng qua hoặc Phiếu B."
        row[f"constraint_message::{EN}"] = "Give the 12-month income or the Phiếu B answers."
    return row


def _question_row(question: Question) -> dict[str, Any]:
    if question.xform_calculation:
        return _calculate(question.id, question.xform_calculation)
    row: dict[str, Any] = {
        "type": _xlsform_type(question),
        "name": question.id,
        **_labels(question),
    }
    if question.required:
        row.update(required="yes", **_required_messages())
    if question.relevant is not None:
        row["relevant"] = _relevant(question.relevant)
    constraint = _constraint(question)
    if constraint:
        row["constraint"], row[f"constraint_message::{VI}"], row[f"constraint_message::{EN}"] = (
            constraint
        )
    if question.choice_filter:
        row["choice_filter"] = f"province = ${{{question.choice_filter}}}"
        row["appearance"] = "minimal autocomplete"  # about a hundred communes per province
    if question.id == "province_code":
        row["appearance"] = "minimal"
    # No pre-filled 0 for income sources: an untouched field must not read as "answered zero"
    # (a required field without a default makes the enumerator type the 0).
    return row


def _xlsform_type(question: Question) -> str:
    if question.type == "boolean":
        return "select_one yes_no"
    if question.type in ("select_one", "select_multiple"):
        return f"{question.type} {question.choices}"
    return question.type


def _labels(item: Question | Group) -> dict[str, str]:
    labels = {f"label::{VI}": item.label_vi, f"label::{EN}": item.label_en}
    if isinstance(item, Question) and item.hint_vi:
        labels.update({f"hint::{VI}": item.hint_vi, f"hint::{EN}": item.hint_en})
    return labels


def _required_messages() -> dict[str, str]:
    return {
        f"required_message::{VI}": REQUIRED_MESSAGE[0],
        f"required_message::{EN}": REQUIRED_MESSAGE[1],
    }


def _relevant(condition: Condition) -> str:
    if condition.age_under is not None:
        return (
            f"${{birth_year}} != '' and ${{survey_year}} - ${{birth_year}} < {condition.age_under}"
        )
    value = {True: "yes", False: "no"}.get(condition.equals, condition.equals)  # type: ignore[arg-type]
    return f"${{{condition.field}}} = '{value}'"


def _constraint(question: Question) -> tuple[str, str, str] | None:
    """XPath constraint with its (vi, en) message, mirroring the schema's checks."""
    if question.max_ref == "today":
        return ". <= today()", "Ngày không được ở tương lai.", "The date cannot be in the future."
    if question.max_ref == "survey_year":
        low = _num(question.min)
        return (
            f". >= {low} and . <= ${{survey_year}}",
            f"Phải từ {low} đến năm rà soát.",
            f"Must be between {low} and the survey year.",
        )
    if question.pattern:  # e.g. the 12-digit citizen id; the server checks its digits too
        from survey_forms.errors import MESSAGES

        vi, en = MESSAGES[question.pattern_code]
        vi = vi.split(", không phải")[0].replace("{label_vi}", question.label_vi) + "."
        en = en.split(", not")[0].replace("{label_en}", question.label_en) + "."
        expression = f"regex(., '^{question.pattern}$')"
        if question.xform_constraint:
            expression += f" and {question.xform_constraint}"
            vi += " Số thứ 4 (thế kỷ, giới tính) và 5–6 (năm sinh) phải khớp câu trả lời."
            en += " Digit 4 (century, sex) and digits 5–6 (birth year) must match the answers."
        return expression, vi, en
    if question.id == "household_id":  # the form survey_forms checks (household_id_form)
        return (
            "regex(., '^[0-9]{5}-[A-Za-z0-9][A-Za-z0-9_-]*$') and string-length(.) <= 64"
            " and (string-length(${commune_code}) = 0"
            " or starts-with(., concat(${commune_code}, '-')))",
            "Dạng <mã xã>-<thôn>-<số thứ tự>, bắt đầu bằng mã xã của hộ; chỉ chữ không dấu,"
            " chữ số, - và _.",
            "Form <commune code>-<village>-<number>, starting with the household's commune code;"
            " only unaccented letters, digits, - and _.",
        )
    if question.type == "text" and question.max_length:
        n = question.max_length
        return f"string-length(.) <= {n}", f"Tối đa {n} ký tự.", f"At most {n} characters."
    if question.min is None and question.max is None:
        return None
    low, high = _num(question.min), _num(question.max)
    if question.min_exclusive:
        return (
            f". > {low} and . <= {high}",
            f"Phải lớn hơn {low} và không quá {high}.",
            f"Must be more than {low} and at most {high}.",
        )
    return (
        f". >= {low} and . <= {high}",
        f"Phải từ {low} đến {high}.",
        f"Must be between {low} and {high}.",
    )


def _calculate(name: str, expression: str) -> dict[str, Any]:
    return {"type": "calculate", "name": name, "calculation": expression}


def _roster_check() -> dict[str, Any]:
    return {
        "type": "select_one yes_no",
        "name": "roster_check",
        f"label::{VI}": "Danh sách thành viên đã đủ và có đúng một chủ hộ?",
        f"label::{EN}": "Is the member list complete, with exactly one head?",
        "required": "yes",
        **_required_messages(),
        "constraint": ". = 'yes' and ${head_count} = 1",
        f"constraint_message::{VI}": "Hộ phải có đúng một người là chủ hộ; hãy sửa danh sách thành viên.",
        f"constraint_message::{EN}": "Exactly one member must be the head; correct the member list.",
    }


def _choice_rows(province: str | None = None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for list_name in ["yes_no", *QUESTIONNAIRE.list_names()]:  # booleans are asked yes/no
        for choice in QUESTIONNAIRE.choices(list_name):
            if province and not _in_province(list_name, choice, province):
                continue
            row = {
                "list_name": list_name,
                "name": choice.value,
                f"label::{VI}": choice.label_vi,
                f"label::{EN}": choice.label_en,
            }
            if choice.province:
                row["province"] = choice.province
            rows.append(row)
    return rows


def _num(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def _in_province(list_name: str, choice: Any, province: str) -> bool:
    if list_name == "provinces":
        return choice.value == province
    return not choice.province or choice.province == province


# --- XForm ------------------------------------------------------------------------------------------


def build_xform(*, province: str | None = None) -> bytes:
    """The XForm XML (UTF-8 bytes) converted from the XLSForm by pyxform; identical on every call.

    `province` restricts the province and commune choices as in `build_xlsform`.
    """
    return _build_xform(province)


@cache
def _build_xform(province: str | None) -> bytes:
    return convert_xlsform(province=province)[0]


def convert_xlsform(*, province: str | None = None) -> tuple[bytes, list[str]]:
    """A fresh pyxform conversion (no cache): the XForm bytes and pyxform's warnings."""
    from pyxform.xls2xform import convert  # imported late: pyxform is slow to import

    warnings: list[str] = []
    result = convert(
        xlsform=io.BytesIO(build_xlsform(province=province)),
        file_type=".xlsx",
        form_name=FORM_ID,
        warnings=warnings,
        validate=False,
        pretty_print=False,
    )
    return result.xform.encode("utf-8"), warnings


# --- instance → record ---------------------------------------------------------------------------


def instance_to_household(xml: bytes, *, check_version: bool = True) -> dict[str, Any]:
    """An ODK submission instance of this form → the canonical record plus `meta`.

    Raises `XFormInstanceError` (a `ValueError`, message in Vietnamese and English) when the
    XML is malformed, belongs to another form or version, or has no instanceID.
    `check_version=False` leaves the version to the caller (a server accepts every version it
    has served): it is returned as `meta["form_version"]`, and the record is read in the
    current format.
    """
    root = _parse(xml)
    _check_form(root, check_version=check_version)
    record: dict[str, Any] = {"form_id": FORM_ID, "form_version": FORM_VERSION}
    children = _children(root)
    for section in QUESTIONNAIRE.sections:
        if section.flatten:
            record.update(_read_group(section, children.get(section.id, [None])[0]))
        elif section.repeat:
            record[section.id] = [
                _read_group(section, element) for element in children.get(section.id, [])
            ]
        else:
            record[section.id] = _read_group(section, children.get(section.id, [None])[0])
    record["meta"] = _read_meta(children)
    if not check_version:
        record["meta"]["form_version"] = root.get("version")
    return record


class XFormInstanceError(InvalidSubmission):
    """A submission that is not a well-formed instance of this form."""


def _parse(xml: bytes) -> Element:
    """Parse with the C parser, refusing DTDs and entities (no entity expansion, no fetching).

    ODK clients submit UTF-8; forcing that encoding also stops a declared encoding from hiding
    a DOCTYPE from the byte check below.
    """
    if isinstance(xml, str):
        xml = xml.encode("utf-8")
    if not isinstance(xml, (bytes, bytearray)):
        raise XFormInstanceError(
            "not_xml", "Bản gửi không phải là XML.", "The submission is not XML."
        )
    try:
        bytes(xml).decode("utf-8")
    except UnicodeDecodeError:
        raise XFormInstanceError(
            "malformed_xml",
            "Bản gửi phải được mã hóa UTF-8.",
            "The submission must be encoded as UTF-8.",
        ) from None
    if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:
        raise XFormInstanceError(
            "forbidden_xml",
            "Bản gửi chứa DTD hoặc thực thể XML, không được phép.",
            "The submission contains a DTD or XML entities, which are not allowed.",
        )
    try:
        parser = XMLParser(encoding="utf-8")
        parser.feed(bytes(xml))
        return parser.close()
    except ParseError as error:
        raise XFormInstanceError(
            "malformed_xml",
            f"Bản gửi không phải XML hợp lệ: {error}",
            f"The submission is not well-formed XML: {error}",
        ) from None


def _check_form(root: Element, *, check_version: bool = True) -> None:
    form_id, version = root.get("id"), root.get("version")
    if form_id != FORM_ID:
        raise XFormInstanceError(
            "wrong_form",
            f"Bản gửi thuộc biểu mẫu {form_id!r}, không phải {FORM_ID}.",
            f"The submission belongs to form {form_id!r}, not {FORM_ID}.",
        )
    if check_version and version != FORM_VERSION:
        raise XFormInstanceError(
            "unknown_version",
            f"Phiên bản biểu mẫu {version!r} không được hỗ trợ (hỗ trợ: {FORM_VERSION}).",
            f"Form version {version!r} is not supported (supported: {FORM_VERSION}).",
        )


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: Element | None) -> dict[str, list[Element]]:
    found: dict[str, list[Element]] = {}
    if element is not None:
        for child in element:
            found.setdefault(_local(child.tag), []).append(child)
    return found


def _read_group(group: Group, element: Element | None) -> dict[str, Any]:
    children = _children(element)
    values: dict[str, Any] = {}
    for item in group.items:
        if isinstance(item, Group):
            values[item.id] = _read_optional(item, children)
            continue
        value = _convert(item, _text(children, item.id))
        if group.open_keys:  # sparse answers: only what was asked and answered
            if value is not None:
                values[item.id] = value
            continue
        if value is None and isinstance(item.default, tuple):
            # Unanswered numbers stay None: validation decides (all sources blank = not collected).
            value = list(item.default)
        values[item.id] = value
    return values


def _read_optional(
    group: Group, parent_children: dict[str, list[Element]]
) -> dict[str, Any] | None:
    """An optional sub-group is null in the record unless its yes/no gate was answered yes."""
    if _text(parent_children, _GATES[group.id]) != "yes":
        return None
    return _read_group(group, parent_children.get(group.id, [None])[0])


def _text(children: dict[str, list[Element]], name: str) -> str:
    elements = children.get(name)
    if not elements:
        return ""
    return (elements[0].text or "").strip()


_INTEGER = re.compile(r"^-?\d+$")


def _convert(question: Question, text: str) -> Any:
    """Instance text → record value; unreadable text is kept so validation can report it."""
    if text == "":
        return None
    kind = question.type
    if kind == "integer":
        # Longer digit strings stay text (validation reports them; int() would refuse > 4,300).
        return int(text) if len(text) <= 20 and _INTEGER.match(text) else text
    if kind == "decimal":
        try:
            number = float(text)
        except ValueError:
            return text
        return number if math.isfinite(number) else text
    if kind == "boolean":
        return {"yes": True, "no": False}.get(text, text)
    if kind == "select_multiple":
        return text.split()
    if kind == "geopoint":
        return _geopoint(text)
    return text


def _geopoint(text: str) -> Any:
    parts = text.split()
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        return text
    if len(numbers) not in (2, 3, 4):
        return text
    accuracy = numbers[3] if len(numbers) == 4 else None
    return {"lat": numbers[0], "lon": numbers[1], "accuracy_m": accuracy}


def _read_meta(children: dict[str, list[Element]]) -> dict[str, Any]:
    meta = _children(children.get("meta", [None])[0])
    instance_id = _text(meta, "instanceID") or None
    if not instance_id:
        raise XFormInstanceError(
            "no_instance_id",
            "Bản gửi thiếu meta/instanceID.",
            "The submission has no meta/instanceID.",
        )
    return {"instanceID": instance_id, "deprecatedID": _text(meta, "deprecatedID") or None}


# --- record → instance (what ODK Collect would send) -------------------------------------------------


def household_to_instance(
    record: Mapping[str, Any],
    *,
    instance_id: str | None = None,
    deprecated_id: str | None = None,
) -> bytes:
    """A canonical record as the instance XML ODK Collect would submit (UTF-8 bytes).

    The instance id comes from the argument, else from `record["meta"]`, else a new
    `uuid:…`. Only what the form asks is written: scorecard items of another scorecard file
    are left out.
    """
    root = Element(FORM_ID, {"id": FORM_ID, "version": FORM_VERSION})
    for section in QUESTIONNAIRE.sections:
        if section.repeat:
            for member in record.get(section.id) or []:
                _write_group(SubElement(root, section.id), section, member)
        else:
            source = record if section.flatten else record.get(section.id)
            _write_group(SubElement(root, section.id), section, source)
        _write_form_nodes(root, section.id, record)
    meta = SubElement(root, "meta")
    given = record.get("meta") or {}
    SubElement(meta, "instanceID").text = (
        instance_id or given.get("instanceID") or f"uuid:{uuid.uuid4()}"
    )
    deprecated = deprecated_id or given.get("deprecatedID")
    if deprecated:
        SubElement(meta, "deprecatedID").text = deprecated
    return b"<?xml version='1.0' encoding='UTF-8' ?>" + tostring(
        root, encoding="utf-8", xml_declaration=False
    )


def _write_form_nodes(root: Element, section_id: str, record: Mapping[str, Any]) -> None:
    if section_id == "identification":
        SubElement(root, "survey_year").text = str(record.get("survey_date") or "")[:4]
    elif section_id == "members":
        heads = sum(1 for member in record.get("members") or [] if member.get("relation") == "head")
        SubElement(root, "head_count").text = str(heads)
        SubElement(root, "roster_check").text = "yes"


def _write_group(element: Element, group: Group, values: Any) -> None:
    values = values if isinstance(values, Mapping) else {}
    for item in group.items:
        if isinstance(item, Group):
            present = values.get(item.id) is not None
            SubElement(element, _GATES[item.id]).text = "yes" if present else "no"
            _write_group(SubElement(element, item.id), item, values.get(item.id))
        else:
            SubElement(element, item.id).text = _format(item, values.get(item.id))


def _format(question: Question, value: Any) -> str:
    if value is None:
        return ""
    kind = question.type
    if kind == "boolean":
        return "yes" if value else "no"
    if kind == "select_multiple":
        return " ".join(value)
    if kind == "geopoint":
        parts = [value.get("lat"), value.get("lon")]
        if value.get("accuracy_m") is not None:
            parts += [0.0, value["accuracy_m"]]
        return " ".join(str(part) for part in parts)
    return str(value)


def iter_form_fields() -> Iterator[tuple[str, Question]]:
    """(instance path, question) for every answer node, e.g. `/povcensus_household/dwelling/latrine`."""
    for path, question in QUESTIONNAIRE.iter_questions():
        parts = path.replace("[]", "").split(".")
        if parts[0] not in ("members", "dwelling", "income"):
            parts = ["identification", *parts]
        yield "/" + "/".join([FORM_ID, *parts]), question
