"""Enrolment by QR code: the payload Collect reads, decoded by a real QR reader (zxing-cpp),
the CLI, and the enrolment pages — every role × own and foreign commune, CSRF, shown once."""

from __future__ import annotations

import base64
import io
import re
import time

import pytest
from click.testing import CliRunner

OWN, FOREIGN = "18496", "18502"


def read_qr(png: bytes) -> str:
    """Decode a PNG with zxing-cpp (a real QR reader, not our encoder run backwards)."""
    import zxingcpp
    from PIL import Image

    # Only QR codes: with every format enabled, zxing-cpp now and then also reports a spurious
    # second symbol (seen once in CI) inside a QR image's modules.
    found = zxingcpp.read_barcodes(
        Image.open(io.BytesIO(png)), formats=zxingcpp.BarcodeFormat.QRCode
    )
    texts = {symbol.text for symbol in found}
    assert len(texts) == 1, f"expected one QR code, read {len(found)}: {texts}"
    return texts.pop()


def test_payload_is_base64_zlib_json_that_collect_reads():
    import json
    import zlib

    from server import qr

    settings = qr.collect_settings(
        qr.token_server_url("http://192.168.1.10:8000/", "pvc_abc"), username="rsv-0012"
    )
    payload = qr.encode_settings(settings)
    assert json.loads(zlib.decompress(base64.b64decode(payload))) == settings
    assert qr.decode_settings(payload) == settings
    general = settings["general"]
    assert general["server_url"] == "http://192.168.1.10:8000/key/pvc_abc"
    assert general["form_update_mode"] == "match_exactly"
    assert general["autosend"] == "wifi_and_cellular"
    assert settings["admin"] == {"change_server": False}
    assert {"name", "color", "icon"} <= set(settings["project"])


def test_png_decodes_with_a_real_qr_reader_to_the_same_payload():
    from server import qr

    token = "pvc_" + "x" * 43  # the size of a real token
    payload = qr.encode_settings(
        qr.collect_settings(qr.token_server_url("https://rasoat.example.vn", token), username="u")
    )
    assert read_qr(qr.qr_png(payload)) == payload


def test_cli_writes_a_qr_code_whose_token_url_signs_in(app, db, make_user, tmp_path):
    from povcensus.cli import main
    from server import qr
    from server.queries.users import user_for_token

    make_user("rsv-0012")
    png = tmp_path / "tablet-07.png"
    database = app.config["DATABASE"]
    args = ["tokens", "issue", "rsv-0012", "--device", "tablet-07", "--db", database]
    refused = CliRunner().invoke(main, [*args, "--qr", str(png)])
    assert refused.exit_code != 0 and "PUBLIC_URL" in refused.output and not png.exists()
    result = CliRunner().invoke(main, [*args, "--qr", str(png), "--url", "http://10.0.0.5:8000"])
    assert result.exit_code == 0, result.output
    token = next(line for line in result.output.splitlines() if line.startswith("pvc_"))
    settings = qr.decode_settings(read_qr(png.read_bytes()))
    assert settings["general"]["server_url"] == f"http://10.0.0.5:8000/key/{token}"
    assert settings["general"]["username"] == "rsv-0012"
    assert user_for_token(db, token).device_name == "tablet-07"


# --- the enrolment pages ----------------------------------------------------------------------


@pytest.fixture
def people(make_user):
    return {
        "admin": make_user("admin-1", role="admin", communes=(), password=None),
        "province": make_user("tinh-1", role="province", communes=(), password=None),
        "head_own": make_user("xa-own", role="commune", communes=(OWN,), password=None),
        "head_foreign": make_user("xa-foreign", role="commune", communes=(FOREIGN,), password=None),
        "enum_own": make_user("dtv-own", role="enumerator", communes=(OWN,), password=None),
        "enum_foreign": make_user(
            "dtv-foreign", role="enumerator", communes=(FOREIGN,), password=None
        ),
    }


def _as(client, user) -> None:
    """Sign in as `user` the way server/auth.py's login does (user, generation, time)."""
    from server.db import get_db
    from server.queries.users import session_generation

    with client.application.app_context():
        generation = session_generation(get_db(), user.id) if user is not None else None
    with client.session_transaction() as session:
        session.clear()
        if user is not None:
            session.update(user_id=user.id, generation=generation, since=int(time.time()))


def _devices(db) -> int:
    return db.execute("SELECT count(*) FROM devices").fetchone()[0]


