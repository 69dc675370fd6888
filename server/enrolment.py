"""Enrol tablets by QR code: an admin, or a commune head for the enumerators of his communes,
issues a device token and shows it once as a QR code ODK Collect / KoboCollect scans.

Pages (docs/tablets.md):
- `GET /devices/enrol` — the enumerators this user may enrol, and the communes he may print for;
- `POST /devices/enrol` — issue a token for one enumerator's tablet; the QR code and the token
  are shown once (only the token's hash is stored);
- `POST /devices/sheet` — one printable sheet of QR codes for every active enumerator of a
  commune (a new token for each).

Issuing is a POST (CSRF-protected): a GET never creates a token. The QR images are `data:`
URIs (same page, no inline script): the content security policy allows `img-src 'self' data:`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template, request

from server import qr
from server.auth import current_user, role_required
from server.db import get_db
from server.queries import users as user_queries
from server.queries.users import User

bp = Blueprint("enrolment", __name__, url_prefix="/devices")

ENROLLING_ROLES = ("commune",)  # and admin (role_required lets admin through)


def enrollable_enumerators(actor: User) -> list[User]:
    """Active enumerators the actor may enrol: all for an admin; for a commune head, those
    assigned to at least one of his communes."""
    enumerators = [
        user
        for user in user_queries.list_users(get_db())
        if user.role == "enumerator" and user.active
    ]
    if actor.role == "admin":
        return enumerators
    mine = set(actor.communes)
    return [user for user in enumerators if mine & set(user.communes)]


def enrollable_communes(actor: User) -> list[dict[str, Any]]:
    """Communes whose sheet the actor may print (code, name)."""
    db = get_db()
    if actor.role == "admin":
        codes = user_queries.province_communes(db, current_app.config["PROVINCE"])
    else:
        codes = actor.communes
    names = dict(db.execute("SELECT code, name FROM communes").fetchall())
    return [{"code": code, "name": names.get(code, code)} for code in codes]


def base_url() -> str:
    """Where tablets reach this server: PUBLIC_URL, else this page's scheme and host."""
    public = current_app.config.get("PUBLIC_URL")
    return str(public).rstrip("/") if public else request.host_url.rstrip("/")


def enrol(actor: User, enumerator: User, device_name: str) -> dict[str, Any]:
    """Issue a token for the enumerator's device and build its QR code (audited)."""
    db = get_db()
    device_id, token = user_queries.issue_token(db, enumerator.username, device_name)
    user_queries.audit(
        db,
        "token_issue",
        user_id=actor.id,
        target=enumerator.username,
        details={"device_id": device_id, "via": "qr"},
        ip=request.remote_addr,
    )
    settings = qr.enrolment_settings(
        base_url(),
        enumerator.username,
        token,
        token_urls=bool(current_app.config["OPENROSA_TOKEN_URLS"]),
    )
    return {
        "user": enumerator,
        "device_id": device_id,
        "device_name": device_name,
        "token": token,
        "qr": qr.png_data_uri(qr.qr_png(qr.encode_settings(settings))),
    }


@bp.get("/enrol")
@role_required(*ENROLLING_ROLES)
def enrol_page():
    actor = current_user()
    return render_template(
        "enrolment/enrol.html",
        enumerators=enrollable_enumerators(actor),
        communes=enrollable_communes(actor),
    )


@bp.post("/enrol")
@role_required(*ENROLLING_ROLES)
def enrol_device():
    actor = current_user()
    username = request.form.get("username", "")
    allowed = {user.username: user for user in enrollable_enumerators(actor)}
    if username not in allowed:  # checked on the stored user, not on what the form offered
        abort(403)
    device_name = (request.form.get("device") or "").strip()[:64] or f"may-{username}"
    return render_template(
        "enrolment/issued.html", issued=[enrol(actor, allowed[username], device_name)]
    )


@bp.post("/sheet")
@role_required(*ENROLLING_ROLES)
def commune_sheet():
    actor = current_user()
    code = request.form.get("commune", "")
    if code not in {c["code"] for c in enrollable_communes(actor)}:
        abort(403)
    commune = next(c for c in enrollable_communes(actor) if c["code"] == code)
    enumerators = [user for user in enrollable_enumerators(actor) if code in user.communes]
    issued = [enrol(actor, user, f"may-{user.username}") for user in enumerators]
    return render_template("enrolment/issued.html", issued=issued, commune=commune)
