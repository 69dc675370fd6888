"""The sync client against the real server on loopback, through a fault-injecting proxy.

Every test ends by reading the server's SQLite file (read-only): each household exactly once,
with exactly the versions expected, nothing lost, nothing quarantined by accident.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import example_household, new_household_id, start_live_server
from faultproxy import FaultProxy

from offline_sync import sync
from offline_sync.cli import sync as sync_cli
from offline_sync.client import Backoff, SyncClient
from offline_sync.store import Outbox

FAST = Backoff(retries=12, base=0.01, cap=0.2)


# --- helpers shared with test_sync_crash --------------------------------------------------


def server_db(database: Path) -> sqlite3.Connection:
    """The server's database, read-only (with `unpacked()` for its packed records)."""
    from server.db import _unpacked_or_null

    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    conn.create_function("unpacked", 1, _unpacked_or_null, deterministic=True)
    return conn


def assert_exactly_once(database: Path, household_ids, versions: int | dict = 1) -> None:
    """Each household stored once, with `versions` submissions each, none quarantined."""
    ids = list(household_ids)
    marks = ", ".join("?" * len(ids))
    with server_db(database) as conn:
        current = dict(
            conn.execute(
                f"SELECT household_id, count(*) FROM households WHERE household_id IN ({marks})"
                " GROUP BY household_id",
                ids,
            ).fetchall()
        )
        submitted = dict(
            conn.execute(
                f"SELECT household_id, count(*) FROM submissions WHERE household_id IN ({marks})"
                " GROUP BY household_id",
                ids,
            ).fetchall()
        )
        quarantined = conn.execute(
            f"SELECT count(*) FROM quarantine WHERE household_id IN ({marks})", ids
        ).fetchone()[0]
    conn.close()
    expected = versions if isinstance(versions, dict) else dict.fromkeys(ids, versions)
    assert current == dict.fromkeys(ids, 1), "every household exactly once, none missing"
    assert submitted == expected, "exactly the expected submissions per household"
    assert quarantined == 0


def fill(store: Outbox, n: int, commune: str = "18496") -> list[str]:
    ids = []
    for _ in range(n):
        item = store.enqueue(example_household(household_id=new_household_id(commune)))
        ids.append(item["household_id"])
    return ids


@pytest.fixture
def device(live_server):
    """(server, token) for a fresh enumerator of commune 18496 on the shared live server."""
    return live_server.enumerator()[1]


@pytest.fixture
def store(tmp_path):
    with Outbox(tmp_path / "client.sqlite3") as outbox:
        yield outbox


def run_cli(store_path: Path, *args: str):
    result = CliRunner().invoke(sync_cli, ["--store", str(store_path), *args])
    return result


# --- push through faults ------------------------------------------------------------------


def test_push_through_a_flaky_network_stores_every_household_exactly_once(
    live_server, device, store
):
    ids = fill(store, 150)
    opening = ["reset", "cut_after_commit", "drop", "cut_body", "error_502", "cut_after_commit"]
    random_faults = FaultProxy.random(live_server.url, rate=0.4, seed=20261127)

    def decide(index: int, method: str, path: str) -> str:
        if index < len(opening):
            return opening[index]
        return random_faults._decide(index, method, path)

    with FaultProxy(live_server.url, faults=decide) as proxy:
        with SyncClient(proxy.url, device, backoff=FAST) as client:
            report = sync.push(store, client, batch_size=10)

    assert report.error is None and report.pending == 0
    assert proxy.counts["cut_after_commit"] >= 2 and proxy.counts["reset"] >= 1
    # a batch committed before its answer was cut is re-sent and answered "duplicate"
    assert report.outcomes["duplicate"] >= 10
    assert report.outcomes["accepted"] + report.outcomes["duplicate"] == 150
    assert store.counts()["accepted"] == 150
    assert_exactly_once(live_server.database, ids)


def test_a_stalled_request_times_out_and_is_retried(live_server, device, store):
    ids = fill(store, 12)
    with FaultProxy(live_server.url, faults=["stall", "pass", "stall"], stall_seconds=5) as proxy:
        with SyncClient(proxy.url, device, timeout=(1.0, 1.0), backoff=FAST) as client:
            report = sync.push(store, client, batch_size=5)
    assert proxy.counts["stall"] == 2
    assert report.error is None and report.outcomes["accepted"] == 12
    assert_exactly_once(live_server.database, ids)


