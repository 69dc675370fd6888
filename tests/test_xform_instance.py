"""ODK submissions ↔ canonical records: the round trip, Collect-style XML, and clear errors for
XML that is not an instance of this form."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from xml.etree import ElementTree

import pytest

from survey_forms import FORM_ID, InvalidSubmission, load_household, validate_household, xform
from survey_forms.xform import XFormInstanceError, household_to_instance, instance_to_household

EXAMPLE = Path(__file__).resolve().parents[1] / "survey_forms" / "examples" / "household.json"
TODAY = dt.date(2026, 11, 27)
XF = "{http://www.w3.org/2002/xforms}"


@pytest.fixture
def record() -> dict:
    return load_household(json.loads(EXAMPLE.read_text("utf-8")), today=TODAY)


def round_trip(record: dict, **ids) -> dict:
    back = instance_to_household(household_to_instance(record, **ids))
    back.pop("meta")
    return back


def test_example_round_trips_with_meta(record):
    xml = household_to_instance(record, instance_id="uuid:7d1c", deprecated_id="uuid:0a9f")
    back = instance_to_household(xml)
    assert back.pop("meta") == {"instanceID": "uuid:7d1c", "deprecatedID": "uuid:0a9f"}
    assert back == record
    assert validate_household(back, today=TODAY) == []


def _variants(record: dict):
    no_gps = copy.deepcopy(record) | {"gps": None, "round": None}
    yield no_gps
    rough_gps = copy.deepcopy(record)
    rough_gps["gps"] = {"lat": 18.3, "lon": 105.9, "accuracy_m": None}
    yield rough_gps
    field_only = copy.deepcopy(record)
    field_only["income"] = {
        "sources_12m": None,
        "scorecard": {
            "electricity_kwh": 45,
            "fridge": True,
            "motorbikes": 1,
            "cropland_m2": 1200.5,
        },
    }
    yield field_only
    both = copy.deepcopy(field_only)
    both["income"]["sources_12m"] = record["income"]["sources_12m"]
    both["income"]["scorecard"] = {}
    yield both
    crowded = copy.deepcopy(record)
    crowded["dwelling"]["devices"] = []
    crowded["members"][0] |= {
        "work_status": "unemployed",
        "labour_contract": None,
        "name": "Lê <An> & Co",
    }
    crowded["members"].append(
        copy.deepcopy(record["members"][2]) | {"member_no": 5, "name": "Nguyễn Út"}
    )
    yield crowded


@pytest.mark.parametrize("index", range(5))
def test_variants_round_trip(record, index):
    variant = list(_variants(record))[index]
    assert validate_household(variant, today=TODAY) == []
    assert round_trip(variant) == variant


def test_instance_nodes_exist_in_the_served_xform(record):
    """household_to_instance writes only nodes the XForm defines, as Collect would."""
    form = ElementTree.fromstring(xform.build_xform())
    template = form.find(f"{{http://www.w3.org/1999/xhtml}}head/{XF}model/{XF}instance")[0]
    defined = set(_walk(template, ""))
    instance = ElementTree.fromstring(household_to_instance(record, deprecated_id="uuid:old"))
    written = set(_walk(instance, ""))
    assert written - defined == {
        "/povcensus_household/meta/deprecatedID"
    }  # Collect adds it on edits


def _walk(element, prefix):
    path = f"{prefix}/{element.tag.rsplit('}', 1)[-1]}"
    yield path
    for child in element:
        yield from _walk(child, path)


def test_collect_style_namespaced_instance_is_read(record):
    xml = household_to_instance(record, instance_id="uuid:ns").decode("utf-8")
    xml = xml.replace(
        f'<{FORM_ID} id="{FORM_ID}"',
        f'<{FORM_ID} xmlns="http://www.w3.org/2002/xforms" xmlns:orx="http://openrosa.org/xforms" '
        f'xmlns:jr="http://openrosa.org/javarosa" id="{FORM_ID}"',
    )
    xml = xml.replace("<meta>", "<orx:meta>").replace("</meta>", "</orx:meta>")
    xml = xml.replace("<instanceID>", "<orx:instanceID>").replace(
        "</instanceID>", "</orx:instanceID>"
    )
    back = instance_to_household(xml.encode("utf-8"))
    assert back.pop("meta")["instanceID"] == "uuid:ns"
    assert back == record


def test_a_new_instance_id_is_made_when_none_is_given(record):
    first = instance_to_household(household_to_instance(record))["meta"]["instanceID"]
    second = instance_to_household(household_to_instance(record))["meta"]["instanceID"]
    assert first.startswith("uuid:") and first != second
    record["meta"] = {"instanceID": "uuid:from-record", "deprecatedID": None}
    assert (
        instance_to_household(household_to_instance(record))["meta"]["instanceID"]
        == "uuid:from-record"
    )


def test_unreadable_answers_are_left_for_validation(record):
    xml = household_to_instance(record, instance_id="uuid:x")
    xml = xml.replace(b"<birth_year>1978</birth_year>", b"<birth_year>abc</birth_year>")
    xml = xml.replace(b"<floor_area_m2>30.0</floor_area_m2>", b"<floor_area_m2>big</floor_area_m2>")
    xml = xml.replace(b"<wages>36000000</wages>", b"<wages>" + b"9" * 5000 + b"</wages>")
    back = instance_to_household(xml)
    assert back["members"][0]["birth_year"] == "abc"
    found = {(e.path, e.code) for e in validate_household(back, today=TODAY)}
    assert found == {
        ("members[0].birth_year", "type_integer"),
        ("dwelling.floor_area_m2", "type_number"),
        ("income.sources_12m.wages", "type_integer"),
    }


@pytest.mark.parametrize(
    ("xml", "code"),
    [
        (b"<povcensus_household id='povcensus_household' version='2026.1'>", "malformed_xml"),
        (b"", "malformed_xml"),
        (b"not xml at all", "malformed_xml"),
        (
            b"<data id='other_form' version='2026.1'><meta><instanceID>u</instanceID></meta></data>",
            "wrong_form",
        ),
        (b"<data version='2026.1'/>", "wrong_form"),
        (b"<data id='povcensus_household' version='2025.9'/>", "unknown_version"),
        (b"<data id='povcensus_household' version='2026.1'><members/></data>", "no_instance_id"),
        (
            b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
            b"<d id='povcensus_household' version='2026.1'>&b;</d>",
            "forbidden_xml",
        ),
    ],
)
def test_bad_submissions_raise_a_clear_bilingual_error(xml, code):
    with pytest.raises(XFormInstanceError) as raised:
        instance_to_household(xml)
    error = raised.value
    assert isinstance(error, ValueError) and isinstance(error, InvalidSubmission)
    assert error.code == code
    assert error.message_vi and error.message_en and error.message_vi != error.message_en
    assert error.message_en in str(error) and error.message_vi in str(error)


def test_non_bytes_input_is_refused():
    with pytest.raises(XFormInstanceError) as raised:
        instance_to_household(None)  # type: ignore[arg-type]
    assert raised.value.code == "not_xml"


def test_shipped_example_instance_is_the_example_record(record):
    """survey_forms/examples/household-instance.xml (for curl and manual tests) stays in step."""
    xml = (EXAMPLE.parent / "household-instance.xml").read_bytes()
    back = instance_to_household(xml)
    assert back.pop("meta") == {
        "instanceID": "uuid:2b0f6c1e-5a7d-4e0b-9a51-3f2d8c7e1a44",
        "deprecatedID": None,
    }
    assert back == record
