"""Quarantined conflicts resolved by a person on the commune review pages: both versions side
by side, "accept as a new version" through the real ingest path, "keep the current version",
a mandatory reason, the history, and the lock after recognition."""

from __future__ import annotations

import json
import re
import uuid

from test_review_support import OWN, make_review

from server.queries import review_quarantine as rq


def _state(db, household_id: str) -> tuple:
    return db.execute(
        "SELECT version, submission_id, json_extract(unpacked(record), '$.head_name') FROM households"
        " WHERE household_id = ?",
        [household_id],
    ).fetchone()


def _quarantine(db, quarantine_id: int) -> tuple:
    return db.execute(
        "SELECT status, resolved_by, resolution FROM quarantine WHERE id = ?", [quarantine_id]
    ).fetchone()


def _events(db, household_id: str) -> list[tuple]:
    return db.execute(
        "SELECT action, comment, user_id, data FROM review_events"
        " WHERE household_id = ? AND action LIKE 'quarantine_%'",
        [household_id],
    ).fetchall()


def test_page_shows_both_versions_and_the_count_in_the_navigation(app, db, open_round):
    review = make_review(app, db, open_round())
    household = review.add("poor", head_name="Lò Văn Cũ")
    review.conflict(household, head_name="Lò Văn Mới")
    client = review.login(app.test_client(), "head")
    queue = client.get(f"/review/c/{OWN}/").get_data(as_text=True)
    assert "Xung đột (1)" in queue
    page = client.get(f"/review/c/{OWN}/conflicts").get_data(as_text=True)
    assert "Lò Văn Cũ" in page and "Lò Văn Mới" in page
    assert "Sửa trên phiếu cũ" in page  # stale_base, in Vietnamese
    assert 'class="differs"' in page
    # answers are rendered with the questionnaire's labels, as on the household page
    record = json.loads(db.execute("SELECT unpacked(record) FROM households").fetchone()[0])
    from server.review.answers import answer_label, question_label

    assert question_label("head_name", "vi") in page
    latrine = str(answer_label("dwelling.latrine", record["dwelling"]["latrine"], "vi"))
    assert latrine not in page  # only the differences by default …
    every = client.get(f"/review/c/{OWN}/conflicts?all=1").get_data(as_text=True)
    assert latrine in every  # … every answer on request


def test_accept_goes_through_ingest_as_a_new_scored_version(app, db, open_round):
    review = make_review(app, db, open_round())
    household = review.add("poor", head_name="Lò Văn Cũ")
    version, current_id, _ = _state(db, household)
    quarantine_id = review.conflict(household, head_name="Lò Văn Mới")
    client = review.login(app.test_client(), "head")
    response = client.post(
        f"/review/c/{OWN}/conflicts/{quarantine_id}",
        data={"action": "accepted", "reason": "Hộ đổi chủ hộ, phiếu mới đúng"},
    )
    assert response.status_code == 302
    new_version, new_id, head = _state(db, household)
    assert (new_version, head) == (version + 1, "Lò Văn Mới")
    base = db.execute("SELECT base_id FROM submissions WHERE instance_id = ?", [new_id]).fetchone()
    assert base == (current_id,)
    score = db.execute(
        "SELECT classification FROM scores WHERE household_id = ? AND household_version = ?"
        " AND official = 1",
        [household, new_version],
    ).fetchone()
    assert score is not None and score[0] == "poor"
    head_user = review.users["head"]
    assert _quarantine(db, quarantine_id) == ("resolved", head_user.id, "accepted")
    ((action, comment, user_id, data),) = _events(db, household)
    assert (action, comment, user_id) == (
        "quarantine_accept",
        "Hộ đổi chủ hộ, phiếu mới đúng",
        head_user.id,
    )
    assert json.loads(data)["version"] == new_version
    page = client.get(f"/review/c/{OWN}/conflicts").get_data(as_text=True)
    assert "Xung đột (0)" in page and "Không có xung đột nào chờ xử lý." in page