def test_retries_are_bounded_and_nothing_is_lost_when_the_server_stays_down(
    live_server, device, store, tmp_path
):
    ids = fill(store, 8)
    with FaultProxy(live_server.url, faults=lambda *_: "error_502") as proxy:
        with SyncClient(proxy.url, device, backoff=Backoff(retries=3, base=0.001)) as client:
            report = sync.push(store, client)
        assert sum(proxy.counts.values()) == 4  # one try and three retries, then it stops
        assert report.error is not None and report.error.status == 502
        assert store.counts()["sending"] == 8  # sent, fate unknown: kept for the next push

        store.set_config(server_url=proxy.url, token=device)
        result = run_cli(store.path, "push", "--retries", "1")
        assert result.exit_code == 4, result.output  # documented: server unreachable
        proxy.set_faults(None)
        result = run_cli(store.path, "push")
        assert result.exit_code == 0, result.output
    assert_exactly_once(live_server.database, ids)


# --- outcomes -----------------------------------------------------------------------------


def test_a_rejected_household_is_reported_with_reasons_while_the_others_are_accepted(
    live_server, device, store
):
    good = fill(store, 3)
    outside = example_household(household_id=new_household_id("18502"), commune_code="18502")
    invalid = example_household(household_id=new_household_id())
    invalid["members"][1]["birth_year"] = 1700
    store.enqueue(outside)
    store.enqueue(invalid)
    more = fill(store, 2)
    store.set_config(server_url=live_server.url, token=device)

    pushed = run_cli(store.path, "push")
    assert pushed.exit_code == 1, pushed.output  # documented: some rejected
    assert "accepted 5" in pushed.output and "rejected 2" in pushed.output

    status = run_cli(store.path, "status", "--json")
    assert status.exit_code == 1
    summary = json.loads(status.output)
    reasons = {item["household_id"]: item["errors"] for item in summary["rejected_items"]}
    assert {e["path"] for e in reasons[invalid["household_id"]]} == {"members[1].birth_year"}
    assert reasons[outside["household_id"]][0]["code"] == "outside_assignment"
    assert all(e["message_vi"] and e["message_en"] for errs in reasons.values() for e in errs)
    assert summary["accepted"] == 5 and summary["pending"] == 0
    assert_exactly_once(live_server.database, good + more)
    with server_db(live_server.database) as conn:
        stored = conn.execute(
            "SELECT count(*) FROM submissions WHERE household_id IN (?, ?)",
            [outside["household_id"], invalid["household_id"]],
        ).fetchone()[0]
    assert stored == 0


# --- conflicts ----------------------------------------------------------------------------


def _two_devices_disagree(live_server, tmp_path):
    """Device A's version is on the server; device B's version of the same household
    conflicts. Returns (store B path, household id, A's item id, B's item id)."""
    user, token_a = live_server.enumerator()
    token_b = live_server.token(user, "tablet-b")
    household = example_household(household_id=new_household_id())
    with Outbox(tmp_path / "a.sqlite3") as a, SyncClient(live_server.url, token_a) as client:
        mine_a = a.enqueue({**household, "head_name": "Nguyễn Văn A"})
        assert sync.push(a, client).outcomes["accepted"] == 1
    with Outbox(tmp_path / "b.sqlite3") as b:
        b.set_config(server_url=live_server.url, token=token_b)
        mine_b = b.enqueue({**household, "head_name": "Nguyễn Văn B"})
    pushed = run_cli(tmp_path / "b.sqlite3", "push")
    assert pushed.exit_code == 3, pushed.output  # documented: conflicts wait for resolve
    return tmp_path / "b.sqlite3", household["household_id"], mine_a["id"], mine_b["id"]


def test_a_conflict_is_shown_with_both_versions_and_kept_mine_explicitly(live_server, tmp_path):
    store_b, household_id, id_a, id_b = _two_devices_disagree(live_server, tmp_path)

    shown = run_cli(store_b, "conflicts")
    assert shown.exit_code == 3
    assert "stale_base" in shown.output and id_a in shown.output
    assert 'head_name: mine="Nguyễn Văn B"  server="Nguyễn Văn A"' in shown.output
    assert run_cli(store_b, "edit", household_id, "--set", "village=x").exit_code == 1

    resolved = run_cli(store_b, "resolve", id_b[:8], "--keep-mine")
    assert resolved.exit_code == 0, resolved.output
    assert run_cli(store_b, "push").exit_code == 0
    assert run_cli(store_b, "conflicts", "--offline").exit_code == 0

    with server_db(live_server.database) as conn:
        version, record = conn.execute(
            "SELECT version, unpacked(record) FROM households WHERE household_id = ?",
            [household_id],
        ).fetchone()
        quarantined = conn.execute(
            "SELECT instance_id FROM quarantine WHERE household_id = ?", [household_id]
        ).fetchall()
    assert version == 2 and json.loads(record)["head_name"] == "Nguyễn Văn B"
    assert quarantined == [(id_b,)]  # the first attempt stays quarantined for the record


