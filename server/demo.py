"""`povcensus demo`: build a demo database for Hà Tĩnh and serve it — README's first command.

What it builds (all from bundled data; no network, no real boundaries needed):

- Hà Tĩnh's 69 communes (seeded by the server from survey_forms' commune list);
- users for every role (admin, province, commune heads of a few communes, an enumerator), with
  the logins printed at the end (demo passwords: this database is for trying things out);
- last year's annual round under `vn-2022` with a synthetic census, every household decided,
  every village meeting held, lists posted and recognised in all 69 communes (the start of this
  year's movement tables), then closed;
- this year's open annual round under `vn-2027` (provisional — Nghị định 351/2025 is the standard
  the end-2026 review applies) with the same households re-surveyed plus a few new ones, and
  commune decisions (confirmations and a few overrides with reasons) already made in some
  communes, two of which have recognised their lists;
- the province aggregates of both rounds, stored.

Households are scored by the server's own scoring path (`server.scoring_adapter.classify`, the
function ingest uses; on a process pool for large censuses) and stored as ingest stores a first
version (raw submission, household state, history row, official score with the columns of
`server.ingest.insert_score`), 1,000 per transaction, with the records validated on a sample
first: running every record through marshmallow would take minutes, and the synthetic records
come from one generator.
"""

from __future__ import annotations

import os
import random
import signal
import sys
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import click

from povcensus import fmt

DEFAULT_HOUSEHOLDS = 20_000
DEFAULT_SEED = 2026
CHUNK = 1000
PARALLEL_FROM = 5000  # households from which scoring uses a process pool
PROVINCE = "42"
# (username, role, password, display name); commune users get communes assigned below.
DEMO_USERS = (
    ("admin", "admin", "demo-admin", "Quản trị hệ thống (demo)"),
    ("tinh", "province", "demo-tinh", "Cán bộ giảm nghèo cấp tỉnh (demo)"),
    ("xa1", "commune", "demo-xa1", "Chủ tịch UBND xã (1)"),
    ("xa2", "commune", "demo-xa2", "Chủ tịch UBND xã (2)"),
    ("rsv1", "enumerator", "demo-rsv1", "Rà soát viên 1"),
)
DECIDED_COMMUNES = 12  # communes of this year's round where the commune has decided
# The first run serves a demo of this many households per round within seconds and builds the
# full census in a background process, swapped in with SQLite's backup API when done.
QUICK_HOUSEHOLDS = 1000
BUILDING_SUFFIX = ".full-building"
RECOGNISED_COMMUNES = 2  # of which these have recognised their lists


class DemoError(click.ClickException):
    """The demo cannot be built where asked."""


Progress = Callable[[str, int], None]  # (step label, units done since last call)


# --- building ------------------------------------------------------------------------------


def build_demo(
    database: Path,
    *,
    households: int = DEFAULT_HOUSEHOLDS,
    seed: int = DEFAULT_SEED,
    today: date | None = None,
    on_progress: Progress | None = None,
) -> dict[str, Any]:
    """Build the demo database at `database` (must not exist); returns a summary."""
    from server import create_app
    from server.db import open_app_db

    progress = on_progress or (lambda _label, _n: None)
    today = today or date.today()
    app = create_app({"DATABASE": str(database)}, instance_path=str(database.parent))
    db = open_app_db(app)
    try:
        codes = [
            row[0]
            for row in db.execute(
                "SELECT code FROM communes WHERE province_code = ? ORDER BY code", [PROVINCE]
            )
        ]
        last, this = _census(codes, households, seed, today, progress)
        users = _make_users(db, _largest_communes(last, 2))
        summary = {"users": users, "communes": len(codes), "rounds": []}
        summary["rounds"].append(_last_year(db, last, users, today, progress))
        summary["rounds"].append(_this_year(db, this, codes, users, today, seed, progress))
        _store_aggregates(db, progress)
        _mark(db, households, seed)
        return summary
    finally:
        db.conn.close()


def _largest_communes(records: list[dict], count: int) -> list[str]:
    """The communes with most households (the commune users' communes: always populated)."""
    sizes: dict[str, int] = {}
    for record in records:
        sizes[record["commune_code"]] = sizes.get(record["commune_code"], 0) + 1
    return sorted(sizes, key=lambda code: (-sizes[code], code))[:count]


