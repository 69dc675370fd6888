"""Validation of the canonical household record: marshmallow schemas built from QUESTIONNAIRE.

`validate_household` reports every problem at once as `FieldError`s and never raises for bad
data (None, lists, strings where numbers belong, missing sections are all just errors);
`load_household` returns the normalised record — every documented key present, optional
answers `None`, income sources defaulting to 0, devices in choice-list order — or raises
`InvalidHousehold`.

Types, choices and ranges come from the questionnaire; the cross-field rules of
docs/household-record.md live in `HouseholdSchema.check_rules`. The server validates about a
thousand households a second next to scoring and storage, so each answer field does all its
work in one `deserialize` call, and error messages are only rendered when there are errors.
Keys starting with "_" (e.g. the `_row` number a table reader adds) are ignored.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, missing, validates_schema

from survey_forms.communes import KIND_NAMES, commune_area, communes_by_code, english_name
from survey_forms.errors import Amount, FieldError, InvalidHousehold, render
from survey_forms.questionnaire import (
    FORM_ID,
    FORM_VERSION,
    QUESTIONNAIRE,
    Condition,
    Group,
    Question,
)

__all__ = ["HouseholdSchema", "validate_household", "load_household"]

# The day "today" is for the current validation (tests and re-validation pass their own).
_TODAY: ContextVar[dt.date] = ContextVar("survey_forms_today")
# The area an đặc khu's households are scored at, when the province configures one.
_SPECIAL_ZONE_AREA: ContextVar[str | None] = ContextVar("survey_forms_special_zone_area")
_ITEM_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_SCORECARD_TEXT_MAX = 200


@dataclass(frozen=True, slots=True)
class Problem:
    """What marshmallow stores as an error message: a code and the parameters of its message."""

    code: str
    params: tuple[tuple[str, Any], ...] = ()


def _problem(code: str, **params: Any) -> Problem:
    return Problem(code, tuple(params.items()))


class _Code(ValidationError):
    """A validation failure carried as a `Problem` (rendered only if errors are reported)."""

    def __init__(self, code: str, **params: Any):
        super().__init__([_problem(code, **params)])


# --- answer fields ---------------------------------------------------------------------------


class AnswerField(fields.Field):
    """One answer: converts and checks a raw value in a single call.

    marshmallow calls `deserialize(value, attr, data)` for every declared field, with `missing`
    for absent keys; overriding it skips marshmallow's generic per-field machinery (the hot
    path). Subclasses implement `convert` for a present, non-null value.
    """

    def __init__(
        self, question: Question | None = None, *, required: bool | None = None, default: Any = None
    ):
        super().__init__()
        self.question = question
        self.answer_required = (
            question.required if required is None and question else bool(required)
        )
        self.answer_default = question.default if default is None and question else default

    def deserialize(
        self, value: Any, attr: str | None = None, data: Any = None, **kwargs: Any
    ) -> Any:
        if value is missing or value is None:
            if self.answer_default is not None:
                return (
                    list(self.answer_default)
                    if isinstance(self.answer_default, tuple)
                    else self.answer_default
                )
            if self.answer_required:
                raise _Code("required")
            return None
        return self.convert(value)

    def convert(self, value: Any) -> Any:
        raise NotImplementedError

    def _check_range(self, number: float) -> None:
        question = self.question
        low, high = question.min, question.max
        if low is not None and question.min_exclusive and number <= low:
            raise _Code("greater_than", min=_num(low))
        if (low is not None and number < low) or (high is not None and number > high):
            raise _Code("range", min=_num(low), max=_num(high))


class Text(AnswerField):
    def convert(self, value: Any) -> str | None:
        if not isinstance(value, str):
            raise _Code("type_text")
        text = value.strip()
        if not text:
            return self.deserialize(None)
        limit = self.question.max_length if self.question else None
        pattern = self.question.pattern if self.question else None
        if pattern and not re.fullmatch(pattern, text):
            raise _Code(self.question.pattern_code or "pattern")
        if limit and len(text) > limit:
            raise _Code("too_long", max=limit)
        return text


class Integer(AnswerField):
    def convert(self, value: Any) -> int:
        if type(value) is int:
            number = value
        elif isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise _Code("type_integer")
        elif isinstance(value, numbers.Integral):
            number = int(value)
        elif math.isfinite(value) and float(value).is_integer():
            number = int(value)  # 1978.0 from a spreadsheet or a pandas column
        else:
            raise _Code("type_integer")
        self._check_range(number)
        return number


def _finite_float(value: Any) -> float | None:
    """The value as a finite float, or None (bools, text, NaN, ±inf, ints beyond float range)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    try:
        number = float(value)
    except (OverflowError, ValueError):
        return None
    return number if math.isfinite(number) else None


