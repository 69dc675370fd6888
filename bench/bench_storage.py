"""Storage per household (issue 16): build a synthetic round in bulk, then report the database
size ÷ households, broken down by table (each table with its indexes, from SQLite's `dbstat`),
and the time of a household lookup by id (`GET /api/v1/households/<id>`).

    PYTHONPATH=. python bench/bench_storage.py --households 100000

The round is stored as `povcensus demo` stores it (server.demo's bulk path: raw submission,
household, history row and official score per household, scored by the server's scoring path
on a process pool), not through HTTP. Run it with another checkout on PYTHONPATH to measure
that code's layout (e.g. the code before a storage change): the script only uses functions
both have. Prints the load average before and after: the machine may be shared.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

SLICE = 20_000  # records generated and stored per step (bounded memory at millions)


def build(database: Path, households: int, seed: int) -> tuple[object, dict, float]:
    from server import create_app
    from server.db import open_app_db
    from server.demo import _ingest
    from server.province.synth import base_census
    from server.queries.rounds import open_round
    from server.queries.users import create_user, get_user

    app = create_app(
        {"DATABASE": str(database), "SECRET_KEY": "bench"}, instance_path=str(database.parent)
    )
    db = open_app_db(app)
    user = create_user(db, "tinh", role="province", password="bench-password")
    submitter = get_user(db, user.id)
    review_round = open_round(db, year=2026, standard="vn-2022", kind="annual", province="42")
    records = base_census([], households, seed=seed, year=2026)
    start = time.perf_counter()
    done = 0
    while chunk := list(itertools.islice(records, SLICE)):
        _ingest(db, chunk, review_round, submitter, lambda _label, _n: None)
        done += len(chunk)
        print(f"  stored {done:,} households", file=sys.stderr, flush=True)
    elapsed = time.perf_counter() - start
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # no ANALYZE: the server never runs it
    return app, review_round, elapsed


def breakdown(db) -> tuple[int, list[tuple[str, int]]]:
    """(database bytes, [(table, bytes of the table and its indexes)]) largest first."""
    owner = dict(db.execute("SELECT name, tbl_name FROM sqlite_master"))
    sizes: dict[str, int] = {}
    for name, size in db.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"):
        table = owner.get(name, name)
        sizes[table] = sizes.get(table, 0) + size
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    total = db.execute("PRAGMA page_count").fetchone()[0] * page_size
    return total, sorted(sizes.items(), key=lambda item: -item[1])


def lookups(app, db, runs: int, seed: int) -> tuple[float, float]:
    """Median ms of the household query and of the HTTP endpoint (Flask test client)."""
    from server.queries.households import get_household
    from server.queries.users import issue_token

    ids = [row[0] for row in db.execute("SELECT household_id FROM households")]
    chosen = random.Random(seed).sample(ids, min(runs, len(ids)))
    query = []
    for household_id in chosen:
        start = time.perf_counter()
        assert get_household(db, household_id) is not None
        query.append(time.perf_counter() - start)
    _device, token = issue_token(db, "tinh", "bench")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    http = []
    for household_id in chosen:
        start = time.perf_counter()
        answer = client.get(f"/api/v1/households/{household_id}", headers=headers)
        http.append(time.perf_counter() - start)
        assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    return statistics.median(query) * 1000, statistics.median(http) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--lookups", type=int, default=101)
    parser.add_argument("--keep", type=Path, help="build the database here and keep it")
    args = parser.parse_args()
    folder = tempfile.TemporaryDirectory(prefix="bench-storage-")
    database = args.keep or Path(folder.name) / "bench.sqlite3"
    print(f"load average before: {os.getloadavg()}  code: {_code()}")
    app, _round, elapsed = build(database, args.households, args.seed)
    from server.db import open_app_db

    db = open_app_db(app)
    households = db.execute("SELECT count(*) FROM households").fetchone()[0]
    total, tables = breakdown(db)
    print(f"{households:,} households stored in {elapsed:.0f} s ({households / elapsed:,.0f}/s)")
    print(f"database {total / 1e6:,.1f} MB = {total / households:,.0f} bytes per household")
    for table, size in tables:
        if size * 1000 >= total:  # tables under 0.1 % of the file are not worth a line
            print(f"  {table:<22} {size / 1e6:>10,.1f} MB {size / households:>8,.0f} B/household")
    query_ms, http_ms = lookups(app, db, args.lookups, args.seed)
    print(
        f"household by id: query {query_ms:.2f} ms, GET /api/v1/households/<id> {http_ms:.2f} ms"
        f" (median of {args.lookups})"
    )
    print(f"load average after: {os.getloadavg()}")
    db.conn.close()
    folder.cleanup()


def _code() -> str:
    import server

    return str(Path(server.__file__).resolve().parent.parent)


if __name__ == "__main__":
    main()
