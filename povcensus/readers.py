"""Read a user's household file into canonical records, each with where it came from.

Accepted inputs (chosen by the file's extension):

* **JSON Lines** (``.jsonl``, ``.ndjson``): one household record per line, as in
  docs/household-record.md. Blank lines are skipped; the line number is reported.
* **JSON** (``.json``): one record or a list of records; the item number (1-based) is reported.
* **CSV** (``.csv``): two files in the layout of ``survey_forms.tables``: a households file (one
  row per household) and a members file (one row per member, with ``household_id``). The
  members file is ``members=…`` (``--members FILE`` on the command line) or, by default,
  ``<name>.members.csv`` beside the households file — what ``povcensus synth -o x.csv`` writes.
* **XLSX** (``.xlsx``, ``.xlsm``): a workbook with the sheets ``households`` and ``members``,
  or the paper Phiếu B workbook (sheets ``Hộ`` and ``Thành viên``, `povcensus.paper`): its
  Vietnamese headings and answer labels are read back into codes, and every problem names the
  sheet, the row and the Vietnamese column heading.

Row numbers of CSV/XLSX are those a person sees in a spreadsheet program (header = row 1).

A problem with one row never stops the reading: a line that is not JSON, a line that is not an
object, or a member row whose household is missing becomes a ``Reject`` (file, line, field,
code, Vietnamese and English reason) on the ``Source`` it belongs to. Only a problem with the
file as a whole (missing, unknown type, no ``members`` sheet) raises ``InputError``, before
anything is read. CSV tables are converted to records chunk by chunk, so memory stays bounded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "InputError",
    "InputFile",
    "Reject",
    "Source",
    "default_members_path",
    "open_input",
]

JSON_SUFFIXES = (".jsonl", ".ndjson")
TABLE_SUFFIXES = (".csv", ".xlsx", ".xlsm")
CHUNK = 5_000  # households converted from tables at a time
_MEMBER_PATH = re.compile(r"^members\[(\d+)\]")


class InputError(Exception):
    """The input file as a whole cannot be read; carries a hint for the person running it."""

    def __init__(self, message_en: str, message_vi: str, hint: str = "") -> None:
        super().__init__(f"{message_en} / {message_vi}")
        self.message_en, self.message_vi, self.hint = message_en, message_vi, hint


@dataclass
class Reject:
    """One problem of one input row, for people (vi + en) and for programs (``code``)."""

    file: str
    line: int | None
    household_id: str | None
    field: str  # the record path, e.g. "members[2].birth_year"; "" for the whole record
    code: str
    message_vi: str
    message_en: str
    column: str = ""  # the Vietnamese column heading, for a paper Phiếu B workbook

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Source:
    """One household as read: the record (None when unreadable) and where its parts came from."""

    record: Any
    file: str
    line: int | None
    members_file: str | None = None
    member_lines: list[int | None] = field(default_factory=list)
    problems: list[Reject] = field(default_factory=list)  # problems found while reading
    # record path → the Vietnamese column heading (paper Phiếu B workbooks), else None
    column_of: Any = None

    @property
    def household_id(self) -> str | None:
        if isinstance(self.record, dict) and isinstance(self.record.get("household_id"), str):
            return self.record["household_id"]
        return None

    def reject(self, code: str, message_vi: str, message_en: str, path: str = "") -> Reject:
        """A problem of this household as a whole (or of one field path)."""
        return Reject(self.file, self.line, self.household_id, path, code, message_vi, message_en)

    def locate(self, error: Any) -> Reject:
        """A ``FieldError`` placed in the input: ``members[i]…`` → the members table row of i."""
        file, line = self.file, self.line
        match = _MEMBER_PATH.match(error.path or "")
        if match and self.members_file and self.members_file != self.file:
            index = int(match.group(1))
            if index < len(self.member_lines) and self.member_lines[index] is not None:
                file, line = self.members_file, self.member_lines[index]
        column = self.column_of(error.path or "") if self.column_of else ""
        return Reject(
            file, line, error.household_id, error.path, error.code, error.message_vi,
            error.message_en, column,
        )  # fmt: skip


class InputFile:
    """An opened input: iterate it for ``Source``s; ``total`` is the household count if known."""

    def __init__(self, path: Path, members: Path | None) -> None:
        self.path = path
        self.members = members
        self.total: int | None = None
        self._tables: tuple[pd.DataFrame, pd.DataFrame, str, str] | None = None
        self._paper: list[Any] | None = None  # problems of a paper Phiếu B workbook
        suffix = path.suffix.lower()
        if suffix in JSON_SUFFIXES:
            self.total = _count_lines(path)
        elif suffix in TABLE_SUFFIXES:
            self._tables = _load_tables(path, members)
            self._paper = self._tables[0].attrs.get("paper_problems")
            self.total = len(self._tables[0])

    def __iter__(self) -> Iterator[Source]:
        if self._tables is not None and self._paper is not None:
            yield from _paper_sources(self._tables, self._paper)
        elif self._tables is not None:
            yield from _table_sources(*self._tables)
        elif self.path.suffix.lower() == ".json":
            yield from _json_sources(self.path)
        else:
            yield from _jsonl_sources(self.path)


def default_members_path(path: Path) -> Path:
    """``x.csv`` → ``x.members.csv`` (the members table beside a households CSV)."""
    return path.with_name(f"{path.stem}.members.csv")


def open_input(path: str | Path, *, members: str | Path | None = None) -> InputFile:
    """Open a households file (see the module docstring); raises ``InputError`` if unusable."""
    path = Path(path)
    if not path.is_file():
        raise InputError(
            f"{path}: no such file",
            f"{path}: không có tệp này",
            "Check the path; to make a test file: povcensus synth --households 100 -o demo.jsonl",
        )
    suffix = path.suffix.lower()
    if suffix not in (*JSON_SUFFIXES, ".json", *TABLE_SUFFIXES):
        raise InputError(
            f"{path.name}: unknown file type {suffix or '(none)'!r}",
            f"{path.name}: không đọc được loại tệp {suffix or '(không có)'!r}",
            "Use .jsonl (one household per line), .json, .csv (with --members) or .xlsx.",
        )
    return InputFile(path, Path(members) if members else None)


# -- JSON -------------------------------------------------------------------------------------
def _count_lines(path: Path) -> int:
    count = 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            count += block.count(b"\n")
    return count


def _json_source(path: Path, number: int, record: Any) -> Source:
    members = record.get("members") if isinstance(record, dict) else None
    lines = [number] * len(members) if isinstance(members, list) else []
    return Source(record, path.name, number, path.name, lines)


def _bad_line(path: Path, number: int, code: str, vi: str, en: str) -> Source:
    source = Source(None, path.name, number)
    source.problems.append(source.reject(code, vi, en))
    return source


def _jsonl_sources(path: Path) -> Iterator[Source]:
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError:
                yield _bad_line(
                    path, number, "not_utf8",
                    f"Dòng {number} không phải văn bản UTF-8",
                    f"Line {number} is not UTF-8 text",
                )  # fmt: skip
                continue
            if not text.strip():
                continue
            try:
                record = json.loads(text)
            except json.JSONDecodeError as error:
                yield _bad_line(
                    path, number, "bad_json",
                    f"Dòng {number} không phải JSON hợp lệ ({error.msg}, cột {error.colno})",
                    f"Line {number} is not valid JSON ({error.msg}, column {error.colno})",
                )  # fmt: skip
                continue
            yield _object_or_reject(path, number, record)


def _object_or_reject(path: Path, number: int, record: Any) -> Source:
    if isinstance(record, dict):
        return _json_source(path, number, record)
    return _bad_line(
        path, number, "type_object",
        f"Dòng {number}: mỗi hộ phải là một đối tượng JSON {{…}}, không phải {type(record).__name__}",
        f"Line {number}: each household must be a JSON object {{…}}, not {type(record).__name__}",
    )  # fmt: skip


def _json_sources(path: Path) -> Iterator[Source]:
    try:
        data = json.loads(path.read_text("utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        yield _bad_line(
            path, getattr(error, "lineno", None), "bad_json",
            f"Tệp không phải JSON hợp lệ ({error}); với nhiều hộ, dùng JSON Lines (.jsonl)",
            f"The file is not valid JSON ({error}); for many households use JSON Lines (.jsonl)",
        )  # fmt: skip
        return
    for number, record in enumerate(data if isinstance(data, list) else [data], start=1):
        yield _object_or_reject(path, number, record)


# -- CSV / XLSX ----------------------------------------------------------------------------------
def _read_csv(path: Path) -> pd.DataFrame:
    try:
        # all text, categorical: low memory for a census; tables_to_households coerces types
        return pd.read_csv(path, dtype="category", keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as error:
        raise InputError(
            f"{path.name}: cannot read as CSV ({error})",
            f"{path.name}: không đọc được tệp CSV ({error})",
            "Save the sheet as CSV UTF-8 with a header row of column names.",
        ) from error


def _load_tables(path: Path, members: Path | None) -> tuple[pd.DataFrame, pd.DataFrame, str, str]:
    if path.suffix.lower() == ".csv":
        members = members or default_members_path(path)
        if not members.is_file():
            raise InputError(
                f"{path.name}: the members table {members} does not exist",
                f"{path.name}: không có bảng thành viên {members}",
                "A households CSV needs its members CSV: --members FILE "
                f"(default {default_members_path(path).name}).",
            )
        return _read_csv(path), _read_csv(members), path.name, members.name
    if members is not None:
        raise InputError(
            "--members is for CSV input; a workbook holds its own 'members' sheet",
            "--members chỉ dùng với tệp CSV; sổ tính có trang 'members' riêng",
        )
    return _read_workbook(path)


def _read_workbook(path: Path) -> tuple[pd.DataFrame, pd.DataFrame, str, str]:
    try:
        sheets = pd.read_excel(path, sheet_name=None, dtype=object)
    except Exception as error:  # openpyxl raises many types for a damaged workbook
        raise InputError(
            f"{path.name}: cannot read the workbook ({error})",
            f"{path.name}: không đọc được sổ tính ({error})",
        ) from error
    from povcensus import paper

    if paper.is_paper_workbook(sheets):
        return _paper_tables(path, sheets)
    names = {str(name).strip().lower(): name for name in sheets}
    if "households" not in names or "members" not in names:
        raise InputError(
            f"{path.name}: the workbook needs the sheets 'households' and 'members'",
            f"{path.name}: sổ tính cần hai trang 'households' và 'members'",
            f"Sheets found: {', '.join(map(str, sheets)) or '(none)'}.",
        )
    h, m = names["households"], names["members"]
    return sheets[h], sheets[m], f"{path.name} [{h}]", f"{path.name} [{m}]"


def _text_id(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _scorecard_booleans(frame: pd.DataFrame) -> pd.DataFrame:
    """ "True"/"False" text in scorecard_* columns → booleans (CSV has no boolean type).

    survey_forms.tables coerces the record's own boolean fields but not scorecard answers.
    """
    for col in frame.columns:
        if str(col).startswith("scorecard_"):
            text = frame[col].astype(object)
            lowered = text.map(lambda v: v.strip().lower() if isinstance(v, str) else v)
            if lowered.dropna().isin(["true", "false"]).all():
                frame[col] = lowered.map({"true": True, "false": False})
    return frame


def _table_sources(
    households: pd.DataFrame, members: pd.DataFrame, h_name: str, m_name: str
) -> Iterator[Source]:
    from survey_forms.tables import tables_to_households

    households = _scorecard_booleans(households.copy())
    if "_row" not in households.columns:  # (a paper workbook keeps its own row numbers)
        households["_row"] = np.arange(2, len(households) + 2)  # the header is row 1
    members = members.copy()
    if "_row" not in members.columns:
        members["_row"] = np.arange(2, len(members) + 2)
    if "household_id" not in members.columns:
        members["household_id"] = None
    if "household_id" not in households.columns:
        households["household_id"] = None
    h_ids = households["household_id"].astype(object).map(_text_id)
    m_ids = members["household_id"].astype(object).map(_text_id)
    # plain text ids: a categorical id column would make every chunk map all its categories
    households["household_id"], members["household_id"] = h_ids, m_ids
    first = pd.Series(np.arange(len(h_ids)), index=h_ids.to_numpy())
    first = first[~first.index.duplicated()]
    position = first.reindex(m_ids.to_numpy()).to_numpy(dtype=np.float64)
    yield from _orphans(members, m_ids, position, m_name)
    order = np.argsort(np.where(np.isnan(position), -1, position), kind="stable")
    sorted_pos = position[order]
    for start in range(0, len(households), CHUNK):
        lo, hi = np.searchsorted(sorted_pos, [start, start + CHUNK])
        chunk_h = households.iloc[start : start + CHUNK]
        chunk_m = members.iloc[order[lo:hi]]
        for record in tables_to_households(chunk_h, chunk_m):
            yield _table_source(record, h_name, m_name)


def _table_source(record: dict[str, Any], h_name: str, m_name: str) -> Source:
    row = record.pop("_row", None)
    lines = [member.pop("_row", None) for member in record.get("members") or []]
    return Source(record, h_name, _int(row), m_name, [_int(r) for r in lines])


def _orphans(members: pd.DataFrame, m_ids: pd.Series, position: np.ndarray, m_name: str):
    """Member rows whose household is not in the households table: a reject each."""
    for index in np.flatnonzero(np.isnan(position)):
        row = int(members["_row"].iat[index])
        hid = m_ids.iat[index]
        source = Source(None, m_name, row)
        if hid is None:
            source.problems.append(
                source.reject(
                    "member_without_household_id",
                    f"Dòng {row}: thành viên không có household_id",
                    f"Row {row}: the member has no household_id",
                    "household_id",
                )
            )
        else:
            source.problems.append(
                Reject(
                    m_name, row, hid, "household_id", "member_without_household",
                    f"Dòng {row}: hộ {hid} không có trong bảng hộ",
                    f"Row {row}: household {hid} is not in the households table",
                )
            )  # fmt: skip
        yield source


# -- the paper Phiếu B workbook ----------------------------------------------------------------
def _paper_tables(path: Path, sheets: dict) -> tuple[pd.DataFrame, pd.DataFrame, str, str]:
    """The Vietnamese sheets read back as code tables; label problems ride on `attrs`."""
    from povcensus import paper

    h = paper.find_sheet(sheets, paper.HOUSEHOLD_SHEET)
    m = paper.find_sheet(sheets, paper.MEMBER_SHEET)
    h_name, m_name = f"{path.name} [{h}]", f"{path.name} [{m}]"
    tables = paper.paper_tables(sheets[h], sheets[m], h_sheet=h_name, m_sheet=m_name)
    tables.households.attrs["paper_problems"] = tables.problems
    return tables.households, tables.members, h_name, m_name


def _paper_sources(tables: tuple, problems: list[Any]) -> Iterator[Source]:
    """Sources of a paper workbook: each carries its rows' label problems and the headings."""
    from povcensus.paper import heading_for_path

    by_row: dict[tuple[str, int], list[Any]] = {}
    for problem in problems:
        by_row.setdefault((problem.sheet, problem.row), []).append(problem)
    h_name, m_name = tables[2], tables[3]
    for source in _table_sources(*tables):
        source.column_of = heading_for_path
        rows = [(h_name, source.line, "")]
        rows += [(m_name, line, f"members[{i}]") for i, line in enumerate(source.member_lines)]
        for sheet, line, member in rows:
            for problem in by_row.get((sheet, line), ()):  # type: ignore[arg-type]
                path = problem.path.replace("members[]", member) if member else problem.path
                source.problems.append(
                    Reject(
                        problem.sheet,
                        problem.row,
                        source.household_id,
                        path,
                        "not_an_answer",
                        problem.message_vi,
                        problem.message_en,
                        problem.column,
                    )  # fmt: skip
                )
        yield source


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
