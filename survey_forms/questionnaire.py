"""The household questionnaire as data: the one definition behind validation, labels and XForm.

`QUESTIONNAIRE` lists the sections of form `povcensus_household` version `2026.1` in the order
an enumerator asks them. Each question carries its record key, answer type, whether it is
required, its choice list, its numeric range and its labels in Vietnamese and English.
`survey_forms.schemas` builds the marshmallow validation from it, `survey_forms.xform` builds
the XLSForm / XForm from it, and the web views take their labels from it. Deprivations and
classes are not asked: they are derived by `scoring` from these raw answers.

Question types: ``text``, ``integer``, ``decimal``, ``boolean``, ``select_one``,
``select_multiple``, ``date`` (ISO ``YYYY-MM-DD``) and ``geopoint`` (``{"lat", "lon",
"accuracy_m"}``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from survey_forms import communes as _communes

__all__ = [
    "FORM_ID",
    "FORM_VERSION",
    "QUESTIONNAIRE",
    "Choice",
    "Condition",
    "Group",
    "Question",
    "Questionnaire",
]

FORM_ID = "povcensus_household"
FORM_VERSION = "2026.1"

# Money amounts are XForm integers (32-bit in ODK Collect), hence the 2 billion VND ceiling per
# source and year: households that far above every poverty line are not reviewed.
MAX_VND_PER_SOURCE = 2_000_000_000

QUESTION_TYPES = frozenset(
    {"text", "integer", "decimal", "boolean", "select_one", "select_multiple", "date", "geopoint"}
)


@dataclass(frozen=True, slots=True)
class Choice:
    """One answer of a choice list; `province` is the filter value of the commune list."""

    value: str
    label_vi: str
    label_en: str
    province: str | None = None


@dataclass(frozen=True, slots=True)
class Condition:
    """When a question applies (its XLSForm `relevant`).

    Either `field` (a sibling question id) equals `equals`, or the member is younger than
    `age_under` years (age = survey year − birth year).
    """

    field: str | None = None
    equals: object = None
    age_under: int | None = None
    text_vi: str = ""
    text_en: str = ""


@dataclass(frozen=True, slots=True)
class Question:
    """One question = one field of the canonical record."""

    id: str
    type: str
    label_vi: str
    label_en: str
    required: bool = True
    choices: str | None = None
    min: float | None = None
    max: float | None = None
    min_exclusive: bool = False
    # A bound that depends on the record or the day: "survey_year" or "today".
    max_ref: str | None = None
    relevant: Condition | None = None
    # Only the commune list is filtered (by the chosen province).
    choice_filter: str | None = None
    max_length: int | None = None
    hint_vi: str = ""
    hint_en: str = ""
    # XForm-only: a value the form computes itself (e.g. the member number).
    xform_calculation: str | None = None
    # Value a missing or null answer takes (income sources: 0, devices: none).
    default: object = None
    # Text that must match this regular expression (whole answer), else error `pattern_code`.
    pattern: str | None = None
    pattern_code: str | None = None
    # XForm-only: a further constraint (XPath) the tablet checks with the pattern.
    xform_constraint: str | None = None


@dataclass(frozen=True, slots=True)
class Group:
    """A section or sub-section: a nested mapping of the record, or a repeat (a list)."""

    id: str
    label_vi: str
    label_en: str
    items: tuple[Question | Group, ...]
    repeat: bool = False
    # Identification fields sit at the top level of the record, not under "identification".
    flatten: bool = False
    # An optional group may be null in the record; the XForm opens it with a yes/no question.
    optional: bool = False
    gate_vi: str = ""
    gate_en: str = ""
    # Extra keys allowed (scorecard item ids come from the scorecard file in use).
    open_keys: bool = False

    def question(self, question_id: str) -> Question:
        """The direct child question with this id (KeyError if none)."""
        for item in self.items:
            if isinstance(item, Question) and item.id == question_id:
                return item
        raise KeyError(question_id)


@dataclass(frozen=True)
class Questionnaire:
    """The whole form: identity, sections and choice lists."""

    form_id: str
    version: str
    title_vi: str
    title_en: str
    sections: tuple[Group, ...]
    choice_lists: Mapping[str, tuple[Choice, ...]] = field(default_factory=dict)

    def choices(self, list_name: str) -> tuple[Choice, ...]:
        """A choice list by name; `provinces` and `communes` come from the commune data."""
        if list_name == "provinces":
            return _province_choices()
        if list_name == "communes":
            return _commune_choices()
        return self.choice_lists[list_name]

    def choice_values(self, list_name: str) -> frozenset[str]:
        """The allowed values of a list (cached for the hot validation path)."""
        return _choice_values(self, list_name)

    def section(self, section_id: str) -> Group:
        """A top-level section by id."""
        for section in self.sections:
            if section.id == section_id:
                return section
        raise KeyError(section_id)

    def iter_questions(self) -> Iterator[tuple[str, Question]]:
        """Every question with its record path (`members[].name`, `dwelling.floor_area_m2`)."""
        for section in self.sections:
            yield from _walk(section, "")

    def question_at(self, path: str) -> Question | None:
        """The question stored at a record path (`dwelling.latrine`), or None (cached)."""
        return _questions_by_path(self).get(path)

    def choice(self, list_name: str, value: Any) -> Choice | None:
        """The choice of a list with this value, or None (cached: labels on hot pages)."""
        return _choices_by_value(self, list_name).get(value)

    def list_names(self) -> list[str]:
        """Every choice list a question uses, in first-use order."""
        names: list[str] = []
        for _, question in self.iter_questions():
            if question.choices and question.choices not in names:
                names.append(question.choices)
        return names

    def __hash__(self) -> int:  # frozen dataclass with a dict field: hash by identity
        return id(self)


def _walk(group: Group, prefix: str) -> Iterator[tuple[str, Question]]:
    if group.flatten:
        base = prefix
    else:
        base = f"{prefix}{group.id}{'[]' if group.repeat else ''}."
    for item in group.items:
        if isinstance(item, Group):
            yield from _walk(item, base)
        else:
            yield f"{base}{item.id}", item


@cache
def _questions_by_path(questionnaire: Questionnaire) -> dict[str, Question]:
    return dict(questionnaire.iter_questions())


@cache
def _choices_by_value(questionnaire: Questionnaire, list_name: str) -> dict[Any, Choice]:
    return {choice.value: choice for choice in questionnaire.choices(list_name)}


@cache
def _choice_values(questionnaire: Questionnaire, list_name: str) -> frozenset[str]:
    return frozenset(choice.value for choice in questionnaire.choices(list_name))


@cache
def _province_choices() -> tuple[Choice, ...]:
    return tuple(Choice(p.code, p.name, p.name_en) for p in _communes.all_provinces().values())


@cache
def _commune_choices() -> tuple[Choice, ...]:
    ordered = sorted(_communes.communes_by_code().values(), key=lambda c: c.commune_code)
    return tuple(
        Choice(c.commune_code, c.name, c.name_en, province=c.province_code) for c in ordered
    )


def _choices(*rows: tuple[str, str, str]) -> tuple[Choice, ...]:
    return tuple(Choice(value, vi, en) for value, vi, en in rows)


# --- choice lists --------------------------------------------------------------------------

CHOICE_LISTS: dict[str, tuple[Choice, ...]] = {
    "yes_no": _choices(("yes", "Có", "Yes"), ("no", "Không", "No")),
    "area": _choices(("urban", "Thành thị", "Urban"), ("rural", "Nông thôn", "Rural")),
    "relation": _choices(
        ("head", "Chủ hộ", "Household head"),
        ("spouse", "Vợ/chồng", "Spouse"),
        ("child", "Con", "Child"),
        ("child_in_law", "Con dâu/con rể", "Child-in-law"),
        ("grandchild", "Cháu", "Grandchild"),
        ("parent", "Bố/mẹ", "Parent"),
        ("sibling", "Anh/chị/em", "Sibling"),
        ("other", "Quan hệ khác", "Other"),
    ),
    "sex": _choices(("male", "Nam", "Male"), ("female", "Nữ", "Female")),
    "ethnicity": _choices(
        ("kinh", "Kinh", "Kinh"),
        ("tay", "Tày", "Tay"),
        ("thai", "Thái", "Thai"),
        ("muong", "Mường", "Muong"),
        ("khmer", "Khmer", "Khmer"),
        ("hmong", "Mông", "Hmong"),
        ("nung", "Nùng", "Nung"),
        ("dao", "Dao", "Dao"),
        ("chut", "Chứt", "Chut"),
        ("other", "Dân tộc khác", "Other ethnic group"),
    ),
    "disability": _choices(
        ("none", "Không khuyết tật", "No disability"),
        ("mild", "Khuyết tật nhẹ", "Mild disability"),
        ("severe", "Khuyết tật nặng", "Severe disability"),
        ("especially_severe", "Khuyết tật đặc biệt nặng", "Especially severe disability"),
    ),
    "school_level": _choices(
        ("preschool", "Mầm non", "Preschool"),
        ("primary", "Tiểu học", "Primary school"),
        ("lower_secondary", "Trung học cơ sở", "Lower secondary school"),
        ("upper_secondary", "Trung học phổ thông", "Upper secondary school"),
        ("vocational", "Giáo dục nghề nghiệp", "Vocational education and training"),
        ("higher", "Đại học, sau đại học", "University or postgraduate"),
    ),
    "diploma": _choices(
        ("none", "Chưa có bằng cấp", "No diploma"),
        ("primary", "Tốt nghiệp tiểu học", "Primary school"),
        ("lower_secondary", "Tốt nghiệp trung học cơ sở", "Lower secondary school"),
        ("upper_secondary", "Tốt nghiệp trung học phổ thông", "Upper secondary school"),
        ("college", "Cao đẳng", "College"),
        ("university", "Đại học trở lên", "University or higher"),
    ),
    "work_status": _choices(
        ("wage_worker", "Làm công ăn lương", "Wage worker"),
        ("self_employed", "Tự làm, kinh doanh phi nông nghiệp", "Self-employed (non-farm)"),
        ("farmer", "Làm nông, lâm, ngư nghiệp", "Farming, forestry or fishing"),
        (
            "unemployed",
            "Thất nghiệp (muốn làm nhưng không tìm được việc)",
            "Unemployed (wants work but finds none)",
        ),
        ("student", "Đang đi học", "Student"),
        ("homemaker", "Nội trợ", "Homemaker"),
        ("retired", "Nghỉ hưu", "Retired"),
        ("unable_to_work", "Không có khả năng lao động", "Unable to work"),
        ("child", "Trẻ em chưa đến tuổi lao động", "Child below working age"),
    ),
    "nutrition": _choices(
        ("normal", "Bình thường", "Normal"),
        ("stunted", "Suy dinh dưỡng thể thấp còi", "Stunted (low height for age)"),
        ("underweight", "Suy dinh dưỡng thể nhẹ cân", "Underweight (low weight for age)"),
        ("wasted", "Suy dinh dưỡng thể gầy còm", "Wasted (low weight for height)"),
    ),
    "wall_material": _choices(
        ("concrete_brick", "Bê tông, gạch", "Concrete or brick"),
        ("stone", "Đá", "Stone"),
        ("hardwood", "Gỗ bền chắc", "Durable hardwood"),
        ("metal", "Kim loại", "Metal"),
        ("earth", "Đất, vách đất", "Earth"),
        ("bamboo_leaves", "Tre, nứa, lá", "Bamboo or leaves"),
        ("tarpaulin_other", "Bạt, vật liệu khác", "Tarpaulin or other"),
    ),
    "frame_material": _choices(
        ("reinforced_concrete", "Bê tông cốt thép", "Reinforced concrete"),
        ("steel", "Sắt, thép", "Steel"),
        ("brick_stone", "Gạch, đá", "Brick or stone"),
        ("hardwood", "Gỗ bền chắc", "Durable hardwood"),
        ("softwood_bamboo", "Gỗ tạp, tre", "Softwood or bamboo"),
        ("none_other", "Không có khung, vật liệu khác", "No frame or other"),
    ),
    "roof_material": _choices(
        ("concrete", "Bê tông", "Concrete"),
        ("tile", "Ngói", "Tiles"),
        ("metal_sheet", "Tôn, tấm kim loại", "Metal sheets"),
        ("fibre_cement", "Tấm lợp fibrô xi măng", "Fibre-cement sheets"),
        ("thatch_leaves", "Tranh, tre, lá", "Thatch or leaves"),
        ("tarpaulin_other", "Bạt, vật liệu khác", "Tarpaulin or other"),
    ),
    "water_source": _choices(
        ("piped", "Nước máy", "Piped water"),
        ("drilled_well", "Giếng khoan", "Drilled well"),
        ("protected_dug_well", "Giếng đào được bảo vệ", "Protected dug well"),
        ("unprotected_dug_well", "Giếng đào không được bảo vệ", "Unprotected dug well"),
        ("protected_spring", "Nước khe, mó được bảo vệ", "Protected spring"),
        ("unprotected_spring", "Nước khe, mó không được bảo vệ", "Unprotected spring"),
        ("rainwater", "Nước mưa", "Rainwater"),
        ("bottled", "Nước đóng chai, đóng bình", "Bottled water"),
        ("surface_water", "Nước sông, suối, ao, hồ", "Surface water (river, stream, pond, lake)"),
        ("vendor_other", "Nước mua từ xe chở, nguồn khác", "Water vendor or other source"),
    ),
    "latrine": _choices(
        ("septic", "Nhà tiêu tự hoại", "Septic tank"),
        ("semi_septic", "Nhà tiêu bán tự hoại", "Semi-septic tank"),
        ("pour_flush", "Nhà tiêu dội nước", "Pour-flush latrine"),
        ("double_vault", "Nhà tiêu khô hai ngăn", "Double-vault latrine"),
        ("ventilated_pit", "Nhà tiêu chìm có ống thông hơi", "Ventilated improved pit"),
        ("biogas", "Nhà tiêu nối với bể biogas", "Latrine connected to a biogas tank"),
        ("simple_pit", "Hố xí đào đơn giản", "Simple pit latrine"),
        ("over_water", "Cầu tiêu trên ao, sông, suối", "Latrine over water"),
        ("none", "Không có nhà tiêu", "No latrine"),
    ),
    "devices": _choices(
        ("tv", "Ti vi", "Television"),
        ("radio", "Đài radio", "Radio"),
        ("computer", "Máy vi tính", "Computer"),
        ("smartphone", "Điện thoại thông minh", "Smartphone"),
        ("tablet", "Máy tính bảng", "Tablet"),
        ("landline", "Điện thoại cố định", "Landline telephone"),
        ("basic_phone", "Điện thoại di động thường", "Basic mobile phone"),
    ),
    "waste_treatment": _choices(
        ("collected", "Được thu gom", "Collected"),
        ("sorted_composted", "Phân loại, ủ làm phân", "Sorted or composted"),
        ("buried_burned_own", "Hộ tự chôn lấp hoặc đốt", "Buried or burned by the household"),
        ("discarded", "Vứt bỏ bừa bãi", "Discarded in the open"),
    ),
    "cooking_fuel": _choices(
        ("electricity_gas", "Điện, khí gas", "Electricity or gas"),
        ("biogas", "Khí biogas", "Biogas"),
        ("charcoal_coal", "Than", "Charcoal or coal"),
        ("wood_straw_dung", "Củi, rơm rạ, phân gia súc", "Wood, straw or dung"),
        ("none", "Không nấu ăn", "No cooking"),
    ),
}

# --- sections ------------------------------------------------------------------------------

IDENTIFICATION = Group(
    "identification",
    "Thông tin chung về hộ",
    "Household identification",
    flatten=True,
    items=(
        Question(
            "household_id",
            "text",
            "Mã hộ",
            "Household ID",
            max_length=64,
            hint_vi="Dạng <mã xã>-<thôn>-<số thứ tự>, giữ nguyên qua các kỳ rà soát",
            hint_en="Form <commune code>-<village>-<number>, unchanged across review rounds",
        ),
        Question(
            "province_code",
            "select_one",
            "Tỉnh, thành phố",
            "Province or centrally-run city",
            choices="provinces",
        ),
        Question(
            "commune_code",
            "select_one",
            "Xã, phường, đặc khu",
            "Commune, ward or special zone",
            choices="communes",
            choice_filter="province_code",
        ),
        Question(
            "village",
            "text",
            "Thôn, tổ dân phố",
            "Village or residential group",
            max_length=100,
        ),
        Question("area", "select_one", "Khu vực", "Area", choices="area"),
        Question(
            "head_name", "text", "Họ và tên chủ hộ", "Name of the household head", max_length=100
        ),
        Question("address", "text", "Địa chỉ", "Address", max_length=200),
        Question(
            "round",
            "text",
            "Đợt rà soát",
            "Review round",
            required=False,
            max_length=40,
            hint_vi="Để trống nếu không rõ; máy chủ sẽ tự điền",
            hint_en="Leave blank if unsure; the server fills it in",
        ),
        Question(
            "enumerator",
            "text",
            "Rà soát viên (mã số hoặc họ tên)",
            "Reviewer (ID or name)",
            max_length=100,
        ),
        Question(
            "survey_date",
            "date",
            "Ngày rà soát",
            "Date of the interview",
            max_ref="today",
        ),
        Question(
            "gps", "geopoint", "Vị trí GPS của hộ", "GPS location of the household", required=False
        ),
    ),
)

_UNDER_16 = Condition(
    age_under=16, text_vi="chỉ hỏi với thành viên dưới 16 tuổi", text_en="only for members under 16"
)
_WAGE_WORKER = Condition(
    field="work_status",
    equals="wage_worker",
    text_vi="chỉ hỏi với người làm công ăn lương",
    text_en="only for wage workers",
)
_IN_SCHOOL = Condition(
    field="in_school",
    equals=True,
    text_vi="chỉ hỏi với người đang đi học",
    text_en="only for members in school or training",
)

MEMBERS = Group(
    "members",
    "Thành viên hộ",
    "Household members",
    repeat=True,
    items=(
        Question(
            "member_no",
            "integer",
            "Số thứ tự thành viên",
            "Member number",
            min=1,
            max=99,
            xform_calculation="position(..)",
        ),
        Question("name", "text", "Họ và tên", "Full name", max_length=100),
        Question(
            "relation",
            "select_one",
            "Quan hệ với chủ hộ",
            "Relationship to the head",
            choices="relation",
        ),
        Question("sex", "select_one", "Giới tính", "Sex", choices="sex"),
        Question(
            "birth_year", "integer", "Năm sinh", "Year of birth", min=1900, max_ref="survey_year"
        ),
        Question(
            "citizen_id",
            "text",
            "Số định danh cá nhân (số CCCD, 12 số)",
            "Personal identification number (12-digit citizen id)",
            required=False,
            max_length=12,
            pattern=r"[0-9]{12}",
            pattern_code="citizen_id_format",
            # digit 4 = century and sex, digits 5-6 = year (survey_forms.schemas.citizen_id_facts)
            xform_constraint="1900 + 100 * floor(number(substr(., 3, 4)) div 2)"
            " + number(substr(., 4, 6)) = ${birth_year}"
            " and ((number(substr(., 3, 4)) mod 2 = 0) = (${sex} = 'male'))",
            hint_vi="Nếu có: 12 chữ số trên thẻ căn cước; số thứ 4 (thế kỷ, giới tính) và số thứ "
            "5–6 (năm sinh) phải khớp với giới tính và năm sinh đã ghi",
            hint_en="If known: the 12 digits on the identity card; digit 4 (century, sex) and "
            "digits 5–6 (year of birth) must match the sex and birth year given",
        ),
        Question("ethnicity", "select_one", "Dân tộc", "Ethnic group", choices="ethnicity"),
        Question(
            "disability", "select_one", "Tình trạng khuyết tật", "Disability", choices="disability"
        ),
        Question(
            "in_school",
            "boolean",
            "Hiện có đang đi học hoặc đào tạo không?",
            "Attending school or training now?",
        ),
        Question(
            "school_level",
            "select_one",
            "Cấp học, bậc đào tạo đang theo học",
            "Level of school or training attended",
            required=False,
            choices="school_level",
            relevant=_IN_SCHOOL,
        ),
        Question(
            "highest_diploma",
            "select_one",
            "Bằng cấp cao nhất đã đạt",
            "Highest diploma obtained",
            choices="diploma",
        ),
        Question(
            "vocational_certificate",
            "boolean",
            "Có chứng chỉ nghề không?",
            "Holds a vocational certificate?",
        ),
        Question(
            "work_status",
            "select_one",
            "Tình trạng việc làm chính",
            "Main work status",
            choices="work_status",
        ),
        Question(
            "labour_contract",
            "boolean",
            "Có hợp đồng lao động không?",
            "Has a labour contract?",
            required=False,
            relevant=_WAGE_WORKER,
        ),
        Question(
            "health_insurance",
            "boolean",
            "Có thẻ bảo hiểm y tế còn hạn không?",
            "Has a valid health-insurance card?",
        ),
        Question(
            "sick_no_care",
            "boolean",
            "Trong 12 tháng qua có bị ốm đau mà không đi khám chữa bệnh không?",
            "Ill in the last 12 months without seeking care?",
        ),
        Question(
            "nutrition",
            "select_one",
            "Tình trạng dinh dưỡng",
            "Nutrition status",
            required=False,
            choices="nutrition",
            relevant=_UNDER_16,
        ),
        Question(
            "uses_internet",
            "boolean",
            "Có sử dụng Internet trong tháng qua không?",
            "Used the internet in the last month?",
        ),
        Question(
            "mobile_subscription",
            "boolean",
            "Có thuê bao điện thoại không?",
            "Has a phone subscription?",
        ),
        Question(
            "social_allowance",
            "boolean",
            "Có hưởng trợ cấp xã hội hằng tháng không?",
            "Receives a monthly state social allowance?",
        ),
    ),
)

DWELLING = Group(
    "dwelling",
    "Nhà ở và điều kiện sống",
    "Dwelling and living conditions",
    items=(
        Question(
            "wall_material",
            "select_one",
            "Vật liệu chính của tường",
            "Main wall material",
            choices="wall_material",
        ),
        Question(
            "frame_material",
            "select_one",
            "Vật liệu chính của khung, cột",
            "Main frame or column material",
            choices="frame_material",
        ),
        Question(
            "roof_material",
            "select_one",
            "Vật liệu chính của mái",
            "Main roof material",
            choices="roof_material",
        ),
        Question(
            "floor_area_m2",
            "decimal",
            "Diện tích ở của ngôi nhà (m²)",
            "Living floor area of the house (m²)",
            min=0,
            min_exclusive=True,
            max=10_000,
        ),
        Question(
            "water_source",
            "select_one",
            "Nguồn nước sinh hoạt chính",
            "Main source of domestic water",
            choices="water_source",
        ),
        Question(
            "latrine",
            "select_one",
            "Loại nhà tiêu đang sử dụng",
            "Type of latrine used",
            choices="latrine",
        ),
        Question(
            "devices",
            "select_multiple",
            "Phương tiện tiếp cận thông tin hộ đang có",
            "Information devices the household owns",
            required=False,
            choices="devices",
            default=(),
        ),
        Question(
            "hears_loudspeaker",
            "boolean",
            "Có nghe được loa truyền thanh của thôn không?",
            "Can the household hear the village loudspeaker?",
        ),
        Question(
            "waste_treatment",
            "select_one",
            "Cách xử lý rác thải sinh hoạt",
            "How household waste is treated",
            choices="waste_treatment",
        ),
        Question(
            "electricity",
            "boolean",
            "Hộ có dùng điện (lưới điện hoặc nguồn khác) không?",
            "Does the household have electricity (grid or other source)?",
        ),
        Question(
            "cooking_fuel",
            "select_one",
            "Nhiên liệu nấu ăn chính",
            "Main cooking fuel",
            choices="cooking_fuel",
        ),
    ),
)


def _vnd(source: str, vi: str, en: str) -> Question:
    return Question(
        source,
        "integer",
        f"{vi} (đồng)",
        f"{en} (VND)",
        min=0,
        max=MAX_VND_PER_SOURCE,
        default=0,
        hint_vi="Tổng 12 tháng qua; ghi 0 nếu không có",
        hint_en="Total of the last 12 months; 0 if none",
    )


def _owns(item: str, vi: str, en: str) -> Question:
    return Question(
        item, "boolean", f"Hộ có {vi} không?", f"Does the household own {en}?", required=False
    )


def _count(item: str, vi: str, en: str, most: int) -> Question:
    return Question(item, "integer", vi, en, required=False, min=0, max=most)


INCOME = Group(
    "income",
    "Thu nhập",
    "Income",
    items=(
        Group(
            "sources_12m",
            "Thu nhập 12 tháng qua theo nguồn",
            "Income of the last 12 months by source",
            optional=True,
            gate_vi="Có thu thập thu nhập 12 tháng qua của hộ không?",
            gate_en="Is the household's income of the last 12 months collected?",
            items=(
                _vnd("wages", "Tiền lương, tiền công", "Wages and salaries"),
                _vnd(
                    "agriculture",
                    "Nông, lâm, thủy sản, sau khi trừ chi phí",
                    "Farming, forestry and fishery, net of costs",
                ),
                _vnd(
                    "business",
                    "Kinh doanh, dịch vụ phi nông nghiệp, sau khi trừ chi phí",
                    "Non-farm business and services, net of costs",
                ),
                _vnd("pensions", "Lương hưu", "Pensions"),
                _vnd("social_allowances", "Trợ cấp xã hội", "State social allowances"),
                _vnd("remittances", "Tiền gửi về, quà biếu", "Remittances and gifts"),
                _vnd("other", "Thu nhập khác", "Other income"),
            ),
        ),
        Group(
            "scorecard",
            "Phiếu B: các câu hỏi chấm điểm B1",
            "Phiếu B: B1 scorecard questions",
            optional=True,
            open_keys=True,
            gate_vi="Có chấm điểm Phiếu B (B1) cho hộ không?",
            gate_en="Are the Phiếu B (B1) scorecard questions asked?",
            items=(
                Question(
                    "electricity_kwh",
                    "integer",
                    "Điện tiêu thụ bình quân tháng (kWh)",
                    "Electricity use per month (kWh)",
                    required=False,
                    min=0,
                    max=100_000,
                ),
                _owns("fridge", "tủ lạnh", "a refrigerator"),
                _count("motorbikes", "Số xe máy", "Number of motorbikes", 100),
                _owns("car", "ô tô", "a car"),
                _owns("air_conditioner", "điều hòa nhiệt độ", "an air conditioner"),
                _owns("washing_machine", "máy giặt", "a washing machine"),
                _count("cattle", "Số trâu, bò", "Buffaloes and cattle (head)", 10_000),
                _count("pigs_goats", "Số lợn, dê, cừu", "Pigs, goats and sheep (head)", 100_000),
                Question(
                    "cropland_m2",
                    "decimal",
                    "Diện tích đất trồng trọt (m²)",
                    "Cropland (m²)",
                    required=False,
                    min=0,
                    max=10_000_000,
                ),
            ),
        ),
    ),
)

QUESTIONNAIRE = Questionnaire(
    form_id=FORM_ID,
    version=FORM_VERSION,
    title_vi="Phiếu rà soát hộ nghèo, hộ cận nghèo",
    title_en="Poor and near-poor household review",
    sections=(IDENTIFICATION, MEMBERS, DWELLING, INCOME),
    choice_lists=CHOICE_LISTS,
)
