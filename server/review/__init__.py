"""Commune review workflow in the browser (Quyết định 24/2021): queue, household file,
decisions, village meetings, public posting, complaints, recognition, and the audit page.

`server.create_app` calls `init_app(app)`: it registers the `review` blueprint (pages under
`/review/`, and `/` as the home page) and adds this package's translation catalog to
flask-babel's directories (Vietnamese by default, English on request). Tables are added by
`server.review.migrations` (applied by `server.db.upgrade` under the `review.` prefix).
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def init_app(app: Flask) -> None:
    """Register the blueprint and our translations on the app."""
    from server.review import steps, views  # noqa: F401  (steps adds its routes to views.bp)

    app.register_blueprint(views.bp)
    babel = app.extensions.get("babel")
    if babel is not None and str(TRANSLATIONS) not in babel.translation_directories:
        babel.translation_directories.append(str(TRANSLATIONS))
    app.jinja_env.filters.setdefault("vnd", format_vnd)


def format_vnd(value) -> str:
    """12 345 678 → "12.345.678" (Vietnamese thousands separator); None → "—"."""
    if value is None:
        return "—"
    try:
        return f"{round(float(value)):,}".replace(",", ".")
    except (TypeError, ValueError):
        return str(value)
