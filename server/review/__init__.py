"""Commune review workflow in the browser (Quyết định 24/2021): queue, household file,
decisions, village meetings, public posting, complaints, recognition, and the audit page.

`server.create_app` calls `init_app(app)`: it registers the `review` blueprint (pages under
`/review/`, and `/` as the home page). The pages are translated through our own flask-babel
domain "review" (`server.review.i18n`; Vietnamese by default, English on request). Tables are added by
`server.review.migrations` (applied by `server.db.upgrade` under the `review.` prefix).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the blueprint and our translations on the app."""
    # steps and paper_views (blank Phiếu B downloads) add their routes to views.bp
    from server.review import paper_views, steps, views  # noqa: F401

    app.register_blueprint(views.bp)
    # numbers and money are formatted by server.format's filters (|num, |vnd, |local_dt ...)
