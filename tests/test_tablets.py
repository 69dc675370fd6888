"""Tablets in the field (docs/tablets.md): ODK Collect's own request sequence and auth rules
against the two deployments — plain http with a per-device token URL, and HTTPS through a
TLS-terminating reverse proxy the server trusts — plus logs, form versions, bounded answers."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import javarosa_fill
import pytest
import requests
from collect_replay import (
    CollectClient,
    Served,
    TlsProxy,
    free_port,
    self_signed_certificate,
)
from conftest import _test_config, example_household, new_household_id, start_live_server

FORM_ID = "povcensus_household"
PICKER = "/povcensus_household/previous_household"


def instance_xml(record: dict, instance_id: str | None = None, version: str | None = None) -> bytes:
    from survey_forms.xform import household_to_instance

    xml = household_to_instance(record, instance_id=instance_id or f"uuid:{uuid.uuid4()}")
    if version is not None:
        xml = xml.replace(b'version="2026.1"', f'version="{version}"'.encode(), 1)
    return xml


def new_record(commune: str = "18496") -> dict:
    return example_household(household_id=new_household_id(commune), commune_code=commune)


def download_and_fill(collect: CollectClient, record: dict, javarosa) -> tuple[dict, bytes]:
    """formList → download (md5 checked) → manifest (every media file fetched, md5 checked) →
    the downloaded form filled by JavaRosa with the record's answers ("new household")."""
    (form,) = collect.form_list()
    xform = collect.get(form["downloadUrl"])
    assert xform.status_code == 200
    assert form["hash"] == "md5:" + hashlib.md5(xform.content).hexdigest()
    media = {}
    for item in collect.manifest(form["manifestUrl"]):
        answer = collect.get(item["downloadUrl"])
        assert answer.status_code == 200
        assert item["hash"] == "md5:" + hashlib.md5(answer.content).hexdigest()
        media[item["filename"]] = answer.content
    xml = javarosa(xform.content, media, instance_xml(record), {PICKER: "new"})
    return form, xml


@pytest.fixture(scope="module")
def javarosa(tmp_path_factory):
    return javarosa_fill.make_filler(tmp_path_factory)


@pytest.fixture(scope="module")
def lan_server(tmp_path_factory):
    """Deployment (a): the server on the commune office LAN over plain http."""
    server = start_live_server(tmp_path_factory.mktemp("lan"))
    server.open_round()
    yield server
    server.stop()


# --- (a) plain http, token URL ------------------------------------------------------------------


def test_http_token_url_runs_collects_whole_sequence(lan_server, javarosa):
    username, token = lan_server.enumerator(communes=("18496",))
    server_url = f"{lan_server.url}/key/{token}"
    # Collect holds a username and password too, but over http it never sends them
    collect = CollectClient(server_url, username, token)
    record = new_record()
    form, xml = download_and_fill(collect, record, javarosa)
    assert form["formID"] == FORM_ID
    for key in ("downloadUrl", "manifestUrl"):  # every absolute URL stays under the token URL
        assert form[key].startswith(server_url + "/"), form[key]
    assert collect.submit(xml).status_code == 201
    assert collect.submit(xml).status_code == 202  # Collect's retry after a lost answer
    assert all(not sent_auth for *_rest, sent_auth in collect.log)
    assert all(status != 401 for _m, _u, status, _a in collect.log)
    stored = lan_server.db().execute(
        "SELECT unpacked(record) FROM households WHERE household_id = ?", [record["household_id"]]
    )
    # the form also asks each member's optional citizen id: unanswered, it is stored as None
    members = json.loads(stored.fetchone()[0])["members"]
    assert [
        {k: v for k, v in m.items() if k in sent}
        for m, sent in zip(members, record["members"], strict=True)
    ] == record["members"]
    assert all(m.get("citizen_id") is None for m in members)
    collect.close()


def test_http_basic_cannot_sign_in_which_is_why_token_urls_exist(lan_server):
    username, token = lan_server.enumerator()
    collect = CollectClient(lan_server.url, username, token)
    answer = collect.get(lan_server.url + "/formList")
    assert answer.status_code == 401  # challenged, and Collect will not answer over http
    assert collect.log == [("GET", lan_server.url + "/formList", 401, False)]
    collect.close()


