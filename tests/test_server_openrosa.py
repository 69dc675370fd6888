"""OpenRosa over real HTTP: the request sequence ODK Collect sends, answered as Collect expects."""

from __future__ import annotations

import hashlib
import uuid
from xml.etree import ElementTree

import pytest
import requests

COLLECT_HEADERS = {
    "X-OpenRosa-Version": "1.0",
    "Date": "Fri, 27 Nov 2026 10:00:00 GMT+07:00",  # Collect's local format; never validated
    "User-Agent": "org.odk.collect.android/v2024.3.5 Dalvik/2.1.0",
    "Accept-Encoding": "gzip,deflate",
}
NS = {"x": "http://openrosa.org/xforms/xformsList", "r": "http://openrosa.org/http/response"}


def instance(record: dict, instance_id: str, deprecated_id: str | None = None) -> bytes:
    """The XML instance Collect would send for this record (survey_forms.xform)."""
    from survey_forms.xform import household_to_instance

    return household_to_instance(record, instance_id=instance_id, deprecated_id=deprecated_id)


def collect_session(username: str, token: str) -> requests.Session:
    session = requests.Session()
    session.headers.update(COLLECT_HEADERS)
    session.auth = (username, token)
    return session


def submit(live_server, session, xml: bytes, *extra_files, incomplete: bool = False):
    files = [("xml_submission_file", ("submission.xml", xml, "text/xml"))]
    files += list(extra_files)
    if incomplete:
        files.append(("*isIncomplete*", (None, "yes")))
    return session.post(
        live_server.url + "/submission", params={"deviceID": "collect:abc"}, files=files, timeout=30
    )


def assert_openrosa(answer: requests.Response, status: int) -> str:
    assert answer.status_code == status, answer.text
    assert answer.headers["X-OpenRosa-Version"] == "1.0"
    assert answer.headers["Date"]
    assert answer.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert int(answer.headers["X-OpenRosa-Accept-Content-Length"]) > 0
    message = ElementTree.fromstring(answer.content).find("r:message", NS)
    return message.text


@pytest.fixture
def collect(live_server):
    username, token = live_server.enumerator(communes=("18496",))
    with collect_session(username, token) as session:
        yield session


def test_collect_request_sequence(live_server, household):
    username, token = live_server.enumerator(communes=("18496",))
    anonymous = requests.Session()
    anonymous.headers.update(COLLECT_HEADERS)
    # 1. form list: challenged first, then with Basic auth (the device token as password)
    challenge = anonymous.get(live_server.url + "/formList", timeout=10)
    assert challenge.status_code == 401
    assert challenge.headers["WWW-Authenticate"].startswith("Basic realm=")
    assert challenge.headers["X-OpenRosa-Version"] == "1.0"
    session = collect_session(username, token)
    listing = session.get(
        live_server.url + "/formList",
        params={"formID": "povcensus_household", "verbose": "true", "deviceID": "collect:abc"},
        timeout=10,
    )
    assert listing.status_code == 200 and listing.headers["X-OpenRosa-Version"] == "1.0"
    form = ElementTree.fromstring(listing.content).find("x:xform", NS)
    assert form.findtext("x:formID", namespaces=NS) == "povcensus_household"
    assert form.findtext("x:version", namespaces=NS) == "2026.1"
    # 2. form download: the hash is the md5 of the exact bytes served; URLs are absolute
    download = form.findtext("x:downloadUrl", namespaces=NS)
    assert download.startswith(live_server.url)
    xform = session.get(download, timeout=10)
    assert xform.status_code == 200
    expected = form.findtext("x:hash", namespaces=NS)
    assert expected == "md5:" + hashlib.md5(xform.content).hexdigest()
    # the form offers the server's province (Hà Tĩnh) only, not the 3,321 communes of the country
    assert b"<name>18496</name>" in xform.content and b"<name>00004</name>" not in xform.content
    manifest = session.get(form.findtext("x:manifestUrl", namespaces=NS), timeout=10)
    assert manifest.status_code == 200 and b"xformsManifest" in manifest.content
    # 3. HEAD /submission: 401 with a challenge, then 204 (not 200) once authenticated
    head = anonymous.head(
        live_server.url + "/submission", params={"deviceID": "collect:abc"}, timeout=10
    )
    assert head.status_code == 401 and "Basic" in head.headers["WWW-Authenticate"]
    head = session.head(
        live_server.url + "/submission", params={"deviceID": "collect:abc"}, timeout=10
    )
    assert head.status_code == 204
    assert int(head.headers["X-OpenRosa-Accept-Content-Length"]) > 0
    # 4. POST the instance: 201, then the identical retry: 202
    record = household()
    instance_id = f"uuid:{uuid.uuid4()}"
    xml = instance(record, instance_id)
    assert_openrosa(submit(live_server, session, xml), 201)
    assert_openrosa(submit(live_server, session, xml), 202)
    # 5. an edit names the replaced instance in deprecatedID: 201, version 2
    edited_id = f"uuid:{uuid.uuid4()}"
    edit = instance({**record, "head_name": "Nguyễn Văn Sửa"}, edited_id, deprecated_id=instance_id)
    assert_openrosa(submit(live_server, session, edit), 201)
    version, current = (
        live_server.db()
        .execute(
            "SELECT version, submission_id FROM households WHERE household_id = ?",
            [record["household_id"]],
        )
        .fetchone()
    )
    assert (version, current) == (2, edited_id)
    # 6. another edit of the replaced version is a conflict: 409, quarantined
    stale = instance({**record, "head_name": "Bản sửa cũ"}, f"uuid:{uuid.uuid4()}", instance_id)
    text = assert_openrosa(submit(live_server, session, stale), 409)
    assert "stale_base" in text
    # ... and so is the same instance id with other content
    assert_openrosa(
        submit(live_server, session, instance({**record, "head_name": "Khác"}, instance_id)), 409
    )
    assert (
        live_server.db()
        .execute("SELECT count(*) FROM quarantine WHERE household_id = ?", [record["household_id"]])
        .fetchone()[0]
        == 2
    )
    session.close()
    anonymous.close()