def test_a_conflict_resolved_by_taking_the_servers_version(live_server, tmp_path):
    store_b, household_id, id_a, id_b = _two_devices_disagree(live_server, tmp_path)

    assert run_cli(store_b, "resolve", id_b, "--take-server").exit_code == 0
    with Outbox(store_b) as b:
        assert b.latest(household_id)["record"]["head_name"] == "Nguyễn Văn A"
        assert b.pending_count() == 0
    status = run_cli(store_b, "status", "--json")
    assert json.loads(status.output)["conflicts"] == 0 and status.exit_code == 0
    # a later edit builds on the server's version and is accepted as version 2
    edited = run_cli(store_b, "edit", household_id, "--set", "village=Thôn 9")
    assert edited.exit_code == 0, edited.output
    assert f"edits {id_a}" in edited.output
    assert run_cli(store_b, "push").exit_code == 0

    with server_db(live_server.database) as conn:
        rows = conn.execute(
            "SELECT version, submission_id, unpacked(record) FROM households WHERE household_id = ?",
            [household_id],
        ).fetchall()
        bases = conn.execute(
            "SELECT base_id FROM submissions WHERE household_id = ? ORDER BY seq",
            [household_id],
        ).fetchall()
    assert len(rows) == 1 and rows[0][0] == 2
    assert json.loads(rows[0][2])["head_name"] == "Nguyễn Văn A"
    assert json.loads(rows[0][2])["village"] == "Thôn 9"
    assert bases == [(None,), (id_a,)]


# --- pull ---------------------------------------------------------------------------------


@pytest.fixture
def own_server(tmp_path_factory):
    """A server of our own (its rounds change; it may be killed and restarted)."""
    server = start_live_server(tmp_path_factory.mktemp("own"))
    yield server
    server.stop()


def test_pull_brings_assignments_and_decisions_and_resumes_at_the_cursor(own_server, tmp_path):
    from server.queries.review import record_decision
    from server.queries.rounds import close_round

    round_2025 = own_server.open_round(year=2025)
    user, token = own_server.enumerator()
    head = own_server.user(role="commune", communes=("18496",))
    store = Outbox(tmp_path / "client.sqlite3")
    ids = fill(store, 5)
    with SyncClient(own_server.url, token) as client:
        assert sync.push(store, client).outcomes["accepted"] == 5
    # the commune head returns one household with a comment (the review module's own query)
    record_decision(
        own_server.db(),
        round_id=round_2025["id"],
        household_id=ids[0],
        user_id=head.id,
        decision="returned",
        version=1,
        reason="Hộ đã có lương hưu, điều tra lại",
    )
    close_round(own_server.db(), "2025-annual")
    own_server.open_round(year=2026)  # last round's households become assignments
    # pages of 2 through resets, drops and cut answers: the cursor never skips a change
    with FaultProxy.random(own_server.url, rate=0.4, seed=3) as proxy:
        with SyncClient(proxy.url, token, backoff=FAST) as client:
            first = sync.pull(store, client, limit=2)
            again = sync.pull(store, client, limit=2)
    assert first.error is None and sum(proxy.counts.values()) > proxy.counts["pass"]

    assignments = {c["household_id"]: c for c in store.changes("assignment")}
    assert set(ids) <= set(assignments) and first.changes >= 6
    assert assignments[ids[1]]["data"]["record"]["household_id"] == ids[1]
    [decision] = [c for c in store.changes("decision") if c["household_id"] == ids[0]]
    assert decision["data"]["comment"].startswith("Hộ đã có lương hưu")
    assert decision["data"]["action"] == "return" and decision["round"] == "2025-annual"
    assert again.changes == 0 and again.cursor == first.cursor == store.cursor
    with server_db(own_server.database) as conn:
        assert store.cursor == conn.execute("SELECT max(seq) FROM changes").fetchone()[0]

    # re-survey: start from last round's answers, the new version goes into the open round
    store.close()
    store_path = tmp_path / "client.sqlite3"
    run_cli(store_path, "login", "--server", own_server.url, "--token", token)
    pulled = run_cli(store_path, "pull", "--json")
    assert pulled.exit_code == 0 and json.loads(pulled.output)["changes"] == 0
    status = json.loads(run_cli(store_path, "status", "--json").output)
    assert status["assignments"] >= 5 and status["decisions"] == 1
    shown = run_cli(store_path, "status").output
    assert f"decision {ids[0]} (2025-annual): return Hộ đã có lương hưu" in shown
    assert run_cli(store_path, "edit", ids[1], "--set", "head_name=Trần Văn Mới").exit_code == 0
    assert run_cli(store_path, "push").exit_code == 0
    with server_db(own_server.database) as conn:
        rounds = conn.execute(
            "SELECT r.label, h.version FROM households h JOIN review_rounds r"
            " ON r.id = h.round_id WHERE h.household_id = ? ORDER BY r.year",
            [ids[1]],
        ).fetchall()
    assert rounds == [("2025-annual", 1), ("2026-annual", 1)]  # versions count per round
    with server_db(own_server.database) as conn:
        (record,) = conn.execute(
            "SELECT unpacked(h.record) FROM households h JOIN review_rounds r ON r.id = h.round_id"
            " WHERE h.household_id = ? AND r.label = '2026-annual'",
            [ids[1]],
        ).fetchone()
    assert json.loads(record)["head_name"] == "Trần Văn Mới"


