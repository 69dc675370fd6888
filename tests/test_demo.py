"""`povcensus demo`: the database it builds (communes, users, rounds, decisions, stored
aggregates), that it refuses to overwrite a database it did not build, and — as a real
subprocess — that it starts a server answering on loopback, which is then stopped."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request

import pytest
from browser_support import interrupt
from click.testing import CliRunner

from povcensus.cli import main
from server.db import connect


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    result = CliRunner().invoke(
        main, ["demo", "--households", "345", "--no-serve", "--db", str(path)]
    )
    assert result.exit_code == 0, result.output
    return path, result.output


def test_demo_builds_communes_users_and_rounds(built):
    path, output = built
    db = connect(path)
    assert (
        db.execute("SELECT count(*) FROM communes WHERE province_code = '42'").fetchone()[0] == 69
    )
    roles = {r for (r,) in db.execute("SELECT role FROM users")}
    assert roles == {"admin", "province", "commune", "enumerator"}
    from server.demo import DEMO_USERS
    from server.queries.users import authenticate_password

    passwords = {username: password for username, _role, password, _name in DEMO_USERS}
    for (username,) in db.execute("SELECT username FROM users"):
        assert username in output and passwords[username] in output  # every login printed
        assert authenticate_password(db, username, passwords[username]) is not None
    rounds = list(db.query("SELECT label, standard, status FROM review_rounds ORDER BY year"))
    assert [(r["standard"], r["status"]) for r in rounds] == [
        ("vn-2022", "closed"),
        ("vn-2027", "open"),
    ]
    last, this = (r["label"] for r in rounds)
    households = dict(
        db.execute(
            "SELECT r.label, count(*) FROM households h JOIN review_rounds r ON r.id = h.round_id"
            " GROUP BY r.label"
        ).fetchall()
    )
    assert households[last] == 345 and households[this] > 345  # same households plus new ones
    per_commune = db.execute(
        "SELECT count(DISTINCT commune_code) FROM households h JOIN review_rounds r"
        " ON r.id = h.round_id WHERE r.label = ?",
        [this],
    ).fetchone()[0]
    assert per_commune >= 60  # survey_forms.synth weights communes by size


def test_last_year_is_recognised_and_this_year_partly_decided(built):
    path, _output = built
    db = connect(path)
    recognised = dict(
        db.execute(
            "SELECT r.label, count(*) FROM review_recognitions x JOIN review_rounds r"
            " ON r.id = x.round_id GROUP BY r.label"
        ).fetchall()
    )
    labels = [r for (r,) in db.execute("SELECT label FROM review_rounds ORDER BY year")]
    populated = db.execute(
        "SELECT count(DISTINCT commune_code) FROM households h JOIN review_rounds r"
        " ON r.id = h.round_id WHERE r.label = ?",
        [labels[0]],
    ).fetchone()[0]
    assert recognised[labels[0]] == populated  # every commune with households recognised
    assert 0 < recognised.get(labels[1], 0) < populated
    decided = db.execute(
        "SELECT count(DISTINCT commune_code), sum(decision = 'overridden') FROM review_decisions d"
        " JOIN review_rounds r ON r.id = d.round_id WHERE r.label = ?",
        [labels[1]],
    ).fetchone()
    assert 0 < decided[0] < 69 and decided[1] > 0
    overridden_with_reason = db.execute(
        "SELECT count(*) FROM review_decisions WHERE decision = 'overridden' AND reason IS NULL"
    ).fetchone()[0]
    assert overridden_with_reason == 0
    stored = db.execute("SELECT count(*) FROM province_aggregate_runs").fetchone()[0]
    assert stored == 2  # both rounds' aggregates are ready before the first page view


def test_demo_scores_match_the_scoring_path(built):
    """Stored like ingest stores: the official score row is classify's result for the record."""
    import json

    from server import scoring_adapter
    from server.packing import unpack_text
    from server.score_result import is_summary, unpack_summary

    path, _output = built
    db = connect(path)
    rows = db.execute(
        "SELECT unpacked(h.record), h.classification, r.standard, s.result, s.official,"
        " s.standard, s.provisional, sub.payload FROM households h"
        " JOIN review_rounds r ON r.id = h.round_id JOIN scores s ON s.round_id = h.round_id"
        " AND s.household_id = h.household_id AND s.household_version = h.version"
        " JOIN submissions sub ON sub.instance_id = h.submission_id"
        " ORDER BY h.household_id LIMIT 40"
    ).fetchall()
    assert len(rows) == 40
    for record, klass, standard, result, official, scored, provisional, payload in rows:
        score = scoring_adapter.classify(json.loads(record), standard)
        assert score["classification"] == klass
        assert is_summary(result)  # the explanation is recomputed on demand
        assert unpack_summary(result)["rule"] == score["rule"]
        # The submission is stored as the sync API stores a JSON item (packed, issue 16).
        assert json.loads(unpack_text(payload))["record"] == json.loads(record)
        assert official == 1 and scored == standard
        assert provisional == int(score["provisional"])
        assert scoring_adapter.load(json.loads(record))[1] == []


def test_demo_reuses_its_database_and_refuses_others(built, tmp_path):
    path, _output = built
    result = CliRunner().invoke(main, ["demo", "--no-serve", "--db", str(path)])
    assert result.exit_code == 0 and "using the demo database" in result.output
    other = tmp_path / "real.sqlite3"
    connect(other).execute("CREATE TABLE x (a)")
    for extra in ([], ["--rebuild"]):
        result = CliRunner().invoke(main, ["demo", "--no-serve", "--db", str(other), *extra])
        assert result.exit_code != 0 and "not built by `povcensus demo`" in result.output
    assert other.exists()