class Decimal(AnswerField):
    def convert(self, value: Any) -> float:
        number = _finite_float(value)
        if number is None:
            raise _Code("type_number")
        self._check_range(number)
        return number


class Boolean(AnswerField):
    def convert(self, value: Any) -> bool:
        if value is True or value is False:
            return value
        if type(value).__name__ == "bool_":  # numpy.bool_ from a DataFrame
            return bool(value)
        raise _Code("type_boolean")


class Choice(AnswerField):
    # Codes with their own message (a province or commune code people typed).
    UNKNOWN_CODES = {"provinces": "unknown_province", "communes": "unknown_commune"}

    def __init__(self, question: Question, **kwargs: Any):
        super().__init__(question, **kwargs)
        self.values = QUESTIONNAIRE.choice_values(question.choices)
        self.code = self.UNKNOWN_CODES.get(question.choices, "choice")

    def convert(self, value: Any) -> str:
        if type(value) is str and value in self.values:
            return value
        if isinstance(value, str) and value.strip() in self.values:
            return value.strip()
        if self.code != "choice" and not isinstance(value, str):
            raise _Code("type_text")  # 18496 is not the code "18496": codes keep leading zeros
        raise _Code(self.code)


class MultiChoice(AnswerField):
    def __init__(self, question: Question, **kwargs: Any):
        super().__init__(question, **kwargs)
        choices = QUESTIONNAIRE.choices(question.choices)
        self.rank = {choice.value: n for n, choice in enumerate(choices)}

    def convert(self, value: Any) -> list[str]:
        if not isinstance(value, (list, tuple)):
            raise _Code("type_list")
        rank = self.rank
        for item in value:
            if type(item) is not str or item not in rank:
                raise _Code("choice", value=_show(item))
        if len(set(value)) != len(value):
            twice = next(item for item in value if value.count(item) > 1)
            raise _Code("duplicate_choice", value=_show(twice))
        return sorted(value, key=rank.__getitem__)  # one order whatever the source


class Date(AnswerField):
    def convert(self, value: Any) -> str:
        if isinstance(value, dt.datetime):
            raise _Code("type_date")
        if isinstance(value, dt.date):
            day = value
        elif isinstance(value, str) and len(value) == 10:
            try:
                day = dt.date.fromisoformat(value)
            except ValueError:
                raise _Code("type_date") from None
        else:
            raise _Code("type_date")
        if self.question and self.question.max_ref == "today":
            today = _TODAY.get(None) or dt.date.today()
            if day > today:
                raise _Code("future_date", max=today.isoformat())
        return day.isoformat()


class Constant(AnswerField):
    """form_id / form_version: default to this questionnaire's, reject any other."""

    def __init__(self, expected: str, code: str):
        super().__init__(None, required=False, default=expected)
        self.expected = expected
        self.code = code

    def convert(self, value: Any) -> str:
        if value != self.expected:
            raise _Code(self.code, expected=self.expected)
        return value


class Section(AnswerField):
    """A nested part of the record (dwelling, income, gps) or the member roster (`many`)."""

    def __init__(self, schema: Schema, *, required: bool = True, many: bool = False):
        super().__init__(None, required=required)
        self.schema = schema
        self.many = many

    def convert(self, value: Any) -> Any:
        if self.many and not isinstance(value, (list, tuple)):
            raise _Code("type_list")
        return self.schema.load(value, many=self.many)


