"""Slow clients cannot stop the portal behind nginx (issue: 40 slow-header connections made
gunicorn stop answering). Real gunicorn as deploy/systemd/varsel.service starts it, real
nginx with deploy/nginx/; everything on 127.0.0.1, every wait bounded."""

import socket
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from http_client import NoJsBrowser
from reporter_pages import receipt_words, send_filled_report

from .conftest import Nginx, Portal, start_portal, stop

SLOW_CLIENTS = 40
PROBES = 3
PROBE_TIMEOUT = 4.0


@pytest.fixture
def portal(tmp_path: Path) -> Iterator[Portal]:
    """The service's gunicorn with one worker (``VARSEL_WORKERS=1``; threads as deployed).
    With two, a busy machine may let one worker accept nearly every slow connection while
    the other is still waiting for its turn, which leaves the control a free thread to
    answer with. One worker makes the control exact, and nginx must shield the smaller
    pool."""
    p = start_portal(tmp_path / "portal", {"VARSEL_WORKERS": "1"})
    try:
        yield p
    finally:
        stop(p.process)


@contextmanager
def slow_header_clients(port: int, count: int = SLOW_CLIENTS) -> Iterator[list[socket.socket]]:
    """``count`` connections that send the start of a request and then nothing more."""
    clients: list[socket.socket] = []
    try:
        for _ in range(count):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            clients.append(s)
        time.sleep(1.0)  # let the server pick them up
        yield clients
    finally:
        for s in clients:
            s.close()


def probe(url: str) -> bool:
    """True when ``url`` answers 200 within PROBE_TIMEOUT seconds."""
    try:
        with urllib.request.urlopen(url, timeout=PROBE_TIMEOUT) as response:
            return response.status == 200
    except (urllib.error.URLError, TimeoutError, ConnectionError):
        return False


def test_slow_header_clients_stop_gunicorn_alone(portal: Portal) -> None:
    """The control: the same 40 connections straight at gunicorn leave no thread free. If
    this ever passes, the test below no longer proves anything and must be revisited."""
    assert probe(portal.url + "/")
    with slow_header_clients(portal.port):
        answered = sum(probe(portal.url + "/") for _ in range(PROBES))
    assert answered < PROBES, "gunicorn answered every probe while held by slow clients"


def test_behind_nginx_slow_header_clients_do_not_stop_the_portal(
    portal: Portal, nginx: Nginx
) -> None:
    onion_url = f"http://127.0.0.1:{nginx.onion_port}/"
    https_url = f"https://127.0.0.1:{nginx.https_port}/"
    insecure = ssl.create_default_context()
    insecure.check_hostname = False
    insecure.verify_mode = ssl.CERT_NONE
    with slow_header_clients(nginx.onion_port), slow_header_clients(nginx.https_port):
        started = time.monotonic()
        answered = sum(probe(onion_url) for _ in range(PROBES))
        with urllib.request.urlopen(
            urllib.request.Request(https_url), timeout=PROBE_TIMEOUT, context=insecure
        ) as response:
            assert response.status == 200
        elapsed = time.monotonic() - started
    assert answered == PROBES
    assert elapsed < PROBES * PROBE_TIMEOUT
    # The slow connections never reached gunicorn: it answers at once afterwards too.
    assert probe(portal.url + "/")
    # nginx logged the abandoned requests at a level the deployed config leaves out, so
    # no client address was written.
    assert "127.0.0.1" not in _text(nginx.error_log)


def test_nginx_passes_the_portal_headers_and_keeps_no_log(portal: Portal, nginx: Nginx) -> None:
    insecure = ssl.create_default_context()
    insecure.check_hostname = False
    insecure.verify_mode = ssl.CERT_NONE
    request = urllib.request.Request(
        f"https://127.0.0.1:{nginx.https_port}/", headers={"Host": "varsel.example.org"}
    )
    with urllib.request.urlopen(request, timeout=10, context=insecure) as response:
        headers = response.headers
        assert response.status == 200
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"
    assert headers["Server"] == "nginx"  # no version (server_tokens off), no gunicorn
    # Pages carry a CSRF token: nginx must not compress them (BREACH), even though the
    # http block turns gzip on as Debian's does.
    compressed = urllib.request.Request(
        f"https://127.0.0.1:{nginx.https_port}/report",
        headers={"Host": "varsel.example.org", "Accept-Encoding": "gzip"},
    )
    with urllib.request.urlopen(compressed, timeout=10, context=insecure) as response:
        assert response.headers.get("Content-Encoding") is None
        assert b"csrf_token" in response.read()
    # Port 80 only redirects to HTTPS.
    plain = socket.create_connection(("127.0.0.1", nginx.http_port), timeout=5)
    with plain:
        plain.sendall(
            b"GET /report HTTP/1.1\r\nHost: varsel.example.org\r\nConnection: close\r\n\r\n"
        )
        answer = plain.recv(4096).decode("latin-1")
    assert answer.startswith("HTTP/1.1 301")
    assert "Location: https://varsel.example.org/report" in answer
    # No access log anywhere under nginx's prefix, and the error log names no client.
    assert not [p for p in nginx.prefix.rglob("*") if "access" in p.name]
    assert "127.0.0.1" not in _text(nginx.error_log)


def test_an_upload_through_nginx_streams_and_leaves_nothing_in_its_temp_dirs(
    portal: Portal, nginx: Nginx
) -> None:
    """A report with a 1 MiB attachment through nginx: it arrives (a receipt), and neither
    the report text nor the file reaches nginx's disk (request buffering off, no response
    temp files)."""
    canary = "KANARIFUGL-NGINX-7f3a"
    attachment = (canary.encode() + b"\n") * (1024 * 1024 // (len(canary) + 1))
    page = send_filled_report(
        NoJsBrowser(f"http://127.0.0.1:{nginx.onion_port}"),
        {"what_happened": f"{canary} report", "when": "I mai"},
        [("attachments", "bevis.txt", attachment)],
    )
    assert page.status == 200, page.html[:2000]
    assert len(receipt_words(page.html)) == 8
    needle = canary.encode()
    hits = [p for p in _files(nginx.prefix) if needle in p.read_bytes()]
    assert hits == []


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def _text(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""
