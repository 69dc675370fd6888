"""The JSON batch sync API over real HTTP on loopback (waitress in a subprocess)."""

from __future__ import annotations

import gzip
import json
import threading
import uuid

import pytest
import requests

from offline_sync.protocol import BATCH_PATH, MAX_BATCH_ITEMS, ME_PATH, PULL_PATH
from server.packing import unpack_text


def item(record: dict, *, base: str | None = None, item_id: str | None = None) -> dict:
    return {
        "id": item_id or str(uuid.uuid4()),
        "household_id": record["household_id"],
        "form_id": "povcensus_household",
        "form_version": "2026.1",
        "base": base,
        "record": record,
    }


@pytest.fixture
def enumerator(live_server):
    """(session with the token, username) for an enumerator of commune 18496."""
    username, token = live_server.enumerator(communes=("18496",))
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    yield session, username
    session.close()


def push(live_server, session, *items, **kwargs) -> requests.Response:
    return session.post(
        live_server.url + BATCH_PATH, json={"items": list(items)}, timeout=30, **kwargs
    )


def stored(live_server, instance_id: str) -> int:
    return (
        live_server.db()
        .execute("SELECT count(*) FROM submissions WHERE instance_id = ?", [instance_id])
        .fetchone()[0]
    )


def test_accepted_then_retry_is_duplicate_and_stored_once(live_server, enumerator, household):
    session, _ = enumerator
    first = item(household())
    answer = push(live_server, session, first)
    assert answer.status_code == 200
    result = answer.json()["results"][0]
    assert result["outcome"] == "accepted" and result["version"] == 1
    assert result["classification"]  # scored on arrival
    again = push(live_server, session, first).json()["results"][0]
    assert again["outcome"] == "duplicate"
    assert (again["version"], again["classification"]) == (1, result["classification"])
    assert stored(live_server, first["id"]) == 1
    score = (
        live_server.db()
        .execute(
            "SELECT standard, official, classification FROM scores WHERE household_id = ?",
            [first["household_id"]],
        )
        .fetchall()
    )
    assert [(s, o) for s, o, _ in score] == [("vn-2022", 1)]
    assert score[0][2] == result["classification"]


def test_same_id_other_content_is_quarantined_conflict(live_server, enumerator, household):
    session, _ = enumerator
    first = item(household())
    push(live_server, session, first)
    changed = {**first, "record": {**first["record"], "head_name": "Lê Văn Khác"}}
    result = push(live_server, session, changed).json()["results"][0]
    assert result["outcome"] == "conflict"
    assert result["conflict"]["reason"] == "id_reused"
    rows = (
        live_server.db()
        .execute("SELECT reason, payload FROM quarantine WHERE instance_id = ?", [first["id"]])
        .fetchall()
    )
    assert len(rows) == 1 and "Lê Văn Khác" in rows[0][1]
    assert stored(live_server, first["id"]) == 1


def test_edit_of_stale_version_is_conflict(live_server, enumerator, household):
    session, _ = enumerator
    record = household()
    original = item(record)
    edit = item({**record, "head_name": "Sửa lần 1"}, base=original["id"])
    late_edit = item({**record, "head_name": "Sửa trên bản cũ"}, base=original["id"])
    results = push(live_server, session, original, edit, late_edit).json()["results"]
    assert [r["outcome"] for r in results] == ["accepted", "accepted", "conflict"]
    assert results[1]["version"] == 2
    assert results[2]["conflict"] == {"reason": "stale_base", "current_id": edit["id"]}
    second_new = item({**record, "head_name": "Hộ trùng"})  # base null, household exists
    result = push(live_server, session, second_new).json()["results"][0]
    assert result["conflict"]["reason"] == "stale_base"
    current = session.get(
        live_server.url + f"/api/v1/households/{record['household_id']}", timeout=10
    ).json()
    assert (current["version"], current["submission_id"]) == (2, edit["id"])
    assert current["record"]["head_name"] == "Sửa lần 1"