class IncomeSources(Section):
    """`income.sources_12m`: a mapping with no source answered means income was not collected.

    Unanswered sources default to 0 ("ghi 0 nếu không có"), but only once at least one source
    was answered: `{}` or every source null would otherwise score as zero income (poor). Such a
    mapping loads as None, so the record is refused with `income_missing` (as
    `scoring.classify` refuses it) unless Phiếu B answers are given.
    """

    def convert(self, value: Any) -> Any:
        loaded = super().convert(value)
        if isinstance(value, Mapping) and all(
            value.get(source) is None for source in self.schema.load_fields
        ):
            return None
        return loaded


class Scorecard(AnswerField):
    """Phiếu B answers: the questionnaire's items are checked by type; other item ids (defined
    by the scorecard file a province uses) must look like ids and hold simple answers."""

    def __init__(self, group: Group):
        super().__init__(None, required=False)
        self.known = {item.id: _field_for(item) for item in group.items}

    def convert(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise _Code("type_object")
        answers: dict[str, Any] = {}
        errors: dict[str, list[str]] = {}
        for key, answer in value.items():
            try:
                if key in self.known:
                    converted = self.known[key].deserialize(answer)
                else:
                    converted = _generic_answer(key, answer)
            except ValidationError as error:
                errors[str(key)] = error.messages
                continue
            if converted is not None:
                answers[key] = converted
        if errors:
            raise ValidationError(errors, valid_data=answers)
        return answers


class Meta(AnswerField):
    """ODK submission metadata carried beside the record: instanceID and deprecatedID."""

    def __init__(self) -> None:
        super().__init__(None, required=False)

    def deserialize(
        self, value: Any, attr: str | None = None, data: Any = None, **kwargs: Any
    ) -> Any:
        if value is missing or value is None:
            return missing  # keep the record without a meta key
        if not isinstance(value, Mapping):
            raise _Code("type_object")
        meta = {}
        for key in ("instanceID", "deprecatedID"):
            item = value.get(key)
            if item is not None and not isinstance(item, str):
                raise ValidationError({key: ["type_text"]})
            meta[key] = item
        return meta


def _generic_answer(key: Any, answer: Any) -> Any:
    if not isinstance(key, str) or not _ITEM_ID.match(key):
        raise _Code("invalid_item_id")
    if answer is None or isinstance(answer, bool):
        return answer
    number = _finite_float(answer)
    if number is not None and number >= 0:
        return answer
    if isinstance(answer, str) and len(answer) <= _SCORECARD_TEXT_MAX:
        return answer
    if isinstance(answer, (list, tuple)) and all(isinstance(item, str) for item in answer):
        return list(answer)
    raise _Code("type_answer")


_FIELD_TYPES = {
    "text": Text,
    "integer": Integer,
    "decimal": Decimal,
    "boolean": Boolean,
    "select_one": Choice,
    "select_multiple": MultiChoice,
    "date": Date,
}


# --- schemas -----------------------------------------------------------------------------------


class _RecordSchema(Schema):
    """Base of every part of the record: codes as messages, unknown keys reported by name."""

    error_messages = {"type": "type_object"}

    class Meta:
        unknown = EXCLUDE  # reported by `_deserialize`, except private "_" keys
        register = False  # keep generated names out of marshmallow's global class registry

    def _deserialize(
        self, data: Any, *, error_store: Any, many: bool = False, index: Any = None, **kwargs: Any
    ) -> Any:
        """marshmallow's field loop, lean: one `deserialize` call per field, no per-field closures.

        Same contract as `Schema._deserialize` (errors go to `error_store`, partial results are
        returned); it roughly halves validation time, which the server's throughput needs.
        """
        if many:
            if not isinstance(data, (list, tuple)):
                error_store.store_error(["type_list"], index=index)
                return []
            return [
                self._deserialize(item, error_store=error_store, index=n)
                for n, item in enumerate(data)
            ]
        result: dict[str, Any] = {}
        if type(data) is not dict and not isinstance(data, Mapping):
            error_store.store_error([self.error_messages["type"]], index=index)
            return result
        for name, field in self.load_fields.items():
            try:
                value = field.deserialize(data.get(name, missing), name, data)
            except ValidationError as error:
                error_store.store_error(error.messages, name, index=index)
                value = error.valid_data or missing
            if value is not missing:
                result[name] = value
        extra = data.keys() - self.load_fields.keys()
        for key in extra:
            if not (isinstance(key, str) and key.startswith("_")):
                error_store.store_error(["unknown_field"], str(key), index=index)
        return result


def _schema_class(name: str, declared: dict[str, Any], base: type = _RecordSchema) -> type:
    return type(name, (base,), dict(declared))


def _field_for(item: Question | Group) -> Any:
    if isinstance(item, Group):
        if item.id == "scorecard":
            return Scorecard(item)
        if item.id == "sources_12m":
            schema = _schema_class("Sources_12MSchema", _group_fields(item))()
            return IncomeSources(schema, required=not item.optional)
        schema = _schema_class(f"{item.id.title()}Schema", _group_fields(item))()
        return Section(schema, required=not item.optional, many=item.repeat)
    if item.type == "geopoint":
        return Section(GpsSchema(), required=item.required)
    return _FIELD_TYPES[item.type](item)


def _group_fields(group: Group) -> dict[str, Any]:
    declared: dict[str, Any] = {}
    for item in group.items:
        if isinstance(item, Group) and item.flatten:
            declared.update(_group_fields(item))
        else:
            declared[item.id] = _field_for(item)
    return declared


_GPS_QUESTIONS = {
    "lat": Question("lat", "decimal", "Vĩ độ", "Latitude", min=-90, max=90),
    "lon": Question("lon", "decimal", "Kinh độ", "Longitude", min=-180, max=180),
    "accuracy_m": Question(
        "accuracy_m",
        "decimal",
        "Độ chính xác (m)",
        "Accuracy (m)",
        required=False,
        min=0,
        max=100_000,
    ),
}
GpsSchema = _schema_class("GpsSchema", {key: Decimal(q) for key, q in _GPS_QUESTIONS.items()})


def _household_fields() -> dict[str, Any]:
    declared: dict[str, Any] = {
        "form_id": Constant(FORM_ID, "wrong_form"),
        "form_version": Constant(FORM_VERSION, "unknown_version"),
    }
    for section in QUESTIONNAIRE.sections:
        declared.update(_group_fields(Group("", "", "", (section,), flatten=True)))
    declared["meta"] = Meta()
    return declared


_MEMBERS = QUESTIONNAIRE.section("members")
_CONDITIONAL = [
    (item.id, item.relevant)
    for item in _MEMBERS.items
    if isinstance(item, Question) and item.relevant
]


class HouseholdSchema(_schema_class("_HouseholdFields", _household_fields())):
    """The whole household record, with the cross-field rules of docs/household-record.md."""

    @validates_schema(skip_on_field_errors=False)
    def check_rules(self, data: dict, **kwargs: Any) -> None:
        errors: dict[Any, Any] = {}
        survey_date = data.get("survey_date")
        survey_year = int(survey_date[:4]) if survey_date else None
        _check_commune(data, errors)
        _check_household_id(data, errors)
        _check_area(data, errors)
        members = data.get("members")
        if isinstance(members, list):
            _check_roster(members, survey_year, errors)
        income = data.get("income")
        if (
            isinstance(income, dict)
            and income.get("sources_12m", 0) is None
            and income.get("scorecard", 0) is None
        ):
            errors["income"] = ["income_missing"]
        if errors:
            raise ValidationError(errors)


# The one form of a household id (docs/household-record.md): the commune code, a hyphen, then
# only characters safe in a URL path, a file name and HTML (no "/", ".", spaces or markup).
HOUSEHOLD_ID_PATTERN = re.compile(r"(?P<commune>[0-9]{5})-[A-Za-z0-9][A-Za-z0-9_-]*")


def _check_household_id(data: dict, errors: dict) -> None:
    household_id, commune = data.get("household_id"), data.get("commune_code")
    if not isinstance(household_id, str):
        return  # missing or mistyped: the field itself says so
    found = HOUSEHOLD_ID_PATTERN.fullmatch(household_id)
    # A wrong commune code is its own error: the id is then only checked for its characters.
    commune_ok = isinstance(commune, str) and "commune_code" not in errors
    if found is None or (commune_ok and found["commune"] != commune):
        shown = commune if commune_ok else "<mã xã / commune code>"
        errors["household_id"] = [_problem("household_id_form", commune_code=shown)]


def _check_commune(data: dict, errors: dict) -> None:
    province, commune = data.get("province_code"), data.get("commune_code")
    if province and commune:
        found = communes_by_code()[commune]
        if found.province_code != province:
            errors["commune_code"] = [_problem("commune_not_in_province", given=province)]


def _check_area(data: dict, errors: dict) -> None:
    """The recorded area must be the one the commune's kind decides (phường → urban, xã →
    rural): a household is scored at the line of where it lives, not of a ticked box."""
    commune, area = data.get("commune_code"), data.get("area")
    if not commune or not area or "commune_code" in errors:
        return
    expected = commune_area(commune, special_zone_area=_SPECIAL_ZONE_AREA.get(None))
    if expected is not None and area != expected:
        errors["area"] = [_problem("area_contradicts_commune", expected=expected)]


def _check_roster(members: list[dict], survey_year: int | None, errors: dict) -> None:
    found: dict[int, dict[str, list[str]]] = {}

    def add(index: int, key: str, code: str, **params: Any) -> None:
        found.setdefault(index, {}).setdefault(key, []).append(_problem(code, **params))

    heads, numbers_seen = 0, set()
    citizen_ids: set[str] = set()
    for index, member in enumerate(members):
        birth_year = member.get("birth_year")
        if survey_year is not None and birth_year is not None and birth_year > survey_year:
            add(index, "birth_year", "after_survey_year", max=survey_year)
        number = member.get("member_no")
        if number is not None:
            if number in numbers_seen:
                add(index, "member_no", "duplicate_member_no")
            numbers_seen.add(number)
        _check_citizen_id(member, index, add, citizen_ids)
        if member.get("relation") == "head":
            heads += 1
            if heads > 1:
                add(index, "relation", "several_heads", count=heads)
        for key, condition in _CONDITIONAL:
            if member.get(key) is not None and _applies(condition, member, survey_year) is False:
                add(index, key, "not_applicable")
    if not members:
        errors["members"] = ["no_members"]
    elif heads == 0 and all("relation" in member for member in members):
        errors["members"] = ["no_head"]  # if a relation is unreadable, its own error says enough
    if found:
        errors.setdefault("members", {})
        if isinstance(errors["members"], list):
            errors["members"] = {"_schema": errors["members"]}
        errors["members"].update(found)


def citizen_id_facts(citizen_id: str) -> tuple[int, str]:
    """(year of birth, sex) a 12-digit số định danh cá nhân encodes.

    Digits 1–3: province of birth; digit 4: century and sex (0/1 = 1900s male/female, 2/3 =
    2000s, 4/5 = 2100s, …); digits 5–6: the last two digits of the year of birth; 6 random.
    """
    code = int(citizen_id[3])
    return 1900 + 100 * (code // 2) + int(citizen_id[4:6]), ("male", "female")[code % 2]


def _check_citizen_id(member: dict, index: int, add: Any, seen: set[str]) -> None:
    """The id's century/sex and year digits must agree with the member's own answers."""
    citizen_id = member.get("citizen_id")
    if not isinstance(citizen_id, str) or len(citizen_id) != 12 or not citizen_id.isdigit():
        return  # absent, or its format error is reported already
    if citizen_id in seen:
        add(index, "citizen_id", "duplicate_citizen_id")
    seen.add(citizen_id)
    year, sex = citizen_id_facts(citizen_id)
    birth_year = member.get("birth_year")
    if isinstance(birth_year, int) and birth_year != year:
        add(index, "citizen_id", "citizen_id_birth_year", id_year=year, birth_year=birth_year)
    if member.get("sex") in ("male", "female") and member["sex"] != sex:
        add(index, "citizen_id", "citizen_id_sex", id_sex_vi=_SEX_VI[sex], id_sex_en=sex,
            sex_vi=_SEX_VI[member["sex"]], sex_en=member["sex"])  # fmt: skip


_SEX_VI = {"male": "nam", "female": "nữ"}


def _applies(condition: Condition, member: dict, survey_year: int | None) -> bool | None:
    """Whether a conditional question applies to this member; None when it cannot be told."""
    if condition.age_under is not None:
        birth_year = member.get("birth_year")
        if birth_year is None or survey_year is None:
            return None
        return survey_year - birth_year < condition.age_under
    value = member.get(condition.field)
    return None if value is None else value == condition.equals


_SCHEMA = HouseholdSchema()


# --- public API --------------------------------------------------------------------------------


def validate_household(
    record: Any, *, today: dt.date | None = None, special_zone_area: str | None = None
) -> list[FieldError]:
    """Every problem of one household record; an empty list means the record is valid.

    `special_zone_area` ("urban"/"rural") is the area of an đặc khu's households when the
    province configures one; without it an đặc khu record's own `area` stands."""
    return _load(record, today, special_zone_area)[1]


def load_household(
    record: Any, *, today: dt.date | None = None, special_zone_area: str | None = None
) -> dict[str, Any]:
    """The normalised record (defaults filled, choices ordered); raises `InvalidHousehold`."""
    data, errors = _load(record, today, special_zone_area)
    if errors:
        raise InvalidHousehold(errors)
    return data


def _load(
    record: Any, today: dt.date | None, special_zone_area: str | None = None
) -> tuple[dict[str, Any], list[FieldError]]:
    token = _TODAY.set(today or dt.date.today())
    zone_token = _SPECIAL_ZONE_AREA.set(special_zone_area)
    try:
        return _SCHEMA.load(record), []
    except ValidationError as error:
        return {}, _field_errors(record, error.messages)
    finally:
        _SPECIAL_ZONE_AREA.reset(zone_token)
        _TODAY.reset(token)


# --- turning marshmallow's nested messages into FieldErrors -------------------------------------


def _field_errors(record: Any, messages: Any) -> list[FieldError]:
    household_id = None
    if isinstance(record, Mapping) and isinstance(record.get("household_id"), str):
        household_id = record["household_id"]
    flat: list[tuple[tuple, Any]] = []
    _flatten(messages, (), flat)
    flat.sort(key=lambda item: _order_key(item[0]))
    return [_make_error(record, household_id, path, message) for path, message in flat]


def _flatten(messages: Any, path: tuple, out: list[tuple[tuple, Any]]) -> None:
    if isinstance(messages, dict):
        for key, value in messages.items():
            _flatten(value, path if key == "_schema" else path + (key,), out)
    elif isinstance(messages, (list, tuple)):
        for value in messages:
            _flatten(value, path, out)
    else:
        out.append((path, messages))


def _make_error(record: Any, household_id: str | None, path: tuple, message: Any) -> FieldError:
    if isinstance(message, Problem):
        code, params = message.code, dict(message.params)
    else:  # a plain code, or a message of marshmallow's own
        code, params = str(message), {}
    template = _template(path)
    label_vi, label_en = _label(template, path)
    question = _QUESTIONS.get(template)
    if question is not None:
        params.setdefault("min", _num(question.min))
        params.setdefault("max", _num(question.max) if question.max is not None else "?")
        if question.relevant is not None:
            params.update(
                condition_vi=question.relevant.text_vi, condition_en=question.relevant.text_en
            )
        if question.type == "select_one" and code == "choice":
            values = [choice.value for choice in QUESTIONNAIRE.choices(question.choices)]
            params["choices"] = f" ({', '.join(values)})" if len(values) <= 12 else ""
    raw = _lookup(record, path)
    params.setdefault("value", _show(raw))
    params.setdefault("choices", "")
    if code == "commune_not_in_province":
        commune = communes_by_code()[raw.strip()]
        params.update(
            commune=commune.name,
            province_vi=commune.province,
            province_en=english_name(commune.province),
        )
    if code == "area_contradicts_commune":
        params.update(_area_params(record, params["expected"]))
    vi, en = render(code, label_vi=label_vi, label_en=label_en, **params)
    return FieldError(household_id, _path_text(path), code, vi, en)


_AREA_NAMES = {"urban": ("thành thị", "urban"), "rural": ("nông thôn", "rural")}


def _area_params(record: Any, expected: str) -> dict[str, str]:
    commune = communes_by_code()[record["commune_code"].strip()]
    kind_vi, kind_en = KIND_NAMES[commune.kind]
    given = record.get("area")
    return {
        "commune": commune.name,
        "commune_en": commune.name_en,
        "kind_vi": kind_vi,
        "kind_en": kind_en,
        "expected_vi": f"{_AREA_NAMES[expected][0]} ({expected})",
        "expected_en": expected,
        "given_vi": f"{_AREA_NAMES.get(given, (given,))[0]} ({given})",
        "given_en": str(given),
    }


def _lookup(record: Any, path: tuple) -> Any:
    value = record
    for key in path:
        try:
            value = value[key]
        except (KeyError, IndexError, TypeError):
            return None
    return value


def _path_text(path: tuple) -> str:
    text = ""
    for key in path:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    return text


def _template(path: tuple) -> str:
    return (
        ".".join(str(key) for key in path if not isinstance(key, int)).replace(
            "members.", "members[].", 1
        )
        if path
        else ""
    )


def _label(template: str, path: tuple) -> tuple[str, str]:
    if template in _LABELS:
        label_vi, label_en = _LABELS[template]
    elif template.startswith("income.scorecard."):
        item = template.rsplit(".", 1)[1]
        label_vi, label_en = f"Phiếu B, câu {item}", f"Phiếu B item {item}"
    else:
        label_vi = label_en = str(path[-1]) if path else ""
    if len(path) == 2 and path[0] == "members" and isinstance(path[1], int):
        label_vi, label_en = f"Thành viên thứ {path[1] + 1}", f"Member {path[1] + 1}"
    elif len(path) > 2 and path[0] == "members" and isinstance(path[1], int):
        label_vi = f"Thành viên thứ {path[1] + 1} – {label_vi}"
        label_en = f"Member {path[1] + 1} – {label_en}"
    return label_vi, label_en


def _order_key(path: tuple) -> tuple:
    key: list[int] = []
    parts: list[str] = []
    for segment in path:
        if isinstance(segment, int):
            key.append(segment)
        else:
            parts.append(str(segment))
            key.append(_ORDER.get(_template(tuple(parts)), 10_000))
    return tuple(key)


def _show(value: Any) -> str:
    """A short rendering of the offending value for messages."""
    if isinstance(value, str):
        text = f'"{value[:40]}"'
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**40:
        # Huge ints cannot always be turned into text (Python limits the digits): estimate.
        text = f"{'-' if value < 0 else ''}~1e{int(abs(value).bit_length() * 0.30103)}"
    else:
        text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


def _num(value: float | None) -> str:
    if value is None:
        return "?"
    return Amount(value)  # written per language by survey_forms.errors.render


def _build_labels() -> tuple[dict[str, tuple[str, str]], dict[str, Question], dict[str, int]]:
    labels: dict[str, tuple[str, str]] = {
        "": ("Bản ghi hộ", "Household record"),
        "form_id": ("Mã biểu mẫu", "Form id"),
        "form_version": ("Phiên bản biểu mẫu", "Form version"),
        "meta": ("Thông tin bản gửi", "Submission metadata"),
    }
    questions: dict[str, Question] = {}

    def walk(group: Group, prefix: str) -> None:
        base = prefix if group.flatten else f"{prefix}{group.id}"
        if not group.flatten:
            labels[base.replace("[]", "")] = (group.label_vi, group.label_en)
            base += "[]." if group.repeat else "."
        for item in group.items:
            if isinstance(item, Group):
                walk(item, base)
            else:
                labels[base + item.id] = (item.label_vi, item.label_en)
                questions[base + item.id] = item

    for section in QUESTIONNAIRE.sections:
        walk(section, "")
    for key, question in _GPS_QUESTIONS.items():
        labels[f"gps.{key}"] = (question.label_vi, question.label_en)
        questions[f"gps.{key}"] = question
    order = {template: n for n, template in enumerate(["form_id", "form_version", *labels])}
    return labels, questions, order


_LABELS, _QUESTIONS, _ORDER = _build_labels()
