"""What each role sees first after signing in: the enumerator's assignments and returned
households, the administrator's users, device tokens and rounds."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from server.queries.review import pending_return_comment
from server.queries.review_movement import UNDER_REVIEW


def enumerator_home(
    db: sqlite_utils.Database, round_id: int | None, communes: tuple[str, ...]
) -> dict[str, Any]:
    """Per assigned commune: name, households to re-survey (assignments), households received
    this round; and the households sent back to the enumerator, with the commune's comment."""
    names = dict(db.execute("SELECT code, name FROM communes").fetchall())
    rows, returned = [], []
    for code in communes:
        assigned = received = 0
        if round_id is not None:
            assigned = db.execute(
                "SELECT count(DISTINCT household_id) FROM changes WHERE round_id = ?"
                " AND commune_code = ? AND kind = 'assignment'",
                [round_id, code],
            ).fetchone()[0]
            received = db.execute(
                "SELECT count(*) FROM households WHERE round_id = ? AND commune_code = ?",
                [round_id, code],
            ).fetchone()[0]
        rows.append(
            {
                "code": code,
                "name": names.get(code, code),
                "assigned": assigned,
                "received": received,
            }
        )
    if round_id is not None and communes:
        returned = _returned(db, round_id, communes)
    return {"communes": rows, "returned": returned}


def _returned(db, round_id: int, communes: tuple[str, ...]) -> list[dict[str, Any]]:
    marks = ", ".join("?" * len(communes))
    found = list(
        db.query(
            "SELECT h.household_id, h.commune_code, d.decision AS status,"
            " h.head_name,"
            " h.village FROM households h"
            " JOIN review_decisions d ON d.round_id = h.round_id"
            " AND d.household_id = h.household_id AND d.version = h.version"
            f" WHERE h.round_id = ? AND h.commune_code IN ({marks})"
            f" AND d.decision IN ({', '.join('?' * len(UNDER_REVIEW))})"
            " ORDER BY h.commune_code, village, h.household_id",
            [round_id, *communes, *UNDER_REVIEW],
        )
    )
    for row in found:
        comment = pending_return_comment(db, round_id, row["household_id"], row["status"])
        row["comment"] = comment["comment"] if comment else None
    return found


def admin_overview(db: sqlite_utils.Database) -> dict[str, list[dict[str, Any]]]:
    """Users (with their communes), device tokens and review rounds, for the admin's home."""
    communes: dict[int, list[str]] = {}
    for user_id, code in db.execute("SELECT user_id, commune_code FROM user_communes"):
        communes.setdefault(user_id, []).append(code)
    users = [
        {**row, "communes": sorted(communes.get(row["id"], []))}
        for row in db.query(
            "SELECT id, username, display_name, role, active, created_at FROM users ORDER BY role,"
            " username"
        )
    ]
    devices = list(
        db.query(
            "SELECT d.id, d.name, u.username, d.created_at, d.revoked_at, d.last_seen_at"
            " FROM devices d JOIN users u ON u.id = d.user_id ORDER BY d.id DESC"
        )
    )
    rounds = list(
        db.query(
            "SELECT r.*, (SELECT count(*) FROM households h WHERE h.round_id = r.id) AS households"
            " FROM review_rounds r ORDER BY r.year DESC, r.id DESC"
        )
    )
    return {"users": users, "devices": devices, "rounds": rounds}
