"""The official summary tables of a review round, as XLSX (formatted like the forms) and CSV.

Four tables (poverty-standards.md, "Official summary tables"), each one province row (totals,
recomputed from counts) followed by one row per commune:

- `results`: households, poor, near-poor and their rates — by the final class, with the class
  the scoring computed and the number of commune overrides beside it;
- `movement`: poor and near-poor households — start, exited, fell back, new, end — and whether
  the identity end = start − exited + fell back + new holds (checked per row);
- `deprivation`: households deprived in each indicator among poor and among near-poor households
  (count and %);
- `ethnicity`: poor and near-poor households by the head's ethnicity.

A table is plain data (`Table`: title, columns, rows) built from the stored commune aggregates
(`server.queries.province.commune_table`); `write_xlsx` and `write_csv` only lay it out.
"""

from __future__ import annotations

import csv
import io
import math
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

TABLES = ("results", "movement", "deprivation", "ethnicity")
ETHNICITY_LABELS = {
    "kinh": "Kinh",
    "tay": "Tày",
    "thai": "Thái",
    "muong": "Mường",
    "khmer": "Khmer",
    "hmong": "Mông",
    "nung": "Nùng",
    "dao": "Dao",
    "chut": "Chứt",
    "other": "Dân tộc khác",
}


@dataclass(frozen=True)
class Column:
    """One column: key in the row dicts, Vietnamese heading, group heading, number kind."""

    key: str
    heading: str
    group: str = ""
    kind: str = "int"  # "int", "pct", "text", "bool"
    width: int = 11


@dataclass
class Table:
    name: str
    title: str  # Vietnamese, as on the form
    subtitle: str
    columns: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# --- building the tables ------------------------------------------------------------------


def _num(value: Any) -> float:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return 0.0
    return float(value)


def _pct(part: Any, whole: Any) -> float | None:
    whole = _num(whole)
    return round(100.0 * _num(part) / whole, 2) if whole else None


