"""The XLSForm and XForm built from the questionnaire: structure, languages, logic, stability,
and ODK Validate's verdict."""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import tempfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook

from survey_forms import FORM_ID, FORM_VERSION, QUESTIONNAIRE, xform

XF = "{http://www.w3.org/2002/xforms}"
VI, EN = "Vietnamese (vi)", "English (en)"


@pytest.fixture(scope="module")
def workbook():
    return load_workbook(io.BytesIO(xform.build_xlsform()), read_only=True)


@pytest.fixture(scope="module")
def xml_bytes() -> bytes:
    return xform.build_xform()


@pytest.fixture(scope="module")
def model(xml_bytes):
    root = ElementTree.fromstring(xml_bytes)
    return root.find(f"{{http://www.w3.org/1999/xhtml}}head/{XF}model")


def _rows(sheet) -> list[dict]:
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    return [dict(zip(header, row, strict=False)) for row in rows[1:]]


def test_xlsform_has_the_three_sheets_and_both_languages(workbook):
    assert workbook.sheetnames == ["survey", "choices", "settings"]
    settings = _rows(workbook["settings"])[0]
    assert settings["form_id"] == FORM_ID and settings["version"] == FORM_VERSION
    assert settings["default_language"] == VI
    survey = _rows(workbook["survey"])
    for row in survey:
        if row["type"] and not row["type"].startswith(("end", "calculate")):
            assert row[f"label::{VI}"] and row[f"label::{EN}"], row["name"]
    for row in _rows(workbook["choices"]):
        assert row[f"label::{VI}"] and row[f"label::{EN}"], (row["list_name"], row["name"])


def test_xlsform_asks_every_question_with_members_as_a_repeat(workbook):
    survey = _rows(workbook["survey"])
    names = [row["name"] for row in survey if row["name"]]
    for _, question in QUESTIONNAIRE.iter_questions():
        assert question.id in names
    types = [row["type"] for row in survey]
    begin = types.index("begin repeat")
    assert survey[begin]["name"] == "members"
    assert "end repeat" in types[begin:]
    relation = next(row for row in survey if row["name"] == "relation")
    assert types.index("begin repeat") < survey.index(relation) < types.index("end repeat")


def test_xform_root_carries_form_id_and_version(model):
    instance = model.find(f"{XF}instance")
    root = instance[0]
    assert root.tag == f"{XF}{FORM_ID}"
    assert (root.get("id"), root.get("version")) == (FORM_ID, FORM_VERSION)
    assert root.find(f"{XF}meta/{XF}instanceID") is not None
    assert root.find(f"{XF}members") is not None


def test_xform_bytes_are_stable_and_pyxform_has_no_warnings(xml_bytes):
    assert xform.build_xform() == xml_bytes
    rebuilt, warnings = xform.convert_xlsform()  # a fresh conversion, not the cached bytes
    assert hashlib.md5(rebuilt).hexdigest() == hashlib.md5(xml_bytes).hexdigest()
    assert warnings == []


def test_xform_has_every_text_in_both_languages_vietnamese_first(model):
    translations = model.findall(f"{XF}itext/{XF}translation")
    assert [t.get("lang") for t in translations] == [VI, EN]
    assert translations[0].get("default") == "true()"
    ids = [{text.get("id") for text in t.findall(f"{XF}text")} for t in translations]
    assert ids[0] == ids[1]
    assert "/povcensus_household/members/birth_year:label" in ids[0]


def _binds(model) -> dict[str, dict]:
    return {bind.get("nodeset"): bind.attrib for bind in model.findall(f"{XF}bind")}


def test_xform_mirrors_the_cross_field_rules(model):
    binds = _binds(model)
    base = f"/{FORM_ID}"
    assert "today()" in binds[f"{base}/identification/survey_date"]["constraint"]
    birth = binds[f"{base}/members/birth_year"]["constraint"]
    assert ">= 1900" in birth and "survey_year" in birth
    assert "< 16" in binds[f"{base}/members/nutrition"]["relevant"]
    assert "wage_worker" in binds[f"{base}/members/labour_contract"]["relevant"]
    assert "in_school" in binds[f"{base}/members/school_level"]["relevant"]
    assert ". > 0" in binds[f"{base}/dwelling/floor_area_m2"]["constraint"]
    assert (
        binds[f"{base}/members/member_no"]["calculate"] == "position(..)"
    )  # unique by construction
    assert "head_count" in binds[f"{base}/roster_check"]["constraint"]
    assert "sources_known" in binds[f"{base}/income/scorecard_used"]["constraint"]


def test_commune_choices_are_filtered_by_province(xml_bytes):
    text = xml_bytes.decode("utf-8")
    assert (
        "instance('communes')/root/item[province =  /povcensus_household/identification/province_code ]"
        in text
    )
    assert "Hương Khê commune" in text and "Xã Hương Khê" in text


@pytest.mark.parametrize("province", [None, "42"], ids=["national", "ha-tinh"])
def test_odk_validate_accepts_the_xform(province):
    from pyxform.validators import odk_validate

    if shutil.which("java") is None:
        pytest.skip("ODK Validate needs Java, which is not installed here")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{FORM_ID}.xml"
        path.write_bytes(xform.build_xform(province=province))
        warnings = odk_validate.check_xform(str(path))  # raises ODKValidateError when invalid
    assert warnings == []


def test_a_province_form_offers_only_that_province(xml_bytes):
    """A server serves one province: its form lists that province's 69 communes, not 3,321."""
    from survey_forms.communes import province_communes

    form = xform.build_xform(province="42")
    assert form == xform.build_xform(province="42")  # stable bytes, stable md5
    assert len(form) * 4 < len(xml_bytes)
    values = set(re.findall(rb"<name>(\d{5})</name>", form))
    assert values == {c.commune_code.encode() for c in province_communes("42")}
    assert b"<name>00004</name>" in xml_bytes  # Hà Nội's Ba Đình is in the national form only
    assert b"<name>00004</name>" not in form


def test_odk_validate_rejects_a_broken_xform(xml_bytes):
    """The check above can fail: a constraint with broken XPath is refused."""
    from pyxform.validators import odk_validate

    if shutil.which("java") is None:
        pytest.skip("ODK Validate needs Java, which is not installed here")
    broken = xml_bytes.replace(b'constraint=". &lt;= today()"', b'constraint=". &lt;= today("', 1)
    assert broken != xml_bytes
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "broken.xml"
        path.write_bytes(broken)
        with pytest.raises(odk_validate.ODKValidateError):
            odk_validate.check_xform(str(path))
