"""The server's web security policy, in one place: response headers, sign-in throttling, session
cookie settings, bounded numbers in URLs, and private file modes.

Every response gets (docs/server.md, "Security model"):

- `Content-Security-Policy` (`CONTENT_SECURITY_POLICY` below): scripts only from this origin or
  inline with the request's nonce (`csp_nonce()` in templates: `<script nonce="{{ csp_nonce()
  }}">`), no inline event handlers, images from this origin or `data:` URIs, no plugins, forms
  post only here, and `frame-ancestors 'none'` — no other page may frame ours;
- `X-Frame-Options: DENY` (older browsers), `X-Content-Type-Options: nosniff`,
  `Referrer-Policy: same-origin` (Flask-WTF's HTTPS CSRF check needs same-origin referrers);
- `Cache-Control: no-store` unless the view set a Cache-Control itself: almost every page
  shows households' personal data or a CSRF token.

A view that must be framed by our own pages (the province map in the dashboard's iframe) calls
`allow_same_origin_framing()`; one that needs more sources (map tiles) calls `extend_csp(...)`.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from flask import Flask, Response, current_app, g, request
from werkzeug.routing import IntegerConverter, ValidationError

CONTENT_SECURITY_POLICY: dict[str, list[str]] = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],  # + the request's nonce
    "style-src": ["'self'", "'unsafe-inline'"],  # style="" attributes; styles run no code
    "img-src": ["'self'", "data:"],  # QR codes and Leaflet's icons are data: URIs
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "worker-src": ["'self'"],  # the offline web app's service worker
    "manifest-src": ["'self'"],
    "frame-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
SQLITE_MAX_INT = 2**63 - 1


def init_app(app: Flask) -> None:
    """Install the policy on the app (called by `create_app` before blueprints register)."""
    app.url_map.converters["int"] = BoundedIntConverter  # before any rule is added
    app.before_request(_new_nonce)
    app.after_request(_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.register_error_handler(OverflowError, _number_too_large)
    _session_settings(app)
    _init_limiter(app)


# --- numbers in URLs ----------------------------------------------------------------------


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` that matches only what SQLite can store: a larger number is a 404, not a 500."""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if number > SQLITE_MAX_INT:
            raise ValidationError()
        return number


def _number_too_large(error: OverflowError):
    """A number from a query string or form too large for SQLite: the request is bad (400)."""
    from werkzeug.exceptions import BadRequest

    current_app.logger.info("number too large on %s: %s", request.path, error)
    return current_app.handle_user_exception(
        BadRequest("Số quá lớn. / A number in the request is too large.")
    )


# --- headers ------------------------------------------------------------------------------


def _new_nonce() -> None:
    g.csp_nonce = secrets.token_urlsafe(18)


def csp_nonce() -> str:
    """This request's script nonce (templates: `<script nonce="{{ csp_nonce() }}">`)."""
    if "csp_nonce" not in g:
        _new_nonce()
    return g.csp_nonce


def allow_same_origin_framing() -> None:
    """This response may be framed by this site's own pages (never by another site)."""
    g.csp_frame_ancestors = "'self'"


def extend_csp(directive: str, *sources: str) -> None:
    """Allow more sources for one directive on this response only."""
    g.setdefault("csp_extra", {}).setdefault(directive, []).extend(sources)


def content_security_policy() -> str:
    policy = {key: list(values) for key, values in CONTENT_SECURITY_POLICY.items()}
    policy["script-src"].append(f"'nonce-{csp_nonce()}'")
    for directive, sources in g.get("csp_extra", {}).items():
        policy.setdefault(directive, []).extend(sources)
    if g.get("csp_frame_ancestors"):
        policy["frame-ancestors"] = [g.csp_frame_ancestors]
    return "; ".join(f"{key} {' '.join(values)}" for key, values in policy.items())


_SCRIPT_TAG = re.compile(r"<script(?=[\s>])", re.IGNORECASE)


def add_script_nonce(page: str) -> str:
    """Give every <script> element of a generated page (folium's map) this request's nonce."""
    return _SCRIPT_TAG.sub(f'<script nonce="{csp_nonce()}"', page)


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy()
    same_origin = g.get("csp_frame_ancestors") == "'self'"
    headers["X-Frame-Options"] = "SAMEORIGIN" if same_origin else "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers.setdefault("Referrer-Policy", "same-origin")  # a view may be stricter (/collect/)
    if "Cache-Control" not in headers and request.endpoint != "static":
        headers["Cache-Control"] = "no-store"
    return response


