"""Helpers for the Collect browser tests: a server behind a fault proxy (one origin across
server restarts), enrolling a browser, filling a household through the questionnaire pages."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

from browser_support import ARGS, CHROMIUM
from conftest import example_household, start_live_server
from faultproxy import FaultProxy

COMMUNE = "18496"
SENT = 'section[data-status="sent"] h2'
FINALIZED = 'section[data-status="finalized"] h2'


class CollectServer:
    """The live server and, in front of it, a proxy whose address (the app's origin, hence its
    IndexedDB and service worker) stays the same when the server restarts on another port."""

    def __init__(self, directory: Path, faults=None, *, open_round: bool = True) -> None:
        self.live = start_live_server(directory)
        if open_round:
            self.live.open_round()
        self.proxy = FaultProxy(self.live.url, faults=faults).start()
        self.url = self.proxy.url
        self.username, self.token = self.live.enumerator(communes=(COMMUNE,))

    def restart(self) -> None:
        self.live.start()
        self.proxy.set_upstream(self.live.url)

    def stop(self) -> None:
        self.proxy.stop()
        self.live.stop()

    def count(self, sql: str, *args) -> int:
        return self.live.db().execute(sql, list(args)).fetchone()[0]


CSP_VIOLATIONS: list[str] = []


def launch(playwright, profile: Path, **options):
    """Chromium on a persistent profile (what survives a browser restart). Any Content
    Security Policy violation or script error on a page is collected in CSP_VIOLATIONS."""
    context = playwright.chromium.launch_persistent_context(
        str(profile), executable_path=str(CHROMIUM), args=ARGS, locale="vi-VN", **options
    )

    def watch(page) -> None:
        page.on(
            "console",
            lambda message: (
                CSP_VIOLATIONS.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        page.on("pageerror", lambda error: CSP_VIOLATIONS.append(f"script error: {error}"))

    for page in context.pages:
        watch(page)
    context.on("page", watch)
    return context


def enrol(page, server: CollectServer) -> None:
    """Open the enrolment link and wait until the app knows whose device it is and the service
    worker holds the app for offline use."""
    page.goto(f"{server.url}/collect/#enrol={server.token}")
    page.wait_for_selector(f"text=Thiết bị của {server.username}")
    assert "#enrol" not in page.url  # the token leaves the address bar at once
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    wait_until(page, "() => navigator.serviceWorker.controller !== null")
    wait_until(page, "() => document.body.dataset.lastSync !== undefined")  # the first sync ended


def answer(page, path: str, value) -> None:
    """Answer one question whatever control the app chose for it."""
    question = page.locator(f'.q[data-path="{path}"]')
    if question.locator("select").count():
        question.locator("select").select_option(str(value))
    elif question.locator("input[type=radio]").count():
        text = (
            {True: "true", False: "false"}.get(value, value) if isinstance(value, bool) else value
        )
        question.locator(f'input[type=radio][value="{text}"]').check()
    else:
        question.locator("input").fill(str(value))


MEMBER = {
    "relation": "head",
    "sex": "male",
    "ethnicity": "kinh",
    "disability": "none",
    "in_school": False,
    "highest_diploma": "lower_secondary",
    "vocational_certificate": False,
    "work_status": "farmer",
    "health_insurance": True,
    "sick_no_care": False,
    "uses_internet": True,
    "mobile_subscription": True,
    "social_allowance": False,
}
DWELLING = {
    "wall_material": "earth",
    "frame_material": "softwood_bamboo",
    "roof_material": "metal_sheet",
    "floor_area_m2": "24,5",
    "water_source": "drilled_well",
    "latrine": "simple_pit",
    "hears_loudspeaker": True,
    "waste_treatment": "buried_burned_own",
    "electricity": True,
    "cooking_fuel": "wood_straw_dung",
}


def go_to_page(page, title: str) -> None:
    page.locator("nav.pages a", has_text=title).click()
    page.wait_for_selector(f'nav.pages a.current:has-text("{title}")')


def fill_member(page, index: int, name: str, birth_year: int, **changes) -> None:
    base = f"members[{index}]"
    answer(page, f"{base}.name", name)
    answer(page, f"{base}.birth_year", birth_year)
    for key, value in {**MEMBER, **changes}.items():
        answer(page, f"{base}.{key}", value)


def new_household(page, head: str, village: str = "Thôn 3") -> None:
    page.locator("button[data-action=new]").click()
    page.wait_for_selector('.q[data-path="village"]')
    answer(page, "village", village)
    answer(page, "area", "rural")
    answer(page, "head_name", head)
    answer(page, "address", f"{village}, xã Hương Khê")


def fill_rest(page, wages: int) -> None:
    go_to_page(page, "Nhà ở và điều kiện sống")
    for key, value in DWELLING.items():
        answer(page, f"dwelling.{key}", value)
    go_to_page(page, "Thu nhập")
    answer(page, "income.sources_12m.wages", wages)


def finalize(page) -> None:
    go_to_page(page, "Kiểm tra và hoàn tất")
    page.locator("button[data-action=finalize]").click()
    page.wait_for_selector("button[data-action=new]")


def inject_finalized(page, count: int, commune: str = COMMUNE) -> list[dict]:
    """Put finalized households straight into the app's outbox (as finalize leaves them)."""
    entries = []
    for number in range(count):
        record = example_household(
            household_id=f"{commune}-wb{uuid.uuid4().hex[:10]}", commune_code=commune
        )
        entries.append(
            {
                "local_id": str(uuid.uuid4()),
                "status": "finalized",
                "record": record,
                "instance_id": str(uuid.uuid4()),
                "base": None,
                "errors": [],
                "finalized_at": f"2026-10-05T08:{number // 60:02d}:{number % 60:02d}Z",
            }
        )
    page.evaluate(
        """async (entries) => {
            const store = await import('./static/store.js');
            await store.putHouseholds(entries);
        }""",
        json.loads(json.dumps(entries)),
    )
    page.evaluate("location.hash = '#/x'; location.hash = '#/'")
    return entries


def wait_until(page, predicate: str, arg=None, timeout: float = 30.0) -> None:
    """Poll a JavaScript function until it returns true. (Playwright's wait_for_function
    evaluates its predicate with eval inside the page, which the app's CSP forbids.)"""
    deadline = time.monotonic() + timeout
    while not page.evaluate(predicate, arg):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {predicate}")
        page.wait_for_timeout(50)


def sync_and_wait(page) -> str:
    """Press "sync" and wait until that sync has ended; the banner's text."""
    before = page.evaluate("document.body.dataset.lastSync || ''")
    page.locator("#sync-button").click()
    wait_until(
        page,
        "(before) => (document.body.dataset.lastSync || '') !== before"
        " && !document.querySelector('#sync-button').textContent.includes('…')",
        before,
    )
    return page.inner_text("#banner")
