"""The client's local store: one SQLite file holding everything a device must not lose.

`Outbox(path)` keeps the server URL and device token (the file is chmod 0600), the outbox of
household versions, what the server answered for each, conflicts with both versions, the
assignments and review decisions pulled from the server, and the pull cursor.

Why it survives a kill -9 or a power cut at any instant: every change is one SQLite transaction
(WAL, `synchronous=FULL`), and the push protocol never needs two of them to agree:

- an item's client UUID and the exact bytes of its record are written ONCE, at enqueue, and
  never change; its `base` can change only while it is still `queued` (never sent: when the
  version it was built on is rejected, it is rebased on that one's base). From its first send
  on, a retry after any failure posts the same id with the same content, which the server
  answers `duplicate`, so a household is stored exactly once;
- an item is marked `sending` (committed) before it goes on the wire, so `queued` always means
  "never sent" and may be superseded by an edit without the server ever seeing it;
- a batch's answers are recorded in one transaction; if the process dies before that, the items
  stay `sending` and are simply posted again.

Item states: queued → sending → accepted | rejected | conflict; `superseded` (a queued version
replaced by an edit before it was ever sent), `resolved` (a conflict the user settled), `server`
(a copy of the server's version taken when resolving a conflict; never pushed).
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from offline_sync.protocol import ACCEPTED, CONFLICT, DUPLICATE, REJECTED, canonical_json

STORE_ENV = "POVCENSUS_SYNC_STORE"
PENDING_STATES = ("queued", "sending")
# States after which an item is the household's newest version the server knows (an edit's base).
ON_SERVER_STATES = ("sending", "accepted", "server")
_SKIPPED_STATES = ("superseded", "resolved")

SCHEMA = """
CREATE TABLE IF NOT EXISTS config (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    household_id TEXT NOT NULL,
    base TEXT,
    form_id TEXT NOT NULL,
    form_version TEXT NOT NULL,
    record TEXT NOT NULL,
    source TEXT,
    state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'accepted', 'rejected',
        'conflict', 'superseded', 'resolved', 'server')),
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    answered_at TEXT,
    outcome TEXT,
    version INTEGER,
    classification TEXT,
    errors TEXT,
    conflict TEXT,
    replaced_by TEXT
);
CREATE INDEX IF NOT EXISTS outbox_household ON outbox (household_id, seq);
CREATE INDEX IF NOT EXISTS outbox_state ON outbox (state, seq);
CREATE TABLE IF NOT EXISTS conflicts (
    item_id TEXT PRIMARY KEY REFERENCES outbox (id),
    household_id TEXT NOT NULL,
    reason TEXT,
    current_id TEXT,
    server_version INTEGER,
    server_record TEXT,
    detected_at TEXT NOT NULL,
    resolved_at TEXT,
    resolution TEXT CHECK (resolution IN ('keep_mine', 'take_server'))
);
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    household_id TEXT NOT NULL,
    round TEXT,
    data TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS changes_household ON changes (household_id, seq);
"""


class StoreError(Exception):
    """A store operation a person asked for cannot be done (message in English and Vietnamese)."""

    def __init__(self, message_en: str, message_vi: str) -> None:
        super().__init__(f"{message_en} / {message_vi}")
        self.message_en = message_en
        self.message_vi = message_vi


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def default_store_path() -> Path:
    """`$POVCENSUS_SYNC_STORE`, else `sync.sqlite3` in the per-user data directory."""
    if os.environ.get(STORE_ENV):
        return Path(os.environ[STORE_ENV]).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "povcensus" / "sync.sqlite3"


def _create_private(path: Path) -> None:
    """Create the store file readable by its owner only (it holds the device token).

    SQLite creates its -wal and -shm files with the database file's permissions, so they are
    private too.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    if os.name == "posix":
        os.chmod(path, 0o600)


