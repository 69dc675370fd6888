"""Capture: read households from JSON, CSV or XLSX, validate each one, queue the valid ones.

The commune-office path for paper forms (Phiếu B typed into a spreadsheet). Files are read by
`povcensus.readers` (JSON, JSON Lines, CSV households + members, XLSX workbook with sheets
`households` and `members`; row numbers as a spreadsheet program shows them). Every household
is checked with `survey_forms.validate_household` before it is queued; every problem names the
file, the row, the field and the reason in Vietnamese and English. Valid households are queued
even when others in the same file fail, in chunks of one transaction each.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from offline_sync.store import Outbox, StoreError
from povcensus.readers import InputError, Source, open_input

ReadError = InputError  # the file as a whole cannot be read (raised before anything is queued)
QUEUE_CHUNK = 500  # households queued per transaction (one disk sync each)

__all__ = ["CaptureError", "CaptureReport", "ReadError", "Source", "capture", "check"]


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
    column: str = ""  # the Vietnamese column heading (paper Phiếu B workbook)

    @classmethod
    def from_reject(cls, reject: Any) -> CaptureError:
        """From a `povcensus.readers.Reject` (which names the row `line`)."""
        return cls(
            reject.file, reject.line, reject.household_id, reject.field, reject.code,
            reject.message_vi, reject.message_en, getattr(reject, "column", ""),
        )  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        if self.column:  # a paper workbook: the clerk's words — sheet, row, column heading
            row = f", dòng {self.row}" if self.row is not None else ""
            return f"{self.file}{row}, cột “{self.column}”: {self.message_vi} / {self.message_en}"
        where = f"{self.file}" + (f", row {self.row}" if self.row is not None else "")
        what = self.field or "(record)"
        return f"{where}, {what}: {self.message_en} / {self.message_vi}"


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


# --- validating and queueing --------------------------------------------------------------


def check(source: Source, *, today: date | None = None) -> list[CaptureError]:
    """Every problem of one household (reading and validation), placed at file, row, field."""
    from survey_forms import validate_household

    problems = [CaptureError.from_reject(reject) for reject in source.problems]
    if source.record is None:
        return problems
    errors = validate_household(source.record, today=today)
    # an answer already reported as "not on the form" is not reported again in codes
    reported = {problem.field for problem in problems}
    located = [source.locate(error) for error in errors if error.path not in reported]
    return problems + [CaptureError.from_reject(reject) for reject in located]


def capture(
    store: Outbox,
    path: str | Path,
    *,
    members: str | Path | None = None,
    replace: bool = False,
    today: date | None = None,
    on_progress: Callable[[int, int | None], None] | None = None,
    communes: Iterable[str] | None = None,
) -> CaptureReport:
    """Read, validate and queue; valid households are queued even when others fail.

    `communes`: the communes the user is assigned (from `sync login`); a household of another
    commune is not queued — the server would reject it and the item would wait forever."""
    report = CaptureReport()
    valid: list[Source] = []
    found = open_input(path, members=members)
    allowed = set(communes) if communes else None
    for source in found:
        report.read += 1
        errors = check(source, today=today) or _outside(source, allowed)
        if errors:
            report.errors += errors
        else:
            valid.append(source)
        if len(valid) >= QUEUE_CHUNK:
            _queue(store, valid, replace, report)
            valid = []
        if on_progress:
            on_progress(report.read, found.total)
    _queue(store, valid, replace, report)
    return report


def _outside(source: Source, allowed: set[str] | None) -> list[CaptureError]:
    """A valid household of a commune the user is not assigned: one error saying so."""
    commune = source.record.get("commune_code") if isinstance(source.record, dict) else None
    if allowed is None or commune in allowed:
        return []
    mine = ", ".join(sorted(allowed))
    return [
        CaptureError(
            source.file, source.line, source.household_id, "commune_code", "commune_not_assigned",
            f"xã {commune} không thuộc địa bàn bạn được giao ({mine}); hộ không được xếp hàng",
            f"commune {commune} is not one of your communes ({mine}); the household is not queued",
        )
    ]  # fmt: skip


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
                    source.line,
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
    return source.file + (f" row {source.line}" if source.line is not None else "")
