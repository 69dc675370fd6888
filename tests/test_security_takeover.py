"""Household data stays in its commune (issue 9, findings 1–3), over the real server and both
protocols: an enumerator of another commune can neither take a household over (with or
without the current submission id as `base` / `deprecatedID`) nor learn anything about it from
the answers, the pull feed or the household endpoint; an id reused by someone else is refused,
not quarantined."""

from __future__ import annotations

import json
import uuid

import requests
from test_server_openrosa import assert_openrosa, collect_session, instance, submit
from test_server_recognition_lock import recognise
from test_server_sync import item, push

from offline_sync.protocol import PULL_PATH

# Communes of province 42 no other test uses (one of them gets recognised for the session).
VICTIM, ATTACKER, RECOGNISED = "18172", "18184", "18196"


def bearer(token: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def household_state(live_server, household_id: str) -> tuple:
    return (
        live_server.db()
        .execute(
            "SELECT commune_code, version, submission_id FROM households WHERE household_id = ?",
            [household_id],
        )
        .fetchone()
    )


def kept(live_server, instance_id: str) -> tuple[int, int]:
    """(rows in submissions, rows in quarantine) for this instance id."""
    db = live_server.db()
    return tuple(
        db.execute(f"SELECT count(*) FROM {table} WHERE instance_id = ?", [instance_id]).fetchone()[
            0
        ]
        for table in ("submissions", "quarantine")
    )


def victim_household(live_server, household, commune: str = VICTIM):
    """A household of `commune` stored by its own enumerator: (record, item, own session)."""
    _, token = live_server.enumerator(communes=(commune,))
    own = bearer(token)
    record = household(commune=commune, head_name="Phạm Thị Riêng")
    first = item(record)
    assert push(live_server, own, first).json()["results"][0]["outcome"] == "accepted"
    return record, first, own


def assert_outside(result: dict, *secrets: str) -> None:
    assert result["outcome"] == "rejected", result
    assert [e["code"] for e in result["errors"]] == ["outside_assignment"]
    assert result["conflict"] is None
    text = json.dumps(result, ensure_ascii=False)
    for secret in secrets:
        assert secret not in text


def test_json_takeover_through_the_conflict_answer_is_refused(live_server, household):
    record, first, own = victim_household(live_server, household)
    _, token = live_server.enumerator(communes=(ATTACKER,))
    attacker = bearer(token)
    stolen = {**record, "commune_code": ATTACKER, "head_name": "Kẻ Chiếm"}
    # 1. a "new" submission for the existing household: no stale_base, no current id
    probe = item(stolen)
    (result,) = push(live_server, attacker, probe).json()["results"]
    assert_outside(result, first["id"], "Phạm Thị Riêng")
    # 2. the current submission id as base: still refused
    takeover = item(stolen, base=first["id"])
    (result,) = push(live_server, attacker, takeover).json()["results"]
    assert_outside(result, "Phạm Thị Riêng")
    for attempt in (probe, takeover):
        assert kept(live_server, attempt["id"]) == (0, 0)  # nothing stored nor quarantined
    assert household_state(live_server, record["household_id"]) == (VICTIM, 1, first["id"])
    # the household's own enumerator still edits it
    edit = item({**record, "head_name": "Phạm Thị Sửa"}, base=first["id"])
    assert push(live_server, own, edit).json()["results"][0]["outcome"] == "accepted"


def test_openrosa_takeover_with_deprecated_id_is_403(live_server, household):
    record, first, _own = victim_household(live_server, household)
    username, token = live_server.enumerator(communes=(ATTACKER,))
    stolen = {**record, "commune_code": ATTACKER, "head_name": "Kẻ Chiếm"}
    with collect_session(username, token) as collect:
        for deprecated in (None, first["id"]):
            instance_id = f"uuid:{uuid.uuid4()}"
            answer = submit(live_server, collect, instance(stolen, instance_id, deprecated))
            text = assert_openrosa(answer, 403)
            assert first["id"] not in text and "Phạm Thị Riêng" not in text
            assert kept(live_server, instance_id) == (0, 0)
    assert household_state(live_server, record["household_id"]) == (VICTIM, 1, first["id"])


def test_takeover_of_a_recognised_communes_household_is_refused(live_server, household):
    record, first, _own = victim_household(live_server, household, RECOGNISED)
    recognise(live_server, RECOGNISED)
    _, token = live_server.enumerator(communes=(ATTACKER,))
    stolen = {**record, "commune_code": ATTACKER}
    (result,) = push(live_server, bearer(token), item(stolen, base=first["id"])).json()["results"]
    assert_outside(result, first["id"])
    assert household_state(live_server, record["household_id"]) == (RECOGNISED, 1, first["id"])


def test_an_enumerator_of_both_communes_cannot_move_a_household(live_server, household):
    record, first, _own = victim_household(live_server, household)
    _, token = live_server.enumerator(communes=(VICTIM, ATTACKER))
    moved = item({**record, "commune_code": ATTACKER}, base=first["id"])
    (result,) = push(live_server, bearer(token), moved).json()["results"]
    assert result["outcome"] == "rejected"
    assert household_state(live_server, record["household_id"]) == (VICTIM, 1, first["id"])
    assert kept(live_server, moved["id"]) == (0, 0)


def test_reused_instance_id_of_another_commune_is_refused_not_quarantined(live_server, household):
    _record, first, _own = victim_household(live_server, household)
    _, token = live_server.enumerator(communes=(ATTACKER,))
    mine = household(commune=ATTACKER)
    reused = item(mine, item_id=first["id"])
    (result,) = push(live_server, bearer(token), reused).json()["results"]
    assert result["outcome"] == "rejected"
    assert [e["code"] for e in result["errors"]] == ["instance_id_taken"]
    assert "Phạm Thị Riêng" not in json.dumps(result, ensure_ascii=False)
    assert kept(live_server, first["id"]) == (1, 0)


def test_reused_instance_id_is_validated_before_quarantine(live_server, household):
    record, first, own = victim_household(live_server, household)
    # the same user, the same id, an oversized unknown field: refused by validation
    padded = item({**record, "padding": "x" * 1_000_000}, item_id=first["id"])
    (result,) = push(live_server, own, padded).json()["results"]
    assert result["outcome"] == "rejected", result
    assert kept(live_server, first["id"]) == (1, 0)
    # a valid record under the same id by the same user is an id_reused conflict, filed
    # under its round and commune
    changed = item({**record, "head_name": "Tên Khác"}, item_id=first["id"])
    (result,) = push(live_server, own, changed).json()["results"]
    assert result["outcome"] == "conflict" and result["conflict"]["reason"] == "id_reused"
    row = (
        live_server.db()
        .execute(
            "SELECT commune_code, round_id FROM quarantine WHERE instance_id = ?", [first["id"]]
        )
        .fetchone()
    )
    assert row[0] == VICTIM and row[1] is not None


def test_household_endpoint_answers_foreign_and_unknown_alike(live_server, household):
    record, _first, own = victim_household(live_server, household)
    url = live_server.url + f"/api/v1/households/{record['household_id']}"
    assert own.get(url, timeout=10).status_code == 200
    _, token = live_server.enumerator(communes=(ATTACKER,))
    foreign = bearer(token).get(url, timeout=10)
    unknown = bearer(token).get(url + "9", timeout=10)
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json()["error"]["code"] == unknown.json()["error"]["code"] == "not_found"
    assert "Phạm Thị Riêng" not in foreign.text


def test_pull_feed_leaves_out_a_household_now_in_another_commune(live_server, household):
    from server.queries.households import add_change

    record, _first, own = victim_household(live_server, household)
    db = live_server.db()
    round_id = db.execute("SELECT id FROM review_rounds WHERE status = 'open'").fetchone()[0]
    # a change filed for the attacker's commune about the victim's household (as a move
    # recorded before it was refused would be): the attacker's device never receives it
    add_change(
        db,
        kind="decision",
        household_id=record["household_id"],
        commune_code=ATTACKER,
        data={"head_name": "Phạm Thị Riêng"},
        round_id=round_id,
    )
    _, token = live_server.enumerator(communes=(ATTACKER,))
    attacker = bearer(token)
    cursor, seen = 0, []
    for _ in range(1000):  # bounded: the feed is small in tests
        page = attacker.get(live_server.url + PULL_PATH, params={"cursor": cursor}, timeout=10)
        body = page.json()
        seen += [change["household_id"] for change in body["changes"]]
        cursor = body["cursor"]
        if not body["has_more"]:
            break
    assert record["household_id"] not in seen
