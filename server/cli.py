"""The server's `povcensus` commands: serve, db, users, tokens, rounds, rescore.

Each command builds the app (which migrates the database) from the usual settings; `--db`
points at another database file. Errors people can fix are printed as one line with a hint;
`POVCENSUS_DEBUG=1` shows the traceback instead.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click

DB_OPTION = click.option(
    "--db", "database", type=click.Path(dir_okay=False), help="SQLite database file to use."
)


def _app(database: str | None = None):
    from server import create_app
    from server.home import announce

    app = create_app({"DATABASE": os.path.abspath(database)} if database else None)
    announce(app)
    return app


def _friendly(command: Callable) -> Callable:
    """Turn the errors a person can fix into a one-line message and exit status 1."""

    @wraps(command)
    def wrapped(*args: Any, **kwargs: Any):
        from server import ConfigError
        from server.queries.rounds import RoundError
        from server.queries.users import UserError
        from server.scoring_adapter import Unscorable

        try:
            from scoring.errors import ScoringError
        except ImportError:  # scoring not installed: nothing of it can be raised
            ScoringError = RoundError  # noqa: N806
        try:
            return command(*args, **kwargs)
        except (ConfigError, RoundError, UserError, ScoringError, Unscorable) as error:
            if os.environ.get("POVCENSUS_DEBUG"):
                raise
            raise click.ClickException(
                f"{error} (POVCENSUS_DEBUG=1 shows the traceback)"
            ) from error

    return wrapped


def _db(app):
    from server.db import open_app_db

    return open_app_db(app)


# --- serve --------------------------------------------------------------------------------


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port (0 = any free).")
@click.option("--threads", default=8, show_default=True, type=int, help="Threads per process.")
@click.option(
    "--workers",
    default=min(os.cpu_count() or 1, 4),
    show_default="number of cores, at most 4",
    type=click.IntRange(1, 64),
    help="Processes sharing the port (validation and scoring use one core per process).",
)
@click.option(
    "--public-url",
    help="scheme://host[:port] tablets use to reach the server (sets PUBLIC_URL).",
)
@click.option(
    "--trusted-proxy",
    help="Address of a reverse proxy whose X-Forwarded-* headers to trust (TRUSTED_PROXY).",
)
@DB_OPTION
@_friendly
def serve(
    host: str,
    port: int,
    threads: int,
    workers: int,
    database: str | None,
    public_url: str | None = None,
    trusted_proxy: str | None = None,
) -> None:
    """Run the sync and review server on waitress (a production WSGI server).

    Example: povcensus serve --host 0.0.0.0 --port 8000 --workers 2 --db /srv/povcensus.sqlite3

    Behind an HTTPS proxy: povcensus serve --trusted-proxy 127.0.0.1 --public-url https://host
    """
    import gc
    import socket

    app = _app(database)  # migrates the database once, before any worker starts
    _apply_serve_options(app, public_url, trusted_proxy)
    warning = insecure_listen_warning(app, host)
    if warning:
        click.echo(warning, err=True)
    # Everything loaded so far lives as long as the process: keep the cyclic garbage collector
    # from scanning it again and again while requests allocate (and share it across fork).
    gc.freeze()
    listener = socket.create_server((host, port), backlog=1024)
    # Printed (and flushed) once listening: scripts and tests read the port from this line.
    click.echo(f"povcensus serving on http://{host}:{listener.getsockname()[1]}")
    sys.stdout.flush()
    children = [_fork_worker(app, listener, threads) for _ in range(workers - 1)]
    try:
        _run_waitress(app, listener, threads)
    finally:
        for pid in children:
            os.kill(pid, signal.SIGTERM)


def _apply_serve_options(app, public_url: str | None, trusted_proxy: str | None) -> None:
    from server import _check_public_url

    if public_url:
        _check_public_url(public_url)
        app.config["PUBLIC_URL"] = public_url
        if public_url.lower().startswith("https://"):  # as security.init_app does for the setting
            app.config["SESSION_COOKIE_SECURE"] = True
    if trusted_proxy:
        app.config["TRUSTED_PROXY"] = trusted_proxy


def insecure_listen_warning(app, host: str) -> str | None:
    """One line when tablets could not sign in safely: listening beyond loopback with neither
    an https PUBLIC_URL nor token URLs (Collect sends Basic credentials only over https)."""
    import ipaddress

    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    public = str(app.config.get("PUBLIC_URL") or "")
    if loopback or public.startswith("https://") or app.config["OPENROSA_TOKEN_URLS"]:
        return None
    return (
        f"warning: listening on {host} over plain http with OPENROSA_TOKEN_URLS off and no https"
        " PUBLIC_URL: ODK Collect cannot sign in and passwords travel in clear text"
        " (see docs/tablets.md)"
    )


def _proxy_options(app) -> dict[str, Any]:
    """waitress' trusted-proxy settings: X-Forwarded-* from that address only, others cleared."""
    proxy = app.config.get("TRUSTED_PROXY")
    if not proxy:
        return {}
    headers = app.config.get("TRUSTED_PROXY_HEADERS") or []
    if isinstance(headers, str):
        headers = headers.replace(",", " ").split()
    return {
        "trusted_proxy": proxy,
        "trusted_proxy_headers": {h.lower() for h in headers},
        "clear_untrusted_proxy_headers": True,
    }