def test_server_restart_mid_batch_loses_and_repeats_nothing(own_server, tmp_path):
    own_server.open_round()
    _user, token = own_server.enumerator()
    store = Outbox(tmp_path / "client.sqlite3")
    ids = fill(store, 600)
    reports = []
    with FaultProxy(own_server.url) as proxy:
        client = SyncClient(proxy.url, token, backoff=Backoff(retries=120, base=0.05, cap=0.5))
        pusher = threading.Thread(
            target=lambda: reports.append(sync.push(Outbox(store.path), client, batch_size=200))
        )
        pusher.start()
        deadline = time.monotonic() + 60
        while _submitted(own_server.database, ids) < 50 and time.monotonic() < deadline:
            time.sleep(0.02)
        stored_before = _submitted(own_server.database, ids)
        own_server.kill()  # kill -9, mid-batch
        assert 0 < stored_before < 600
        time.sleep(0.5)
        own_server.start()
        proxy.set_upstream(own_server.url)
        pusher.join(120)
        client.close()
    assert reports and reports[0].error is None and reports[0].pending == 0
    assert_exactly_once(own_server.database, ids)


def _submitted(database: Path, ids: list[str]) -> int:
    try:
        with server_db(database) as conn:
            return conn.execute(
                "SELECT count(*) FROM submissions WHERE household_id >= ? AND household_id <= ?"
                " AND household_id IN (SELECT value FROM json_each(?))",
                [min(ids), max(ids), json.dumps(ids)],
            ).fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def test_households_rejected_while_no_round_was_open_can_be_sent_again(own_server, tmp_path):
    _user, token = own_server.enumerator()
    store_path = tmp_path / "client.sqlite3"
    with Outbox(store_path) as store:
        ids = fill(store, 3)
        store.set_config(server_url=own_server.url, token=token)
    first = run_cli(store_path, "push")
    assert first.exit_code == 1 and "rejected 3" in first.output
    status = json.loads(run_cli(store_path, "status", "--json").output)
    assert {e["code"] for i in status["rejected_items"] for e in i["errors"]} == {"no_open_round"}

    own_server.open_round()
    again = run_cli(store_path, "push", "--retry-rejected")
    assert again.exit_code == 0, again.output
    assert "accepted 3" in again.output
    assert_exactly_once(own_server.database, ids)


def test_pipelined_batches_deliver_every_edit_after_its_base_through_faults(
    live_server, device, store
):
    households = [example_household(household_id=new_household_id()) for _ in range(20)]
    for version in range(3):  # three pending versions of each household, interleaved
        for household in households:
            changed = {**household, "head_name": f"Phiên bản {version}"}
            item = store.enqueue(changed) if version == 0 else store.edit(changed)
            if version < 2:
                store.mark_sending([item["id"]])  # as if an earlier push died after sending
    proxy = FaultProxy.random(live_server.url, rate=0.3, seed=7)
    with proxy, SyncClient(proxy.url, device, backoff=FAST) as client:
        report = sync.push(store, client, batch_size=7, concurrency=3)
    assert report.error is None and report.pending == 0
    assert report.outcomes["conflict"] == 0 and report.outcomes["rejected"] == 0
    ids = [h["household_id"] for h in households]
    assert_exactly_once(live_server.database, ids, versions=3)
    with server_db(live_server.database) as conn:
        names = conn.execute(
            f"SELECT DISTINCT json_extract(unpacked(record), '$.head_name'), version FROM households"
            f" WHERE household_id IN ({', '.join('?' * len(ids))})",
            ids,
        ).fetchall()
    assert names == [("Phiên bản 2", 3)]


def test_a_batch_refused_as_too_large_is_halved_and_sent(live_server, device, store):
    ids = fill(store, 40)
    with FaultProxy(live_server.url, faults=["error_413", "error_413"]) as proxy:
        with SyncClient(proxy.url, device, backoff=FAST) as client:
            report = sync.push(store, client, batch_size=40, concurrency=1)
    assert report.error is None and report.outcomes["accepted"] == 40
    assert report.batches == 4  # 40 refused, 20 refused, then 10 + 10 + 10 + 10
    sizes = [size for fault, size in proxy.sizes]
    assert sizes[0] > sizes[1] > sizes[2]
    assert_exactly_once(live_server.database, ids)
