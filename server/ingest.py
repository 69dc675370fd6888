"""Take one submission exactly once: check, validate, score, store — for both sync protocols.

The JSON batch API and OpenRosa both turn what they received into a `Submission` and call
`ingest(db, submission, province=...)`, which returns an `Outcome` (the protocol's
accepted / duplicate / conflict / rejected). The rules (architecture.md, "Sync semantics"):

- same (form id, instance id) and same content hash → `duplicate`, nothing stored again;
- same id with other content → `conflict` ("id_reused"), kept in `quarantine` — only once the
  new record passed validation and the scope checks, and only when the id was used by the same
  user or for a commune of the user's scope (else `rejected`, "instance_id_taken");
- scope is checked on the record AND on the stored household: when the household already exists
  in the round, its current commune must be in the user's scope (`outside_assignment`, OpenRosa
  403, before anything is quarantined), and an enumerator cannot move a household to another
  commune ("commune_change"). No answer names another commune's submissions;
- a submission for a commune whose lists of that round the chairman has recognised (the
  record's commune or the household's current one) → `rejected` ("round_recognised"): the
  lists are locked, changes go through the rolling review;
- an edit whose `base` is not the household's current submission (or a new submission for a
  household that already has one this round) → `conflict` ("stale_base"), quarantined;
- otherwise the raw payload, the household's new version and the official score are written in
  ONE transaction, and the database's UNIQUE (form_id, instance_id) is the final guard.

Validation and scoring (the slow, CPU-bound part) run before the write lock is taken. A batch
(`ingest_many`) is then written under one lock and one commit, each submission in a savepoint
of its own, and answered only after that commit.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from offline_sync.protocol import ACCEPTED, CONFLICT, DUPLICATE, REJECTED
from server import scoring_adapter
from server.db import transaction, utcnow
from server.household_rows import upsert_household
from server.packing import pack_text
from server.queries import forms as form_queries
from server.queries import rounds as round_queries
from server.queries.users import User, commune_scope
from server.score_result import SCORE_COLUMNS, score_columns

log = logging.getLogger(__name__)


@dataclass
class Submission:
    """One submission as received, whatever the protocol."""

    instance_id: str
    form_id: str
    form_version: str
    record: dict[str, Any]
    payload: str  # stored verbatim (JSON item or XML instance)
    sha256: str  # content hash deciding "duplicate" vs "conflict"
    format: str  # "json" | "xml"
    user: User
    household_id: str | None = None  # as the envelope names it (JSON), checked against the record
    base_id: str | None = None


@dataclass
class Outcome:
    """What happened to a submission; `to_result()` is the protocol's Result."""

    id: str
    household_id: str | None
    outcome: str
    version: int | None = None
    classification: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    conflict: dict[str, Any] | None = None
    forbidden: bool = False  # rejected because of the user's scope (OpenRosa answers 403)

    def to_result(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "household_id": self.household_id,
            "outcome": self.outcome,
            "version": self.version,
            "classification": self.classification,
            "errors": self.errors,
            "conflict": self.conflict,
        }


def field_error(household_id: str | None, path: str, code: str, en: str, vi: str) -> dict:
    """A FieldError dict like survey_forms' (`message_en`, `message_vi`)."""
    return {
        "household_id": household_id,
        "path": path,
        "code": code,
        "message_en": en,
        "message_vi": vi,
    }


# A rejection lists at most this many field errors, then one `more_errors` entry with the count:
# a household with thousands of bad answers must not produce a multi-megabyte reply.
MAX_LISTED_ERRORS = 30


def rejected(sub_id: str, household_id: str | None, *errors: dict, forbidden=False) -> Outcome:
    listed = list(errors[:MAX_LISTED_ERRORS])
    if len(errors) > MAX_LISTED_ERRORS:
        more = len(errors) - MAX_LISTED_ERRORS
        listed.append(
            field_error(
                household_id,
                "",
                "more_errors",
                f"... and {more} more errors ({len(errors)} in all); fix these first",
                f"... và {more} lỗi khác (tổng cộng {len(errors)}); hãy sửa các lỗi trên trước",
            )
        )
    return Outcome(sub_id, household_id, REJECTED, errors=listed, forbidden=forbidden)