def test_revoking_the_token_or_disabling_the_user_stops_it_at_once(lan_server):
    from server.queries.users import issue_token, revoke_token, set_active

    user = lan_server.user()
    device_id, token = issue_token(lan_server.db(), user.username, "tablet-a")
    collect = CollectClient(f"{lan_server.url}/key/{token}")
    assert collect.get(collect.server_url + "/formList").status_code == 200
    revoke_token(lan_server.db(), device_id)
    for method, path in (("GET", "/formList"), ("HEAD", "/submission")):
        answer = collect.request(method, collect.server_url + path)
        assert answer.status_code == 403 and "WWW-Authenticate" not in answer.headers
    _other_id, other = issue_token(lan_server.db(), user.username, "tablet-b")
    second = CollectClient(f"{lan_server.url}/key/{other}")
    assert second.get(second.server_url + "/formList").status_code == 200
    set_active(lan_server.db(), user.username, False)
    assert second.get(second.server_url + "/formList").status_code == 403
    wrong = CollectClient(f"{lan_server.url}/key/pvc_not-a-token")
    assert "quét lại mã QR" in wrong.get(wrong.server_url + "/formList").text
    for client in (collect, second, wrong):
        client.close()


def test_a_token_url_never_reaches_another_communes_household(lan_server, javarosa):
    _username, token = lan_server.enumerator(communes=("18496",))
    collect = CollectClient(f"{lan_server.url}/key/{token}")
    _form, xml = download_and_fill(collect, new_record("18502"), javarosa)
    answer = collect.submit(xml)
    assert answer.status_code == 403 and "18502" in answer.text
    collect.close()


# --- (b) HTTPS through a TLS-terminating proxy ------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


def _served_behind_proxy(lan_server, certificate, *options):
    server = Served(lan_server.directory, lan_server.database, *options)
    cert, key = certificate
    return server, TlsProxy(server.url, cert, key).start()


def test_https_proxy_with_basic_auth_runs_collects_whole_sequence(
    lan_server, certificate, javarosa
):
    server, proxy = _served_behind_proxy(lan_server, certificate, "--trusted-proxy", "127.0.0.1")
    try:
        username, token = lan_server.enumerator(communes=("18496",))
        collect = CollectClient(proxy.url, username, token, verify=str(certificate[0]))
        record = new_record()
        form, xml = download_and_fill(collect, record, javarosa)
        # the proxy's scheme and host, not waitress' http://127.0.0.1:<port>
        assert form["downloadUrl"].startswith(proxy.url + "/forms/")
        assert form["manifestUrl"].startswith(proxy.url + "/forms/")
        assert collect.submit(xml).status_code == 201
        # Basic only after the first challenge, then pre-emptively to that host
        assert collect.log[0][2:] == (401, False) and collect.log[1][2:] == (200, True)
        assert all(sent for _m, url, _s, sent in collect.log[1:])
        # a token URL works through the proxy as well, and stays https
        keyed = CollectClient(f"{proxy.url}/key/{token}", verify=str(certificate[0]))
        (listed,) = keyed.form_list()
        assert listed["downloadUrl"].startswith(f"{proxy.url}/key/{token}/forms/")
        for client in (collect, keyed):
            client.close()
    finally:
        proxy.stop()
        server.stop()


def test_behind_a_proxy_it_does_not_trust_the_urls_are_http_and_collect_stops(
    lan_server, certificate
):
    server, proxy = _served_behind_proxy(lan_server, certificate)
    try:
        username, token = lan_server.enumerator()
        collect = CollectClient(proxy.url, username, token, verify=str(certificate[0]))
        (form,) = collect.form_list()
        assert form["downloadUrl"].startswith("http://")  # what the issue saw
        assert collect.get(form["downloadUrl"]).status_code == 401  # no credentials over http
        collect.close()
    finally:
        proxy.stop()
        server.stop()


