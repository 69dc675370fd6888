"""Why each indicator came out as it did, as a sentence a commune official reads.

`indicator_reasons(result, record, standard)` turns the stored facts of a classification
(`Classification.to_dict()["indicators"][i]["facts"]`) into Vietnamese and English sentences
that name the people, the answers (labelled from the questionnaire, `survey_forms`) and the
law's threshold (from the standard file), e.g. "Ông Lê Văn Kiên, 72 tuổi, và 3 trẻ dưới 16
tuổi: 4/7 người phụ thuộc (57 %) > 50 %". The review pages, the exports and the API's
explanation all call this one function, so they say the same thing. Pure: no I/O.

Each indicator *function* (scoring.indicators) has one sentence builder here; a new function
without a builder falls back to a neutral sentence rather than raw data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from survey_forms.questionnaire import QUESTIONNAIRE

from .text import en_number, vi_number, vi_percent
from .view import is_true

Sentence = tuple[str, str]  # (Vietnamese, English)
People = Mapping[Any, Mapping[str, Any]]  # member_no -> the member's answers
ADULT_AGE = 16  # below: "cháu" (a child), not "Ông"/"Bà"


# --- labels from the questionnaire ---------------------------------------------------------


def answer_label(path: str, value: Any) -> Sentence:
    """(vi, en) label of one recorded answer, e.g. `dwelling.wall_material` = `tarpaulin_other`."""
    question = QUESTIONNAIRE.question_at(path)
    if isinstance(value, list):
        parts = [answer_label(path, item) for item in value]
        return ", ".join(p[0] for p in parts) or "không có", ", ".join(
            p[1] for p in parts
        ) or "none"
    if value is None:
        return "không rõ", "unknown"
    if question is not None and question.choices:
        choice = QUESTIONNAIRE.choice(question.choices, value)
        if choice is not None:
            return choice.label_vi, choice.label_en
    if isinstance(value, bool):
        return ("có", "yes") if value else ("không", "no")
    if isinstance(value, int | float):
        return vi_number(value), en_number(value)
    return str(value), str(value)


def question_label(path: str) -> Sentence:
    """(vi, en) label of a question, e.g. `income.scorecard.cattle` → "Số trâu, bò"."""
    question = QUESTIONNAIRE.question_at(path)
    if question is None:
        name = path.rsplit(".", 1)[-1].replace("_", " ")
        return name, name
    return question.label_vi, question.label_en


def _stem(path: str) -> Sentence:
    """A yes/no question as a statement: "Có thẻ … không?" → "có thẻ …"."""
    label_vi, label_en = question_label(path)
    stem = label_vi.removesuffix("?").strip().removesuffix(" không").strip()
    return stem[:1].lower() + stem[1:], label_en.removesuffix("?")


def _yes_no(path: str, value: Any) -> Sentence:
    """A yes/no answer as a statement: "không có thẻ bảo hiểm y tế còn hạn"."""
    label_en = question_label(path)[1]
    stem = _stem(path)[0]
    yes = is_true(value)
    if value is None:
        vi = f"{stem}: không rõ"
    elif yes:
        vi = stem
    else:
        vi = f"không {stem}" if stem.startswith("có ") else f"{stem}: không"
    en = f"{label_en.removesuffix('?')}: {'unknown' if value is None else 'yes' if yes else 'no'}"
    return vi, en


def _or_list(pairs: Sequence[Sentence]) -> Sentence:
    return " / ".join(p[0] for p in pairs), " / ".join(p[1] for p in pairs)


# --- people ------------------------------------------------------------------------------------


def _person(fact: Mapping[str, Any], people: People) -> Sentence:
    """ "Ông Lê Văn Kiên, 72 tuổi" / "Lê Văn Kiên (72)" from a member fact."""
    member = people.get(fact.get("member_no")) or {}
    name, age = member.get("name"), fact.get("age")
    if not name:
        name_vi = f"thành viên số {fact.get('member_no')}"
        name_en = f"member no. {fact.get('member_no')}"
    elif age is not None and age < ADULT_AGE:
        name_vi, name_en = f"cháu {name}", name
    else:
        title = {"male": "Ông", "female": "Bà"}.get(member.get("sex"), "")
        name_vi, name_en = f"{title} {name}".strip(), name
    if age is None:
        return name_vi, name_en
    return f"{name_vi}, {age} tuổi", f"{name_en} ({age})"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _people_list(facts: Sequence[Mapping[str, Any]], people: People, what) -> Sentence:
    """ "Ông A, 40 tuổi: …; Bà B, 38 tuổi: …" — `what(fact)` says the (vi, en) of one."""
    vi, en = [], []
    for fact in facts:
        who = _person(fact, people)
        said = what(fact)
        vi.append(f"{who[0]}: {said[0]}")
        en.append(f"{who[1]}: {said[1]}")
    return _capital("; ".join(vi)), "; ".join(en)


def _members_with(numbers: Sequence[Any], people: People) -> Sentence:
    names = [people.get(n, {}).get("name") or f"số {n}" for n in numbers]
    return ", ".join(names), ", ".join(names)


# --- one builder per indicator function -----------------------------------------------------


def _employment(facts, params, deprived, people) -> Sentence:
    if not deprived:
        n = facts.get("working_age_members", 0)
        return (
            f"{n} người trong độ tuổi lao động; không ai thất nghiệp hoặc làm công ăn lương"
            " không có hợp đồng lao động",
            f"{n} working-age members; none unemployed or a wage worker without a contract",
        )

    def what(fact):
        status = answer_label("members[].work_status", fact.get("work_status"))
        if fact.get("reason") == "wage_without_contract":
            return f"{status[0].lower()}, không có hợp đồng lao động", f"{status[1]}, no contract"
        return status[0].lower(), status[1]

    return _people_list(facts.get("members", []), people, what)


def _dependents(facts, params, deprived, people) -> Sentence:
    deps = facts.get("dependents", [])
    children = [d for d in deps if d.get("reason") == "child"]
    others = [d for d in deps if d.get("reason") != "child"]
    under = params.get("child_under_age", ADULT_AGE)
    vi_parts, en_parts = [], []
    for dep in others:
        who = _person(dep, people)
        if dep.get("reason") == "disabled_unable_to_work":
            who = (f"{who[0]} (khuyết tật, không có khả năng lao động)", f"{who[1]} (disabled)")
        vi_parts.append(who[0])
        en_parts.append(who[1])
    if children:
        vi_parts.append(f"{len(children)} trẻ dưới {under} tuổi")
        en_parts.append(
            f"{len(children)} {'child' if len(children) == 1 else 'children'} under {under}"
        )
    members, share, limit = facts.get("members", 0), facts.get("share", 0), facts.get("max_share")
    sign = ">" if deprived else "≤"
    ratio_vi = (
        f"{len(deps)}/{members} người phụ thuộc ({vi_percent(share)}) {sign} {vi_percent(limit)}"
    )
    ratio_en = f"{len(deps)}/{members} dependents ({en_number(share * 100)} %) {sign} " + (
        f"{en_number(limit * 100)} %"
    )
    if not deps:
        return _capital(ratio_vi), ratio_en
    return (
        f"{_capital(_join_vi(vi_parts))}: {ratio_vi}",
        f"{_join_en(en_parts)}: {ratio_en}",
    )


def _join_vi(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + ", và " + parts[-1]


def _join_en(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _any_member_in(facts, params, deprived, people) -> Sentence:
    path = f"members[].{params['field']}"
    if not deprived:
        values = _or_list([answer_label(path, v) for v in params.get("values", [])])
        label = question_label(path)
        return (
            f"Không thành viên nào có {label[0].lower()}: {values[0].lower()}",
            f"No member with {label[1].lower()}: {values[1].lower()}",
        )

    def what(fact):
        label = answer_label(path, fact.get(params["field"]))
        return label[0].lower(), label[1].lower()

    return _people_list(facts.get("members", []), people, what)


def _any_member_flag(facts, params, deprived, people) -> Sentence:
    path = f"members[].{params['field']}"
    if not deprived:
        statement = _yes_no(path, not params.get("deprived_when"))
        return (
            f"Mọi thành viên thuộc diện xét: {statement[0]}",
            f"Every member concerned: {statement[1]}",
        )
    return _people_list(
        facts.get("members", []), people, lambda fact: _yes_no(path, fact.get(params["field"]))
    )


def _no_member_flag(facts, params, deprived, people) -> Sentence:
    asked = _or_list([_stem(f"members[].{f}") for f in facts.get("fields", params["fields"])])
    if deprived:
        return f"Không thành viên nào {asked[0]}", f"No member: {asked[1].lower()}"
    names = _members_with(facts.get("members_with", []), people)
    return f"{names[0]}: {asked[0]}", f"{names[1]}: {asked[1].lower()}"


def _adult_education(facts, params, deprived, people) -> Sentence:
    if not deprived:
        return (
            "Mọi thành viên trong độ tuổi xét đều có bằng cấp theo quy định",
            "Every member of the ages concerned holds the required diploma",
        )

    def what(fact):
        has = answer_label("members[].highest_diploma", fact.get("highest_diploma"))
        needed = _or_list(
            [answer_label("members[].highest_diploma", d) for d in fact.get("required", [])]
        )
        return (
            f"bằng cao nhất {has[0].lower()}, cần {needed[0].lower()}",
            f"highest diploma {has[1].lower()}, needs {needed[1].lower()}",
        )

    return _people_list(facts.get("members", []), people, what)


def _child_schooling(facts, params, deprived, people) -> Sentence:
    if not deprived:
        return (
            "Mọi trẻ trong độ tuổi đi học đều đang đi học đúng cấp",
            "Every child of school age attends school at a suited level",
        )

    def what(fact):
        if fact.get("reason") == "not_in_school":
            return "không đi học", "not in school"
        level = answer_label("members[].school_level", fact.get("school_level"))
        suited = _or_list(
            [answer_label("members[].school_level", v) for v in fact.get("suited_levels", [])]
        )
        return (
            f"đang học {level[0].lower()}, chưa đúng cấp theo tuổi ({suited[0].lower()})",
            f"attends {level[1].lower()}, not the level for the age ({suited[1].lower()})",
        )

    return _people_list(facts.get("members", []), people, what)


def _no_member_diploma(facts, params, deprived, people) -> Sentence:
    accepted = _or_list(
        [answer_label("members[].highest_diploma", d) for d in params.get("accepted_diplomas", [])]
    )
    if deprived:
        return (
            f"Không thành viên nào từ {params.get('min_age')} tuổi có bằng {accepted[0].lower()}",
            f"No member aged {params.get('min_age')} or over holds {accepted[1].lower()}",
        )
    names = _members_with(facts.get("members_with", []), people)
    return f"Có bằng theo quy định: {names[0]}", f"Holding the required diploma: {names[1]}"


_PARTS = {
    "wall": ("tường", "wall", "wall_material"),
    "frame": ("khung, cột", "frame", "frame_material"),
    "roof": ("mái", "roof", "roof_material"),
}


def _housing_materials(facts, params, deprived, people) -> Sentence:
    materials, weak = facts.get("materials", {}), facts.get("non_durable", [])
    vi, en = [], []
    for part, value in materials.items():
        part_vi, part_en, field = _PARTS.get(part, (part, part, part))
        label = answer_label(f"dwelling.{field}", value)
        vi.append(f"{part_vi} {label[0].lower()}")
        en.append(f"{part_en} {label[1].lower()}")
    limit = params.get("min_non_durable")
    sign = "≥" if deprived else "<"
    return (
        _capital("; ".join(vi))
        + f" — {len(weak)}/{len(materials)} bộ phận chính không bền chắc {sign} {limit}",
        _capital("; ".join(en))
        + f" — {len(weak)} of {len(materials)} main parts non-durable {sign} {limit}",
    )


def _floor_area(facts, params, deprived, people) -> Sentence:
    area, members = facts.get("floor_area_m2"), facts.get("members")
    per, limit = facts.get("m2_per_person", 0), facts.get("min_m2_per_person")
    sign = "<" if deprived else "≥"
    return (
        f"{vi_number(area, 1)} m² cho {members} người: {vi_number(per, 1)} m²/người {sign}"
        f" {vi_number(limit, 1)} m²/người",
        f"{en_number(area, 1)} m² for {members} people: {en_number(per, 1)} m² per person"
        f" {sign} {en_number(limit, 1)}",
    )


def _dwelling_in(facts, params, deprived, people) -> Sentence:
    path = f"dwelling.{params['field']}"
    label = answer_label(path, facts.get(params["field"]))
    question = question_label(path)
    verdict = ("không đạt yêu cầu", "not acceptable") if deprived else ("đạt yêu cầu", "acceptable")
    return (
        f"{question[0]}: {label[0].lower()} ({verdict[0]})",
        f"{question[1]}: {label[1].lower()} ({verdict[1]})",
    )


def _dwelling_flag(facts, params, deprived, people) -> Sentence:
    statement = _yes_no(f"dwelling.{params['field']}", facts.get(params["field"]))
    return _capital(statement[0]), statement[1]


def _devices_none(facts, params, deprived, people) -> Sentence:
    owned = facts.get("owned", [])
    if owned:
        has = answer_label("dwelling.devices", owned)
        return f"Hộ có {has[0].lower()}", f"The household owns {has[1].lower()}"
    listed = _or_list([answer_label("dwelling.devices", d) for d in params.get("devices", [])])
    vi = f"Hộ không có phương tiện nào trong số: {listed[0].lower()}"
    en = f"The household owns none of: {listed[1].lower()}"
    exempt = params.get("exempt_if")
    if exempt:
        statement = _yes_no(f"dwelling.{exempt}", facts.get(exempt))
        vi, en = f"{vi}; {statement[0]}", f"{en}; {statement[1]}"
    return vi, en


def _asset_count(facts, params, deprived, people) -> Sentence:
    groups = params.get("groups", {})
    owned = facts.get("owned_groups", [])
    names = _or_list(
        [answer_label("dwelling.devices", groups[g][0]) for g in owned if groups.get(g)]
    )
    limit = params.get("max_owned_deprived")
    sign = "≤" if deprived else ">"
    return (
        f"Hộ có {len(owned)} nhóm tài sản ({names[0].lower() or 'không có'}) {sign} {limit}",
        f"The household owns {len(owned)} asset groups ({names[1].lower() or 'none'}) {sign} "
        f"{limit}",
    )


def _not_collected(facts, params, deprived, people) -> Sentence:
    return (
        "Phiếu không thu thập chỉ số này: không tính là thiếu hụt",
        "The questionnaire does not collect this indicator: never counted as deprived",
    )


BUILDERS: dict[str, Callable[..., Sentence]] = {
    "employment": _employment,
    "dependency_ratio": _dependents,
    "any_member_in": _any_member_in,
    "any_member_flag": _any_member_flag,
    "no_member_flag": _no_member_flag,
    "adult_education": _adult_education,
    "child_schooling": _child_schooling,
    "no_member_diploma": _no_member_diploma,
    "housing_materials": _housing_materials,
    "floor_area_per_person": _floor_area,
    "dwelling_in": _dwelling_in,
    "dwelling_flag": _dwelling_flag,
    "devices_none": _devices_none,
    "asset_count": _asset_count,
    "not_collected": _not_collected,
}


def indicator_reason(
    function: str,
    params: Mapping[str, Any],
    facts: Mapping[str, Any],
    deprived: bool,
    people: People,
) -> dict[str, str]:
    """{"vi", "en"}: why one indicator is (not) deprived, from its facts and the law's params."""
    builder = BUILDERS.get(function)
    if builder is None:
        verdict = ("thiếu hụt", "deprived") if deprived else ("không thiếu hụt", "not deprived")
        return {"vi": _capital(verdict[0]), "en": _capital(verdict[1])}
    vi, en = builder(facts, params, deprived, people)
    return {"vi": vi, "en": en}


