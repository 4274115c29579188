"""Post/redirect/get for the receipt, a form sent twice, and a closed case (issue 9, items 1
and 2), over real HTTP against ``varsel-portal run`` without JavaScript."""

import sqlite3
import urllib.request
from pathlib import Path

from conftest import LiveServer
from http_client import NoJsBrowser, Page
from reporter_pages import field_pairs, filled, form, receipt_words


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: object, **_kwargs: object) -> None:
        return None  # the 303 itself comes back as the page


def _not_following(base_url: str) -> NoJsBrowser:
    browser = NoJsBrowser(base_url)
    browser._opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(browser.cookies), _NoRedirect()
    )
    return browser


def _fields(browser: NoJsBrowser, text: str) -> list[tuple[str, str]]:
    spec = form(browser.get("/report?lang=en").html, "/report")
    assert "form_id" in spec.hidden
    data = filled(spec, {"what_happened": text})
    return field_pairs(data)


def _post(browser: NoJsBrowser, fields: list[tuple[str, str]]) -> Page:
    return browser.post_multipart("/report", fields, [("attachments", "a.txt", b"evidence")])


def _count(data_dir: Path, table: str) -> int:
    with sqlite3.connect(data_dir / "varsel.sqlite3") as db:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _files_containing(root: Path, needle: bytes) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_the_receipt_is_shown_once_and_a_reload_files_nothing(live_server: LiveServer) -> None:
    browser = NoJsBrowser(live_server.url)
    fields = _fields(browser, "Reload test.")
    page = _post(browser, fields)
    assert page.status == 200 and page.url.endswith("/report/receipt"), page.html
    receipt = " ".join(receipt_words(page.html))
    assert _count(live_server.data_dir, "threads") == 1
    assert not [c for c in browser.cookies if c.name == "varsel_receipt"], "cookie forgotten"

    # F5 on the receipt page: a GET, nothing filed, the receipt not shown again.
    again = browser.get("/report/receipt")
    assert again.status == 410 and 'id="receipt-shown"' in again.html
    assert 'class="w"' not in again.html and receipt not in again.html
    # Back, then Forward with "resend": the same form again is a no-op that says so.
    resent = _post(browser, fields)
    assert resent.status == 409 and 'id="sent-again"' in resent.html
    assert _count(live_server.data_dir, "threads") == 1
    assert _count(live_server.data_dir, "attachments") == 1

    # The receipt was never written down by the server: not on disk, not in its output.
    needle = receipt.encode()
    assert _files_containing(live_server.data_dir, needle) == []
    assert _files_containing(live_server.tmp_dir, needle) == []
    assert receipt not in live_server.output

    # The receipt works for the follow-up.
    login = browser.get("/follow-up")
    page = browser.post_form(
        "/follow-up", [*form(login.html, "/follow-up").hidden.items(), ("receipt", receipt)]
    )
    assert page.url.endswith("/thread") and "Reload test." in page.html


def test_a_double_click_files_one_report_and_still_shows_the_receipt(
    live_server: LiveServer,
) -> None:
    first = _not_following(live_server.url)
    fields = _fields(first, "Double click.")
    answer = _post(first, fields)
    assert answer.status == 303 and answer.headers["Location"].endswith("/report/receipt")
    cookie = answer.headers["Set-Cookie"]
    assert "Path=/report/receipt" in cookie and "HttpOnly" in cookie and "Max-Age=" in cookie
    # Before it is shown, the receipt waits wrapped: one row, no plaintext.
    assert _count(live_server.data_dir, "sent_forms") == 1

    # The second click's answer is the one the browser shows: it files nothing, and leads
    # to the receipt, which has not been shown yet.
    second = first  # the same browser, now following redirects again
    second._opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(first.cookies))
    page = _post(second, fields)
    assert page.status == 200 and page.url.endswith("/report/receipt"), page.html
    assert "already been sent" in page.html
    receipt = " ".join(receipt_words(page.html))
    assert _count(live_server.data_dir, "threads") == 1
    assert _files_containing(live_server.data_dir, receipt.encode()) == []

    # The first answer's redirect, followed late, finds the receipt already shown.
    late = NoJsBrowser(live_server.url)
    assert late.get("/report/receipt").status == 410


def test_a_closed_case_says_so_and_takes_no_messages(live_server: LiveServer) -> None:
    browser = NoJsBrowser(live_server.url)
    page = _post(browser, _fields(browser, "Closed case."))
    receipt = " ".join(receipt_words(page.html))
    login = browser.get("/follow-up")
    page = browser.post_form(
        "/follow-up", [*form(login.html, "/follow-up").hidden.items(), ("receipt", receipt)]
    )
    assert 'id="case-closed"' not in page.html and 'name="text"' in page.html
    message = form(page.html, "/thread")

    # The office closes the case (in the inbox, then the upload sets the status).
    with sqlite3.connect(live_server.data_dir / "varsel.sqlite3") as db:
        db.execute("UPDATE threads SET status = 'closed'")
    page = browser.get("/thread")
    assert 'id="case-closed"' in page.html and "This case is closed" in page.html
    assert 'name="text"' not in page.html, "no message form on a closed case"
    assert 'href="/report"' in page.html, "offers a new report"

    before = _count(live_server.data_dir, "submissions")
    page = browser.post_multipart(
        "/thread", [*message.hidden.items(), ("text", "After the close.")],
        [("attachments", "late.txt", b"late")],
    )
    assert page.status == 409 and 'id="message-refused"' in page.html
    assert "Your message has been sent" not in page.html
    assert _count(live_server.data_dir, "submissions") == before
    assert _count(live_server.data_dir, "attachments") == 1
    assert list((live_server.data_dir / "blobs").glob("*.partial")) == []
