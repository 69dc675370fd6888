"""povcensus Collect: the offline web form at /collect/ for enumerators without Android.

A progressive web app (an app shell, a service worker and a web app manifest) that renders the
household questionnaire from `survey_forms` data, keeps drafts and an outbox in the browser's
IndexedDB and sends finalized households over the JSON batch API (`/api/v1`) with the device
token it was enrolled with. Everything it needs ships in this package (static/, templates/);
nothing is fetched from elsewhere. docs/collect.md describes it.

`server.create_app` calls `init_app(app)`, which registers the `collect` blueprint.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the blueprint (pages and static files under /collect/)."""
    from server.collect import views

    app.register_blueprint(views.bp)
