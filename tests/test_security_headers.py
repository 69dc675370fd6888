"""Security headers on every page (issue 9, finding 8): no framing by other sites, a
Content-Security-Policy with a fresh nonce per request that the pages' own scripts carry,
nosniff, a referrer policy, and no caching of pages with personal data."""

from __future__ import annotations

import re

import pytest
from test_review_security import PROVINCE_REQUESTS, _fixture_data, commune_requests
from test_review_support import FOREIGN, OWN, make_review


def assert_secure_headers(response, url: str) -> None:
    headers = response.headers
    policy = headers.get("Content-Security-Policy", "")
    assert headers.get("X-Frame-Options") == "DENY", url
    assert "frame-ancestors 'none'" in policy, url
    assert re.search(r"script-src 'self' 'nonce-[\w-]{20,}'", policy), (url, policy)
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0], url
    assert "object-src 'none'" in policy and "img-src 'self' data:" in policy, url
    assert headers.get("X-Content-Type-Options") == "nosniff", url
    assert headers.get("Referrer-Policy") == "same-origin", url
    assert headers.get("Cache-Control") == "no-store", url


@pytest.mark.parametrize("role", ["anonymous", "head", "admin"])
def test_every_page_of_the_security_matrix_carries_the_headers(app, db, open_round, role):
    review = make_review(app, db, open_round())
    ids = _fixture_data(review)
    client = app.test_client()
    if role != "anonymous":
        review.login(client, role)
    requests = [r for c in (OWN, FOREIGN) for r in commune_requests(c, ids[c])]
    requests += PROVINCE_REQUESTS + [("GET", "/login", None), ("GET", "/", None)]
    requests += [("GET", "/province/", None), ("GET", "/review/c/99999999999999999999/", None)]
    for method, url, form in requests:
        response = client.open(url, method=method, data=form)
        assert_secure_headers(response, f"{role} {method} {url} {response.status_code}")


def test_machine_endpoints_carry_them_too(client):
    for url in ("/api/v1/me", "/api/v1/openapi.json", "/formList"):
        assert_secure_headers(client.get(url), url)


def test_the_nonce_is_fresh_and_the_pages_own_script_carries_it(app, db, open_round):
    review = make_review(app, db, open_round())
    client = review.login(app.test_client(), "head")
    seen = set()
    for _ in range(3):
        response = client.get(f"/review/c/{OWN}/")
        nonce = re.search(r"'nonce-([\w-]+)'", response.headers["Content-Security-Policy"])[1]
        html = response.get_data(as_text=True)
        scripts = re.findall(r"<script\b[^>]*>", html)
        inline = [tag for tag in scripts if "src=" not in tag]
        assert inline and all(f'nonce="{nonce}"' in tag for tag in inline), scripts
        # external scripts are our own static files ('self' in script-src)
        assert all('src="/static/' in tag for tag in scripts if tag not in inline), scripts
        assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers
        seen.add(nonce)
    assert len(seen) == 3


def test_the_map_page_may_be_framed_by_our_dashboard_only(app, db, open_round):
    app.config["MAP_TILES"] = "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png"
    review = make_review(app, db, open_round())
    review.add("poor")
    client = review.login(app.test_client(), "province")
    response = client.get("/province/map.html")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert (
        "frame-ancestors 'self'" in policy and response.headers["X-Frame-Options"] == "SAMEORIGIN"
    )
    nonce = re.search(r"'nonce-([\w-]+)'", policy)[1]
    scripts = re.findall(r"<script\b[^>]*>", response.get_data(as_text=True))
    assert scripts and all(f'nonce="{nonce}"' in tag for tag in scripts)
    # background tiles only from the configured tile server (MAP_TILES), nowhere else
    assert "https://*.tile.openstreetmap.org" in policy.split("img-src")[1].split(";")[0]