WAITRESS_CONNECTION_LIMIT = 1000  # open connections per process (waitress: 100)
WAITRESS_CHANNEL_TIMEOUT = 30  # seconds before an inactive connection is closed (waitress: 120)


def _run_waitress(app, listener, threads: int) -> None:
    from waitress import create_server

    server = create_server(
        app,
        sockets=[listener],
        threads=threads,
        # Flask answers 413 in our error shape; waitress only stops absurd bodies (plain 413).
        max_request_body_size=2 * app.config["MAX_CONTENT_LENGTH"] + 1024 * 1024,
        inbuf_overflow=4 * 1024 * 1024,  # a batch body stays in memory, not in a temp file
        ident="povcensus",
        **_proxy_options(app),
        # Slow clients (issue 9): many idle or trickling connections must not lock people out.
        # Waitress buffers each request fully before a thread sees it, so a trickler holds only
        # a socket; allow many (poll(), not select()'s 1024), drop idle ones sooner. A buffering
        # proxy in front (docs/server.md, "Security model") bounds trickling bodies too.
        connection_limit=WAITRESS_CONNECTION_LIMIT,
        channel_timeout=WAITRESS_CHANNEL_TIMEOUT,
        asyncore_use_poll=True,
    )
    server.run()


def _fork_worker(app, listener, threads: int) -> int:
    """A worker process accepting on the same socket; it dies with the parent (even kill -9)."""
    pid = os.fork()
    if pid:
        return pid
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:  # not Linux: the worker outlives a killed parent until its next request
        pass
    try:
        _run_waitress(app, listener, threads)
    finally:
        os._exit(0)


# --- db -----------------------------------------------------------------------------------


@click.group()
def db() -> None:
    """Database maintenance (the schema is also upgraded on every start)."""


@db.command("upgrade")
@DB_OPTION
@_friendly
def db_upgrade(database: str | None) -> None:
    """Apply pending schema migrations and list the schema versions.

    Example: povcensus db upgrade --db instance/povcensus.sqlite3
    """
    from server.db import applied_migrations

    if database and not os.path.exists(database):  # a typo must not become a new empty database
        raise click.ClickException(
            f"không có cơ sở dữ liệu tại {database} / no database at {database}:"
            " check the path (`povcensus info` shows the data folder's database)"
        )
    app = _app(database)  # create_app applies the migrations and finishes any conversion
    for name in applied_migrations(_db(app)):
        click.echo(name)
    click.echo(f"database {app.config['DATABASE']} is up to date")


# --- users --------------------------------------------------------------------------------


@click.group()
def users() -> None:
    """Manage user accounts."""


@users.command("add")
@click.argument("username")
@click.option(
    "--role",
    type=click.Choice(["enumerator", "commune", "province", "admin"]),
    required=True,
)
@click.option("--commune", "communes", multiple=True, help="Assigned commune code (repeatable).")
@click.option("--name", "display_name", help="Full name shown in the web UI.")
@click.option(
    "--password-file",
    type=click.File("r", encoding="utf-8"),
    help="Read the web password from the first line of this file ('-': standard input).",
)
@DB_OPTION
@_friendly
def users_add(username, role, communes, display_name, password_file, database) -> None:
    """Add a user; web users' password is asked for (hidden, twice) or read from a file.

    Example: povcensus users add rsv-0012 --role enumerator --commune 18496 --commune 18502
    """
    from server.queries.users import audit, check_password_policy, create_user

    password = None  # never from the command line: it would land in the shell history
    if password_file is not None:
        password = _password_from(password_file)
    elif role != "enumerator":
        password = _prompt_password()
    if password is not None:
        check_password_policy(password, username)
    db = _db(_app(database))
    user = create_user(
        db, username, role=role, password=password, communes=communes, display_name=display_name
    )
    audit(db, "user_add", target=username, details={"role": role, "communes": list(communes)})
    click.echo(f"added {user.username} ({user.role}) communes: {', '.join(user.communes) or '-'}")


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
@DB_OPTION
@_friendly
def users_list(as_json: bool, database: str | None) -> None:
    """List users with role, status and communes.

    Example: povcensus users list --json
    """
    from server.queries.users import list_users

    for user in list_users(_db(_app(database))):
        if as_json:
            click.echo(json.dumps(user.to_dict(), ensure_ascii=False))
        else:
            state = "active" if user.active else "disabled"
            click.echo(f"{user.username}\t{user.role}\t{state}\t{' '.join(user.communes)}")


