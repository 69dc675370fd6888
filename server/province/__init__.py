"""Province view: dashboard (map, commune table, round comparison), official tables, exports.

`server.create_app` calls `init_app(app)`: it registers the `province` blueprint (pages under
`/province/`) and adds this package's translation catalog to flask-babel's directories
(Vietnamese by default, English on request). Tables are added by `server.province.migrations`
(applied by `server.db.upgrade` under the `province.` prefix).
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def init_app(app: Flask) -> None:
    """Register the blueprint and our translations on the app."""
    from server.province import views

    app.register_blueprint(views.bp)
    babel = app.extensions.get("babel")
    if babel is not None and str(TRANSLATIONS) not in babel.translation_directories:
        babel.translation_directories.append(str(TRANSLATIONS))
