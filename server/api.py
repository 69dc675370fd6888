"""The JSON sync API under /api/v1 (wire format: offline_sync.protocol)."""

from __future__ import annotations

from flask import Blueprint

from offline_sync.protocol import API_PREFIX

bp = Blueprint("api", __name__, url_prefix=API_PREFIX)
