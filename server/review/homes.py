"""Where each role lands after signing in, and the pages no role should dead-end on:
the enumerator's page (assignments, returned households, setting up the tablet), the
administrator's page (users, device tokens, rounds) and a sign-out page for `GET /logout`.

`/` sends each role to its home: enumerator → `/review/me`, commune staff → the review home
(their commune's queue), province → the province dashboard, admin → `/review/admin`.
"""

from __future__ import annotations

from flask import current_app, render_template, request, url_for

from server.auth import commune_scope, current_user, login_required
from server.db import get_db
from server.queries import review_home
from server.review.i18n import lazy_gettext as _l
from server.review.views import bp, current_round

ROLE_NAMES = {
    "enumerator": _l("Enumerator"),
    "commune": _l("Commune staff"),
    "province": _l("Province staff"),
    "admin": _l("Administrator"),
}


def role_home(role: str) -> str:
    """The URL of a role's first page."""
    if role == "enumerator":
        return url_for("review.enumerator_home")
    if role == "province" and "province.dashboard" in current_app.view_functions:
        return url_for("province.dashboard")
    if role == "admin":
        return url_for("review.admin_home")
    return url_for("review.home")


@bp.get("/me")
@login_required
def enumerator_home():
    """The enumerator's page: what to survey, what came back, how to set up the tablet."""
    user = current_user()
    review_round = current_round()
    data = review_home.enumerator_home(
        get_db(), review_round["id"] if review_round else None, commune_scope(user)
    )
    return render_template(
        "review/enumerator.html",
        review_round=review_round,
        data=data,
        server_url=request.host_url,
    )


@bp.get("/admin")
@login_required
def admin_home():
    from flask import abort

    if current_user().role != "admin":
        abort(403)
    return render_template(
        "review/admin.html",
        data=review_home.admin_overview(get_db()),
        review_round=None,
        role_names=ROLE_NAMES,
    )


def logout_page():
    """`GET /logout` (a link, a bookmark): a page with the sign-out button, not a 405."""
    return render_template("review/logout.html")


@bp.record_once
def _app_rules(state) -> None:
    state.app.add_url_rule("/logout", "logout_page", logout_page, methods=["GET"])
