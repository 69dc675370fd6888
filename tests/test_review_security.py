"""Security of the review pages: every page and action × every role × own and foreign
commune; CSRF on every form; user text escaped everywhere it is shown."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from test_review_support import FOREIGN, OWN, make_review

from server.queries import review_commune as cq

DAY = (date.today() - timedelta(days=1)).isoformat()
SCRIPT = "<script>alert(1)</script>"
HEAD_NAME = "Nguyễn Văn An"  # the sample households' head


def _fixture_data(review) -> dict[str, dict]:
    """In each commune: a household, a meeting, a complaint (ids for the URLs)."""
    found = {}
    for commune in (OWN, FOREIGN):
        household = review.add("poor", commune=commune)
        complaint = cq.register_complaint(
            review.db,
            round_id=review.round["id"],
            household_id=household,
            complainant="A",
            content="B",
            received_on=date.today(),
            user_id=review.users["admin"].id,
        )
        row = review.db.execute(
            "SELECT version FROM households WHERE household_id = ?", [household]
        ).fetchone()
        from server.queries.review import record_decision

        record_decision(
            review.db,
            round_id=review.round["id"],
            household_id=household,
            user_id=review.users["admin"].id,
            decision="confirmed",
            version=row[0],
        )
        meeting = cq.record_meeting(
            review.db,
            round_id=review.round["id"],
            commune_code=commune,
            village="Thôn 1",
            held_on=date.today(),
            chair="C",
            secretary=None,
            attendees=3,
            agree=1,
            note=None,
            user_id=review.users["admin"].id,
        )
        conflict = review.conflict(household, head_name="Người khác")
        found[commune] = {
            "household": household,
            "complaint": complaint,
            "meeting": meeting["id"],
            "conflict": conflict,
        }
    return found


def commune_requests(commune: str, ids: dict) -> list[tuple[str, str, dict | None]]:
    """(method, url, form) for every commune page and action."""
    base, h = f"/review/c/{commune}", ids["household"]
    return [
        ("GET", f"{base}/", None),
        ("GET", f"{base}/h/{h}", None),
        ("GET", f"{base}/meetings", None),
        ("GET", f"{base}/meetings/{ids['meeting']}", None),
        ("GET", f"{base}/posting", None),
        ("GET", f"{base}/complaints", None),
        ("GET", f"{base}/recognition", None),
        ("GET", f"{base}/conflicts", None),
        ("GET", f"{base}/phieu-b.xlsx", None),
        ("GET", f"{base}/phieu-b", None),
        (
            "POST",
            f"{base}/h/{h}/decision",
            {"decision": "returned", "version": "1", "comment": "xem lại"},
        ),
        (
            "POST",
            f"{base}/meetings",
            {"village": "Thôn 1", "held_on": DAY, "chair": "C", "attendees": "4", "agree": "1"},
        ),
        ("POST", f"{base}/posting", {"kind": "list", "posted_from": DAY}),
        (
            "POST",
            f"{base}/h/{h}/complaints",
            {"complainant": "X", "content": "Y", "received_on": DAY},
        ),
        (
            "POST",
            f"{base}/complaints/{ids['complaint']}/resolve",
            {"recheck_on": DAY, "outcome": "kept", "note": "ok"},
        ),
        (
            "POST",
            f"{base}/conflicts/{ids['conflict']}",
            {"action": "kept", "reason": "bản hiện tại đúng"},
        ),
        ("POST", f"{base}/recognition", {"recognised_on": DAY}),
        ("POST", f"{base}/confirm-many", {"pick": f"{h}:1", "commit": "1"}),
        ("POST", f"{base}/conflicts/keep", {"pick": str(ids["conflict"]), "reason": "đúng"}),
    ]


PROVINCE_REQUESTS = [
    ("GET", "/review/", None),
    ("GET", "/review/audit", None),
    ("GET", "/review/settings", None),
    ("POST", "/review/settings", {"posting_days": "4", "holidays": ""}),
]

ROLES = {  # role → (user key or None, own commune of that user)
    "anonymous": None,
    "enumerator": "enum",
    "commune": "head",
    "province": "province",
    "admin": "admin",
}


def expected(role: str, target: str, method: str, province_page: bool) -> int:
    """The status the matrix requires (302 after an allowed POST: back to the page)."""
    if role == "anonymous":
        return 302  # to the login page, checked separately
    if role == "enumerator":
        return 403
    if province_page:
        if target == "home":  # commune staff with one commune are sent to its queue
            return 302 if role == "commune" else 200
        return 403 if role == "commune" else (200 if method == "GET" else 302)
    if role == "commune":
        if target != OWN:
            return 403
        return 200 if method == "GET" else 302
    if role == "province":
        return 200 if method == "GET" else 403
    return 200 if method == "GET" else 302  # admin


def fingerprint(db) -> tuple:
    tables = (
        "review_events",
        "review_decisions",
        "review_meetings",
        "review_postings",
        "review_complaints",
        "review_recognitions",
        "review_settings",
        "review_quarantine_resolutions",
        "changes",
    )
    return tuple(db.execute(f"SELECT count(*), max(rowid) FROM {t}").fetchone() for t in tables) + (
        tuple(db.execute("SELECT household_id, status FROM households ORDER BY 1").fetchall()),
        tuple(db.execute("SELECT id, status FROM review_complaints ORDER BY 1").fetchall()),
        tuple(db.execute("SELECT id, status FROM quarantine ORDER BY 1").fetchall()),
    )


@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_and_action_for_every_role_and_commune(app, db, open_round, role):
    review = make_review(app, db, open_round())
    ids = _fixture_data(review)
    client = app.test_client()
    if ROLES[role]:
        review.users[ROLES[role]]
        if role == "enumerator":  # enumerators have no web password; give one to try
            from server.queries.users import hash_password

            db.execute(
                "UPDATE users SET password_hash = ? WHERE username = 'enum'", [hash_password("pw")]
            )
        review.login(client, ROLES[role])
    requests = [
        (t, m, u, f, False) for t in (OWN, FOREIGN) for m, u, f in commune_requests(t, ids[t])
    ]
    requests += [
        ("home" if u == "/review/" else OWN, m, u, f, True) for m, u, f in PROVINCE_REQUESTS
    ]
    # forbidden ones first, then allowed ones: forbidden requests must change nothing
    requests.sort(
        key=lambda r: expected(role, r[0], r[1], r[4]) in (200, 302) and role != "anonymous"
    )
    before = fingerprint(db)
    for target, method, url, form, province_page in requests:
        want = expected(role, target, method, province_page)
        response = client.open(url, method=method, data=form)
        got = response.status_code
        # 422: allowed, but the workflow refused it (the form is shown again as typed)
        assert got == want or (want == 302 and got == 422), (role, method, url, got)
        if role == "anonymous":
            assert "/login" in response.location
        if want == 403 or role == "anonymous":
            assert fingerprint(db) == before, (role, method, url, "changed data")
            assert HEAD_NAME not in response.get_data(as_text=True), (role, url, "leaks data")


def test_a_commune_head_cannot_reach_a_foreign_household_through_their_own_commune(
    app, db, open_round
):
    review = make_review(app, db, open_round())
    ids = _fixture_data(review)
    client = review.login(app.test_client(), "head")
    foreign_household, foreign_complaint = ids[FOREIGN]["household"], ids[FOREIGN]["complaint"]
    before = fingerprint(db)
    assert client.get(f"/review/c/{OWN}/h/{foreign_household}").status_code == 404
    assert (
        client.post(
            f"/review/c/{OWN}/h/{foreign_household}/decision",
            data={"decision": "confirmed", "version": "1"},
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/review/c/{OWN}/complaints/{foreign_complaint}/resolve",
            data={"recheck_on": DAY, "outcome": "kept", "note": "x"},
        ).status_code
        == 404
    )
    assert client.get(f"/review/c/{OWN}/meetings/{ids[FOREIGN]['meeting']}").status_code == 404
    assert (
        client.post(
            f"/review/c/{OWN}/conflicts/{ids[FOREIGN]['conflict']}",
            data={"action": "kept", "reason": "x"},
        ).status_code
        == 404
    )
    assert client.get("/review/audit").status_code == 403
    # bulk actions through one's own commune skip (confirm) or refuse (keep) foreign objects
    client.post(
        f"/review/c/{OWN}/confirm-many", data={"pick": f"{foreign_household}:1", "commit": "1"}
    )
    client.post(
        f"/review/c/{OWN}/conflicts/keep",
        data={"pick": str(ids[FOREIGN]["conflict"]), "reason": "x"},
    )
    assert fingerprint(db) == before
    home = client.get("/review/", follow_redirects=True).get_data(as_text=True)
    assert foreign_household not in home


@pytest.fixture
def csrf_app(tmp_path):
    from server import create_app

    return create_app(
        {"DATABASE": str(tmp_path / "c.sqlite3"), "SECRET_KEY": "s", "WTF_CSRF_ENABLED": True},
        instance_path=str(tmp_path),
    )


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_every_form_needs_the_csrf_token(csrf_app):
    from server.db import open_app_db
    from server.queries.rounds import open_round

    db = open_app_db(csrf_app)
    review = make_review(csrf_app, db, open_round(db, year=2026, standard="vn-2022", province="42"))
    household = review.add("poor")
    review.users["head"]
    client = csrf_app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    client.post(
        "/login", data={"username": "head", "password": "pw", "csrf_token": _token(login_page)}
    )
    ids = {
        "household": household,
        "complaint": 1,
        "meeting": 1,
        "conflict": review.conflict(household),
    }
    before = fingerprint(db)
    for method, url, form in commune_requests(OWN, ids) + PROVINCE_REQUESTS[3:]:
        if method == "POST":
            response = client.post(url, data=form)
            assert response.status_code == 400, url
    assert client.post("/review/language", data={"lang": "en"}).status_code == 400
    assert fingerprint(db) == before
    page = client.get(f"/review/c/{OWN}/h/{household}").get_data(as_text=True)
    response = client.post(
        f"/review/c/{OWN}/h/{household}/decision",
        data={"decision": "confirmed", "version": "1", "csrf_token": _token(page)},
    )
    assert response.status_code == 302
    assert fingerprint(db) != before
    db.conn.close()


def test_user_text_is_escaped_on_every_page(app, db, open_round):
    review = make_review(app, db, open_round())
    household = review.add("poor", head_name=f"Nguyễn {SCRIPT}", village=f"Thôn {SCRIPT}")
    client = review.login(app.test_client(), "admin")
    base = f"/review/c/{OWN}"
    client.post(
        f"{base}/h/{household}/decision",
        data={
            "decision": "overridden",
            "version": "1",
            "override_class": "near_poor",
            "comment": f"lý do {SCRIPT}",
        },
    )
    client.post(
        f"{base}/meetings",
        data={
            "village": f"Thôn {SCRIPT}",
            "held_on": DAY,
            "chair": f"Chủ trì {SCRIPT}",
            "attendees": "3",
            "agree": "2",
            "note": SCRIPT,
        },
    )
    client.post(
        f"{base}/h/{household}/complaints",
        data={"complainant": SCRIPT, "content": SCRIPT, "received_on": DAY},
    )
    review.conflict(household, address=f"Xóm {SCRIPT}")
    meeting = db.execute("SELECT id FROM review_meetings").fetchone()[0]
    pages = [
        f"{base}/",
        f"{base}/h/{household}",
        f"{base}/meetings",
        f"{base}/meetings/{meeting}",
        f"{base}/posting",
        f"{base}/complaints",
        f"{base}/recognition",
        f"{base}/conflicts",
        "/review/audit",
    ]
    for url in pages:
        html = client.get(url).get_data(as_text=True)
        assert SCRIPT not in html, url
        if not url.endswith("/recognition"):  # shows no user text while nothing blocks on it
            assert "&lt;script&gt;" in html, url


VICTIM_HEAD = "Phạm Thị Riêng"


def _household_of_another_commune(review) -> tuple[str, int]:
    """A household of OWN that FOREIGN's enumerator tries to take over, and a conflict filed
    under FOREIGN about it (as the old ingest did: household id of OWN, commune of FOREIGN)."""
    import json
    import uuid

    from server.review.sample import submit

    household = review.add("poor", head_name=VICTIM_HEAD)
    row = review.db.execute(
        "SELECT unpacked(record), submission_id FROM households WHERE household_id = ?", [household]
    ).fetchone()
    record = {**json.loads(row[0]), "commune_code": FOREIGN, "head_name": "Kẻ Chiếm"}
    record.pop("round")
    for base in (None, row[1]):  # a "new" household, then an edit of the current submission
        outcome = submit(review.db, record, review.users["enum_foreign"], base=base)
        assert outcome.outcome == "rejected", outcome.to_result()
        assert [e["code"] for e in outcome.errors] == ["outside_assignment"]
        assert outcome.conflict is None and row[1] not in json.dumps(outcome.to_result())
    assert review.db.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 0
    payload = json.dumps({"record": record})
    review.db.execute(
        "INSERT INTO quarantine (form_id, instance_id, household_id, commune_code, round_id,"
        " reason, current_id, format, payload, sha256, user_id, received_at)"
        " VALUES ('povcensus_household', ?, ?, ?, ?, 'stale_base', ?, 'json', ?, 'x', ?, 'now')",
        [
            str(uuid.uuid4()),
            household,
            FOREIGN,
            review.round["id"],
            row[1],
            payload,
            review.users["enum_foreign"].id,
        ],
    )
    conflict = review.db.execute("SELECT max(id) FROM quarantine").fetchone()[0]
    return household, conflict


@pytest.mark.parametrize("role", ["head_foreign", "province", "admin"])
def test_a_household_currently_in_another_commune_is_out_of_that_communes_pages(
    app, db, open_round, role
):
    """The matrix's "household currently in another commune" row: every page and action of
    FOREIGN that names OWN's household answers 404 / shows nothing of it, for every role
    that may open FOREIGN's pages."""
    review = make_review(app, db, open_round())
    household, conflict = _household_of_another_commune(review)
    client = review.login(app.test_client(), role)
    base = f"/review/c/{FOREIGN}"
    before = fingerprint(db)
    page = client.get(f"{base}/conflicts")
    assert page.status_code == 200
    assert VICTIM_HEAD not in page.get_data(as_text=True)
    assert household not in page.get_data(as_text=True)
    for method, url, form in [
        ("GET", f"{base}/h/{household}", None),
        ("POST", f"{base}/h/{household}/decision", {"decision": "confirmed", "version": "1"}),
        (
            "POST",
            f"{base}/h/{household}/complaints",
            {"complainant": "X", "content": "Y", "received_on": DAY},
        ),
        ("POST", f"{base}/conflicts/{conflict}", {"action": "accepted", "reason": "x"}),
    ]:
        response = client.open(url, method=method, data=form)
        allowed_status = 403 if role == "province" and method == "POST" else 404
        assert response.status_code == allowed_status, (role, url, response.status_code)
        assert VICTIM_HEAD not in response.get_data(as_text=True)
    assert fingerprint(db) == before
    state = db.execute(
        "SELECT commune_code, version FROM households WHERE household_id = ?", [household]
    ).fetchone()
    assert tuple(state) == (OWN, 1)
