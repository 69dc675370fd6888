"""The povcensus sync and review server: one Flask app factory, one instance folder.

`create_app(test_config=None)` sets the defaults below, then reads `instance/config.toml` (or
`instance/config.py`) if present, then `POVCENSUS_<SETTING>` environment variables, then the
`test_config` mapping. A setting in a file or test_config that is not in `DEFAULTS` (nor one of
Flask's own) stops the start-up with a clear message: a typo must never be silently ignored.
(Unknown POVCENSUS_* environment variables are only logged: the sync client shares the prefix.)
"""

from __future__ import annotations

import json
import os
import secrets
import tomllib
from pathlib import Path
from typing import Any

from flask import Flask

# Our settings with their defaults; Flask's own keys (SESSION_COOKIE_SECURE, ...) are also accepted.
DEFAULTS: dict[str, Any] = {
    "SECRET_KEY": None,  # generated once into instance/secret_key when not given
    "DATABASE": None,  # default: <instance>/povcensus.sqlite3
    "PROVINCE": "42",  # GSO code of the province this server serves (Hà Tĩnh)
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,  # any request body, bytes (413 above)
    "MAX_JSON_BYTES": 16 * 1024 * 1024,  # a JSON body after gzip decompression (413 above)
    "SQLITE_BUSY_TIMEOUT_MS": 30_000,
    "SQLITE_SYNCHRONOUS": "NORMAL",  # WAL + NORMAL survives a process crash; FULL also power loss
    "PULL_LIMIT": 500,  # most changes per pull page
    "OPENROSA_ACCEPT_CONTENT_LENGTH": 10 * 1024 * 1024,
    "WTF_CSRF_ENABLED": True,
    "BABEL_DEFAULT_LOCALE": "vi",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
    "LANGUAGES": ["vi", "en"],
    # --- security (issue 9; docs/server.md "Security model") ---
    "SESSION_LIFETIME_HOURS": 10,  # a web sign-in lasts one working day
    "SESSION_COOKIE_SAMESITE": "Lax",  # Flask's own key; our default
    "LOGIN_LIMIT_PER_ACCOUNT": "5 per minute; 20 per hour",  # failed sign-ins (Flask-Limiter)
    "LOGIN_LIMIT_PER_ADDRESS": "30 per minute; 200 per hour",
    "RATELIMIT_STORAGE_URI": "memory://",  # Flask-Limiter's; per process unless shared
    # Tablets (docs/tablets.md): the scheme://host[:port] tablets use to reach this server
    # (every absolute URL: formList, manifest, media, QR codes); None = as the request came.
    "PUBLIC_URL": None,
    # Per-device token URLs (/key/<token>/formList ...): Collect's only sign-in over plain http.
    "OPENROSA_TOKEN_URLS": True,
    # A reverse proxy whose X-Forwarded-* headers waitress trusts (`serve --trusted-proxy`).
    "TRUSTED_PROXY": None,
    "TRUSTED_PROXY_HEADERS": ["x-forwarded-proto", "x-forwarded-host", "x-forwarded-for"],
    # issue 13: province map background tiles; None = no tiles, nothing fetched (offline)
    "MAP_TILES": None,  # tile URL template, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png
    "MAP_TILES_ATTRIBUTION": None,  # required for a URL other than OpenStreetMap's
    # issue 12: area ("urban"/"rural") of an đặc khu's households; the law does not say (None:
    # the record's own answer stands). Phường are urban and xã rural, always (docs/scoring.md).
    "SPECIAL_ZONE_AREA": None,
    # issue 12: `povcensus backup` — folder of timed backups (default <data folder>/backups;
    # better another disk) and how many of them to keep.
    "BACKUP_DIR": None,
    "BACKUP_KEEP": 14,
    # issue11: a form's CSRF token lives as long as the session (None), not one hour, so a
    # page left open over lunch still saves; an expired token re-shows the form as typed
    "WTF_CSRF_TIME_LIMIT": None,
}