def _frame_rows(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Commune rows with data (communes without households this round are listed as 0)."""
    return table.sort_values("commune_code").to_dict("records")


def _with_total(rows: list[dict], sums: Sequence[str], province_name: str) -> list[dict]:
    short = province_name.removeprefix("Tỉnh ").removeprefix("Thành phố ")
    total = {"stt": "", "commune_code": "", "name": f"Toàn tỉnh {short}".strip()}
    for key in sums:
        total[key] = sum(_num(row.get(key)) for row in rows)
    for number, row in enumerate(rows, start=1):
        row["stt"] = number
        for key in sums:  # a commune without households this round counts 0
            row[key] = _num(row.get(key))
    return [total, *rows]


HEAD = [
    Column("stt", "STT", kind="text", width=5),
    Column("commune_code", "Mã xã", kind="text", width=8),
    Column("name", "Tên xã, phường", kind="text", width=24),
]


def results_table(table: pd.DataFrame, meta: dict[str, Any]) -> Table:
    """Households, poor, near-poor (final, computed, overrides) and rates per commune."""
    keys = (
        "households",
        "poor",
        "poor_computed",
        "near_poor",
        "near_poor_computed",
        "overridden",
        "decided",
        "under_review",
    )
    rows = [{k: row.get(k) for k in ("commune_code", "name", *keys)} for row in _frame_rows(table)]
    rows = _with_total(rows, keys, meta.get("province_name", ""))
    for row in rows:
        row["poor_rate"] = _pct(row["poor"], row["households"])
        row["near_poor_rate"] = _pct(row["near_poor"], row["households"])
        row["combined_rate"] = _pct(_num(row["poor"]) + _num(row["near_poor"]), row["households"])
    columns = HEAD + [
        Column("households", "Tổng số hộ dân cư"),
        Column("poor", "Số hộ", "Hộ nghèo"),
        Column("poor_rate", "Tỷ lệ (%)", "Hộ nghèo", "pct"),
        Column("poor_computed", "Theo chấm điểm", "Hộ nghèo"),
        Column("near_poor", "Số hộ", "Hộ cận nghèo"),
        Column("near_poor_rate", "Tỷ lệ (%)", "Hộ cận nghèo", "pct"),
        Column("near_poor_computed", "Theo chấm điểm", "Hộ cận nghèo"),
        Column("combined_rate", "Tỷ lệ nghèo và cận nghèo (%)", kind="pct", width=14),
        Column("overridden", "Số hộ xã điều chỉnh loại", width=13),
        Column("decided", "Số hộ xã đã xét", width=11),
        Column("under_review", "Số hộ đang rà soát lại", width=12),
    ]
    return Table(
        "results",
        "KẾT QUẢ RÀ SOÁT HỘ NGHÈO, HỘ CẬN NGHÈO",
        _subtitle(meta),
        columns,
        rows,
        [
            "Số hộ nghèo, cận nghèo theo kết quả cuối cùng (sau điều chỉnh của xã); cột "
            "'Theo chấm điểm' là kết quả máy chấm theo chuẩn.",
            "Hộ đang rà soát lại (đã trả lại điều tra viên hoặc phải rà soát lại sau họp dân) "
            "chưa thuộc danh sách nào cho đến khi xã quyết định lại; bảng biến động không tính "
            "các hộ này.",
        ],
    )


def movement_table(table: pd.DataFrame, meta: dict[str, Any]) -> Table:
    """Start, exited, fell back, new, end for poor and near-poor; identity checked per row."""
    parts = ("start", "exited", "fell_back", "new", "end")
    keys = [f"mv_{k}_{p}" for k in ("poor", "near_poor") for p in parts]
    keys += ["mv_poor_to_near_poor", "overridden"]
    rows = [{k: row.get(k) for k in ("commune_code", "name", *keys)} for row in _frame_rows(table)]
    rows = _with_total(rows, keys, meta.get("province_name", ""))
    for row in rows:
        for klass in ("poor", "near_poor"):
            row[f"mv_{klass}_balanced"] = identity_holds(row, klass)
    columns = list(HEAD)
    for klass, group in (("poor", "Hộ nghèo"), ("near_poor", "Hộ cận nghèo")):
        columns += [
            Column(f"mv_{klass}_start", "Đầu kỳ", group),
            Column(f"mv_{klass}_exited", "Thoát", group),
            Column(f"mv_{klass}_fell_back", "Tái", group),
            Column(f"mv_{klass}_new", "Phát sinh mới", group),
            Column(f"mv_{klass}_end", "Cuối kỳ", group),
            Column(f"mv_{klass}_balanced", "Cân đối", group, "bool", 8),
        ]
    columns += [
        Column("mv_poor_to_near_poor", "Nghèo → cận nghèo", width=12),
        Column("overridden", "Số hộ xã điều chỉnh loại", width=13),
    ]
    return Table(
        "movement",
        "BIẾN ĐỘNG HỘ NGHÈO, HỘ CẬN NGHÈO",
        _subtitle(meta),
        columns,
        rows,
        [
            "Cuối kỳ = Đầu kỳ − Thoát + Tái + Phát sinh mới (cột 'Cân đối').",
            f"Đầu kỳ: danh sách đã công nhận của {_previous_round(meta)}.",
        ],
    )


def _previous_round(meta: dict[str, Any]) -> str:
    from server.labels import round_name

    return round_name(meta["previous"]).lower() if meta.get("previous") else "đợt trước (—)"


def identity_holds(row: dict[str, Any], klass: str) -> bool:
    """end = start − exited + fell back + new."""
    get = lambda part: _num(row.get(f"mv_{klass}_{part}"))  # noqa: E731
    return get("end") == get("start") - get("exited") + get("fell_back") + get("new")


def deprivation_table(
    table: pd.DataFrame, meta: dict[str, Any], indicators: Sequence[tuple[str, str, str]]
) -> Table:
    """Per indicator: deprived poor households (n, %) and deprived near-poor households (n, %)."""
    keys = ["poor", "near_poor", "poor_computed", "near_poor_computed", "overridden"]
    for ind, _vi, _en in indicators:
        keys += [f"dep_{ind}_n_poor", f"dep_{ind}_n_near_poor"]
    rows = [{k: row.get(k) for k in ("commune_code", "name", *keys)} for row in _frame_rows(table)]
    rows = _with_total(rows, keys, meta.get("province_name", ""))
    for row in rows:
        for ind, _vi, _en in indicators:
            for klass in ("poor", "near_poor"):
                row[f"dep_{ind}_pct_{klass}"] = _pct(row[f"dep_{ind}_n_{klass}"], row[klass])
    columns = HEAD + [
        Column("poor", "Số hộ nghèo"),
        Column("near_poor", "Số hộ cận nghèo"),
        Column("poor_computed", "Hộ nghèo theo chấm điểm", width=12),
        Column("near_poor_computed", "Hộ cận nghèo theo chấm điểm", width=12),
        Column("overridden", "Số hộ xã điều chỉnh loại", width=13),
    ]
    for klass, word in (("poor", "nghèo"), ("near_poor", "cận nghèo")):
        for ind, label_vi, _en in indicators:
            group = f"{label_vi} — hộ {word}"
            columns += [
                Column(f"dep_{ind}_n_{klass}", "Số hộ", group, width=9),
                Column(f"dep_{ind}_pct_{klass}", "Tỷ lệ (%)", group, "pct", 9),
            ]
    return Table(
        "deprivation",
        "HỘ NGHÈO, HỘ CẬN NGHÈO THIẾU HỤT CÁC CHỈ SỐ DỊCH VỤ XÃ HỘI CƠ BẢN",
        _subtitle(meta),
        columns,
        rows,
        [
            "Tỷ lệ (%) = số hộ thiếu hụt chỉ số / số hộ nghèo (cận nghèo) của xã, theo kết quả"
            " cuối cùng (sau điều chỉnh của xã).",
        ],
    )


def ethnicity_table(table: pd.DataFrame, meta: dict[str, Any]) -> Table:
    """Poor and near-poor households by the head's ethnicity (groups present in the round)."""
    present = [
        eth
        for eth in ETHNICITY_LABELS
        if any(
            _num(table.get(f"eth_{eth}_{k}", pd.Series(dtype=float)).sum())
            for k in ("poor", "near_poor")
        )
    ] or ["kinh"]
    keys = ["poor", "near_poor", "overridden"]
    for klass in ("poor", "near_poor"):
        keys += [f"eth_{eth}_{klass}" for eth in present]
    rows = [{k: row.get(k) for k in ("commune_code", "name", *keys)} for row in _frame_rows(table)]
    rows = _with_total(rows, keys, meta.get("province_name", ""))
    for row in rows:
        for klass in ("poor", "near_poor"):
            row[f"minority_{klass}"] = _num(row[klass]) - _num(row.get(f"eth_kinh_{klass}"))
    columns = list(HEAD)
    for klass, group in (("poor", "Hộ nghèo"), ("near_poor", "Hộ cận nghèo")):
        columns.append(Column(klass, "Tổng số", group))
        columns.append(Column(f"minority_{klass}", "Dân tộc thiểu số", group, width=12))
        columns += [Column(f"eth_{eth}_{klass}", ETHNICITY_LABELS[eth], group) for eth in present]
    columns.append(Column("overridden", "Số hộ xã điều chỉnh loại", width=13))
    return Table(
        "ethnicity",
        "HỘ NGHÈO, HỘ CẬN NGHÈO THEO DÂN TỘC CỦA CHỦ HỘ",
        _subtitle(meta),
        columns,
        rows,
    )


def _subtitle(meta: dict[str, Any]) -> str:
    from povcensus import fmt
    from server.labels import round_name, standard_name

    text = f"{round_name(meta.get('round'))} — {standard_name(meta.get('standard'))}"
    if meta.get("provisional") and "TẠM THỜI" not in text:
        text += " (CHUẨN TẠM THỜI)"
    if meta.get("generated_at"):  # stored UTC; a person reads the province's local time
        text += f" — lập lúc {fmt.datetime(meta['generated_at'], 'vi')}"
    return text


def build_tables(
    table: pd.DataFrame,
    meta: dict[str, Any],
    indicators: Sequence[tuple[str, str, str]],
    which: str = "all",
) -> list[Table]:
    """The requested official tables (`which` is one of TABLES or "all")."""
    builders = {
        "results": lambda: results_table(table, meta),
        "movement": lambda: movement_table(table, meta),
        "deprivation": lambda: deprivation_table(table, meta, indicators),
        "ethnicity": lambda: ethnicity_table(table, meta),
    }
    if which != "all" and which not in builders:
        raise ValueError(f"unknown table {which!r}; one of {', '.join(TABLES)} or all")
    return [builders[name]() for name in (TABLES if which == "all" else (which,))]


# --- writing --------------------------------------------------------------------------------


def _cell(value: Any, kind: str) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if kind == "bool":
        return "Đúng" if value else "SAI"
    if kind == "text" and isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value  # a name must never run as a spreadsheet formula
    if kind == "int" and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SHEET_NAMES = {
    "results": "Ket qua",
    "movement": "Bien dong",
    "deprivation": "Thieu hut",
    "ethnicity": "Dan toc",
}


def write_xlsx(tables: Sequence[Table]) -> bytes:
    """A workbook with one sheet per table, laid out like the official forms."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for table in tables:
        _xlsx_sheet(book.create_sheet(SHEET_NAMES.get(table.name, table.name)[:31]), table)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_sheet(sheet, table: Table) -> None:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    width = len(table.columns)
    thin = Side(style="thin", color="888888")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.cell(1, 1, table.title).font = Font(bold=True, size=13)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet.cell(1, 1).alignment = Alignment(horizontal="center")
    sheet.cell(2, 1, table.subtitle).font = Font(italic=True)
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    sheet.cell(2, 1).alignment = Alignment(horizontal="center")
    _xlsx_header(sheet, table.columns, 4, border, centre)
    first_data = 6
    for offset, row in enumerate(table.rows):
        for index, column in enumerate(table.columns, start=1):
            cell = sheet.cell(first_data + offset, index, _cell(row.get(column.key), column.kind))
            cell.border = border
            if column.kind == "pct":  # Excel shows the reader's own decimal mark
                cell.number_format = "#,##0.00"
            elif column.kind == "int":
                cell.number_format = "#,##0"
            if offset == 0:  # the province total row
                cell.font = Font(bold=True)
                cell.fill = PatternFill("solid", fgColor="F2E6D9")
    for index, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    note_row = first_data + len(table.rows) + 1
    for offset, note in enumerate(table.notes):
        sheet.cell(note_row + offset, 1, f"Ghi chú: {note}").font = Font(italic=True, size=9)
    sheet.freeze_panes = sheet.cell(first_data, 4)
    sheet.print_title_rows = "4:5"
    sheet.page_setup.orientation = "landscape"


def _xlsx_header(sheet, columns: Sequence[Column], top: int, border, centre) -> None:
    """Two header rows: a group heading merged over its columns, the column heading below;
    a column without a group spans both rows."""
    from openpyxl.styles import Font, PatternFill

    fill = PatternFill("solid", fgColor="D9E1F2")
    index = 1
    while index <= len(columns):
        column = columns[index - 1]
        span = 1
        while (
            column.group
            and index - 1 + span < len(columns)
            and columns[index - 1 + span].group == column.group
        ):
            span += 1
        if column.group:
            sheet.cell(top, index, column.group)
            if span > 1:
                sheet.merge_cells(
                    start_row=top, start_column=index, end_row=top, end_column=index + span - 1
                )
            for offset in range(span):
                sheet.cell(top + 1, index + offset, columns[index - 1 + offset].heading)
        else:
            sheet.cell(top, index, column.heading)
            sheet.merge_cells(start_row=top, start_column=index, end_row=top + 1, end_column=index)
        index += span
    for row in (top, top + 1):
        for col in range(1, len(columns) + 1):
            cell = sheet.cell(row, col)
            cell.font, cell.fill, cell.alignment, cell.border = (
                Font(bold=True),
                fill,
                centre,
                border,
            )
    sheet.row_dimensions[top + 1].height = 42


def csv_text(table: Table, locale: str = "vi") -> str:
    """One table as CSV: a header of "group – heading" (Vietnamese) then the rows, totals first.
    Rates are written with the locale's decimal mark (5,61 in Vietnamese, as a Vietnamese
    spreadsheet reads it); counts without grouping, so every spreadsheet reads them as numbers."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([f"{c.group} – {c.heading}" if c.group else c.heading for c in table.columns])
    for row in table.rows:
        writer.writerow([_csv_value(row.get(c.key), c.kind, locale) for c in table.columns])
    return out.getvalue()


def _csv_value(value: Any, kind: str, locale: str) -> Any:
    from povcensus import fmt

    shown = _cell(value, kind)
    if shown is None:
        return ""
    if kind == "pct" and isinstance(shown, int | float):
        return fmt.number(shown, locale, digits=2).replace(fmt.group_symbol(locale), "")
    return shown


def write_csv(tables: Sequence[Table], locale: str = "vi") -> tuple[bytes, str]:
    """(content, kind): one table → UTF-8 CSV (with BOM, so Excel reads the accents);
    several → a ZIP of one CSV per table."""
    if len(tables) == 1:
        return ("\ufeff" + csv_text(tables[0], locale)).encode("utf-8"), "csv"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for table in tables:
            archive.writestr(f"{table.name}.csv", "\ufeff" + csv_text(table, locale))
    return out.getvalue(), "zip"
