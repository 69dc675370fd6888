"""kill -9 of the `povcensus sync push` process mid-push, then push again: exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from test_sync_live import _submitted, assert_exactly_once, fill

from offline_sync.store import Outbox

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _push_command(store_path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "povcensus",
        "sync",
        "--store",
        str(store_path),
        "push",
        "--batch-size",
        "20",
        "--json",
    ]


def test_kill_9_of_the_client_mid_push_then_push_again_stores_each_household_once(
    live_server, tmp_path
):
    _user, token = live_server.enumerator()
    store_path = tmp_path / "client.sqlite3"
    with Outbox(store_path) as store:
        ids = fill(store, 600)
        store.set_config(server_url=live_server.url, token=token)

    for kill_at in (60, 300):  # two kills at different points of the push
        process = subprocess.Popen(
            _push_command(store_path),
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while _submitted(live_server.database, ids) < kill_at and time.monotonic() < deadline:
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        stored = _submitted(live_server.database, ids)
        assert kill_at <= stored < 600, "the kill landed mid-push"

    with Outbox(store_path) as store:
        counts = store.counts()
        assert counts["queued"] + counts["sending"] > 0  # work left for the next push

    final = subprocess.run(
        _push_command(store_path), cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert final.returncode == 0, final.stderr
    report = json.loads(final.stdout)
    assert report["pending"] == 0 and report["error"] is None
    with Outbox(store_path) as store:
        assert store.counts()["accepted"] == 600
        assert store.pending_count() == 0
    assert_exactly_once(live_server.database, ids)
