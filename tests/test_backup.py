"""`povcensus backup` / `restore` for real: a backup taken while households stream in and the
server is killed (-9) restores to a database that passes integrity_check, holds exactly the
submissions the backup reported, and serves."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import requests
from conftest import LiveServer, start_live_server

from server.backup import inspect_database

REPO = Path(__file__).resolve().parents[1]


def povcensus(*args, instance: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("POVCENSUS_")}
    environment.update(PYTHONPATH=str(REPO), POVCENSUS_INSTANCE_PATH=str(instance), **env)
    return subprocess.run(
        [sys.executable, "-m", "povcensus", *map(str, args)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def item(record: dict) -> dict:
    return {"id": str(uuid.uuid4()), "household_id": record["household_id"],
            "form_id": "povcensus_household", "form_version": "2026.1", "base": None,
            "record": record}  # fmt: skip


def push(url: str, token: str, records: list[dict]) -> requests.Response:
    return requests.post(
        url + "/api/v1/submissions/batch",
        json={"items": [item(r) for r in records]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def keys(path: Path) -> set[tuple[str, str, str]]:
    conn = sqlite3.connect(path)
    try:
        return set(conn.execute("SELECT form_id, instance_id, sha256 FROM submissions"))
    finally:
        conn.close()


def test_backup_under_load_and_kill9_restores_an_identical_serving_database(tmp_path, household):
    live = start_live_server(tmp_path / "a")
    live.open_round()
    _, token = live.enumerator(communes=("18496",))
    for _ in range(10):  # some data before the load starts
        assert push(live.url, token, [household() for _ in range(20)]).status_code == 200

    stop = threading.Event()
    pushed = []

    def ingest() -> None:
        while not stop.is_set():
            try:
                answer = push(live.url, token, [household() for _ in range(5)])
            except requests.RequestException:
                return  # the server was killed
            pushed.append(answer.status_code)

    writers = [threading.Thread(target=ingest) for _ in range(3)]
    for writer in writers:
        writer.start()
    time.sleep(0.5)
    backup_file = tmp_path / "backups" / "under-load.sqlite3.gz"
    backup_file.parent.mkdir(mode=0o700)
    running = subprocess.Popen(
        [sys.executable, "-m", "povcensus", "backup", "-o", str(backup_file),
         "--db", str(live.database)],
        env={**{k: v for k, v in os.environ.items() if not k.startswith("POVCENSUS_")},
             "PYTHONPATH": str(REPO), "POVCENSUS_INSTANCE_PATH": str(live.directory)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    announced = running.stderr.readline()  # printed once the app is up, just before the copy
    assert "data folder" in announced, announced
    live.kill()  # the server dies as the copy starts: kill -9, no shutdown handler
    out, err = running.communicate(timeout=120)
    stop.set()
    for writer in writers:
        writer.join(30)
    assert running.returncode == 0, err
    assert len(pushed) > 3 and set(pushed) == {200}  # ingest really ran during the backup
    report = json.loads(out)
    assert report["integrity"] == "ok" and report["file"] == str(backup_file)
    assert stat.S_IMODE(backup_file.stat().st_mode) == 0o600
    # the backup is one consistent snapshot: everything in it is in the killed server's database
    original = keys(live.database)
    assert report["submissions"] >= 200 and len(original) >= report["submissions"]

    restored_dir = tmp_path / "b"
    restored_dir.mkdir()
    done = povcensus("restore", backup_file, "--db", restored_dir / "live.sqlite3",
                     instance=restored_dir)  # fmt: skip
    assert done.returncode == 0, done.stderr
    restored = restored_dir / "live.sqlite3"
    snapshot = inspect_database(restored)
    assert snapshot.integrity == "ok"
    assert snapshot.submissions == report["submissions"]
    assert snapshot.households == report["households"]
    assert snapshot.submissions_sha256 == report["submissions_sha256"]
    assert keys(restored) <= original
    conn = sqlite3.connect(restored)
    orphans = conn.execute(
        "SELECT count(*) FROM households h WHERE NOT EXISTS"
        " (SELECT 1 FROM submissions s WHERE s.instance_id = h.submission_id)"
    ).fetchone()[0]
    conn.close()
    assert orphans == 0  # no household without the submission it came from

    served = LiveServer(restored_dir).start()  # the restored database serves
    try:
        me = requests.get(
            served.url + "/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        assert me.status_code == 200, me.text
        answer = push(served.url, token, [household()])
        assert answer.json()["results"][0]["outcome"] == "accepted"
    finally:
        served.stop()

    # the restored server took one more household: restoring the backup over it is refused
    # without --force (it is newer), done with --force, and the replaced database kept aside
    refused = povcensus("restore", backup_file, "--db", restored, instance=restored_dir)
    assert refused.returncode == 1 and "1 submission(s) the backup lacks" in refused.stderr
    forced = povcensus("restore", backup_file, "--db", restored, "--force", instance=restored_dir)
    assert forced.returncode == 0, forced.stderr
    kept = Path(json.loads(forced.stdout)["replaced"])
    assert len(keys(kept)) == report["submissions"] + 1
    assert inspect_database(restored).submissions_sha256 == report["submissions_sha256"]
    live.stop()


def test_timed_backups_are_private_verified_and_pruned(tmp_path):
    home = tmp_path / "home"
    assert povcensus("rounds", "open", "--year", "2026", "--standard", "vn-2022",
                     instance=home).returncode == 0  # fmt: skip
    files = []
    for _ in range(3):
        done = povcensus("backup", instance=home, POVCENSUS_BACKUP_KEEP="2")
        assert done.returncode == 0, done.stderr
        assert f"data folder {home}" in done.stderr
        files.append(Path(json.loads(done.stdout)["file"]))
    folder = home / "backups"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    left = sorted(p.name for p in folder.iterdir())
    assert left == sorted([files[1].name, files[1].name + ".json",
                           files[2].name, files[2].name + ".json"])  # fmt: skip
    assert all(stat.S_IMODE((folder / name).stat().st_mode) == 0o600 for name in left)
    assert files[1].name.startswith("povcensus-2") and files[1].name.endswith("Z.sqlite3.gz")
    with gzip.open(files[2]) as plain:
        assert plain.read(16) == b"SQLite format 3\0"


def test_restore_refuses_a_backup_of_a_newer_schema(tmp_path):
    home = tmp_path / "home"
    missing = povcensus("backup", "-o", tmp_path / "b.sqlite3.gz", instance=home)
    assert missing.returncode == 1 and "no database at" in missing.stderr  # none created
    assert povcensus("info", instance=home).returncode == 0  # creates the database
    done = povcensus("backup", "-o", tmp_path / "b.sqlite3.gz", instance=home)
    assert done.returncode == 0, done.stderr
    plain = tmp_path / "future.sqlite3"
    with gzip.open(tmp_path / "b.sqlite3.gz") as source, plain.open("wb") as out:
        shutil.copyfileobj(source, out)
    conn = sqlite3.connect(plain)
    conn.execute("INSERT INTO schema_version VALUES ('m099_from_the_future', '2030-01-01')")
    conn.commit()
    conn.close()
    with plain.open("rb") as source, gzip.open(tmp_path / "future.sqlite3.gz", "wb") as out:
        shutil.copyfileobj(source, out)
    refused = povcensus("restore", tmp_path / "future.sqlite3.gz", instance=home)
    assert refused.returncode == 1 and "newer schema" in refused.stderr
    assert "m099_from_the_future" in refused.stderr


def test_commands_and_settings_are_documented():
    from server.backup import backup_command, restore_command
    from server.cli import duplicates, info

    text = (REPO / "docs" / "server.md").read_text("utf-8")
    for command in (backup_command, restore_command, info, duplicates):
        assert f"povcensus {command.name}" in text
        for param in command.params:
            names = [n for n in param.opts if n.startswith("-")] or [param.metavar]
            assert any(n in text for n in names), (command.name, param.opts)
    for setting in ("BACKUP_DIR", "BACKUP_KEEP", "SPECIAL_ZONE_AREA"):
        assert f"`{setting}`" in text
    assert "`$POVCENSUS_HOME`" in text


def test_restore_replaces_a_damaged_database_only_with_force(tmp_path):
    home = tmp_path / "home"
    assert povcensus("rounds", "open", "--year", "2026", "--standard", "vn-2022",
                     instance=home).returncode == 0  # fmt: skip
    done = povcensus("backup", "-o", tmp_path / "b.sqlite3.gz", instance=home)
    assert done.returncode == 0, done.stderr
    database = home / "povcensus.sqlite3"
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    database.write_bytes(b"this is not a database" * 100)  # a damaged file
    refused = povcensus("restore", tmp_path / "b.sqlite3.gz", instance=home)
    assert refused.returncode == 1 and "cannot read" in refused.stderr
    forced = povcensus("restore", tmp_path / "b.sqlite3.gz", "--force", instance=home)
    assert forced.returncode == 0, forced.stderr
    info = json.loads(povcensus("info", "--json", instance=home).stdout)
    assert [r["label"] for r in info["rounds"]] == ["2026-annual"]


def _small_database(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x BLOB)")
    conn.executemany("INSERT INTO t VALUES (?)", [(os.urandom(4000),) for _ in range(300)])
    conn.commit()
    conn.close()


def test_the_archive_is_compressed_in_blocks_that_read_as_one_gzip_file(tmp_path, monkeypatch):
    """Issue 16: blocks are compressed on every core, each a gzip member; gzip itself (and
    Python's gzip, which restore uses) reads the members as the one database file."""
    import server.backup as backup_module

    database = tmp_path / "db.sqlite3"
    _small_database(database)
    monkeypatch.setattr(backup_module, "_BLOCK", 64 * 1024)  # ≈ 20 members for 1.3 MB
    archive = tmp_path / "out.sqlite3.gz"
    report = backup_module.backup(database, folder=tmp_path, output=archive)
    assert report["integrity"] == "ok"
    members = archive.read_bytes().count(b"\x1f\x8b\x08")
    assert members >= 10
    unpacked = subprocess.run(["gzip", "-dc", str(archive)], capture_output=True, check=True)
    with gzip.open(archive) as plain:
        assert plain.read() == unpacked.stdout
    copy = tmp_path / "copy.sqlite3"
    copy.write_bytes(unpacked.stdout)
    assert inspect_database(copy).integrity == "ok"
    rows = [sqlite3.connect(p).execute("SELECT x FROM t").fetchall() for p in (database, copy)]
    assert rows[0] == rows[1] and len(rows[0]) == 300


def test_a_copy_that_fails_its_check_leaves_no_archive(tmp_path, monkeypatch):
    """The check runs while the copy is compressed: when it fails, the archive goes too."""
    import dataclasses

    import pytest

    import server.backup as backup_module

    database = tmp_path / "db.sqlite3"
    _small_database(database)
    real = backup_module.inspect_database

    def damaged(path):
        return dataclasses.replace(real(path), integrity="*** in database main *** Page 2: bad")

    monkeypatch.setattr(backup_module, "inspect_database", damaged)
    archive = tmp_path / "out.sqlite3.gz"
    with pytest.raises(backup_module.BackupError, match="integrity_check"):
        backup_module.backup(database, folder=tmp_path, output=archive)
    assert not archive.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["db.sqlite3"]
