"""The commune's steps after checking households: village meetings, public posting,
complaints (phúc tra) and recognition of the final lists — Quyết định 24/2021, steps 3–5.

Recognition checks, per commune and for poor and near-poor alike, the movement identity
end = start − exited + fell back + new; how rounds link and how households are put in the
lists is in `server.queries.review_movement` (its names are re-exported here).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import sqlite_utils

from server.db import transaction, utcnow
from server.labels import village_name
from server.queries.review import ReviewError, add_event, check_unlocked, write_decision
from server.queries.review_dates import check_day
from server.queries.review_movement import (  # noqa: F401  (re-exported for callers)
    BLOCKS_MEETING,
    CATEGORIES,
    RECOGNISED_LISTS,
    UNDER_REVIEW,
    categorise,
    movement,
    placement,
    previous_round,
)
from server.queries.review_movement import commune_households as _households
from server.review.workdays import parse_changes, posting_end, round_calendar

UNDECIDED = BLOCKS_MEETING  # not confirmed or overridden (the list rule's statuses)
_NAMES_VI = {"poor": "hộ nghèo", "near_poor": "hộ cận nghèo"}
_NAMES_EN = {"poor": "poor households", "near_poor": "near-poor households"}


# --- settings -----------------------------------------------------------------------------


def round_settings(db: sqlite_utils.Database, review_round: dict[str, Any]) -> dict[str, Any]:
    """Posting period (working days) and holidays: stored per round, else the standard's default."""
    row = db.execute(
        "SELECT posting_days, holidays FROM review_settings WHERE round_id = ?",
        [review_round["id"]],
    ).fetchone()
    if row:
        return {"posting_days": row[0], "holidays": row[1], "default": False}
    days = 7 if review_round["standard"] == "vn-2016" else 3
    return {"posting_days": days, "holidays": "", "default": True}


def save_settings(db, round_id: int, *, posting_days: int, holidays: str, user_id: int) -> None:
    parse_changes(holidays)  # refuse a malformed date before storing it
    if posting_days < 1 or posting_days > 60:
        raise ReviewError("Số ngày niêm yết phải từ 1 đến 60.", "Posting days must be 1 to 60.")
    with transaction(db) as conn:
        conn.execute(
            "INSERT INTO review_settings (round_id, posting_days, holidays, user_id, updated_at)"
            " VALUES (?,?,?,?,?) ON CONFLICT (round_id) DO UPDATE SET posting_days ="
            " excluded.posting_days, holidays = excluded.holidays, user_id = excluded.user_id,"
            " updated_at = excluded.updated_at",
            [round_id, posting_days, holidays.strip(), user_id, utcnow()],
        )
        add_event(
            conn,
            action="settings",
            user_id=user_id,
            round_id=round_id,
            commune_code=None,
            data={"posting_days": posting_days, "holidays": holidays.strip()},
        )


# --- village meetings ---------------------------------------------------------------------


def _households_en(count: int) -> str:
    """English subject with its verb: "1 household is" / "3 households are"."""
    return "1 household is" if count == 1 else f"{count} households are"


def village_overview(db, round_id: int, commune_code: str) -> list[dict[str, Any]]:
    """Per village: households, how many still undecided (of which under review), the latest
    meeting."""
    villages: dict[str, dict[str, Any]] = {}
    for row in _households(db, round_id, commune_code):
        entry = villages.setdefault(
            row["village"] or "",
            {"village": row["village"] or "", "households": 0, "undecided": 0, "under_review": 0},
        )
        entry["households"] += 1
        entry["undecided"] += row["status"] in BLOCKS_MEETING
        entry["under_review"] += row["status"] in UNDER_REVIEW
    for entry in villages.values():
        entry["meeting"] = latest_meeting(db, round_id, commune_code, entry["village"])
    from server.labels import natural_key  # Thôn 2 before Thôn 10

    return sorted(villages.values(), key=lambda entry: natural_key(entry["village"]))


