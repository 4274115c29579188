"""The reporter pages as a person sees them in Chromium (issue 9, items 12 and 13): the
form's first question near the top on a phone, the reporter's own report folded on the
thread page (and unfolded without JavaScript), new replies marked, what happens next and
the privacy notice. Screenshots go to $VARSEL_SHOTS when set (360 and 1280 px, nb/nn/en).
"""

import sqlite3
from datetime import date

import pytest
from chromium import new_page, shot
from conftest import LiveServer
from playwright.sync_api import Browser, Page

from crypto.envelope import seal
from crypto.payload import Reply, encode_payload
from portal.models import new_id

pytestmark = pytest.mark.browser

REPORT = "At the summer gathering someone kept touching me."
REPLY = "Takk for varselet. Vi tar kontakt innen en uke."


def _report_and_log_in(page: Page, base: str, lang: str) -> None:
    page.goto(f"{base}/report?lang={lang}")
    page.locator("#what_happened").fill(REPORT)
    page.locator("#understood").check()
    page.locator("form.report button[type=submit]").click()
    page.wait_for_url(f"{base}/report/receipt")
    words = page.locator(".receipt .w").all_inner_texts()
    page.goto(f"{base}/follow-up")
    page.locator("#receipt").fill(" ".join(words))
    page.locator("form.login button").click()
    page.wait_for_url(f"{base}/thread")


def _office_replies(server: LiveServer, text: str) -> None:
    """What an uploaded outbound bundle does: a reply sealed to the reporter's key."""
    with sqlite3.connect(server.data_dir / "varsel.sqlite3") as db:
        thread_id, key, position = db.execute(
            "SELECT id, reporter_public_key, next_position FROM threads"
        ).fetchone()
        envelope = seal(encode_payload(Reply(text=text)), [bytes(key)])
        db.execute(
            "INSERT INTO replies (id, position, thread_id, day, envelope) VALUES (?, ?, ?, ?, ?)",
            (new_id(), position, thread_id, date.today().isoformat(), envelope),
        )
        db.execute("UPDATE threads SET next_position = next_position + 1")


@pytest.mark.parametrize("lang", ["nb", "nn", "en"])
@pytest.mark.parametrize("width", [360, 1280])
def test_the_first_question_comes_early_and_the_pages_fit(
    browser: Browser, live_server: LiveServer, width: int, lang: str
) -> None:
    with new_page(browser, viewport={"width": width, "height": 800}) as page:
        page.goto(f"{live_server.url}/report?lang={lang}")
        top = page.locator("#what_happened").bounding_box()
        assert top is not None and top["y"] < 800, f"first question at {top} px on {width}"
        lead = page.locator("#form-lead").inner_text()
        assert lead and ("2" in lead or "To " in lead or "Two" in lead), lead
        shot(page, f"form-{lang}-{width}")
        for path, name in (("/", "landing"), ("/privacy", "privacy")):
            page.goto(f"{live_server.url}{path}")
            overflow = page.evaluate(
                "document.scrollingElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{name} scrolls sideways at {width}"
            shot(page, f"{name}-{lang}-{width}")


def test_the_own_report_is_folded_and_new_replies_are_marked_without_javascript(
    browser: Browser, live_server: LiveServer
) -> None:
    with new_page(
        browser, java_script_enabled=False, viewport={"width": 360, "height": 800}
    ) as page:
        _report_and_log_in(page, live_server.url, "en")
        report = page.locator("details.own-report")
        assert report.count() == 1 and report.get_attribute("open") is None
        assert not page.get_by_text(REPORT).is_visible(), "folded by default"
        report.locator("summary").click()  # a native <details>: no script needed
        assert page.get_by_text(REPORT).is_visible()

        _office_replies(live_server, REPLY)
        page.reload()
        office = page.locator(".item-office")
        assert office.count() == 1 and "New" in office.locator(".badge-new").inner_text()
        shot(page, "thread-new-reply-en-360")

        page.locator("#text").fill("Thank you, here is more.")
        page.locator("form[action='/thread'] button[type=submit]").click()
        page.wait_for_url(f"{live_server.url}/thread")
        assert page.locator(".badge-new").count() == 0, "answered: no longer new"


def test_the_landing_page_says_what_happens_next_and_links_the_privacy_notice(
    browser: Browser, live_server: LiveServer
) -> None:
    with new_page(browser, java_script_enabled=False) as page:
        page.goto(f"{live_server.url}/?lang=nb")
        text = page.locator("main").inner_text()
        for needle in ("innen 7 dager", "innen 3 måneder", "Hva er trakassering",
                       "§9.2, §10.2", "§8.2", "§11", "anonym", "«Avsluttet»"):
            assert needle in text, needle
        page.locator("main a[href='/privacy']").click()
        page.wait_for_url(f"{live_server.url}/privacy")
        privacy = page.locator("main").inner_text()
        for needle in ("Arbeiderpartiet er ansvarlig", "behandlingsansvarlig", "Hvor lenge",
                       "365 dager", "Datatilsynet", "Rettighetene dine"):
            assert needle in privacy, needle
