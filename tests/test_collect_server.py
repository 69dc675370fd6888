"""The server side of povcensus Collect: the questionnaire it serves is survey_forms' own, the
service worker and manifest cover /collect/, and the enrolment page issues a working device
token only to people allowed to (admin, commune head for their own communes)."""

from __future__ import annotations

import json
import re

from server.collect.questionnaire_json import questionnaire_document
from survey_forms import QUESTIONNAIRE
from survey_forms.errors import MESSAGES


def _login(client, username: str, password: str = "pw") -> None:
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302


def test_questionnaire_json_is_generated_from_survey_forms(client):
    served = json.loads(client.get("/collect/questionnaire.json").data)
    assert (served["form_id"], served["form_version"]) == (
        QUESTIONNAIRE.form_id,
        QUESTIONNAIRE.version,
    )

    def paths(items, prefix=""):
        for item in items:
            if item["kind"] == "group":
                base = (
                    prefix
                    if item["flatten"]
                    else f"{prefix}{item['id']}{'[]' if item['repeat'] else ''}."
                )
                yield from paths(item["items"], base)
            else:
                yield f"{prefix}{item['id']}", item

    served_questions = dict(paths(served["sections"]))
    expected = dict(QUESTIONNAIRE.iter_questions())
    assert list(served_questions) == list(expected)
    for path, question in expected.items():
        got = served_questions[path]
        assert (got["type"], got["label_vi"], got["label_en"], got["required"]) == (
            question.type,
            question.label_vi,
            question.label_en,
            question.required,
        ), path
        assert (got["min"], got["max"], got["max_length"]) == (
            question.min,
            question.max,
            question.max_length,
        )
    in_school = served_questions["members[].school_level"]["relevant"]
    assert (in_school["field"], in_school["equals"]) == ("in_school", True)
    assert served["messages"]["after_survey_year"]["vi"] == MESSAGES["after_survey_year"][0]
    # the server's province only: its communes, every one of them
    assert [c["value"] for c in served["choice_lists"]["provinces"]] == ["42"]
    communes = served["choice_lists"]["communes"]
    assert len(communes) == 69 and {c["province"] for c in communes} == {"42"}
    relation = [c["value"] for c in served["choice_lists"]["relation"]]
    assert relation == [c.value for c in QUESTIONNAIRE.choices("relation")]


def test_a_question_added_to_survey_forms_reaches_the_web_form(monkeypatch):
    from dataclasses import replace

    from survey_forms import questionnaire as q

    members = QUESTIONNAIRE.section("members")
    extra = q.Question("citizen_id", "text", "Số định danh cá nhân", "Citizen ID", required=False)
    changed = replace(
        QUESTIONNAIRE,
        sections=tuple(
            replace(s, items=(*s.items, extra)) if s is members else s
            for s in QUESTIONNAIRE.sections
        ),
    )
    monkeypatch.setattr("server.collect.questionnaire_json.QUESTIONNAIRE", changed)
    document = questionnaire_document("42")
    members_json = next(s for s in document["sections"] if s["id"] == "members")
    assert members_json["items"][-1]["id"] == "citizen_id"
    assert members_json["items"][-1]["label_vi"] == "Số định danh cá nhân"


def test_shell_service_worker_and_manifest(client):
    shell = client.get("/collect/")
    assert shell.status_code == 200
    html = shell.data.decode()
    assert "<script>" not in html and "onclick" not in html  # external scripts only (CSP)
    assert re.search(r'<script type="module" src="/collect/static/app.js">', html)
    policy = shell.headers["Content-Security-Policy"]
    script_src = policy.split("script-src")[1].split(";")[0]
    assert "'self'" in script_src and "unsafe" not in script_src
    assert "worker-src 'self'" in policy
    assert shell.headers["Referrer-Policy"] == "no-referrer"
    worker = client.get("/collect/sw.js")
    assert worker.mimetype == "text/javascript"
    shell_list = json.loads(re.search(r"const SHELL = (\[.*?\]);", worker.data.decode()).group(1))
    for url in shell_list:  # everything the worker caches exists
        assert client.get(url).status_code == 200, url
    assert {"/collect/", "/collect/questionnaire.json", "/collect/static/app.js"} <= set(shell_list)
    manifest = json.loads(client.get("/collect/manifest.webmanifest").data)
    assert manifest["start_url"] == manifest["scope"] == "/collect/"
    assert {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512"}


def test_enrolment_page_roles_and_scope(client, make_user):
    make_user("rsv-own", communes=("18496",))
    make_user("rsv-other", communes=("18133",))
    make_user("head", role="commune", communes=("18496",))
    make_user("rsv-self", communes=("18496",))
    assert client.get("/collect/enrol").status_code == 302  # anonymous: to the login page

    _login(client, "rsv-self")
    assert client.get("/collect/enrol").status_code == 403  # an enumerator cannot enrol
    client.post("/logout")

    _login(client, "head")
    page = client.get("/collect/enrol").data.decode()
    assert "rsv-own" in page and "rsv-other" not in page
    refused = client.post("/collect/enrol", data={"username": "rsv-other", "device": "x"})
    assert refused.status_code == 200 and b"<svg" not in refused.data  # not a choice: no token
    issued = client.post("/collect/enrol", data={"username": "rsv-own", "device": "dt-01"})
    text = issued.data.decode()
    assert issued.headers["Cache-Control"] == "no-store"
    token = re.search(r"/collect/#enrol=(pvc_[\w-]+)", text).group(1)
    assert "<svg" in text  # the QR code, drawn inline (no image fetched)
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json["user"] == "rsv-own"
    assert me.json["communes"] == ["18496"]
