"""OpenRosa endpoints for ODK Collect / KoboCollect / Enketo."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("openrosa", __name__)
