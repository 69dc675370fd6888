"""The app factory, database module, web login and the server's CLI commands (in-process)."""

from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner

from server import ConfigError, create_app
from server.db import all_migrations, applied_migrations, open_app_db, upgrade


def test_unknown_setting_stops_start_up(tmp_path):
    with pytest.raises(ConfigError, match="DATABSE"):
        create_app({"DATABSE": "typo.db"}, instance_path=str(tmp_path))
    (tmp_path / "config.toml").write_text('province = "42"\nmax_json_byte = 5\n')
    with pytest.raises(ConfigError, match="MAX_JSON_BYTE"):
        create_app(instance_path=str(tmp_path))


def test_settings_from_file_then_environment(tmp_path, monkeypatch):
    (tmp_path / "config.toml").write_text("pull_limit = 7\nmax_json_bytes = 1000\n")
    monkeypatch.setenv("POVCENSUS_PULL_LIMIT", "9")
    monkeypatch.setenv("POVCENSUS_TOKEN", "belongs-to-the-sync-client")  # ignored, not fatal
    app = create_app({"DATABASE": str(tmp_path / "x.db")}, instance_path=str(tmp_path))
    assert app.config["PULL_LIMIT"] == 9 and app.config["MAX_JSON_BYTES"] == 1000
    assert (tmp_path / "secret_key").exists() and app.config["SECRET_KEY"]


def test_database_is_wal_migrated_once_and_submissions_append_only(app, db):
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert applied_migrations(db)[0] == "m001_initial"
    assert applied_migrations(db) == [name for name, _ in all_migrations()]
    assert upgrade(db) == []  # nothing pending on a second run
    assert db.execute("SELECT count(*) FROM communes WHERE province_code = '42'").fetchone()[0] > 50
    db.execute(
        "INSERT INTO review_rounds (label, province_code, year, kind, standard, opened_at)"
        " VALUES ('r', '42', 2026, 'annual', 'vn-2022', 'now')"
    )
    db.execute(
        "INSERT INTO submissions (form_id, instance_id, form_version, format, payload,"
        " sha256, household_id, round_id, received_at) VALUES"
        " ('f', 'i', 'v', 'json', '{}', 'h', 'hh', 1, 'now')"
    )
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE submissions SET payload = 'x'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM submissions")
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        db.execute(
            "INSERT INTO submissions (form_id, instance_id, form_version, format, payload,"
            " sha256, household_id, round_id, received_at) VALUES"
            " ('f', 'i', 'v', 'json', '{}', 'h2', 'hh', 1, 'now')"
        )


def test_one_open_annual_round_per_province(open_round):
    from server.queries.rounds import RoundError

    assert open_round(2026)["label"] == "2026-annual"
    with pytest.raises(RoundError, match="already has an open annual round"):
        open_round(2027)
    assert open_round(2026, kind="rolling")["status"] == "open"


def test_login_logout_and_role_checks(app, client, make_user):
    from flask import Blueprint

    from server.auth import commune_scope, role_required

    make_user("xa-18496", role="commune", communes=["18496"], password="mật-khẩu")
    probe = Blueprint("probe", __name__)

    @probe.get("/probe/province")
    @role_required("province")
    def province_only():
        return "ok"

    @probe.get("/probe/scope")
    @role_required("commune", "province")
    def scope():
        return ",".join(commune_scope())

    app.register_blueprint(probe)
    assert client.get("/probe/scope").status_code == 302  # to the login page
    bad = client.post("/login", data={"username": "xa-18496", "password": "sai"})
    assert "Sai tên đăng nhập" in bad.get_data(as_text=True)
    good = client.post(
        "/login?next=/probe/scope", data={"username": "xa-18496", "password": "mật-khẩu"}
    )
    assert good.headers["Location"] == "/probe/scope"
    assert client.get("/probe/scope").get_data(as_text=True) == "18496"
    assert client.get("/probe/province").status_code == 403
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="vi"' in page and "Đăng xuất" in page
    client.post("/logout")
    assert client.get("/probe/scope").status_code == 302


def test_login_form_requires_csrf_token(tmp_path, make_user):
    app = create_app(
        {"DATABASE": str(tmp_path / "c.db"), "SECRET_KEY": "k"}, instance_path=str(tmp_path)
    )
    db = open_app_db(app)
    from server.queries.users import create_user

    create_user(db, "p", role="province", password="pw")
    answer = app.test_client().post("/login", data={"username": "p", "password": "pw"})
    assert answer.status_code == 400  # CSRF token missing


