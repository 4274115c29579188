"""Static files under content-hashed names, kept by browsers for a year; the cold visit to
every reporter page stays small (portal/assets.py, docs/PERFORMANCE.md "Static files and
warm visits")."""

import base64
import gzip
import hashlib
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from reporter_pages import csrf_token, receipt_words
from test_reporter_flow import log_in, send_report

from portal.assets import build_manifest

STATIC_URL = re.compile(r'(?:href|src)="(/static/[^"]+)"')
# Loaded by a browser without JavaScript: style sheets, icons, images (not scripts).
LOADED = re.compile(r'<(?:link[^>]+href|img[^>]+src)="(/static/[^"]+)"')
IMMUTABLE = "max-age=31536000"
COLD_BYTES = 25_000
COLD_REQUESTS = 3


def static_urls(html: str) -> list[str]:
    return STATIC_URL.findall(html)


def test_pages_link_hashed_names_kept_for_a_year(client: FlaskClient) -> None:
    urls = static_urls(client.get("/report").text)
    assert any(u.startswith("/static/css/varsel.") for u in urls)
    static = Path(client.application.static_folder or "")
    for url in urls:
        found = re.fullmatch(r"/static/(.+)\.([0-9a-f]{16})(\.[a-z]+)", url)
        assert found, url
        plain = found[1] + found[3]
        body = (static / plain).read_bytes()
        assert hashlib.sha256(body).hexdigest().startswith(found[2])
        response = client.get(url)
        assert response.status_code == 200 and response.data == body
        cache = response.headers["Cache-Control"]
        assert IMMUTABLE in cache and "immutable" in cache and "public" in cache
        # The plain name still works (the worker loads its libraries by it), revalidated.
        plain_response = client.get("/static/" + plain)
        assert plain_response.data == body
        assert plain_response.headers["Cache-Control"] == "no-cache"


def test_a_changed_file_gets_a_new_name_and_the_old_one_is_gone(
    app: Flask, tmp_path: Path
) -> None:
    static = tmp_path / "static"
    shutil.copytree(app.static_folder or "", static)
    app.static_folder = str(static)
    client = app.test_client()
    before = [u for u in static_urls(client.get("/").text) if "/css/varsel." in u]
    assert len(before) == 1 and client.get(before[0]).status_code == 200

    css = static / "css" / "varsel.css"
    css.write_bytes(css.read_bytes() + b"\n.changed { color: red; }\n")
    after = [u for u in static_urls(client.get("/").text) if "/css/varsel." in u]
    assert len(after) == 1 and after != before
    assert client.get(after[0]).data.endswith(b".changed { color: red; }\n")
    assert client.get(before[0]).status_code == 404
    assert after[0] in build_manifest(static)["files"]
    assert before[0] not in build_manifest(static)["files"]


@pytest.mark.parametrize(
    "url",
    [
        "/static/css/varsel.0000000000000000.css",  # a hash no version ever had
        "/static/css/nothing.0123456789abcdef.css",  # no such file
        "/static/css/varsel.0123456789ABCDEF.css",  # not our form (upper case)
        "/static/../portal/config.0123456789abcdef.py",
    ],
)
def test_unknown_hashes_are_404(client: FlaskClient, url: str) -> None:
    assert client.get(url).status_code == 404


def test_static_files_are_compressed_but_pages_with_the_token_never(
    client: FlaskClient,
) -> None:
    page = client.get("/report", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert "csrf_token" in page.text and "Content-Encoding" not in page.headers
    for url in static_urls(page.text):
        if url.endswith((".css", ".js", ".svg")):
            plain = client.get(url)
            packed = client.get(url, headers={"Accept-Encoding": "gzip"})
            assert packed.headers["Content-Encoding"] == "gzip"
            assert "Accept-Encoding" in packed.headers["Vary"]
            assert gzip.decompress(packed.data) == plain.data
            assert IMMUTABLE in packed.headers["Cache-Control"]
            again = client.get(url, headers={"Accept-Encoding": "gzip",
                                             "If-None-Match": packed.headers["ETag"]})
            assert again.status_code == 304
    login = client.post("/follow-up", data={"receipt": "x", "csrf_token": csrf_token(page.text)},
                        headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in login.headers


def test_subresource_integrity_matches_the_hashed_file(client: FlaskClient) -> None:
    html = client.get("/report").text
    scripts = re.findall(r'<script src="([^"]+)" integrity="sha384-([^"]+)"', html)
    assert scripts
    for url, integrity in scripts:
        digest = base64.b64encode(hashlib.sha384(client.get(url).data).digest()).decode()
        assert digest == integrity, url


def _weigh(client: FlaskClient, html: str) -> tuple[int, int]:
    """Requests and bytes (as sent, gzip where the browser takes it) of a cold visit
    without JavaScript: the page and what it loads."""
    requests, size = 1, len(html.encode())
    for url in LOADED.findall(html):
        response = client.get(url, headers={"Accept-Encoding": "gzip, deflate"})
        assert response.status_code == 200, url
        requests += 1
        size += len(response.data)
    return requests, size


@pytest.mark.parametrize("lang", ["nb", "nn", "en"])
def test_every_reporter_page_is_small_cold(
    make_app: Callable[..., Flask], lang: str
) -> None:
    app = make_app()
    client = app.test_client()
    client.get(f"/?lang={lang}")
    pages: dict[str, str] = {}
    for path in ("/", "/report", "/follow-up", "/privacy"):
        pages[path] = client.get(path).text
    token = csrf_token(pages["/report"])
    errors = client.post("/report", data={"csrf_token": token, "what_happened": ""})
    assert errors.status_code == 200 and "error-summary" in errors.text
    pages["report with errors"] = errors.text
    failed = client.post("/follow-up", data={"csrf_token": token, "receipt": "feil ord"})
    pages["failed login"] = failed.text
    receipt_page = send_report(client)
    pages["receipt"] = receipt_page
    log_in(client, " ".join(receipt_words(receipt_page)))
    pages["thread"] = client.get("/thread").text
    for name, html in pages.items():
        requests, size = _weigh(client, html)
        assert requests <= COLD_REQUESTS, (name, requests)
        assert size <= COLD_BYTES, (name, size)
