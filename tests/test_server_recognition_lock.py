"""Post-recognition lock (Quyết định 24/2021) over real HTTP: once the commune chairman has
recognised the round's lists, a new submission for that commune is rejected with
`round_recognised` (JSON batch) / 422 (OpenRosa); a retry of an accepted item stays `duplicate`."""

from __future__ import annotations

import sqlite3
import uuid

import requests
from test_server_openrosa import assert_openrosa, collect_session, instance, submit
from test_server_sync import item, push

from server.queries.rounds import recognised_on

# Communes of province 42 no other test uses: recognising them locks them for the session.
JSON_COMMUNE, OPENROSA_COMMUNE = "18160", "18163"


def recognise(live_server, commune: str, on: str = "2026-12-15") -> None:
    db = live_server.db()
    round_id = db.execute("SELECT id FROM review_rounds WHERE status = 'open'").fetchone()[0]
    with db.conn:
        db.execute(
            "INSERT INTO review_recognitions (round_id, commune_code, recognised_on, movement,"
            " created_at) VALUES (?, ?, ?, '{}', ?)",
            [round_id, commune, on, on],
        )


def current_submission(live_server, household_id: str) -> str:
    return (
        live_server.db()
        .execute("SELECT submission_id FROM households WHERE household_id = ?", [household_id])
        .fetchone()[0]
    )


def test_communes_used_here_exist_in_the_province(live_server):
    names = live_server.db().execute(
        "SELECT code FROM communes WHERE code IN (?, ?) AND province_code = '42'",
        [JSON_COMMUNE, OPENROSA_COMMUNE],
    )
    assert len(names.fetchall()) == 2


def test_json_batch_after_recognition_is_rejected_and_retry_stays_duplicate(live_server, household):
    username, token = live_server.enumerator(communes=(JSON_COMMUNE,))
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    record = household(commune=JSON_COMMUNE)
    first = item(record)
    assert push(live_server, session, first).json()["results"][0]["outcome"] == "accepted"

    recognise(live_server, JSON_COMMUNE, "2026-12-15")

    again = push(live_server, session, first).json()["results"][0]
    assert again["outcome"] == "duplicate" and again["version"] == 1
    edit = item({**record, "head_name": "Nguyễn Văn Sửa"}, base=first["id"])
    new = item(household(commune=JSON_COMMUNE))
    answer = push(live_server, session, edit, new)
    assert answer.status_code == 200
    for result in answer.json()["results"]:
        assert result["outcome"] == "rejected"
        (error,) = result["errors"]
        assert error["code"] == "round_recognised"
        assert "2026-12-15" in error["message_en"] and "rolling" in error["message_en"]
        assert "2026-12-15" in error["message_vi"] and "rà soát thường xuyên" in error["message_vi"]
    # nothing stored, nothing quarantined, the household's current version unchanged
    db = live_server.db()
    for rejected in (edit, new):
        for table in ("submissions", "quarantine"):
            count = db.execute(
                f"SELECT count(*) FROM {table} WHERE instance_id = ?", [rejected["id"]]
            ).fetchone()[0]
            assert count == 0, table
    assert current_submission(live_server, record["household_id"]) == first["id"]
    session.close()


def test_openrosa_after_recognition_is_422_with_the_date(live_server, household):
    username, token = live_server.enumerator(communes=(OPENROSA_COMMUNE,))
    record = household(commune=OPENROSA_COMMUNE)
    first_id = f"uuid:{uuid.uuid4()}"
    with collect_session(username, token) as collect:
        xml = instance(record, first_id)
        assert_openrosa(submit(live_server, collect, xml), 201)

        recognise(live_server, OPENROSA_COMMUNE, "2026-12-20")

        assert_openrosa(submit(live_server, collect, xml), 202)  # duplicate still answered
        edit = instance({**record, "head_name": "Trần Thị Sửa"}, f"uuid:{uuid.uuid4()}", first_id)
        text = assert_openrosa(submit(live_server, collect, edit), 422)
    assert "2026-12-20" in text and "rà soát thường xuyên" in text and "rolling" in text
    assert current_submission(live_server, record["household_id"]) == first_id


def test_without_the_review_module_nothing_is_locked():
    conn = sqlite3.connect(":memory:")
    assert recognised_on(conn, 1, "18496") is None
    conn.execute("CREATE TABLE review_recognitions (round_id, commune_code, recognised_on)")
    conn.execute("INSERT INTO review_recognitions VALUES (1, '18496', '2026-12-01')")
    assert recognised_on(conn, 1, "18496") == "2026-12-01"
    assert recognised_on(conn, 2, "18496") is None
