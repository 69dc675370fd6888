"""The Content-Security-Policy in a real browser (Debian's Chromium, headless) against
`povcensus demo`: the province map (folium's inline scripts, framed by the dashboard) still
draws every commune with no CSP violation, the review pages' print buttons raise none, and
another site cannot frame our pages."""

from __future__ import annotations

import pytest
from browser_support import needs_chromium, running_demo

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    with running_demo(tmp_path_factory.mktemp("demo-csp"), households=300) as url:
        yield url


def violations_of(page) -> list[str]:
    """Console messages about the CSP, from the page and its frames."""
    found: list[str] = []
    page.on(
        "console",
        lambda message: (
            found.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None
        ),
    )
    return found


def sign_in(page, url: str, username: str, password: str) -> None:
    page.goto(f"{url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Đăng nhập / Sign in").click()


def test_the_province_map_draws_under_the_policy(demo_server, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    problems = violations_of(page)
    sign_in(page, demo_server, "tinh", "demo-tinh")
    answer = page.goto(f"{demo_server}/province/")
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    frame = page.frame_locator("#pv-map")
    frame.locator("path.leaflet-interactive").first.wait_for(timeout=30_000)
    assert frame.locator("path.leaflet-interactive").count() == 69
    inner = page.frame(url=lambda u: "/province/map.html" in u)
    assert inner.evaluate("Object.keys(window.povcensusLayer._layers).length") == 69
    assert problems == []
    context.close()


def test_print_buttons_and_review_pages_raise_no_violation(demo_server, browser):
    context = browser.new_context()
    page = context.new_page()
    problems = violations_of(page)
    page.add_init_script("window.print = () => { window.printed = (window.printed || 0) + 1; }")
    sign_in(page, demo_server, "xa1", "demo-xa1")
    page.goto(f"{demo_server}/review/")
    commune = page.url.rstrip("/").split("/c/")[1].split("/")[0]
    page.goto(f"{demo_server}/review/c/{commune}/posting")
    page.locator("button[data-print]").first.click()
    assert page.evaluate("window.printed") == 1
    assert problems == []
    context.close()


def test_another_site_cannot_frame_our_pages(demo_server, browser):
    context = browser.new_context()
    page = context.new_page()
    problems = violations_of(page)
    page.set_content(f'<iframe id="f" src="{demo_server}/login"></iframe>')
    page.wait_for_timeout(1500)
    framed = page.frame(url=lambda u: "/login" in u)
    blocked = framed is None or framed.evaluate("document.body.innerText") == ""
    assert blocked
    assert any("frame-ancestors" in text or "Refused to" in text for text in problems), problems
    context.close()
