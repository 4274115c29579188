"""The whole reporter path over real HTTP against ``varsel-portal run`` (no JavaScript)."""

from conftest import LiveServer
from http_client import NoJsBrowser
from reporter_pages import field_pairs, filled, form, receipt_words


def test_report_receipt_login_thread_follow_up_over_http(live_server: LiveServer) -> None:
    browser = NoJsBrowser(live_server.url)
    page = browser.get("/report?lang=en")
    assert page.status == 200
    spec = form(page.html, "/report")
    fields = filled(spec, {"what_happened": "Over HTTP.", "when": "Yesterday"})
    page = browser.post_multipart(
        "/report",
        field_pairs(fields),
        [("attachments", "one.txt", b"one"), ("attachments", "two.txt", b"two" * 5000)],
    )
    assert page.status == 200, page.html
    words = receipt_words(page.html)
    assert "set-cookie" not in {k.lower() for k in page.headers} or " ".join(words) not in str(
        page.headers
    )

    confirm = form(page.html, "/report/written-down")
    page = browser.post_form("/report/written-down", list(confirm.hidden.items()))
    assert page.url.endswith("/follow-up")

    login = form(page.html, "/follow-up")
    page = browser.post_form(
        "/follow-up", [*login.hidden.items(), ("receipt", " ".join(words))]
    )
    assert page.status == 200 and page.url.endswith("/thread")
    assert "Over HTTP." in page.html and "one.txt" in page.html and "two.txt" in page.html

    message = form(page.html, "/thread")
    page = browser.post_multipart(
        "/thread",
        [*message.hidden.items(), ("text", "A follow-up.")],
        [("attachments", "three.txt", b"three")],
    )
    assert page.status == 200 and page.url.endswith("/thread")
    assert "A follow-up." in page.html and "three.txt" in page.html
    assert all(" ".join(words) not in c.value for c in browser.cookies if c.value)
