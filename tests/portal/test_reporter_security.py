"""CSRF on every form and the response headers (docs/THREAT-MODEL.md, requirement 7)."""

import io
import re

from flask.testing import FlaskClient
from reporter_pages import csrf_token, forms, receipt_words
from test_reporter_flow import log_in, send_report


def test_every_reporter_form_carries_a_csrf_token(client: FlaskClient) -> None:
    pages = [client.get("/report").text, client.get("/follow-up").text]
    receipt_page = send_report(client)
    pages.append(receipt_page)
    log_in(client, " ".join(receipt_words(receipt_page)))
    pages.append(client.get("/thread").text)
    actions = set()
    for html in pages:
        for spec in forms(html):
            assert spec.hidden.get("csrf_token"), spec.action
            actions.add(spec.action)
    assert actions == {"/report", "/report/written-down", "/follow-up", "/thread", "/logout",
                       "/api/v1/message"}


def test_posts_without_a_token_are_refused(client: FlaskClient) -> None:
    receipt_page = send_report(client)
    log_in(client, " ".join(receipt_words(receipt_page)))
    for path in ("/report", "/report/written-down", "/follow-up", "/thread", "/logout"):
        response = client.post(
            path,
            data={"what_happened": "x", "understood": "y", "text": "x", "receipt": "x",
                  "attachments": [(io.BytesIO(b"file"), "f.txt")]},
            content_type="multipart/form-data",
        )
        assert response.status_code == 400, path
    # Nothing of the refused posts was kept, not even the encrypted upload.
    assert client.get("/thread").text.count("f.txt") == 0


def test_security_headers_on_reporter_pages(client: FlaskClient) -> None:
    for path in ("/", "/report", "/follow-up", "/does-not-exist"):
        response = client.get(path)
        h = response.headers
        assert "default-src 'none'" in h["Content-Security-Policy"]
        assert "unsafe-inline" not in h["Content-Security-Policy"]
        assert h["Referrer-Policy"] == "no-referrer"
        assert h["X-Frame-Options"] == "DENY"
        assert h["Cache-Control"] == "no-store"
        assert "Server" not in h


def test_hsts_over_https_and_behind_a_tls_proxy(make_app) -> None:  # type: ignore[no-untyped-def]
    plain = make_app().test_client()
    assert "Strict-Transport-Security" not in plain.get("/").headers
    assert "max-age=" in plain.get("/", base_url="https://localhost").headers[
        "Strict-Transport-Security"
    ]
    # Behind a proxy that terminates TLS the app sees http://; the operator says HTTPS.
    proxied = make_app(secure_cookies=True).test_client()
    assert "max-age=" in proxied.get("/").headers["Strict-Transport-Security"]


def test_flask_session_cookie_flags(client: FlaskClient) -> None:
    response = client.get("/report")
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in header and "SameSite=Strict" in header


def test_secure_cookies_when_configured(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(secure_cookies=True)
    client = app.test_client()
    words = receipt_words(send_report(client))
    token = csrf_token(client.get("/follow-up").text)
    response = client.post("/follow-up", data={"csrf_token": token, "receipt": " ".join(words)})
    cookies = response.headers.getlist("Set-Cookie")
    assert any(h.startswith("varsel_reporter=") for h in cookies)
    assert all("Secure" in h for h in cookies)


def test_templates_have_no_inline_script_or_style() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for path in [*(root / "templates" / "reporter").rglob("*.html"),
                 *(root / "templates" / "errors").rglob("*.html"), root / "templates/base.html"]:
        text = path.read_text()
        assert "style=" not in text, path
        # Scripts only as same-origin files with Subresource Integrity, never inline.
        for tag, body in re.findall(r"(<script[^>]*>)(.*?)</script>", text, re.S):
            assert body == "", path
            assert "src=\"{{ url_for('static'" in tag and "integrity=\"{{ static_sri(" in tag
        assert text.count("<script") == len(re.findall(r"<script[^>]*>.*?</script>", text, re.S))
        assert "http://" not in text and "//cdn" not in text, path