def _make_users(db, codes: list[str]) -> dict[str, dict[str, Any]]:
    from server.queries.users import create_user

    made = {}
    for username, role, password, name in DEMO_USERS:
        communes = {"xa1": codes[:1], "xa2": codes[1:2], "rsv1": codes[:2]}.get(username, [])
        user = create_user(
            db, username, role=role, password=password, communes=communes, display_name=name
        )
        made[username] = {"id": user.id, "role": role, "password": password, "communes": communes}
    return made


def _census(codes, households: int, seed: int, today: date, progress: Progress):
    """Last year's and this year's synthetic records (survey dates never after today)."""
    from server.province.synth import two_years

    progress("census", 0)
    last, this = two_years(codes, households, seed=seed, years=(today.year - 1, today.year))
    for record in last + this:
        if record["survey_date"] > today.isoformat():
            record["survey_date"] = today.isoformat()
    _validate_sample(last + this, seed)
    progress("census", 0)
    return last, this


def _validate_sample(records: list[dict], seed: int, size: int = 200) -> None:
    """Every record comes from one generator: validating a random sample catches its bugs."""
    from server import scoring_adapter

    for record in random.Random(seed).sample(records, min(size, len(records))):
        _loaded, errors = scoring_adapter.load(record)
        if errors:
            raise DemoError(f"synthetic record {record['household_id']} is invalid: {errors[:3]}")


def _score_chunk(standard: str, label: str, records: list[dict]) -> list[tuple]:
    """Each record scored by the server's scoring path and serialised, as the row values
    `_store_chunk` writes (in worker processes for large demos: this is the CPU-heavy part)."""
    from server import scoring_adapter
    from server.api import _payload_and_hash
    from server.household_rows import household_columns, household_summary, person_rows
    from server.packing import pack_record, pack_text
    from server.score_result import score_columns

    rows = []
    for record in records:
        record = {**record, "round": label}
        score = scoring_adapter.classify(record, standard, explained=False)
        instance_id = f"uuid:{uuid.uuid5(uuid.NAMESPACE_URL, label + record['household_id'])}"
        payload, sha256 = _payload_and_hash(  # stored as the sync API stores a JSON item
            {
                "base": None,
                "form_id": record["form_id"],
                "form_version": record["form_version"],
                "household_id": record["household_id"],
                "id": instance_id,
                "record": record,
            }
        )
        rows.append(
            (
                record["household_id"],
                record["commune_code"],
                record["form_id"],
                record["form_version"],
                instance_id,
                pack_text(payload),
                sha256,
                score.get("classification"),
                score_columns(score),
                score.get("deprivation_count"),
                pack_record(record),
                household_columns(record) + household_summary(record),
                person_rows(0, record["household_id"], record["commune_code"], record),
            )
        )
    return rows


def _scored_chunks(records: list[dict], standard: str, label: str):
    """Row values per CHUNK of records, scored on every core when the census is large."""
    chunks = [records[i : i + CHUNK] for i in range(0, len(records), CHUNK)]
    workers = min(os.cpu_count() or 1, 4)
    if len(records) < PARALLEL_FROM or workers < 2:
        for chunk in chunks:
            yield _score_chunk(standard, label, chunk)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        n = len(chunks)
        yield from pool.map(_score_chunk, [standard] * n, [label] * n, chunks)


def _ingest(db, records: list[dict], review_round: dict, submitter, progress: Progress) -> None:
    """Score with the server's scoring path and store each household as `server.ingest` stores
    a first version — raw submission, household state, history row, official score (the same
    columns and values as `server.ingest.insert_score`) — CHUNK households per transaction."""
    for rows in _scored_chunks(records, review_round["standard"], review_round["label"]):
        _store_chunk(db, rows, review_round["id"], submitter.id)
        progress("households", len(rows))