def test_public_url_option_sets_every_absolute_url(lan_server):
    server = Served(
        lan_server.directory, lan_server.database, "--public-url", "https://rasoat.example.vn"
    )
    try:
        _username, token = lan_server.enumerator()
        collect = CollectClient(f"{server.url}/key/{token}")
        (form,) = collect.form_list()
        prefix = f"https://rasoat.example.vn/key/{token}/forms/{FORM_ID}"
        assert form["downloadUrl"] == prefix + ".xml"
        assert form["manifestUrl"] == prefix + "/manifest"
        collect.close()
    finally:
        server.stop()


# --- in-process checks --------------------------------------------------------------------------


@pytest.fixture
def tablet_app(tmp_path):
    from server import create_app
    from server.db import forget_thread_connections, open_app_db
    from server.queries.rounds import open_round
    from server.queries.users import create_user, issue_token

    app = create_app(
        {**_test_config(tmp_path / "t.sqlite3"), "PROPAGATE_EXCEPTIONS": False},
        instance_path=str(tmp_path),
    )
    db = open_app_db(app)
    open_round(db, year=2026, standard="vn-2022", province="42")
    create_user(db, "rsv-1", role="enumerator", communes=["18496"])
    app.token = issue_token(db, "rsv-1", "tablet")[1]
    app.db = db
    yield app
    db.conn.close()
    forget_thread_connections()


def _post_instance(client, token: str, xml: bytes):
    return client.post(
        f"/key/{token}/submission",
        data={"xml_submission_file": (__import__("io").BytesIO(xml), "submission.xml")},
        content_type="multipart/form-data",
    )


def test_tokens_are_redacted_from_error_and_access_logs(tablet_app, monkeypatch, caplog):
    from server import openrosa

    def broken():
        raise RuntimeError("the form could not be built")

    monkeypatch.setattr(openrosa, "served_form", broken)
    token = tablet_app.token
    with caplog.at_level(logging.INFO):
        answer = tablet_app.test_client().get(f"/key/{token}/formList")
        # werkzeug's access line (flask run) and waitress' error line have the same shape
        logging.getLogger("werkzeug").info('127.0.0.1 - - "%s" 200 -', f"GET /key/{token}/formList")
        logging.getLogger("waitress").error("Exception while serving /key/%s/submission", token)
    assert answer.status_code == 500
    text = caplog.text
    assert "unhandled error on GET /key/[redacted]/formList" in text  # server/errors.py
    assert '"GET /key/[redacted]/formList" 200' in text
    assert "Exception while serving /key/[redacted]/submission" in text
    assert token not in text


def test_form_list_honours_form_id(tablet_app):
    client = tablet_app.test_client()
    base = f"/key/{tablet_app.token}/formList"
    assert b"<formID>povcensus_household</formID>" in client.get(base).data
    assert b"<formID>" in client.get(base + "?formID=povcensus_household").data
    other = client.get(base + "?formID=another_form")
    assert other.status_code == 200 and b"<formID>" not in other.data


def test_advertised_length_is_what_the_server_accepts(tablet_app):
    tablet_app.config["MAX_CONTENT_LENGTH"] = 300_000  # smaller than OPENROSA_ACCEPT (10 MiB)
    client = tablet_app.test_client()
    head = client.head(f"/key/{tablet_app.token}/submission")
    advertised = int(head.headers["X-OpenRosa-Accept-Content-Length"])
    assert advertised == 300_000
    boundary = "b0undary"
    for size, expect_413 in ((advertised, False), (advertised + 1, True)):
        framing = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="xml_submission_file";'
            f' filename="s.xml"\r\nContent-Type: text/xml\r\n\r\n'
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        body = framing + b"x" * (size - len(framing) - len(tail)) + tail
        assert len(body) == size
        answer = client.post(
            f"/key/{tablet_app.token}/submission",
            data=body,
            content_type=f"multipart/form-data; boundary={boundary}",
        )
        assert (answer.status_code == 413) is expect_413, (size, answer.status_code)


