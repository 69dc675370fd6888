"""Commune review workflow in the browser (Quyết định 24/2021): queue, household file,
decisions, village meetings, public posting, complaints, recognition, and the audit page.

`server.create_app` calls `init_app(app)`: it registers the `review` blueprint (pages under
`/review/`, and `/` as the home page). The pages are translated through our own flask-babel
domain "review" (`server.review.i18n`; Vietnamese by default, English on request). Tables are added by
`server.review.migrations` (applied by `server.db.upgrade` under the `review.` prefix).
"""

from __future__ import annotations

from flask import Flask, current_app, g, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


def init_app(app: Flask) -> None:
    """Register the blueprint and our translations on the app."""
    # homes, steps and paper_views (blank Phiếu B downloads) add their routes to views.bp
    from server.review import homes, paper_views, steps, views  # noqa: F401

    app.register_blueprint(views.bp)
    # numbers and money are formatted by server.format's filters (|num, |vnd, |local_dt ...)
    app.register_error_handler(CSRFError, show_form_again)


# Pages whose forms are shown again, as typed, when their CSRF token expired or was invalid.
RESUBMITTABLE = ("review", "auth")


def show_form_again(error: CSRFError):
    """A form sent with an expired or invalid CSRF token is not lost: the same view runs again
    with `g.csrf_failed` set; its form then fails validation (nothing is written) and the view
    shows the page with what was typed, a fresh token and a message saying so (base.html).
    Views that would only redirect get the plain 400 page instead."""
    from server.web_errors import error_page

    view = current_app.view_functions.get(request.endpoint or "")
    if request.method != "POST" or view is None or request.blueprint not in RESUBMITTABLE:
        return error_page(error)
    g.csrf_failed = True
    if "user" not in g:  # CSRF is checked before the session's user is loaded
        from server.auth import _load_session_user

        _load_session_user()
    try:
        response = current_app.make_response(view(**(request.view_args or {})))
    except HTTPException:  # the view refuses anyway (403, 404): the plain CSRF answer
        return error_page(error)
    if response.status_code in (200, 400, 422):
        response.status_code = 400
        return response
    return error_page(error)
