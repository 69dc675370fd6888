"""Province view benchmark: demo build, aggregates (full and one commune), dashboard page
views, official tables export.

    python bench/bench_province.py --households 20000 --runs 3

Prints a Markdown table of the medians (seconds). Builds its demo databases in a temporary
folder; the figures go into docs/benchmarks.md ("Province view").
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _one_run(households: int, folder: Path) -> dict[str, float]:
    from server import create_app
    from server.db import open_app_db
    from server.demo import build_demo
    from server.queries import province
    from server.queries.review import record_decision
    from server.queries.rounds import open_round_for

    path = folder / f"demo-{time.monotonic_ns()}.sqlite3"
    times = {"demo build": _timed(lambda: build_demo(path, households=households))}
    app = create_app(
        {"DATABASE": str(path), "SECRET_KEY": "b", "WTF_CSRF_ENABLED": False},
        instance_path=str(folder),
    )
    db = open_app_db(app)
    review_round = open_round_for(db, "42")
    db.execute("DELETE FROM province_aggregates")
    times["aggregates, whole round"] = _timed(lambda: province.ensure_aggregates(db, review_round))
    hid, version, computed, code = db.execute(
        "SELECT household_id, version, classification, commune_code FROM households h"
        " WHERE round_id = ? AND NOT EXISTS (SELECT 1 FROM review_decisions d"
        " WHERE d.round_id = h.round_id AND d.household_id = h.household_id) LIMIT 1",
        [review_round["id"]],
    ).fetchone()
    record_decision(
        db,
        round_id=review_round["id"],
        household_id=hid,
        user_id=1,
        decision="confirmed",
        version=version,
    )
    times["aggregates after one decision"] = _timed(
        lambda: province.ensure_aggregates(db, review_round)
    )
    times["stamp check, nothing changed"] = _timed(
        lambda: province.ensure_aggregates(db, review_round)
    )
    client = app.test_client()
    client.post("/login", data={"username": "tinh", "password": "demo-tinh"})
    times["dashboard page (stored)"] = _timed(lambda: client.get("/province/"))
    client.get("/province/map.html")
    times["map page (cached)"] = _timed(lambda: client.get("/province/map.html"))
    times["all tables XLSX"] = _timed(lambda: client.get("/province/tables/all.xlsx"))
    db.conn.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = []
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(args.runs):
            runs.append(_one_run(args.households, Path(folder)))
    print(f"| step ({args.households:,} households per round) | runs (s) | median (s) |")
    print("|---|---|---|")
    for key in runs[0]:
        values = [run[key] for run in runs]
        shown = " · ".join(f"{v:.2f}" for v in values)
        print(f"| {key} | {shown} | **{statistics.median(values):.2f}** |")


if __name__ == "__main__":
    main()