def test_an_earlier_served_version_is_accepted_until_retired(tablet_app, monkeypatch):
    from click.testing import CliRunner

    from povcensus.cli import main
    from server import openrosa

    client = tablet_app.test_client()
    # the server of last month served version 2025.9 (formList and download record it)
    with tablet_app.app_context():
        form_id, _version, data, md5 = openrosa.served_form()
    monkeypatch.setattr(openrosa, "served_form", lambda: (form_id, "2025.9", data, md5))
    assert b"<version>2025.9</version>" in client.get(f"/key/{tablet_app.token}/formList").data
    monkeypatch.undo()
    # the form changed; a tablet still holds a finalized 2025.9 instance
    old = instance_xml(new_record(), version="2025.9")
    assert _post_instance(client, tablet_app.token, old).status_code == 201
    unknown = _post_instance(client, tablet_app.token, instance_xml(new_record(), version="2024.1"))
    assert unknown.status_code == 422 and b"[unknown_form_version]" in unknown.data
    # the JSON API answers the same code for the same version
    record = new_record()
    item = {
        "id": str(uuid.uuid4()),
        "household_id": record["household_id"],
        "form_id": FORM_ID,
        "form_version": "2024.1",
        "record": record,
    }
    batch = client.post(
        "/api/v1/submissions/batch",
        json={"items": [item]},
        headers={"Authorization": f"Bearer {tablet_app.token}"},
    )
    assert batch.get_json()["results"][0]["errors"][0]["code"] == "unknown_form_version"
    # an admin retires 2025.9: its instances are refused from then on
    database = tablet_app.config["DATABASE"]
    listed = CliRunner().invoke(main, ["forms", "list", "--db", database])
    assert "2025.9\t" in listed.output and "accepted" in listed.output
    retired = CliRunner().invoke(main, ["forms", "retire", "2025.9", "--db", database])
    assert retired.exit_code == 0, retired.output
    again = _post_instance(client, tablet_app.token, instance_xml(new_record(), version="2025.9"))
    assert again.status_code == 422 and b"[unknown_form_version]" in again.data
    current = CliRunner().invoke(main, ["forms", "retire", "2026.1", "--db", database])
    assert current.exit_code == 1 and "served now" in current.output


def test_a_rejection_lists_a_few_dozen_errors_and_a_count(tablet_app):
    from server.ingest import MAX_LISTED_ERRORS

    record = new_record()
    member = dict(record["members"][1], birth_year=1800, sex="other")
    record["members"] += [dict(member, member_no=n) for n in range(3, 203)]
    answer = _post_instance(tablet_app.test_client(), tablet_app.token, instance_xml(record))
    assert answer.status_code == 422
    text = answer.data.decode()
    assert text.count("\n") <= MAX_LISTED_ERRORS + 1 and len(text) < 20_000
    assert "more errors" in text and "lỗi khác" in text
    item = {
        "id": str(uuid.uuid4()),
        "household_id": record["household_id"],
        "form_id": FORM_ID,
        "form_version": "2026.1",
        "record": record,
    }
    batch = tablet_app.test_client().post(
        "/api/v1/submissions/batch",
        json={"items": [item]},
        headers={"Authorization": f"Bearer {tablet_app.token}"},
    )
    errors = batch.get_json()["results"][0]["errors"]
    assert len(errors) == MAX_LISTED_ERRORS + 1 and errors[-1]["code"] == "more_errors"
    assert "400 errors" in errors[-1]["message_en"] or "in all" in errors[-1]["message_en"]


def test_start_up_warning_when_tablets_could_not_sign_in_safely(tablet_app):
    from server.cli import insecure_listen_warning

    tablet_app.config["OPENROSA_TOKEN_URLS"] = False
    warning = insecure_listen_warning(tablet_app, "0.0.0.0")
    assert warning and warning.count("\n") == 0 and "docs/tablets.md" in warning
    assert insecure_listen_warning(tablet_app, "127.0.0.1") is None
    tablet_app.config["PUBLIC_URL"] = "https://rasoat.example.vn"
    assert insecure_listen_warning(tablet_app, "0.0.0.0") is None
    tablet_app.config.update(PUBLIC_URL=None, OPENROSA_TOKEN_URLS=True)
    assert insecure_listen_warning(tablet_app, "0.0.0.0") is None