def _store_chunk(db, rows: list[tuple], round_id: int, user_id: int) -> None:
    from server.db import PROJECTION, transaction, utcnow
    from server.household_rows import SUMMARY, count_writes
    from server.score_result import SCORE_COLUMNS

    now = utcnow()
    with transaction(db) as conn:
        conn.executemany(
            "INSERT INTO submissions (form_id, instance_id, form_version, format, payload,"
            " sha256, base_id, household_id, round_id, device_id, user_id, received_at)"
            " VALUES (?,?,?,'json',?,?,NULL,?,?,NULL,?,?)",
            [(r[2], r[4], r[3], r[5], r[6], r[0], round_id, user_id, now) for r in rows],
        )
        conn.executemany(
            "INSERT INTO households (round_id, household_id, commune_code, version,"
            " submission_id, record, classification, status, updated_at, deprivation_count,"
            f" {', '.join(PROJECTION + SUMMARY)})"
            f" VALUES (?,?,?,1,?,?,?,'submitted',?,?, {', '.join('?' * len(PROJECTION + SUMMARY))})",
            [(round_id, r[0], r[1], r[4], r[10], r[7], now, r[9], *r[11]) for r in rows],
        )
        writes: dict[str, int] = {}
        for r in rows:
            writes[r[1]] = writes.get(r[1], 0) + 1
        count_writes(conn, round_id, writes)
        conn.executemany(  # person rows were made with round 0 in the worker
            "INSERT INTO persons VALUES (?,?,?,?,?,?,?,?)",
            [(round_id, *person[1:]) for r in rows for person in r[12]],
        )
        conn.executemany(
            "INSERT INTO household_versions (round_id, household_id, version, submission_id,"
            " classification, created_at) VALUES (?,?,1,?,?,?)",
            [(round_id, r[0], r[4], r[7], now) for r in rows],
        )
        conn.executemany(
            "INSERT INTO scores (round_id, household_id, household_version, official, scored_at,"
            f" {', '.join(SCORE_COLUMNS)}) VALUES (?,?,1,1,?, {', '.join('?' * len(SCORE_COLUMNS))})",
            [(round_id, r[0], now, *r[8]) for r in rows],
        )


def _submitter(db, users):
    from server.queries.users import get_user

    return get_user(db, users["tinh"]["id"])


def _last_year(db, records, users, today: date, progress: Progress) -> dict[str, Any]:
    """Last year's round: ingested, decided, met, posted, recognised everywhere, closed."""
    from server.queries.rounds import close_round, open_round

    opened = open_round(db, year=today.year - 1, standard="vn-2022", province=PROVINCE)
    _ingest(db, records, opened, _submitter(db, users), progress)
    codes = sorted({r["commune_code"] for r in records})
    for code in codes:
        _decide(db, opened, code, users["admin"]["id"], overrides=1, seed=0)
        _recognise(db, opened, code, users["admin"]["id"], today - timedelta(days=330))
        progress("review", 1)
    close_round(db, opened["label"])
    return {"label": opened["label"], "standard": "vn-2022", "status": "closed"}


def _this_year(db, records, codes, users, today, seed, progress) -> dict[str, Any]:
    """This year's open round: ingested, some communes decided, two recognised."""
    from server.queries.rounds import open_round

    opened = open_round(db, year=today.year, standard="vn-2027", province=PROVINCE)
    _ingest(db, records, opened, _submitter(db, users), progress)
    chosen = users["xa1"]["communes"] + users["xa2"]["communes"]
    populated = {r["commune_code"] for r in records}
    others = [c for c in codes if c not in chosen and c in populated]
    chosen += random.Random(seed).sample(others, min(len(others), DECIDED_COMMUNES - len(chosen)))
    for index, code in enumerate(chosen):
        _decide(db, opened, code, users["admin"]["id"], overrides=2, seed=seed + index)
        if RECOGNISED_COMMUNES <= index < RECOGNISED_COMMUNES * 2:
            _recognise(db, opened, code, users["admin"]["id"], today)
        progress("review", 1)
    return {"label": opened["label"], "standard": "vn-2027", "status": "open"}