def people_of(record: Mapping[str, Any]) -> dict[Any, Mapping[str, Any]]:
    """member_no → member answers (the position + 1 when a member has no number)."""
    return {
        member.get("member_no", index + 1): member
        for index, member in enumerate(record.get("members") or [])
    }


def indicator_reasons(
    result: Mapping[str, Any], record: Mapping[str, Any], standard
) -> dict[str, dict[str, str]]:
    """indicator id → {"vi", "en"} for every indicator of a stored classification result."""
    definitions = {ind.id: ind for ind in standard.indicators}
    people = people_of(record)
    reasons = {}
    for indicator in result.get("indicators") or []:
        definition = definitions.get(indicator["id"])
        reasons[indicator["id"]] = indicator_reason(
            definition.function if definition else "",
            definition.params if definition else {},
            indicator.get("facts") or {},
            bool(indicator.get("deprived")),
            people,
        )
    return reasons


def dimension_label(standard, dimension: str) -> dict[str, str]:
    """{"vi", "en"} name of a dimension from the standard file (the code when it has none)."""
    found = (standard.dimensions or {}).get(dimension) or {}
    return {"vi": found.get("label_vi", dimension), "en": found.get("label_en", dimension)}


def scorecard_items(field_score: Mapping[str, Any] | None) -> list[dict[str, str]]:
    """Phiếu B items with their questionnaire label and points: [{"vi", "en", "points"}]."""
    if not field_score:
        return []
    items = []
    for key, points in (field_score.get("items") or {}).items():
        label = question_label(f"income.scorecard.{key}")
        items.append({"vi": label[0], "en": label[1], "points": vi_number(points)})
    return items