def latest_meeting(db, round_id: int, commune_code: str, village: str) -> dict | None:
    rows = list(
        db.query(
            "SELECT * FROM review_meetings WHERE round_id = ? AND commune_code = ? AND village = ?"
            " ORDER BY id DESC LIMIT 1",
            [round_id, commune_code, village],
        )
    )
    return rows[0] if rows else None


def get_meeting(db, meeting_id: int) -> dict[str, Any] | None:
    rows = list(
        db.query(
            "SELECT m.*, r.label AS round, c.name AS commune_name,"
            " c.kind AS commune_kind FROM review_meetings m"
            " JOIN review_rounds r ON r.id = m.round_id LEFT JOIN communes c ON c.code = m.commune_code"
            " WHERE m.id = ?",
            [meeting_id],
        )
    )
    if not rows:
        return None
    return {**rows[0], "households": json.loads(rows[0]["households"])}


def record_meeting(
    db: sqlite_utils.Database,
    *,
    round_id: int,
    commune_code: str,
    village: str,
    held_on: date,
    chair: str,
    secretary: str | None,
    attendees: int,
    agree: int,
    note: str | None,
    user_id: int,
    today: date | None = None,
) -> dict[str, Any]:
    """Record a village meeting; ≥ 50 % of attendees agreeing passes the village's results,
    otherwise every household of the village goes back for re-survey (through the sync feed)."""
    check_day(db, round_id, held_on, ("Ngày họp", "The meeting date"), today)
    if attendees < 1 or agree < 0 or agree > attendees:
        raise ReviewError(
            "Số người dự họp / đồng ý không hợp lệ.", "Attendees / agreeing numbers are not valid."
        )
    passed = 2 * agree >= attendees
    with transaction(db) as conn:
        check_unlocked(conn, round_id, commune_code)
        rows = _households(db, round_id, commune_code, village)
        if not rows:
            raise ReviewError(
                "Thôn không có hộ nào trong đợt này.", "No households in this village."
            )
        _check_meeting_allowed(rows)
        snapshot = [
            {
                k: r[k]
                for k in ("household_id", "head_name", "computed_class", "final_class", "status")
            }
            for r in rows
        ]
        meeting_id = conn.execute(
            "INSERT INTO review_meetings (round_id, commune_code, village, held_on, chair,"
            " secretary, attendees, agree, passed, households, note, user_id, created_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                round_id,
                commune_code,
                village,
                held_on.isoformat(),
                chair,
                secretary,
                attendees,
                agree,
                int(passed),
                json.dumps(snapshot, ensure_ascii=False),
                note,
                user_id,
                utcnow(),
            ],
        ).lastrowid
        add_event(
            conn,
            action="meeting",
            user_id=user_id,
            round_id=round_id,
            commune_code=commune_code,
            comment=note,
            data={
                "meeting_id": meeting_id,
                "village": village,
                "attendees": attendees,
                "agree": agree,
                "passed": passed,
            },
        )
        if not passed:
            _send_back(conn, round_id, commune_code, rows, village, user_id)
    return get_meeting(db, meeting_id)


def _check_meeting_allowed(rows: list[dict]) -> None:
    """The list rule: a village meets only when every household's class is accepted."""
    waiting = [r for r in rows if r["status"] in BLOCKS_MEETING]
    if not waiting:
        return
    sent_back = sum(r["status"] in UNDER_REVIEW for r in waiting)
    to_check = len(waiting) - sent_back
    parts_vi, parts_en = [], []
    if to_check:
        parts_vi.append(f"{to_check} hộ chưa được xã kiểm tra")
        parts_en.append(f"{_households_en(to_check)} not checked yet")
    if sent_back:
        parts_vi.append(f"{sent_back} hộ đang rà soát lại (đã trả lại điều tra viên)")
        parts_en.append(f"{_households_en(sent_back)} under review (returned to the enumerator)")
    raise ReviewError(
        "Chưa thể họp dân: " + "; ".join(parts_vi) + ". Hãy quyết định các hộ này trước.",
        "The meeting cannot be held yet: " + "; ".join(parts_en) + ". Decide them first.",
    )