ENV_PREFIX = "POVCENSUS_"
INSTANCE_ENV = "POVCENSUS_INSTANCE_PATH"  # where the instance folder is; not a setting
_NOT_SETTINGS = {"POVCENSUS_DEBUG", INSTANCE_ENV}
# Not server settings either, and not worth a warning: the data folder (server/home.py) and the
# sync client's own variables (offline_sync), which share the environment of one machine.
_NOT_SETTINGS |= {
    "POVCENSUS_HOME",
    "POVCENSUS_SYNC_STORE",
    "POVCENSUS_SYNC_SERVER",
    "POVCENSUS_SYNC_TOKEN",
}
_CLIENT_PREFIX = "SYNC_"  # POVCENSUS_SYNC_*: the offline client's variables, never warned about


class ConfigError(RuntimeError):
    """A setting is unknown or malformed; raised at start-up, never later."""


def create_app(
    test_config: dict[str, Any] | None = None,
    *,
    instance_path: str | None = None,
    migrate: bool = True,
) -> Flask:
    """Build the Flask application (see the module docstring for how settings are read).

    The instance (data) folder is `instance_path`, else `$POVCENSUS_INSTANCE_PATH`, else
    `$POVCENSUS_HOME`, else the per-user data directory — never inside the package or the
    virtual environment (server/home.py); a folder created here is 0700. `migrate=False`
    leaves the database untouched (`povcensus backup` / `restore`: never migrate a live
    database under a running server, and restore even when the current file is broken).
    """
    from server.home import data_home

    instance_path = str(data_home(instance_path))
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    _private_instance(Path(app.instance_path))
    known = set(DEFAULTS) | set(app.config)
    app.config.update(DEFAULTS)
    _apply(app, _read_instance_config(Path(app.instance_path)), known, "instance config")
    _apply(app, _known_environment(app, known), known, "environment")
    _apply(app, test_config or {}, known, "test_config")
    _finish_config(app)

    from server import db

    if migrate:
        db.init_app(app)
    else:  # issue 12: backup/restore read settings only; the database is theirs to open
        app.teardown_appcontext(db.close_db)
    _init_extensions(app)
    _register_blueprints(app)
    return app


def _private_instance(instance: Path) -> None:
    """The instance folder holds the database, its secret and exports: 0700 (issue 9)."""
    from server.security import make_private, private_umask

    with private_umask():
        instance.mkdir(parents=True, exist_ok=True)
    make_private(instance)


def _apply(app: Flask, values: dict[str, Any], known: set[str], source: str) -> None:
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(
            f"Unknown setting(s) in {source}: {', '.join(unknown)}. "
            f"Known settings: {', '.join(sorted(DEFAULTS))} (and Flask's own)."
        )
    app.config.update(values)


def _read_instance_config(instance: Path) -> dict[str, Any]:
    toml_path, py_path = instance / "config.toml", instance / "config.py"
    if toml_path.exists():
        try:
            return {k.upper(): v for k, v in tomllib.loads(toml_path.read_text("utf-8")).items()}
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{toml_path}: {error}") from error
    if py_path.exists():
        namespace: dict[str, Any] = {}
        exec(compile(py_path.read_text("utf-8"), str(py_path), "exec"), namespace)  # noqa: S102
        return {k: v for k, v in namespace.items() if k.isupper()}
    return {}


def _read_environment() -> dict[str, Any]:
    """POVCENSUS_X=value; values are parsed as JSON when they look like it (numbers, bools)."""
    values = {}
    for name, raw in os.environ.items():
        if name.startswith(ENV_PREFIX) and name not in _NOT_SETTINGS:
            try:
                values[name[len(ENV_PREFIX) :]] = json.loads(raw)
            except ValueError:
                values[name[len(ENV_PREFIX) :]] = raw
    return values