def test_login_redirect_stays_on_site(client, make_user):
    make_user("t", role="province", communes=(), password="pw")
    answer = client.post("/login?next=//evil.example/x", data={"username": "t", "password": "pw"})
    assert answer.headers["Location"] == "/"


def run(db_path, *args, input=None):
    from povcensus.cli import main

    result = CliRunner().invoke(
        main, [*args, "--db", str(db_path)], input=input, catch_exceptions=False
    )
    return result


def test_cli_users_tokens_rounds(tmp_path, monkeypatch):
    monkeypatch.setenv("POVCENSUS_INSTANCE_PATH", str(tmp_path))
    database = tmp_path / "cli.db"
    out = run(database, "users", "add", "rsv-1", "--role", "enumerator", "--commune", "18496")
    assert out.exit_code == 0 and "18496" in out.output
    out = run(database, "users", "add", "rsv-2", "--role", "enumerator", "--commune", "99999")
    assert out.exit_code == 1 and "unknown commune code '99999'" in out.output
    out = run(
        database,
        "users",
        "add",
        "tinh",
        "--role",
        "province",
        input="rasoat-ho-ngheo\nrasoat-ho-ngheo\n",
    )
    assert out.exit_code == 0
    listed = [
        json.loads(line) for line in run(database, "users", "list", "--json").stdout.splitlines()
    ]
    assert [(u["username"], u["role"]) for u in listed] == [
        ("rsv-1", "enumerator"),
        ("tinh", "province"),
    ]
    issued = run(database, "tokens", "issue", "rsv-1", "--device", "tablet-07").output
    token = issued.strip().splitlines()[-1]
    db = open_app_db(create_app({"DATABASE": str(database)}))
    from server.queries.users import user_for_token

    assert user_for_token(db, token).username == "rsv-1"
    assert token not in json.dumps(list(db.query("SELECT * FROM devices")))  # only the hash
    device = user_for_token(db, token).device_id
    assert run(database, "tokens", "revoke", str(device)).exit_code == 0
    assert user_for_token(db, token) is None
    assert run(database, "users", "disable", "tinh").exit_code == 0
    assert "disabled" in run(database, "users", "list").output
    out = run(database, "rounds", "open", "--year", "2026", "--standard", "vn-2027")
    assert out.exit_code == 0 and "2026-annual" in out.output
    out = run(database, "rounds", "open", "--year", "2027", "--standard", "vn-2027")
    assert out.exit_code == 1 and "already has an open annual round" in out.output
    out = run(
        database, "rounds", "open", "--year", "2028", "--standard", "vn-1999", "--kind", "rolling"
    )
    assert out.exit_code == 1 and "unknown standard" in out.output
    assert "m001_initial" in run(database, "db", "upgrade").output
    typo = str(tmp_path / "typo" / "povcensus.sqlite3")
    out = run(typo, "db", "upgrade")  # a mistyped path is an error, not a new database
    assert out.exit_code == 1 and "no database at" in out.output
    assert not (tmp_path / "typo").exists()
    actions = [r[0] for r in db.execute("SELECT action FROM audit_log ORDER BY id")]
    assert actions[:3] == ["user_add", "user_add", "token_issue"]


def test_rescore_adds_simulated_scores_beside_official(tmp_path, monkeypatch, household):
    from server.ingest import Submission, ingest
    from server.queries.rounds import open_round
    from server.queries.scores import score_counts
    from server.queries.users import create_user, get_user

    monkeypatch.setenv("POVCENSUS_INSTANCE_PATH", str(tmp_path))
    database = tmp_path / "r.db"
    db = open_app_db(create_app({"DATABASE": str(database)}))
    open_round(db, year=2026, standard="vn-2027", province="42")
    create_user(db, "p", role="province")
    for n in range(3):
        record = household()
        sub = Submission(
            f"id-{n}",
            "povcensus_household",
            "2026.1",
            record,
            "{}",
            f"h{n}",
            "json",
            get_user(db, "p"),
        )
        assert ingest(db, sub, province="42").outcome == "accepted"
    payloads_before = list(db.query("SELECT * FROM submissions"))
    out = run(database, "rescore", "--round", "2026-annual", "--standard", "vn-2022")
    assert out.exit_code == 0, out.output
    counts = score_counts(db, "2026-annual")
    official = {(c["standard"], c["official"]) for c in counts}
    assert official == {("vn-2027", 1), ("vn-2022", 0)}
    assert sum(c["households"] for c in counts if c["standard"] == "vn-2022") == 3
    assert list(db.query("SELECT * FROM submissions")) == payloads_before
    out = run(database, "rescore", "--round", "2026-annual", "--standard", "vn-2027")
    assert out.exit_code == 1 and "official standard" in out.output