def _send_back(conn, round_id, commune_code, rows, village, user_id) -> None:
    reason = f"Họp dân thôn {village} không thông qua (dưới 50%): rà soát lại."
    for row in rows:
        if row["status"] in ("returned", "resurvey"):
            continue
        write_decision(
            conn,
            round_id=round_id,
            household_id=row["household_id"],
            commune_code=commune_code,
            version=row["version"],
            computed=row["computed_class"],
            decision="resurvey",
            override_class=None,
            reason=reason,
            user_id=user_id,
            extra={"village": village},
        )


def list_meetings(db, round_id: int, commune_code: str) -> list[dict[str, Any]]:
    return list(
        db.query(
            "SELECT id, village, held_on, chair, attendees, agree, passed FROM review_meetings"
            " WHERE round_id = ? AND commune_code = ? ORDER BY id DESC",
            [round_id, commune_code],
        )
    )


# --- public posting -----------------------------------------------------------------------

POSTED_FIELDS = ("household_id", "head_name", "village", "address")


def posting_list(db, review_round: dict[str, Any], commune_code: str) -> dict[str, Any]:
    """The lists to post: per category, only the fields the law posts (name, village, address).

    Only villages whose latest meeting passed are included; the others are named as missing.
    """
    data = categorise(db, review_round, commune_code)
    passed, pending = set(), set()
    for entry in village_overview(db, review_round["id"], commune_code):
        meeting = entry["meeting"]
        (passed if meeting and meeting["passed"] else pending).add(entry["village"])
    records = _addresses(db, review_round["id"], commune_code)
    lists: dict[str, list[dict]] = {c: [] for c in CATEGORIES}
    under_review: list[dict] = []
    for row in data["rows"]:
        if (row["village"] or "") not in passed:
            continue
        if not row["placement"].on_legal_lists:
            # sent back after its village's meeting: listed apart, never as a class
            under_review.append({"head_name": row["head_name"], "village": row["village"]})
            continue
        posted = {
            "head_name": row["head_name"],
            "village": row["village"],
            "address": records.get(row["household_id"]),
            "household_id": row["household_id"],
        }
        for category in row["categories"]:
            lists[category].append(posted)
    return {
        "lists": lists,
        "pending_villages": sorted(pending),
        "under_review": under_review,
        "movement": data["movement"],
    }


def _addresses(db, round_id: int, commune_code: str) -> dict[str, str | None]:
    return dict(
        db.execute(
            "SELECT household_id, address FROM households WHERE round_id = ? AND commune_code = ?",
            [round_id, commune_code],
        ).fetchall()
    )


def record_posting(
    db,
    *,
    review_round: dict[str, Any],
    commune_code: str,
    kind: str,
    posted_from: date,
    place: str | None,
    note: str | None,
    user_id: int,
    today: date | None = None,
) -> dict[str, Any]:
    """Record that the list (or the re-check result) was posted from `posted_from`."""
    check_day(db, review_round["id"], posted_from, ("Ngày niêm yết", "The posting date"), today)
    settings = round_settings(db, review_round)
    # Vietnam's public holidays (the holidays package) with the province's changes on top
    calendar = round_calendar(posted_from, settings["holidays"])
    until = posting_end(posted_from, settings["posting_days"], calendar)
    with transaction(db) as conn:
        check_unlocked(conn, review_round["id"], commune_code)
        posting_id = conn.execute(
            "INSERT INTO review_postings (round_id, commune_code, kind, posted_from, working_days,"
            " posted_until, place, note, user_id, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            [
                review_round["id"],
                commune_code,
                kind,
                posted_from.isoformat(),
                settings["posting_days"],
                until.isoformat(),
                place,
                note,
                user_id,
                utcnow(),
            ],
        ).lastrowid
        add_event(
            conn,
            action="posting" if kind == "list" else "reposting",
            user_id=user_id,
            round_id=review_round["id"],
            commune_code=commune_code,
            comment=note,
            data={
                "posting_id": posting_id,
                "from": posted_from.isoformat(),
                "until": until.isoformat(),
                "working_days": settings["posting_days"],
            },
        )
    return list_postings(db, review_round["id"], commune_code)[0]