def _known_environment(app: Flask, known: set[str]) -> dict[str, Any]:
    """Environment settings. The environment is shared with the sync client and other tools
    (POVCENSUS_TOKEN, ...), so unknown POVCENSUS_* names are logged, not fatal; files and
    test_config stay strict."""
    values = _read_environment()
    for name in sorted(set(values) - known):
        if name.startswith(_CLIENT_PREFIX):  # the sync client's own (POVCENSUS_SYNC_STORE, ...)
            del values[name]
            continue
        app.logger.warning(
            "ignoring environment variable %s%s: not a server setting", ENV_PREFIX, name
        )
        del values[name]
    return values


def _finish_config(app: Flask) -> None:
    if not app.config["DATABASE"]:
        app.config["DATABASE"] = str(Path(app.instance_path) / "povcensus.sqlite3")
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))
    if str(app.config["SQLITE_SYNCHRONOUS"]).upper() not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
        raise ConfigError("SQLITE_SYNCHRONOUS must be one of OFF, NORMAL, FULL, EXTRA")
    app.config["PROVINCE"] = str(app.config["PROVINCE"]).zfill(2)
    _check_public_url(app.config["PUBLIC_URL"])
    _configure_special_zone_area(app)


def _configure_special_zone_area(app: Flask) -> None:
    from server import scoring_adapter

    zone_area = app.config["SPECIAL_ZONE_AREA"] or None
    if zone_area not in (None, "urban", "rural"):
        raise ConfigError("SPECIAL_ZONE_AREA must be urban, rural or empty (the record's answer)")
    scoring_adapter.configure(special_zone_area=zone_area)


def _check_public_url(url: str | None) -> None:
    from urllib.parse import urlsplit

    if url and (urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc):
        raise ConfigError(f"PUBLIC_URL must look like https://host[:port], not {url!r}")


def _instance_secret(instance: Path) -> str:
    """A random secret kept in the instance folder so sessions survive restarts."""
    path = instance / "secret_key"
    if not path.exists():
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(handle, "w", encoding="utf-8") as secret_file:
            secret_file.write(secrets.token_hex(32))
    return path.read_text("utf-8").strip()


def _init_extensions(app: Flask) -> None:
    from flask import request, session
    from flask_babel import Babel, get_locale
    from flask_wtf.csrf import CSRFProtect

    def select_locale() -> str:
        wanted = request.args.get("lang") or session.get("lang")
        if wanted in app.config["LANGUAGES"]:
            if request.args.get("lang") == wanted:  # one language rule: ?lang= lasts the session
                session["lang"] = wanted
            return wanted
        return app.config["BABEL_DEFAULT_LOCALE"]

    from server import security

    security.init_app(app)  # before the blueprints: the bounded <int:> converter
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals["get_locale"] = get_locale
    app.extensions["csrf_protect"] = CSRFProtect(app)
    from server import format as formatting  # numbers, money, dates in the reader's locale

    formatting.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from server import api, auth, enrolment, log_redaction, openrosa

    csrf = app.extensions["csrf_protect"]
    app.register_blueprint(auth.bp)
    # Token-authenticated machine endpoints carry no session cookie: CSRF does not apply.
    app.register_blueprint(csrf.exempt(api.bp))
    app.register_blueprint(csrf.exempt(openrosa.bp))
    app.register_blueprint(csrf.exempt(openrosa.key_bp))
    app.register_blueprint(enrolment.bp)
    log_redaction.install()  # device tokens in URL paths never reach a log line
    for name in ("server.review", "server.province"):
        _register_optional(app, name)
    _register_optional(app, "server.collect")  # the offline web form at /collect/
    if not any(rule.rule == "/" for rule in app.url_map.iter_rules()):
        app.add_url_rule("/", "index", _index)


def _index():
    """Until the review UI provides a home page: send people to the login page."""
    from flask import redirect, url_for

    return redirect(url_for("auth.login"))


def _register_optional(app: Flask, module_name: str) -> None:
    """Blueprints other parts of the toolkit add later (`server/review`, `server/province`)."""
    import importlib

    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name and module_name.startswith(error.name):
            return
        raise
    if hasattr(module, "init_app"):
        module.init_app(app)
    elif hasattr(module, "bp"):
        app.register_blueprint(module.bp)
