"""The "fast at 4 M" figures of issue 16, measured on an already-built big database.

    PYTHONPATH=. python bench/bench_storage.py --households 1000000 --keep /tmp/big.sqlite3
    PYTHONPATH=. python bench/bench_scale.py --db /tmp/big.sqlite3 [--ingest 5000]
    PYTHONPATH=. python bench/bench_scale.py --households 30000        # build one in a temp folder

Prints the database size and households count, then a Markdown table (median and runs, the
goal, and the 1-minute load average when each case started; the machine may be shared):

- `queue`: the commune review queue page (`GET /review/c/<commune>/`, Flask test client, logged
  in as a commune user of the LARGEST commune of the round): first, middle and last page,
  filtered (class=poor + a village), sorted by head name and by deprivations (desc), at the
  first and a later page. Goal < 100 ms each; median of `--runs` (≥ 11).
- `lookup`: `GET /api/v1/households/<id>` with a bearer token, 101 random households (and the
  query `get_household` alone). Goal < 10 ms.
- `backup`: `povcensus backup -o FILE` as a subprocess: wall time, the backup's size in bytes
  and per household. Goal < 10 min.
- `aggregates`: `province.ensure_aggregates` with whatever is stale (on a freshly built
  database: every commune, i.e. the first dashboard view of the round). No goal in issue 16;
  `report` and `dashboard` after it measure the stored-aggregates path.
- `report`: `povcensus report --table all --format xlsx` as a subprocess. Goal < 2 min.
- `dashboard`: one review decision in the largest commune (`record_decision`), then
  `ensure_aggregates` (that commune recomputed), `GET /province/` and the map page (built anew
  for the new round state); repeated `--decisions` times. Goal < 2 s for the three together.
- `rescore`: `povcensus rescore --standard vn-2027` as a subprocess, wall time (goal < 10 min; skipped with `--resume-only`);
  then resumption with `--resume-standard` (another standard, so that nothing of it is stored
  yet): started, interrupted with SIGINT once ~30 % of the round is scored (progress read as
  the growth of `max(rowid)` of `scores`, else after 2 minutes without a row), and run
  again; the second run's time and how much it wrote tell whether it resumed or started over.
- `ingest` (only with `--ingest N`): `povcensus serve` on the database on a free loopback port;
  N new households of the largest commune per run through JSON batch sync and N/5 OpenRosa
  posts (the clients of bench/bench_ingest.py). Goals ≥ 1,000 households/s, ≥ 200 posts/s.

Order: the steps run in the order above whatever `--only` says, the read-only ones first. The
database is changed by: a commune, a province and an enumerator user (`scale-…`, created once,
reused), a device token per run; `aggregates`/`report`/`dashboard` store province aggregates;
`dashboard` records `--decisions` decisions; `rescore` adds (or replaces) non-official score rows
for two standards; `ingest` adds households. `--copy` runs everything on a copy in the work
folder instead (a 20 GB copy takes minutes). Only public functions and HTTP endpoints are used
for the measured work; the SQL here reads only plain columns (never the stored record or
payload), to find the largest commune, random household ids and the rescore progress.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))  # bench_storage (build) and bench_ingest (clients)

STEPS = ("queue", "lookup", "backup", "aggregates", "report", "dashboard", "rescore", "ingest")
PASSWORD = "bench-scale-password-7Q"  # noqa: S105 - a benchmark user on a benchmark database


# --- results ------------------------------------------------------------------------------


@dataclass
class Row:
    step: str
    case: str
    values: list[float]  # seconds, or a rate when unit is "/s"
    unit: str  # "ms", "s" or "/s"
    goal: str
    load: float
    note: str = ""

    def median(self) -> float:
        return statistics.median(self.values)

    def shown(self, value: float) -> str:
        if self.unit == "ms":
            return f"{value * 1000:,.1f}"
        if self.unit == "s":
            return f"{value:,.2f}"
        return f"{value:,.0f}"

    def runs(self) -> str:
        if len(self.values) > 21:  # e.g. 101 lookups: a summary instead of every run
            ordered = sorted(self.values)
            p90 = ordered[int(0.9 * (len(ordered) - 1))]
            return (
                f"{len(ordered)} runs: min {self.shown(ordered[0])}, p90 {self.shown(p90)},"
                f" max {self.shown(ordered[-1])}"
            )
        return " · ".join(self.shown(v) for v in self.values)


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)

    def add(self, step, case, values, unit, goal, load, note="") -> Row:
        row = Row(step, case, list(values), unit, goal, load, note)
        self.rows.append(row)
        unit = {"ms": "ms", "s": "s", "/s": "per s"}[unit]
        print(
            f"  {step}: {case}: median {row.shown(row.median())} {unit} ({row.runs()})"
            + (f" — {note}" if note else ""),
            file=sys.stderr,
            flush=True,
        )
        return row

    def table(self) -> str:
        lines = [
            "| step | case | median | runs | goal | load avg | note |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in self.rows:
            unit = {"ms": " ms", "s": " s", "/s": "/s"}[row.unit]
            lines.append(
                f"| {row.step} | {row.case} | **{row.shown(row.median())}{unit}** | {row.runs()}"
                f" | {row.goal} | {row.load:.1f} | {row.note} |"
            )
        return "\n".join(lines)


def load() -> float:
    return os.getloadavg()[0]


def timed(function, runs: int = 1) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return times


def _status_mb(pid: int | str, key: str) -> float:
    """VmHWM (peak) or VmRSS (now) of a process, in MB (0 when it has gone)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def reset_peak() -> float:
    """Reset this process's peak RSS (Linux: clear_refs 5); returns the RSS now in MB."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass
    return _status_mb("self", "VmRSS")


def peak_rss_mb() -> float:
    return _status_mb("self", "VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- the database and the app ---------------------------------------------------------------


@dataclass
class Bench:
    database: Path
    work: Path
    round: dict
    province: str
    households: int
    app: object = None
    db: object = None
    commune: str = ""
    commune_households: int = 0
    _users: dict = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        """Settings for `povcensus` subprocesses: a scratch data folder, the round's province."""
        instance = self.work / "instance"
        instance.mkdir(exist_ok=True)
        return {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p
            ),
            "POVCENSUS_INSTANCE_PATH": str(instance),
            "POVCENSUS_SECRET_KEY": "bench-scale",
            "POVCENSUS_PROVINCE": json.dumps(self.province),
        }

    def user(self, username: str, role: str, communes: tuple[str, ...] = ()):
        """A user of the benchmark with PASSWORD (created once, reused on later runs)."""
        from server.queries.users import create_user, get_user, set_password

        if username not in self._users:
            found = get_user(self.db, username)
            if found is None:
                found = create_user(
                    self.db, username, role=role, password=PASSWORD, communes=list(communes)
                )
            else:
                set_password(self.db, username, PASSWORD)
            assert found.role == role and set(communes) <= set(found.communes), found
            self._users[username] = found
        return self._users[username]

    def client(self, username: str):
        client = self.app.test_client()
        answer = client.post("/login", data={"username": username, "password": PASSWORD})
        assert answer.status_code in (302, 303), (answer.status_code, answer.get_data()[:300])
        return client