def ingest(
    db: sqlite_utils.Database,
    sub: Submission,
    *,
    province: str,
    scope: tuple[str, ...] | None = None,
    open_round: dict[str, Any] | None = None,
) -> Outcome:
    """Store the submission at most once and say what happened (see the module docstring).

    `scope` (the user's commune scope) and `open_round` (the province's open annual round) may
    be passed when the caller has them already, e.g. once per batch."""
    return ingest_many(db, [sub], province=province, scope=scope, open_round=open_round)[0]


def ingest_many(
    db: sqlite_utils.Database,
    subs: list[Submission],
    *,
    province: str,
    scope: tuple[str, ...] | None = None,
    open_round: dict[str, Any] | None = None,
) -> list[Outcome]:
    """`ingest` each submission, in order, writing all that pass in ONE transaction.

    Checks, validation and scoring run first, without the write lock; then every submission
    that passed is written under one lock and one commit, each in a savepoint of its own: one
    refused there (stored meanwhile, stale base, lists recognised, a move out of scope) rolls
    back to its savepoint alone and is answered after the commit, as `ingest` answers it.
    Nothing is answered `accepted` before the commit: a crash loses no acknowledged
    submission, and the sender's retry is answered `duplicate` for what was stored. One commit
    per batch instead of per household is what lets a batch's households share the pages
    they write (issue 16: ingest into a database of millions)."""
    outcomes: list[Outcome | None] = []
    ready: list[tuple[int, tuple]] = []
    for index, sub in enumerate(subs):
        prepared = _prepare(db, sub, province=province, scope=scope, open_round=open_round)
        outcomes.append(prepared if isinstance(prepared, Outcome) else None)
        if not isinstance(prepared, Outcome):
            ready.append((index, prepared))
    refused = []
    if ready:
        with transaction(db) as conn:
            for index, prepared in ready:
                conn.execute("SAVEPOINT submission")
                try:
                    outcomes[index] = _write(conn, *prepared)
                except (sqlite3.IntegrityError, _Refused, _Locked, _Stale) as error:
                    if isinstance(error, sqlite3.IntegrityError) and "submissions" not in str(
                        error
                    ):
                        raise  # not the "stored meanwhile" case: a bug, never hidden
                    conn.execute("ROLLBACK TO submission")
                    refused.append((index, prepared, error))
                conn.execute("RELEASE submission")
    for index, prepared, error in refused:  # quarantine etc. in transactions of their own
        outcomes[index] = _settle(db, *prepared, error)
    return outcomes  # type: ignore[return-value]  (every slot is filled)


def _prepare(
    db: sqlite_utils.Database,
    sub: Submission,
    *,
    province: str,
    scope: tuple[str, ...] | None,
    open_round: dict[str, Any] | None,
) -> Outcome | tuple:
    """Everything before the write: the Outcome when the submission is answered already, else
    the arguments of `_write` (submission, record, score, round, scope)."""
    household_id = sub.record.get("household_id") if isinstance(sub.record, dict) else None
    household_id = household_id if isinstance(household_id, str) else sub.household_id
    earlier = _duplicate(db, sub)
    if earlier is not None:
        return earlier
    problem = _check_envelope(sub, household_id, db)
    if problem is not None:
        return problem
    if scope is None:
        scope = commune_scope(db, sub.user, province)
    problem = _check_stored_scope(db, sub, household_id, scope)
    if problem is not None:
        return problem
    record, errors = scoring_adapter.load(sub.record)
    if errors:
        return rejected(sub.instance_id, household_id, *errors)
    problem = _check_scope(db, sub, record, province, scope)
    if problem is not None:
        return problem
    review_round, problem = _find_round(db, sub, record, province, open_round)
    if problem is not None:
        return problem
    record["round"] = review_round["label"]
    reused = _reused(db, sub, record, review_round, scope)
    if reused is not None:
        return reused
    try:
        # stored as a summary and explained on demand (server.score_result): no sentences now
        score = scoring_adapter.classify(record, review_round["standard"], explained=False)
    except scoring_adapter.Unscorable as error:  # the library's own code, e.g. income_missing
        return rejected(
            sub.instance_id,
            household_id,
            field_error(
                household_id,
                scoring_adapter.scoring_error_path(error.code),
                error.code,
                error.message_en,
                error.message_vi,
            ),
        )
    except Exception as error:  # never a silent default class: refuse and say why
        log.exception("scoring failed for %s", sub.instance_id)
        return rejected(
            sub.instance_id,
            household_id,
            field_error(
                household_id,
                "",
                "scoring_failed",
                f"The record could not be scored under {review_round['standard']}: {error}",
                f"Không chấm điểm được hộ theo chuẩn {review_round['standard']}: {error}",
            ),
        )
    return (sub, record, score, review_round, scope)


