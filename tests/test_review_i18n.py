"""The review pages speak Vietnamese by default and English on request; the committed
catalog (.po) is complete, and its compiled .mo says exactly the same."""

from __future__ import annotations

import gettext
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from test_review_support import OWN, make_review

REPO = Path(__file__).resolve().parents[1]
CATALOG = REPO / "server" / "review" / "translations" / "vi" / "LC_MESSAGES"


def _po():
    with (CATALOG / "review.po").open("rb") as handle:
        return read_po(handle)


def test_compiled_mo_matches_the_po():
    catalog = _po()
    with (CATALOG / "review.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    messages = [m for m in catalog if m.id]
    assert messages
    for message in messages:
        assert message.string, f"untranslated: {message.id!r}"
        assert not message.fuzzy, f"fuzzy: {message.id!r}"
        assert compiled.gettext(message.id) == message.string, message.id
    # nothing in the .mo that the .po does not have (the header entry aside)
    assert set(compiled._catalog) - {""} == {m.id for m in messages}


def test_every_string_of_the_pages_is_in_the_catalog():
    method_map = [("server/review/**.py", "python"), ("server/templates/review/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None}
    found = {
        message
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(REPO), method_map, keywords=keywords
        )
        if message
    }
    assert found - {m.id for m in _po()} == set()


def test_vietnamese_by_default_and_english_on_request(app, db, open_round):
    review = make_review(app, db, open_round())
    household = review.add("poor")
    client = review.login(app.test_client(), "head")
    page = client.get(f"/review/c/{OWN}/").get_data(as_text=True)
    assert "Danh sách hộ cần kiểm tra" in page and "Hộ nghèo" in page
    response = client.post("/review/language", data={"lang": "en", "next": f"/review/c/{OWN}/"})
    assert response.status_code == 302 and response.location.endswith(f"/review/c/{OWN}/")
    page = client.get(f"/review/c/{OWN}/h/{household}").get_data(as_text=True)
    assert "Income per person per month" in page and "Thu nhập bình quân" not in page
    response = client.post("/review/language", data={"lang": "vi", "next": "//evil.example/"})
    assert "evil.example" not in response.location
    page = client.get(f"/review/c/{OWN}/h/{household}").get_data(as_text=True)
    assert "Thu nhập bình quân người/tháng" in page