def plain_sql(database: Path, sql: str, args=()) -> list[tuple]:
    """A read-only query on plain columns (no stored record or payload)."""
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=60)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def database_bytes(database: Path) -> int:
    return sum(
        p.stat().st_size
        for p in (database, Path(f"{database}-wal"))
        if p.exists()  # the -shm is an index of the WAL, not data
    )


def prepare(args, work: Path) -> Bench:
    database = args.db
    if database is None or not database.exists():
        if not args.households:
            sys.exit(f"no database at {database}; give --households N to build one")
        from bench_storage import build

        database = database or work / "scale.sqlite3"
        print(f"building {args.households:,} households into {database} …", file=sys.stderr)
        app, _round, seconds = build(database, args.households, seed=args.seed)
        print(f"built in {seconds:,.0f} s", file=sys.stderr)
    if args.copy and database.parent != work:  # (a database built in the work folder is one)
        copy = work / f"copy-{database.name}"
        print(f"copying {database} to {copy} …", file=sys.stderr, flush=True)
        started = time.perf_counter()
        conn = sqlite3.connect(database, timeout=60)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        shutil.copyfile(database, copy)
        print(f"copied in {time.perf_counter() - started:,.0f} s", file=sys.stderr)
        database = copy
    rounds = plain_sql(database, "SELECT id, label, province_code FROM review_rounds ORDER BY id")
    if not rounds:
        sys.exit(f"{database} has no review round")
    chosen = [r for r in rounds if r[1] == args.round] if args.round else rounds[-1:]
    if not chosen:
        sys.exit(f"no round {args.round!r} in {database}: {[r[1] for r in rounds]}")
    round_id, _label, province = chosen[0]

    from server import create_app
    from server.db import open_app_db
    from server.queries.rounds import get_round

    instance = work / "instance"
    instance.mkdir(exist_ok=True)
    app = create_app(
        {
            "DATABASE": str(database),
            "SECRET_KEY": "bench-scale",
            "WTF_CSRF_ENABLED": False,
            "PROVINCE": province,
        },
        instance_path=str(instance),
    )
    db = open_app_db(app)
    households = db.execute(
        "SELECT count(*) FROM households WHERE round_id = ?", [round_id]
    ).fetchone()[0]
    bench = Bench(database, work, get_round(db, round_id), province, households, app, db)
    bench.commune, bench.commune_households = db.execute(
        "SELECT commune_code, count(*) FROM households WHERE round_id = ?"
        " GROUP BY commune_code ORDER BY 2 DESC LIMIT 1",
        [round_id],
    ).fetchone()
    return bench


