"""A person in a real Chromium with JavaScript off (Tor Browser "Safest"), end to end.

docs/THREAT-MODEL.md, requirement 2: every request goes to the portal's own origin. The layout is
checked at 360 px (a small phone): no horizontal scrolling on any reporter page.
Set VARSEL_SHOTS=<dir> to keep screenshots of every page at 360 and 1280 px.
"""

from collections.abc import Callable

import pytest
from chromium import new_page, shot
from conftest import LiveServer
from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser



def walk(page: Page, base: str, lang: str, at: Callable[[str], None], js: bool = False) -> None:
    """Landing -> form -> report with two files -> receipt -> login -> thread -> follow-up,
    calling ``at(name)`` on every page. Uses only links, fields and buttons. With ``js`` the
    page's own scripts run (the browser path, docs/PROTOCOL.md "Browser path")."""
    page.goto(f"{base}/?lang={lang}")
    at("landing")
    page.locator("main a.button.primary").click()
    page.wait_for_url(f"{base}/report")
    if js:
        page.wait_for_selector("form.report[data-browser-path=on]")
    at("form")
    page.locator("#what_happened").fill("At the summer gathering someone kept touching me.")
    page.locator("#when").fill("July")
    page.locator("input[name=where][value=overnight_event]").check()
    page.locator("input[name=kind][value=sexual_harassment]").check()
    page.locator("input[name=involved_roles][value=tillitsvalgt]").check()
    page.locator("input[name=reporter_relation][value=affected]").check()
    page.locator("#attachments").set_input_files(
        [
            {"name": "chat.txt", "mimeType": "text/plain", "buffer": b"messages"},
            {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8" + b"j" * 5000},
        ]
    )
    page.locator("#understood").check()
    page.locator("form.report button[type=submit]").click()
    page.locator(".receipt .w").first.wait_for()
    at("receipt")
    words = page.locator(".receipt .w").all_inner_texts()
    assert len(words) == 8
    page.locator("form[action='/report/written-down'] button").click()
    page.wait_for_url(f"{base}/follow-up")
    if js:
        page.wait_for_selector("form.login[data-browser-path=on]")
    at("login")
    page.locator("#receipt").fill(" ".join(words))
    page.locator("form.login button").click()
    if js:
        page.wait_for_selector("ol.conversation li", timeout=60_000)
    else:
        page.wait_for_url(f"{base}/thread")
        page.locator("details.own-report summary").click()  # the own report is folded
    assert "summer gathering" in page.locator(".conversation").inner_text()
    assert "photo.jpg" in page.locator(".conversation").inner_text()
    page.locator("#text").fill("I remembered who else was there.")
    message = "form.message" if js else "form[action='/thread']"
    page.locator(f"{message} #attachments").set_input_files(
        [{"name": "list.txt", "mimeType": "text/plain", "buffer": b"names"}]
    )
    page.locator(f"{message} button[type=submit]").click()
    if js:
        page.wait_for_selector("#thread-notice:not([hidden])", timeout=60_000)
    else:
        page.wait_for_url(f"{base}/thread")
    assert "I remembered who else was there." in page.locator(".conversation").inner_text()
    at("thread")


def test_report_and_follow_up_without_javascript_stay_on_origin(
    browser: Browser, live_server: LiveServer
) -> None:
    requests: list[str] = []
    with new_page(
        browser, java_script_enabled=False, viewport={"width": 1280, "height": 900}
    ) as page:
        page.on("request", lambda request: requests.append(request.url))
        walk(page, live_server.url, "en", lambda _name: None)
        # Log out ends the session.
        page.locator("form.logout button").click()
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}/thread")
        page.wait_for_url(f"{live_server.url}/follow-up")
    assert requests
    foreign = [u for u in requests if not u.startswith(live_server.url + "/")]
    assert foreign == []


@pytest.mark.parametrize("width", [360, 1280])
def test_layout_fits_the_screen(browser: Browser, live_server: LiveServer, width: int) -> None:
    """Measured with JavaScript on, so the pages as the browser path builds them (the
    receipt and the thread are drawn by the page's scripts) are measured too. Screenshots
    go to $VARSEL_SHOTS when set."""
    with new_page(browser, viewport={"width": width, "height": 800}) as page:

        def check(name: str) -> None:
            overflow = page.evaluate(
                "document.scrollingElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px"
            shot(page, f"{name}-{width}")

        walk(page, live_server.url, "nb", check, js=True)