def list_postings(db, round_id: int, commune_code: str) -> list[dict[str, Any]]:
    return list(
        db.query(
            "SELECT * FROM review_postings WHERE round_id = ? AND commune_code = ? ORDER BY id DESC",
            [round_id, commune_code],
        )
    )


# --- complaints (phúc tra) ----------------------------------------------------------------


def register_complaint(
    db,
    *,
    round_id: int,
    household_id: str,
    complainant: str,
    content: str,
    received_on: date,
    user_id: int,
    today: date | None = None,
) -> int:
    """A complaint against a household's class; returns its id."""
    check_day(db, round_id, received_on, ("Ngày nhận khiếu nại", "The complaint date"), today)
    if not complainant.strip() or not content.strip():
        raise ReviewError(
            "Cần ghi người khiếu nại và nội dung.", "Complainant and content are required."
        )
    with transaction(db) as conn:
        row = conn.execute(
            "SELECT commune_code FROM households WHERE round_id = ? AND household_id = ?",
            [round_id, household_id],
        ).fetchone()
        if row is None:
            raise ReviewError("Không tìm thấy hộ.", "No such household.")
        check_unlocked(conn, round_id, row[0])
        complaint_id = conn.execute(
            "INSERT INTO review_complaints (round_id, commune_code, household_id, complainant,"
            " content, received_on, user_id, created_at) VALUES (?,?,?,?,?,?,?,?)",
            [
                round_id,
                row[0],
                household_id,
                complainant.strip(),
                content.strip(),
                received_on.isoformat(),
                user_id,
                utcnow(),
            ],
        ).lastrowid
        add_event(
            conn,
            action="complaint",
            user_id=user_id,
            round_id=round_id,
            commune_code=row[0],
            household_id=household_id,
            comment=content.strip(),
            data={"complaint_id": complaint_id, "complainant": complainant.strip()},
        )
    return complaint_id


def get_complaint(db, complaint_id: int) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM review_complaints WHERE id = ?", [complaint_id]))
    return rows[0] if rows else None


