"""Sign-in and sessions (issue 9, findings 4 and 7): throttling with 429 + Retry-After, a cap on
concurrent password hashes, a password policy, passwords never required on the command line,
server-side session revocation, the cookie's flags and lifetime, and safe redirects."""

from __future__ import annotations

import threading
import time

import pytest
from click.testing import CliRunner

PASSWORD = "rasoat-ho-ngheo-42"
PROBE = "/review/"  # any page that needs a signed-in user


@pytest.fixture
def make_app(tmp_path):
    from server import create_app
    from server.db import forget_thread_connections

    def make(**settings):
        config = {
            "DATABASE": str(tmp_path / "s.sqlite3"),
            "SECRET_KEY": "test-secret",
            "WTF_CSRF_ENABLED": False,
            **settings,
        }
        return create_app(config, instance_path=str(tmp_path))

    yield make
    forget_thread_connections()


def add_user(app, username: str, role: str = "province", password: str = PASSWORD):
    from server.db import open_app_db
    from server.queries.users import create_user

    db = open_app_db(app)
    try:
        return create_user(db, username, role=role, password=password)
    finally:
        db.conn.close()


def login(client, username: str, password: str = PASSWORD, **kwargs):
    return client.post("/login", data={"username": username, "password": password}, **kwargs)


# --- throttling ---------------------------------------------------------------------------


def test_failed_sign_ins_of_one_account_are_throttled_with_429(make_app):
    app = make_app(LOGIN_LIMIT_PER_ACCOUNT="3 per minute")
    add_user(app, "tinh")
    client = app.test_client()
    statuses = []
    for _ in range(10):  # bounded: the limit is 3
        answer = login(client, "tinh", "sai-mat-khau")
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            break
    assert statuses == [200, 200, 200, 429]
    assert int(answer.headers["Retry-After"]) > 0
    page = answer.get_data(as_text=True)
    assert "Đăng nhập sai quá nhiều lần" in page and "Too many failed sign-ins" in page
    assert login(client, "tinh").status_code == 429  # the right password too, for now
    from server.db import open_app_db

    audit_db = open_app_db(app)
    logged = audit_db.execute(
        "SELECT count(*) FROM audit_log WHERE action = 'login_throttled' AND target = 'tinh'"
    ).fetchone()[0]
    audit_db.conn.close()
    assert logged == 2
    add_user(app, "khac")
    assert login(client, "khac").status_code == 302  # another account from the same place


