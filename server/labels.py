"""Names people read for the server's own codes: rounds, round statuses, roles, standards,
commune kinds and their villages — in Vietnamese and English, chosen by the reader's locale.

Pure (no Flask): `server.format` exposes these to the templates, the CLI and the exports call
them directly. The codes stay in the database and URLs; only what is shown is a label.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from povcensus.fmt import natural_key

ROUND_KINDS = {
    "annual": {"vi": "Đợt rà soát định kỳ năm {year}", "en": "Annual review {year}"},
    "rolling": {"vi": "Đợt rà soát thường xuyên năm {year}", "en": "Rolling review {year}"},
}
ROUND_STATUSES = {
    "open": {"vi": "đang mở", "en": "open"},
    "closed": {"vi": "đã đóng", "en": "closed"},
}
ROLES = {
    "enumerator": {"vi": "điều tra viên", "en": "enumerator"},
    "commune": {"vi": "cán bộ xã", "en": "commune officer"},
    "province": {"vi": "cán bộ tỉnh", "en": "province officer"},
    "admin": {"vi": "quản trị viên", "en": "administrator"},
}
# A ward (phường) is divided into tổ dân phố, a commune (xã) or town (thị trấn) into thôn.
VILLAGE_WORDS = {
    "ward": {"vi": "Tổ dân phố", "en": "Residential group"},
    "commune": {"vi": "Thôn", "en": "Village"},
}
_VILLAGE_PREFIXES = ("tổ dân phố", "tdp", "thôn", "xóm", "bản", "ấp", "khối", "tổ", "buôn", "làng")


def _lang(locale: Any) -> str:
    text = str(locale or "vi").replace("-", "_").split("_")[0]
    return text if text in ("vi", "en") else "en"


def _pick(table: dict[str, dict[str, str]], code: Any, locale: Any) -> str:
    entry = table.get(str(code)) if code is not None else None
    return entry[_lang(locale)] if entry else ("—" if code in (None, "") else str(code))


def round_name(review_round: dict[str, Any] | str | None, locale: Any = "vi") -> str:
    """{'year': 2026, 'kind': 'annual'} or "2026-annual" → "Đợt rà soát định kỳ năm 2026"."""
    if not review_round:
        return "—"
    if isinstance(review_round, dict):
        year, kind = review_round.get("year"), review_round.get("kind")
        label = review_round.get("label") or f"{year}-{kind}"
    else:
        label = str(review_round)
        year, _, kind = label.partition("-")
    templates = ROUND_KINDS.get(str(kind))
    if not templates or not str(year).isdigit():
        return label
    return templates[_lang(locale)].format(year=year)


def round_status(status: Any, locale: Any = "vi") -> str:
    return _pick(ROUND_STATUSES, status, locale)


def role_name(role: Any, locale: Any = "vi") -> str:
    return _pick(ROLES, role, locale)


@lru_cache(maxsize=32)
def _standard_titles(standard_id: str) -> tuple[str, str] | None:
    from scoring.standard import load_standard

    try:
        std = load_standard(standard_id)
    except Exception:  # noqa: BLE001 — an unknown id is shown as it is, never an error page
        return None
    return std.title_vi, std.title_en


def standard_name(standard_id: Any, locale: Any = "vi") -> str:
    """ "vn-2022" → "Chuẩn nghèo đa chiều giai đoạn 2022–2025 (kéo dài đến hết 2026)"."""
    titles = _standard_titles(str(standard_id)) if standard_id else None
    if titles is None:
        return "—" if not standard_id else str(standard_id)
    return titles[0] if _lang(locale) == "vi" else titles[1]


def is_ward(commune_kind: Any) -> bool:
    """A phường (ward) from the commune register's kind ("Phường", "ward", ...)."""
    return str(commune_kind or "").strip().lower() in ("phường", "phuong", "ward")


def village_word(commune_kind: Any, locale: Any = "vi") -> str:
    """ "Tổ dân phố" for a ward, "Thôn" for a commune or town."""
    return VILLAGE_WORDS["ward" if is_ward(commune_kind) else "commune"][_lang(locale)]


def village_name(name: Any, commune_kind: Any = None, locale: Any = "vi") -> str:
    """A village as people write it: a name already carrying its kind ("Thôn 27",
    "Tổ dân phố 1") stays as it is; a bare name or number gets the commune's word."""
    text = str(name or "").strip()
    if not text:
        return "—"
    if text.lower().startswith(_VILLAGE_PREFIXES):
        return text
    return f"{village_word(commune_kind, locale)} {text}"


