"""The one module that owns the database: connections, transactions and schema migrations.

SQLite through sqlite-utils, in WAL mode with a busy timeout, so that many readers and one
writer at a time work side by side. Connections are opened in autocommit mode and every write
goes through `transaction(db)` (`BEGIN IMMEDIATE … COMMIT`): the write lock is taken up front,
so a check-then-insert inside it cannot race another writer, and nothing commits half-way.
(sqlite-utils' own `insert`/`upsert` helpers commit on their own; use them only outside
`transaction`, e.g. for seeding.)

Migrations are functions named `m<NNN>_<what>(conn)` in this module, plus those of the optional
modules in `MIGRATION_MODULES` (the review and province parts add theirs there). Each is applied
once, in order, in its own transaction together with its row in `schema_version`; they run on
every start and by `povcensus db upgrade`.
"""

from __future__ import annotations

import csv
import importlib
import inspect
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils
from flask import Flask, current_app, g

try:
    import fcntl
except ImportError:  # Windows: SQLite's busy timeout alone serialises writers
    fcntl = None

# Other parts of the server register their migrations by providing these modules.
MIGRATION_MODULES = ("server.db", "server.review.migrations", "server.province.migrations")
_MIGRATION_NAME = re.compile(r"^m(\d{3})_\w+$")


