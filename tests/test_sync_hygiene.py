"""Client hygiene against the real server: `sync add` does not queue households of communes
the user is not assigned; `sync discard` clears rejected items after confirmation; `sync status`
tells "needs attention" (a person must act) from "failed" (a push to retry)."""

from __future__ import annotations

import json
import socket

from click.testing import CliRunner
from conftest import example_household, new_household_id

from offline_sync.cli import sync as sync_cli
from offline_sync.store import Outbox


def run(store, *args, input=None):
    return CliRunner().invoke(sync_cli, ["--store", str(store), *args], input=input)


def _login(store, live_server) -> None:
    _, token = live_server.enumerator(communes=("18496",))
    result = run(store, "login", "--server", live_server.url, "--token", token)
    assert result.exit_code == 0, result.output


def test_add_refuses_households_of_other_communes_and_says_why(tmp_path, live_server):
    store = tmp_path / "store.sqlite3"
    _login(store, live_server)
    mine = example_household(household_id=new_household_id("18496"))
    theirs = example_household(household_id=new_household_id("18502"), commune_code="18502")
    path = tmp_path / "phieu.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in (mine, theirs)), "utf-8")
    result = run(store, "add", str(path))
    assert result.exit_code == 1
    assert "phieu.jsonl, row 2, commune_code: commune 18502 is not one of your communes" in (
        result.output
    )
    assert "xã 18502 không thuộc địa bàn bạn được giao (18496)" in result.output
    assert "queued 1" in result.output
    with Outbox(store) as outbox:
        assert [i["household_id"] for i in outbox.items()] == [mine["household_id"]]


def test_rejected_items_are_discarded_after_confirmation_and_status_clears(tmp_path, live_server):
    store = tmp_path / "store.sqlite3"
    _login(store, live_server)
    with Outbox(store) as outbox:  # queued by hand, as an older client did: the server refuses
        outbox.enqueue(example_household(household_id=new_household_id("18502"),
                                         commune_code="18502"))  # fmt: skip
    assert run(store, "push").exit_code == 1
    status = run(store, "status")
    assert status.exit_code == 1 and "needs attention: 1" in status.output
    assert "failed to send" not in status.output
    refused = run(store, "discard", input="n\n")
    assert refused.exit_code == 1 and "Bỏ 1 hộ bị từ chối?" in refused.output
    assert run(store, "status").exit_code == 1  # nothing removed without a yes
    done = run(store, "discard", input="y\n")
    assert done.exit_code == 0 and "discarded 1 / đã bỏ 1" in done.output
    after = run(store, "status")
    assert after.exit_code == 0 and "needs attention" not in after.output


def test_status_tells_a_failed_push_from_households_needing_attention(tmp_path):
    store = tmp_path / "store.sqlite3"
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    assert run(store, "login", "--server", url, "--token", "t", "--no-check").exit_code == 0
    with Outbox(store) as outbox:
        outbox.enqueue(example_household(household_id=new_household_id("18496")))
    assert run(store, "push", "--retries", "0", "--timeout", "1").exit_code == 4
    status = run(store, "status", "--json")
    summary = json.loads(status.output)
    assert (summary["failed"], summary["needs_attention"]) == (1, 0)
    text = run(store, "status").output
    assert "failed to send: 1" in text and "needs attention" not in text
