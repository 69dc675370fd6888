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
}

ENV_PREFIX = "POVCENSUS_"
INSTANCE_ENV = "POVCENSUS_INSTANCE_PATH"  # where the instance folder is; not a setting
_NOT_SETTINGS = {"POVCENSUS_DEBUG", INSTANCE_ENV}


class ConfigError(RuntimeError):
    """A setting is unknown or malformed; raised at start-up, never later."""


def create_app(
    test_config: dict[str, Any] | None = None, *, instance_path: str | None = None
) -> Flask:
    """Build the Flask application (see the module docstring for how settings are read).

    The instance folder is `instance_path`, else `$POVCENSUS_INSTANCE_PATH`, else Flask's
    default (`instance/` beside the package, or `<prefix>/var/server-instance` when installed).
    """
    instance_path = instance_path or os.environ.get(INSTANCE_ENV) or None
    instance_path = os.path.abspath(instance_path) if instance_path else None
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    known = set(DEFAULTS) | set(app.config)
    app.config.update(DEFAULTS)
    _apply(app, _read_instance_config(Path(app.instance_path)), known, "instance config")
    _apply(app, _known_environment(app, known), known, "environment")
    _apply(app, test_config or {}, known, "test_config")
    _finish_config(app)

    from server import db

    db.init_app(app)
    _init_extensions(app)
    _register_blueprints(app)
    return app


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


def _instance_secret(instance: Path) -> str:
    """A random secret kept in the instance folder so sessions survive restarts."""
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32), "utf-8")
        path.chmod(0o600)
    return path.read_text("utf-8").strip()


def _init_extensions(app: Flask) -> None:
    from flask import request, session
    from flask_babel import Babel, get_locale
    from flask_wtf.csrf import CSRFProtect

    def select_locale() -> str:
        wanted = request.args.get("lang") or session.get("lang")
        if wanted in app.config["LANGUAGES"]:
            return wanted
        return app.config["BABEL_DEFAULT_LOCALE"]

    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals["get_locale"] = get_locale
    app.extensions["csrf_protect"] = CSRFProtect(app)


def _register_blueprints(app: Flask) -> None:
    from server import api, auth, openrosa

    csrf = app.extensions["csrf_protect"]
    app.register_blueprint(auth.bp)
    # Token-authenticated machine endpoints carry no session cookie: CSRF does not apply.
    app.register_blueprint(csrf.exempt(api.bp))
    app.register_blueprint(csrf.exempt(openrosa.bp))
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
