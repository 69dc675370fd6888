"""The client's local store and capture, without a server: versions, bases, outcomes, cursor,
file permissions, kill -9 safety, and reading paper-form spreadsheets with located errors."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
import time
import uuid

import pytest
from conftest import example_household, new_household_id

from offline_sync.capture import ReadError, capture
from offline_sync.client import Backoff
from offline_sync.store import Outbox, StoreError


@pytest.fixture
def store(tmp_path):
    with Outbox(tmp_path / "store.sqlite3") as outbox:
        yield outbox


def record(**changes):
    return example_household(
        household_id=changes.pop("household_id", new_household_id()), **changes
    )


def answer(store, item, outcome, **extra):
    store.mark_sending([item["id"]])
    store.record_results([{"id": item["id"], "outcome": outcome, **extra}])
    return store.get(item["id"])


def test_enqueue_assigns_a_uuid_once_and_keeps_the_exact_record(store):
    household = record()
    item = store.enqueue(household)
    assert uuid.UUID(item["id"]).version == 4
    assert item["record"] == household and item["base"] is None and item["state"] == "queued"
    store.mark_sending([item["id"]])
    again = store.next_batch(10)
    assert [row["id"] for row in again] == [item["id"]]  # a sent, unanswered item is re-sent
    assert store.get(item["id"])["attempts"] == 1


def test_reimporting_the_same_household_is_a_no_op_and_a_different_one_needs_replace(store):
    household = record()
    first = store.enqueue(household)
    assert store.enqueue(dict(household)) is None
    changed = {**household, "head_name": "Lê Văn Bảy"}
    with pytest.raises(StoreError, match="already in the store"):
        store.enqueue(changed)
    second = store.enqueue(changed, replace=True)
    # the first version was never sent: it is superseded and the edit takes its (empty) base
    assert store.get(first["id"])["state"] == "superseded"
    assert second["base"] is None
    assert [row["id"] for row in store.next_batch(10)] == [second["id"]]


@pytest.mark.parametrize("earlier_state", ["sending", "accepted"])
def test_an_edit_of_a_version_that_may_be_on_the_server_names_it_as_base(store, earlier_state):
    first = store.enqueue(record())
    if earlier_state == "sending":
        store.mark_sending([first["id"]])
    else:
        answer(store, first, "accepted", version=1)
    edited = store.edit({**first["record"], "head_name": "Lê Văn Bảy"})
    assert edited["base"] == first["id"]
    assert store.get(first["id"])["state"] == earlier_state


def test_a_fix_of_a_rejected_version_takes_its_base_and_closes_it(store):
    first = store.enqueue(record())
    answer(store, first, "accepted", version=1)
    bad = store.edit({**first["record"], "head_name": "x"})
    rejected = answer(store, bad, "rejected", errors=[{"path": "head_name", "message_en": "no"}])
    assert rejected["errors"][0]["path"] == "head_name"
    assert store.counts()["rejected_open"] == 1
    fix = store.edit({**first["record"], "head_name": "Lê Văn Bảy"})
    assert fix["base"] == first["id"]
    assert store.counts()["rejected_open"] == 0


def test_an_open_conflict_blocks_edits_until_resolved(store):
    first = store.enqueue(record())
    conflict = {"reason": "stale_base", "current_id": "server-sub-1"}
    answer(store, first, "conflict", conflict=conflict)
    with pytest.raises(StoreError, match="unresolved conflict"):
        store.edit({**first["record"], "head_name": "Lê Văn Bảy"})
    [found] = store.conflicts()
    assert found["mine"] == first["record"] and found["current_id"] == "server-sub-1"
    server = {"submission_id": "server-sub-1", "version": 3, "record": record()}
    mine = store.resolve(first["id"], "keep_mine", server)
    assert mine["base"] == "server-sub-1" and mine["record"] == first["record"]
    assert store.conflicts() == [] and store.get(first["id"])["state"] == "resolved"


def test_take_server_makes_the_servers_version_the_base_of_the_next_edit(store):
    first = store.enqueue(record())
    answer(store, first, "conflict", conflict={"reason": "stale_base", "current_id": "s-9"})
    theirs = {**first["record"], "head_name": "Server Name"}
    assert (
        store.resolve(first["id"], "take_server", {"submission_id": "s-9", "record": theirs})
        is None
    )
    assert store.latest(first["household_id"])["record"]["head_name"] == "Server Name"
    assert store.pending_count() == 0
    edited = store.edit({**theirs, "village": "Thôn 2"})
    assert edited["base"] == "s-9"


def test_answers_are_recorded_only_for_items_in_flight(store):
    item = store.enqueue(record())
    # an answer for an item never marked sent (e.g. a stray result) changes nothing
    store.record_results([{"id": item["id"], "outcome": "accepted", "version": 1}])
    assert store.get(item["id"])["state"] == "queued"
    done = answer(store, item, "duplicate", version=1, classification="poor")
    assert (done["state"], done["outcome"], done["classification"]) == (
        "accepted",
        "duplicate",
        "poor",
    )


def test_pulled_changes_are_stored_once_and_the_cursor_never_goes_back(store):
    change = {"seq": 7, "kind": "decision", "household_id": "h1", "round": "r", "data": {"a": 1}}
    assert store.store_changes([change], 7) == 1
    assert store.store_changes([change], 7) == 0
    store.store_changes([], 3)
    assert store.cursor == 7 and len(store.changes("decision")) == 1


def test_store_file_is_private(tmp_path):
    path = tmp_path / "deep" / "store.sqlite3"
    with Outbox(path) as outbox:
        outbox.set_config(token="secret")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_backoff_is_bounded_exponential_with_full_jitter():
    backoff, rng = Backoff(retries=5, base=0.5, cap=4.0), random.Random(1)
    for attempt in range(8):
        ceiling = min(4.0, 0.5 * 2**attempt)
        delays = [backoff.delay(attempt, rng) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling * 0.8  # full jitter spans the whole window


KILLED_WRITER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {tests!r})
    from conftest import example_household
    from offline_sync.store import Outbox
    store = Outbox({path!r})
    print("ready", flush=True)
    n = 0
    while True:
        n += 1
        item = store.enqueue(example_household(household_id=f"18496-k-{{n:05d}}"))
        store.mark_sending([item["id"]])
        store.record_results([{{"id": item["id"], "outcome": "accepted", "version": 1}}])
        if n % 3 == 0:
            store.edit({{**item["record"], "head_name": f"v{{n}}"}})
    """
)


