"""Quarantined conflicts of a commune's round, resolved by a person (commune review).

Ingest keeps a conflicting submission (`id_reused`, `stale_base`, `unknown_base`) in the
server's `quarantine` table. A reviewer either **accepts** it — it goes through the real ingest
path (`server.ingest.ingest`) as an edit of the household's current submission, so it is
validated and scored like any other — or **keeps** the current version. Either way the
quarantine row is marked resolved, `review_quarantine_resolutions` says how and why (a reason
is mandatory) and a `review_events` row records who and when.

Ingest files every conflict under the record's round and commune, after checking that the
household's current commune is in the sender's scope. Older `id_reused` rows have no round or
commune of their own: they belong to the commune that holds their household in the round, and
are shown there only when their sender was assigned to that commune (or province-wide). A
conflict is never shown — nor its household compared — when the household is now in another
commune.
"""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from server.db import transaction, utcnow
from server.household_rows import record_of
from server.queries.review import ReviewError, add_event, check_unlocked
from server.queries.users import User

ACTIONS = ("accepted", "kept")

_SCOPE_SQL = (
    " FROM quarantine q WHERE q.status = 'open' AND ("
    " (q.round_id = :round AND q.commune_code = :commune)"
    " OR (q.round_id IS NULL AND q.household_id IN (SELECT household_id FROM households"
    "  WHERE round_id = :round AND commune_code = :commune)"
    "  AND (q.user_id IN (SELECT user_id FROM user_communes WHERE commune_code = :commune)"
    "   OR q.user_id IN (SELECT id FROM users WHERE role IN ('province', 'admin')))))"
    # the household's CURRENT commune decides: never another commune's household
    " AND NOT EXISTS (SELECT 1 FROM households x WHERE x.round_id = :round"
    "  AND x.household_id = q.household_id AND x.commune_code <> :commune)"
)


def _scope_args(round_id: int, commune_code: str) -> dict[str, Any]:
    return {"round": round_id, "commune": commune_code}


def open_count(db: sqlite_utils.Database, round_id: int, commune_code: str) -> int:
    """How many quarantined conflicts of this commune's round wait for a person."""
    args = _scope_args(round_id, commune_code)
    return db.execute("SELECT count(*)" + _SCOPE_SQL, args).fetchone()[0]


def list_open(db: sqlite_utils.Database, round_id: int, commune_code: str) -> list[dict[str, Any]]:
    """The open conflicts, each with its parsed `record` (None when unreadable) and the
    household's `current` state (`record`, `version`, `submission_id`) in this round."""
    args = _scope_args(round_id, commune_code)
    rows = list(db.query("SELECT q.*" + _SCOPE_SQL + " ORDER BY q.id", args))
    for row in rows:
        row["record"] = quarantined_record(row)
        row["current"] = _current(db, round_id, row["household_id"], commune_code)
    return rows


def get_open(
    db: sqlite_utils.Database, round_id: int, commune_code: str, quarantine_id: int
) -> dict[str, Any] | None:
    for row in list_open(db, round_id, commune_code):
        if row["id"] == quarantine_id:
            return row
    return None


def quarantined_record(row: dict[str, Any]) -> dict[str, Any] | None:
    """The household record inside the stored payload (JSON item or XForm instance)."""
    try:
        if row["format"] == "json":
            record = json.loads(row["payload"]).get("record")
            return record if isinstance(record, dict) else None
        from survey_forms.xform import instance_to_household

        record = instance_to_household(row["payload"].encode("utf-8"))
        record.pop("meta", None)
        return record
    except Exception:  # a payload we cannot read is shown as such, never guessed
        return None


def _current(
    db, round_id: int, household_id: str | None, commune_code: str
) -> dict[str, Any] | None:
    rows = list(
        db.query(
            "SELECT version, submission_id, record, classification FROM households"
            " WHERE round_id = ? AND household_id = ? AND commune_code = ?",
            [round_id, household_id, commune_code],
        )
    )
    if not rows:
        return None
    return {**rows[0], "record": record_of(rows[0]["record"])}


# Bookkeeping of a submission, not answers of the household: never compared or shown.
NOT_ANSWERS = ("form_id", "form_version", "round", "meta", "instanceID")


def compare(current: dict | None, quarantined: dict | None) -> list[dict[str, Any]]:
    """Rows (`path` for the questionnaire's labels, e.g. `members[].relation`; `where` to
    show; `member` number or None; both values; `differs`) over both records' answers, member
    lists by position (`members[2].name`)."""
    left, right = _leaves(_answers(current)), _leaves(_answers(quarantined))
    keys = list(left) + [k for k in right if k not in left]
    return [
        {
            "path": k[1],
            "where": k[0],
            "member": _member_number(k[0]),
            "current": left.get(k),
            "quarantined": right.get(k),
            "differs": left.get(k) != right.get(k),
        }
        for k in keys
    ]