def _decide(db, review_round, code: str, user_id: int, *, overrides: int, seed: int) -> None:
    """Confirm every household of the commune; override a few with a reason."""
    from server.db import transaction
    from server.queries.review import write_decision

    rows = db.execute(
        "SELECT household_id, version, classification FROM households"
        " WHERE round_id = ? AND commune_code = ? ORDER BY household_id",
        [review_round["id"], code],
    ).fetchall()
    near = [r for r in rows if r[2] in ("average", "near_poor")]
    override_ids = {r[0] for r in random.Random(seed).sample(near, min(overrides, len(near)))}
    with transaction(db) as conn:
        for household_id, version, computed in rows:
            overridden = household_id in override_ids
            write_decision(
                conn,
                round_id=review_round["id"],
                household_id=household_id,
                commune_code=code,
                version=version,
                computed=computed,
                decision="overridden" if overridden else "confirmed",
                override_class=_override_class(computed) if overridden else None,
                reason="Họp dân xác minh: chủ hộ mất sức lao động (demo)" if overridden else None,
                user_id=user_id,
            )


def _override_class(computed: str) -> str:
    return "poor" if computed == "near_poor" else "near_poor"


def _recognise(db, review_round, code: str, user_id: int, today: date) -> None:
    """Village meetings, posting and recognition, dated so the posting period is over."""
    from server.queries.review_commune import recognise, record_meeting, record_posting

    villages = [
        r[0]
        for r in db.execute(
            "SELECT DISTINCT village FROM households"
            " WHERE round_id = ? AND commune_code = ? ORDER BY 1",
            [review_round["id"], code],
        )
    ]
    for village in villages:
        record_meeting(
            db,
            round_id=review_round["id"],
            commune_code=code,
            village=village,
            held_on=today - timedelta(days=20),
            chair="Trưởng thôn",
            secretary="Thư ký",
            attendees=40,
            agree=36,
            note=None,
            user_id=user_id,
        )
    record_posting(
        db,
        review_round=review_round,
        commune_code=code,
        kind="list",
        posted_from=today - timedelta(days=14),
        place="Nhà văn hoá thôn",
        note=None,
        user_id=user_id,
    )
    recognise(
        db,
        review_round=review_round,
        commune_code=code,
        recognised_on=today - timedelta(days=1),
        decision_no=f"QĐ-{code}-demo",
        user_id=user_id,
        today=today,
    )


def _store_aggregates(db, progress: Progress) -> None:
    """Both rounds' aggregates, computed side by side in two processes for large censuses."""
    from server.queries.province import list_rounds

    database = db.execute("PRAGMA database_list").fetchone()[2]
    labels = [r["label"] for r in list_rounds(db, PROVINCE)]
    households = db.execute("SELECT count(*) FROM households").fetchone()[0]
    if households < PARALLEL_FROM or (os.cpu_count() or 1) < 2:
        for label in labels:
            _aggregate_round(database, label)
            progress("aggregates", 1)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context(method)) as pool:
        for _done in pool.map(_aggregate_round, [database] * len(labels), labels):
            progress("aggregates", 1)


def _aggregate_round(database: str, label: str) -> None:
    """Compute and store one round's aggregates on a connection of its own."""
    from server.db import connect
    from server.queries.province import ensure_aggregates
    from server.queries.rounds import get_round

    db = connect(database)
    try:
        ensure_aggregates(db, get_round(db, label))
    finally:
        db.conn.close()


def _mark(db, households: int, seed: int) -> None:
    from server.db import transaction, utcnow

    with transaction(db) as conn:
        conn.execute(
            "INSERT OR REPLACE INTO province_demo VALUES (1, ?, ?, ?)", [utcnow(), households, seed]
        )


def is_demo_database(path: Path) -> bool:
    """True when `path` is a database `povcensus demo` built."""
    from server.db import connect

    db = connect(path)
    try:
        return "province_demo" in db.table_names() and bool(
            db.execute("SELECT count(*) FROM province_demo").fetchone()[0]
        )
    finally:
        db.conn.close()


# --- the command ---------------------------------------------------------------------------