def test_kill_9_at_any_instant_leaves_a_consistent_store(tmp_path):
    path = tmp_path / "store.sqlite3"
    script = KILLED_WRITER.format(tests=os.path.dirname(__file__), path=str(path))
    for delay in (0.3, 0.55, 0.8):
        process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
        assert process.stdout.readline().strip() == b"ready"
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        process.stdout.close()
        conn = sqlite3.connect(path)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # every household has exactly one live (not superseded) newest version with a base
        # chain inside the store; no item is half-recorded
        half = conn.execute(
            "SELECT count(*) FROM outbox WHERE state = 'accepted' AND version IS NULL"
        ).fetchone()[0]
        assert half == 0
        edits = conn.execute(
            "SELECT count(*) FROM outbox e LEFT JOIN outbox b ON b.id = e.base"
            " WHERE e.base IS NOT NULL AND b.id IS NULL"
        ).fetchone()[0]
        assert edits == 0
        conn.close()
    with Outbox(path) as outbox:  # and it opens and works afterwards
        assert outbox.enqueue(record()) is not None


# --- capture ------------------------------------------------------------------------------


def _tables(records):
    from survey_forms.tables import households_to_tables

    return households_to_tables(records)


def test_csv_import_queues_valid_rows_and_locates_every_error(store, tmp_path):
    good, bad, worse = record(), record(), record()
    bad["members"][2]["birth_year"] = 1850
    worse["dwelling"]["floor_area_m2"] = -3
    households, members = _tables([good, bad, worse])
    households.to_csv(tmp_path / "hh.csv", index=False)
    members.to_csv(tmp_path / "mem.csv", index=False)

    report = capture(store, tmp_path / "hh.csv", members=tmp_path / "mem.csv")

    assert [item["household_id"] for item in report.queued] == [good["household_id"]]
    assert store.latest(good["household_id"])["record"]["members"] == good["members"]
    by_file = {(e.file, e.row, e.field): e for e in report.errors}
    # bad: 3rd member of the 2nd household = members row 4 (first) + 2 → spreadsheet row 8
    member_error = by_file[("mem.csv", 8, "members[2].birth_year")]
    assert member_error.household_id == bad["household_id"]
    assert member_error.message_vi and member_error.message_en
    assert ("hh.csv", 4, "dwelling.floor_area_m2") in by_file
    assert "mem.csv, row 8, members[2].birth_year" in str(member_error)


def test_xlsx_workbook_with_two_sheets(store, tmp_path):
    import pandas as pd

    one, two = record(), record()
    two["members"][0]["relation"] = "boss"
    households, members = _tables([one, two])
    with pd.ExcelWriter(tmp_path / "phieu-b.xlsx") as writer:
        households.to_excel(writer, sheet_name="households", index=False)
        members.to_excel(writer, sheet_name="members", index=False)

    report = capture(store, tmp_path / "phieu-b.xlsx")

    assert [item["household_id"] for item in report.queued] == [one["household_id"]]
    rows = {(e.file, e.row, e.field) for e in report.errors}
    assert ("phieu-b.xlsx [members]", 6, "members[0].relation") in rows


