"""The review workflow's own tables, migrated by `server.db.upgrade` as `review.mNNN_…`.

`server.db.all_migrations()` imports this module (it is listed in `MIGRATION_MODULES`) and
records each function under the prefix `review.`, so our numbering (`m001`, `m002`, …) never
collides with the server's own `m001_initial`, and each step is applied once in its own
transaction. The server's `review_events` and `audit_log` tables are used as they are; we only
add tables (prefixed `review_`) and indexes here.
"""

from __future__ import annotations

import sqlite3

_TABLES = """
CREATE TABLE review_decisions (
    round_id INTEGER NOT NULL, household_id TEXT NOT NULL, commune_code TEXT NOT NULL,
    version INTEGER NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('confirmed', 'returned', 'overridden', 'resurvey')),
    computed_class TEXT, override_class TEXT, reason TEXT, user_id INTEGER,
    decided_at TEXT NOT NULL, PRIMARY KEY (round_id, household_id));
CREATE INDEX review_decisions_commune ON review_decisions(round_id, commune_code);
CREATE INDEX review_households_queue ON households(round_id, commune_code, household_id);
CREATE TABLE review_meetings (
    id INTEGER PRIMARY KEY, round_id INTEGER NOT NULL, commune_code TEXT NOT NULL,
    village TEXT NOT NULL, held_on TEXT NOT NULL, chair TEXT NOT NULL, secretary TEXT,
    attendees INTEGER NOT NULL CHECK (attendees > 0),
    agree INTEGER NOT NULL CHECK (agree >= 0 AND agree <= attendees),
    passed INTEGER NOT NULL, households TEXT NOT NULL, note TEXT, user_id INTEGER,
    created_at TEXT NOT NULL);
CREATE INDEX review_meetings_village ON review_meetings(round_id, commune_code, village);
CREATE TABLE review_settings (
    round_id INTEGER PRIMARY KEY, posting_days INTEGER NOT NULL CHECK (posting_days > 0),
    holidays TEXT NOT NULL DEFAULT '', user_id INTEGER, updated_at TEXT NOT NULL);
CREATE TABLE review_postings (
    id INTEGER PRIMARY KEY, round_id INTEGER NOT NULL, commune_code TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('list', 'recheck')), posted_from TEXT NOT NULL,
    working_days INTEGER NOT NULL, posted_until TEXT NOT NULL, place TEXT, note TEXT,
    user_id INTEGER, created_at TEXT NOT NULL);
CREATE INDEX review_postings_commune ON review_postings(round_id, commune_code);
CREATE TABLE review_complaints (
    id INTEGER PRIMARY KEY, round_id INTEGER NOT NULL, commune_code TEXT NOT NULL,
    household_id TEXT NOT NULL, complainant TEXT NOT NULL, content TEXT NOT NULL,
    received_on TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'open'
        CHECK (status IN ('open', 'resolved')),
    recheck_on TEXT, outcome TEXT CHECK (outcome IS NULL OR outcome IN ('kept', 'changed')),
    new_class TEXT, outcome_note TEXT, user_id INTEGER, resolved_by INTEGER, resolved_at TEXT,
    created_at TEXT NOT NULL);
CREATE INDEX review_complaints_commune ON review_complaints(round_id, commune_code, status);
CREATE TABLE review_recognitions (
    round_id INTEGER NOT NULL, commune_code TEXT NOT NULL, recognised_on TEXT NOT NULL,
    decision_no TEXT, movement TEXT NOT NULL, user_id INTEGER, created_at TEXT NOT NULL,
    PRIMARY KEY (round_id, commune_code));
CREATE TABLE review_recognised (
    round_id INTEGER NOT NULL, commune_code TEXT NOT NULL, household_id TEXT NOT NULL,
    head_name TEXT, village TEXT, computed_class TEXT, final_class TEXT,
    previous_class TEXT, categories TEXT NOT NULL,
    PRIMARY KEY (round_id, household_id));
CREATE INDEX review_recognised_commune ON review_recognised(round_id, commune_code);
CREATE INDEX review_recognised_household ON review_recognised(household_id);
CREATE INDEX review_events_commune ON review_events(commune_code, id)
"""


def m001_review_tables(conn: sqlite3.Connection) -> None:
    """Decisions, village meetings, postings, complaints, recognition (and queue indexes)."""
    for statement in _TABLES.split(";\n"):
        if statement.strip():
            conn.execute(statement)


def m002_queue_expression_indexes(conn: sqlite3.Connection) -> None:
    """Village filter/list and head-name sort of the queue read these JSON fields of the
    record: index the expressions so 5,000 households per commune stay fast."""
    conn.execute(
        "CREATE INDEX review_households_village ON households("
        "round_id, commune_code, json_extract(record, '$.village'))"
    )
    conn.execute(
        "CREATE INDEX review_households_head ON households("
        "round_id, commune_code, json_extract(record, '$.head_name'))"
    )


def m003_quarantine_resolutions(conn: sqlite3.Connection) -> None:
    """How a person resolved a quarantined conflict (the quarantine row itself is marked
    resolved too), and an index for the commune's open conflicts of a round."""
    conn.execute(
        "CREATE TABLE review_quarantine_resolutions ("
        " quarantine_id INTEGER PRIMARY KEY, round_id INTEGER, commune_code TEXT NOT NULL,"
        " household_id TEXT, action TEXT NOT NULL CHECK (action IN ('accepted', 'kept')),"
        " reason TEXT NOT NULL, submission_id TEXT, version INTEGER, user_id INTEGER,"
        " resolved_at TEXT NOT NULL)"
    )
    conn.execute(
        "CREATE INDEX review_quarantine_commune ON quarantine(round_id, commune_code, status)"
    )


def m064_queue_projection_indexes(conn: sqlite3.Connection) -> None:
    """Issue 16: the queue filters and sorts on the household's plain `village` and
    `head_name` columns (server.db m064, indexed there); m002's indexes on the record's JSON
    go (on a new database m002 runs after server.db's m064 and creates them again)."""
    from server.db import _drop_record_expression_indexes

    _drop_record_expression_indexes(conn)