def test_token_urls_can_be_switched_off(tablet_app):
    tablet_app.config["OPENROSA_TOKEN_URLS"] = False
    answer = tablet_app.test_client().get(f"/key/{tablet_app.token}/formList")
    assert answer.status_code == 404


def test_a_bad_public_url_stops_the_start(tmp_path):
    from server import ConfigError, create_app

    with pytest.raises(ConfigError, match="PUBLIC_URL"):
        create_app(
            {**_test_config(tmp_path / "x.sqlite3"), "PUBLIC_URL": "rasoat.example.vn"},
            instance_path=str(tmp_path),
        )


# --- the documented nginx configuration, for real ---------------------------------------------


def _documented_block(language: str) -> str:
    text = (Path(__file__).resolve().parents[1] / "docs" / "tablets.md").read_text("utf-8")
    return text.split(f"```{language}\n", 1)[1].split("```", 1)[0]


@pytest.mark.skipif(shutil.which("nginx") is None, reason="Debian's nginx is not installed")
def test_documented_nginx_config_serves_collect_over_https(
    lan_server, certificate, tmp_path, javarosa
):
    """docs/tablets.md's nginx block, with only addresses and paths replaced, in front of
    `serve --trusted-proxy 127.0.0.1`: Collect's sequence over https, tokens not in its log."""
    server = Served(lan_server.directory, lan_server.database, "--trusted-proxy", "127.0.0.1")
    port = free_port()
    cert, key = certificate
    site = (
        _documented_block("nginx")
        .replace("listen 443 ssl;", f"listen 127.0.0.1:{port} ssl;")
        .replace("server_name rasoat.hatinh.gov.vn;", "server_name 127.0.0.1;")
        .replace("/etc/letsencrypt/live/rasoat.hatinh.gov.vn/fullchain.pem", str(cert))
        .replace("/etc/letsencrypt/live/rasoat.hatinh.gov.vn/privkey.pem", str(key))
        .replace("/var/log/nginx/povcensus.log", str(tmp_path / "access.log"))
        .replace("127.0.0.1:8000", f"127.0.0.1:{server.port}")
    )
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log; daemon off;\n"
        "events {}\n"
        f"http {{ client_body_temp_path {tmp_path}; proxy_temp_path {tmp_path};\n{site}\n}}\n"
    )
    nginx = subprocess.Popen(["nginx", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")])
    try:
        url = f"https://127.0.0.1:{port}"
        for _ in range(100):
            try:
                requests.get(url, verify=str(cert), timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        username, token = lan_server.enumerator(communes=("18496",))
        for collect in (
            CollectClient(url, username, token, verify=str(cert)),  # Basic over https
            CollectClient(f"{url}/key/{token}", verify=str(cert)),  # the QR code's token URL
        ):
            form, xml = download_and_fill(collect, new_record(), javarosa)
            assert form["downloadUrl"].startswith(collect.server_url + "/forms/")
            assert collect.submit(xml).status_code == 201
            collect.close()
        log = (tmp_path / "access.log").read_text()
        assert "/key/[redacted]/submission" in log and token not in log
    finally:
        nginx.terminate()
        nginx.wait(10)
        server.stop()


def test_tablet_commands_and_options_are_documented():
    from server.cli import forms, serve, tokens

    server_doc = (Path(__file__).resolve().parents[1] / "docs" / "server.md").read_text("utf-8")
    tablets_doc = (Path(__file__).resolve().parents[1] / "docs" / "tablets.md").read_text("utf-8")
    for command in forms.commands:
        assert f"povcensus forms {command}" in server_doc
    for command in (serve, tokens.commands["issue"]):
        for param in command.params:
            assert any(f"{name}" in server_doc for name in param.opts), param.opts
    for needed in ("--public-url", "--trusted-proxy", "--qr", "/devices/enrol", "households.csv"):
        assert needed in tablets_doc