def test_undeclared_attachments_are_refused(live_server, collect, household):
    """The form has no media questions (issue 9): a file part is refused (400), nothing is
    stored, and the same submission without it is taken."""
    record = household()
    instance_id = f"uuid:{uuid.uuid4()}"
    xml = instance(record, instance_id)
    photo = ("house.jpg", ("house.jpg", b"\xff\xd8jpeg-1", "image/jpeg"))
    text = assert_openrosa(submit(live_server, collect, xml, photo, incomplete=True), 400)
    assert "house.jpg" in text and "media question" in text
    assert assert_openrosa(submit(live_server, collect, xml), 201)
    db = live_server.db()
    assert (
        db.execute(
            "SELECT count(*) FROM attachments WHERE instance_id = ?", [instance_id]
        ).fetchone()[0]
        == 0
    )
    assert (
        db.execute(
            "SELECT count(*) FROM submissions WHERE instance_id = ?", [instance_id]
        ).fetchone()[0]
        == 1
    )


def test_outside_assignment_is_403(live_server, collect, household):
    xml = instance(household(commune="18502"), f"uuid:{uuid.uuid4()}")
    text = assert_openrosa(submit(live_server, collect, xml), 403)
    assert "18502" in text


def test_bad_credentials_are_401(live_server, household):
    username, token = live_server.enumerator()
    xml = instance(household(), f"uuid:{uuid.uuid4()}")
    for auth in ((username, "pvc_wrong"), ("someone-else", token), None):
        with requests.Session() as session:
            session.auth = auth
            answer = submit(live_server, session, xml)
        assert answer.status_code == 401
        assert answer.headers["WWW-Authenticate"].startswith("Basic")


def test_malformed_submissions_are_400_with_reason(live_server, collect):
    text = assert_openrosa(submit(live_server, collect, b"<data id='povcensus_household'"), 400)
    assert "not well-formed XML" in text and "không phải XML hợp lệ" in text
    answer = collect.post(live_server.url + "/submission", files={"other": ("a", b"x")}, timeout=10)
    assert "xml_submission_file" in assert_openrosa(answer, 400)
    bomb = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><data>&a;</data>'
    assert "DTD" in assert_openrosa(submit(live_server, collect, bomb), 400)
    no_version = (
        b'<data id="povcensus_household"><meta><instanceID>uuid:1</instanceID></meta></data>'
    )
    text = assert_openrosa(submit(live_server, collect, no_version), 422)
    assert "[unknown_form_version]" in text and "is not accepted" in text
    other_form = no_version.replace(b"povcensus_household", b"another_form")
    assert "another_form" in assert_openrosa(submit(live_server, collect, other_form), 400)


def test_invalid_household_is_422_with_field_messages(live_server, collect, household):
    record = household()
    record["members"][0]["birth_year"] = 1800
    text = assert_openrosa(
        submit(live_server, collect, instance(record, f"uuid:{uuid.uuid4()}")), 422
    )
    assert "members[0].birth_year" in text


def test_device_name_works_as_username(live_server):
    username = live_server.user().username
    token = live_server.token(username, device="may-tinh-bang-07")
    with collect_session("may-tinh-bang-07", token) as session:
        assert session.head(live_server.url + "/submission", timeout=10).status_code == 204
    with collect_session("may-tinh-bang-08", token) as session:
        assert session.head(live_server.url + "/submission", timeout=10).status_code == 401


def test_oversize_submission_is_413_openrosa(live_server, collect):
    huge = ("photo.jpg", ("photo.jpg", b"\0" * (17 * 1024 * 1024), "image/jpeg"))
    text = assert_openrosa(submit(live_server, collect, b"<data/>", huge), 413)
    assert "too large" in text


def test_fresh_install_accepts_a_batch_and_an_openrosa_submission(tmp_path, household):
    from conftest import LiveServer

    server = LiveServer(tmp_path).start()  # the server creates and migrates the database
    try:
        assert server.db().execute("SELECT name FROM schema_version").fetchone()[0] == (
            "m001_initial"
        )
        server.open_round(standard="vn-2027")
        username, token = server.enumerator()
        record = household()
        item = {
            "id": str(uuid.uuid4()),
            "household_id": record["household_id"],
            "form_id": "povcensus_household",
            "form_version": "2026.1",
            "base": None,
            "record": record,
        }
        answer = requests.post(
            server.url + "/api/v1/submissions/batch",
            json={"items": [item]},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert answer.json()["results"][0]["outcome"] == "accepted"
        with collect_session(username, token) as session:
            xml = instance(household(), f"uuid:{uuid.uuid4()}")
            assert_openrosa(submit(server, session, xml), 201)
        classes = (
            server.db()
            .execute("SELECT standard, classification FROM scores WHERE official = 1")
            .fetchall()
        )
        assert len(classes) == 2 and {c[0] for c in classes} == {"vn-2027"}
        assert all(c[1] for c in classes)
    finally:
        server.stop()