def natural_sorted(values, key=None) -> list:
    """`sorted` in natural order (of `key(value)` when given)."""
    return sorted(values, key=lambda v: natural_key(key(v) if key else v))


CLASSES = {
    "poor": {"vi": "Hộ nghèo", "en": "Poor"},
    "near_poor": {"vi": "Hộ cận nghèo", "en": "Near-poor"},
    "average": {"vi": "Hộ có mức sống trung bình", "en": "Average living standard"},
    "not_poor": {"vi": "Hộ không nghèo", "en": "Not poor"},
}
# What an audit event's details are called; internal ids (meeting_id, ...) are not shown.
DETAIL_KEYS = {
    "version": {"vi": "Phiên bản", "en": "Version"},
    "computed_class": {"vi": "Loại theo chấm điểm", "en": "Computed class"},
    "override_class": {"vi": "Loại điều chỉnh", "en": "Overridden to"},
    "new_class": {"vi": "Loại mới", "en": "New class"},
    "village": {"vi": "Thôn", "en": "Village"},
    "attendees": {"vi": "Số người dự họp", "en": "Attendees"},
    "agree": {"vi": "Số người đồng ý", "en": "Agreeing"},
    "passed": {"vi": "Thông qua", "en": "Passed"},
    "from": {"vi": "Từ ngày", "en": "From"},
    "until": {"vi": "Đến ngày", "en": "Until"},
    "working_days": {"vi": "Số ngày làm việc", "en": "Working days"},
    "posting_days": {"vi": "Thời gian niêm yết (ngày làm việc)", "en": "Posting days"},
    "holidays": {"vi": "Ngày nghỉ", "en": "Holidays"},
    "complainant": {"vi": "Người khiếu nại", "en": "Complainant"},
    "outcome": {"vi": "Kết quả", "en": "Outcome"},
    "recheck_on": {"vi": "Ngày phúc tra", "en": "Re-checked on"},
    "recognised_on": {"vi": "Ngày công nhận", "en": "Recognised on"},
    "conflict": {"vi": "Xung đột", "en": "Conflict"},
    "standard": {"vi": "Chuẩn", "en": "Standard"},
    "what": {"vi": "Nội dung", "en": "What"},
    "bulk": {"vi": "Xác nhận cùng nhiều hộ một lúc", "en": "Confirmed with others at once"},
}
DETAIL_VALUES = {
    "kept": {"vi": "giữ nguyên loại", "en": "class kept"},
    "changed": {"vi": "thay đổi loại", "en": "class changed"},
    "id_reused": {"vi": "cùng mã phiếu, nội dung khác", "en": "same submission id, other content"},
    "stale_base": {"vi": "sửa từ phiên bản cũ", "en": "edit of an older version"},
    "unknown_base": {"vi": "sửa từ phiên bản không rõ", "en": "edit of an unknown version"},
}
_DATE_KEYS = ("from", "until", "recheck_on", "recognised_on")


def _detail_value(key: str, value: Any, lang: str) -> str:
    from povcensus import fmt

    if isinstance(value, bool):
        return {"vi": "có", "en": "yes"}[lang] if value else {"vi": "không", "en": "no"}[lang]
    if key.endswith("_class") or key == "new_class":
        return _pick(CLASSES, value, lang)
    if key in _DATE_KEYS:
        return fmt.date(value, lang)
    if key == "standard":
        return standard_name(value, lang)
    if isinstance(value, int | float):
        return fmt.number(value, lang)
    if key == "village":
        return village_name(value, None, lang)
    return _pick(DETAIL_VALUES, value, lang) if value not in (None, "") else "—"


def audit_details(data: Any, locale: Any = "vi") -> str:
    """An event's stored details (JSON text or dict) as a sentence a person reads:
    {"version": 3, "computed_class": "poor"} → "Phiên bản: 3 · Loại theo chấm điểm: Hộ nghèo".
    Keys without a label (internal ids, the movement snapshot) are left out."""
    import json

    if isinstance(data, str):
        try:
            data = json.loads(data or "{}")
        except ValueError:
            return data
    if not isinstance(data, dict):
        return ""
    lang = _lang(locale)
    parts = [
        f"{DETAIL_KEYS[key][lang]}: {_detail_value(key, value, lang)}"
        for key, value in data.items()
        if key in DETAIL_KEYS and value not in (None, "")
    ]
    return " · ".join(parts)