def _answers(record: dict | None) -> dict[str, Any]:
    """The record's answers; the GPS point as one readable value."""
    answers = {k: v for k, v in (record or {}).items() if k not in NOT_ANSWERS}
    gps = answers.get("gps")
    if isinstance(gps, dict):
        text = f"{gps.get('lat')}, {gps.get('lon')}"
        if gps.get("accuracy_m") is not None:
            text += f" (± {gps['accuracy_m']} m)"
        answers["gps"] = text
    return answers


def _member_number(where: str) -> int | None:
    if where.startswith("members[") and "]" in where:
        number = where[len("members[") : where.index("]")]
        return int(number) if number.isdigit() else None
    return None


def same_answers(row: dict[str, Any]) -> bool:
    """A quarantined record whose answers equal the current version's (the same form sent
    twice, e.g. from two tablets): nothing to decide."""
    current = row["current"]["record"] if row.get("current") else None
    if current is None or row.get("record") is None:
        return False
    return not any(line["differs"] for line in compare(current, row["record"]))


def _leaves(value: Any, where: str = "", path: str = "") -> dict[tuple[str, str], Any]:
    if isinstance(value, dict):
        found: dict[tuple[str, str], Any] = {}
        for key, item in value.items():
            join = f"{where}.{key}" if where else key
            found.update(_leaves(item, join, f"{path}.{key}" if path else key))
        return found
    if isinstance(value, list) and value and all(isinstance(x, dict) for x in value):
        found = {}
        for number, item in enumerate(value, 1):
            found.update(_leaves(item, f"{where}[{number}]", f"{path}[]"))
        return found
    return {(where, path): value}


def resolve(
    db: sqlite_utils.Database,
    *,
    round_id: int,
    commune_code: str,
    quarantine_id: int,
    action: str,
    reason: str,
    user: User,
    province: str,
) -> dict[str, Any]:
    """Accept the quarantined version (through ingest, as an edit of the current submission)
    or keep the current one; returns the resolution. Raises ReviewError when refused."""
    reason = (reason or "").strip()
    if action not in ACTIONS:
        raise ReviewError("Thao tác không hợp lệ.", "Unknown action.")
    if not reason:
        raise ReviewError("Phải ghi lý do.", "A reason is required.")
    row = get_open(db, round_id, commune_code, quarantine_id)
    if row is None:
        raise ReviewError(
            "Xung đột này không còn chờ xử lý.", "This conflict is no longer waiting."
        )
    with transaction(db) as conn:
        check_unlocked(conn, round_id, commune_code)
    submission_id = version = None
    if action == "accepted":
        submission_id, version = _accept(db, row, round_id, user, province)
    with transaction(db) as conn:
        done = conn.execute(
            "UPDATE quarantine SET status = 'resolved', resolved_by = ?, resolved_at = ?,"
            " resolution = ? WHERE id = ? AND status = 'open'",
            [user.id, utcnow(), action, quarantine_id],
        ).rowcount
        if not done:  # resolved by someone else meanwhile
            raise ReviewError(
                "Xung đột này không còn chờ xử lý.", "This conflict is no longer waiting."
            )
        conn.execute(
            "INSERT INTO review_quarantine_resolutions (quarantine_id, round_id, commune_code,"
            " household_id, action, reason, submission_id, version, user_id, resolved_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?)",
            [
                quarantine_id,
                round_id,
                commune_code,
                row["household_id"],
                action,
                reason,
                submission_id,
                version,
                user.id,
                utcnow(),
            ],
        )
        add_event(
            conn,
            action="quarantine_accept" if action == "accepted" else "quarantine_keep",
            user_id=user.id,
            round_id=round_id,
            household_id=row["household_id"],
            commune_code=commune_code,
            comment=reason,
            data={
                "quarantine_id": quarantine_id,
                "instance_id": row["instance_id"],
                "conflict": row["reason"],
                "submission_id": submission_id,
                "version": version,
            },
        )
    return {"action": action, "submission_id": submission_id, "version": version}


