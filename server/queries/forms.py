"""The form versions this server has served, so that no finalized instance is stranded.

A tablet may hold finalized-but-unsent instances of a form version the server no longer serves
(the form was updated while it was offline). Every version the server has ever handed out
(in formList or as a download) is recorded in `form_versions`; a submission of any of them is
accepted, unless an admin retires that version (`povcensus forms retire VERSION`).
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

from server import scoring_adapter
from server.db import transaction, utcnow

_recorded: set[tuple[str, str, str, str]] = set()  # (database, form, version, md5) seen here


class FormVersionError(ValueError):
    """A form version cannot be retired as asked."""


def record_served(db: sqlite_utils.Database, form_id: str, version: str, md5: str) -> None:
    """Remember that this version was served (one write per process and version)."""
    key = (getattr(db, "povcensus_path", ""), form_id, version, md5)
    if key in _recorded:
        return
    known = db.execute(
        "SELECT 1 FROM form_versions WHERE form_id = ? AND version = ?", [form_id, version]
    ).fetchone()
    if known is None:
        with transaction(db) as conn:
            conn.execute(
                "INSERT OR IGNORE INTO form_versions (form_id, version, md5, first_served_at)"
                " VALUES (?, ?, ?, ?)",
                [form_id, version, md5, utcnow()],
            )
    _recorded.add(key)


def accepted_versions(db: sqlite_utils.Database, form_id: str) -> frozenset[str]:
    """The version served now plus every earlier version served and not retired."""
    current_id, current_version = scoring_adapter.form_identity()
    versions = {
        row[0]
        for row in db.execute(
            "SELECT version FROM form_versions WHERE form_id = ? AND retired_at IS NULL",
            [form_id],
        )
    }
    if form_id == current_id:
        versions.add(current_version)
    return frozenset(versions)


def list_versions(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    return list(db.query("SELECT * FROM form_versions ORDER BY first_served_at, version"))


def retire_version(db: sqlite_utils.Database, form_id: str, version: str) -> None:
    """Stop accepting instances of an old version (the version served now cannot be retired)."""
    if (form_id, version) == scoring_adapter.form_identity():
        raise FormVersionError(f"version {version} of {form_id} is the one served now")
    with transaction(db) as conn:
        cursor = conn.execute(
            "UPDATE form_versions SET retired_at = ? WHERE form_id = ? AND version = ?"
            " AND retired_at IS NULL",
            [utcnow(), form_id, version],
        )
        if cursor.rowcount == 0:
            raise FormVersionError(f"no served, unretired version {version} of {form_id}")
