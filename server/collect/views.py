"""Collect pages: the app shell, its service worker, manifest and questionnaire, and the
enrolment page where an admin or commune head issues a device token as a link and QR code.

The app shell and everything the service worker caches hold no user data: the device token is
kept by the browser (IndexedDB) and sent only as `Authorization: Bearer` to the JSON API.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import segno
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from server.auth import commune_scope, current_user, role_required
from server.collect.questionnaire_json import questionnaire_document
from server.db import get_db
from server.queries import users as user_queries

STATIC = Path(__file__).parent / "static"
bp = Blueprint(
    "collect",
    __name__,
    url_prefix="/collect",
    static_folder="static",
    static_url_path="/static",
    template_folder="templates",
)
# What the service worker caches for offline use (besides the shell page itself).
SHELL_FILES = sorted(
    path.name for path in STATIC.iterdir() if path.is_file() and path.name != "sw.js"
)


# Same-origin files only: no inline script or style, nothing from another site. (A site-wide
# policy set later by the app takes precedence if it overwrites this one.)
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


@bp.after_request
def _headers(response: Response) -> Response:
    # The enrolment link's token lives in the URL fragment, which browsers never send; this
    # also keeps the page's own address out of any Referer header.
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    return response


@bp.get("/")
def app_shell():
    """The app shell: static HTML, same for everyone (the service worker caches it)."""
    response = Response(render_template("collect/app.html", version=shell_version()))
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/questionnaire.json")
def questionnaire():
    """The household questionnaire generated from survey_forms, for this server's province."""
    response = Response(
        _questionnaire_bytes(current_app.config["PROVINCE"]), mimetype="application/json"
    )
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/sw.js")
def service_worker():
    """The service worker, served from /collect/ so that its scope covers the whole app."""
    shell = [
        url_for("collect.app_shell"),
        url_for("collect.questionnaire"),
        url_for("collect.manifest"),
    ]
    shell += [url_for("collect.static", filename=name) for name in SHELL_FILES]
    head = f"const VERSION = {json.dumps(shell_version())};\nconst SHELL = {json.dumps(shell)};\n"
    body = head + (STATIC / "sw.js").read_text("utf-8")
    response = Response(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = url_for("collect.app_shell")
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    document = {
        "name": "povcensus Collect — Rà soát hộ nghèo",
        "short_name": "Rà soát hộ",
        "lang": "vi",
        "start_url": url_for("collect.app_shell"),
        "scope": url_for("collect.app_shell"),
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#7a1f1f",
        "icons": [
            {
                "src": url_for("collect.static", filename=f"icon-{size}.png"),
                "sizes": f"{size}x{size}",
                "type": "image/png",
                "purpose": "any maskable",
            }
            for size in (192, 512)
        ],
    }
    return Response(json.dumps(document, ensure_ascii=False), mimetype="application/manifest+json")


def shell_version() -> str:
    """A hash of everything the app consists of: a new version makes the service worker
    install afresh (and drop the old cache) after the server is upgraded."""
    return _shell_version(current_app.config["PROVINCE"])


@lru_cache(maxsize=4)
def _shell_version(province: str) -> str:
    digest = hashlib.sha256(_questionnaire_bytes(province))
    for path in sorted(STATIC.iterdir()) + sorted((Path(__file__).parent / "templates").rglob("*")):
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


@lru_cache(maxsize=4)
def _questionnaire_bytes(province: str) -> bytes:
    return json.dumps(questionnaire_document(province), ensure_ascii=False).encode()


# --- enrolment --------------------------------------------------------------------------------


class EnrolForm(FlaskForm):
    username = SelectField("Rà soát viên / Enumerator", validators=[DataRequired()])
    device = StringField("Tên thiết bị / Device name", validators=[DataRequired(), Length(max=64)])
    days = IntegerField(
        "Hiệu lực (ngày, để trống: đến khi thu hồi) / Valid for (days, empty: until revoked)",
        validators=[Optional(), NumberRange(min=1, max=3650)],
    )


def enrollable_users() -> list[user_queries.User]:
    """Active enumerators (and commune staff) the signed-in person may enrol a device for:
    an admin anyone of them, a commune head those whose communes all lie in their own."""
    me = current_user()
    scope = set(commune_scope(me))
    people = []
    for user in user_queries.list_users(get_db()):
        if not user.active or user.role not in ("enumerator", "commune"):
            continue
        if me.role == "admin" or (user.communes and set(user.communes) <= scope):
            people.append(user)
    return people


@bp.route("/enrol", methods=["GET", "POST"])
@role_required("commune")
def enrol():
    """Issue a device token for an enumerator, shown once as a link and a QR code."""
    people = enrollable_users()
    form = EnrolForm()
    form.username.choices = [
        (u.username, f"{u.display_name or u.username} ({u.username}; {', '.join(u.communes)})")
        for u in people
    ]
    issued: dict[str, Any] | None = None
    if form.validate_on_submit():
        allowed = {user.username for user in people}
        if form.username.data not in allowed:  # checked on the stored user, not the form
            abort(403)
        db = get_db()
        device_id, token = user_queries.issue_token(
            db, form.username.data, form.device.data.strip(), days=form.days.data
        )
        user_queries.audit(
            db,
            "token_issue",
            user_id=current_user().id,
            target=form.username.data,
            details={"device_id": device_id, "via": "collect"},
            ip=request.remote_addr,
        )
        link = url_for("collect.app_shell", _external=True) + "#enrol=" + token
        issued = {
            "username": form.username.data,
            "device": form.device.data.strip(),
            "device_id": device_id,
            "link": link,
            "qr": Markup(segno.make(link, error="m").svg_inline(scale=4, light="#fff", title="QR")),
        }
    response = Response(render_template("collect/enrol.html", form=form, issued=issued))
    response.headers["Cache-Control"] = "no-store"  # the token is on this page
    return response
