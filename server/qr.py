"""Enrolment QR codes for ODK Collect and KoboCollect (pure Python: segno draws them).

Collect configures a project from a QR code whose text is base64(zlib(JSON settings)) with the
sections `general`, `admin` and `project` (Collect's "Reconfigure with QR code"). Our tablets get
a per-device token URL as server URL (server/openrosa.py), so they sign in over plain http on a
commune LAN as well as over https; the admin section locks the server setting so an enumerator
cannot point the tablet elsewhere by mistake.
"""

from __future__ import annotations

import base64
import io
import json
import zlib
from typing import Any

PROJECT_NAME = "Rà soát hộ nghèo"
PROJECT_COLOR = "#7a1f1f"  # the web UI's header colour: the same project at a glance
PROJECT_ICON = "R"


def token_server_url(base_url: str, token: str) -> str:
    """The per-device server URL Collect is given: `<base>/key/<token>`."""
    return f"{base_url.rstrip('/')}/key/{token}"


def collect_settings(
    server_url: str,
    *,
    username: str = "",
    password: str = "",
    project_name: str = PROJECT_NAME,
    color: str = PROJECT_COLOR,
    icon: str = PROJECT_ICON,
) -> dict[str, Any]:
    """Collect's settings: the server, match_exactly form updates (the tablet keeps exactly the
    forms the server lists, and their media), automatic sending, server change locked."""
    return {
        "general": {
            "server_url": server_url,
            "username": username,
            "password": password,
            "form_update_mode": "match_exactly",
            "periodic_form_updates_check": "every_one_hour",
            "autosend": "wifi_and_cellular",
        },
        "admin": {"change_server": False},
        "project": {"name": project_name, "color": color, "icon": icon},
    }


def enrolment_settings(
    base_url: str, username: str, token: str, *, token_urls: bool = True
) -> dict[str, Any]:
    """A device's settings: its token URL (works over http and https); with token URLs
    switched off (`OPENROSA_TOKEN_URLS = false`), the plain server URL with Basic credentials
    (username, the token as password), which Collect sends only over https."""
    if token_urls:
        return collect_settings(token_server_url(base_url, token), username=username)
    return collect_settings(base_url.rstrip("/"), username=username, password=token)


def encode_settings(settings: dict[str, Any]) -> str:
    """The QR text: base64(zlib(compact JSON)), as Collect reads it."""
    raw = json.dumps(settings, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return base64.b64encode(zlib.compress(raw, 9)).decode("ascii")


def decode_settings(payload: str) -> dict[str, Any]:
    """The settings back from a QR text (tests, and to check a printed code)."""
    return json.loads(zlib.decompress(base64.b64decode(payload)).decode("utf-8"))


def qr_png(payload: str, *, scale: int = 6) -> bytes:
    """The payload as a PNG QR code (error correction M, a quiet zone of 4 modules)."""
    import segno

    buffer = io.BytesIO()
    segno.make_qr(payload, error="m").save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def png_data_uri(png: bytes) -> str:
    """A `data:` URI for an <img> (the CSP allows `img-src 'self' data:`)."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