def resolve_complaint(
    db,
    *,
    complaint_id: int,
    recheck_on: date,
    outcome: str,
    new_class: str | None,
    note: str,
    user_id: int,
    today: date | None = None,
) -> dict[str, Any]:
    """The re-check's outcome: class kept, or changed (an override with the re-check as reason)."""
    from server.queries.review import CLASSES

    if outcome not in ("kept", "changed") or not note.strip():
        raise ReviewError("Cần ghi kết quả phúc tra.", "The re-check outcome is required.")
    if outcome == "changed" and new_class not in CLASSES:
        raise ReviewError("Chọn loại hộ sau phúc tra.", "Choose the class after the re-check.")
    with transaction(db) as conn:
        complaint = conn.execute(
            "SELECT round_id, commune_code, household_id, status FROM review_complaints"
            " WHERE id = ?",
            [complaint_id],
        ).fetchone()
        if complaint is None or complaint[3] != "open":
            raise ReviewError(
                "Khiếu nại không tồn tại hoặc đã giải quyết.", "No such open complaint."
            )
        round_id, commune_code, household_id, _ = complaint
        check_unlocked(conn, round_id, commune_code)
        check_day(conn, round_id, recheck_on, ("Ngày phúc tra", "The re-check date"), today)
        conn.execute(
            "UPDATE review_complaints SET status = 'resolved', recheck_on = ?, outcome = ?,"
            " new_class = ?, outcome_note = ?, resolved_by = ?, resolved_at = ? WHERE id = ?",
            [
                recheck_on.isoformat(),
                outcome,
                new_class if outcome == "changed" else None,
                note.strip(),
                user_id,
                utcnow(),
                complaint_id,
            ],
        )
        add_event(
            conn,
            action="recheck",
            user_id=user_id,
            round_id=round_id,
            commune_code=commune_code,
            household_id=household_id,
            comment=note.strip(),
            data={
                "complaint_id": complaint_id,
                "outcome": outcome,
                "new_class": new_class,
                "recheck_on": recheck_on.isoformat(),
            },
        )
        if outcome == "changed":
            version, computed = conn.execute(
                "SELECT version, classification FROM households WHERE round_id = ? AND"
                " household_id = ?",
                [round_id, household_id],
            ).fetchone()
            write_decision(
                conn,
                round_id=round_id,
                household_id=household_id,
                commune_code=commune_code,
                version=version,
                computed=computed,
                decision="overridden",
                override_class=new_class,
                # the note as written; the event's complaint_id says it came from a re-check
                reason=note.strip(),
                user_id=user_id,
                extra={"complaint_id": complaint_id},
            )
    return get_complaint(db, complaint_id)


def list_complaints(db, round_id: int, commune_code: str) -> list[dict[str, Any]]:
    return list(
        db.query(
            "SELECT c.*, h.head_name FROM review_complaints c"
            " LEFT JOIN households h ON h.round_id = c.round_id AND h.household_id = c.household_id"
            " WHERE c.round_id = ? AND c.commune_code = ? ORDER BY c.id DESC",
            [round_id, commune_code],
        )
    )


# --- recognition --------------------------------------------------------------------------


def recognition_blockers(
    db, review_round: dict, commune_code: str, today: date
) -> list[tuple[str, str]]:
    """Why the commune cannot recognise its lists yet, as (Vietnamese, English) pairs."""
    round_id, found = review_round["id"], []
    rows = _households(db, round_id, commune_code)
    if not rows:
        found.append(
            ("Xã chưa có hộ nào trong đợt này.", "The commune has no households this round.")
        )
    undecided = sum(r["status"] in UNDECIDED for r in rows)
    if undecided:
        found.append(
            (
                f"{undecided} hộ chưa được xác nhận hoặc điều chỉnh.",
                f"{_households_en(undecided)} not confirmed or overridden.",
            )
        )
    for entry in village_overview(db, round_id, commune_code):
        if not (entry["meeting"] and entry["meeting"]["passed"]):
            found.append(
                (
                    f"{village_name(entry['village'])}: chưa có cuộc họp dân thông qua.",
                    f"{village_name(entry['village'], None, 'en')}: no meeting has passed"
                    " its results.",
                )
            )
    found += _posting_blockers(db, round_id, commune_code, today)
    data = categorise(db, review_round, commune_code)
    if data["missing"]:
        found.append(
            (
                f"{len(data['missing'])} hộ trong danh sách năm trước không có phiếu đợt này.",
                f"{len(data['missing'])} households of last year's lists have no record this round.",
            )
        )
    for klass in ("poor", "near_poor"):
        if not data["movement"][klass]["balanced"]:
            found.append(
                (
                    f"Biến động {_NAMES_VI[klass]} không cân: cuối kỳ ≠ đầu kỳ − thoát + tái + mới.",
                    f"Movement of {_NAMES_EN[klass]} does not add up:"
                    " end ≠ start − exited + fell back + new.",
                )
            )
    return found


