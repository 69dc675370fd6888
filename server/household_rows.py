"""Writing a household's current row (issue 16): one place that knows its stored form.

`households` keeps the validated record packed (server.packing) plus the plain columns that
SQL reads: what the review queue filters and sorts on (`server.db.PROJECTION`, the official
score's `deprivation_count`) and what the province's figures count by (`SUMMARY`). The
`persons` index of its members (duplicate-person check) and the commune's `household_writes`
counter are written here with it — SQL cannot read a packed record, so no trigger can. Ingest
goes through `upsert_household`; the demo's bulk path uses the same functions for its rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

from server.db import PROJECTION
from server.packing import pack_record, unpack_record
from survey_forms.persons import normalise_name

__all__ = [
    "count_writes",
    "household_columns",
    "household_summary",
    "person_rows",
    "record_of",
    "replace_persons",
    "upsert_household",
]

record_of = unpack_record  # the record dict from `households.record`


def household_columns(record: dict[str, Any]) -> list[Any]:
    """The projection columns' values, in `PROJECTION` order."""
    return [_text(record.get(column)) for column in PROJECTION]


SUMMARY = ("area", "head_ethnicity", "member_count")  # households' columns for the figures


def household_summary(record: dict[str, Any]) -> list[Any]:
    """Area, the head's ethnicity and the number of members (what the province's figures
    count households by), in `SUMMARY` order."""
    members = [m for m in record.get("members") or [] if isinstance(m, dict)]
    head = next((m for m in members if m.get("relation") == "head"), {})
    return [_text(record.get("area")), _text(head.get("ethnicity")), len(members)]


def person_rows(
    round_id: int, household_id: str, commune_code: str, record: dict[str, Any]
) -> list[tuple]:
    """Rows of `persons` for the household's members."""
    rows = []
    for member in record.get("members") or []:
        if isinstance(member, dict):
            rows.append(
                (
                    round_id,
                    household_id,
                    commune_code,
                    member.get("member_no"),
                    member.get("name"),
                    member.get("birth_year"),
                    member.get("citizen_id"),
                    normalise_name(member.get("name")),
                )
            )
    return rows


def replace_persons(
    conn: sqlite3.Connection, households: Iterable[tuple[int, str, str, dict[str, Any]]]
) -> None:
    """Make `persons` list the members of these (round, household, commune, record)."""
    rows: list[tuple] = []
    forget = []
    for round_id, household_id, commune_code, record in households:
        forget.append((round_id, household_id))
        rows += person_rows(round_id, household_id, commune_code, record)
    conn.executemany("DELETE FROM persons WHERE round_id = ? AND household_id = ?", forget)
    conn.executemany("INSERT INTO persons VALUES (?,?,?,?,?,?,?,?)", rows)


def upsert_household(
    conn: sqlite3.Connection,
    *,
    round_id: int,
    record: dict[str, Any],
    version: int,
    submission_id: str,
    classification: str | None,
    updated_at: str,
    deprivation_count: int | None = None,
) -> None:
    """The household's new current row (status `submitted`; `deprivation_count` of its official
    score, for the queue's sort) and its members in `persons`."""
    household_id, commune_code = record["household_id"], record["commune_code"]
    before = conn.execute(
        "SELECT commune_code FROM households WHERE round_id = ? AND household_id = ?",
        [round_id, household_id],
    ).fetchone()
    count_writes(conn, round_id, {commune_code: 1} | ({before[0]: 1} if before else {}))
    conn.execute(
        "INSERT INTO households (round_id, household_id, commune_code, version, submission_id,"
        " record, classification, status, updated_at, deprivation_count,"
        f" {', '.join(PROJECTION + SUMMARY)})"
        f" VALUES (?,?,?,?,?,?,?, 'submitted', ?, ?, {', '.join('?' * len(PROJECTION + SUMMARY))})"
        " ON CONFLICT (round_id, household_id) DO UPDATE SET commune_code = excluded.commune_code,"
        " version = excluded.version, submission_id = excluded.submission_id,"
        " record = excluded.record, classification = excluded.classification,"
        " status = 'submitted', updated_at = excluded.updated_at,"
        " deprivation_count = excluded.deprivation_count, "
        + ", ".join(f"{column} = excluded.{column}" for column in PROJECTION + SUMMARY),
        [
            round_id,
            household_id,
            commune_code,
            version,
            submission_id,
            pack_record(record),
            classification,
            updated_at,
            deprivation_count,
            *household_columns(record),
            *household_summary(record),
        ],
    )
    replace_persons(conn, [(round_id, household_id, commune_code, record)])


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def count_writes(conn: sqlite3.Connection, round_id: int, communes: dict[str, int]) -> None:
    """Bump the communes' household-write counters (`household_writes`): a commune's figures
    are stale when its counter moved (server.queries.province.commune_stamps)."""
    conn.executemany(
        "INSERT INTO household_writes (round_id, commune_code, writes) VALUES (?, ?, ?)"
        " ON CONFLICT (round_id, commune_code) DO UPDATE SET writes = writes + excluded.writes",
        [(round_id, code, count) for code, count in communes.items()],
    )
