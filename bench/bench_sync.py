"""Benchmark: push N queued households to a real server over loopback, end to end.

Starts `povcensus serve` (waitress, its default worker processes) on a fresh database in a temporary directory, creates an
enumerator with a device token and opens a round, queues N households in a client store, then
times `offline_sync.sync.push` until every household is accepted, and checks the server's
database holds each exactly once. Prints one JSON line per run and the median.

    python bench/bench_sync.py --households 10000 --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "survey_forms" / "examples" / "household.json"


def start_server(directory: Path, workers: int | None = None) -> tuple[subprocess.Popen, str, str]:
    """A migrated database with an enumerator, a token and an open round; the server's URL."""
    from server import create_app
    from server.db import connect
    from server.queries.rounds import open_round
    from server.queries.users import create_user, issue_token

    database = directory / "bench.sqlite3"
    create_app({"DATABASE": str(database), "SECRET_KEY": "bench"}, instance_path=str(directory))
    db = connect(database)
    create_user(db, "bench", role="enumerator", communes=["18496"], password=None)
    token = issue_token(db, "bench", "bench-laptop")[1]
    open_round(db, year=2026, standard="vn-2022", kind="annual", province="42")
    db.conn.close()
    env = {**os.environ, "POVCENSUS_INSTANCE_PATH": str(directory), "POVCENSUS_SECRET_KEY": "b"}
    process = subprocess.Popen(
        [sys.executable, "-m", "povcensus", "serve", "--port", "0", "--db", str(database)]
        + (["--workers", str(workers)] if workers else []),
        stdout=subprocess.PIPE,
        stderr=(directory / "server.log").open("wb"),
        env=env,
        cwd=directory,
    )
    line = process.stdout.readline().decode()
    if "serving on" not in line:
        raise SystemExit(f"server did not start: {line!r}")
    return process, line.strip().rsplit(" ", 1)[-1], token


def households(n: int, run: int):
    base = json.loads(EXAMPLE.read_text("utf-8"))
    base.pop("round", None)
    for i in range(n):
        yield {**base, "household_id": f"18496-b{run}-{i:06d}", "head_name": f"Hộ số {i}"}


def one_run(
    n: int, run: int, batch_size: int, concurrency: int = 2, workers: int | None = None
) -> dict:
    from offline_sync import sync
    from offline_sync.client import SyncClient
    from offline_sync.store import Outbox

    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        process, url, token = start_server(directory, workers)
        try:
            store = Outbox(directory / "client.sqlite3")
            started = time.perf_counter()
            store.enqueue_many((record, "bench") for record in households(n, run))
            enqueued = time.perf_counter() - started
            with SyncClient(url, token) as client:
                server_cpu, client_cpu = _cpu_seconds(process.pid), _own_cpu_seconds()
                started = time.perf_counter()
                report = sync.push(store, client, batch_size=batch_size, concurrency=concurrency)
                pushed = time.perf_counter() - started
                server_cpu = _cpu_seconds(process.pid) - server_cpu
                client_cpu = _own_cpu_seconds() - client_cpu
            store.close()
            with sqlite3.connect(f"file:{directory / 'bench.sqlite3'}?mode=ro", uri=True) as db:
                stored = db.execute("SELECT count(*) FROM households").fetchone()[0]
                submissions = db.execute("SELECT count(*) FROM submissions").fetchone()[0]
        finally:
            process.terminate()
            process.wait(10)
    assert report.outcomes["accepted"] == n and stored == n == submissions, (report, stored)
    return {
        "households": n,
        "batch_size": batch_size,
        "concurrency": concurrency,
        "server_workers": workers or "default",
        "enqueue_s": round(enqueued, 2),
        "push_s": round(pushed, 2),
        "per_second": round(n / pushed),
        # CPU time actually used, independent of other load on the machine
        "server_cpu_s": round(server_cpu, 2) if server_cpu >= 0 else None,
        "client_cpu_s": round(client_cpu, 2),
    }


def _cpu_seconds(pid: int) -> float:
    """user + system CPU seconds of the server and its worker processes (Linux /proc; -1
    elsewhere)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        total = 0
        for one in [pid, *map(int, children)]:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    except OSError:
        return -1.0
    return total / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=250)
    parser.add_argument("--concurrency", type=int, default=2, help="batches in flight")
    parser.add_argument("--workers", type=int, help="server processes (default: the server's)")
    args = parser.parse_args()
    results = []
    for run in range(args.runs):
        result = one_run(args.households, run, args.batch_size, args.concurrency, args.workers)
        print(json.dumps(result), flush=True)
        results.append(result)
    print(
        json.dumps(
            {
                "median_push_s": statistics.median(r["push_s"] for r in results),
                "median_enqueue_s": statistics.median(r["enqueue_s"] for r in results),
                "median_server_cpu_s": statistics.median(r["server_cpu_s"] or 0 for r in results),
                "median_client_cpu_s": statistics.median(r["client_cpu_s"] for r in results),
            }
        )
    )


if __name__ == "__main__":
    main()