def _posting_blockers(db, round_id: int, commune_code: str, today: date) -> list[tuple[str, str]]:
    found = []
    postings = list_postings(db, round_id, commune_code)
    lists = [p for p in postings if p["kind"] == "list"]
    if not lists:
        found.append(("Chưa niêm yết danh sách.", "The lists have not been posted."))
    elif date.fromisoformat(lists[0]["posted_until"]) >= today:
        found.append(
            (
                f"Thời gian niêm yết chưa hết (đến {lists[0]['posted_until']}).",
                f"The posting period is not over (until {lists[0]['posted_until']}).",
            )
        )
    complaints = list_complaints(db, round_id, commune_code)
    if any(c["status"] == "open" for c in complaints):
        found.append(("Còn khiếu nại chưa phúc tra.", "Some complaints are not re-checked yet."))
    rechecks = [p["created_at"] for p in postings if p["kind"] == "recheck"]
    for complaint in complaints:
        if complaint["outcome"] == "changed" and not any(
            r >= complaint["resolved_at"] for r in rechecks
        ):
            found.append(
                (
                    "Kết quả phúc tra chưa được niêm yết lại.",
                    "The re-check result has not been re-posted.",
                )
            )
            break
    return found


def recognise(
    db,
    *,
    review_round: dict[str, Any],
    commune_code: str,
    recognised_on: date,
    decision_no: str | None,
    user_id: int,
    today: date,
) -> dict[str, Any]:
    """Close the commune's round: lock the final lists (after every check passes)."""
    with transaction(db) as conn:  # checks and writes under one write lock
        check_unlocked(conn, review_round["id"], commune_code)
        blockers = recognition_blockers(db, review_round, commune_code, today)
        if blockers:
            raise ReviewError(" ".join(b[0] for b in blockers), " ".join(b[1] for b in blockers))
        data = categorise(db, review_round, commune_code)
        conn.executemany(
            "INSERT INTO review_recognised (round_id, commune_code, household_id, head_name,"
            " village, computed_class, final_class, previous_class, categories)"
            " VALUES (?,?,?,?,?,?,?,?,?)",
            [
                (
                    review_round["id"],
                    commune_code,
                    r["household_id"],
                    r["head_name"],
                    r["village"],
                    r["computed_class"],
                    r["final_class"],
                    r["previous_class"],
                    " ".join(r["categories"]),
                )
                for r in data["rows"]
            ],
        )
        conn.execute(
            "INSERT INTO review_recognitions (round_id, commune_code, recognised_on, decision_no,"
            " movement, user_id, created_at) VALUES (?,?,?,?,?,?,?)",
            [
                review_round["id"],
                commune_code,
                recognised_on.isoformat(),
                decision_no,
                json.dumps(data["movement"]),
                user_id,
                utcnow(),
            ],
        )
        add_event(
            conn,
            action="recognise",
            user_id=user_id,
            round_id=review_round["id"],
            commune_code=commune_code,
            comment=decision_no,
            data={"movement": data["movement"], "recognised_on": recognised_on.isoformat()},
        )
    return recognition(db, review_round["id"], commune_code)


def recognition(db, round_id: int, commune_code: str) -> dict[str, Any] | None:
    rows = list(
        db.query(
            "SELECT * FROM review_recognitions WHERE round_id = ? AND commune_code = ?",
            [round_id, commune_code],
        )
    )
    return {**rows[0], "movement": json.loads(rows[0]["movement"])} if rows else None


def recognised_lists(db, round_id: int, commune_code: str | None = None) -> dict[str, list[dict]]:
    """The locked lists per category (poor, near_poor, exited_poor, …), rows with both classes."""
    sql, args = "SELECT * FROM review_recognised WHERE round_id = ?", [round_id]
    if commune_code is not None:
        sql += " AND commune_code = ?"
        args.append(commune_code)
    lists: dict[str, list[dict]] = {c: [] for c in CATEGORIES}
    for row in db.query(sql + " ORDER BY commune_code, household_id", args):
        for category in row["categories"].split():
            lists[category].append(row)
    return lists