def _duplicate(db, sub: Submission) -> Outcome | None:
    """`duplicate` when this very submission (same id, same content) is already stored: the
    sender holds its content already, so the answer reveals nothing new."""
    row = db.execute(
        "SELECT sha256, household_id, round_id FROM submissions"
        " WHERE form_id = ? AND instance_id = ?",
        [sub.form_id, sub.instance_id],
    ).fetchone()
    if row is None or row[0] != sub.sha256:
        return None
    version = db.execute(
        "SELECT version, classification FROM household_versions"
        " WHERE round_id = ? AND household_id = ? AND submission_id = ?",
        [row[2], row[1], sub.instance_id],
    ).fetchone()
    return Outcome(sub.instance_id, row[1], DUPLICATE, *(version or (None, None)))


def _reused(db, sub: Submission, record: dict, review_round: dict, scope) -> Outcome | None:
    """The id is stored with other content: an `id_reused` conflict when the id was the same
    user's or a commune's of their scope (quarantined under the record's commune and round),
    else `rejected` without saying whose it is. None when the id is new."""
    row = db.execute(
        "SELECT s.sha256, s.user_id, s.household_id, s.round_id, h.commune_code"
        " FROM submissions s LEFT JOIN households h"
        " ON h.round_id = s.round_id AND h.household_id = s.household_id"
        " WHERE s.form_id = ? AND s.instance_id = ?",
        [sub.form_id, sub.instance_id],
    ).fetchone()
    if row is None:
        return None
    if row[0] == sub.sha256:  # stored meanwhile by a concurrent post of the same submission
        return _duplicate(db, sub)
    household_id = record["household_id"]
    same_user = row[1] is not None and row[1] == sub.user.id
    if not same_user and (row[4] is None or row[4] not in scope):
        return _instance_id_taken(sub, household_id)
    current = _current_household(db, review_round["id"], household_id)
    if current is not None and current[2] not in scope:
        return _outside(sub, household_id)
    return _conflict(
        db,
        sub,
        household_id,
        "id_reused",
        sub.instance_id,
        record.get("commune_code"),
        review_round["id"],
    )


def _check_stored_scope(db, sub: Submission, household_id, scope) -> Outcome | None:
    """`outside_assignment` before anything else (validation errors included) is said about a
    household that an open round holds in a commune outside the user's scope. (`_store`
    checks it again under the write lock.)"""
    if not isinstance(household_id, str):
        return None
    for (commune,) in db.execute(
        "SELECT commune_code FROM households WHERE household_id = ?"
        " AND round_id IN (SELECT id FROM review_rounds WHERE status = 'open')",  # by the PK
        [household_id],
    ):
        if commune not in scope:
            return _outside(sub, household_id)
    return None