@click.command()
@click.option(
    "--households",
    default=DEFAULT_HOUSEHOLDS,
    show_default=True,
    type=click.IntRange(69),
    help="Synthetic households per round (spread over the 69 communes).",
)
@click.option("--port", default=5000, show_default=True, type=int, help="Port (0 = any free).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--db",
    "database",
    default="povcensus-demo/povcensus.sqlite3",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Demo database file.",
)
@click.option("--seed", default=DEFAULT_SEED, show_default=True, type=int)
@click.option("--rebuild", is_flag=True, help="Delete an earlier demo database and build anew.")
@click.option("--no-serve", is_flag=True, help="Build the database only; do not start the server.")
def demo(households, port, host, database, seed, rebuild, no_serve) -> None:
    """Build a demo database for Hà Tĩnh (69 communes, synthetic census, users for every role,
    last year's recognised round and this year's open round) and serve it.

    Example: povcensus demo --households 20000 --port 5000
    """
    database = database.resolve()
    if database.exists() and rebuild:
        _remove_demo(database)
    if not database.exists():
        database.parent.mkdir(parents=True, exist_ok=True)
        # serving soon: a quick demo first, the full census in the background (not --no-serve)
        first = households if no_serve else min(households, QUICK_HOUSEHOLDS)
        _build_with_bars(database, first, seed)
        if first < households:  # the full census is owed; kept until it is swapped in
            _pending(database).write_text(f"{households} {seed}", "utf-8")
    elif not is_demo_database(database):
        raise DemoError(f"{database} exists and was not built by `povcensus demo`; pick --db")
    else:
        click.echo(f"using the demo database {database} (--rebuild builds it anew)")
    if no_serve:
        _print_logins(None)
        return
    builder = None
    if _pending(database).exists():  # first run, or a full build interrupted earlier
        wanted, wanted_seed = (int(v) for v in _pending(database).read_text("utf-8").split())
        builder = _start_full_build(database, wanted, wanted_seed)
    if builder is not None:  # a `kill` stops the background build too (the finally below)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        _serve(database, host, port, builder)
    finally:
        if builder is not None and builder.poll() is None:
            builder.terminate()  # an unfinished full build is started again next time


STAGES = {  # progress label → what a person reads
    "census": "Tạo hộ giả lập / synthetic census",
    "households": "Chấm điểm, lưu hộ / scoring and storing households",
    "review": "Rà soát của xã / commune reviews",
    "aggregates": "Tổng hợp của tỉnh / province aggregates",
}


