"""Who is asking, and may they: session login for the web UI, token auth for sync, role checks.

Web pages use `login_required`, `role_required(...)` and `require_commune(code)`; the signed-in
user is `current_user()` (also `g.user`). Machine endpoints (JSON API, OpenRosa) authenticate a
device token (`token_user(token)`) and must not use the session. Commune scope: enumerators and
commune staff see their assigned communes, province and admin users the whole province.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter.errors import RateLimitExceeded
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from server.db import get_db
from server.queries import users as user_queries
from server.queries.users import User
from server.security import THROTTLED_MESSAGE, HashingBusy, throttle_login

bp = Blueprint("auth", __name__)


# --- the current user ---------------------------------------------------------------------


@bp.before_app_request
def _load_session_user() -> None:
    g.user = None
    user_id = session.get("user_id")
    if user_id is None:
        return
    if not _session_current(int(user_id)):
        session.clear()  # revoked (logout, disable, password change) or past its lifetime
        return
    user = user_queries.get_user(get_db(), int(user_id))
    g.user = user if user and user.active else None


def _session_current(user_id: int) -> bool:
    """The cookie's generation is the user's current one and it is within its lifetime (the
    cookie's own expiry is the browser's to keep; a copied cookie is checked here)."""
    generation = user_queries.session_generation(get_db(), user_id)
    if generation is None or session.get("generation") != generation:
        return False
    since = session.get("since")
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    return isinstance(since, int | float) and 0 <= time.time() - since <= lifetime


def current_user() -> User | None:
    """The signed-in (session) or token-authenticated user of this request, or None."""
    return g.get("user")


def commune_scope(user: User | None = None) -> tuple[str, ...]:
    """Commune codes the user may act on (the whole province for province and admin roles)."""
    user = user or current_user()
    if user is None:
        return ()
    return user_queries.commune_scope(get_db(), user, current_app.config["PROVINCE"])


def can_access_commune(code: str, user: User | None = None) -> bool:
    return code in commune_scope(user)


def require_commune(code: str) -> None:
    """Abort with 403 unless the current user may act on this commune."""
    if not can_access_commune(code):
        abort(403)


def login_required(view: Callable) -> Callable:
    """Web views: redirect to the login page when nobody is signed in."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any):
        if current_user() is None:
            return redirect(url_for("auth.login", next=request.full_path))
        return view(*args, **kwargs)

    return wrapped


def role_required(*roles: str) -> Callable[[Callable], Callable]:
    """Web views: signed in and holding one of these roles (`admin` always passes), else 403."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any):
            if current_user().role not in roles and current_user().role != "admin":
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def token_user(token: str) -> User | None:
    """The user owning an active device token (sets nothing; callers decide what to do)."""
    return user_queries.user_for_token(get_db(), token)


# --- login / logout -----------------------------------------------------------------------


class LoginForm(FlaskForm):
    username = StringField("Tên đăng nhập / Username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Mật khẩu / Password", validators=[DataRequired(), Length(max=256)])


# Control characters, whitespace and backslashes: browsers drop or reinterpret them in URLs.
_UNSAFE_IN_PATH = re.compile(r"[\x00-\x20\x7f\\]")


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never redirect to another host after login (`//host`, `/\\host`,
    `/<tab>/host`, `https:…`, and their percent-encoded forms are refused)."""
    if is_safe_path(target):
        return target
    return url_for("index")


def is_safe_path(target: str | None) -> bool:
    """True for a path on this site ("/review/c/18496/?page=2"), False for anything a browser
    could read as another host or scheme."""
    if not target or len(target) > 2048 or not target.startswith("/"):
        return False
    decoded = target
    for _ in range(3):  # %252F → %2F → /
        decoded = unquote(decoded)
    for text in (target, decoded):
        if _UNSAFE_IN_PATH.search(text) or text.startswith("//"):
            return False
        parts = urlsplit(text)
        if parts.scheme or parts.netloc:
            return False
    return True


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        db = get_db()
        try:
            user = user_queries.authenticate_password(db, form.username.data, form.password.data)
        except HashingBusy:
            flash(
                "Máy chủ đang bận, vui lòng thử lại sau ít phút. / The server is busy, please"
                " try again in a minute.",
                "error",
            )
            return render_template("auth/login.html", form=form), 503
        user_queries.audit(
            db,
            "login" if user else "login_failed",
            user_id=user.id if user else None,
            target=form.username.data,
            ip=request.remote_addr,
        )
        if user is not None:
            session.clear()
            session.permanent = True  # expires after SESSION_LIFETIME_HOURS
            session["user_id"] = user.id
            session["generation"] = user_queries.session_generation(db, user.id)
            session["since"] = int(time.time())
            return redirect(_safe_next(request.args.get("next")))
        flash("Sai tên đăng nhập hoặc mật khẩu. / Wrong username or password.", "error")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    if current_user() is not None:
        user_queries.end_sessions(get_db(), current_user().id)  # copies of the cookie too
        user_queries.audit(get_db(), "logout", user_id=current_user().id, ip=request.remote_addr)
    session.clear()
    return redirect(url_for("auth.login"))


@bp.record_once
def _throttle(state) -> None:
    """Sign-in throttling (server.security); registered after the login view above."""
    throttle_login(state.app, "auth.login")


@bp.app_errorhandler(RateLimitExceeded)
def _throttled(error: RateLimitExceeded):
    """429 with the reason in Vietnamese and English on the login page (Retry-After is set
    by Flask-Limiter)."""
    if request.endpoint != "auth.login":
        return error
    user_queries.audit(
        get_db(),
        "login_throttled",
        target=(request.form.get("username") or "")[:64],
        details={"limit": str(error.limit.limit)},
        ip=request.remote_addr,
    )
    flash(THROTTLED_MESSAGE, "error")
    return render_template("auth/login.html", form=LoginForm()), 429
