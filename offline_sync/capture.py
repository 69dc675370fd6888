"""Capture: read households from JSON, CSV or XLSX, validate each one, queue the valid ones.

The commune-office path for paper forms (Phiếu B typed into a spreadsheet). Every household is
checked with `survey_forms.validate_household` before it is queued; every problem names the
file, the row, the field and the reason in Vietnamese and English. Valid households are queued
even when others in the same file fail.

Accepted inputs:
- JSON: one record, a list of records, or JSON Lines (one record per line);
- CSV: a households table plus a members table (`--members FILE`), the layout of
  `survey_forms.tables` (docs/household-record.md, last paragraph);
- XLSX: a workbook with sheets `households` and `members` (or the first two sheets), or a
  households workbook plus `--members FILE`.

The reader here is deliberately small (pandas for CSV/XLSX); row numbers are those a person
sees in a spreadsheet program (the header is row 1).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from offline_sync.store import Outbox, StoreError

QUEUE_CHUNK = 500  # households queued per transaction (one disk sync each)
_MEMBER_PATH = re.compile(r"^members\[(\d+)\]\.?(.*)$")


@dataclass
class CaptureError:
    """One problem with one input row, for people (vi + en) and for scripts (`to_dict`)."""

    file: str
    row: int | None
    household_id: str | None
    field: str
    code: str
    message_vi: str
    message_en: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        where = f"{self.file}" + (f", row {self.row}" if self.row is not None else "")
        what = self.field or "(record)"
        return f"{where}, {what}: {self.message_en} / {self.message_vi}"


@dataclass
class Source:
    """One household as read, with where each part came from."""

    record: dict[str, Any]
    file: str
    row: int | None
    members_file: str | None = None
    member_rows: list[int | None] = field(default_factory=list)


@dataclass
class CaptureReport:
    read: int = 0
    queued: list[dict[str, Any]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # household ids already queued as-is
    errors: list[CaptureError] = field(default_factory=list)

    @property
    def failed_rows(self) -> int:
        """Households with at least one problem."""
        return len({error.household_id or (error.file, error.row) for error in self.errors})

    def to_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "queued": [
                {"id": item["id"], "household_id": item["household_id"], "base": item["base"]}
                for item in self.queued
            ],
            "unchanged": self.unchanged,
            "errors": [error.to_dict() for error in self.errors],
        }


class ReadError(Exception):
    """The file itself cannot be read (not a row problem)."""

    def __init__(self, message_en: str, message_vi: str) -> None:
        super().__init__(f"{message_en} / {message_vi}")
        self.message_en, self.message_vi = message_en, message_vi


# --- reading ------------------------------------------------------------------------------


def read_households(path: str | Path, members: str | Path | None = None) -> Iterator[Source]:
    """Households from a JSON, JSON Lines, CSV or XLSX file (see the module docstring)."""
    path = Path(path)
    if not path.exists():
        raise ReadError(f"{path}: no such file", f"{path}: không có tệp này")
    suffix = path.suffix.lower()
    if suffix in (".json", ".jsonl", ".ndjson"):
        yield from _read_json(path)
    elif suffix in (".csv", ".xlsx", ".xlsm"):
        yield from _read_tables(path, Path(members) if members else None)
    else:
        raise ReadError(
            f"{path}: unknown file type {suffix!r} (use .json, .jsonl, .csv or .xlsx)",
            f"{path}: không đọc được loại tệp {suffix!r} (dùng .json, .jsonl, .csv hoặc .xlsx)",
        )


def _read_json(path: Path) -> Iterator[Source]:
    text = path.read_text("utf-8-sig")
    try:
        data = json.loads(text)
        records = data if isinstance(data, list) else [data]
        rows: list[int | None] = list(range(1, len(records) + 1))
    except json.JSONDecodeError:
        records, rows = _json_lines(path, text)
    for record, row in zip(records, rows, strict=True):
        members = record.get("members") if isinstance(record, dict) else None
        yield Source(
            record=record,
            file=path.name,
            row=row,
            members_file=path.name,
            member_rows=[row] * len(members) if isinstance(members, list) else [],
        )


def _json_lines(path: Path, text: str) -> tuple[list[Any], list[int | None]]:
    records, rows = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as error:
            raise ReadError(
                f"{path.name}, line {number}: not JSON ({error.msg})",
                f"{path.name}, dòng {number}: không phải JSON ({error.msg})",
            ) from error
        rows.append(number)
    return records, rows


def _read_tables(path: Path, members_path: Path | None) -> Iterator[Source]:
    from survey_forms.tables import tables_to_households

    households, members, households_name, members_name = _load_frames(path, members_path)
    households["_row"] = range(2, len(households) + 2)  # the header is row 1
    members["_row"] = range(2, len(members) + 2)
    if "household_id" not in members.columns:
        members["household_id"] = None
    for record in tables_to_households(households, members):
        row = record.pop("_row", None)
        member_rows = []
        for member in record.get("members") or []:
            member_rows.append(member.pop("_row", None))
        yield Source(
            record, households_name, _int(row), members_name, [_int(r) for r in member_rows]
        )


def _load_frames(path: Path, members_path: Path | None):
    import pandas as pd

    def read(one: Path, sheet: str | int = 0):
        if one.suffix.lower() == ".csv":
            return pd.read_csv(one, dtype=str, keep_default_na=False, na_values=[""])
        return pd.read_excel(one, sheet_name=sheet, dtype=object)

    if members_path is not None:
        if not members_path.exists():
            raise ReadError(f"{members_path}: no such file", f"{members_path}: không có tệp này")
        return read(path), read(members_path), path.name, members_path.name
    if path.suffix.lower() == ".csv":
        raise ReadError(
            f"{path.name}: a CSV of households needs its members table: --members FILE",
            f"{path.name}: tệp CSV hộ cần bảng thành viên đi kèm: --members TỆP",
        )
    sheets = pd.read_excel(path, sheet_name=None, dtype=object)
    names = {name.strip().lower(): name for name in sheets}
    if "households" in names and "members" in names:
        first, second = names["households"], names["members"]
    elif len(sheets) >= 2:
        first, second = list(sheets)[:2]
    else:
        raise ReadError(
            f"{path.name}: the workbook needs sheets 'households' and 'members'",
            f"{path.name}: sổ tính cần hai trang 'households' và 'members'",
        )
    return sheets[first], sheets[second], f"{path.name} [{first}]", f"{path.name} [{second}]"


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- validating and queueing --------------------------------------------------------------


def check(source: Source, *, today: date | None = None) -> list[CaptureError]:
    """Every problem of one household, placed at its file, row and field."""
    from survey_forms import validate_household

    if not isinstance(source.record, dict):
        return [
            CaptureError(
                source.file,
                source.row,
                None,
                "",
                "type_object",
                "Mỗi hộ phải là một đối tượng JSON",
                "Each household must be a JSON object",
            )
        ]
    return [_place(source, error) for error in validate_household(source.record, today=today)]


def _place(source: Source, error: Any) -> CaptureError:
    """A FieldError located in the input: members[i].x → the members table row of member i."""
    file, row, where = source.file, source.row, error.path
    match = _MEMBER_PATH.match(error.path or "")
    if match and source.members_file:
        index = int(match.group(1))
        file = source.members_file
        if index < len(source.member_rows) and source.member_rows[index] is not None:
            row = source.member_rows[index]
            if source.members_file != source.file:
                where = match.group(2) or error.path
    return CaptureError(
        file, row, error.household_id, where, error.code, error.message_vi, error.message_en
    )


def capture(
    store: Outbox,
    path: str | Path,
    *,
    members: str | Path | None = None,
    replace: bool = False,
    today: date | None = None,
    on_progress: Callable[[int, int | None], None] | None = None,
) -> CaptureReport:
    """Read, validate and queue; valid households are queued even when others fail."""
    report = CaptureReport()
    valid: list[Source] = []
    for source in read_households(path, members):
        report.read += 1
        errors = check(source, today=today)
        if errors:
            report.errors += errors
        else:
            valid.append(source)
        if len(valid) >= QUEUE_CHUNK:
            _queue(store, valid, replace, report)
            valid = []
        if on_progress:
            on_progress(report.read, None)
    _queue(store, valid, replace, report)
    return report


def _queue(store: Outbox, sources: list[Source], replace: bool, report: CaptureReport) -> None:
    """Queue a chunk of valid households in one transaction."""
    if not sources:
        return
    pairs = [(source.record, _where(source)) for source in sources]
    for source, result in zip(sources, store.enqueue_many(pairs, replace=replace), strict=True):
        if isinstance(result, StoreError):
            report.errors.append(
                CaptureError(
                    source.file,
                    source.row,
                    source.record.get("household_id"),
                    "household_id",
                    "already_queued",
                    result.message_vi,
                    result.message_en,
                )
            )
        elif result is None:
            report.unchanged.append(source.record["household_id"])
        else:
            report.queued.append(result)


def _where(source: Source) -> str:
    return source.file + (f" row {source.row}" if source.row is not None else "")
