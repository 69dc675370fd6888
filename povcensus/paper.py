"""The paper Phiếu B: a blank workbook a commune clerk fills from paper forms, its import, and
a printable blank form — all generated from the questionnaire (`survey_forms.questionnaire`).

Nothing here is a hand-written column list: every question of the questionnaire (but the GPS
point, which paper does not carry) becomes a column with its Vietnamese label as heading, in
the questionnaire's order — a question added to the questionnaire appears here by itself.

Workbook layout (`template_workbook`):

* **Hướng dẫn** — how to fill it in;
* **Hộ** — one row per household; **Thành viên** — one row per member, linked by "Mã hộ";
* row 1 of both holds the Vietnamese headings (frozen); choice questions have a drop-down list
  of the Vietnamese answer labels (openpyxl data validation over the hidden sheet **Danh mục**);
  numbers have their range checked; yes/no questions offer "Có" / "Không";
* the commune's villages (when known) are the drop-down of "Thôn, tổ dân phố".

Import (`paper_tables`): headings in Vietnamese, English or as column codes; answers as
Vietnamese labels, English labels or codes — all turned into the codes of the household record
(the layout of `survey_forms.tables`). An answer that is none of these becomes a problem naming
the sheet, the row, the Vietnamese column heading and the allowed answers.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from povcensus.fmt import natural_key
from survey_forms.questionnaire import FORM_ID, FORM_VERSION, QUESTIONNAIRE, Question, _walk

HOUSEHOLD_SHEET, MEMBER_SHEET = "Hộ", "Thành viên"
INSTRUCTIONS_SHEET, LISTS_SHEET = "Hướng dẫn", "Danh mục"
YES, NO = "Có", "Không"
MULTI_SEPARATOR = ";"
MAX_ROWS = 2000  # rows prepared with drop-downs (a commune's households fit)
_SKIPPED_TYPES = ("geopoint",)  # GPS is captured by tablets, not written on paper


@dataclass(frozen=True)
class PaperColumn:
    """One column of the paper workbook: the table key, the question, the Vietnamese heading."""

    key: str  # column of survey_forms.tables ("dwelling_wall_material", "sex", "income_wages")
    path: str  # questionnaire path ("dwelling.wall_material", "members[].sex")
    question: Question
    heading: str  # Vietnamese, unique within its sheet

    @property
    def is_member(self) -> bool:
        return self.path.startswith("members[]")


@dataclass
class PaperProblem:
    """An answer or heading of one row that is not on the form."""

    sheet: str
    row: int
    column: str  # the Vietnamese heading
    path: str  # questionnaire path ("dwelling.wall_material", "members[].sex")
    message_vi: str
    message_en: str


@dataclass
class PaperTables:
    """The workbook read back as code tables (survey_forms.tables layout) and its problems."""

    households: Any  # pandas.DataFrame
    members: Any
    problems: list[PaperProblem] = field(default_factory=list)


# --- the columns, from the questionnaire ----------------------------------------------------


def table_key(path: str) -> str:
    """A questionnaire path → its column in survey_forms.tables' flat layout."""
    if path.startswith("members[]."):
        return path[len("members[].") :]
    if path.startswith("income.sources_12m."):
        return "income_" + path[len("income.sources_12m.") :]
    if path.startswith("income.scorecard."):
        return "scorecard_" + path[len("income.scorecard.") :]
    return path.replace(".", "_")


@cache
def paper_columns() -> tuple[tuple[PaperColumn, ...], tuple[PaperColumn, ...]]:
    """(household columns, member columns) in the questionnaire's order; the member sheet
    starts with the household id that links a member to its household."""
    households: list[PaperColumn] = []
    members: list[PaperColumn] = []
    for path, question in QUESTIONNAIRE.iter_questions():
        if question.type in _SKIPPED_TYPES:
            continue
        target = members if path.startswith("members[]") else households
        target.append(PaperColumn(table_key(path), path, question, question.label_vi))
    link = next(c for c in households if c.key == "household_id")
    members.insert(0, PaperColumn("household_id", "members[].household_id", link.question,
                                  link.heading))  # fmt: skip
    return _unique_headings(households), _unique_headings(members)


def _unique_headings(columns: list[PaperColumn]) -> tuple[PaperColumn, ...]:
    """Two questions with the same label get their section's words appended."""
    seen: dict[str, int] = {}
    for column in columns:
        seen[_norm(column.heading)] = seen.get(_norm(column.heading), 0) + 1
    out = []
    for column in columns:
        heading = column.heading
        if seen[_norm(heading)] > 1:
            heading = f"{heading} ({_section_word(column.path)})"
        out.append(PaperColumn(column.key, column.path, column.question, heading))
    return tuple(out)