def _instance_id_taken(sub: Submission, household_id: str | None) -> Outcome:
    return rejected(
        sub.instance_id,
        household_id,
        field_error(
            household_id,
            "id",
            "instance_id_taken",
            "This submission id is already used by another submission; send the form again"
            " as a new submission (a new instance id)",
            "Mã bài gửi này đã được dùng cho bài gửi khác; hãy gửi lại phiếu như một bài gửi"
            " mới (mã bài gửi mới)",
        ),
    )


def _outside(sub: Submission, household_id: str | None, commune: str | None = None) -> Outcome:
    """`outside_assignment` (403) for the record's commune, or (commune None) for a stored
    household of a commune the user is not assigned to — which commune is not said."""
    if commune is None:
        en = f"Household {household_id} belongs to a commune user {sub.user.username} is not assigned to"
        vi = f"Hộ {household_id} thuộc xã mà người dùng {sub.user.username} không được phân công"
    else:
        en = f"User {sub.user.username} is not assigned to commune {commune}"
        vi = f"Người dùng {sub.user.username} không được phân công xã {commune}"
    return rejected(
        sub.instance_id,
        household_id,
        field_error(household_id, "commune_code", "outside_assignment", en, vi),
        forbidden=True,
    )


def _current_household(db_or_conn, round_id: int, household_id: str):
    """(version, submission id, commune code) of the household in the round, or None."""
    return db_or_conn.execute(
        "SELECT version, submission_id, commune_code FROM households"
        " WHERE round_id = ? AND household_id = ?",
        [round_id, household_id],
    ).fetchone()


def _check_envelope(sub: Submission, household_id: str | None, db=None) -> Outcome | None:
    form_id, form_version = scoring_adapter.form_identity()
    # every version this server has served (and not retired) stays acceptable: see forms.py
    accepted = form_queries.accepted_versions(db, form_id) if db is not None else {form_version}
    if sub.form_id != form_id:
        return rejected(
            sub.instance_id,
            household_id,
            field_error(
                household_id,
                "form_id",
                "unknown_form",
                f"Unknown form {sub.form_id!r}; this server takes {form_id!r}",
                f"Biểu mẫu {sub.form_id!r} không được nhận; máy chủ nhận {form_id!r}",
            ),
        )
    if sub.form_version not in accepted:
        return rejected(
            sub.instance_id,
            household_id,
            field_error(
                household_id,
                "form_version",
                "unknown_form_version",
                f"Form version {sub.form_version!r} is not accepted; update the form to {form_version}",
                f"Phiên bản biểu mẫu {sub.form_version!r} không được nhận; hãy cập nhật lên {form_version}",
            ),
        )
    if sub.household_id is not None and sub.household_id != household_id:
        return rejected(
            sub.instance_id,
            household_id,
            field_error(
                household_id,
                "household_id",
                "household_id_mismatch",
                f"The item's household_id {sub.household_id!r} differs from the record's",
                f"Mã hộ của mục {sub.household_id!r} khác mã hộ trong phiếu",
            ),
        )
    return None


def _check_scope(db, sub: Submission, record: dict, province: str, scope) -> Outcome | None:
    household_id, commune = record["household_id"], record.get("commune_code")
    if record.get("province_code") != province:
        return rejected(
            sub.instance_id,
            household_id,
            field_error(
                household_id,
                "province_code",
                "wrong_province",
                f"This server takes province {province}, not {record.get('province_code')!r}",
                f"Máy chủ này nhận tỉnh {province}, không phải {record.get('province_code')!r}",
            ),
        )
    if scope is None:
        scope = commune_scope(db, sub.user, province)
    if commune not in scope:
        return _outside(sub, household_id, commune)
    return None


def _find_round(db, sub: Submission, record: dict, province: str, open_round):
    """The round the server files this submission under: the one the record names when that
    round is open here (e.g. a rolling round), else the province's open annual round. A label
    left over from last year's record (assignments start from it) is simply replaced."""
    household_id = record["household_id"]
    label = record.get("round")
    annual = open_round or round_queries.open_round_for(db, province)
    named = None
    if label and not (annual and label == annual["label"]):
        named = round_queries.get_round(db, label)
    if named and named["status"] == "open" and named["province_code"] == province:
        return named, None
    if annual:
        return annual, None
    en = "No review round is open; ask the province to open one"
    vi = "Chưa mở đợt rà soát nào; hãy đề nghị tỉnh mở đợt"
    return None, rejected(
        sub.instance_id, household_id, field_error(household_id, "round", "no_open_round", en, vi)
    )


