"""File modes (issue 9, finding 6): the database, its -wal and -shm, the secret and exports
are 0600 in a 0700 instance folder — whatever the umask, and also for files made earlier."""

from __future__ import annotations

import os
import stat

import pytest


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def open_umask():
    previous = os.umask(0o022)  # the usual umask: files 0644, folders 0755
    yield
    os.umask(previous)


def test_a_new_instance_is_private(tmp_path, open_umask):
    from server import create_app
    from server.db import open_app_db
    from server.queries.users import create_user

    instance = tmp_path / "instance"
    app = create_app({"WTF_CSRF_ENABLED": False}, instance_path=str(instance))
    db = open_app_db(app)
    create_user(db, "tinh", role="province")  # a write: -wal and -shm exist now
    database = app.config["DATABASE"]
    assert os.path.exists(database + "-wal") and os.path.exists(database + "-shm")
    assert mode(instance) == 0o700
    for path in (database, database + "-wal", database + "-shm", instance / "secret_key"):
        assert mode(path) == 0o600, path
    db.conn.close()
    assert os.umask(0o022) == 0o022  # the process's umask is restored


def test_files_made_readable_earlier_are_tightened(tmp_path, open_umask):
    import sqlite3

    from server import create_app

    instance = tmp_path / "old"
    instance.mkdir(mode=0o755)
    database = instance / "povcensus.sqlite3"
    sqlite3.connect(database).close()
    os.chmod(database, 0o644)
    create_app({"DATABASE": str(database)}, instance_path=str(instance))
    assert mode(instance) == 0o700 and mode(database) == 0o600


def test_the_live_servers_files_are_private(live_server):
    live_server.enumerator()  # the helper and the server both write
    database = str(live_server.database)
    for path in (database, database + "-wal", database + "-shm"):
        assert mode(path) == 0o600, path
    assert mode(live_server.directory) == 0o700


def test_an_exported_report_is_private(tmp_path, open_umask, monkeypatch):
    from click.testing import CliRunner

    from povcensus.cli import main
    from server import create_app
    from server.db import open_app_db
    from server.queries.rounds import open_round

    monkeypatch.setenv("POVCENSUS_INSTANCE_PATH", str(tmp_path))
    database = tmp_path / "r.sqlite3"
    app = create_app({"DATABASE": str(database)}, instance_path=str(tmp_path))
    db = open_app_db(app)
    open_round(db, year=2026, standard="vn-2022", kind="annual", province="42")
    db.conn.close()
    output = tmp_path / "ket-qua.xlsx"
    output.write_bytes(b"old")
    os.chmod(output, 0o644)
    result = CliRunner().invoke(
        main, ["report", "--round", "2026-annual", "-o", str(output), "--db", str(database)]
    )
    assert result.exit_code == 0, result.output
    assert mode(output) == 0o600 and output.read_bytes()[:2] == b"PK"