# (actor, request, expected status)
MATRIX = [
    ("admin", ("GET", "/devices/enrol", {}), 200),
    ("admin", ("POST", "/devices/enrol", {"username": "dtv-own"}), 200),
    ("admin", ("POST", "/devices/enrol", {"username": "dtv-foreign"}), 200),
    ("admin", ("POST", "/devices/sheet", {"commune": FOREIGN}), 200),
    ("head_own", ("GET", "/devices/enrol", {}), 200),
    ("head_own", ("POST", "/devices/enrol", {"username": "dtv-own"}), 200),
    ("head_own", ("POST", "/devices/enrol", {"username": "dtv-foreign"}), 403),
    ("head_own", ("POST", "/devices/enrol", {"username": "xa-own"}), 403),  # not an enumerator
    ("head_own", ("POST", "/devices/sheet", {"commune": OWN}), 200),
    ("head_own", ("POST", "/devices/sheet", {"commune": FOREIGN}), 403),
    ("head_foreign", ("POST", "/devices/enrol", {"username": "dtv-own"}), 403),
    ("province", ("GET", "/devices/enrol", {}), 403),
    ("province", ("POST", "/devices/enrol", {"username": "dtv-own"}), 403),
    ("province", ("POST", "/devices/sheet", {"commune": OWN}), 403),
    ("enum_own", ("GET", "/devices/enrol", {}), 403),
    ("enum_own", ("POST", "/devices/enrol", {"username": "dtv-own"}), 403),
    ("enum_own", ("POST", "/devices/sheet", {"commune": OWN}), 403),
    (None, ("GET", "/devices/enrol", {}), 302),
    (None, ("POST", "/devices/enrol", {"username": "dtv-own"}), 302),
    (None, ("POST", "/devices/sheet", {"commune": OWN}), 302),
]


@pytest.mark.parametrize(("actor", "call", "status"), MATRIX)
def test_enrolment_is_role_and_commune_scoped(client, db, people, actor, call, status):
    method, url, form = call
    _as(client, people.get(actor))
    before = _devices(db)
    answer = client.open(url, method=method, data=form)
    assert answer.status_code == status, answer.data[:300]
    issued = _devices(db) - before
    if method == "POST" and status == 200:
        assert issued >= 1
    else:
        assert issued == 0  # a refused request, or a GET, never creates a token


def test_the_issued_page_shows_a_scannable_token_url_once(client, db, people):
    from server import qr
    from server.queries.users import user_for_token

    _as(client, people["head_own"])
    page = client.post(
        "/devices/enrol", data={"username": "dtv-own", "device": "<b>may-07</b>"}
    ).data.decode()
    assert "&lt;b&gt;may-07&lt;/b&gt;" in page and "<b>may-07" not in page  # escaped
    (uri,) = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    settings = qr.decode_settings(read_qr(base64.b64decode(uri)))
    url = settings["general"]["server_url"]
    assert url.startswith("http://localhost/key/pvc_")
    token = url.rsplit("/", 1)[-1]
    assert token in page and user_for_token(db, token).username == "dtv-own"
    # no inline script but the layout's own, which carries this response's CSP nonce
    assert all("nonce=" in tag for tag in re.findall(r"<script[^>]*>", page))
    assert token not in client.get("/devices/enrol").data.decode()  # shown once


def test_the_commune_sheet_has_one_code_per_enumerator_of_that_commune(
    client, db, people, make_user
):
    from server import qr

    make_user("dtv-own-2", role="enumerator", communes=(OWN, FOREIGN), password=None)
    make_user("dtv-off", role="enumerator", communes=(OWN,), password=None)
    from server.queries.users import set_active

    set_active(db, "dtv-off", False)
    _as(client, people["head_own"])
    page = client.post("/devices/sheet", data={"commune": OWN}).data.decode()
    names = []
    for uri in re.findall(r'src="data:image/png;base64,([^"]+)"', page):
        names.append(qr.decode_settings(read_qr(base64.b64decode(uri)))["general"]["username"])
    assert sorted(names) == ["dtv-own", "dtv-own-2"]  # not the foreign one, not the disabled one


def test_without_token_urls_the_code_carries_basic_credentials(client, app, people):
    from server import qr

    app.config.update(OPENROSA_TOKEN_URLS=False, PUBLIC_URL="https://rasoat.example.vn")
    _as(client, people["admin"])
    page = client.post("/devices/enrol", data={"username": "dtv-own"}).data.decode()
    (uri,) = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    general = qr.decode_settings(read_qr(base64.b64decode(uri)))["general"]
    assert general["server_url"] == "https://rasoat.example.vn"
    assert general["username"] == "dtv-own" and general["password"].startswith("pvc_")
    assert general["password"] in page


def test_public_url_is_used_in_the_codes(client, app, people):
    from server import qr

    app.config["PUBLIC_URL"] = "https://rasoat.example.vn/"
    _as(client, people["admin"])
    page = client.post("/devices/enrol", data={"username": "dtv-own"}).data.decode()
    (uri,) = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    url = qr.decode_settings(read_qr(base64.b64decode(uri)))["general"]["server_url"]
    assert url.startswith("https://rasoat.example.vn/key/pvc_")


def test_enrolment_posts_need_the_csrf_token(tmp_path):
    from conftest import _test_config

    from server import create_app
    from server.db import forget_thread_connections, open_app_db
    from server.queries.users import create_user

    app = create_app(
        {**_test_config(tmp_path / "c.sqlite3"), "WTF_CSRF_ENABLED": True},
        instance_path=str(tmp_path),
    )
    db = open_app_db(app)
    admin = create_user(db, "admin-c", role="admin")
    create_user(db, "dtv-c", role="enumerator", communes=[OWN])
    client = app.test_client()
    _as(client, admin)
    assert client.post("/devices/enrol", data={"username": "dtv-c"}).status_code == 400
    assert _devices(db) == 0
    db.conn.close()
    forget_thread_connections()