def test_failed_sign_ins_from_one_address_are_throttled_across_accounts(make_app):
    app = make_app(LOGIN_LIMIT_PER_ADDRESS="4 per minute", LOGIN_LIMIT_PER_ACCOUNT="50 per minute")
    add_user(app, "tinh")
    client = app.test_client()
    statuses = [login(client, f"ai-{n}", "x").status_code for n in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    assert login(client, "tinh").status_code == 429
    other = app.test_client()
    answer = login(other, "tinh", environ_base={"REMOTE_ADDR": "10.0.0.7"})
    assert answer.status_code == 302


def test_successful_sign_ins_do_not_count(make_app):
    app = make_app(LOGIN_LIMIT_PER_ACCOUNT="2 per minute")
    add_user(app, "tinh")
    client = app.test_client()
    assert [login(client, "tinh").status_code for _ in range(4)] == [302] * 4


def test_password_hashes_run_one_at_a_time(monkeypatch, make_app):
    from server.queries import users

    app = make_app()
    add_user(app, "tinh")
    running, most = [0], [0]
    lock = threading.Lock()
    real = users._hasher

    class CountingHasher:
        """argon2, slowed down a little, counting how many hashes run at once."""

        def _counted(self, work):
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
            time.sleep(0.05)
            try:
                return work()
            finally:
                with lock:
                    running[0] -= 1

        def verify(self, hashed, password):
            return self._counted(lambda: real.verify(hashed, password))

        def hash(self, password):
            return self._counted(lambda: real.hash(password))

    monkeypatch.setattr(users, "_hasher", CountingHasher())
    answers = []

    def sign_in():
        answers.append(login(app.test_client(), "tinh").status_code)

    threads = [threading.Thread(target=sign_in) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert answers == [302] * 6
    assert most[0] == 1


# --- passwords ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "weak", ["pw", "ngan-9", "tinh-2026-abcdef", "aaaaaaaaaaaa", "1234567890", "ababababab"]
)
def test_the_password_policy_refuses_weak_passwords(weak):
    from server.queries.users import UserError, check_password_policy

    with pytest.raises(UserError, match="Mật khẩu không đạt yêu cầu.*Password refused"):
        check_password_policy(weak, "tinh")
    check_password_policy(PASSWORD, "tinh")


def run_cli(tmp_path, monkeypatch, *args, input=None):
    from povcensus.cli import main

    monkeypatch.setenv("POVCENSUS_INSTANCE_PATH", str(tmp_path))
    return CliRunner().invoke(main, [*args, "--db", str(tmp_path / "cli.sqlite3")], input=input)


def stored_hash(tmp_path, username: str) -> str | None:
    from server.db import connect

    db = connect(tmp_path / "cli.sqlite3")
    try:
        row = db.execute("SELECT password_hash FROM users WHERE username = ?", [username])
        return row.fetchone()[0]
    finally:
        db.conn.close()


def test_users_add_asks_for_the_password_hidden_and_twice(tmp_path, monkeypatch):
    from argon2 import PasswordHasher

    out = run_cli(
        tmp_path,
        monkeypatch,
        "users",
        "add",
        "tinh",
        "--role",
        "province",
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert out.exit_code == 0, out.output
    assert PASSWORD not in out.output  # hidden input is not echoed
    assert "Password" in out.output and "Repeat for confirmation" in out.output  # twice
    assert PasswordHasher().verify(stored_hash(tmp_path, "tinh"), PASSWORD)


def test_users_add_reads_a_password_file_and_applies_the_policy(tmp_path, monkeypatch):
    from argon2 import PasswordHasher

    good, weak = tmp_path / "good.txt", tmp_path / "weak.txt"
    good.write_text(PASSWORD + "\n", "utf-8")
    weak.write_text("pw\n", "utf-8")
    out = run_cli(
        tmp_path,
        monkeypatch,
        "users",
        "add",
        "xa",
        "--role",
        "commune",
        "--password-file",
        str(weak),
    )
    assert out.exit_code == 1 and "at least 10 characters" in out.output
    assert "ít nhất 10 ký tự" in out.output
    out = run_cli(
        tmp_path,
        monkeypatch,
        "users",
        "add",
        "xa",
        "--role",
        "commune",
        "--password-file",
        str(good),
    )
    assert out.exit_code == 0, out.output
    assert PasswordHasher().verify(stored_hash(tmp_path, "xa"), PASSWORD)


def test_users_passwd_changes_the_password_and_signs_out(tmp_path, monkeypatch):
    first = tmp_path / "first.txt"
    first.write_text(PASSWORD, "utf-8")
    run_cli(
        tmp_path,
        monkeypatch,
        "users",
        "add",
        "tinh",
        "--role",
        "province",
        "--password-file",
        str(first),
    )
    before = stored_hash(tmp_path, "tinh")
    out = run_cli(
        tmp_path,
        monkeypatch,
        "users",
        "passwd",
        "tinh",
        input="mat-khau-moi-2027\nmat-khau-moi-2027\n",
    )
    assert out.exit_code == 0, out.output
    assert stored_hash(tmp_path, "tinh") != before


# --- sessions -----------------------------------------------------------------------------


def copy_of_cookie(app, client):
    """A second browser holding a copy of the first one's session cookie."""
    cookie = client.get_cookie("session")
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def signed_in(client) -> bool:
    return client.get(PROBE).status_code == 200


def test_a_copied_cookie_stops_working_after_logout(make_app):
    app = make_app()
    add_user(app, "tinh")
    client = app.test_client()
    assert login(client, "tinh").status_code == 302
    thief = copy_of_cookie(app, client)
    assert signed_in(thief)
    client.post("/logout")
    assert not signed_in(thief)
    assert "/login" in thief.get(PROBE).location


def test_disabling_or_a_new_password_signs_the_user_out(make_app):
    from server.db import open_app_db
    from server.queries.users import set_active, set_password

    app = make_app()
    add_user(app, "tinh")
    db = open_app_db(app)
    client = app.test_client()
    login(client, "tinh")
    set_password(db, "tinh", "mat-khau-moi-2027")
    assert not signed_in(client)
    login(client, "tinh", "mat-khau-moi-2027")
    assert signed_in(client)
    set_active(db, "tinh", False)
    set_active(db, "tinh", True)
    assert not signed_in(client)
    db.conn.close()


def test_the_session_lasts_a_working_day_and_the_cookie_is_lax(make_app):
    app = make_app(SESSION_LIFETIME_HOURS=10)
    add_user(app, "tinh")
    client = app.test_client()
    answer = login(client, "tinh")
    cookie = answer.headers["Set-Cookie"]
    assert "SameSite=Lax" in cookie and "HttpOnly" in cookie and "Secure" not in cookie
    assert "Expires=" in cookie
    assert signed_in(client)
    with client.session_transaction() as session:
        session["since"] = int(time.time()) - 10 * 3600 - 60  # signed in 10 h 1 min ago
    assert not signed_in(client)


def test_the_cookie_is_secure_when_the_public_url_is_https(make_app):
    app = make_app(PUBLIC_URL="https://povcensus.example.vn")
    add_user(app, "tinh")
    cookie = login(app.test_client(), "tinh").headers["Set-Cookie"]
    assert "Secure" in cookie and "SameSite=Lax" in cookie


# --- redirects ----------------------------------------------------------------------------

OPEN_REDIRECTS = [
    "//evil.example/",
    "/%09/evil.example/",
    "/\t/evil.example/",
    "/\\evil.example/",
    "/%5Cevil.example/",
    "/%2F/evil.example/",
    "/%252F%252Fevil.example/",
    "https://evil.example/",
    "javascript:alert(1)",
    "/%0d%0aLocation:%20https://evil.example/",
    "///evil.example/",
    " /review/",
]


@pytest.mark.parametrize("target", OPEN_REDIRECTS)
def test_no_redirect_after_sign_in_leaves_the_site(make_app, target):
    from urllib.parse import quote

    app = make_app()
    add_user(app, "tinh")
    answer = login(app.test_client(), "tinh", query_string=f"next={quote(target, safe='%')}")
    assert answer.status_code == 302
    assert answer.location == "/", (target, answer.location)


def test_same_site_paths_are_kept(make_app):
    from server.auth import is_safe_path

    for path in ("/review/", "/review/c/18496/?page=2&status=submitted", "/province/?round=x"):
        assert is_safe_path(path), path
    app = make_app()
    add_user(app, "tinh")
    answer = login(app.test_client(), "tinh", query_string={"next": "/review/audit?page=2"})
    assert answer.location == "/review/audit?page=2"


def test_users_add_takes_no_password_on_the_command_line(tmp_path, monkeypatch):
    out = run_cli(
        tmp_path, monkeypatch, "users", "add", "tinh", "--role", "province", "--password", "a"
    )
    assert out.exit_code == 2 and "No such option" in out.output