def _section_word(path: str) -> str:
    if path.startswith("income.scorecard."):
        return "phiếu chấm điểm"
    if path.startswith("income."):
        return "thu nhập"
    return {"dwelling": "nhà ở", "members[]": "thành viên"}.get(path.split(".")[0], path)


def heading_for_path(record_path: str) -> str:
    """ "members[2].sex" or "dwelling.wall_material" → its Vietnamese column heading ("" if none)."""
    generic = re.sub(r"^members\[\d+\]", "members[]", record_path or "")
    households, members = paper_columns()
    for column in (*households, *members):
        if column.path == generic:
            return column.heading
    return ""


# --- answer labels --------------------------------------------------------------------------


def _norm(text: Any) -> str:
    """Compare labels as a person means them: NFC, case-folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFC", str(text)).casefold().split())


def answer_labels(question: Question, *, province: str | None = None,
                  commune: str | None = None) -> list[str]:  # fmt: skip
    """The Vietnamese answers offered for a question ([] when it is free text or a number)."""
    if question.type == "boolean":
        return [YES, NO]
    if not question.choices:
        return []
    choices = QUESTIONNAIRE.choices(question.choices)
    if question.choices == "communes" and (province or commune):
        choices = tuple(c for c in choices if (commune and c.value == commune) or
                        (not commune and c.province == province))  # fmt: skip
    if question.choices == "provinces" and province:
        choices = tuple(c for c in choices if c.value == province)
    return [c.label_vi for c in choices]


@cache
def _answer_codes(list_name: str, province: str | None) -> dict[str, str]:
    """Vietnamese label, English label or code (normalised) → code, for one choice list."""
    codes: dict[str, str] = {}
    for choice in QUESTIONNAIRE.choices(list_name):
        if list_name == "communes" and province and choice.province != province:
            continue
        for text in (choice.value, choice.label_en, choice.label_vi):
            codes[_norm(text)] = choice.value
    return codes


_BOOLEANS = {_norm(t): True for t in (YES, "co", "yes", "true", "1", "x")} | {
    _norm(t): False for t in (NO, "khong", "no", "false", "0")
}


# --- reading a filled workbook back -----------------------------------------------------------


def _header_map(columns: Sequence[PaperColumn]) -> dict[str, PaperColumn]:
    found: dict[str, PaperColumn] = {}
    for column in columns:
        for text in (column.heading, column.question.label_vi, column.question.label_en,
                     column.key):  # fmt: skip
            found.setdefault(_norm(text), column)
    return found


def is_paper_workbook(sheet_names: Iterable[str]) -> bool:
    names = {_norm(name) for name in sheet_names}
    return _norm(HOUSEHOLD_SHEET) in names and _norm(MEMBER_SHEET) in names


def find_sheet(sheet_names: Iterable[str], wanted: str) -> str | None:
    return next((name for name in sheet_names if _norm(name) == _norm(wanted)), None)


def paper_tables(households, members, *, h_sheet: str = HOUSEHOLD_SHEET,
                 m_sheet: str = MEMBER_SHEET) -> PaperTables:  # fmt: skip
    """Turn the two filled sheets (DataFrames, header = row 1) into code tables."""
    h_columns, m_columns = paper_columns()
    result = PaperTables(None, None)
    # commune names repeat across provinces ("Phường 1"): read them within the sheet's province
    province = _sheet_province(households, h_columns)
    result.households = _convert(households, h_columns, h_sheet, result.problems, province=province)
    result.members = _convert(members, m_columns, m_sheet, result.problems, province=province)
    if "form_id" not in result.households.columns:  # paper has no form id: it is this form
        result.households["form_id"] = FORM_ID
        result.households["form_version"] = FORM_VERSION
    return result


def _sheet_province(frame, columns: Sequence[PaperColumn]) -> str | None:
    """The one province the households sheet names (label, name or code), else None."""
    headers = _header_map(columns)
    names = [
        n for n in frame.columns if getattr(headers.get(_norm(n)), "key", "") == "province_code"
    ]
    if not names:
        return None
    codes = _answer_codes("provinces", None)
    found = set()
    for value in frame[names[0]].dropna():
        text = str(int(value)).zfill(2) if isinstance(value, int | float) else str(value)
        found.add(codes.get(_norm(text)))
    return found.pop() if len(found) == 1 else None


def _convert(frame, columns, sheet: str, problems: list[PaperProblem], *, province) -> Any:
    """Rename headings to keys, drop empty rows (keeping spreadsheet row numbers), map labels."""
    import pandas as pd

    headers = _header_map(columns)
    frame = frame.copy()
    frame["_row"] = range(2, len(frame) + 2)  # header is row 1
    renamed = {}
    for name in frame.columns:
        column = headers.get(_norm(name)) if name != "_row" else None
        if column is not None:
            renamed[name] = column.key
    frame = frame[[*renamed, "_row"]].rename(columns=renamed)
    filled = frame.drop(columns="_row").map(_blank_to_none).notna().any(axis=1)
    frame = frame[filled].reset_index(drop=True)
    by_key = {c.key: c for c in columns}
    for key in frame.columns:
        if key in by_key:
            frame[key] = [
                _answer(by_key[key], value, sheet, int(row), problems, province)
                for value, row in zip(frame[key], frame["_row"], strict=True)
            ]
    return frame if len(frame.columns) else pd.DataFrame({"_row": []})


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _answer(column: PaperColumn, value: Any, sheet: str, row: int,
            problems: list[PaperProblem], province: str | None) -> Any:  # fmt: skip
    """One cell → the record's value (code, bool, ISO date) or the cell as it is + a problem."""
    value = _blank_to_none(value)
    if value is None or value != value:  # NaN
        return None
    question = column.question
    if question.type == "boolean":
        found = _BOOLEANS.get(_norm(value))
        return found if found is not None else _bad(column, value, sheet, row, problems, None)
    if question.type == "date":
        return _date(value)
    if question.type == "select_one" and question.choices:
        code = _answer_codes(question.choices, province).get(_norm(value))
        return code if code is not None else _bad(column, value, sheet, row, problems, province)
    if question.type == "select_multiple" and question.choices:
        return _multiple(column, value, sheet, row, problems)
    return value