def test_openapi_document_describes_the_api(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert {"/submissions/batch", "/sync/pull", "/households/{household_id}", "/me"} <= set(
        doc["paths"]
    )
    assert "Item" in doc["components"]["schemas"]


def test_every_setting_and_command_is_documented():
    from pathlib import Path

    from server import DEFAULTS
    from server.cli import db, rounds, tokens, users

    text = (Path(__file__).resolve().parents[1] / "docs" / "server.md").read_text("utf-8")
    assert [name for name in DEFAULTS if f"`{name}`" not in text] == []
    for group in (db, users, tokens, rounds):
        for command in group.commands:
            assert f"{group.name} {command}" in text.replace("`", ""), (group.name, command)
    for command in ("serve", "rescore"):
        assert f"povcensus {command}" in text


@pytest.mark.parametrize(
    "item",
    [
        {"id": "a", "household_id": "h", "form_id": "f", "form_version": "v", "record": {}},
        {
            "id": "a",
            "household_id": "h",
            "form_id": "f",
            "form_version": "v",
            "base": "b",
            "record": {"x": 1},
            "extra": True,
        },
        {
            "id": "a",
            "household_id": "h",
            "form_id": "f",
            "form_version": "v",
            "base": None,
            "record": {},
        },
    ],
)
def test_plain_item_fast_path_loads_like_the_schema(item):
    from server.api import _plain_item
    from server.schemas import ItemSchema

    assert _plain_item(item) == ItemSchema().load(item)


@pytest.mark.parametrize(
    "item",
    [
        {"id": "", "household_id": "h", "form_id": "f", "form_version": "v", "record": {}},
        {"id": "a" * 129, "household_id": "h", "form_id": "f", "form_version": "v", "record": {}},
        {"id": 5, "household_id": "h", "form_id": "f", "form_version": "v", "record": {}},
        {"id": "a", "household_id": "h", "form_id": "f", "form_version": "v", "record": []},
        {
            "id": "a",
            "household_id": "h",
            "form_id": "f",
            "form_version": "v",
            "base": 3,
            "record": {},
        },
        {"id": "a", "form_id": "f", "form_version": "v", "record": {}},
    ],
)
def test_items_the_fast_path_refuses_are_invalid_for_the_schema(item):
    from marshmallow import ValidationError

    from server.api import _plain_item
    from server.schemas import ItemSchema

    assert _plain_item(item) is None
    with pytest.raises(ValidationError):
        ItemSchema().load(item)


def test_round_comes_from_the_server(db, make_user, open_round, household):
    from server.ingest import Submission, ingest
    from server.queries.rounds import close_round

    user = make_user("rsv", communes=["18496"])

    def submit(record, n):
        sub = Submission(
            f"id-{n}", "povcensus_household", "2026.1", record, "{}", f"h{n}", "json", user
        )
        return ingest(db, sub, province="42")

    assert submit(household(), 0).errors[0]["code"] == "no_open_round"
    open_round(2025)
    close_round(db, "2025-annual")
    open_round(2026)
    rolling = open_round(2026, kind="rolling")
    stale = household(round="2025-annual")  # last year's label, from an assignment
    assert submit(stale, 1).outcome == "accepted"
    assert (
        db.execute(
            "SELECT r.label FROM households h JOIN review_rounds r ON r.id = h.round_id"
            " WHERE household_id = ?",
            [stale["household_id"]],
        ).fetchone()[0]
        == "2026-annual"
    )
    named = household(round=rolling["label"])
    assert submit(named, 2).outcome == "accepted"
    assert (
        db.execute(
            "SELECT round_id FROM households WHERE household_id = ?", [named["household_id"]]
        ).fetchone()[0]
        == rolling["id"]
    )
