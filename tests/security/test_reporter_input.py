"""Issue 7, items 10 and 11: a blank report is refused as a form error before any argon2
work or counting; a long report either fits in the reporter's own copy, whole, or is
refused with a clear message. Over real HTTP against ``varsel-portal run``."""

import sqlite3

import pytest
from conftest import LiveServer
from http_client import NoJsBrowser, Page
from reporter_pages import form, receipt_words

from crypto.payload import MAX_TEXT


@pytest.fixture
def live_server_env() -> dict[str, str]:
    # One submission per window in all: a blank report that was counted would use it up.
    return {"VARSEL_GLOBAL_SUBMISSIONS": "1", "VARSEL_CLIENT_SUBMISSIONS": "1"}


def _send(browser: NoJsBrowser, what_happened: str) -> Page:
    spec = form(browser.get("/report?lang=en").html, "/report")
    fields = [*spec.hidden.items(), ("what_happened", what_happened), ("understood", "y")]
    return browser.post_multipart("/report", fields, [])


def _threads(server: LiveServer) -> int:
    with sqlite3.connect(server.data_dir / "varsel.sqlite3") as db:
        return int(db.execute("SELECT count(*) FROM threads").fetchone()[0])


def test_blank_report_is_a_form_error_and_costs_nothing(live_server: LiveServer) -> None:
    browser = NoJsBrowser(live_server.url)
    for blank in ("   ", "\n\t \r\n", "\u00a0 "):
        page = _send(browser, blank)
        assert page.status == 200, page.status
        assert "Please describe what happened." in page.html
    assert _threads(live_server) == 0
    # Nothing was counted: the one submission the limit allows is still there.
    page = _send(browser, "Det skjedde noe.")
    assert page.status == 200 and len(receipt_words(page.html)) == 8
    assert "Traceback" not in live_server.output


def test_longest_report_is_read_back_whole(live_server: LiveServer) -> None:
    browser = NoJsBrowser(live_server.url)
    refused = _send(browser, "x" * (MAX_TEXT - 10))
    assert refused.status == 200 and "The report is too long" in refused.html
    assert _threads(live_server) == 0
    text = "Dette skjedde. " + "ø" * (MAX_TEXT - 100)
    page = _send(browser, text)
    words = receipt_words(page.html)
    login = form(browser.get("/follow-up").html, "/follow-up")
    page = browser.post_form("/follow-up", [*login.hidden.items(), ("receipt", " ".join(words))])
    assert page.url.endswith("/thread")
    assert text in page.html  # the reporter's own copy, whole
