"""Errors people read: one household field problem, a rejected household, a bad submission.

Every message exists in Vietnamese and English. Validation never raises for bad data; it returns
`FieldError`s, each naming the household, the field path (`members[3].birth_year`, 0-based
index) and a stable `code` that programs may rely on. `load_household` wraps them in
`InvalidHousehold`. `InvalidSubmission` is raised by the XForm instance reader for XML that is
not a submission of this form.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["FieldError", "InvalidHousehold", "InvalidSubmission", "MESSAGES", "render"]

# code -> (Vietnamese, English). Placeholders: {label_vi} {label_en} {value} {min} {max}
# {choices} {condition_vi} {condition_en} {province} and any parameter a rule passes.
MESSAGES: dict[str, tuple[str, str]] = {
    "required": ("{label_vi}: bắt buộc phải có.", "{label_en}: is required."),
    "type_object": (
        "{label_vi}: phải là một bản ghi (đối tượng JSON), không phải {value}.",
        "{label_en}: must be an object (a JSON mapping), not {value}.",
    ),
    "type_list": ("{label_vi}: phải là một danh sách.", "{label_en}: must be a list."),
    "type_text": ("{label_vi}: phải là chuỗi ký tự.", "{label_en}: must be text."),
    "type_integer": (
        "{label_vi}: phải là số nguyên, không phải {value}.",
        "{label_en}: must be a whole number, not {value}.",
    ),
    "type_number": (
        "{label_vi}: phải là số, không phải {value}.",
        "{label_en}: must be a number, not {value}.",
    ),
    "type_boolean": (
        "{label_vi}: phải là đúng hoặc sai (true/false), không phải {value}.",
        "{label_en}: must be true or false, not {value}.",
    ),
    "type_date": (
        "{label_vi}: phải là ngày dạng NNNN-TT-NN (ví dụ 2026-10-05), không phải {value}.",
        "{label_en}: must be a date written YYYY-MM-DD (e.g. 2026-10-05), not {value}.",
    ),
    "too_long": (
        "{label_vi}: dài quá {max} ký tự.",
        "{label_en}: is longer than {max} characters.",
    ),
    "choice": (
        "{label_vi}: giá trị {value} không có trong danh sách{choices}.",
        "{label_en}: {value} is not an allowed answer{choices}.",
    ),
    "duplicate_choice": (
        "{label_vi}: {value} được chọn hai lần.",
        "{label_en}: {value} is selected twice.",
    ),
    "range": (
        "{label_vi}: phải nằm trong khoảng từ {min} đến {max}, không phải {value}.",
        "{label_en}: must be between {min} and {max}, not {value}.",
    ),
    "greater_than": (
        "{label_vi}: phải lớn hơn {min}, không phải {value}.",
        "{label_en}: must be greater than {min}, not {value}.",
    ),
    "unknown_field": (
        "{label_vi}: trường này không có trong phiếu khảo sát.",
        "{label_en}: is not a field of the questionnaire.",
    ),
    "wrong_form": (
        "{label_vi}: bản ghi thuộc biểu mẫu {value}, không phải {expected}.",
        "{label_en}: the record belongs to form {value}, not {expected}.",
    ),
    "unknown_version": (
        "{label_vi}: phiên bản biểu mẫu {value} không được hỗ trợ (hỗ trợ: {expected}).",
        "{label_en}: form version {value} is not supported (supported: {expected}).",
    ),
    "future_date": (
        "{label_vi}: ngày {value} ở tương lai (hôm nay là {max}).",
        "{label_en}: {value} is in the future (today is {max}).",
    ),
    "after_survey_year": (
        "{label_vi}: năm {value} sau năm rà soát {max}.",
        "{label_en}: {value} is after the survey year {max}.",
    ),
    "unknown_province": (
        "{label_vi}: không có tỉnh, thành phố mã {value}.",
        "{label_en}: there is no province with code {value}.",
    ),
    "unknown_commune": (
        "{label_vi}: không có xã, phường, đặc khu mã {value} (danh mục sau ngày 1/7/2025).",
        "{label_en}: there is no commune with code {value} (list since 1 July 2025).",
    ),
    "household_id_form": (
        "{label_vi}: {value} không đúng dạng <mã xã>-<thôn>-<số thứ tự>: phải bắt đầu bằng mã xã"
        " {commune_code} của hộ và một dấu gạch ngang, sau đó chỉ gồm chữ không dấu, chữ số,"
        " dấu gạch ngang (-) hoặc gạch dưới (_).",
        "{label_en}: {value} is not of the form <commune code>-<village>-<number>: it must start"
        " with the household's commune code {commune_code} and a hyphen, followed only by"
        " unaccented letters, digits, hyphens (-) or underscores (_).",
    ),
    "commune_not_in_province": (
        "{label_vi}: {commune} (mã {value}) thuộc {province_vi}, không thuộc tỉnh, thành phố mã {given}.",
        "{label_en}: {commune} (code {value}) belongs to {province_en}, not to province {given}.",
    ),
    "not_applicable": (
        "{label_vi}: {condition_vi}; phải để trống.",
        "{label_en}: {condition_en}; leave it empty.",
    ),
    "no_members": (
        "{label_vi}: hộ phải có ít nhất một thành viên.",
        "{label_en}: the household needs at least one member.",
    ),
    "no_head": (
        "{label_vi}: hộ phải có đúng một chủ hộ; chưa có ai là chủ hộ.",
        "{label_en}: exactly one member must be the head; none is.",
    ),
    "several_heads": (
        "{label_vi}: hộ chỉ có một chủ hộ; thành viên này là chủ hộ thứ {count}.",
        "{label_en}: a household has one head; this member is head number {count}.",
    ),
    "duplicate_member_no": (
        "{label_vi}: số thứ tự {value} đã dùng cho thành viên khác.",
        "{label_en}: number {value} is already used by another member.",
    ),
    "citizen_id_format": (
        "{label_vi}: phải gồm đúng 12 chữ số, không phải {value}.",
        "{label_en}: must be exactly 12 digits, not {value}.",
    ),
    "citizen_id_birth_year": (
        "{label_vi}: số thứ 4–6 cho năm sinh {id_year}, nhưng năm sinh đã ghi là {birth_year}.",
        "{label_en}: digits 4–6 give the year of birth {id_year}, but the birth year given is "
        "{birth_year}.",
    ),
    "citizen_id_sex": (
        "{label_vi}: số thứ 4 là của người {id_sex_vi}, nhưng giới tính đã ghi là {sex_vi}.",
        "{label_en}: digit 4 is that of a {id_sex_en} person, but the sex given is {sex_en}.",
    ),
    "duplicate_citizen_id": (
        "{label_vi}: số {value} đã ghi cho thành viên khác của hộ.",
        "{label_en}: {value} is already given for another member of the household.",
    ),
    "area_contradicts_commune": (
        "{label_vi}: {commune} là {kind_vi} nên hộ thuộc khu vực {expected_vi}, không phải "
        "{given_vi}; chuẩn nghèo tính theo nơi hộ sinh sống.",
        "{label_en}: {commune_en} is a {kind_en}, so the household is {expected_en}, not "
        "{given_en}; the poverty line follows where the household lives.",
    ),
    "income_missing": (
        "{label_vi}: cần thu nhập 12 tháng qua theo nguồn hoặc câu trả lời Phiếu B (B1).",
        "{label_en}: give the 12-month income by source or the Phiếu B (B1) answers.",
    ),
    "invalid_item_id": (
        "{label_vi}: mã câu hỏi {value} không hợp lệ (chữ thường, số và dấu gạch dưới).",
        "{label_en}: item id {value} is not valid (lower-case letters, digits and underscores).",
    ),
    "type_answer": (
        "{label_vi}: câu trả lời phải là số không âm, đúng/sai, chuỗi ký tự hoặc danh sách chuỗi, không phải {value}.",
        "{label_en}: an answer must be a non-negative number, true/false, text or a list of texts, not {value}.",
    ),
}


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem in one household record, in Vietnamese and English."""

    household_id: str | None
    path: str
    code: str
    message_vi: str
    message_en: str

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON answers and reports."""
        return asdict(self)

    def __str__(self) -> str:
        where = f"{self.household_id or '?'} {self.path or '(record)'}"
        return f"{where}: {self.message_en} / {self.message_vi}"


class InvalidHousehold(ValueError):
    """A household record failed validation; `errors` lists every problem."""

    def __init__(self, errors: Iterable[FieldError]):
        self.errors: list[FieldError] = list(errors)
        super().__init__(self._summary())

    def _summary(self) -> str:
        household = self.errors[0].household_id if self.errors else None
        head = f"Hộ {household or '?'} có {len(self.errors)} lỗi / household {household or '?'} has {len(self.errors)} problem(s)"
        shown = "; ".join(str(error) for error in self.errors[:5])
        more = f"; … (+{len(self.errors) - 5})" if len(self.errors) > 5 else ""
        return f"{head}: {shown}{more}"

    def to_dict(self) -> dict[str, Any]:
        """`{"errors": [...]}` for JSON answers."""
        return {"errors": [error.to_dict() for error in self.errors]}


class InvalidSubmission(ValueError):
    """An ODK submission that is not well-formed XML or not an instance of this form."""

    def __init__(self, code: str, message_vi: str, message_en: str):
        self.code = code
        self.message_vi = message_vi
        self.message_en = message_en
        super().__init__(f"{message_en} / {message_vi}")

    def to_dict(self) -> dict[str, str]:
        """Plain dict for JSON answers."""
        return {"code": self.code, "message_vi": self.message_vi, "message_en": self.message_en}


class _Blank(dict):
    """format_map helper: an unknown placeholder renders as "?" rather than failing."""

    def __missing__(self, key: str) -> str:
        return "?"


class Amount(str):
    """A number shown in a message: written the way each language writes it (20.400 in the
    Vietnamese message, 20,400 in the English one) by `render`."""

    value: float

    def __new__(cls, value: float) -> Amount:
        text = f"{int(value):,}".replace(",", "\u00a0") if float(value).is_integer() else str(value)
        amount = super().__new__(cls, text)
        amount.value = value
        return amount


def _localised(params: dict[str, Any], locale: str) -> dict[str, Any]:
    from babel.numbers import format_decimal

    return {
        key: format_decimal(value.value, locale=locale) if isinstance(value, Amount) else value
        for key, value in params.items()
    }


def render(code: str, **params: Any) -> tuple[str, str]:
    """The (Vietnamese, English) message for an error code with its parameters."""
    vi, en = MESSAGES.get(code, ("{label_vi}: lỗi {code}.", "{label_en}: error {code}."))
    return (
        vi.format_map(_Blank(_localised(params, "vi"), code=code)),
        en.format_map(_Blank(_localised(params, "en"), code=code)),
    )