def _multiple(column, value, sheet, row, problems) -> Any:
    codes = _answer_codes(column.question.choices, None)
    parts = [p for p in re.split(r"[;,\n]", str(value)) if p.strip()]
    found = [codes.get(_norm(p)) for p in parts]
    if None in found:
        wrong = ", ".join(p.strip() for p, c in zip(parts, found, strict=True) if c is None)
        return _bad(column, wrong, sheet, row, problems, None, keep=value)
    return " ".join(found)  # survey_forms.tables splits devices on spaces


def _date(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    match = re.fullmatch(r"\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*", str(value))
    if match:  # dd/mm/yyyy as Vietnamese write it
        day, month, year = (int(g) for g in match.groups())
        try:
            return dt.date(year, month, day).isoformat()
        except ValueError:
            return str(value)
    return value


def _bad(column, value, sheet, row, problems, province, *, keep: Any = None) -> Any:
    allowed = answer_labels(column.question, province=province)
    shown = ", ".join(allowed[:12]) + (" …" if len(allowed) > 12 else "")
    problems.append(
        PaperProblem(
            sheet, row, column.heading, column.path,
            f"“{value}” không có trong danh sách; chọn một trong: {shown}",
            f"“{value}” is not one of the answers; choose one of: {shown}",
        )
    )  # fmt: skip
    return value if keep is None else keep


# --- the blank workbook -----------------------------------------------------------------------


def template_workbook(*, province: str | None = None, commune: str | None = None,
                      villages: Sequence[str] = ()) -> bytes:  # fmt: skip
    """The blank Phiếu B workbook (see the module docstring), as .xlsx bytes."""
    from openpyxl import Workbook

    book = Workbook()
    _instructions(book.active, province=province, commune=commune)
    lists = book.create_sheet(LISTS_SHEET)
    households, members = paper_columns()
    ranges = _write_lists(lists, (*households, *members), province, commune, villages)
    _data_sheet(book.create_sheet(HOUSEHOLD_SHEET), households, ranges)
    _data_sheet(book.create_sheet(MEMBER_SHEET), members, ranges)
    lists.sheet_state = "hidden"
    book.move_sheet(LISTS_SHEET, offset=len(book.sheetnames))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _write_lists(sheet, columns, province, commune, villages) -> dict[str, str]:
    """One column of the hidden list sheet per answer list; → key: the range formula."""
    from openpyxl.utils import get_column_letter

    ranges: dict[str, str] = {}
    index = 0
    for column in columns:
        if column.key in ranges:
            continue
        labels = answer_labels(column.question, province=province, commune=commune)
        if column.key == "village" and villages:  # Thôn 2 before Thôn 10
            labels = sorted({str(v) for v in villages if v}, key=natural_key)
        if not labels:
            continue
        index += 1
        letter = get_column_letter(index)
        sheet.cell(1, index, column.heading)
        for offset, label in enumerate(labels, start=2):
            sheet.cell(offset, index, label)
        ranges[column.key] = f"'{LISTS_SHEET}'!${letter}$2:${letter}${len(labels) + 1}"
    return ranges


def _data_sheet(sheet, columns: Sequence[PaperColumn], ranges: dict[str, str]) -> None:
    """Headings in row 1 (frozen, wrapped, with the English label and hint as a note) and the
    checks of each column over the prepared rows."""
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    fill = PatternFill("solid", fgColor="D9E1F2")
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(1, index, column.heading)
        cell.font, cell.fill = Font(bold=True), fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cell.comment = Comment(_note(column), "povcensus")
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(12, min(32, len(column.heading) * 0.9))
        _check_column(sheet, column, f"{letter}2:{letter}{MAX_ROWS + 1}", ranges.get(column.key))
        if column.question.type == "date":
            for row in range(2, MAX_ROWS + 2):
                sheet.cell(row, index).number_format = "DD/MM/YYYY"
    sheet.row_dimensions[1].height = 60
    sheet.freeze_panes = "B2"


def _note(column: PaperColumn) -> str:
    question = column.question
    parts = [question.label_en]
    if question.hint_vi:
        parts.append(question.hint_vi)
    if question.relevant and question.relevant.text_vi:
        parts.append(f"Chỉ điền khi: {question.relevant.text_vi}")
    if question.type == "select_multiple":
        parts.append(f"Có thể chọn nhiều, cách nhau bằng dấu “{MULTI_SEPARATOR}”.")
    parts.append("Bắt buộc." if question.required and not question.relevant else "Không bắt buộc.")
    return "\n".join(parts)


def _check_column(sheet, column: PaperColumn, cells: str, list_range: str | None) -> None:
    from openpyxl.worksheet.datavalidation import DataValidation

    question = column.question
    if list_range and question.type != "select_multiple":
        check = DataValidation(type="list", formula1=f"={list_range}", allow_blank=True)
        check.error = "Hãy chọn một câu trả lời trong danh sách."
        # a new village may still be typed: a warning, not a refusal
        check.errorStyle = "warning" if column.key == "village" else "stop"
    elif question.type in ("integer", "decimal") and question.min is not None:
        top = question.max if question.max is not None else 2_000_000_000
        kind = "whole" if question.type == "integer" else "decimal"
        check = DataValidation(type=kind, operator="between", formula1=str(question.min),
                               formula2=str(top), allow_blank=True)  # fmt: skip
        check.error = f"Nhập một số từ {question.min:g} đến {top:g}."
    else:
        return
    check.showErrorMessage = True
    check.errorTitle = column.heading[:32]
    sheet.add_data_validation(check)
    check.add(cells)


def _instructions(sheet, *, province: str | None, commune: str | None) -> None:
    from openpyxl.styles import Font

    sheet.title = INSTRUCTIONS_SHEET
    lines = [
        ("PHIẾU B — NHẬP PHIẾU RÀ SOÁT HỘ GIA ĐÌNH TỪ GIẤY", True),
        (f"Biểu mẫu phiếu rà soát hộ, phiên bản {FORM_VERSION}.", False),
        ("", False),
        (
            f"1. Trang “{HOUSEHOLD_SHEET}”: mỗi hộ một dòng. Trang “{MEMBER_SHEET}”: mỗi thành"
            " viên một dòng, cột “Mã hộ” ghi đúng mã hộ của trang Hộ.",
            False,
        ),
        ("2. Các cột có danh sách: bấm vào ô và chọn câu trả lời; không cần biết mã.", False),
        ("3. Câu hỏi Có/Không: chọn “Có” hoặc “Không”.", False),
        (
            f"4. Phương tiện tiếp cận thông tin: có thể ghi nhiều, cách nhau bằng dấu"
            f" “{MULTI_SEPARATOR}”.",
            False,
        ),
        (
            "5. Ngày ghi theo dạng ngày/tháng/năm (ví dụ 15/10/2026). Số tiền ghi bằng đồng,"
            " không ghi dấu chấm phân cách.",
            False,
        ),
        ("6. Di chuột vào tiêu đề cột để xem giải thích và điều kiện của câu hỏi.", False),
        (
            "7. Nhập vào máy: povcensus sync add phieu_b.xlsx — mỗi lỗi ghi rõ trang, dòng,"
            " cột và lý do; các hộ đúng vẫn được lưu.",
            False,
        ),
    ]
    if commune:
        lines.append((f"Mẫu này dành cho xã/phường mã {commune}.", False))
    elif province:
        lines.append((f"Mẫu này dành cho tỉnh mã {province}.", False))
    for row, (text, bold) in enumerate(lines, start=1):
        sheet.cell(row, 1, text).font = Font(bold=bold, size=13 if bold else 11)
    sheet.column_dimensions["A"].width = 110


# --- the printable blank form ---------------------------------------------------------------


def print_sections() -> list[dict[str, Any]]:
    """The questionnaire as the blank printed form shows it: sections with their questions,
    the answers to tick (Vietnamese) and whether it is asked per member."""
    sections = []
    for section in QUESTIONNAIRE.sections:
        questions = [
            {
                "path": path,
                "label": question.label_vi,
                "hint": question.hint_vi,
                "when": question.relevant.text_vi if question.relevant else "",
                "answers": answer_labels(question)
                if question.choices != "communes" and question.choices != "provinces"
                else [],
                "multiple": question.type == "select_multiple",
                "type": question.type,
            }
            for path, question in _walk(section, "")
            if question.type not in _SKIPPED_TYPES
        ]
        sections.append({"id": section.id, "label": section.label_vi, "questions": questions,
                         "repeat": section.repeat})  # fmt: skip
    return sections


def print_html(*, commune_name: str = "", villages: Sequence[str] = (), members: int = 6) -> str:
    """The printable blank Phiếu B (HTML, A4): the questionnaire's sections in order, answers to
    tick, members side by side. Every text is escaped; nothing runs in the page."""
    from html import escape

    parts = [_PRINT_HEAD.format(title="PHIẾU B — PHIẾU RÀ SOÁT HỘ GIA ĐÌNH",
                                form=escape(f"phiên bản {FORM_VERSION}"),  # no codes on paper
                                commune=escape(commune_name))]  # fmt: skip
    for section in print_sections():
        parts.append(f"<h2>{escape(section['label'])}</h2>")
        if section["repeat"]:
            parts.append(_member_table(section["questions"], members))
        else:
            parts.append(_question_list(section["questions"], villages))
    parts.append("</body></html>")
    return "\n".join(parts)


def _ticks(answers: Sequence[str]) -> str:
    from html import escape

    return " ".join(f"<span class=tick>☐ {escape(a)}</span>" for a in answers)


def _question_list(questions: Sequence[dict[str, Any]], villages: Sequence[str]) -> str:
    from html import escape

    rows = []
    for number, q in enumerate(questions, start=1):
        answers = q["answers"] or (sorted(villages, key=natural_key) if q["path"] == "village"
                                   else [])  # fmt: skip
        blank = _ticks(answers) if answers else "<span class=line></span>"
        when = f" <small>({escape(q['when'])})</small>" if q["when"] else ""
        many = " <small>(có thể chọn nhiều)</small>" if q["multiple"] else ""
        rows.append(f"<tr><td class=n>{number}</td><td>{escape(q['label'])}{when}{many}</td>"
                    f"<td>{blank}</td></tr>")  # fmt: skip
    return "<table class=q>" + "".join(rows) + "</table>"


def _member_table(questions: Sequence[dict[str, Any]], members: int) -> str:
    from html import escape

    head = "".join(f"<th>{i}</th>" for i in range(1, members + 1))
    rows = []
    for q in questions:
        choices = f"<br><small>{escape(' · '.join(q['answers']))}</small>" if q["answers"] else ""
        when = f" <small>({escape(q['when'])})</small>" if q["when"] else ""
        cells = "<td></td>" * members
        rows.append(f"<tr><td>{escape(q['label'])}{when}{choices}</td>{cells}</tr>")
    return (f"<table class=m><tr><th>Câu hỏi / Thành viên số</th>{head}</tr>"
            + "".join(rows) + "</table>")  # fmt: skip


_PRINT_HEAD = """<!doctype html><html lang="vi"><head><meta charset="utf-8">
<title>{title}</title>
<style>
@page {{ size: A4; margin: 12mm; }}
body {{ font-family: "Times New Roman", serif; font-size: 11pt; }}
h1 {{ text-align: center; font-size: 14pt; }} h2 {{ font-size: 12pt; margin-top: 1em; }}
table {{ width: 100%; border-collapse: collapse; page-break-inside: auto; }}
td, th {{ border: 1px solid #444; padding: 3px 5px; vertical-align: top; }}
td.n {{ width: 2em; text-align: right; }} .tick {{ display: inline-block; margin-right: 1em; }}
.line {{ display: inline-block; width: 100%; border-bottom: 1px dotted #444; height: 1.2em; }}
table.m td:not(:first-child) {{ width: 11%; }} tr {{ page-break-inside: avoid; }}
</style></head><body>
<h1>{title}</h1><p style="text-align:center">Biểu mẫu {form} {commune}</p>"""
