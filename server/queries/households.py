"""Households' current state, versions, scores, and the change feed devices pull."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from server import scoring_adapter
from server.db import transaction, utcnow
from server.household_rows import record_of
from server.packing import unpack_text
from server.score_result import is_summary, unpack_result


def get_household(
    db: sqlite_utils.Database, household_id: str, *, round_label: str | None = None
) -> dict[str, Any] | None:
    """Current state in the named round, else in the latest round that has it; record parsed."""
    sql = (
        "SELECT h.*, r.label AS round FROM households h JOIN review_rounds r ON r.id = h.round_id"
        " WHERE h.household_id = ?"
    )
    args: list[Any] = [household_id]
    if round_label:
        sql += " AND r.label = ?"
        args.append(round_label)
    rows = list(db.query(sql + " ORDER BY r.year DESC, r.id DESC LIMIT 1", args))
    if not rows:
        return None
    return {**rows[0], "record": record_of(rows[0]["record"])}


def list_households(
    db: sqlite_utils.Database,
    round_id: int,
    *,
    communes: tuple[str, ...] | list[str] | None = None,
    status: str | None = None,
) -> list[dict[str, Any]]:
    """Current households of a round (optionally of some communes / one status), record parsed."""
    sql, args = "SELECT * FROM households WHERE round_id = ?", [round_id]
    if communes is not None:
        sql += f" AND commune_code IN ({', '.join('?' * len(communes))})"
        args += list(communes)
    if status is not None:
        sql += " AND status = ?"
        args.append(status)
    return [
        {**row, "record": record_of(row["record"])}
        for row in db.query(sql + " ORDER BY household_id", args)
    ]


def household_versions(db: sqlite_utils.Database, round_id: int, household_id: str) -> list[dict]:
    """The household's versions in the round, oldest first. A version holds no copy of its
    record (issue 16): `version_record` derives it from the version's stored submission."""
    return list(
        db.query(
            "SELECT * FROM household_versions WHERE round_id = ? AND household_id = ? ORDER BY version",
            [round_id, household_id],
        )
    )


def version_record(
    db: sqlite_utils.Database, round_id: int, household_id: str, version: int
) -> dict[str, Any] | None:
    """The record of one version as ingest stored it, derived from the raw submission the
    version points at (JSON batch item, bare JSON record, or XForm instance), read the way
    ingest read it; None when there is no such version."""
    row = db.execute(
        "SELECT s.format, s.payload, r.label FROM household_versions v"
        " JOIN submissions s ON s.household_id = v.household_id"
        " AND s.instance_id = v.submission_id AND s.round_id = v.round_id"
        " JOIN review_rounds r ON r.id = v.round_id"
        " WHERE v.round_id = ? AND v.household_id = ? AND v.version = ?",
        [round_id, household_id, version],
    ).fetchone()
    if row is None:
        return None
    payload_format, payload, round_label = row
    record, errors = scoring_adapter.load(_raw_record(payload_format, unpack_text(payload)))
    if errors:  # it passed this very check when it was stored
        raise ValueError(
            f"stored submission of {household_id} v{version} no longer loads: {errors}"
        )
    record["round"] = round_label
    return record


def _raw_record(payload_format: str, payload: str) -> dict[str, Any]:
    if payload_format == "xml":
        from survey_forms.xform import instance_to_household

        household = instance_to_household(payload.encode("utf-8"), check_version=False)
        household.pop("meta", None)
        return household
    item = json.loads(payload)
    # A batch item is an envelope around the record; `povcensus demo` stores the bare record.
    return item["record"] if isinstance(item.get("record"), dict) else item


def scores_for(db: sqlite_utils.Database, round_id: int, household_id: str) -> list[dict]:
    """Every score row of the household in the round (official and simulations), newest first,
    each with its full result (`full_result`); `recomputed` says whether it was recomputed."""
    rows = db.query(
        "SELECT * FROM scores WHERE round_id = ? AND household_id = ?"
        " ORDER BY household_version DESC, official DESC, standard",
        [round_id, household_id],
    )
    return [
        {**row, "result": full_result(db, row), "recomputed": is_summary(row["result"])}
        for row in rows
    ]


def full_result(db: sqlite_utils.Database, row: dict[str, Any]) -> dict[str, Any]:
    """The full result (`classify`'s dict, explanation included) of a `scores` row.

    A row stored as a summary (server.score_result) gets it recomputed from its household
    version's stored record under the row's standard and mode — what ingest computed, since
    scoring is deterministic. Should the standard's file have moved to another version since,
    or the class come out otherwise, the result says so in `stored` (the row's own version and
    class), for the page to show rather than silently explain another score."""
    if not is_summary(row["result"]):
        return unpack_result(row["result"])
    record = version_record(db, row["round_id"], row["household_id"], row["household_version"])
    if record is None:
        raise LookupError(f"no version {row['household_version']} of {row['household_id']}")
    result = scoring_adapter.classify(record, row["standard"], mode=row["mode"])
    stored = (row["standard_version"], row["classification"])
    if (result.get("standard_version"), result.get("classification")) != stored:
        result["stored"] = {"standard_version": stored[0], "classification": stored[1]}
    return result


def list_quarantine(
    db: sqlite_utils.Database, *, communes=None, status: str = "open"
) -> list[dict]:
    sql, args = "SELECT * FROM quarantine WHERE status = ?", [status]
    if communes is not None:
        sql += f" AND commune_code IN ({', '.join('?' * len(communes))})"
        args += list(communes)
    return list(db.query(sql + " ORDER BY id", args))


def add_change(
    db: sqlite_utils.Database,
    *,
    kind: str,
    household_id: str,
    commune_code: str,
    data: dict[str, Any],
    round_id: int | None = None,
    conn=None,
) -> int:
    """Append to the change feed devices pull (`kind` "assignment" or "decision"); returns seq.

    Pass `conn` to write inside the caller's open transaction (e.g. with the review event).
    """
    sql = (
        "INSERT INTO changes (round_id, commune_code, kind, household_id, data, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)"
    )
    args = [
        round_id,
        commune_code,
        kind,
        household_id,
        json.dumps(data, ensure_ascii=False),
        utcnow(),
    ]
    if conn is not None:
        return conn.execute(sql, args).lastrowid
    with transaction(db) as own:
        return own.execute(sql, args).lastrowid


def changes_since(
    db: sqlite_utils.Database, communes: tuple[str, ...] | list[str], cursor: int, limit: int
) -> list[dict[str, Any]]:
    """Changes for these communes with seq > cursor, oldest first, at most `limit` — never one
    of a household that is now in a commune outside them."""
    if not communes:
        return []
    marks = ", ".join("?" * len(communes))
    rows = db.query(
        "SELECT c.seq, c.kind, c.household_id, r.label AS round, c.data FROM changes c"
        " LEFT JOIN review_rounds r ON r.id = c.round_id"
        f" WHERE c.seq > ? AND c.commune_code IN ({marks})"
        " AND NOT EXISTS (SELECT 1 FROM households h WHERE h.round_id = c.round_id"
        f"  AND h.household_id = c.household_id AND h.commune_code NOT IN ({marks}))"
        " ORDER BY c.seq LIMIT ?",
        [cursor, *communes, *communes, limit],
    )
    return [{**row, "data": json.loads(row["data"])} for row in rows]