def test_keep_leaves_the_current_version_and_a_reason_is_required(app, db, open_round):
    review = make_review(app, db, open_round())
    household = review.add("near_poor")
    before = _state(db, household)
    quarantine_id = review.conflict(household, head_name="Sai Tên")
    client = review.login(app.test_client(), "admin")
    url = f"/review/c/{OWN}/conflicts/{quarantine_id}"
    client.post(url, data={"action": "kept", "reason": "   "})
    client.post(url, data={"action": "kept"})
    assert _quarantine(db, quarantine_id)[0] == "open" and _events(db, household) == []
    client.post(url, data={"action": "kept", "reason": "Tên trong phiếu mới bị nhập sai"})
    assert _state(db, household) == before
    assert _quarantine(db, quarantine_id) == ("resolved", review.users["admin"].id, "kept")
    assert [e[:2] for e in _events(db, household)] == [
        ("quarantine_keep", "Tên trong phiếu mới bị nhập sai")
    ]
    resolution = db.execute(
        "SELECT action, reason FROM review_quarantine_resolutions WHERE quarantine_id = ?",
        [quarantine_id],
    ).fetchone()
    assert resolution == ("kept", "Tên trong phiếu mới bị nhập sai")
    # resolving twice is refused: nothing more recorded
    client.post(url, data={"action": "accepted", "reason": "again"})
    assert len(_events(db, household)) == 1 and _state(db, household) == before


def test_a_reused_id_is_accepted_under_an_id_of_its_own(app, db, open_round):
    from offline_sync.protocol import canonical_json, content_hash
    from server.ingest import Submission, ingest

    review = make_review(app, db, open_round())
    household = review.add("poor")
    version, current_id, _ = _state(db, household)
    record = json.loads(db.execute("SELECT unpacked(record) FROM households").fetchone()[0])
    record.pop("round")
    record["head_name"] = "Tên Khác"
    item = {
        "id": current_id,
        "form_id": record["form_id"],
        "form_version": record["form_version"],
        "household_id": household,
        "base": None,
        "record": record,
    }
    outcome = ingest(
        db,
        Submission(
            current_id,
            item["form_id"],
            item["form_version"],
            record,
            canonical_json(item).decode(),
            content_hash(item),
            "json",
            review.users["enum"],
            household,
        ),
        province="42",
    )
    assert outcome.conflict["reason"] == "id_reused"
    (row,) = rq.list_open(db, review.round["id"], OWN)  # found through its household
    client = review.login(app.test_client(), "head")
    client.post(
        f"/review/c/{OWN}/conflicts/{row['id']}", data={"action": "accepted", "reason": "đúng"}
    )
    new_version, new_id, head = _state(db, household)
    assert (new_version, head) == (version + 1, "Tên Khác")
    assert new_id == f"{current_id}~q{row['id']}"


def test_an_xml_conflict_is_read_and_accepted(app, db, open_round):
    from server.ingest import Submission, ingest
    from survey_forms.xform import household_to_instance

    review = make_review(app, db, open_round())
    household = review.add("poor")
    record = json.loads(db.execute("SELECT unpacked(record) FROM households").fetchone()[0])
    record.pop("round")
    record["head_name"] = "Tên Từ ODK"
    instance_id = f"uuid:{uuid.uuid4()}"
    xml = household_to_instance(record, instance_id=instance_id, deprecated_id=None)
    from survey_forms.xform import instance_to_household

    parsed = instance_to_household(xml)
    parsed.pop("meta", None)
    outcome = ingest(
        db,
        Submission(
            instance_id,
            parsed["form_id"],
            parsed["form_version"],
            parsed,
            xml.decode(),
            "x" * 64,
            "xml",
            review.users["enum"],
        ),
        province="42",
    )
    assert outcome.outcome == "conflict"
    (row,) = rq.list_open(db, review.round["id"], OWN)
    assert row["record"]["head_name"] == "Tên Từ ODK"
    client = review.login(app.test_client(), "head")
    client.post(
        f"/review/c/{OWN}/conflicts/{row['id']}", data={"action": "accepted", "reason": "ok"}
    )
    assert _state(db, household)[1:] == (instance_id, "Tên Từ ODK")


