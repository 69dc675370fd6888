"""Fuzz the JSON API from its own OpenAPI document: schemathesis generates requests for every
operation (hypothesis, bounded number of examples) and the real server must answer each with a
documented status — never a 5xx — and every error in the one JSON error shape.

(schemathesis' pytest plugin does not run under pytest 9 yet, so its hypothesis strategies are
driven directly.)
"""

from __future__ import annotations

import copy
import uuid

import pytest
import requests
import schemathesis
from conftest import example_household
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.openapi import build_document

ALLOWED = {200, 400, 401, 403, 404, 405, 413, 415, 422}


def _operations():
    loaded = schemathesis.openapi.from_dict(build_document())
    return [result.ok() for result in loaded.get_all_operations()]


OPERATIONS = _operations()


@pytest.fixture(scope="module")
def fuzz_client(live_server):
    token = live_server.enumerator(communes=("18496",))[1]
    with requests.Session() as session:
        yield live_server.url + "/api/v1", token, session


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_generated_requests_never_fail(operation, fuzz_client):
    base_url, token, session = fuzz_client

    @settings(
        max_examples=25,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def check(case) -> None:
        headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
        response = case.call(base_url=base_url, session=session, headers=headers, timeout=30)
        assert response.status_code in ALLOWED, (response.status_code, response.text[:500])
        if response.status_code >= 400:
            error = response.json()["error"]
            assert {"code", "message", "message_vi", "details"} <= set(error)

    check()


def _paths(value, prefix=()):
    """Every path into the record (dict keys and list indexes)."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index))


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)


def _mutate(record: dict, path: tuple, value) -> dict:
    mutated = copy.deepcopy(record)
    if not path:
        return mutated
    target = mutated
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return mutated


def test_mutated_records_are_accepted_or_rejected_never_500(live_server, fuzz_client):
    base_url, token, session = fuzz_client
    record = example_household(household_id="18496-fuzz-0001", commune_code="18496")
    paths = [p for p in _paths(record) if p and p[0] not in ("household_id",)]

    @settings(
        max_examples=15,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.lists(st.tuples(st.sampled_from(paths), JSON_VALUES), min_size=1, max_size=20))
    def check(mutations) -> None:
        items = []
        for path, value in mutations:
            mutated = _mutate(record, path, value)
            mutated["household_id"] = f"18496-fuzz-{uuid.uuid4().hex[:8]}"
            items.append(
                {
                    "id": str(uuid.uuid4()),
                    "household_id": mutated["household_id"],
                    "form_id": "povcensus_household",
                    "form_version": "2026.1",
                    "base": None,
                    "record": mutated,
                }
            )
        response = session.post(
            base_url + "/submissions/batch",
            json={"items": items},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text[:500]
        results = response.json()["results"]
        assert [r["id"] for r in results] == [i["id"] for i in items]
        for result in results:
            assert result["outcome"] in ("accepted", "rejected")
            assert result["outcome"] == "accepted" or result["errors"]

    check()


def test_openrosa_submissions_never_fail(live_server):
    """Mangled instances and multipart bodies: always an OpenRosa answer, never a 5xx."""
    from survey_forms.xform import household_to_instance

    username, token = live_server.enumerator(communes=("18496",))
    base_xml = household_to_instance(
        example_household(household_id="18496-fz-0001"), instance_id="uuid:fuzz-base"
    )
    allowed = {201, 202, 400, 403, 409, 413, 422}

    @settings(
        max_examples=30,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        cut=st.integers(0, len(base_xml)),
        junk=st.binary(max_size=40),
        raw_body=st.booleans(),
    )
    def check(cut, junk, raw_body) -> None:
        xml = base_xml[:cut] + junk + base_xml[cut:]
        with requests.Session() as session:
            session.auth = (username, token)
            if raw_body:  # not even multipart
                answer = session.post(
                    live_server.url + "/submission",
                    data=xml,
                    timeout=30,
                    headers={"Content-Type": "multipart/form-data; boundary=x"},
                )
            else:
                answer = session.post(
                    live_server.url + "/submission",
                    timeout=30,
                    files={"xml_submission_file": ("s.xml", xml, "text/xml")},
                )
        assert answer.status_code in allowed, (answer.status_code, answer.text[:300])
        assert answer.headers["X-OpenRosa-Version"] == "1.0"
        assert b"OpenRosaResponse" in answer.content

    check()