@users.command("passwd")
@click.argument("username")
@click.option(
    "--password-file",
    type=click.File("r", encoding="utf-8"),
    help="Read the new password from the first line of this file ('-': standard input).",
)
@DB_OPTION
@_friendly
def users_passwd(username: str, password_file, database: str | None) -> None:
    """Set a user's web password (asked for, hidden, twice); signs them out everywhere.

    Example: povcensus users passwd xa-18496
    """
    from server.queries.users import audit, set_password

    password = _password_from(password_file) if password_file else _prompt_password()
    db = _db(_app(database))
    set_password(db, username, password)
    audit(db, "user_password", target=username)
    click.echo(f"password changed for {username}; their web sessions are signed out")


def _prompt_password() -> str:
    from server.queries.users import MIN_PASSWORD_LENGTH

    return click.prompt(
        f"Password (at least {MIN_PASSWORD_LENGTH} characters)",
        hide_input=True,
        confirmation_prompt=True,
    )


def _password_from(handle) -> str:
    password = handle.readline().rstrip("\r\n")
    if not password:
        raise click.ClickException("the password file is empty")
    return password


@users.command("disable")
@click.argument("username")
@DB_OPTION
@_friendly
def users_disable(username: str, database: str | None) -> None:
    """Disable a user (sign-in and all their device tokens stop working).

    Example: povcensus users disable rsv-0012
    """
    from server.queries.users import audit, set_active

    db = _db(_app(database))
    set_active(db, username, False)
    audit(db, "user_disable", target=username)
    click.echo(f"disabled {username}")


# --- tokens -------------------------------------------------------------------------------


@click.group()
def tokens() -> None:
    """Device tokens for sync (JSON API and ODK Collect)."""


@tokens.command("issue")
@click.argument("username")
@click.option("--device", "device_name", required=True, help="A name for the tablet or phone.")
@click.option("--days", type=int, help="Expire after this many days (default: until revoked).")
@click.option(
    "--qr",
    "qr_file",
    type=click.Path(dir_okay=False, writable=True),
    help="Also write an ODK Collect enrolment QR code (PNG) with the device's token URL.",
)
@click.option("--url", "base_url", help="Server URL tablets use (default: the PUBLIC_URL setting).")
@DB_OPTION
@_friendly
def tokens_issue(
    username: str,
    device_name: str,
    days: int | None,
    database: str | None,
    qr_file: str | None = None,
    base_url: str | None = None,
) -> None:
    """Issue a device token for a user; it is shown once and stored only as a hash.

    Example: povcensus tokens issue rsv-0012 --device tablet-07 --qr tablet-07.png
    """
    from server.queries.users import audit, issue_token

    app = _app(database)
    base_url = base_url or app.config.get("PUBLIC_URL")
    if qr_file and not base_url:
        raise click.UsageError("--qr needs the server URL: set PUBLIC_URL or pass --url")
    db = _db(app)
    device_id, token = issue_token(db, username, device_name, days=days)
    audit(db, "token_issue", target=username, details={"device_id": device_id})
    click.echo(f"device {device_id} ({device_name}) for {username}; token (shown once):")
    click.echo(token)
    if qr_file:
        from server import qr

        settings = qr.enrolment_settings(
            base_url, username, token, token_urls=bool(app.config["OPENROSA_TOKEN_URLS"])
        )
        with open(qr_file, "wb") as handle:
            handle.write(qr.qr_png(qr.encode_settings(settings)))
        click.echo(f"QR code for ODK Collect written to {qr_file}")


@tokens.command("revoke")
@click.argument("device_id", type=int)
@DB_OPTION
@_friendly
def tokens_revoke(device_id: int, database: str | None) -> None:
    """Revoke a device token by its device id (see `povcensus tokens list`).

    Example: povcensus tokens revoke 7
    """
    from server.queries.users import audit, revoke_token

    db = _db(_app(database))
    revoke_token(db, device_id)
    audit(db, "token_revoke", target=str(device_id))
    click.echo(f"revoked device {device_id}")