class _Stale(Exception):
    """Raised inside the transaction to roll back the submission row of a conflicting edit."""


class _Locked(Exception):
    """Raised inside the transaction when the commune's lists of the round are recognised."""


class _Refused(Exception):
    """Raised inside the transaction with the `rejected` Outcome to answer (nothing is kept)."""


def _commune_change(sub: Submission, household_id: str, old: str, new: str) -> Outcome:
    return rejected(
        sub.instance_id,
        household_id,
        field_error(
            household_id,
            "commune_code",
            "commune_change",
            f"The household is registered in commune {old}; an enumerator cannot move it to"
            f" commune {new}. Ask the commune to review the move.",
            f"Hộ đang thuộc xã {old}; rà soát viên không được chuyển hộ sang xã {new}."
            " Hãy đề nghị xã xem xét việc chuyển hộ.",
        ),
    )


def _check_household(conn, sub: Submission, record: dict, round_id: int, scope, current) -> None:
    """Scope, move and lock rules on the STORED household (read under the write lock)."""
    if current is None:
        return
    household_id, stored_commune = record["household_id"], current[2]
    if stored_commune not in scope:
        raise _Refused(_outside(sub, household_id))
    if stored_commune != record.get("commune_code"):
        if sub.user.role == "enumerator":
            raise _Refused(
                _commune_change(sub, household_id, stored_commune, record["commune_code"])
            )
        locked_on = round_queries.recognised_on(conn, round_id, stored_commune)
        if locked_on is not None:
            raise _Locked(locked_on)


def _locked(sub: Submission, household_id: str, recognised_on: str) -> Outcome:
    return rejected(
        sub.instance_id,
        household_id,
        field_error(
            household_id,
            "commune_code",
            "round_recognised",
            f"The commune recognised its lists for this round on {recognised_on}; they are"
            " locked. Submit the change through the rolling (monthly) review.",
            f"Xã đã công nhận danh sách của đợt rà soát này ngày {recognised_on}; danh sách đã"
            " khoá. Thay đổi phải thực hiện qua rà soát thường xuyên (hằng tháng).",
        ),
    )


def _write(conn, sub: Submission, record: dict, score: dict, review_round: dict, scope) -> Outcome:
    """Write one checked submission inside the caller's transaction; raises what `_settle`
    answers. Everything the outcome depends on is read here, under the write lock."""
    household_id, round_id = record["household_id"], review_round["id"]
    now = utcnow()
    # Read under the write lock: a recognition or a move committed meanwhile is seen.
    current = _current_household(conn, round_id, household_id)
    _check_household(conn, sub, record, round_id, scope, current)
    locked_on = round_queries.recognised_on(conn, round_id, record.get("commune_code"))
    if locked_on is not None:
        raise _Locked(locked_on)
    # If this id was stored meanwhile (a concurrent post of the same submission),
    # UNIQUE (form_id, instance_id) says so before anything else is written.
    _insert_submission(conn, sub, household_id, round_id, now)
    stale = _stale_base(conn, sub, household_id, current)
    if stale is not None:
        raise _Stale(*stale)
    version = current[0] + 1 if current else 1
    _write_household(conn, sub, record, score, round_id, version, now)
    return Outcome(sub.instance_id, household_id, ACCEPTED, version, score.get("classification"))