def _accept(db, row: dict, round_id: int, user: User, province: str) -> tuple[str, int]:
    """The quarantined record through `ingest` as an edit of the current submission."""
    from server.ingest import Submission, ingest

    record = row["record"]
    current = row["current"]
    if record is None:
        raise ReviewError(
            "Không đọc được bài gửi bị giữ lại.", "The quarantined submission cannot be read."
        )
    instance_id = row["instance_id"]
    stored = db.execute(
        "SELECT 1 FROM submissions WHERE form_id = ? AND instance_id = ?",
        [row["form_id"], instance_id],
    ).fetchone()
    if stored:  # id reused: the accepted copy needs an id of its own
        instance_id = f"{instance_id}~q{row['id']}"
    round_label = db.execute("SELECT label FROM review_rounds WHERE id = ?", [round_id]).fetchone()
    outcome = ingest(
        db,
        Submission(
            instance_id=instance_id,
            form_id=row["form_id"],
            form_version=record.get("form_version") or _form_version(row),
            record={**record, "round": round_label[0] if round_label else record.get("round")},
            payload=row["payload"],
            sha256=row["sha256"],
            format=row["format"],
            user=user,
            base_id=current["submission_id"] if current else None,
        ),
        province=province,
    )
    if outcome.outcome not in ("accepted", "duplicate") or outcome.version is None:
        problems = "; ".join(f"{e.get('path')}: {e.get('message_vi')}" for e in outcome.errors) or (
            outcome.conflict or {}
        ).get("reason", outcome.outcome)
        problems_en = "; ".join(
            f"{e.get('path')}: {e.get('message_en')}" for e in outcome.errors
        ) or (outcome.conflict or {}).get("reason", outcome.outcome)
        raise ReviewError(
            f"Không nhận được phiên bản bị giữ lại: {problems}",
            f"The quarantined version was not accepted: {problems_en}",
        )
    return instance_id, outcome.version


def _form_version(row: dict) -> str | None:
    if row["format"] == "json":
        try:
            return json.loads(row["payload"]).get("form_version")
        except ValueError:
            return None
    return None


# --- duplicates and bulk ---------------------------------------------------------------------

DUPLICATE_REASON = (
    "Trùng nội dung với phiên bản hiện tại (cùng câu trả lời gửi hai lần): tự động đóng."
    " / Same answers as the current version (sent twice): closed automatically."
)


def close_duplicates(
    db: sqlite_utils.Database, round_id: int, commune_code: str
) -> list[dict[str, Any]]:
    """Close, as duplicates, the open conflicts whose answers equal the current version's:
    the current version stays; each is recorded like a "keep" (resolution `duplicate`, an
    event `quarantine_duplicate` with no user: the server decided). Returns those closed."""
    closed = []
    for row in list_open(db, round_id, commune_code):
        if not same_answers(row):
            continue
        with transaction(db) as conn:
            if conn.execute(
                "SELECT 1 FROM review_recognitions WHERE round_id = ? AND commune_code = ?",
                [round_id, commune_code],
            ).fetchone():
                return closed  # a recognised commune's page is read-only
            done = conn.execute(
                "UPDATE quarantine SET status = 'resolved', resolved_at = ?,"
                " resolution = 'duplicate' WHERE id = ? AND status = 'open'",
                [utcnow(), row["id"]],
            ).rowcount
            if not done:
                continue
            conn.execute(
                "INSERT INTO review_quarantine_resolutions (quarantine_id, round_id,"
                " commune_code, household_id, action, reason, user_id, resolved_at)"
                " VALUES (?,?,?,?,'kept',?,NULL,?)",
                [
                    row["id"],
                    round_id,
                    commune_code,
                    row["household_id"],
                    DUPLICATE_REASON,
                    utcnow(),
                ],
            )
            add_event(
                conn,
                action="quarantine_duplicate",
                user_id=None,
                round_id=round_id,
                household_id=row["household_id"],
                commune_code=commune_code,
                comment=DUPLICATE_REASON,
                data={
                    "quarantine_id": row["id"],
                    "instance_id": row["instance_id"],
                    "conflict": row["reason"],
                },
            )
        closed.append(row)
    return closed


def keep_many(
    db: sqlite_utils.Database,
    *,
    round_id: int,
    commune_code: str,
    quarantine_ids: list[int],
    reason: str,
    user: User,
    province: str,
) -> dict[str, list]:
    """ "Keep the current version" for many conflicts with one reason; each is resolved and
    audited on its own (`resolve`). Returns {"kept": [ids], "refused": [(id, vi, en)]}."""
    kept, refused = [], []
    for quarantine_id in quarantine_ids:
        try:
            resolve(
                db,
                round_id=round_id,
                commune_code=commune_code,
                quarantine_id=quarantine_id,
                action="kept",
                reason=reason,
                user=user,
                province=province,
            )
        except ReviewError as error:
            refused.append((quarantine_id, error.message_vi, error.message_en))
        else:
            kept.append(quarantine_id)
    return {"kept": kept, "refused": refused}
