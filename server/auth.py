"""Who is asking, and may they: session login for the web UI, token auth for sync, role checks.

Web pages use `login_required`, `role_required(...)` and `require_commune(code)`; the signed-in
user is `current_user()` (also `g.user`). Machine endpoints (JSON API, OpenRosa) authenticate a
device token (`token_user(token)`) and must not use the session. Commune scope: enumerators and
commune staff see their assigned communes, province and admin users the whole province.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

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
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from server.db import get_db
from server.queries import users as user_queries
from server.queries.users import User

bp = Blueprint("auth", __name__)


# --- the current user ---------------------------------------------------------------------


@bp.before_app_request
def _load_session_user() -> None:
    g.user = None
    user_id = session.get("user_id")
    if user_id is not None:
        user = user_queries.get_user(get_db(), int(user_id))
        g.user = user if user and user.active else None


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


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths: never redirect to another host after login."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        db = get_db()
        user = user_queries.authenticate_password(db, form.username.data, form.password.data)
        user_queries.audit(
            db,
            "login" if user else "login_failed",
            user_id=user.id if user else None,
            target=form.username.data,
            ip=request.remote_addr,
        )
        if user is not None:
            session.clear()
            session["user_id"] = user.id
            return redirect(_safe_next(request.args.get("next")))
        flash("Sai tên đăng nhập hoặc mật khẩu. / Wrong username or password.", "error")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    if current_user() is not None:
        user_queries.audit(get_db(), "logout", user_id=current_user().id, ip=request.remote_addr)
    session.clear()
    return redirect(url_for("auth.login"))
