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


def m070_households_commune_rows(conn: sqlite3.Connection) -> None:
    """Issue 16: what the queue, its header counts, the movement rule and the province figures
    read of a commune's households, in one index: a scan of the commune reads the index alone
    (≈ 100 B per household) instead of each household's row with its packed record (≈ 700 B) —
    the counts of a 60,000-household commune 116 → 53 ms. The sort indexes end with the
    household id, the queue's tie-break, so a late page walks the index without the rows.
    Three indexes that are prefixes of these go."""
    for name in ("review_households_queue", "households_commune", "households_head"):
        conn.execute(f"DROP INDEX IF EXISTS {name}")
    conn.execute("DROP INDEX IF EXISTS households_village")
    conn.execute(
        "CREATE INDEX households_commune_rows ON households(round_id, commune_code,"
        " household_id, version, classification, village, head_name, head_ethnicity, area,"
        " member_count)"
    )
    conn.execute(
        "CREATE INDEX households_head ON households(round_id, commune_code, head_name, household_id)"
    )
    conn.execute(
        "CREATE INDEX households_village ON households(round_id, commune_code, village,"
        " household_id)"
    )


def _bucket(household: str, decision: str | None) -> str:
    """`status, final class` of a household row `household` (h, OLD or NEW) under the decision
    row `decision` (d, OLD, NEW; None: no decision) — the queue's own STATUS_SQL and
    FINAL_CLASS_SQL with other names, so the counters can never disagree with the queue."""
    import re

    from server.queries.review import FINAL_CLASS_SQL, STATUS_SQL

    if decision is None:
        return f"'submitted', coalesce({household}.classification, '')"

    def named(sql: str) -> str:
        return re.sub(r"\bd\.", f"{decision}.", re.sub(r"\bh\.", f"{household}.", sql))

    return f"{named(STATUS_SQL)}, coalesce({named(FINAL_CLASS_SQL)}, '')"


def _count(sign: int, household: str, decision: str | None, source: str) -> str:
    return (
        "INSERT INTO review_queue_counts (round_id, commune_code, status, final_class,"
        f" households) SELECT {household}.round_id, {household}.commune_code,"
        f" {_bucket(household, decision)}, {sign} {source}"
        " ON CONFLICT (round_id, commune_code, status, final_class)"
        " DO UPDATE SET households = households + excluded.households;"
    )


def _own_decision(household: str) -> str:
    return (
        f" LEFT JOIN review_decisions d ON d.round_id = {household}.round_id"
        f" AND d.household_id = {household}.household_id"
    )


def _current_household(decision: str) -> str:
    return (
        f"FROM households h WHERE h.round_id = {decision}.round_id"
        f" AND h.household_id = {decision}.household_id"
    )


def m071_queue_counts(conn: sqlite3.Connection) -> None:
    """Issue 16: the queue's header counts (households per status and final class) kept per
    commune by triggers on every write of a household or a decision, in the writer's own
    transaction, whichever process writes: counting a 120,000-household commune on the first
    view after each decision took ≈ 0.2 s. Filled once here from the households."""
    conn.execute(
        "CREATE TABLE review_queue_counts (round_id INTEGER NOT NULL, commune_code TEXT NOT NULL,"
        " status TEXT NOT NULL, final_class TEXT NOT NULL, households INTEGER NOT NULL,"
        " PRIMARY KEY (round_id, commune_code, status, final_class)) WITHOUT ROWID"
    )
    conn.execute(
        "INSERT INTO review_queue_counts SELECT h.round_id, h.commune_code,"
        f" {_bucket('h', 'd')}, count(*) FROM households h{_own_decision('h')}"
        " WHERE true GROUP BY 1, 2, 3, 4"
    )
    triggers = {
        "household_insert": ("AFTER INSERT ON households", [(1, "NEW", "d", "h")]),
        "household_update": (
            "AFTER UPDATE OF round_id, household_id, commune_code, version, classification"
            " ON households",
            [(-1, "OLD", "d", "OLD"), (1, "NEW", "d", "NEW")],
        ),
        "household_delete": ("AFTER DELETE ON households", [(-1, "OLD", "d", "OLD")]),
        "decision_insert": (
            "AFTER INSERT ON review_decisions",
            [(-1, "h", None, "NEW"), (1, "h", "NEW", "NEW")],
        ),
        "decision_update": (
            "AFTER UPDATE ON review_decisions",
            [(-1, "h", "OLD", "OLD"), (1, "h", "NEW", "NEW")],
        ),
        "decision_delete": (
            "AFTER DELETE ON review_decisions",
            [(-1, "h", "OLD", "OLD"), (1, "h", None, "OLD")],
        ),
    }
    for name, (event, steps) in triggers.items():
        body = []
        for sign, household, decision, row in steps:
            if household == "h":  # the household as it is, under the decision row's old/new
                source = _current_household(row)
            else:  # the household's old/new row under its current decision
                source = f"FROM (SELECT 1){_own_decision(household)} WHERE true"
            body.append(_count(sign, household, decision, source))
        conn.execute(
            f"CREATE TRIGGER review_queue_counts_{name} {event} BEGIN {' '.join(body)} END"
        )