class Outbox:
    """The local store (see the module docstring). One instance per process; not thread-safe."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_store_path()
        _create_private(self.path)
        self.conn = sqlite3.connect(str(self.path), timeout=30, isolation_level=None)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed transaction survives a power cut, not only a process kill.
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        with self.transaction() as conn:
            for statement in SCHEMA.split(";\n"):
                if statement.strip():
                    conn.execute(statement)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def exclusive(self, what: str = "push") -> Iterator[None]:
        """Hold the store's lock file: one push (or pull) at a time on one store.

        Two pushes at once would still store each household once (the server answers the
        second post `duplicate`), but would send everything twice. The lock is released when
        the process ends, even by kill -9.
        """
        try:
            import fcntl
        except ImportError:  # not POSIX: no lock, still safe (see above)
            yield
            return
        with open(f"{self.path}.lock", "a", encoding="utf-8") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StoreError(
                    f"another {what} is running on {self.path}; wait for it to finish",
                    f"một lệnh {what} khác đang chạy trên {self.path}; hãy chờ nó xong",
                ) from None
            yield

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT; rolled back on any exception."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # --- config ---------------------------------------------------------------------------

    def get_config(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM config WHERE key = ?", [key]).fetchone()
        return row[0] if row else default

    def set_config(self, **values: str | int | None) -> None:
        with self.transaction() as conn:
            for key, value in values.items():
                if value is None:
                    conn.execute("DELETE FROM config WHERE key = ?", [key])
                else:
                    conn.execute(
                        "INSERT INTO config (key, value) VALUES (?, ?) ON CONFLICT (key)"
                        " DO UPDATE SET value = excluded.value",
                        [key, str(value)],
                    )

    @property
    def cursor(self) -> int:
        """The pull cursor: the last change `seq` stored (0 before the first pull)."""
        return int(self.get_config("pull_cursor", "0"))

    # --- capture --------------------------------------------------------------------------

    def enqueue(
        self, record: dict[str, Any], *, source: str | None = None, replace: bool = False
    ) -> dict[str, Any] | None:
        """Queue one (already validated) household version; returns the item, or None when the
        household's newest local version already has exactly this content (a re-import).

        A household the store already holds is refused unless `replace=True` (then this is an
        edit: a new version naming the one it replaces, see `edit`).
        """
        with self.transaction():
            return self._enqueue_one(record, source, replace)

    def enqueue_many(
        self,
        records: Iterable[tuple[dict[str, Any], str | None]],
        *,
        replace: bool = False,
    ) -> list[dict[str, Any] | StoreError | None]:
        """`enqueue` for many (record, source) pairs in ONE transaction (one disk sync instead
        of one per household); a refused household gives its `StoreError` in the result list
        and does not stop the others."""
        results: list[dict[str, Any] | StoreError | None] = []
        with self.transaction():
            for record, source in records:
                try:
                    results.append(self._enqueue_one(record, source, replace))
                except StoreError as error:
                    results.append(error)
        return results

    def _enqueue_one(self, record: dict[str, Any], source: str | None, replace: bool):
        household_id = _household_id(record)
        latest = self._latest(household_id)
        if latest is not None and latest["record"] == canonical_json(record).decode():
            return None
        if latest is not None and not replace:
            raise StoreError(
                f"household {household_id} is already in the store; use `sync edit` or"
                " --replace to queue a new version",
                f"hộ {household_id} đã có trong kho; dùng `sync edit` hoặc --replace để"
                " thêm phiên bản mới",
            )
        return self._insert_version(record, source)

    def edit(self, record: dict[str, Any], *, source: str | None = None) -> dict[str, Any]:
        """Queue a new version of a household the store holds (or was assigned)."""
        household_id = _household_id(record)
        with self.transaction():
            if self._latest(household_id) is None and not self.assignment(household_id):
                raise StoreError(
                    f"household {household_id} is not in the store; use `sync add`",
                    f"hộ {household_id} chưa có trong kho; dùng `sync add`",
                )
            return self._insert_version(record, source)

    def _insert_version(self, record: dict[str, Any], source: str | None) -> dict[str, Any]:
        """Inside a transaction: the new item with its UUID, assigned now and never again."""
        household_id = _household_id(record)
        item_id = str(uuid.uuid4())
        base = self._base_for_new_version(household_id, item_id)
        self.conn.execute(
            "INSERT INTO outbox (id, household_id, base, form_id, form_version, record, source,"
            " state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?)",
            [
                item_id,
                household_id,
                base,
                record.get("form_id") or "povcensus_household",
                record.get("form_version") or "2026.1",
                canonical_json(record).decode(),
                source,
                utcnow(),
            ],
        )
        return self.get(item_id)

    def _base_for_new_version(self, household_id: str, new_id: str) -> str | None:
        """The submission the new version edits, updating the version it replaces.

        A `queued` version was never sent: it is superseded and the new one takes its base. A
        version that may be on the server (sending, accepted, a server copy) becomes the base.
        A rejected one is replaced by the fix (which takes its base). An open conflict must be
        resolved first, so nothing is overwritten silently.
        """
        self._refuse_if_conflict(household_id)
        latest = self._latest(household_id)
        if latest is None:
            return None
        state = latest["state"]
        if state in ON_SERVER_STATES:
            return latest["id"]
        new_state = "superseded" if state == "queued" else state  # rejected stays rejected
        self.conn.execute(
            "UPDATE outbox SET state = ?, replaced_by = ? WHERE id = ?",
            [new_state, new_id, latest["id"]],
        )
        return latest["base"]

    def _refuse_if_conflict(self, household_id: str) -> None:
        row = self.conn.execute(
            "SELECT item_id FROM conflicts WHERE household_id = ? AND resolved_at IS NULL",
            [household_id],
        ).fetchone()
        if row is not None:
            raise StoreError(
                f"household {household_id} has an unresolved conflict (item {row[0]});"
                " run `sync resolve` first",
                f"hộ {household_id} đang xung đột (mục {row[0]}); hãy chạy `sync resolve` trước",
            )

    def _latest(self, household_id: str) -> dict[str, Any] | None:
        """The household's newest live version (superseded/resolved and fixed ones skipped)."""
        row = self.conn.execute(
            "SELECT * FROM outbox WHERE household_id = ? AND state NOT IN (?, ?)"
            " AND replaced_by IS NULL ORDER BY seq DESC LIMIT 1",
            [household_id, *_SKIPPED_STATES],
        ).fetchone()
        return dict(row) if row else None

    # --- reading --------------------------------------------------------------------------

    def get(self, item_id: str) -> dict[str, Any] | None:
        """One item by id (a unique id prefix of 8+ characters also works)."""
        row = self.conn.execute("SELECT * FROM outbox WHERE id = ?", [item_id]).fetchone()
        if row is None and len(item_id) >= 8:
            rows = self.conn.execute(
                "SELECT * FROM outbox WHERE id LIKE ? LIMIT 2", [item_id + "%"]
            ).fetchall()
            row = rows[0] if len(rows) == 1 else None
        return _item(row) if row else None

    def latest(self, household_id: str) -> dict[str, Any] | None:
        """The household's newest live version, record parsed."""
        found = self._latest(household_id)
        return self.get(found["id"]) if found else None

    def versions(self, household_id: str) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT * FROM outbox WHERE household_id = ? ORDER BY seq", [household_id]
        )
        return [_item(row) for row in rows]

    def items(self, *, states: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """Items (record not parsed, for listing), oldest first, optionally of some states."""
        sql, args = "SELECT * FROM outbox", []
        if states is not None:
            states = list(states)
            sql += f" WHERE state IN ({', '.join('?' * len(states))})"
            args = states
        return [dict(row) for row in self.conn.execute(sql + " ORDER BY seq", args)]

    def counts(self) -> dict[str, int]:
        """Items per state, plus rejected ones not yet fixed by a newer version."""
        found = dict.fromkeys(("queued", "sending", "accepted", "rejected", "conflict"), 0)
        for state, count in self.conn.execute(
            "SELECT state, count(*) FROM outbox WHERE state != 'server' GROUP BY state"
        ):
            found[state] = count
        found["rejected_open"] = self.conn.execute(
            "SELECT count(*) FROM outbox WHERE state = 'rejected' AND replaced_by IS NULL"
        ).fetchone()[0]
        return found

    # --- push -----------------------------------------------------------------------------

    def pending_count(self) -> int:
        return self.conn.execute(
            "SELECT count(*) FROM outbox WHERE state IN (?, ?)", PENDING_STATES
        ).fetchone()[0]

    def next_batch(self, limit: int, *, after_seq: int = 0) -> list[dict[str, Any]]:
        """The oldest pending items (queued or sent without an answer), in enqueue order."""
        rows = self.conn.execute(
            "SELECT seq, id, household_id, base, form_id, form_version, record FROM outbox"
            " WHERE state IN (?, ?) AND seq > ?"
            # a queued edit of a household in conflict waits for the resolution
            " AND NOT (state = 'queued' AND household_id IN"
            " (SELECT household_id FROM conflicts WHERE resolved_at IS NULL))"
            " ORDER BY seq LIMIT ?",
            [*PENDING_STATES, after_seq, limit],
        )
        return [dict(row) for row in rows]

    def mark_sending(self, item_ids: list[str]) -> None:
        """Committed BEFORE the batch goes on the wire (see the module docstring)."""
        now = utcnow()
        with self.transaction() as conn:
            conn.executemany(
                "UPDATE outbox SET state = 'sending', attempts = attempts + 1, sent_at = ?"
                " WHERE id = ? AND state IN ('queued', 'sending')",
                [(now, item_id) for item_id in item_ids],
            )

    def record_results(self, results: list[dict[str, Any]]) -> dict[str, int]:
        """Store the server's answers for a batch in one transaction; returns counts."""
        counts = dict.fromkeys((ACCEPTED, DUPLICATE, CONFLICT, REJECTED), 0)
        now = utcnow()
        with self.transaction() as conn:
            for result in results:
                outcome = result.get("outcome")
                if outcome not in counts:
                    continue  # not one of ours to record; the item stays pending
                counts[outcome] += 1
                self._record_one(conn, result, outcome, now)
        return counts

    def _record_one(self, conn, result: dict[str, Any], outcome: str, now: str) -> None:
        state = ACCEPTED if outcome in (ACCEPTED, DUPLICATE) else outcome
        conn.execute(
            "UPDATE outbox SET state = ?, outcome = ?, version = ?, classification = ?,"
            " errors = ?, conflict = ?, answered_at = ? WHERE id = ? AND state = 'sending'",
            [
                state,
                outcome,
                result.get("version"),
                result.get("classification"),
                json.dumps(result.get("errors") or [], ensure_ascii=False),
                json.dumps(result.get("conflict"), ensure_ascii=False),
                now,
                result.get("id"),
            ],
        )
        if state == REJECTED:
            # The server never stored it: queued (never sent) edits built on it are rebased on
            # what it was built on, or they would all come back as conflicts.
            conn.execute(
                "UPDATE outbox SET base = (SELECT base FROM outbox WHERE id = ?)"
                " WHERE base = ? AND state = 'queued'",
                [result.get("id"), result.get("id")],
            )
        if state == CONFLICT:
            details = result.get("conflict") or {}
            conn.execute(
                "INSERT OR IGNORE INTO conflicts (item_id, household_id, reason, current_id,"
                " detected_at) SELECT id, household_id, ?, ?, ? FROM outbox WHERE id = ?",
                [details.get("reason"), details.get("current_id"), now, result.get("id")],
            )

    def requeue_rejected(self) -> int:
        """Queue the unfixed rejected items again, unchanged (same id and content).

        For rejections that may pass later (no open round yet, a commune assigned since): the
        server stored nothing for them, so the same id can be posted again. Returns how many.
        """
        with self.transaction() as conn:
            return conn.execute(
                "UPDATE outbox SET state = 'queued' WHERE state = 'rejected' AND replaced_by IS NULL"
            ).rowcount

    def rejected_open(self) -> list[dict[str, Any]]:
        """Rejected items no newer version replaced: what `sync discard` may remove."""
        return [item for item in self.items(states=["rejected"]) if item["replaced_by"] is None]

    def discard_rejected(self, item_ids: Iterable[str] | None = None) -> list[str]:
        """Remove rejected items (all open ones, or those of `item_ids` — full ids or unique
        prefixes) from the store. The server stored nothing for them, so nothing is lost
        there; returns the removed ids. An id that is not an open rejected item is refused."""
        open_ids = [item["id"] for item in self.rejected_open()]
        chosen = (
            open_ids if item_ids is None else [self._rejected_id(i, open_ids) for i in item_ids]
        )
        with self.transaction() as conn:
            conn.executemany(
                "DELETE FROM outbox WHERE id = ? AND state = 'rejected' AND replaced_by IS NULL",
                [(item_id,) for item_id in chosen],
            )
        return chosen

    @staticmethod
    def _rejected_id(wanted: str, open_ids: list[str]) -> str:
        found = [item_id for item_id in open_ids if item_id.startswith(wanted)]
        if len(found) != 1:
            raise StoreError(
                f"{wanted}: not one rejected item (see `povcensus sync status`)",
                f"{wanted}: không phải một mục bị từ chối (xem `povcensus sync status`)",
            )
        return found[0]

    def failed_to_send(self) -> int:
        """Items still waiting that were already tried (the network or server failed)."""
        return self.conn.execute(
            "SELECT count(*) FROM outbox WHERE state IN (?, ?) AND attempts > 0", PENDING_STATES
        ).fetchone()[0]

    # --- conflicts ------------------------------------------------------------------------

    def conflicts(self, *, open_only: bool = True) -> list[dict[str, Any]]:
        """Conflicts with both versions: `mine` (record) and `server` (when fetched)."""
        sql = (
            "SELECT c.*, o.record AS mine, o.base FROM conflicts c"
            " JOIN outbox o ON o.id = c.item_id"
        )
        if open_only:
            sql += " WHERE c.resolved_at IS NULL"
        rows = self.conn.execute(sql + " ORDER BY o.seq")
        return [_conflict(row) for row in rows]

    def conflict(self, item_id: str) -> dict[str, Any] | None:
        item = self.get(item_id)
        if item is None:
            return None
        row = self.conn.execute(
            "SELECT c.*, o.record AS mine, o.base FROM conflicts c"
            " JOIN outbox o ON o.id = c.item_id WHERE c.item_id = ?",
            [item["id"]],
        ).fetchone()
        return _conflict(row) if row else None

    def set_conflict_server(self, item_id: str, server: dict[str, Any]) -> None:
        """Keep the server's current version beside mine (shown by `sync conflicts`)."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE conflicts SET current_id = ?, server_version = ?, server_record = ?"
                " WHERE item_id = ?",
                [
                    server.get("submission_id"),
                    server.get("version"),
                    json.dumps(server.get("record"), ensure_ascii=False),
                    item_id,
                ],
            )

    def resolve(self, item_id: str, how: str, server: dict[str, Any]) -> dict[str, Any] | None:
        """Settle a household's conflict explicitly, given the server's current version.

        Every open conflict of the household is settled at once. "Mine" is the household's
        newest local version (an edit queued after the conflicting one included); queued
        versions are superseded. `keep_mine`: my record is queued again as a new version whose
        base is the server's current submission (returns that new item). `take_server`: the
        server's version becomes the household's local version (a `server` copy, never
        pushed); returns None. Refused while a version of the household is sent and
        unanswered: push first, so that its answer is known.
        """
        if how not in ("keep_mine", "take_server"):
            raise ValueError(how)
        found = self.conflict(item_id)
        if found is None or found["resolved_at"]:
            raise StoreError(f"no open conflict {item_id}", f"không có xung đột đang mở {item_id}")
        household_id = found["household_id"]
        with self.transaction() as conn:
            self._refuse_if_in_flight(household_id)
            mine = self._latest(household_id)
            item = self.get(found["item_id"])
            conn.execute(
                "UPDATE conflicts SET resolved_at = ?, resolution = ?, current_id = ?,"
                " server_version = ?, server_record = ? WHERE household_id = ?"
                " AND resolved_at IS NULL",
                [
                    utcnow(),
                    how,
                    server.get("submission_id"),
                    server.get("version"),
                    json.dumps(server.get("record"), ensure_ascii=False),
                    household_id,
                ],
            )
            conn.execute(
                "UPDATE outbox SET state = CASE state WHEN 'queued' THEN 'superseded'"
                " ELSE 'resolved' END WHERE household_id = ? AND state IN ('conflict', 'queued')",
                [household_id],
            )
            self._insert_server_copy(server, item)
            if how == "take_server":
                return None
            record = json.loads(mine["record"]) if mine else item["record"]
            return self._insert_version(record, f"keep mine after conflict {item['id']}")

    def _refuse_if_in_flight(self, household_id: str) -> None:
        row = self.conn.execute(
            "SELECT id FROM outbox WHERE household_id = ? AND state = 'sending'", [household_id]
        ).fetchone()
        if row is not None:
            raise StoreError(
                f"a version of household {household_id} ({row[0]}) was sent without an answer"
                " yet; run `sync push` first",
                f"một phiên bản của hộ {household_id} ({row[0]}) đã gửi nhưng chưa có trả lời;"
                " hãy chạy `sync push` trước",
            )

    def _insert_server_copy(self, server: dict[str, Any], item: dict[str, Any]) -> None:
        if not server.get("submission_id") or self.get(server["submission_id"]):
            return
        record = server.get("record") or {}
        self.conn.execute(
            "INSERT INTO outbox (id, household_id, base, form_id, form_version, record, source,"
            " state, created_at, version, classification, outcome)"
            " VALUES (?, ?, NULL, ?, ?, ?, ?, 'server', ?, ?, ?, NULL)",
            [
                server["submission_id"],
                item["household_id"],
                record.get("form_id") or item["form_id"],
                record.get("form_version") or item["form_version"],
                canonical_json(record).decode(),
                "server version",
                utcnow(),
                server.get("version"),
                server.get("classification"),
            ],
        )

    # --- pull -----------------------------------------------------------------------------

    def store_changes(self, changes: list[dict[str, Any]], cursor: int) -> int:
        """Store pulled changes and move the cursor in ONE transaction; returns rows added."""
        now, added = utcnow(), 0
        with self.transaction() as conn:
            for change in changes:
                added += conn.execute(
                    "INSERT OR IGNORE INTO changes (seq, kind, household_id, round, data,"
                    " received_at) VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        change["seq"],
                        change["kind"],
                        change["household_id"],
                        change.get("round"),
                        json.dumps(change.get("data") or {}, ensure_ascii=False),
                        now,
                    ],
                ).rowcount
            conn.execute(
                "INSERT INTO config (key, value) VALUES ('pull_cursor', ?) ON CONFLICT (key)"
                " DO UPDATE SET value = excluded.value WHERE CAST(value AS INTEGER) < ?",
                [str(cursor), cursor],
            )
        return added

    def changes(self, kind: str | None = None) -> list[dict[str, Any]]:
        sql, args = "SELECT * FROM changes", []
        if kind:
            sql, args = sql + " WHERE kind = ?", [kind]
        rows = self.conn.execute(sql + " ORDER BY seq", args)
        return [{**dict(row), "data": json.loads(row["data"])} for row in rows]

    def assignment(self, household_id: str) -> dict[str, Any] | None:
        """The newest assignment for a household (its data carries last round's record)."""
        row = self.conn.execute(
            "SELECT * FROM changes WHERE kind = 'assignment' AND household_id = ?"
            " ORDER BY seq DESC LIMIT 1",
            [household_id],
        ).fetchone()
        return {**dict(row), "data": json.loads(row["data"])} if row else None


def _household_id(record: dict[str, Any]) -> str:
    household_id = record.get("household_id") if isinstance(record, dict) else None
    if not isinstance(household_id, str) or not household_id:
        raise StoreError("the record has no household_id", "bản ghi không có mã hộ (household_id)")
    return household_id


def _item(row: sqlite3.Row) -> dict[str, Any]:
    item = dict(row)
    item["record"] = json.loads(item["record"])
    item["errors"] = json.loads(item["errors"]) if item["errors"] else []
    item["conflict"] = json.loads(item["conflict"]) if item["conflict"] else None
    return item


def _conflict(row: sqlite3.Row) -> dict[str, Any]:
    found = dict(row)
    found["mine"] = json.loads(found["mine"])
    found["server_record"] = json.loads(found["server_record"]) if found["server_record"] else None
    return found
