"""kill -9 of the server in the middle of batches, then restart: nothing acknowledged is lost,
nothing is stored twice, and the unacknowledged batch can simply be sent again."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import requests
from conftest import example_household, new_household_id, start_live_server

from offline_sync.protocol import BATCH_PATH


def _batch(size: int) -> list[dict]:
    items = []
    for _ in range(size):
        record = example_household(household_id=new_household_id("18496"))
        items.append(
            {
                "id": str(uuid.uuid4()),
                "household_id": record["household_id"],
                "form_id": "povcensus_household",
                "form_version": "2026.1",
                "base": None,
                "record": record,
            }
        )
    return items


@pytest.mark.parametrize("workers", [1, 2])
def test_kill_9_mid_batch_loses_nothing_acknowledged(tmp_path, workers):
    server = start_live_server(tmp_path, workers=workers)
    try:
        server.open_round()
        _username, token = server.enumerator()
        headers = {"Authorization": f"Bearer {token}"}
        sent: list[list[dict]] = []
        acknowledged: list[dict] = []
        stop = threading.Event()

        def client() -> None:
            with requests.Session() as session:
                while not stop.is_set():
                    batch = _batch(40)
                    sent.append(batch)
                    try:
                        answer = session.post(
                            server.url + BATCH_PATH,
                            json={"items": batch},
                            headers=headers,
                            timeout=30,
                        )
                    except requests.ConnectionError:
                        return
                    acknowledged.extend(answer.json()["results"])

        thread = threading.Thread(target=client)
        thread.start()
        while len(acknowledged) < 120:
            time.sleep(0.01)
        server.kill()  # while the next batch is being stored
        stop.set()
        thread.join(30)
        assert all(r["outcome"] == "accepted" for r in acknowledged)
        assert len(sent) * 40 > len(acknowledged)  # a batch was in flight when it died

        server.start()  # same database file
        db = server.db()
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        for result in acknowledged:
            assert (
                db.execute(
                    "SELECT count(*) FROM submissions WHERE instance_id = ?", [result["id"]]
                ).fetchone()[0]
                == 1
            )
        # The client resends everything it is unsure of: acknowledged items are duplicates,
        # the interrupted batch is stored now (or was already): each id exactly once.
        everything = [item for batch in sent for item in batch]
        results = []
        with requests.Session() as session:
            for start in range(0, len(everything), 200):
                answer = session.post(
                    server.url + BATCH_PATH,
                    headers=headers,
                    timeout=60,
                    json={"items": everything[start : start + 200]},
                )
                results += answer.json()["results"]
        acked_ids = {r["id"] for r in acknowledged}
        assert all(r["outcome"] == "duplicate" for r in results if r["id"] in acked_ids)
        assert all(r["outcome"] in ("accepted", "duplicate") for r in results)
        ids = [item["id"] for item in everything]
        rows = db.execute(
            "SELECT instance_id, count(*) FROM submissions GROUP BY instance_id"
        ).fetchall()
        assert sorted(i for i, _ in rows) == sorted(ids)
        assert {n for _, n in rows} == {1}
        versions = db.execute("SELECT DISTINCT version FROM households").fetchall()
        assert versions == [(1,)]
    finally:
        server.stop()


def _children(pid: int) -> list[int]:
    path = f"/proc/{pid}/task/{pid}/children"
    with open(path) as handle:
        return [int(child) for child in handle.read().split()]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_workers_serve_and_die_with_a_killed_parent(tmp_path):
    server = start_live_server(tmp_path, workers=2)
    try:
        server.open_round()
        _username, token = server.enumerator()
        headers = {"Authorization": f"Bearer {token}"}
        batch = _batch(30)
        with requests.Session() as session:
            for item in batch:
                answer = session.post(
                    server.url + BATCH_PATH, json={"items": [item]}, headers=headers, timeout=30
                )
                assert answer.json()["results"][0]["outcome"] == "accepted"
        workers = _children(server.process.pid)
        assert len(workers) == 1 and _alive(workers[0])
        marks = ",".join("?" * len(batch))
        stored = (
            server.db()
            .execute(
                f"SELECT count(*) FROM submissions WHERE instance_id IN ({marks})",
                [item["id"] for item in batch],
            )
            .fetchone()[0]
        )
        assert stored == len(batch)
        server.kill()
        deadline = time.monotonic() + 10
        while _alive(workers[0]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(workers[0])
    finally:
        server.stop()