# --- 1. the commune queue -------------------------------------------------------------------


def step_queue(bench: Bench, results: Results, runs: int) -> None:
    from server.queries import review as review_queries

    user = bench.user(f"scale-xa-{bench.commune}", "commune", (bench.commune,))
    client = bench.client(user.username)
    round_id = bench.round["id"]
    villages = review_queries.villages(bench.db, round_id, bench.commune)
    village = villages[len(villages) // 2] if villages else ""

    def pages(**wanted) -> int:
        chosen = review_queries.QueueFilter(commune_code=bench.commune, **wanted)
        return review_queries.list_queue(bench.db, round_id, chosen)["pages"]

    last = pages()
    filtered_last = pages(klass="poor", village=village or None)
    cases = [
        ("first page", {}),
        (f"middle page ({max(1, last // 2)})", {"page": max(1, last // 2)}),
        (f"last page ({last})", {"page": last}),
        (f"class=poor + village {village!r}", {"class": "poor", "village": village}),
        (
            f"class=poor + village, last page ({filtered_last})",
            {"class": "poor", "village": village, "page": filtered_last},
        ),
        ("sorted by head name", {"sort": "head"}),
        (
            f"sorted by head name, page {max(1, last // 2)}",
            {"sort": "head", "page": max(1, last // 2)},
        ),
        ("sorted by deprivations desc", {"sort": "deprivations"}),
        ("sorted by deprivations desc, last page", {"sort": "deprivations", "page": last}),
    ]
    print(
        f"queue of commune {bench.commune}: {bench.commune_households:,} households,"
        f" {last} pages, {len(villages)} villages",
        file=sys.stderr,
    )
    base = f"/review/c/{bench.commune}/"
    for case, params in cases:
        params = {k: v for k, v in params.items() if v not in ("", None)}
        params["round"] = bench.round["label"]
        url = f"{base}?{urlencode(params)}"

        def get(url=url) -> None:
            answer = client.get(url)
            assert answer.status_code == 200, (url, answer.status_code)

        started_load = load()
        results.add(
            "queue", f"GET queue page: {case}", timed(get, runs), "ms", "< 100 ms", started_load
        )
    # Where a page's time goes (the functions the queue view calls), each on its own.
    chosen = review_queries.QueueFilter(commune_code=bench.commune, page=last)
    page_ids = [
        row["household_id"] for row in review_queries.list_queue(bench.db, round_id, chosen)["rows"]
    ]
    parts = [
        ("list_queue, last page", lambda: review_queries.list_queue(bench.db, round_id, chosen)),
        ("queue_counts", lambda: review_queries.queue_counts(bench.db, round_id, bench.commune)),
        ("villages", lambda: review_queries.villages(bench.db, round_id, bench.commune)),
    ]
    try:  # the duplicate-person flags of one page (list_queue calls it), issue 12
        from server.queries.persons import commune_duplicates

        parts.append(
            (
                "commune_duplicates for the last page's households (inside list_queue)",
                lambda: commune_duplicates(bench.db, round_id, bench.commune, page_ids),
            )
        )
    except ImportError:
        pass
    for name, function in parts:
        started_load = load()
        results.add("queue", f"of which {name} (query only)", timed(function, runs), "ms", "",
                    started_load)  # fmt: skip


# --- 2. one household by id -----------------------------------------------------------------


def random_ids(bench: Bench, count: int, seed: int) -> list[str]:
    """Random household ids of the round, by random rowid (no scan of the table)."""
    rng = random.Random(seed)
    top = bench.db.execute("SELECT max(rowid) FROM households").fetchone()[0]
    chosen: list[str] = []
    tries = 0
    while len(chosen) < count and tries < count * 100:
        tries += 1
        row = bench.db.execute(
            "SELECT household_id FROM households WHERE rowid = ? AND round_id = ?",
            [rng.randint(1, top), bench.round["id"]],
        ).fetchone()
        if row and row[0] not in chosen:
            chosen.append(row[0])
    return chosen


def step_lookup(bench: Bench, results: Results, count: int, seed: int) -> None:
    from server.queries.households import get_household
    from server.queries.users import issue_token

    ids = random_ids(bench, count, seed)
    user = bench.user("scale-tinh", "province")
    _device, token = issue_token(bench.db, user.username, f"bench-scale-{uuid.uuid4().hex[:8]}")
    client = bench.app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    times = []
    started_load = load()
    for household_id in ids:
        started = time.perf_counter()
        answer = client.get(f"/api/v1/households/{household_id}", headers=headers)
        times.append(time.perf_counter() - started)
        assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    results.add("lookup", "GET /api/v1/households/<id>", times, "ms", "< 10 ms", started_load)
    times = []
    started_load = load()
    for household_id in ids:
        started = time.perf_counter()
        assert get_household(bench.db, household_id) is not None
        times.append(time.perf_counter() - started)
    results.add("lookup", "of which get_household (query only)", times, "ms", "", started_load)


# --- subprocesses ---------------------------------------------------------------------------


def povcensus(bench: Bench, *arguments: str, pipe_stdout: bool = False) -> subprocess.Popen:
    """Start `povcensus ARGUMENTS --db …`; its output goes to files in the work folder."""
    name = f"{arguments[0]}-{time.monotonic_ns()}"
    with (
        (bench.work / f"{name}.out").open("wb") as out,
        (bench.work / f"{name}.err").open("wb") as err,
    ):
        process = subprocess.Popen(
            [sys.executable, "-m", "povcensus", *arguments, "--db", str(bench.database)],
            stdout=subprocess.PIPE if pipe_stdout else out,
            stderr=err,
            env=bench.env(),
            cwd=bench.work,
            # A benchmark started in the background (`… &` in a script) inherits SIGINT ignored,
            # and so would every child: the resumption test could not interrupt the rescore.
            preexec_fn=_default_sigint,
        )
    process.files = (bench.work / f"{name}.out", bench.work / f"{name}.err")
    return process


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def finish(process: subprocess.Popen) -> tuple[int, str, str, float]:
    """Wait for the child: (exit code, stdout, stderr, its peak RSS in MB).

    The peak is the child's VmHWM read every 0.2 s while it runs (the rusage of a child
    started by vfork counts the parent's memory too)."""
    peak = 0.0
    while True:
        pid, status = os.waitpid(process.pid, os.WNOHANG)
        if pid:
            break
        peak = max(peak, _status_mb(process.pid, "VmHWM"))
        time.sleep(0.2)
    process.returncode = os.waitstatus_to_exitcode(status)
    out, err = (path.read_text(errors="replace") for path in process.files)
    for path in process.files:
        path.unlink()
    return process.returncode, out, err, peak


def run_command(bench: Bench, *arguments: str) -> tuple[float, str, float]:
    """Run `povcensus ARGUMENTS --db …` to the end: (seconds, stdout, peak RSS MB)."""
    started = time.perf_counter()
    code, out, err, rss = finish(povcensus(bench, *arguments))
    seconds = time.perf_counter() - started
    if code != 0:
        raise RuntimeError(f"povcensus {' '.join(arguments)} exited {code}:\n{err[-2000:]}")
    return seconds, out, rss


# --- 3. backup --------------------------------------------------------------------------------


def step_backup(bench: Bench, results: Results) -> None:
    target = bench.work / "backup.sqlite3.gz"
    started_load = load()
    seconds, out, rss = run_command(bench, "backup", "-o", str(target))
    report = json.loads(out[out.index("{") :])
    size = target.stat().st_size
    results.add(
        "backup",
        "povcensus backup (online copy, integrity check, gzip)",
        [seconds],
        "s",
        "< 10 min",
        started_load,
        f"{size:,} bytes = {size / max(bench.households, 1):,.0f} B/household"
        f" ({report.get('households', 0):,} households in the file);"
        f" database {database_bytes(bench.database):,} bytes; peak RSS {rss:,.0f} MB",
    )
    target.unlink()
    Path(f"{target}.json").unlink(missing_ok=True)


# --- 4. aggregates, report, dashboard -------------------------------------------------------


def step_aggregates(bench: Bench, results: Results) -> None:
    from server.queries import province

    stale, stamps = province.stale_communes(bench.db, bench.round)
    started_load = load()
    rss = reset_peak()
    seconds = timed(lambda: province.ensure_aggregates(bench.db, bench.round))
    results.add(
        "aggregates",
        f"ensure_aggregates, {len(stale)} of {len(stamps)} communes stale",
        seconds,
        "s",
        "(none)",
        started_load,
        f"RSS of this process {rss:,.0f} MB before, peak {peak_rss_mb():,.0f} MB during",
    )


def step_report(bench: Bench, results: Results) -> None:
    from server.queries import province

    stale, _stamps = province.stale_communes(bench.db, bench.round)
    target = bench.work / "report.xlsx"
    started_load = load()
    seconds, _out, rss = run_command(
        bench, "report", "--round", bench.round["label"], "--table", "all", "--format", "xlsx",
        "-o", str(target),
    )  # fmt: skip
    results.add(
        "report",
        "povcensus report --table all --format xlsx",
        [seconds],
        "s",
        "< 2 min",
        started_load,
        f"{len(stale)} communes stale before; {target.stat().st_size:,} bytes;"
        f" peak RSS {rss:,.0f} MB",
    )
    target.unlink()


def step_dashboard(bench: Bench, results: Results, decisions: int) -> None:
    from server.queries import province
    from server.queries import review as review_queries

    commune_user = bench.user(f"scale-xa-{bench.commune}", "commune", (bench.commune,))
    tinh = bench.user("scale-tinh", "province")
    client = bench.client(tinh.username)
    query = f"?{urlencode({'round': bench.round['label']})}"
    province.ensure_aggregates(bench.db, bench.round)  # the state before the change: stored
    for url in ("/province/", "/province/map.html"):
        _ok(client.get(url + query))
    parts: dict[str, list[float]] = {
        "ensure_aggregates (largest commune recomputed)": [],
        "GET /province/ (stored aggregates)": [],
        "GET /province/map.html (new round state)": [],
        "GET /province/map.html again (cached)": [],
    }
    totals = []
    started_load = load()
    wanted = review_queries.QueueFilter(commune_code=bench.commune, status="submitted")
    for _ in range(decisions):
        page = review_queries.list_queue(bench.db, bench.round["id"], wanted, page_size=1)
        row = page["rows"][0]
        review_queries.record_decision(
            bench.db,
            round_id=bench.round["id"],
            household_id=row["household_id"],
            user_id=commune_user.id,
            decision="confirmed",
            version=row["version"],
        )
        steps = [
            lambda: province.ensure_aggregates(bench.db, bench.round),
            lambda: _ok(client.get("/province/" + query)),
            lambda: _ok(client.get("/province/map.html" + query)),
            lambda: _ok(client.get("/province/map.html" + query)),
        ]
        seconds = [timed(step)[0] for step in steps]
        for key, value in zip(parts, seconds, strict=True):
            parts[key].append(value)
        totals.append(sum(seconds[:3]))
    for key, values in parts.items():
        results.add("dashboard", f"after a decision: {key}", values, "s", "", started_load)
    results.add(
        "dashboard",
        "after a decision: aggregates + dashboard + map, together",
        totals,
        "s",
        "< 2 s",
        started_load,
    )
    started_load = load()
    results.add(
        "dashboard",
        "nothing changed: ensure_aggregates (change stamps only)",
        timed(lambda: province.ensure_aggregates(bench.db, bench.round), decisions),
        "s",
        "",
        started_load,
    )
    started_load = load()
    results.add(
        "dashboard",
        "nothing changed: GET /province/",
        timed(lambda: _ok(client.get("/province/" + query)), decisions),
        "s",
        "",
        started_load,
    )


def _ok(answer) -> None:
    assert answer.status_code == 200, (answer.status_code, answer.get_data()[:300])


# --- 5. rescore ------------------------------------------------------------------------------


def score_rows(bench: Bench, standard: str) -> int:
    """Non-official score rows of the round under `standard` (any version)."""
    return plain_sql(
        bench.database,
        "SELECT count(*) FROM scores WHERE round_id = ? AND standard = ? AND official = 0",
        [bench.round["id"], standard],
    )[0][0]


def max_score_rowid(bench: Bench) -> int:
    return plain_sql(bench.database, "SELECT coalesce(max(rowid), 0) FROM scores")[0][0]


def step_rescore(
    bench: Bench, results: Results, standard: str, resume_standard: str, resume_only: bool
) -> None:
    label = bench.round["label"]
    households = max(bench.households, 1)
    if not resume_only:
        whole_round(bench, results, label, households, standard)
    resumption(bench, results, label, households, resume_standard)


def whole_round(bench: Bench, results: Results, label: str, households: int, standard: str):
    before = score_rows(bench, standard)
    started_load = load()
    first = max_score_rowid(bench)
    seconds, _out, rss = run_command(bench, "rescore", "--round", label, "--standard", standard)
    written = max_score_rowid(bench) - first
    after = score_rows(bench, standard)
    results.add(
        "rescore",
        f"povcensus rescore --standard {standard}, whole round",
        [seconds],
        "s",
        "< 10 min",
        started_load,
        f"{before:,} rows of {standard} before, {after:,} after; ≈ {written:,} rows written;"
        f" {households / seconds:,.0f} households/s; peak RSS {rss:,.0f} MB",
    )


def resumption(bench: Bench, results: Results, label: str, households: int, resume_standard: str):
    """Another standard, interrupted (SIGINT) at ~30 %, then run again."""
    if score_rows(bench, resume_standard):
        print(
            f"note: {resume_standard} rows exist already in this round (an earlier run?):"
            " the resumption figures below are not of a first run",
            file=sys.stderr,
        )
    started_load = load()
    first = max_score_rowid(bench)
    target = first + int(0.3 * households)
    started = time.perf_counter()
    process = povcensus(bench, "rescore", "--round", label, "--standard", resume_standard)
    how, code = "", None
    while True:
        time.sleep(0.2)
        pid, status = os.waitpid(process.pid, os.WNOHANG)
        if pid:  # it ended by itself before 30 %
            how, code = "not interrupted: it finished first", os.waitstatus_to_exitcode(status)
            for path in process.files:
                path.unlink()
            break
        progressed = max_score_rowid(bench)
        elapsed = time.perf_counter() - started
        if progressed >= target:
            how = "at ~30 % of the rows"
        elif progressed == first and elapsed >= 120:
            how = "after 2 minutes without a score row written"
        else:
            continue
        process.send_signal(signal.SIGINT)
        code = finish(process)[0]
        break
    interrupted_after = time.perf_counter() - started
    done_at_interrupt = max_score_rowid(bench) - first
    kept = score_rows(bench, resume_standard)
    results.add(
        "rescore",
        f"rescore --standard {resume_standard}, interrupted (SIGINT) {how}",
        [interrupted_after],
        "s",
        "",
        started_load,
        f"exit {code}; ≈ {done_at_interrupt:,} rows written, {kept:,} kept"
        f" ({100 * kept / households:.0f} % of the round)",
    )
    started_load = load()
    first = max_score_rowid(bench)
    again, _out, _rss = run_command(
        bench, "rescore", "--round", label, "--standard", resume_standard
    )
    written = max_score_rowid(bench) - first
    after = score_rows(bench, resume_standard)
    resumed = written < 0.9 * households
    results.add(
        "rescore",
        f"rescore --standard {resume_standard} again, after the interruption",
        [again],
        "s",
        "resumable",
        started_load,
        f"≈ {written:,} rows written ({100 * written / households:.0f} % of the round),"
        f" {after:,} rows of {resume_standard} after:"
        + (" resumed" if resumed else " NOT resumed (started over)"),
    )


# --- 6. ingest -----------------------------------------------------------------------------


def step_ingest(bench: Bench, results: Results, n: int, openrosa: int, runs: int, args) -> None:
    import bench_ingest

    from server.queries.users import issue_token

    user = bench.user("scale-rsv", "enumerator", (bench.commune,))
    token = issue_token(bench.db, user.username, f"bench-scale-{uuid.uuid4().hex[:8]}")[1]
    server = BigServer(bench, args.workers, user.username, token)
    tag = uuid.uuid4().hex[:6]

    from survey_forms.communes import commune_area

    area = commune_area(bench.commune)

    def new_households(count: int, seed: int) -> list[dict]:
        """bench_ingest's synthetic households, moved to the largest commune."""
        records = bench_ingest.households(count, seed=seed)
        for number, record in enumerate(records):
            record["commune_code"] = bench.commune
            if area is not None:  # phường → urban, xã → rural (else the record is rejected)
                record["area"] = area
            record["household_id"] = f"{bench.commune}-s{tag}{seed}-{number:06d}"
        return records

    batch, posts = [], []
    loads = [load(), 0.0]
    try:
        for run in range(runs):
            records = new_households(n, seed=run)
            batch.append(bench_ingest.bench_batch(server, records, args.clients, args.batch_size))
            print(f"  batch run {run + 1}: {batch[-1][0]:,.0f}/s", file=sys.stderr, flush=True)
        loads[1] = load()
        for run in range(runs):
            records = new_households(openrosa, seed=100 + run)
            posts.append(bench_ingest.bench_openrosa(server, records, args.clients))
            print(f"  OpenRosa run {run + 1}: {posts[-1][0]:,.0f}/s", file=sys.stderr, flush=True)
    finally:
        server.stop()
    results.add(
        "ingest",
        f"JSON batch sync, {n:,} new households of commune {bench.commune} per run",
        [rate for rate, _cpu in batch],
        "/s",
        "≥ 1,000/s",
        loads[0],
        f"batches of {args.batch_size}, {args.clients} clients, {args.workers} server"
        f" processes; server CPU {statistics.median(c for _r, c in batch):.2f} ms/household",
    )
    results.add(
        "ingest",
        f"OpenRosa posts, {openrosa:,} new households per run",
        [rate for rate, _cpu in posts],
        "/s",
        "≥ 200/s",
        loads[1],
        f"{args.clients} clients; server CPU {statistics.median(c for _r, c in posts):.2f} ms/post",
    )


class BigServer:
    """`povcensus serve` on the big database (bench_ingest.Server does it on a fresh one)."""

    def __init__(self, bench: Bench, workers: int, username: str, token: str) -> None:
        self.username, self.token = username, token
        self.process = povcensus(
            bench, "serve", "--port", "0", "--threads", "8", "--workers", str(workers),
            pipe_stdout=True,
        )  # fmt: skip
        line = self.process.stdout.readline().decode().strip()
        if not line.startswith("povcensus serving on"):
            self.stop()
            raise RuntimeError(f"serve did not start: {line!r}")
        self.url = line.rsplit(" ", 1)[-1]

    def cpu_seconds(self) -> float:
        import bench_ingest

        return bench_ingest.Server.cpu_seconds(self)

    def stop(self) -> None:
        self.process.terminate()
        code, _out, err, _rss = finish(self.process)
        self.process.stdout.close()
        if code not in (0, -signal.SIGTERM):
            print(f"serve exited {code}: {err[-2000:]}", file=sys.stderr)


# --- main --------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", type=Path, help="database built by bench_storage.py --keep")
    parser.add_argument("--households", type=int, help="build this many first (at --db, else temp)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--round", help="round label (default: the newest round)")
    parser.add_argument("--only", help=f"comma-separated steps of: {','.join(STEPS)}")
    parser.add_argument("--copy", action="store_true", help="work on a copy of the database")
    parser.add_argument("--work", type=Path, help="folder for the copy, backup and report files")
    parser.add_argument("--runs", type=int, default=11, help="runs of each queue page")
    parser.add_argument("--lookups", type=int, default=101)
    parser.add_argument("--decisions", type=int, default=3, help="dashboard runs (one each)")
    parser.add_argument("--standard", default="vn-2027", help="rescore standard")
    parser.add_argument("--resume-standard", default="vn-2016", help="for the resumption test")
    parser.add_argument(
        "--resume-only",
        action="store_true",
        help="rescore: only the interrupted run and its resumption",
    )
    parser.add_argument("--ingest", type=int, default=0, help="households per batch-sync run")
    parser.add_argument("--openrosa", type=int, help="posts per OpenRosa run (default N/5)")
    parser.add_argument("--ingest-runs", type=int, default=3)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2, help="server processes for ingest")
    args = parser.parse_args()
    steps = STEPS if not args.only else tuple(s.strip() for s in args.only.split(","))
    unknown = set(steps) - set(STEPS)
    if unknown:
        parser.error(f"unknown steps {sorted(unknown)}; known: {','.join(STEPS)}")
    if "ingest" in steps and not args.ingest:
        if args.only:
            parser.error("the ingest step needs --ingest N (households per run)")
        steps = tuple(s for s in steps if s != "ingest")

    folder = tempfile.TemporaryDirectory(prefix="bench-scale-", dir=args.work)
    work = Path(folder.name)
    load_before = os.getloadavg()
    bench = prepare(args, work)
    size = database_bytes(bench.database)
    print(f"load average before: {', '.join(f'{x:.2f}' for x in load_before)}")
    print(
        f"database {bench.database}: {size:,} bytes ({size / 1e9:,.2f} GB),"
        f" {bench.households:,} households in round {bench.round['label']}"
        f" ({size / max(bench.households, 1):,.0f} bytes/household);"
        f" largest commune {bench.commune} with {bench.commune_households:,} households;"
        f" {os.cpu_count()} cores; code {REPO}"
    )
    sys.stdout.flush()
    results = Results()
    try:
        for step in STEPS:
            if step not in steps:
                continue
            print(f"{time.strftime('%H:%M:%S')} {step} …", file=sys.stderr, flush=True)
            if step == "queue":
                step_queue(bench, results, args.runs)
            elif step == "lookup":
                step_lookup(bench, results, args.lookups, args.seed)
            elif step == "backup":
                step_backup(bench, results)
            elif step == "aggregates":
                step_aggregates(bench, results)
            elif step == "report":
                step_report(bench, results)
            elif step == "dashboard":
                step_dashboard(bench, results, args.decisions)
            elif step == "rescore":
                step_rescore(bench, results, args.standard, args.resume_standard, args.resume_only)
            elif step == "ingest":
                openrosa = args.openrosa or max(1, args.ingest // 5)
                step_ingest(bench, results, args.ingest, openrosa, args.ingest_runs, args)
    finally:
        print()
        print(results.table())
        print()
        print(f"load average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
        bench.db.conn.close()
        folder.cleanup()


if __name__ == "__main__":
    main()
