"""Review rounds: a year's review under one standard; one open annual round per province."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import sqlite_utils

from server.db import transaction, utcnow
from server.household_rows import record_of

KINDS = ("annual", "rolling")


class RoundError(ValueError):
    """A round cannot be opened or closed as asked."""


def round_label(year: int, kind: str) -> str:
    return f"{year}-{kind}"


def get_round(db: sqlite_utils.Database, round_id_or_label: int | str) -> dict[str, Any] | None:
    """A round by id (int) or label (str, e.g. "2026-annual")."""
    column = "id" if isinstance(round_id_or_label, int) else "label"
    rows = list(db.query(f"SELECT * FROM review_rounds WHERE {column} = ?", [round_id_or_label]))
    return rows[0] if rows else None


def recognised_on(db, round_id: int, commune_code: str | None) -> str | None:
    """The date (YYYY-MM-DD) the commune chairman recognised this round's lists, or None.

    Recognition locks the round's lists of that commune (Quyết định 24/2021); later changes go
    through the rolling review. The review module owns `review_recognitions`: without it (the
    module not installed) nothing is locked. `db` is a sqlite_utils Database or a connection."""
    try:
        row = db.execute(
            "SELECT recognised_on FROM review_recognitions WHERE round_id = ? AND commune_code = ?",
            [round_id, commune_code],
        ).fetchone()
    except sqlite3.OperationalError as error:
        if "no such table" in str(error):
            return None
        raise
    return row[0] if row else None


def open_round_for(db: sqlite_utils.Database, province: str) -> dict[str, Any] | None:
    """The province's open annual round (the one new submissions belong to), or None."""
    rows = list(
        db.query(
            "SELECT * FROM review_rounds WHERE province_code = ? AND status = 'open'"
            " AND kind = 'annual'",
            [province],
        )
    )
    return rows[0] if rows else None


def list_rounds(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    return list(db.query("SELECT * FROM review_rounds ORDER BY year, id"))


def open_round(
    db: sqlite_utils.Database,
    *,
    year: int,
    standard: str,
    kind: str = "annual",
    province: str,
    known_standards: list[str] | None = None,
) -> dict[str, Any]:
    """Open a round and queue last round's households as assignments to re-survey."""
    if kind not in KINDS:
        raise RoundError(f"kind must be one of {', '.join(KINDS)}")
    if known_standards is not None and standard not in known_standards:
        raise RoundError(f"unknown standard {standard!r}; known: {', '.join(known_standards)}")
    label = round_label(year, kind)
    with transaction(db) as conn:
        if kind == "annual" and open_round_for(db, province):
            raise RoundError(
                f"province {province} already has an open annual round "
                f"({open_round_for(db, province)['label']}); close it first"
            )
        if get_round(db, label):
            raise RoundError(f"round {label} already exists")
        cursor = conn.execute(
            "INSERT INTO review_rounds (label, province_code, year, kind, standard, status,"
            " opened_at) VALUES (?, ?, ?, ?, ?, 'open', ?)",
            [label, province, year, kind, standard, utcnow()],
        )
        _queue_assignments(conn, cursor.lastrowid, province)
    return get_round(db, label)


def _queue_assignments(conn, round_id: int, province: str) -> None:
    """Every household of the province's latest earlier round becomes an assignment."""
    previous = conn.execute(
        "SELECT id, label FROM review_rounds WHERE province_code = ? AND id < ?"
        " ORDER BY year DESC, id DESC LIMIT 1",
        [province, round_id],
    ).fetchone()
    if previous is None:
        return
    rows = conn.execute(
        "SELECT household_id, commune_code, record, submission_id, version FROM households"
        " WHERE round_id = ?",
        [previous[0]],
    ).fetchall()
    conn.executemany(
        "INSERT INTO changes (round_id, commune_code, kind, household_id, data, created_at)"
        " VALUES (?, ?, 'assignment', ?, ?, ?)",
        [
            (
                round_id,
                commune,
                household_id,
                json.dumps(
                    {
                        "record": record_of(record),
                        "previous_round": previous[1],
                        "previous_submission_id": submission_id,
                    },
                    ensure_ascii=False,
                ),
                utcnow(),
            )
            for household_id, commune, record, submission_id, _version in rows
        ],
    )


def close_round(db: sqlite_utils.Database, label: str) -> dict[str, Any]:
    with transaction(db) as conn:
        cursor = conn.execute(
            "UPDATE review_rounds SET status = 'closed', closed_at = ? WHERE label = ?"
            " AND status = 'open'",
            [utcnow(), label],
        )
        if cursor.rowcount == 0:
            raise RoundError(f"no open round {label!r}")
    return get_round(db, label)
