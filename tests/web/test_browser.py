"""The dashboard in a real browser: Playwright driving Debian's Chromium.

The app runs under uvicorn in a background thread on a free loopback port over
the seeded 3,000-person city (SQLite).  A grid worker logs in and sees only
their community; the commander logs in and acknowledges the alert with the
htmx button.  Screenshots go to ``var/screenshots/``.  Skipped when
``/usr/bin/chromium`` is missing (``.ci/run`` installs it).
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from epicontrol.api.app import create_app
from epicontrol.domains.surveillance.models import Alert
from epicontrol.web.common import vendor_missing
from tests.web.conftest import PASSWORDS, City3k

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def live(backend: str, request: pytest.FixtureRequest) -> Iterator[tuple[str, City3k]]:
    """The app served by uvicorn in a thread; yields its base URL and the city."""
    if backend != "sqlite":
        pytest.skip("the browser test runs on the embedded SQLite store")
    import uvicorn

    city: City3k = request.getfixturevalue("city3k")
    port = _free_port()
    app = create_app(city.settings, engine=city.engine)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", city
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(live: tuple[str, City3k]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield chromium
        chromium.close()


def _login(browser: Any, base: str, name: str) -> Any:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors
    page.goto(f"{base}/alerts")  # not logged in: sent to the login page, then back
    assert "/login" in page.url
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORDS[name])
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{base}/alerts")
    return page


def test_grid_worker_sees_only_their_community(live: tuple[str, City3k], browser: Any) -> None:
    base, city = live
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = _login(browser, base, "grid")
    rows = page.locator("tr.alert-row")
    assert rows.count() == 1
    assert rows.first.get_attribute("data-area") == str(city.alert_community)
    page.screenshot(path=str(SHOTS / "grid-worker-alerts.png"), full_page=True)

    page.goto(f"{base}/")
    assert page.locator("#scope-note").is_visible()
    if not vendor_missing():
        page.wait_for_selector("body[data-charts=ready]")
    # the traced cases live in another community: none of them is on this board
    assert page.locator("#cases-total").inner_text() == "0"
    page.screenshot(path=str(SHOTS / "grid-worker-board.png"), full_page=True)

    page.goto(f"{base}/cases")
    for case_id in city.case_ids:
        assert page.locator(f'a[href="/cases/{case_id}"]').count() == 0
    response = page.goto(f"{base}/cases/{city.case_ids[0]}")
    assert response is not None and response.status == 404
    assert not page.errors
    page.context.close()


def test_commander_acknowledges_the_alert(live: tuple[str, City3k], browser: Any) -> None:
    base, city = live
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = _login(browser, base, "commander")
    row = page.locator(f"#alert-{city.alert_id}")
    status = row.get_attribute("data-status")
    # normally raised; acknowledged already if the page tests ran first in this process
    move, after = {"raised": ("acknowledged", "acknowledged")}.get(
        str(status), ("investigating", "investigating")
    )
    page.screenshot(path=str(SHOTS / "commander-alerts-before.png"), full_page=True)
    page.evaluate("window.__same_page = true")
    row.locator(f"button[data-move={move}]").click()
    page.wait_for_selector(f"#alert-{city.alert_id}[data-status={after}]")
    if not vendor_missing():  # htmx swapped the row in place: the page was not reloaded
        assert page.evaluate("window.__same_page === true")
    page.screenshot(path=str(SHOTS / "commander-alert-acknowledged.png"), full_page=True)
    with Session(city.engine) as session:
        alert = session.get(Alert, city.alert_id)
        assert alert is not None and alert.status == after

    page.goto(f"{base}/")
    if not vendor_missing():
        page.wait_for_selector("body[data-charts=ready]")
        assert page.locator("#zone-map canvas").count() >= 1
        assert page.locator("#epi-curve canvas").count() >= 1
    assert int(page.locator("#cases-total").inner_text()) == len(city.case_ids)
    page.screenshot(path=str(SHOTS / "commander-board.png"), full_page=True)

    page.goto(f"{base}/tasks")
    countdown = page.locator(".countdown").first
    page.wait_for_function(
        "el => /\\d\\d:\\d\\d:\\d\\d/.test(el.textContent)", arg=countdown.element_handle()
    )
    assert re.search(r"已超时|剩余", countdown.inner_text())
    page.screenshot(path=str(SHOTS / "commander-tasks.png"))

    page.goto(f"{base}/cases/{city.case_ids[0]}")
    if not vendor_missing():
        page.wait_for_selector("body[data-charts=ready]")
    assert page.locator("#case-summary").inner_text().strip()
    page.screenshot(path=str(SHOTS / "commander-case.png"))
    assert not page.errors
    page.context.close()