def test_demo_command_serves_on_loopback_then_stops(tmp_path):
    env = {**os.environ, "POVCENSUS_INSTANCE_PATH": str(tmp_path)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "povcensus",
            "demo",
            "--households",
            "138",
            "--port",
            "0",
            "--db",
            str(tmp_path / "demo.sqlite3"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=tmp_path,
        text=True,
    )
    try:
        lines = []
        for line in process.stdout:
            lines.append(line)
            if "serving on" in line:
                break
        url = lines[-1].strip().rsplit(" ", 1)[-1]
        assert url.startswith("http://127.0.0.1:"), lines
        assert any("tinh" in line and "demo-tinh" in line for line in lines)
        with urllib.request.urlopen(url + "/login", timeout=30) as response:
            assert response.status == 200
        opener = urllib.request.build_opener(_NoRedirect)
        with pytest.raises(urllib.error.HTTPError) as redirect:
            opener.open(url + "/province/", timeout=30)
        assert redirect.value.code == 302  # the dashboard needs a login
    finally:
        interrupt(process)
    assert process.returncode is not None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_port_in_use_is_a_friendly_error(built):
    import socket

    path, _output = built
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["demo", "--db", str(path), "--port", str(port)])
    assert result.exit_code == 1 and "try another --port" in result.output


def test_parallel_build_equals_serial_build(built, tmp_path, monkeypatch):
    """The process pool (used from 5,000 households) stores exactly what the serial path does."""
    import server.demo as demo_module

    serial_path, _output = built
    monkeypatch.setattr(demo_module, "PARALLEL_FROM", 0)
    parallel_path = tmp_path / "parallel.sqlite3"
    demo_module.build_demo(parallel_path, households=345, seed=demo_module.DEFAULT_SEED)
    queries = (
        "SELECT r.label, h.household_id, h.classification, unpacked(h.record) FROM households h"
        " JOIN review_rounds r ON r.id = h.round_id ORDER BY 1, 2",
        "SELECT r.label, s.household_id, s.classification, s.result FROM scores s"
        " JOIN review_rounds r ON r.id = s.round_id ORDER BY 1, 2",
        "SELECT r.label, a.commune_code, a.data FROM province_aggregates a"
        " JOIN review_rounds r ON r.id = a.round_id ORDER BY 1, 2",
    )
    serial, parallel = connect(serial_path), connect(parallel_path)
    for sql in queries:
        assert serial.execute(sql).fetchall() == parallel.execute(sql).fetchall(), sql


def test_first_run_serves_a_quick_demo_and_owes_the_full_census(tmp_path, monkeypatch):
    """`demo` builds QUICK_HOUSEHOLDS first, starts serving, and hands the full census to a
    background build; the marker keeps the debt until the full demo is swapped in."""
    import server.demo as demo_module

    started: list[tuple] = []
    monkeypatch.setattr(demo_module, "QUICK_HOUSEHOLDS", 150)
    monkeypatch.setattr(demo_module, "_serve", lambda database, host, port, builder: None)
    monkeypatch.setattr(
        demo_module, "_start_full_build", lambda *args: started.append(args) or None
    )
    path = tmp_path / "demo.sqlite3"
    result = CliRunner().invoke(main, ["demo", "--households", "300", "--db", str(path)])
    assert result.exit_code == 0, result.output
    for stage in demo_module.STAGES.values():  # one progress bar per stage
        assert stage in result.output
    db = connect(path)
    counts = [n for (n,) in db.execute("SELECT count(*) FROM households GROUP BY round_id")]
    assert counts[0] == 150  # last year's round: the quick census
    assert started == [(path, 300, demo_module.DEFAULT_SEED)]
    assert (tmp_path / "demo.sqlite3.full-pending").read_text() == f"300 {demo_module.DEFAULT_SEED}"
    # stopped before the full build finished: the next start owes it again
    started.clear()
    assert CliRunner().invoke(main, ["demo", "--db", str(path)]).exit_code == 0
    assert started == [(path, 300, demo_module.DEFAULT_SEED)]


def test_the_full_census_is_swapped_in_under_a_reading_connection(tmp_path):
    """The background build copies the full demo into the served file with SQLite's backup
    API: a connection open all along (the server's) sees the whole new demo, then no marker."""
    from server.demo import finish_full_build

    path = tmp_path / "demo.sqlite3"
    assert (
        CliRunner()
        .invoke(main, ["demo", "--households", "120", "--no-serve", "--db", str(path)])
        .exit_code
        == 0
    )
    (tmp_path / "demo.sqlite3.full-pending").write_text("260 7")
    reader = connect(path)
    count = "SELECT count(*) FROM households h JOIN review_rounds r ON r.id = h.round_id" \
        " WHERE r.status = 'closed'"  # fmt: skip
    assert reader.execute(count).fetchone()[0] == 120
    finish_full_build(path, 260, 7)
    assert reader.execute(count).fetchone()[0] == 260
    assert reader.execute("SELECT households, seed FROM province_demo").fetchone() == (260, 7)
    assert not (tmp_path / "demo.sqlite3.full-pending").exists()
    assert not list(tmp_path.glob("*.full-building*"))