def test_after_recognition_no_conflict_can_be_resolved(app, db, open_round):
    review = make_review(app, db, open_round())
    household = review.add("poor")
    before = _state(db, household)
    quarantine_id = review.conflict(household, head_name="Muộn")
    db.execute(
        "INSERT INTO review_recognitions (round_id, commune_code, recognised_on, movement,"
        " created_at) VALUES (?, ?, '2026-12-15', '{}', '2026-12-15')",
        [review.round["id"], OWN],
    )
    db.conn.commit()
    client = review.login(app.test_client(), "head")
    page = client.get(f"/review/c/{OWN}/conflicts").get_data(as_text=True)
    assert "Muộn" in page and f"conflicts/{quarantine_id}" not in page  # shown, no form
    client.post(
        f"/review/c/{OWN}/conflicts/{quarantine_id}", data={"action": "accepted", "reason": "x"}
    )
    assert _state(db, household) == before and _quarantine(db, quarantine_id)[0] == "open"


def _open(db) -> list[int]:
    return [r[0] for r in db.execute("SELECT id FROM quarantine WHERE status = 'open'")]


def test_identical_conflicts_close_themselves_as_audited_duplicates(app, db, open_round):
    review = make_review(app, db, open_round())
    same = review.add("poor", head_name="Lò Văn Hai Lần")
    other = review.add("poor", head_name="Lò Văn Khác")
    twice = review.conflict(same)  # the very same answers sent from a second tablet
    differs = review.conflict(other, head_name="Lò Văn Sửa")
    client = review.login(app.test_client(), "province")  # even a reader's visit closes them
    page = client.get(f"/review/c/{OWN}/conflicts").get_data(as_text=True)
    assert "đã tự động đóng vì trùng lặp" in page
    assert _open(db) == [differs]
    assert _quarantine(db, twice) == ("resolved", None, "duplicate")
    events = _events(db, same)
    assert [(e[0], e[2]) for e in events] == [("quarantine_duplicate", None)]
    assert json.loads(events[0][3])["quarantine_id"] == twice
    kept = db.execute(
        "SELECT action FROM review_quarantine_resolutions WHERE quarantine_id = ?", [twice]
    ).fetchone()
    assert kept == ("kept",)


def test_differences_are_labelled_from_the_questionnaire(app, db, open_round):
    review = make_review(app, db, open_round())
    household = review.add("poor")
    record = json.loads(db.execute("SELECT unpacked(record) FROM households").fetchone()[0])
    members = record["members"]
    members[0] = {**members[0], "highest_diploma": "upper_secondary"}
    review.conflict(household, members=members)
    client = review.login(app.test_client(), "head")
    page = client.get(f"/review/c/{OWN}/conflicts").get_data(as_text=True)
    assert "Thành viên 1" in page and "Bằng cấp cao nhất đã đạt" in page
    assert "Tốt nghiệp THPT" in page or "trung học phổ thông" in page.lower()
    text = re.sub(r"<[^>]+>", " ", page)  # what the reader sees (not attributes)
    for raw in ("upper_secondary", "highest_diploma", "form_version", "members[1]", "form_id"):
        assert raw not in text, raw
    assert "1 câu trả lời khác nhau" in page


def test_keep_many_with_one_reason_audits_each(app, db, open_round):
    review = make_review(app, db, open_round())
    ids = []
    for n in range(3):
        household = review.add("poor", head_name=f"Chủ Hộ {n}")
        ids.append(review.conflict(household, head_name=f"Tên Khác {n}"))
    client = review.login(app.test_client(), "head")
    refused = client.post(f"/review/c/{OWN}/conflicts/keep", data={"pick": ids, "reason": ""})
    assert refused.status_code == 422 and _open(db) == ids
    response = client.post(
        f"/review/c/{OWN}/conflicts/keep",
        data={"pick": [str(i) for i in ids[:2]], "reason": "Phiếu hiện tại đã được xác minh"},
    )
    assert response.status_code == 302
    assert _open(db) == ids[2:]
    reasons = db.execute(
        "SELECT quarantine_id, action, reason FROM review_quarantine_resolutions ORDER BY 1"
    ).fetchall()
    assert reasons == [(i, "kept", "Phiếu hiện tại đã được xác minh") for i in ids[:2]]
    events = db.execute(
        "SELECT count(*) FROM review_events WHERE action = 'quarantine_keep'"
    ).fetchone()
    assert events == (2,)
