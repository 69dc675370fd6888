"""Inputs (issue 9, finding 9): household ids of one documented, safe form; OpenRosa
attachments only for declared media, bounded; huge integers in URLs → 404/400, never 500."""

from __future__ import annotations

import json

import pytest
from conftest import example_household, new_household_id

from survey_forms import validate_household

BAD_IDS = [
    "18496-a/../b",  # a path: such a household could never be opened for review
    "18073-thon-1-0001",  # another commune's prefix
    "18496-<b>x</b>",  # markup
    "18496-thon 1-0001",  # a space
    "18496-",  # nothing after the commune
    "thon-1-0001",  # no commune
    "18496-thôn-1",  # accented letters
    "18496-a.b",
    "١٨٤٩٦-a",  # digits, but not ASCII ones
]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_a_household_id_not_of_the_documented_form_is_a_bilingual_field_error(bad):
    errors = validate_household(example_household(household_id=bad))
    found = [e for e in errors if e.path == "household_id"]
    assert [e.code for e in found] == ["household_id_form"], errors
    assert "18496" in found[0].message_vi and "mã xã" in found[0].message_vi
    assert "18496" in found[0].message_en and "commune code" in found[0].message_en


@pytest.mark.parametrize(
    "good",
    ["18496-thon-1-0007", "18496-tdp-12-0003", "18496-thon1-0001", "18496-b7-000123", "18496-x_1"],
)
def test_the_ids_the_toolkit_makes_stay_valid(good):
    assert validate_household(example_household(household_id=good)) == []


def test_test_and_synthetic_ids_match_the_form():
    from survey_forms.synth import synth_households

    assert validate_household(example_household(household_id=new_household_id())) == []
    for record in synth_households(40, seed=1):
        assert validate_household(record) == [], record["household_id"]


def test_a_bad_household_id_is_refused_over_the_json_api(live_server, household):
    import requests
    from test_server_sync import item, push

    _, token = live_server.enumerator(communes=("18496",))
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    good, bad = household(), household(household_id="18496-a/../b")
    results = push(live_server, session, item(bad), item(good)).json()["results"]
    assert [r["outcome"] for r in results] == ["rejected", "accepted"]  # the good one still goes
    assert [e["code"] for e in results[0]["errors"]] == ["household_id_form"]
    assert json.dumps(results[0]).count("message_vi") == 1


# --- OpenRosa attachments -----------------------------------------------------------------


def multipart_body(parts: list[tuple[str, str | None, bytes]]) -> tuple[str, bytes]:
    boundary = "b0undary-x"
    chunks = []
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        chunks.append(
            f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data + b"\r\n"
        )
    return f"multipart/form-data; boundary={boundary}", b"".join(
        chunks
    ) + f"--{boundary}--\r\n".encode()


def test_twenty_thousand_parts_are_refused_before_anything_is_stored(live_server, household):
    import uuid

    import requests
    from test_server_openrosa import COLLECT_HEADERS, instance

    username, token = live_server.enumerator(communes=("18496",))
    instance_id = f"uuid:{uuid.uuid4()}"
    xml = instance(household(), instance_id)
    parts = [("xml_submission_file", "submission.xml", xml)]
    parts += [(f"f{n}.jpg", f"f{n}.jpg", b"x") for n in range(20_000)]
    content_type, body = multipart_body(parts)
    answer = requests.post(
        live_server.url + "/submission",
        data=body,
        headers={**COLLECT_HEADERS, "Content-Type": content_type},
        auth=(username, token),
        timeout=60,
    )
    assert answer.status_code == 400 and "too many parts" in answer.text
    db = live_server.db()
    for table in ("submissions", "attachments"):
        count = db.execute(f"SELECT count(*) FROM {table} WHERE instance_id = ?", [instance_id])
        assert count.fetchone()[0] == 0, table


@pytest.mark.parametrize("name", ["../../etc/passwd", "a/b.jpg", "x.jpg", "<b>.jpg"])
def test_path_like_or_undeclared_attachment_names_are_refused(live_server, household, name):
    import uuid

    import requests
    from test_server_openrosa import COLLECT_HEADERS, instance

    username, token = live_server.enumerator(communes=("18496",))
    instance_id = f"uuid:{uuid.uuid4()}"
    parts = [("xml_submission_file", "submission.xml", instance(household(), instance_id))]
    parts += [(name, name, b"\xff\xd8jpeg")]
    content_type, body = multipart_body(parts)
    answer = requests.post(
        live_server.url + "/submission",
        data=body,
        headers={**COLLECT_HEADERS, "Content-Type": content_type},
        auth=(username, token),
        timeout=30,
    )
    assert answer.status_code == 400, answer.text
    stored = live_server.db().execute(
        "SELECT count(*) FROM attachments WHERE instance_id = ?", [instance_id]
    )
    assert stored.fetchone()[0] == 0


def test_declared_media_follow_the_questionnaire():
    from server.openrosa import declared_media

    assert declared_media(example_household()) == set()  # no media question today


# --- huge numbers -------------------------------------------------------------------------

HUGE = "9" * 30


def test_huge_integers_in_urls_and_query_strings_are_404_or_400(app, db, open_round):
    from test_review_support import OWN, make_review

    review = make_review(app, db, open_round())
    household = review.add("poor")
    client = review.login(app.test_client(), "admin")
    base = f"/review/c/{OWN}"
    urls = {
        f"{base}/meetings/{HUGE}": 404,
        f"{base}/meetings/{2**63}": 404,
        f"{base}/?page={HUGE}": 200,  # clamped to the last page
        f"/review/audit?page={HUGE}": 400,
        f"/review/audit?page={2**62}": 400,
        f"{base}/h/{household}?page={HUGE}": 200,
        f"/api/v1/sync/pull?cursor={HUGE}": 401,  # no token: refused before reading it
    }
    for url, status in urls.items():
        answer = client.get(url)
        assert answer.status_code == status, (url, answer.status_code)
    for url in (f"{base}/conflicts/{HUGE}", f"{base}/complaints/{HUGE}/resolve"):
        answer = client.post(url, data={"action": "kept", "reason": "x"})
        assert answer.status_code == 404, (url, answer.status_code)


def test_the_xform_checks_the_household_id_on_the_device():
    """Collect refuses a bad id before it is sent (same pattern as survey_forms)."""
    import re
    from xml.etree import ElementTree

    from survey_forms import xform

    root = ElementTree.fromstring(xform.build_xform())
    binds = [
        b
        for b in root.iter("{http://www.w3.org/2002/xforms}bind")
        if b.get("nodeset", "").endswith("/household_id")
    ]
    (constraint,) = [b.get("constraint") for b in binds]
    assert "starts-with(., concat(" in constraint and "commune_code" in constraint
    pattern = re.search(r"regex\(\., '([^']+)'\)", constraint)[1]
    for good in ("18496-thon-1-0007", "18496-b7-000123"):
        assert re.search(pattern, good), good
    for bad in BAD_IDS:
        if bad != "18073-thon-1-0001":  # the prefix rule is the starts-with part
            assert not re.search(pattern, bad), bad