def test_bad_items_do_not_block_good_ones(live_server, enumerator, household):
    session, _ = enumerator
    good1, good2 = item(household()), item(household())
    invalid = item(household())
    del invalid["record"]["members"]
    no_form = {k: v for k, v in item(household()).items() if k != "form_version"}
    old_form = {**item(household()), "form_version": "1999.1"}
    results = push(live_server, session, good1, invalid, no_form, good2, 7, old_form).json()[
        "results"
    ]
    assert [r["outcome"] for r in results] == [
        "accepted",
        "rejected",
        "rejected",
        "accepted",
        "rejected",
        "rejected",
    ]
    assert any(e["path"].startswith("members") for e in results[1]["errors"])
    assert results[1]["errors"][0]["message_vi"] and results[1]["errors"][0]["message_en"]
    assert results[2]["errors"][0]["path"] == "form_version"
    assert results[5]["errors"][0]["code"] == "unknown_form_version"
    assert stored(live_server, invalid["id"]) == 0


def test_concurrent_posts_of_one_submission_store_it_once(live_server, enumerator, household):
    session, _ = enumerator
    token = session.headers["Authorization"]
    same = item(household())
    outcomes, barrier = [], threading.Barrier(8)

    def post() -> None:
        with requests.Session() as own:
            own.headers["Authorization"] = token
            barrier.wait()
            outcomes.append(push(live_server, own, same).json()["results"][0]["outcome"])

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["accepted"] + ["duplicate"] * 7
    assert stored(live_server, same["id"]) == 1


def test_outside_assignment_is_rejected_per_item(live_server, enumerator, household):
    session, username = enumerator
    other = item(household(commune="18502"))
    result = push(live_server, session, other).json()["results"][0]
    assert result["outcome"] == "rejected"
    assert result["errors"][0]["code"] == "outside_assignment"
    assert username in result["errors"][0]["message_en"]


def test_gzip_body_is_accepted(live_server, enumerator, household):
    session, _ = enumerator
    payload = gzip.compress(json.dumps({"items": [item(household())]}).encode())
    answer = session.post(
        live_server.url + BATCH_PATH,
        data=payload,
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
        timeout=30,
    )
    assert answer.status_code == 200
    assert answer.json()["results"][0]["outcome"] == "accepted"


def assert_error(answer: requests.Response, status: int, code: str) -> dict:
    assert answer.status_code == status, answer.text
    body = answer.json()["error"]
    assert body["code"] == code
    assert body["message"] and body["message_vi"] and body["message"] != body["message_vi"]
    return body


