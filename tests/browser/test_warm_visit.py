"""A warm visit to a reporter page is one request (docs/PERFORMANCE.md, "Static files and
warm visits"): a real Chromium without JavaScript (Tor Browser "Safest") visits the pages
through a proxy that counts what reaches the server. The first visit loads the style
sheet and icon under their hashed names; later visits take them from the browser's cache
without asking (``immutable``)."""

import http.client
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from conftest import LiveServer
from playwright.sync_api import Browser

pytestmark = pytest.mark.browser

SKIP_HEADERS = ("content-length", "transfer-encoding", "connection", "keep-alive")


class CountingProxy:
    """Forwards every GET and POST to the portal and remembers each path asked for."""

    def __init__(self, upstream: str) -> None:
        target = urlsplit(upstream)
        seen: list[str] = []
        self.seen = seen

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def _forward(self) -> None:
                seen.append(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in SKIP_HEADERS}
                headers["Host"] = target.netloc
                conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                conn.request(self.command, self.path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                self.send_response(response.status)
                for key, value in response.getheaders():
                    if key.lower() not in SKIP_HEADERS:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                conn.close()

            do_GET = _forward
            do_POST = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def take(self) -> list[str]:
        taken = list(self.seen)
        self.seen.clear()
        return taken

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy(live_server: LiveServer) -> Iterator[CountingProxy]:
    counting = CountingProxy(live_server.url)
    try:
        yield counting
    finally:
        counting.close()


def settle() -> None:
    time.sleep(1.0)


def test_a_warm_visit_is_one_request(browser: Browser, proxy: CountingProxy) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(proxy.url + "/report")
        page.wait_for_load_state("load")
        settle()  # the icon is asked for after the load event
        cold = proxy.take()
        assert cold[0] == "/report"
        assert any(p.startswith("/static/css/varsel.") for p in cold), cold
        assert len(cold) <= 3, cold
        for path in ("/report", "/follow-up", "/", "/privacy"):
            page.goto(proxy.url + path)
            page.wait_for_load_state("load")
            settle()
            assert proxy.take() == [path], path
    finally:
        context.close()