def utcnow() -> str:
    """The current time as ISO-8601 UTC with seconds (how every timestamp is stored)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def connect(path: str | Path, *, busy_timeout_ms: int = 30_000, synchronous: str = "NORMAL"):
    """Open the database file in WAL autocommit mode and wrap it in sqlite-utils.

    The file is created 0600 (SQLite gives its -wal and -shm the database's mode), and an
    existing file readable by others is tightened: every household is in it."""
    from server.security import make_private, private_umask

    with private_umask():
        conn = sqlite3.connect(
            str(path),
            timeout=busy_timeout_ms / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
        conn.execute("PRAGMA journal_mode=WAL")
    if str(path) != ":memory:":
        for suffix in ("", "-wal", "-shm"):
            make_private(f"{path}{suffix}")
    conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA wal_autocheckpoint=10000")
    # Packed records and payloads (server.packing) as text, for ad-hoc SQL and reports:
    # json_extract(unpacked(record), '$.village'). The server's own queries read columns.
    conn.create_function("unpacked", 1, _unpacked_or_null, deterministic=True)
    db = sqlite_utils.Database(conn)
    db.povcensus_path = str(path)  # for the cross-process write lock
    return db


def _unpacked_or_null(stored: bytes | str | None) -> str | None:
    from server.packing import unpack_text

    return None if stored is None else unpack_text(stored)


def open_app_db(app: Flask) -> sqlite_utils.Database:
    """A new connection configured from the app's settings (for CLI and background work)."""
    return connect(
        app.config["DATABASE"],
        busy_timeout_ms=app.config["SQLITE_BUSY_TIMEOUT_MS"],
        synchronous=str(app.config["SQLITE_SYNCHRONOUS"]).upper(),
    )


# Each server thread keeps its connection between requests (opening one costs more than a
# small request): waitress has a fixed pool of threads, so the number of connections is bounded.
_thread_connections = threading.local()


def get_db() -> sqlite_utils.Database:
    """The connection for the current request: this thread's connection to the app's database."""
    if "db" not in g:
        path = current_app.config["DATABASE"]
        cache = _thread_connections.__dict__.setdefault("by_path", {})
        if path not in cache:
            cache[path] = open_app_db(current_app)
        g.db = cache[path]
    return g.db


def close_db(_error: BaseException | None = None) -> None:
    """At the end of a request: never leave a transaction open on the kept connection."""
    db = g.pop("db", None)
    if db is not None and db.conn.in_transaction:
        db.conn.rollback()


def forget_thread_connections() -> None:
    """Close this thread's kept connections (tests, and before a database file is removed)."""
    for db in getattr(_thread_connections, "by_path", {}).values():
        db.conn.close()
    _thread_connections.__dict__.pop("by_path", None)


# One writer at a time: threads queue on a lock, and worker processes on an flock of a file
# beside the database, instead of in SQLite's busy handler, which sleeps in steps of
# milliseconds and would cap the ingest rate. SQLite's own locking still guards correctness.
_WRITE_LOCK = threading.RLock()
_lock_files: dict[tuple[int, str], int] = {}


@contextmanager
def _process_lock(db: sqlite_utils.Database) -> Iterator[None]:
    path = getattr(db, "povcensus_path", None)
    if fcntl is None or not path or path == ":memory:":
        yield
        return
    key = (os.getpid(), path)  # an fd inherited over fork() would share the lock: one per process
    if key not in _lock_files:
        _lock_files[key] = os.open(path + "-writelock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(_lock_files[key], fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(_lock_files[key], fcntl.LOCK_UN)


@contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite3.Connection]:
    """`BEGIN IMMEDIATE` … `COMMIT`, rolled back on any exception; yields the raw connection."""
    conn = db.conn
    if conn.in_transaction:  # nested use would commit the caller's work half-way
        raise RuntimeError("transaction() is already open on this connection")
    with _WRITE_LOCK, _process_lock(db):
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


def init_app(app: Flask) -> None:
    """Register teardown, migrate the database and seed the province's communes."""
    app.teardown_appcontext(close_db)
    with _private_folders():
        Path(app.config["DATABASE"]).parent.mkdir(parents=True, exist_ok=True)
    db = open_app_db(app)
    try:
        upgrade(db)
        seed_communes(db, app.config["PROVINCE"])
    finally:
        db.conn.close()


def _private_folders():
    from server.security import private_umask

    return private_umask()  # folders made here are 0700; existing ones are left alone


# --- migrations ---------------------------------------------------------------------------


def all_migrations() -> list[tuple[str, Callable[[sqlite3.Connection], None]]]:
    """Every known migration as (recorded name, function), in the order they apply."""
    found = []
    for module_name in MIGRATION_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name and module_name.startswith(error.name):
                continue
            raise
        functions = [
            (name, fn)
            for name, fn in inspect.getmembers(module, inspect.isfunction)
            if _MIGRATION_NAME.match(name) and fn.__module__ == module.__name__
        ]
        prefix = "" if module_name == "server.db" else module_name.rsplit(".", 2)[-2] + "."
        found += [(prefix + name, fn) for name, fn in sorted(functions)]
    return found


def applied_migrations(db: sqlite_utils.Database) -> list[str]:
    if "schema_version" not in db.table_names():
        return []
    return [row[0] for row in db.execute("SELECT name FROM schema_version ORDER BY rowid")]


def upgrade(
    db: sqlite_utils.Database, progress: Callable[[str, int, int], None] | None = None
) -> list[str]:
    """Apply every migration not yet recorded, then finish any data conversion (see
    `CONVERSIONS`); returns the names of the migrations applied now.

    `progress(conversion, done, total)` is called after each batch of a conversion; by default
    a progress bar is shown on stderr when a conversion has work to do."""
    applied = _apply_migrations(db)
    for conversion in CONVERSIONS:
        run_conversion(db, conversion, progress)
    return applied


def _apply_migrations(db: sqlite_utils.Database) -> list[str]:
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    done = set(applied_migrations(db))
    applied = []
    for name, migration in all_migrations():
        if name in done:
            continue
        with transaction(db) as conn:
            # Re-check inside the write lock: two processes may start at once.
            if conn.execute("SELECT 1 FROM schema_version WHERE name = ?", [name]).fetchone():
                continue
            migration(conn)
            conn.execute("INSERT INTO schema_version VALUES (?, ?)", [name, utcnow()])
        applied.append(name)
    return applied


def _script(conn: sqlite3.Connection, sql: str) -> None:
    """Run several statements inside the caller's transaction (executescript would commit)."""
    for statement in sql.split(";\n"):
        if statement.strip():
            conn.execute(statement)


def m001_initial(conn: sqlite3.Connection) -> None:
    """Every table of the first release."""
    _script(
        conn,
        """
CREATE TABLE communes (
    code TEXT PRIMARY KEY, province_code TEXT NOT NULL, province TEXT, name TEXT NOT NULL,
    kind TEXT, lat REAL, lon REAL, area_km2 REAL);
CREATE INDEX communes_province ON communes(province_code);
CREATE TABLE users (
    id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE, display_name TEXT,
    role TEXT NOT NULL CHECK (role IN ('enumerator', 'commune', 'province', 'admin')),
    password_hash TEXT, active INTEGER NOT NULL DEFAULT 1, created_at TEXT NOT NULL);
CREATE TABLE user_communes (
    user_id INTEGER NOT NULL REFERENCES users(id), commune_code TEXT NOT NULL REFERENCES communes(code),
    PRIMARY KEY (user_id, commune_code));
CREATE TABLE devices (
    id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, revoked_at TEXT, last_seen_at TEXT);
CREATE TABLE review_rounds (
    id INTEGER PRIMARY KEY, label TEXT NOT NULL UNIQUE, province_code TEXT NOT NULL,
    year INTEGER NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('annual', 'rolling')),
    standard TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    opened_at TEXT NOT NULL, closed_at TEXT);
CREATE UNIQUE INDEX one_open_annual_round ON review_rounds(province_code)
    WHERE status = 'open' AND kind = 'annual';
CREATE TABLE submissions (
    seq INTEGER PRIMARY KEY, form_id TEXT NOT NULL, instance_id TEXT NOT NULL,
    form_version TEXT NOT NULL, format TEXT NOT NULL CHECK (format IN ('json', 'xml')),
    payload TEXT NOT NULL, sha256 TEXT NOT NULL, base_id TEXT, household_id TEXT NOT NULL,
    round_id INTEGER NOT NULL REFERENCES review_rounds(id), device_id INTEGER, user_id INTEGER,
    received_at TEXT NOT NULL, UNIQUE (form_id, instance_id));
CREATE INDEX submissions_household ON submissions(household_id);
CREATE TRIGGER submissions_no_update BEFORE UPDATE ON submissions
    BEGIN SELECT RAISE(ABORT, 'submissions are append-only'); END;
CREATE TRIGGER submissions_no_delete BEFORE DELETE ON submissions
    BEGIN SELECT RAISE(ABORT, 'submissions are append-only'); END;
CREATE TABLE attachments (
    form_id TEXT NOT NULL, instance_id TEXT NOT NULL, name TEXT NOT NULL, content_type TEXT,
    sha256 TEXT NOT NULL, size INTEGER NOT NULL, data BLOB NOT NULL, received_at TEXT NOT NULL,
    PRIMARY KEY (form_id, instance_id, name));
CREATE TABLE households (
    round_id INTEGER NOT NULL REFERENCES review_rounds(id), household_id TEXT NOT NULL,
    commune_code TEXT NOT NULL, version INTEGER NOT NULL, submission_id TEXT NOT NULL,
    record TEXT NOT NULL, classification TEXT, status TEXT NOT NULL DEFAULT 'submitted',
    updated_at TEXT NOT NULL, PRIMARY KEY (round_id, household_id));
CREATE INDEX households_commune ON households(round_id, commune_code);
CREATE TABLE household_versions (
    round_id INTEGER NOT NULL, household_id TEXT NOT NULL, version INTEGER NOT NULL,
    submission_id TEXT NOT NULL, record TEXT NOT NULL, classification TEXT,
    created_at TEXT NOT NULL, PRIMARY KEY (round_id, household_id, version));
CREATE TABLE scores (
    id INTEGER PRIMARY KEY, round_id INTEGER NOT NULL, household_id TEXT NOT NULL,
    household_version INTEGER NOT NULL, standard TEXT NOT NULL, standard_version TEXT,
    mode TEXT NOT NULL, official INTEGER NOT NULL, provisional INTEGER,
    classification TEXT, deprivation_count INTEGER, result TEXT NOT NULL, input TEXT NOT NULL,
    scored_at TEXT NOT NULL,
    UNIQUE (round_id, household_id, household_version, standard, mode));
CREATE TABLE quarantine (
    id INTEGER PRIMARY KEY, form_id TEXT NOT NULL, instance_id TEXT NOT NULL,
    household_id TEXT, commune_code TEXT, round_id INTEGER, reason TEXT NOT NULL,
    current_id TEXT, base_id TEXT, format TEXT NOT NULL, payload TEXT NOT NULL,
    sha256 TEXT NOT NULL, device_id INTEGER, user_id INTEGER, received_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open', resolved_by INTEGER, resolved_at TEXT, resolution TEXT,
    UNIQUE (form_id, instance_id, sha256));
CREATE TABLE review_events (
    id INTEGER PRIMARY KEY, round_id INTEGER, household_id TEXT, commune_code TEXT,
    action TEXT NOT NULL, comment TEXT, data TEXT, user_id INTEGER, created_at TEXT NOT NULL);
CREATE INDEX review_events_household ON review_events(round_id, household_id);
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, user_id INTEGER, action TEXT NOT NULL,
    target TEXT, details TEXT, ip TEXT);
CREATE TABLE changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, round_id INTEGER, commune_code TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('assignment', 'decision')), household_id TEXT NOT NULL,
    data TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE INDEX changes_commune ON changes(commune_code, seq)
""",
    )


def m002_device_token_expiry(conn: sqlite3.Connection) -> None:
    """Device tokens may expire (`povcensus tokens issue --days N`)."""
    conn.execute("ALTER TABLE devices ADD COLUMN expires_at TEXT")


def m010_session_generation(conn: sqlite3.Connection) -> None:
    """Server-side revocation of web sessions: a cookie is valid only for the generation it
    was issued under; logout, disabling and a password change bump it."""
    conn.execute("ALTER TABLE users ADD COLUMN session_generation INTEGER NOT NULL DEFAULT 0")


def m020_form_versions(conn: sqlite3.Connection) -> None:
    """Every form version ever served: their finalized instances stay acceptable until retired."""
    conn.execute(
        "CREATE TABLE form_versions (form_id TEXT NOT NULL, version TEXT NOT NULL,"
        " md5 TEXT NOT NULL, first_served_at TEXT NOT NULL, retired_at TEXT,"
        " PRIMARY KEY (form_id, version))"
    )


# Members of every current household: a derived index for the duplicate-person check
# (survey_forms.persons), never a copy to edit. Kept by triggers from `households.record`
# until m064; since then written with the household by server.household_rows.
_PERSONS_FROM = """SELECT h.round_id, h.household_id, h.commune_code,
    json_extract(m.value, '$.member_no'), json_extract(m.value, '$.name'),
    json_extract(m.value, '$.birth_year'), json_extract(m.value, '$.citizen_id')
    FROM json_each({record}, '$.members') m"""


def m030_person_index(conn: sqlite3.Connection) -> None:
    """Issue 12: the `persons` index of current household members (duplicate persons)."""
    insert_new = "INSERT INTO persons " + _PERSONS_FROM.replace("h.", "NEW.").format(
        record="NEW.record"
    )
    forget_old = (
        "DELETE FROM persons WHERE round_id = OLD.round_id AND household_id = OLD.household_id"
    )
    statements = [
        "CREATE TABLE persons (round_id INTEGER NOT NULL, household_id TEXT NOT NULL,"
        " commune_code TEXT NOT NULL, member_no INTEGER, name TEXT, birth_year INTEGER,"
        " citizen_id TEXT)",
        "CREATE INDEX persons_household ON persons(round_id, household_id)",
        "CREATE INDEX persons_commune ON persons(round_id, commune_code)",
        "CREATE INDEX persons_citizen_id ON persons(round_id, citizen_id)"
        " WHERE citizen_id IS NOT NULL",
        f"CREATE TRIGGER households_persons_insert AFTER INSERT ON households"
        f" BEGIN {insert_new}; END",
        f"CREATE TRIGGER households_persons_update AFTER UPDATE OF record, commune_code"
        f" ON households BEGIN {forget_old}; {insert_new}; END",
        f"CREATE TRIGGER households_persons_delete AFTER DELETE ON households"
        f" BEGIN {forget_old}; END",
    ]
    for statement in statements:
        conn.execute(statement)
    # Filled from the records as they were then (plain JSON); see rebuild_person_index today.
    conn.execute(
        "INSERT INTO persons "
        + _PERSONS_FROM.format(record="h.record").replace(
            "FROM json_each", "FROM households h, json_each"
        )
    )


def rebuild_person_index(conn: sqlite3.Connection) -> None:
    """Recompute `persons` from the households' records (it is derived: nothing is lost)."""
    from server.household_rows import person_rows, record_of

    conn.execute("DELETE FROM persons")
    found = conn.execute("SELECT round_id, household_id, commune_code, record FROM households")
    while rows := found.fetchmany(1_000):
        conn.executemany(
            "INSERT INTO persons VALUES (?,?,?,?,?,?,?,?)",
            [row for r in rows for row in person_rows(r[0], r[1], r[2], record_of(r[3]))],
        )


def m060_scores_without_input(conn: sqlite3.Connection) -> None:
    """Issue 16: a score row no longer keeps a copy of its input record (3–5 KB each, never
    read): the scored version's record is the household's submission, stored verbatim."""
    conn.execute("ALTER TABLE scores DROP COLUMN input")


def m061_versions_point_at_submissions(conn: sqlite3.Connection) -> None:
    """Issue 16: a household version points at its submission (`submission_id`, kept since
    m001) instead of holding another copy of the record (never read)."""
    conn.execute("ALTER TABLE household_versions DROP COLUMN record")


def m062_household_lookup_index(conn: sqlite3.Connection) -> None:
    """Issue 16: `GET /api/v1/households/<id>` finds a household in any round by its id; the
    primary key starts with the round, so without this index the lookup scans the table."""
    conn.execute("CREATE INDEX households_household ON households(household_id)")


def m063_scores_result_compressed(conn: sqlite3.Connection) -> None:
    """Issue 16: the deprived indicators get their own column (what the province tables
    read), and the full result is stored compressed (≈ 7 KB of JSON → ≈ 0.4 KB, zlib with a
    preset dictionary; see server.score_result). BLOBs keep their type in the TEXT column, so
    no table rebuild. The rows are converted by the `scores_packed` conversion."""
    conn.execute("ALTER TABLE scores ADD COLUMN deprivations TEXT")


def m064_households_projection(conn: sqlite3.Connection) -> None:
    """Issue 16: the household row keeps, in plain columns, what the queue filters and sorts on
    (village, head's name, address), and its validated record packed (≈ 2.7 KB → ≈ 0.25 KB,
    server.packing) — rows are converted by the `households_packed` conversion. SQL can no
    longer read the packed record, so the `persons` index is written by the code that writes
    a household (server.household_rows) instead of by triggers, and the queue's indexes on the
    record's JSON are replaced by indexes on the columns."""
    for column in PROJECTION:
        conn.execute(f"ALTER TABLE households ADD COLUMN {column} TEXT")
    for trigger in ("insert", "update", "delete"):
        conn.execute(f"DROP TRIGGER IF EXISTS households_persons_{trigger}")
    _drop_record_expression_indexes(conn)
    conn.execute("CREATE INDEX households_village ON households(round_id, commune_code, village)")
    conn.execute("CREATE INDEX households_head ON households(round_id, commune_code, head_name)")


def m065_submissions_packed(conn: sqlite3.Connection) -> None:
    """Issue 16: raw submissions are stored packed (lossless; ≈ 4 KB of ODK XML or 2.8 KB of
    JSON → ≈ 0.25 KB, server.packing), converted by the `submissions_packed` conversion. The
    payload still unpacks to exactly the bytes received; its sha256 is unchanged."""


def m066_person_name_key(conn: sqlite3.Connection) -> None:
    """Issue 16: `persons.name_key` (the normalised name, survey_forms.persons.normalise_name)
    indexed with the commune and birth year, so a queue page reads only the members that can
    match its own instead of every member of the commune of those birth years (≈ 90 % of a
    page's time at 3,000 households). Filled by the `persons_name_key` conversion."""
    conn.execute("ALTER TABLE persons ADD COLUMN name_key TEXT")
    conn.execute("DROP INDEX IF EXISTS persons_commune")  # a prefix of the new index
    conn.execute(
        "CREATE INDEX persons_name ON persons(round_id, commune_code, name_key, birth_year)"
    )


def m067_household_writes(conn: sqlite3.Connection) -> None:
    """Issue 16: a counter of household writes per round and commune, bumped in the same
    transaction as each write (server.household_rows), so the dashboard knows which communes'
    figures are stale without counting 4 million households on every view."""
    conn.execute(
        "CREATE TABLE household_writes (round_id INTEGER NOT NULL, commune_code TEXT NOT NULL,"
        " writes INTEGER NOT NULL, PRIMARY KEY (round_id, commune_code))"
    )
    conn.execute(
        "INSERT INTO household_writes SELECT round_id, commune_code, sum(version) FROM households"
        " GROUP BY round_id, commune_code"
    )


def m068_households_deprivation_count(conn: sqlite3.Connection) -> None:
    """Issue 16: the official score's deprivation count beside the household (written with
    it, filled for older rows by the `households_deprivation_count` conversion) and indexed,
    so the queue sorted by deprivations reads one index instead of one score per household."""
    conn.execute("ALTER TABLE households ADD COLUMN deprivation_count INTEGER")
    conn.execute(
        "CREATE INDEX households_deprivations"
        " ON households(round_id, commune_code, deprivation_count DESC, household_id)"
    )


def m069_household_summary(conn: sqlite3.Connection) -> None:
    """Issue 16: what the province's figures read of a household besides its classes — area,
    head's ethnicity, number of members (server.household_rows.household_summary) — as
    columns, filled for older rows by the `households_summary` conversion; and a cache of each
    household version's global-MPI c_i (derived, computed once per version by the
    aggregates). With both, recomputing a commune's figures after a decision reads no record."""
    for column, kind in (("area", "TEXT"), ("head_ethnicity", "TEXT"), ("member_count", "INTEGER")):
        conn.execute(f"ALTER TABLE households ADD COLUMN {column} {kind}")
    conn.execute(
        "CREATE TABLE household_mpi (round_id INTEGER NOT NULL, household_id TEXT NOT NULL,"
        " version INTEGER NOT NULL, c_i REAL NOT NULL, PRIMARY KEY (round_id, household_id))"
    )


def _drop_record_expression_indexes(conn: sqlite3.Connection) -> None:
    # Created by review.m002 (on json_extract of the record): SQLite would evaluate them on
    # every write of a packed record, and fail.
    conn.execute("DROP INDEX IF EXISTS review_households_village")
    conn.execute("DROP INDEX IF EXISTS review_households_head")


# --- data conversions ---------------------------------------------------------------------
#
# Converting every row of a large table (4 million households) in one migration would hold
# the write lock for half an hour and start again from nothing after an interruption. So a
# migration changes the schema only, and its rows are converted afterwards in batches by row
# id, each batch in its own transaction together with the position reached
# (`migration_progress`): an interrupted conversion resumes where it stopped. Every reader
# accepts both the old and the new form of a row (a half-converted file stays readable, by
# `povcensus backup` for instance); the server starts serving once every conversion is done.

PROJECTION = ("village", "head_name", "address")  # households' plain columns, from the record
CONVERSION_BATCH = 2_000


@dataclass(frozen=True)
class Conversion:
    """Rows of `table` converted by `sql` (parameters: first and last+1 of the `key` column);
    `wrap`: lift the submissions' append-only guard inside each batch."""

    name: str
    table: str
    key: str
    sql: str
    wrap: bool = False


_SUBMISSIONS_NO_UPDATE = (
    "CREATE TRIGGER submissions_no_update BEFORE UPDATE ON submissions"
    "\n    BEGIN SELECT RAISE(ABORT, 'submissions are append-only'); END"
)

CONVERSIONS = (
    Conversion(
        "scores_packed",
        "scores",
        "id",
        "UPDATE scores SET deprivations = json_extract(result, '$.deprivations'),"
        " result = povcensus_pack_result(result)"
        " WHERE id >= ? AND id < ? AND typeof(result) = 'text'",
    ),
    Conversion(
        "households_packed",
        "households",
        "rowid",
        "UPDATE households SET "
        + ", ".join(f"{column} = json_extract(record, '$.{column}')" for column in PROJECTION)
        + ", record = povcensus_pack_text(record)"
        " WHERE rowid >= ? AND rowid < ? AND typeof(record) = 'text'",
    ),
    Conversion(
        "submissions_packed",
        "submissions",
        "seq",
        "UPDATE submissions SET payload = povcensus_pack_text(payload)"
        " WHERE seq >= ? AND seq < ? AND typeof(payload) = 'text'",
        wrap=True,  # submissions are append-only: the guard is lifted inside the batch only
    ),
    Conversion(
        "households_deprivation_count",
        "households",
        "rowid",
        "UPDATE households SET deprivation_count = (SELECT s.deprivation_count FROM scores s"
        " WHERE s.round_id = households.round_id AND s.household_id = households.household_id"
        " AND s.household_version = households.version AND s.official = 1 ORDER BY s.mode"
        " LIMIT 1) WHERE rowid >= ? AND rowid < ? AND deprivation_count IS NULL",
    ),
    Conversion(
        "households_summary",
        "households",
        "rowid",
        "UPDATE households SET area = json_extract(povcensus_unpacked(record), '$.area'),"
        " member_count = coalesce(json_array_length(povcensus_unpacked(record), '$.members'), 0),"
        " head_ethnicity = (SELECT json_extract(m.value, '$.ethnicity') FROM"
        " json_each(povcensus_unpacked(households.record), '$.members') m"
        " WHERE json_extract(m.value, '$.relation') = 'head' LIMIT 1)"
        " WHERE rowid >= ? AND rowid < ? AND member_count IS NULL",
    ),
    Conversion(
        "persons_name_key",
        "persons",
        "rowid",
        "UPDATE persons SET name_key = povcensus_name_key(name)"
        " WHERE rowid >= ? AND rowid < ? AND name_key IS NULL AND name IS NOT NULL",
    ),
)


def run_conversion(
    db: sqlite_utils.Database,
    conversion: Conversion,
    progress: Callable[[str, int, int], None] | None = None,
) -> None:
    """Convert the rows of one conversion not converted yet, in batches (resumable)."""
    from server.packing import pack_text
    from server.score_result import pack_result_json
    from survey_forms.persons import normalise_name

    db.execute(
        "CREATE TABLE IF NOT EXISTS migration_progress (name TEXT PRIMARY KEY,"
        " next_id INTEGER NOT NULL DEFAULT 0, finished_at TEXT)"
    )
    found = db.execute(
        "SELECT next_id, finished_at FROM migration_progress WHERE name = ?", [conversion.name]
    ).fetchone()
    if found and found[1]:
        return
    first, last = db.execute(
        f"SELECT min({conversion.key}), max({conversion.key}) FROM {conversion.table}"
    ).fetchone()
    start = found[0] if found else (first or 0)
    conn = db.conn
    conn.create_function("povcensus_pack_text", 1, pack_text, deterministic=True)
    conn.create_function("povcensus_pack_result", 1, pack_result_json, deterministic=True)
    conn.create_function("povcensus_name_key", 1, normalise_name, deterministic=True)
    conn.create_function("povcensus_unpacked", 1, _unpacked_or_null, deterministic=True)
    total = max(0, (last or 0) - start + 1)
    report = progress or (_progress_bar() if total > 10 * CONVERSION_BATCH else None)
    while last is not None and start <= last:
        end = start + CONVERSION_BATCH
        with transaction(db) as conn:
            if conversion.wrap:
                conn.execute("DROP TRIGGER submissions_no_update")
            conn.execute(conversion.sql, [start, end])
            if conversion.wrap:
                conn.execute(_SUBMISSIONS_NO_UPDATE)
            _mark(conn, conversion.name, end, None)
        start = end
        if report:
            report(conversion.name, min(end, last + 1) - (last + 1 - total), total)
    with transaction(db) as conn:
        _mark(conn, conversion.name, start, utcnow())


def _mark(conn: sqlite3.Connection, name: str, next_id: int, finished_at: str | None) -> None:
    conn.execute(
        "INSERT INTO migration_progress (name, next_id, finished_at) VALUES (?, ?, ?)"
        " ON CONFLICT (name) DO UPDATE SET next_id = excluded.next_id,"
        " finished_at = excluded.finished_at",
        [name, next_id, finished_at],
    )


def _progress_bar() -> Callable[[str, int, int], None]:
    """A progress bar per conversion on stderr (tqdm), for `db upgrade` and a server start."""
    from tqdm import tqdm

    bars: dict[str, Any] = {}

    def report(name: str, done: int, total: int) -> None:
        if name not in bars:
            bars[name] = tqdm(total=total, desc=f"converting {name}", unit="rows", mininterval=2.0)
        bar = bars[name]
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return report


# --- seeding ------------------------------------------------------------------------------

_COMMUNE_FIELDS = ("code", "province_code", "province", "name", "kind", "lat", "lon", "area_km2")


def seed_communes(db: sqlite_utils.Database, province: str) -> int:
    """Load the province's communes once (from survey_forms' national list); returns rows added."""
    present = db.execute("SELECT count(*) FROM communes WHERE province_code = ?", [province])
    if present.fetchone()[0]:
        return 0
    rows = list(_commune_rows(province))
    with transaction(db) as conn:
        conn.executemany(
            f"INSERT OR IGNORE INTO communes ({', '.join(_COMMUNE_FIELDS)}) VALUES "
            f"({', '.join('?' * len(_COMMUNE_FIELDS))})",
            [[row.get(field) for field in _COMMUNE_FIELDS] for row in rows],
        )
    return len(rows)


def _commune_rows(province: str) -> Iterator[dict[str, Any]]:
    try:
        from survey_forms import communes
    except ImportError:  # survey_forms.communes not built yet: read its documented CSV
        yield from _communes_from_csv(province)
        return
    found = communes.province_communes(province)
    for commune in found.values() if isinstance(found, dict) else found:
        data = commune if isinstance(commune, dict) else _as_dict(commune)
        yield {
            "code": data.get("commune_code") or data.get("code"),
            "province_code": province,
            **{k: data.get(k) for k in ("province", "name", "kind", "lat", "lon", "area_km2")},
        }


def _communes_from_csv(province: str) -> Iterator[dict[str, Any]]:
    import survey_forms

    path = Path(survey_forms.__file__).parent / "data" / "communes.csv"
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["province_code"] == province:
                yield {**row, "code": row["commune_code"]}


def _as_dict(value: Any) -> dict[str, Any]:
    if hasattr(value, "_asdict"):
        return value._asdict()
    if hasattr(value, "__dataclass_fields__"):
        import dataclasses

        return dataclasses.asdict(value)
    return vars(value)
