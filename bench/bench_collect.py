"""Benchmark: povcensus Collect (the offline web form at /collect/) in headless Chromium.

Starts `povcensus serve` on a fresh database (an enumerator with a device token, an open
round), then in Debian's Chromium (Playwright) on a fresh profile measures:

- first visit: every byte the browser transfers (page and service worker requests, headers
  included) from opening the enrolment link until the service worker holds the app;
- opening offline: with the network off and 100 households on the device, from reload to the
  rendered work list (median of `--opens`);
- sync: 100 finalized households in the outbox, from the network's return (the app syncs by
  itself) until the work list shows all of them sent, then checks the server's database holds each exactly once.

Prints one JSON line per run and the medians.

    python bench/bench_collect.py --runs 3
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_sync import EXAMPLE, start_server  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def finalized(n: int) -> list[dict]:
    base = json.loads(EXAMPLE.read_text("utf-8"))
    base.pop("round", None)
    return [
        {
            "local_id": str(uuid.uuid4()),
            "status": "finalized",
            "record": {**base, "household_id": f"18496-wb{uuid.uuid4().hex[:10]}"},
            "instance_id": str(uuid.uuid4()),
            "base": None,
            "errors": [],
            "finalized_at": f"2026-10-05T08:00:{i:06d}Z",
        }
        for i in range(n)
    ]


def one_run(households: int, opens: int) -> dict:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        directory = Path(tmp)
        process, url, token = start_server(directory)
        try:
            context = playwright.chromium.launch_persistent_context(
                str(directory / "profile"), executable_path=CHROMIUM, args=ARGS
            )
            transferred = []
            context.on("requestfinished", lambda request: transferred.append(request))
            page = context.pages[0]
            page.goto(f"{url}/collect/#enrol={token}")
            page.wait_for_selector("text=Thiết bị của bench")
            page.evaluate("navigator.serviceWorker.ready.then(() => true)")
            while not page.evaluate("() => navigator.serviceWorker.controller !== null"):
                page.wait_for_timeout(50)  # (not wait_for_function: the app's CSP forbids eval)
            page.wait_for_timeout(500)  # let the worker's last cache writes finish
            sizes = [request.sizes() for request in transferred]
            first_visit = sum(
                s["requestHeadersSize"] + s["requestBodySize"] + s["responseHeadersSize"]
                + s["responseBodySize"]
                for s in sizes
            )  # fmt: skip
            by_worker = sum(1 for request in transferred if request.service_worker)

            page.evaluate(
                "async (entries) => { const s = await import('./static/store.js');"
                " await s.putHouseholds(entries); }",
                finalized(households),
            )
            context.set_offline(True)
            open_times, in_page = [], []
            for _ in range(opens):
                started = time.perf_counter()
                page.reload(wait_until="commit")
                page.wait_for_selector(
                    f'section[data-status="finalized"] h2:has-text("({households})")'
                )
                open_times.append(time.perf_counter() - started)
                in_page.append(page.evaluate("performance.now()") / 1000)
            # the network returns: the app syncs by itself (the "online" event)
            assert page.inner_text('section[data-status="sent"] h2').endswith("(0)")
            started = time.perf_counter()
            context.set_offline(False)
            page.wait_for_selector(
                f'section[data-status="sent"] h2:has-text("({households})")', timeout=120_000
            )
            synced = time.perf_counter() - started
            context.close()
            with sqlite3.connect(f"file:{directory / 'bench.sqlite3'}?mode=ro", uri=True) as db:
                stored = db.execute("SELECT count(*) FROM households").fetchone()[0]
                submissions = db.execute("SELECT count(*) FROM submissions").fetchone()[0]
        finally:
            process.terminate()
            process.wait(10)
    assert stored == submissions == households, (stored, submissions)
    return {
        "first_visit_bytes": first_visit,
        "first_visit_requests": len(sizes),
        "of_which_service_worker": by_worker,
        "open_offline_s_median": round(statistics.median(open_times), 3),
        "open_offline_s_max": round(max(open_times), 3),
        "open_offline_in_page_s_median": round(statistics.median(in_page), 3),
        "sync_households": households,
        "sync_s": round(synced, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--households", type=int, default=100)
    parser.add_argument("--opens", type=int, default=5, help="offline openings per run")
    args = parser.parse_args()
    results = []
    for _ in range(args.runs):
        result = one_run(args.households, args.opens)
        print(json.dumps(result), flush=True)
        results.append(result)
    print(
        json.dumps(
            {
                "median_first_visit_bytes": statistics.median(
                    r["first_visit_bytes"] for r in results
                ),
                "median_open_offline_s": statistics.median(
                    r["open_offline_s_median"] for r in results
                ),
                "median_sync_s": statistics.median(r["sync_s"] for r in results),
            }
        )
    )


if __name__ == "__main__":
    main()
