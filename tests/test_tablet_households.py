"""Last round's households on the tablet: the manifest's households.csv lists the households
of the enumerator's own communes only, changes md5 when the list changes, and the form's first
question picks one of them (or a new household) — over Collect's real request sequence."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import uuid

import javarosa_fill
import pytest
from collect_replay import CollectClient, fill_instance
from conftest import example_household, new_household_id, start_live_server

OWN, FOREIGN = "18496", "18502"


def _batch(url: str, token: str, records: list[dict]) -> None:
    import requests

    items = [
        {
            "id": str(uuid.uuid4()),
            "household_id": record["household_id"],
            "form_id": "povcensus_household",
            "form_version": "2026.1",
            "record": record,
        }
        for record in records
    ]
    answer = requests.post(
        url + "/api/v1/submissions/batch",
        json={"items": items},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert [r["outcome"] for r in answer.json()["results"]] == ["accepted"] * len(records)


@pytest.fixture(scope="module")
def last_year(tmp_path_factory):
    """A server whose 2025 round held three households (two in OWN, one in FOREIGN) and whose
    2026 round is open: opening it queued them as assignments."""
    from server.queries.rounds import close_round

    server = start_live_server(tmp_path_factory.mktemp("rounds"))
    server.open_round(year=2025)
    _user, token = server.enumerator(communes=(OWN, FOREIGN))
    server.households = [
        example_household(household_id=new_household_id(OWN), head_name="Lê Văn Một"),
        example_household(
            household_id=new_household_id(OWN), head_name="Phạm Thị Hai", village="Thôn 3"
        ),
        example_household(
            household_id=new_household_id(FOREIGN), commune_code=FOREIGN, head_name="Ngoài Xã"
        ),
    ]
    _batch(server.url, token, server.households)
    close_round(server.db(), "2025-annual")
    server.round = server.open_round(year=2026)
    yield server
    server.stop()


def _households_file(collect: CollectClient) -> tuple[dict, list[dict], bytes]:
    (form,) = collect.form_list()
    (media,) = collect.manifest(form["manifestUrl"])
    assert media["filename"] == "households.csv"
    assert media["downloadUrl"].startswith(collect.server_url + "/")  # under the token URL
    data = collect.get(media["downloadUrl"]).content
    assert media["hash"] == "md5:" + hashlib.md5(data).hexdigest()
    return media, list(csv.DictReader(io.StringIO(data.decode("utf-8")))), data


def test_the_list_holds_exactly_the_enumerators_communes(last_year):
    _username, token = last_year.enumerator(communes=(OWN,))
    collect = CollectClient(f"{last_year.url}/key/{token}")
    _media, rows, _data = _households_file(collect)
    assert rows[0]["name"] == "new" and "Hộ mới" in rows[0]["label"]
    own = {h["household_id"]: h for h in last_year.households if h["commune_code"] == OWN}
    assert {row["name"] for row in rows[1:]} == set(own)
    for row in rows[1:]:
        record = own[row["name"]]
        assert (row["head_name"], row["village"], row["commune_code"]) == (
            record["head_name"],
            record["village"],
            OWN,
        )
        assert row["previous_class"].startswith("Hộ ")  # last round's class, in Vietnamese
    _username, foreign_token = last_year.enumerator(communes=(FOREIGN,))
    foreign = CollectClient(f"{last_year.url}/key/{foreign_token}")
    assert [row["head_name"] for row in _households_file(foreign)[1][1:]] == ["Ngoài Xã"]
    for client in (collect, foreign):
        client.close()


def test_md5_changes_when_a_household_is_added(last_year):
    from server.queries.households import add_change

    _username, token = last_year.enumerator(communes=(OWN,))
    collect = CollectClient(f"{last_year.url}/key/{token}")
    before, rows_before, _ = _households_file(collect)
    assert _households_file(collect)[0]["hash"] == before["hash"]  # stable while unchanged
    added = example_household(household_id=new_household_id(OWN), head_name="Hộ Thêm")
    add_change(
        last_year.db(),
        kind="assignment",
        household_id=added["household_id"],
        commune_code=OWN,
        data={"record": added, "previous_round": "2025-annual"},
        round_id=last_year.round["id"],
    )
    after, rows_after, _ = _households_file(collect)
    assert after["hash"] != before["hash"]
    assert len(rows_after) == len(rows_before) + 1
    assert "Hộ Thêm" in {row["head_name"] for row in rows_after}
    # a household added in another commune changes nothing for this enumerator
    other = example_household(household_id=new_household_id(FOREIGN), commune_code=FOREIGN)
    add_change(
        last_year.db(),
        kind="assignment",
        household_id=other["household_id"],
        commune_code=FOREIGN,
        data={"record": other},
        round_id=last_year.round["id"],
    )
    assert _households_file(collect)[0]["hash"] == after["hash"]
    collect.close()


@pytest.fixture(scope="module")
def javarosa(tmp_path_factory):
    return javarosa_fill.make_filler(tmp_path_factory)


IDENTIFICATION = "/povcensus_household/identification/"
PREFILLED_PATHS = tuple(
    IDENTIFICATION + q for q in ("household_id", "commune_code", "village", "head_name")
)


def test_javarosa_prefills_a_picked_household_and_leaves_a_new_one_to_type(last_year, javarosa):
    """JavaRosa (Collect's engine) fills the downloaded form with the downloaded households.csv:
    picking last round's household fills household id, commune, village and head name from the
    list (the answers given to JavaRosa leave them out); both submissions are accepted."""
    from survey_forms.xform import household_to_instance

    _username, token = last_year.enumerator(communes=(OWN,))
    collect = CollectClient(f"{last_year.url}/key/{token}")
    (form,) = collect.form_list()
    xform = collect.get(form["downloadUrl"]).content
    assert b'src="jr://file-csv/households.csv"' in xform
    media, _rows, data = _households_file(collect)
    revisit = last_year.households[1]
    new = example_household(household_id=new_household_id(OWN), head_name="Hộ Mới Tinh")
    for record, picked, omit in (
        (revisit, revisit["household_id"], PREFILLED_PATHS),
        (new, "new", ()),
    ):
        answers = household_to_instance(record, instance_id="uuid:ignored")
        xml = javarosa(
            xform,
            {media["filename"]: data},
            answers,
            {"/povcensus_household/previous_household": picked},
            omit,
        )
        assert f"<previous_household>{picked}</previous_household>".encode() in xml
        if picked != "new":  # last round's class shown to the enumerator, from the list
            assert "<previous_class>Hộ ".encode() in xml
        assert b"uuid:ignored" not in xml  # JavaRosa made the instance id, as Collect does
        assert collect.submit(xml).status_code == 201
        stored = last_year.db().execute(
            "SELECT unpacked(record) FROM households WHERE round_id = ? AND household_id = ?",
            [last_year.round["id"], record["household_id"]],
        )
        kept = json.loads(stored.fetchone()[0])
        assert (kept["head_name"], kept["village"], kept["commune_code"]) == (
            record["head_name"],
            record["village"],
            OWN,
        )
    collect.close()


def test_the_template_filled_instance_is_accepted_too(last_year):
    """Without Java: the served form's instance template, every element kept, filled."""
    from survey_forms.xform import household_to_instance

    _username, token = last_year.enumerator(communes=(OWN,))
    collect = CollectClient(f"{last_year.url}/key/{token}")
    (form,) = collect.form_list()
    xform = collect.get(form["downloadUrl"]).content
    record = example_household(household_id=new_household_id(OWN))
    answers = household_to_instance(record, instance_id=f"uuid:{uuid.uuid4()}")
    xml = fill_instance(xform, answers, {"previous_household": "new"})
    assert b"<previous_household>new</previous_household>" in xml
    assert collect.submit(xml).status_code == 201
    collect.close()


def test_the_form_prefills_from_the_picked_household():
    """The XForm's setvalue actions fill the identification answers from households.csv."""
    from survey_forms.xform import PREFILLED, build_xform

    xml = build_xform(province="42").decode()
    for question, column in PREFILLED.items():
        assert (
            f'<setvalue ref="/povcensus_household/identification/{question}"'
            ' event="xforms-value-changed"'
        ) in xml
        assert (
            f"instance('households')/root/item[name =  /povcensus_household/previous_household ]/{column})"
            in xml
        )
    first_control = xml.split("<h:body>", 1)[1].split(">", 1)[0]
    assert "previous_household" in first_control  # the first question of the form


def test_javarosa_reads_names_with_commas_and_quotes_from_the_list(db, open_round, javarosa):
    from server.queries.households import add_change
    from server.queries.tablet_media import households_csv
    from survey_forms.xform import build_xform, household_to_instance

    review_round = open_round()
    household_id = new_household_id(OWN)
    listed = {"head_name": 'Lê "Út", Văn', "village": "Thôn 2, xóm Đồng", "commune_code": OWN}
    add_change(
        db,
        kind="assignment",
        household_id=household_id,
        commune_code=OWN,
        data={"record": {**listed, "household_id": household_id}},
        round_id=review_round["id"],
    )
    data = households_csv(db, review_round["id"], [OWN])
    xml = javarosa(
        build_xform(province="42"),
        {"households.csv": data},
        household_to_instance(example_household(), instance_id="uuid:x"),
        {"/povcensus_household/previous_household": household_id},
        PREFILLED_PATHS,
    )
    from survey_forms.xform import instance_to_household

    record = instance_to_household(xml)
    assert {key: record[key] for key in listed} == listed
    assert record["household_id"] == household_id