def _settle(
    db, sub: Submission, record: dict, _score: dict, review_round: dict, scope, error: Exception
) -> Outcome:
    """The answer to a submission `_write` refused (its savepoint rolled back)."""
    household_id, round_id = record["household_id"], review_round["id"]
    if isinstance(error, sqlite3.IntegrityError):  # stored meanwhile: same content or not
        return _reused(db, sub, record, review_round, scope) or _instance_id_taken(
            sub, household_id
        )
    if isinstance(error, _Refused):
        return error.args[0]
    if isinstance(error, _Locked):
        return _locked(sub, household_id, error.args[0])
    reason, current_id = error.args  # _Stale
    return _conflict(
        db, sub, household_id, reason, current_id, record.get("commune_code"), round_id
    )


def _stale_base(conn, sub: Submission, household_id: str, current) -> tuple[str, str | None] | None:
    """(reason, current submission id) when this edit does not apply to the current version."""
    if current is not None:
        return None if sub.base_id == current[1] else ("stale_base", current[1])
    if sub.base_id is None:
        return None
    if sub.base_id == sub.instance_id:  # a submission cannot edit itself
        return ("unknown_base", None)
    known = conn.execute(
        "SELECT 1 FROM submissions WHERE instance_id = ? AND household_id = ?",
        [sub.base_id, household_id],
    ).fetchone()
    return None if known else ("unknown_base", None)


def _insert_submission(conn, sub: Submission, household_id: str, round_id: int, now: str):
    conn.execute(
        "INSERT INTO submissions (form_id, instance_id, form_version, format, payload, sha256,"
        " base_id, household_id, round_id, device_id, user_id, received_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        [
            sub.form_id,
            sub.instance_id,
            sub.form_version,
            sub.format,
            pack_text(sub.payload),
            sub.sha256,
            sub.base_id,
            household_id,
            round_id,
            sub.user.device_id,
            sub.user.id,
            now,
        ],
    )


def _write_household(
    conn, sub: Submission, record: dict, score: dict, round_id: int, version: int, now: str
) -> None:
    """The household's new current state, its history row and its official score."""
    household_id = record["household_id"]
    classification = score.get("classification")
    upsert_household(
        conn,
        round_id=round_id,
        record=record,
        version=version,
        submission_id=sub.instance_id,
        classification=classification,
        updated_at=now,
        deprivation_count=score.get("deprivation_count"),
    )
    conn.execute(
        "INSERT INTO household_versions (round_id, household_id, version, submission_id,"
        " classification, created_at) VALUES (?,?,?,?,?,?)",
        [round_id, household_id, version, sub.instance_id, classification, now],
    )
    insert_score(conn, round_id, household_id, version, score, official=True)


def insert_score(
    conn,
    round_id: int,
    household_id: str,
    version: int,
    score: dict,
    *,
    official: bool,
) -> None:
    """One score row (household × standard × version × mode); replaces an earlier identical key.

    The scored record is not copied into the row: it is that version's submission (issue 16)."""
    conn.execute(
        "INSERT OR REPLACE INTO scores (round_id, household_id, household_version, official,"
        f" scored_at, {', '.join(SCORE_COLUMNS)})"
        f" VALUES (?,?,?,?,?, {', '.join('?' * len(SCORE_COLUMNS))})",
        [round_id, household_id, version, int(official), utcnow(), *score_columns(score)],
    )


def _conflict(db, sub: Submission, household_id, reason, current_id, commune, round_id) -> Outcome:
    """Quarantine the submission (once per distinct content) and answer `conflict`."""
    with transaction(db) as conn:
        conn.execute(
            "INSERT OR IGNORE INTO quarantine (form_id, instance_id, household_id, commune_code,"
            " round_id, reason, current_id, base_id, format, payload, sha256, device_id,"
            " user_id, received_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                sub.form_id,
                sub.instance_id,
                household_id,
                commune,
                round_id,
                reason,
                current_id,
                sub.base_id,
                sub.format,
                sub.payload,
                sub.sha256,
                sub.user.device_id,
                sub.user.id,
                utcnow(),
            ],
        )
    return Outcome(
        sub.instance_id,
        household_id,
        CONFLICT,
        conflict={"reason": reason, "current_id": current_id},
    )