@tokens.command("list")
@DB_OPTION
@_friendly
def tokens_list(database: str | None) -> None:
    """List devices and whether their token is active.

    Example: povcensus tokens list
    """
    from server.queries.users import list_devices

    for device in list_devices(_db(_app(database))):
        state = f"revoked {device['revoked_at']}" if device["revoked_at"] else "active"
        if device["expires_at"] and not device["revoked_at"]:
            state += f" until {device['expires_at']}"
        click.echo(f"{device['id']}\t{device['name']}\t{device['username']}\t{state}")


# --- rounds -------------------------------------------------------------------------------


@click.group()
def rounds() -> None:
    """Review rounds (one open annual round per province)."""


@rounds.command("open")
@click.option("--year", type=int, required=True)
@click.option("--standard", required=True, help="Standard id, e.g. vn-2027 or vn-2022.")
@click.option(
    "--kind", type=click.Choice(["annual", "rolling"]), default="annual", show_default=True
)
@DB_OPTION
@_friendly
def rounds_open(year: int, standard: str, kind: str, database: str | None) -> None:
    """Open a review round; last round's households become assignments to re-survey.

    Example: povcensus rounds open --year 2026 --standard vn-2027 --kind annual
    """
    from server.queries.rounds import open_round
    from server.queries.users import audit
    from server.scoring_adapter import known_standards

    app = _app(database)
    db = _db(app)
    opened = open_round(
        db,
        year=year,
        standard=standard,
        kind=kind,
        province=app.config["PROVINCE"],
        known_standards=known_standards(),
    )
    audit(db, "round_open", target=opened["label"], details={"standard": standard})
    click.echo(f"opened round {opened['label']} (standard {standard})")


@rounds.command("close")
@click.argument("label")
@DB_OPTION
@_friendly
def rounds_close(label: str, database: str | None) -> None:
    """Close a round (no more submissions go into it).

    Example: povcensus rounds close 2026-annual
    """
    from server.queries.rounds import close_round
    from server.queries.users import audit

    db = _db(_app(database))
    close_round(db, label)
    audit(db, "round_close", target=label)
    click.echo(f"closed round {label}")


@rounds.command("list")
@DB_OPTION
@_friendly
def rounds_list(database: str | None) -> None:
    """List review rounds.

    Example: povcensus rounds list
    """
    from server.queries.rounds import list_rounds

    for found in list_rounds(_db(_app(database))):
        click.echo(f"{found['label']}\t{found['standard']}\t{found['status']}")


# --- rescore ------------------------------------------------------------------------------


