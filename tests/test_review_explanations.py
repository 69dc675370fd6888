"""Every score explained in words an official reads: each indicator's reason as a sentence
naming the people and the law's threshold (`scoring.reasons`, stored in the result and shown on
the household page), dimension and rule names translated, Phiếu B items labelled, no empty line
for a band the standard does not set, Vietnamese number formats."""

from __future__ import annotations

import copy
import re
from html import unescape

import pytest
from test_review_support import OWN, make_review

from scoring import classify, example_scorecard, load_standard
from scoring.reasons import indicator_reasons, scorecard_items
from scoring.text import en_number, vi_number, vi_percent
from server.review.sample import sample_record


def _household_of_seven() -> dict:
    """Lê Văn Kiên (72), his son and daughter-in-law, and three grandchildren and a baby."""
    record = sample_record("poor")
    template = record["members"][0]
    people = [
        ("Lê Văn Kiên", "head", "male", 1954, "farmer"),
        ("Lê Văn Tâm", "child", "male", 1985, "farmer"),
        ("Phạm Thị Hoa", "child_in_law", "female", 1988, "farmer"),
        ("Lê Thị Mai", "grandchild", "female", 2014, "student"),
        ("Lê Văn Nam", "grandchild", "male", 2016, "student"),
        ("Lê Thị Lan", "grandchild", "female", 2019, "child"),
        ("Lê Văn Hùng", "other", "male", 2000, "farmer"),
    ]
    record["members"] = []
    for number, (name, relation, sex, born, work) in enumerate(people, start=1):
        member = copy.deepcopy(template)
        member.update(
            member_no=number,
            name=name,
            relation=relation,
            sex=sex,
            birth_year=born,
            work_status=work,
            disability="none",
            in_school=work == "student",
        )
        record["members"].append(member)
    record["head_name"] = "Lê Văn Kiên"
    return record


def test_numbers_in_the_vietnamese_format():
    assert vi_number(20400) == "20.400"
    assert vi_number(5.61) == "5,61"
    assert vi_number(7.5, 1) == "7,5"
    assert en_number(20400.5, 1) == "20,400.5"
    assert vi_percent(4 / 7) == "57 %"


def test_the_dependents_sentence_names_people_and_the_threshold():
    record = _household_of_seven()
    result = classify(record, "vn-2022").to_dict()
    dependents = next(i for i in result["indicators"] if i["id"] == "dependents")
    assert dependents["deprived"]
    assert dependents["reason"]["vi"] == (
        "Ông Lê Văn Kiên, 72 tuổi, và 3 trẻ dưới 16 tuổi: 4/7 người phụ thuộc (57 %) > 50 %"
    )
    assert dependents["reason"]["en"].startswith("Lê Văn Kiên (72) and 3 children under 16")
    # the same sentences when computed again from the stored facts
    again = indicator_reasons(result, record, load_standard("vn-2022"))
    assert again["dependents"] == dependents["reason"]


RAW = re.compile(r"\b[a-z]+_[a-z_]+\b")


@pytest.mark.parametrize("standard", ["vn-2016", "vn-2022", "vn-2027"])
@pytest.mark.parametrize("kind", ["poor", "near_poor", "not_poor"])
def test_every_reason_is_a_sentence_without_codes(standard, kind):
    record = sample_record(kind)
    result = classify(record, standard).to_dict()
    for indicator in result["indicators"]:
        for lang in ("vi", "en"):
            text = indicator["reason"][lang]
            assert text and not RAW.search(text), (indicator["id"], text)
            assert "{" not in text and "None" not in text, text


def test_phieu_b_items_are_labelled_from_the_questionnaire():
    record = sample_record("poor")
    record["income"]["scorecard"] = {
        "electricity_kwh": 65,
        "fridge": False,
        "motorbikes": 1,
        "car": False,
        "air_conditioner": False,
        "washing_machine": False,
        "cattle": 2,
        "pigs_goats": 0,
        "cropland_m2": 1500,
    }
    result = classify(record, "vn-2022", mode="field", scorecard=example_scorecard()).to_dict()
    items = scorecard_items(result["field_score"])
    assert items and all(not RAW.search(item["vi"]) for item in items)
    assert "Số trâu, bò" in {item["vi"] for item in items}


def _page(app, db, open_round, standard, kind="poor"):
    review = make_review(app, db, open_round(standard=standard))
    household = review.add(kind, head_name="Nguyễn Văn An")
    client = review.login(app.test_client(), "head")
    return client.get(f"/review/c/{OWN}/h/{household}").get_data(as_text=True)


def _text(html: str) -> str:
    """The page's visible text (tags, attributes, scripts and styles removed)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def test_the_household_page_explains_in_plain_vietnamese(app, db, open_round):
    text = _text(_page(app, db, open_round, "vn-2022"))
    assert "Ông Nguyễn Văn An, 48 tuổi: làm công ăn lương, không có hợp đồng lao động" in text
    assert "30 m² cho 4 người: 7,5 m²/người < 8 m²/người" in text
    assert "Việc làm" in text and "Nước sinh hoạt và vệ sinh" in text  # dimensions
    assert "Thu nhập không vượt chuẩn và thiếu hụt đủ số chỉ số" in text  # the rule's name
    for raw in (
        "income_at_or_below_line_and_deprived",
        "water_sanitation",
        "member_no",
        "max_share",
        "tarpaulin_other",
        "wage_worker",
    ):
        assert raw not in text, raw


def test_no_empty_line_for_a_band_the_standard_does_not_set(app, db, open_round):
    text = _text(_page(app, db, open_round, "vn-2027"))
    assert "Mức sống trung bình — ₫" not in text and "— ₫" not in text
    assert "không quy định" in text or "chưa quy định" in text


def test_the_household_page_says_when_its_explanation_is_of_another_standard_version(
    app, db, open_round
):
    """Scores are stored as summaries and explained on demand (issue 16): were the standard's
    file to move to another version after ingest, the page says under which version and class
    the household was scored when received, in Vietnamese, instead of silently explaining
    another score."""
    review = make_review(app, db, open_round(standard="vn-2022"))
    household = review.add("poor", head_name="Nguyễn Văn An")
    client = review.login(app.test_client(), "head")
    url = f"/review/c/{OWN}/h/{household}"
    assert 'id="score-recomputed"' not in client.get(url).get_data(as_text=True)
    with db.conn:
        db.execute(
            "UPDATE scores SET standard_version = '2021.1', classification = 'near_poor'"
            " WHERE household_id = ?",
            [household],
        )
    text = _text(client.get(url).get_data(as_text=True))
    assert "khi tiếp nhận, hộ được chấm theo phiên bản 2021.1: Hộ cận nghèo." in text
    assert "Thu nhập không vượt chuẩn và thiếu hụt đủ số chỉ số" in text  # still explained