class StageBars:
    """One progress bar per stage of the build (a stage that comes back — households of the
    second round — gets a new bar); on stderr, so scripts read stdout undisturbed."""

    def __init__(self, households: int) -> None:
        self.lengths = {"census": 1, "households": households, "aggregates": 2}
        self.reviews = [69, DECIDED_COMMUNES]  # last year's communes, then this year's
        self.label: str | None = None
        self.bar: Any = None

    def __call__(self, label: str, done: int) -> None:
        if label != self.label:
            self.close()
            self.label = label
            length = self.reviews.pop(0) if label == "review" and self.reviews else None
            self.bar = click.progressbar(
                length=length or self.lengths.get(label, 1),
                label=f"{STAGES.get(label, label):<52}",
                file=sys.stderr,
                show_eta=False,
            )
            self.bar.__enter__()
        if done:
            self.bar.update(done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.update(self.bar.length - self.bar.pos)  # a finished stage shows full
            self.bar.__exit__(None, None, None)
            self.bar = None


def _build_with_bars(database: Path, households: int, seed: int) -> None:
    started = time.perf_counter()
    bars = StageBars(households)
    try:
        summary = build_demo(database, households=households, seed=seed, on_progress=bars)
    finally:
        bars.close()
    click.echo(
        f"demo database {database} built in {fmt.number(time.perf_counter() - started, 'en', digits=1)}"
        f" s: {summary['communes']} communes, {fmt.number(households, 'en')} households per round,"
        " rounds "
        + ", ".join(f"{r['label']} ({r['standard']}, {r['status']})" for r in summary["rounds"])
    )


def _pending(database: Path) -> Path:
    """Marker of a full census still owed to a quick first-run demo ("households seed")."""
    return database.with_name(database.name + ".full-pending")


def _start_full_build(database: Path, households: int, seed: int):
    """The full census in a low-priority process of its own (the server keeps both cores'
    time for requests); `finish_full_build` swaps it in."""
    import subprocess

    click.echo(
        f"Đang tạo đủ {fmt.number(households, 'vi')} hộ mỗi đợt trong nền; các trang cập nhật"
        f" khi xong. / Building the full {fmt.number(households, 'en')} households per round in"
        " the background; the pages show them when done."
    )
    code = (
        "import sys; from pathlib import Path; from server.demo import finish_full_build; "
        "finish_full_build(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))"
    )
    return subprocess.Popen(  # noqa: S603 — our own interpreter and module, no shell
        [sys.executable, "-c", code, str(database), str(households), str(seed)],
        stdout=subprocess.DEVNULL,
        stderr=(database.parent / "demo-build.log").open("ab"),
        preexec_fn=lambda: os.nice(10) if hasattr(os, "nice") else None,  # noqa: PLW1509
    )


def finish_full_build(database: Path, households: int, seed: int) -> None:
    """Build the full demo beside `database`, then copy it into `database` with SQLite's
    backup API in one step: connections of the running server see the whole new demo at their
    next transaction, never half of it."""
    import sqlite3

    building = database.with_name(database.name + BUILDING_SUFFIX)
    for suffix in ("", "-wal", "-shm", "-writelock"):
        Path(f"{building}{suffix}").unlink(missing_ok=True)
    build_demo(building, households=households, seed=seed)
    _checkpoint(building)
    source = sqlite3.connect(building)
    target = sqlite3.connect(database, timeout=120)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    for suffix in ("", "-wal", "-shm", "-writelock"):
        Path(f"{building}{suffix}").unlink(missing_ok=True)
    _pending(database).unlink(missing_ok=True)


def _checkpoint(database: Path) -> None:
    import sqlite3

    conn = sqlite3.connect(database)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def _remove_demo(database: Path) -> None:
    if not is_demo_database(database):
        raise DemoError(f"{database} was not built by `povcensus demo`; not deleting it")
    for suffix in ("", "-wal", "-shm", "-writelock", ".full-pending"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)


def _print_logins(url: str | None) -> None:
    base = url or "http://127.0.0.1:5000"
    click.echo("")
    click.echo("Đăng nhập / logins (mật khẩu demo / demo passwords):")
    for username, role, password, _name in DEMO_USERS:
        click.echo(f"  {role:<10} {username:<6} {password}")
    click.echo("")
    click.echo(f"  bảng điều khiển tỉnh / province dashboard: {base}/province/")
    click.echo(f"  rà soát của xã / commune review:          {base}/review/")
    click.echo(f"  đăng nhập / sign in:                      {base}/login")


def warm_up(app) -> None:
    """Compute what the province dashboard's first view needs (aggregates of every round, the
    map page of the open round in both languages) so that view is answered from the caches."""
    from werkzeug.exceptions import HTTPException

    from server.db import get_db
    from server.province import views
    from server.queries import province as queries

    with app.app_context():
        rounds = queries.list_rounds(get_db(), PROVINCE)
    for review_round in rounds:
        for lang in ("vi", "en"):
            url = f"/province/map.html?round={review_round['label']}&lang={lang}"
            with app.test_request_context(url):
                queries.commune_table(get_db(), review_round, province=PROVINCE)
                try:
                    views._map_html(review_round, None, "poor_rate")
                except HTTPException:  # no aggregates yet: nothing to warm
                    return
        break  # the newest round is the dashboard's first page


def _warm_after(app, builder) -> None:
    """Warm the caches again once the background build has been swapped in."""
    import threading

    def run() -> None:
        if builder.wait() == 0:
            warm_up(app)

    threading.Thread(target=run, name="demo-warm-up", daemon=True).start()


def _serve(database: Path, host: str, port: int, builder=None) -> None:
    from waitress import create_server

    from server import create_app

    app = create_app({"DATABASE": str(database)}, instance_path=str(database.parent))
    warm_up(app)  # the first dashboard view, map included, is answered from the caches
    try:
        server = create_server(app, host=host, port=port, threads=8, ident="povcensus")
    except OSError as error:
        raise DemoError(
            f"Không mở được cổng {port} / cannot listen on {host}:{port} ({error.strerror}); "
            "try another --port"
        ) from error
    url = f"http://{host}:{server.effective_port}"
    _print_logins(url)
    # The same line as `povcensus serve`: scripts and tests read the address from it.
    click.echo(f"povcensus serving on {url}")
    sys.stdout.flush()
    if builder is not None:
        _warm_after(app, builder)
    try:
        server.run()
    except KeyboardInterrupt:
        click.echo("stopped")
