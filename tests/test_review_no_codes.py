"""What an official reads has no codes: no page of the security matrix shows, in its visible
Vietnamese text (attributes, scripts and styles aside), a raw indicator code, a rule id or a
snake_case answer value."""

from __future__ import annotations

import re
from html import unescape

from test_review_security import PROVINCE_REQUESTS, _fixture_data, commune_requests
from test_review_support import OWN, make_review

from scoring import list_standards, load_standard
from scoring.text import RULE_TITLES
from server.queries import review as rq

SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def visible_text(html: str) -> str:
    """The text a reader sees: no tags, attributes, scripts or styles."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    html = re.sub(r"<!--.*?-->", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _codes() -> set[str]:
    found = set(RULE_TITLES)
    for standard_id in list_standards():
        standard = load_standard(standard_id)
        if standard.kind != "legal":
            continue
        found |= {ind.id for ind in standard.indicators} | set(standard.dimensions)
    return found


def _pages(app, db, open_round):
    review = make_review(app, db, open_round())
    ids = _fixture_data(review)
    # an override and a return too, so that every kind of row is on the pages
    extra = review.add("near_poor", village="Thôn 2")
    rq.record_decision(
        db,
        round_id=review.round["id"],
        household_id=extra,
        user_id=review.users["admin"].id,
        decision="overridden",
        version=1,
        reason="Có lương hưu",
        override_class="poor",
    )
    client = review.login(app.test_client(), "admin")
    urls = [u for m, u, _f in commune_requests(OWN, ids[OWN]) if m == "GET"]
    urls += [u for m, u, _f in PROVINCE_REQUESTS if m == "GET"]
    urls += [f"/review/c/{OWN}/conflicts?all=1", f"/review/c/{OWN}/h/{extra}"]
    return client, urls


def test_no_page_of_the_matrix_shows_codes(app, db, open_round):
    client, urls = _pages(app, db, open_round)
    codes = _codes()
    word = re.compile(r"\b(" + "|".join(sorted(map(re.escape, codes))) + r")\b")
    problems = {}
    for url in urls:
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 200, url
        if response.mimetype != "text/html":  # downloads (the blank Phiếu B workbook)
            continue
        text = visible_text(response.get_data(as_text=True))
        found = set(SNAKE.findall(text)) | set(word.findall(text))
        if found:
            problems[url] = sorted(found)
    assert problems == {}


def test_the_scan_sees_a_leaked_code():
    html = '<td title="income_at_or_below_poor_line">Lý do: dwelling_in <b>water</b></td>'
    text = visible_text(html)
    assert SNAKE.findall(text) == ["dwelling_in"]
    assert "income_at_or_below_poor_line" not in text and "water" in text