# --- sessions -----------------------------------------------------------------------------


def _session_settings(app: Flask) -> None:
    """Cookie flags and lifetime from the settings (docs/server.md, "Settings")."""
    app.permanent_session_lifetime = timedelta(hours=float(app.config["SESSION_LIFETIME_HOURS"]))
    public_url = app.config.get("PUBLIC_URL") or ""
    if str(public_url).lower().startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True
    app.config["SESSION_COOKIE_HTTPONLY"] = True


# --- sign-in throttling -------------------------------------------------------------------


def _init_limiter(app: Flask) -> None:
    """One Flask-Limiter per app (its own counters); `throttle_login` adds the limits."""
    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address

    limiter = Limiter(
        key_func=get_remote_address,
        app=app,
        default_limits=[],
        headers_enabled=True,
        storage_uri=app.config["RATELIMIT_STORAGE_URI"],
    )
    # Only the sign-in is limited: every other request (sync posts above all) skips the
    # limiter's work at once.
    limiter.request_filter(lambda: request.endpoint not in THROTTLED_ENDPOINTS)
    app.extensions["povcensus_limiter"] = limiter


THROTTLED_ENDPOINTS = frozenset({"auth.login"})


def throttle_login(app: Flask, endpoint: str) -> None:
    """Per-account and per-address limits on failed sign-ins at this endpoint (POST only).

    Only failed attempts count (a successful sign-in redirects: 302). Once a limit is reached,
    every POST for that account or from that address answers 429 with Retry-After until the
    window has passed — the right password included."""
    limiter = app.extensions["povcensus_limiter"]
    view = app.view_functions[endpoint]
    for setting, key_func in (
        ("LOGIN_LIMIT_PER_ACCOUNT", _account_key),
        ("LOGIN_LIMIT_PER_ADDRESS", _address_key),
    ):
        view = limiter.limit(
            app.config[setting],
            key_func=key_func,
            methods=["POST"],
            deduct_when=_failed_sign_in,
            error_message=THROTTLED_MESSAGE,
            scope=key_func.__name__,
        )(view)
    app.view_functions[endpoint] = view


def _failed_sign_in(response: Response) -> bool:
    return response.status_code != 302


THROTTLED_MESSAGE = (
    "Đăng nhập sai quá nhiều lần. Vui lòng chờ vài phút rồi thử lại."
    " / Too many failed sign-ins. Please wait a few minutes, then try again."
)


def _account_key() -> str:
    username = (request.form.get("username") or "").strip().lower()[:64]
    return f"account:{username}"


def _address_key() -> str:
    return f"address:{request.remote_addr or '?'}"


# --- password hashing ---------------------------------------------------------------------

# At most this many argon2 hashes at once per process (each uses several threads and 64 MiB):
# parallel sign-ins queue here instead of starving every other request of the CPU.
PASSWORD_HASH_SLOTS = 1
_hash_slots = threading.BoundedSemaphore(PASSWORD_HASH_SLOTS)


class HashingBusy(RuntimeError):
    """Too many sign-ins at once: the caller answers 503 "try again"."""


@contextmanager
def password_hash_slot(timeout: float = 20.0) -> Iterator[None]:
    if not _hash_slots.acquire(timeout=timeout):
        raise HashingBusy("too many sign-ins at once")
    try:
        yield
    finally:
        _hash_slots.release()


# --- files --------------------------------------------------------------------------------

PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700


@contextmanager
def private_umask() -> Iterator[None]:
    """Files created inside (database, -wal, -shm, exports, backups) are 0600, folders 0700."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def make_private(path: str | Path) -> None:
    """Tighten an existing file (0600) or folder (0700) to its owner."""
    path = Path(path)
    if not path.exists():
        return
    wanted = PRIVATE_FOLDER if path.is_dir() else PRIVATE_FILE
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(wanted)


def write_private(path: str | Path, data: bytes) -> None:
    """Write an export or backup readable by its owner only (0600, also when it existed)."""
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    with os.fdopen(handle, "wb") as out:
        os.fchmod(out.fileno(), PRIVATE_FILE)
        out.write(data)
