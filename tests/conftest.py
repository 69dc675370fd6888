"""Shared fixtures: an app on a temporary database, its test client, and a real server.

- `app`, `client`: `server.create_app` over a fresh SQLite file (CSRF off for form posts).
- `make_user(username, role=..., communes=..., password=...)`, `make_token(username)`:
  create accounts in that app's database.
- `live_server`: the real `povcensus serve` (waitress) in a subprocess on a free loopback port,
  over its own temporary database, with an open annual round (standard `vn-2022`) — shared by
  the whole session; `live_server.user(...)`, `.token(...)`, `.url`, `.db()`.
- `household(...)`: a valid household record (the documented example) with fields replaced.
"""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_HOUSEHOLD = REPO / "survey_forms" / "examples" / "household.json"
TEST_STANDARD = "vn-2022"


def example_household(**changes) -> dict:
    """The documented example household with top-level fields replaced."""
    record = json.loads(EXAMPLE_HOUSEHOLD.read_text("utf-8"))
    record.pop("round", None)
    record.update(copy.deepcopy(changes))
    return record


def new_household_id(commune: str = "18496") -> str:
    return f"{commune}-t{uuid.uuid4().hex[:6]}-{uuid.uuid4().int % 10000:04d}"


def json_submission(record: dict, user, **changes):
    """A JSON-batch `server.ingest.Submission` of `record` from `user`, as the API builds it."""
    import hashlib

    from server.ingest import Submission

    payload = json.dumps(record, sort_keys=True)
    return Submission(
        **{
            "instance_id": f"uuid:{uuid.uuid4()}",
            "form_id": record["form_id"],
            "form_version": record["form_version"],
            "record": record,
            "payload": payload,
            "sha256": hashlib.sha256(payload.encode()).hexdigest(),
            "format": "json",
            "user": user,
            **changes,
        }
    )


def ingest_accepted(db, user, record: dict):
    """Ingest `record` as `user` (province 42) and insist that it is accepted; the Outcome."""
    from server.ingest import ingest

    outcome = ingest(db, json_submission(record, user), province="42")
    assert outcome.outcome == "accepted", outcome.to_result()
    return outcome


@pytest.fixture
def household():
    """Factory: a valid record for a new household id (commune 18496 unless given)."""

    def make(commune: str = "18496", **changes) -> dict:
        return example_household(
            household_id=changes.pop("household_id", new_household_id(commune)),
            commune_code=commune,
            **changes,
        )

    return make


def _test_config(database: Path) -> dict:
    return {"DATABASE": str(database), "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False}


@pytest.fixture
def app(tmp_path):
    from server import create_app
    from server.db import forget_thread_connections

    yield create_app(_test_config(tmp_path / "test.sqlite3"), instance_path=str(tmp_path))
    forget_thread_connections()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    from server.db import open_app_db

    database = open_app_db(app)
    yield database
    database.conn.close()


@pytest.fixture
def make_user(db):
    from server.queries.users import create_user

    def make(username: str, *, role: str = "enumerator", communes=("18496",), password="pw"):
        return create_user(db, username, role=role, communes=list(communes), password=password)

    return make


@pytest.fixture
def make_token(db):
    from server.queries.users import issue_token

    def make(username: str, device: str = "tablet") -> str:
        return issue_token(db, username, device)[1]

    return make


@pytest.fixture
def open_round(db, app):
    from server.queries.rounds import open_round as open_review_round

    def make(year: int = 2026, standard: str = TEST_STANDARD, kind: str = "annual") -> dict:
        return open_review_round(
            db, year=year, standard=standard, kind=kind, province=app.config["PROVINCE"]
        )

    return make


class LiveServer:
    """`povcensus serve` in a subprocess; restartable (same database) after `kill()`."""

    def __init__(
        self, directory: Path, extra_env: dict[str, str] | None = None, workers: int = 1
    ) -> None:
        self.directory = directory
        self.workers = workers
        self.database = directory / "live.sqlite3"
        self.extra_env = extra_env or {}
        self.process: subprocess.Popen | None = None
        self.url = ""
        self._helper_db = None

    def start(self) -> LiveServer:
        env = {**os.environ, "POVCENSUS_INSTANCE_PATH": str(self.directory)}
        env.update({"POVCENSUS_SECRET_KEY": "test-secret", **self.extra_env})
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "povcensus",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--threads",
                "8",
                "--workers",
                str(self.workers),
                "--db",
                str(self.database),
            ],
            stdout=subprocess.PIPE,
            stderr=(self.directory / "server.log").open("ab"),
            env=env,
            cwd=self.directory,
        )
        line = self.process.stdout.readline().decode()
        if "serving on" not in line:
            self.process.kill()
            log = (self.directory / "server.log").read_text(errors="replace")
            raise RuntimeError(f"server did not start: {line!r}\n{log[-3000:]}")
        self.url = line.strip().rsplit(" ", 1)[-1]
        return self

    def kill(self) -> None:
        """kill -9: no shutdown handler runs."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        if self._helper_db is not None:
            self._helper_db.conn.close()
            self._helper_db = None

    def db(self):
        """A connection to the server's database (WAL: safe beside the running server)."""
        if self._helper_db is None:
            from server.db import connect

            self._helper_db = connect(self.database)
        return self._helper_db

    def user(
        self,
        username: str | None = None,
        *,
        role="enumerator",
        communes=("18496",),
        password: str | None = "pw",
    ):
        from server.queries.users import create_user

        username = username or f"u-{uuid.uuid4().hex[:8]}"
        return create_user(
            self.db(), username, role=role, communes=list(communes), password=password
        )

    def token(self, username: str, device: str = "tablet") -> str:
        from server.queries.users import issue_token

        return issue_token(self.db(), username, device)[1]

    def enumerator(self, communes=("18496",)) -> tuple[str, str]:
        """A new enumerator and a device token: (username, token)."""
        user = self.user(communes=communes)
        return user.username, self.token(user.username)

    def open_round(self, year: int = 2026, standard: str = TEST_STANDARD, kind="annual"):
        from server.queries.rounds import open_round

        return open_round(self.db(), year=year, standard=standard, kind=kind, province="42")


def start_live_server(directory: Path, *, workers: int = 1, **extra_env: str) -> LiveServer:
    """Migrate the database in-process first (so helpers can create users), then serve."""
    from server import create_app

    create_app(_test_config(directory / "live.sqlite3"), instance_path=str(directory))
    return LiveServer(directory, extra_env, workers).start()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    server = start_live_server(tmp_path_factory.mktemp("live"))
    server.open_round()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    """One headless Debian Chromium per test module (tests/browser_support.py says how)."""
    from browser_support import ARGS, CHROMIUM
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()