def test_oversize_bodies_get_413(live_server, enumerator):
    session, _ = enumerator
    too_big = b'{"items": [' + b" " * (17 * 1024 * 1024) + b"]}"
    answer = session.post(
        live_server.url + BATCH_PATH,
        data=too_big,
        headers={"Content-Type": "application/json"},
        timeout=60,
    )
    assert_error(answer, 413, "payload_too_large")
    bomb = gzip.compress(b'{"items": [' + b" " * (20 * 1024 * 1024) + b"]}")
    answer = session.post(
        live_server.url + BATCH_PATH,
        data=bomb,
        timeout=60,
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    assert_error(answer, 413, "payload_too_large")
    many = {"items": [{}] * (MAX_BATCH_ITEMS + 1)}
    assert_error(push(live_server, session, *many["items"]), 413, "payload_too_large")


def test_bad_requests_get_precise_4xx(live_server, enumerator):
    session, _ = enumerator
    url = live_server.url + BATCH_PATH
    body = assert_error(
        session.post(
            url, data=b'{"items": [}', headers={"Content-Type": "application/json"}, timeout=10
        ),
        400,
        "malformed_json",
    )
    assert "line 1, column 12" in body["message"]
    assert_error(
        session.post(
            url,
            data=b"\x1f\x8bnot gzip",
            timeout=10,
            headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
        ),
        400,
        "malformed_gzip",
    )
    assert_error(
        session.post(url, data=b"items", headers={"Content-Type": "text/plain"}, timeout=10),
        415,
        "unsupported_media_type",
    )
    assert_error(session.post(url, json=[1, 2], timeout=10), 400, "invalid_request")
    assert_error(
        session.post(
            url, data=b'{"items": [NaN]}', timeout=10, headers={"Content-Type": "application/json"}
        ),
        400,
        "malformed_json",
    )
    assert_error(session.get(url, timeout=10), 405, "method_not_allowed")
    assert_error(session.get(live_server.url + "/api/v1/nothing", timeout=10), 404, "not_found")
    assert_error(
        session.get(live_server.url + PULL_PATH + "?cursor=abc", timeout=10), 400, "invalid_request"
    )
    too_far = session.get(live_server.url + PULL_PATH, params={"cursor": 2**63}, timeout=10)
    assert_error(too_far, 400, "invalid_request")  # found by the fuzz test: was a 500


def test_tokens_are_checked(live_server, household):
    url = live_server.url + BATCH_PATH
    for headers in ({}, {"Authorization": "Bearer pvc_wrong"}, {"Authorization": "Basic eDp5"}):
        answer = requests.post(url, json={"items": []}, headers=headers, timeout=10)
        assert_error(answer, 401, "unauthorized")
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    from server.queries.users import (
        issue_token,
        revoke_token,
        set_active,
        token_hash,
        user_for_token,
    )

    username, token = live_server.enumerator()
    good = {"Authorization": f"Bearer {token}"}
    assert requests.get(live_server.url + ME_PATH, headers=good, timeout=10).status_code == 200
    revoke_token(live_server.db(), user_for_token(live_server.db(), token).device_id)
    assert requests.get(live_server.url + ME_PATH, headers=good, timeout=10).status_code == 401
    other = {"Authorization": f"Bearer {live_server.token(username, 'second')}"}
    assert requests.get(live_server.url + ME_PATH, headers=other, timeout=10).status_code == 200
    set_active(live_server.db(), username, False)
    assert requests.get(live_server.url + ME_PATH, headers=other, timeout=10).status_code == 401
    expiring_user, _ = live_server.enumerator()
    _, expiring = issue_token(live_server.db(), expiring_user, "short", days=1)
    expiring_headers = {"Authorization": f"Bearer {expiring}"}
    assert requests.get(live_server.url + ME_PATH, headers=expiring_headers, timeout=10).ok
    live_server.db().execute(
        "UPDATE devices SET expires_at = '2000-01-01T00:00:00Z' WHERE token_hash = ?",
        [token_hash(expiring)],
    )
    answer = requests.get(live_server.url + ME_PATH, headers=expiring_headers, timeout=10)
    assert_error(answer, 401, "unauthorized")


def test_me_reports_user_communes_and_round(live_server, enumerator):
    session, username = enumerator
    me = session.get(live_server.url + ME_PATH, timeout=10).json()
    assert me["user"] == username and me["role"] == "enumerator"
    assert me["communes"] == ["18496"]
    assert me["round"]["standard"] == "vn-2022" and me["round"]["status"] == "open"


def test_household_endpoint_checks_scope(live_server, enumerator, household):
    session, _ = enumerator
    record = household()
    push(live_server, session, item(record))
    url = live_server.url + f"/api/v1/households/{record['household_id']}"
    assert session.get(url, timeout=10).json()["record"]["household_id"] == record["household_id"]
    _, other_token = live_server.enumerator(communes=("18502",))
    answer = requests.get(url, headers={"Authorization": f"Bearer {other_token}"}, timeout=10)
    assert_error(answer, 404, "not_found")  # like an unknown id: ids cannot be probed
    assert_error(session.get(url + "-none", timeout=10), 404, "not_found")


def test_pull_pages_through_own_communes_changes(live_server, enumerator):
    from server.queries.households import add_change

    session, _ = enumerator
    db = live_server.db()
    start = session.get(live_server.url + PULL_PATH, params={"cursor": 0}, timeout=10).json()
    cursor = start["cursor"]
    while start["has_more"]:
        start = session.get(
            live_server.url + PULL_PATH, params={"cursor": cursor}, timeout=10
        ).json()
        cursor = start["cursor"]
    mine = [
        add_change(
            db,
            kind="decision",
            household_id=f"18496-x-{n}",
            commune_code="18496",
            data={"action": "return", "comment": f"kiểm tra lại {n}"},
        )
        for n in range(3)
    ]
    add_change(db, kind="decision", household_id="18502-x-1", commune_code="18502", data={})
    page = session.get(
        live_server.url + PULL_PATH, params={"cursor": cursor, "limit": 2}, timeout=10
    ).json()
    assert [c["seq"] for c in page["changes"]] == mine[:2] and page["has_more"]
    rest = session.get(
        live_server.url + PULL_PATH, params={"cursor": page["cursor"]}, timeout=10
    ).json()
    assert [c["seq"] for c in rest["changes"]] == mine[2:] and not rest["has_more"]
    assert rest["changes"][0]["data"]["comment"] == "kiểm tra lại 2"
    assert rest["changes"][0]["kind"] == "decision"


def test_stored_payload_is_the_item_and_hash_is_the_protocol_content_hash(
    live_server, enumerator, household
):
    from offline_sync.protocol import canonical_json, content_hash

    session, _ = enumerator
    sent = item(household(head_name="Phạm Thị Hoà"))
    push(live_server, session, sent)
    payload, sha256 = (
        live_server.db()
        .execute("SELECT payload, sha256 FROM submissions WHERE instance_id = ?", [sent["id"]])
        .fetchone()
    )
    assert unpack_text(payload) == canonical_json(sent).decode()  # stored packed (issue 16)
    assert sha256 == content_hash(sent)


def test_an_edit_of_an_unknown_or_its_own_submission_is_a_conflict(
    live_server, enumerator, household
):
    session, _ = enumerator
    orphan = item(household(), base=str(uuid.uuid4()))
    itself = item(household())
    itself["base"] = itself["id"]
    results = push(live_server, session, orphan, itself).json()["results"]
    assert [r["conflict"]["reason"] for r in results] == ["unknown_base", "unknown_base"]
    assert stored(live_server, orphan["id"]) == stored(live_server, itself["id"]) == 0


def test_a_batch_is_written_in_one_transaction_and_answered_after_its_commit(
    live_server, enumerator, household
):
    """Issue 16: the items of a batch that pass the checks are written under one commit, each
    in its own savepoint. A failure while writing (here a fault injected into the database on
    the third household) rolls the whole batch back and answers 500 — nothing was answered
    `accepted`, so nothing acknowledged is lost — and the sender's retry stores each once."""
    session, _ = enumerator
    records = [household() for _ in range(5)]
    items = [item(record) for record in records]
    db = live_server.db()
    with db.conn:
        db.execute(
            "CREATE TRIGGER fault AFTER INSERT ON households WHEN NEW.household_id = ?"
            " BEGIN SELECT RAISE(ABORT, 'disk fault (test)'); END".replace(
                "?", "'" + records[2]["household_id"] + "'"
            )
        )
    answer = push(live_server, session, *items)
    assert answer.status_code == 500
    assert [stored(live_server, i["id"]) for i in items] == [0] * 5
    with db.conn:
        db.execute("DROP TRIGGER fault")
    results = push(live_server, session, *items).json()["results"]
    assert [r["outcome"] for r in results] == ["accepted"] * 5
    assert [stored(live_server, i["id"]) for i in items] == [1] * 5
    again = push(live_server, session, *items).json()["results"]
    assert [r["outcome"] for r in again] == ["duplicate"] * 5


def test_one_id_twice_in_a_batch_is_stored_once(live_server, enumerator, household):
    """Both copies pass the checks before either is written; the savepoint of the second rolls
    back alone and it is answered as a later post would be: `duplicate` for the same content,
    a quarantined `conflict` for other content, and the items around them are accepted."""
    session, _ = enumerator
    record, other = household(), household()
    first = item(record)
    same = dict(first)
    reused = item({**record, "head_name": "Khác"}, item_id=first["id"])
    results = push(live_server, session, first, same, item(other), reused).json()["results"]
    assert [r["outcome"] for r in results] == ["accepted", "duplicate", "accepted", "conflict"]
    assert results[3]["conflict"]["reason"] == "id_reused"
    assert stored(live_server, first["id"]) == 1
    quarantined = (
        live_server.db()
        .execute("SELECT count(*) FROM quarantine WHERE instance_id = ?", [first["id"]])
        .fetchone()[0]
    )
    assert quarantined == 1