@click.command()
@click.option("--round", "round_label", required=True, help="Round label, e.g. 2026-annual.")
@click.option("--standard", required=True, help="Standard to simulate, e.g. vn-2022.")
@click.option("--mode", type=click.Choice(["income", "field"]), default="income", show_default=True)
@DB_OPTION
@_friendly
def rescore(round_label: str, standard: str, mode: str, database: str | None) -> None:
    """Score a whole round under another standard, beside the official scores (raw data untouched).

    Example: povcensus rescore --round 2026-annual --standard vn-2022
    """
    from server.queries.scores import rescore_round
    from server.queries.users import audit

    db = _db(_app(database))
    with click.progressbar(
        length=1, label=f"rescoring {round_label} under {standard}", file=sys.stderr
    ) as bar:

        def progress(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        counts = rescore_round(db, round_label, standard, mode=mode, on_progress=progress)
    audit(db, "rescore", target=round_label, details={"standard": standard, "mode": mode})
    for classification, households in sorted(counts.items(), key=lambda kv: str(kv[0])):
        click.echo(f"{classification}\t{households}")


# --- forms --------------------------------------------------------------------------------


@click.group()
def forms() -> None:
    """The household form: versions served to ODK Collect (their instances stay acceptable
    until retired) and the blank paper Phiếu B (`forms template`).

    Example: povcensus forms template --format xlsx -o phieu_b.xlsx
    """


@forms.command("list")
@DB_OPTION
@_friendly
def forms_list(database: str | None) -> None:
    """List every form version served, and whether it is retired.

    Example: povcensus forms list
    """
    from server.queries.forms import list_versions

    for row in list_versions(_db(_app(database))):
        state = f"retired {row['retired_at']}" if row["retired_at"] else "accepted"
        click.echo(f"{row['form_id']}\t{row['version']}\t{row['first_served_at']}\t{state}")


@forms.command("retire")
@click.argument("version")
@click.option("--form", "form_id", default="povcensus_household", show_default=True)
@DB_OPTION
@_friendly
def forms_retire(version: str, form_id: str, database: str | None) -> None:
    """Stop accepting instances of an old form version (their submissions get 422).

    Example: povcensus forms retire 2025.1
    """
    from server.queries.forms import FormVersionError, retire_version
    from server.queries.users import audit

    db = _db(_app(database))
    try:
        retire_version(db, form_id, version)
    except FormVersionError as error:
        raise click.ClickException(str(error)) from error
    audit(db, "form_version_retire", target=f"{form_id} {version}")
    click.echo(f"retired {form_id} version {version}")


def _add_paper_template() -> None:
    from povcensus.forms_cli import template

    forms.add_command(template)


_add_paper_template()


# --- info (issue 12) ------------------------------------------------------------------------


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON (for scripts).")
@DB_OPTION
@_friendly
def info(as_json: bool, database: str | None) -> None:
    """Where the data is and what it holds: folder, database, size, schema, rounds, counts.

    Example: povcensus info
    """
    from server.home import instance_info

    app = _app(database)
    db = _db(app)
    try:
        found = instance_info(app, db)
    finally:
        db.conn.close()
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    for key in ("folder", "database", "size_bytes", "schema_version", "migrations"):
        click.echo(f"{key}\t{found[key]}")
    for name, count in found["counts"].items():
        click.echo(f"{name}\t{count}")
    for review_round in found["rounds"]:
        click.echo(
            "round\t{label}\t{standard}\t{status}\t{households} households".format(**review_round)
        )


# --- duplicates (issue 12) ------------------------------------------------------------------

# Column headings of the province's list, for officials (Vietnamese, no codes).
_DUPLICATE_HEADINGS = {
    "reason": "Lý do",
    "name": "Họ và tên",
    "birth_year": "Năm sinh",
    "citizen_id": "Số định danh cá nhân",
    "household_a": "Hộ thứ nhất",
    "commune_a": "Xã/phường (hộ thứ nhất)",
    "member_a": "Thành viên số (hộ thứ nhất)",
    "household_b": "Hộ thứ hai",
    "commune_b": "Xã/phường (hộ thứ hai)",
    "member_b": "Thành viên số (hộ thứ hai)",
}
_DUPLICATE_REASONS = {
    "citizen_id": "Trùng số định danh cá nhân",
    "name": "Trùng họ tên, năm sinh, xã",
}


@click.command()
@click.option("--round", "round_label", required=True, help="Round label, e.g. 2026-annual.")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="File to write (default: stdout)."
)
@DB_OPTION
@_friendly
def duplicates(round_label: str, fmt: str, output: str | None, database: str | None) -> None:
    """List people who appear in two current households of the round (nothing is blocked).

    Same citizen id, else same name (diacritics and case folded), birth year and commune.
    Example: povcensus duplicates --round 2026-annual -o trung-nguoi.csv
    """
    from server.queries.persons import duplicate_persons
    from server.queries.rounds import RoundError, get_round

    db = _db(_app(database))
    review_round = get_round(db, round_label)
    if review_round is None:
        raise RoundError(f"no round {round_label!r} (see: povcensus rounds list)")
    pairs = duplicate_persons(db, review_round["id"])
    text = _duplicates_json(pairs) if fmt == "json" else _duplicates_csv(pairs)
    if output:
        with open(output, "w", encoding="utf-8-sig" if fmt == "csv" else "utf-8") as out:
            out.write(text)
    else:
        click.echo(text, nl=False)
    click.echo(f"{len(pairs)} pair(s) of possibly duplicate persons", err=True)


def _duplicates_json(pairs: list[dict]) -> str:
    return json.dumps(pairs, ensure_ascii=False, indent=2) + "\n"


def _duplicates_csv(pairs: list[dict]) -> str:
    import csv
    import io

    from survey_forms.communes import communes_by_code

    def commune(code: str) -> str:
        found = communes_by_code().get(code)
        return found.name if found else code

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_DUPLICATE_HEADINGS.values())
    for pair in pairs:
        row = dict(pair, reason=_DUPLICATE_REASONS[pair["reason"]])
        row["commune_a"], row["commune_b"] = commune(pair["commune_a"]), commune(pair["commune_b"])
        writer.writerow(["" if row[key] is None else row[key] for key in _DUPLICATE_HEADINGS])
    return buffer.getvalue()
