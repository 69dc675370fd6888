"""Benchmark: the commune review queue over 5,000 households of one commune.

Households are first stored through the real ingest path (validation + scoring, 250 of
them, four classes in 10 villages), then copied in SQL to 5,000 (same tables, same shapes:
households, household_versions, scores), a quarter of them with a decision. Then each queue
query (first page, last page, filtered, sorted by deprivations, counts) and the rendered
queue page over HTTP are timed: median and best of 21 runs.

Run: python bench/bench_review_queue.py [--households 5000]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

COMMUNE = "18496"


def seed(db, review_round, households: int) -> None:
    from server.queries.users import create_user
    from server.review.sample import KINDS, sample_record, submit

    enumerator = create_user(db, "enum", role="enumerator", communes=[COMMUNE])
    real = min(250, households)
    for number in range(real):
        record = sample_record(
            KINDS[number % 4],
            commune=COMMUNE,
            village=f"Thôn {number % 10 + 1}",
            number=number + 1,
            head_name=f"Chủ hộ {number + 1}",
        )
        assert submit(db, record, enumerator).outcome == "accepted"
    copies = -(-households // real) - 1
    conn = db.conn
    conn.execute("BEGIN")
    for copy in range(1, copies + 1):
        suffix = f"-c{copy:03d}"
        for table in ("households", "household_versions"):
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
            select = ", ".join("household_id || ?" if c == "household_id" else c for c in columns)
            conn.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) SELECT {select} FROM {table}"
                " WHERE household_id NOT LIKE '%-c%'",
                [suffix],
            )
        columns = [r[1] for r in conn.execute("PRAGMA table_info(scores)") if r[1] != "id"]
        select = ", ".join("household_id || ?" if c == "household_id" else c for c in columns)
        conn.execute(
            f"INSERT INTO scores ({', '.join(columns)}) SELECT {select} FROM scores"
            " WHERE household_id NOT LIKE '%-c%'",
            [suffix],
        )
    conn.execute(
        "DELETE FROM households WHERE rowid IN (SELECT rowid FROM households ORDER BY household_id"
        f" LIMIT -1 OFFSET {households})"
    )
    conn.execute(
        "INSERT INTO review_decisions (round_id, household_id, commune_code, version, decision,"
        " computed_class, override_class, reason, user_id, decided_at)"
        " SELECT round_id, household_id, commune_code, version,"
        " CASE WHEN rowid % 8 = 0 THEN 'overridden' ELSE 'confirmed' END, classification,"
        " CASE WHEN rowid % 8 = 0 THEN 'near_poor' END, 'bench', NULL, '2026-11-27T00:00:00Z'"
        " FROM households WHERE rowid % 4 = 0"
    )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")


def timed(function, runs: int = 21) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=5000)
    households = parser.parse_args().households

    from server import create_app
    from server.db import open_app_db
    from server.queries import review as rq
    from server.queries.rounds import open_round
    from server.queries.users import create_user

    directory = Path(tempfile.mkdtemp())
    app = create_app(
        {"DATABASE": str(directory / "b.sqlite3"), "SECRET_KEY": "b", "WTF_CSRF_ENABLED": False},
        instance_path=str(directory),
    )
    db = open_app_db(app)
    review_round = open_round(db, year=2026, standard="vn-2022", province="42")
    start = time.perf_counter()
    seed(db, review_round, households)
    print(f"seeded {households} households in {time.perf_counter() - start:.1f} s")
    round_id = review_round["id"]
    total = db.execute("SELECT count(*) FROM households").fetchone()[0]
    last = -(-total // rq.PAGE_SIZE)
    cases = {
        "first page (50), by household code": rq.QueueFilter(COMMUNE),
        f"last page ({last})": rq.QueueFilter(COMMUNE, page=last),
        "filter class=poor + village, sorted by head": rq.QueueFilter(
            COMMUNE, klass="poor", village="Thôn 3", sort="head"
        ),
        "filter status=submitted, sorted by class": rq.QueueFilter(
            COMMUNE, status="submitted", sort="class"
        ),
        "sorted by deprivations (desc)": rq.QueueFilter(COMMUNE, sort="deprivations"),
    }
    rows = []
    for name, wanted in cases.items():
        rows.append((name, *timed(lambda w=wanted: rq.list_queue(db, round_id, w))))
    rows.append(
        ("counts per status and class", *timed(lambda: rq.queue_counts(db, round_id, COMMUNE)))
    )
    create_user(db, "head", role="commune", communes=[COMMUNE], password="pw")
    client = app.test_client()
    client.post("/login", data={"username": "head", "password": "pw"})
    assert client.get(f"/review/c/{COMMUNE}/").status_code == 200
    rows.append(
        (
            "GET queue page over HTTP (test client)",
            *timed(lambda: client.get(f"/review/c/{COMMUNE}/?sort=village&page=40")),
        )
    )
    print(f"households in the commune: {total}")
    print("| case | median (ms) | best (ms) |\n|---|---|---|")
    for name, median, best in rows:
        print(f"| {name} | {median * 1000:.1f} | {best * 1000:.1f} |")


if __name__ == "__main__":
    main()