def test_json_list_and_json_lines(store, tmp_path):
    import json

    one, two = record(), record(survey_date="2999-01-01")
    (tmp_path / "a.json").write_text(json.dumps([one, two]), "utf-8")
    report = capture(store, tmp_path / "a.json")
    assert len(report.queued) == 1
    assert {(e.row, e.field) for e in report.errors} == {(2, "survey_date")}

    third = record()
    (tmp_path / "b.jsonl").write_text(json.dumps(third) + "\n{oops\n", "utf-8")
    report = capture(store, tmp_path / "b.jsonl")  # a bad line does not stop the others
    assert [item["household_id"] for item in report.queued] == [third["household_id"]]
    assert [(e.file, e.row, e.code) for e in report.errors] == [("b.jsonl", 2, "bad_json")]


def test_csv_without_members_and_unknown_types_are_refused(store, tmp_path):
    (tmp_path / "hh.csv").write_text("household_id\nx\n", "utf-8")
    with pytest.raises(ReadError, match="members table"):
        capture(store, tmp_path / "hh.csv")
    (tmp_path / "hh.txt").write_text("x", "utf-8")
    with pytest.raises(ReadError, match="unknown file type"):
        capture(store, tmp_path / "hh.txt")


def test_one_push_at_a_time_per_store(store):
    from offline_sync import sync

    with store.exclusive("push"):
        with pytest.raises(StoreError, match="another push is running"):
            sync.push(store, client=None)
    # released: a push with nothing pending needs no server
    assert sync.push(store, client=None).sent == 0


@pytest.mark.parametrize("seed", range(30))
def test_random_sequences_of_operations_keep_the_outbox_consistent(tmp_path, seed):
    """Queue, edit, send, answer and resolve in random order; the invariants that make a
    push exactly-once hold after every step."""
    rng = random.Random(seed)
    households = [record() for _ in range(4)]
    created: dict[str, str] = {}  # item id -> record bytes at creation (must never change)
    with Outbox(tmp_path / "store.sqlite3") as store:
        for step in range(80):
            _random_operation(store, rng, households, created, step)
            _check_invariants(store, created)


def _random_operation(store, rng, households, created, step):
    household = rng.choice(households)
    operation = rng.choice(["enqueue", "edit", "send", "answer", "answer", "resolve"])
    try:
        if operation in ("enqueue", "edit"):
            changed = {**household, "head_name": f"v{step}"}
            item = (
                store.enqueue(changed, replace=True)
                if operation == "enqueue"
                else store.edit(changed)
            )
            if item:
                created[item["id"]] = json.dumps(item["record"], sort_keys=True)
        elif operation == "send":
            batch = store.next_batch(rng.randint(1, 5))
            store.mark_sending([row["id"] for row in batch])
        elif operation == "answer":
            sending = store.items(states=["sending"])
            if sending:
                item = rng.choice(sending)
                outcome = rng.choice(["accepted", "duplicate", "rejected", "conflict"])
                store.record_results(
                    [
                        {
                            "id": item["id"],
                            "outcome": outcome,
                            "version": 1,
                            "conflict": {"reason": "stale_base", "current_id": None},
                        }
                    ]
                )
        elif store.conflicts():
            found = rng.choice(store.conflicts())
            server = {"submission_id": f"srv-{step}", "version": 9, "record": household}
            item = store.resolve(found["item_id"], rng.choice(["keep_mine", "take_server"]), server)
            if item:
                created[item["id"]] = json.dumps(item["record"], sort_keys=True)
    except StoreError:
        pass  # refused operations (edit during a conflict, edit of an unknown household)


def _check_invariants(store, created):
    items = {item["id"]: item for item in store.items()}
    for item in items.values():
        if item["state"] == "server":
            continue
        assert json.dumps(json.loads(item["record"]), sort_keys=True) == created[item["id"]]
        assert item["state"] != "queued" or item["attempts"] == 0  # queued = never sent
        if item["base"] is not None:
            base = items[item["base"]]  # a base is always known locally
            assert base["household_id"] == item["household_id"] and base["seq"] < item["seq"]
    open_conflicts = {c["household_id"] for c in store.conflicts()}
    queued = [i for i in items.values() if i["state"] == "queued"]
    households = [i["household_id"] for i in queued]
    assert len(households) == len(set(households))  # an edit supersedes an unsent version
    for item in queued:
        earlier = [
            i for i in items.values()
            if i["household_id"] == item["household_id"] and i["seq"] < item["seq"]
            and i["state"] in ("sending", "accepted", "server")
        ]  # fmt: skip
        if item["base"] is None:
            assert not earlier  # new to the server only if nothing earlier may be there
            continue
        base = items[item["base"]]
        # a queued edit builds on a version that may be on the server, and on the newest one
        if base["state"] == "conflict":
            assert item["household_id"] in open_conflicts  # it waits for the resolution
        else:
            assert base["state"] in ("sending", "accepted", "server")
            assert base["seq"] == max(i["seq"] for i in earlier)
