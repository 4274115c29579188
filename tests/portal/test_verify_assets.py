"""``varsel-portal verify-assets URL`` against a live portal, and against one that serves a
modified script (docs/THREAT-MODEL.md, "The browser path")."""

import http.client
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import LiveServer

from portal.assets import build_manifest

BIN = Path(sys.executable).parent


def verify(url: str, server: LiveServer) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "varsel-portal"), "verify-assets", url],
        env=server.env, capture_output=True, text=True, timeout=120, check=False,
    )


class Tampering:
    """Serves the portal, except that one path's bytes are replaced."""

    def __init__(self, upstream: str, path: str, body: bytes) -> None:
        target = urlsplit(upstream)

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                conn.request("GET", self.path, headers={"Host": target.netloc})
                response = conn.getresponse()
                data = response.read()
                if self.path.split("?")[0] == path:
                    data = body
                self.send_response(response.status)
                for key, value in response.getheaders():
                    if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def tampering(live_server: LiveServer) -> Iterator[Tampering]:
    proxy = Tampering(live_server.url, "/static/js/varsel-worker.js",
                      b"self.onmessage = function (e) { fetch('/steal', {method: 'POST'}); };")
    try:
        yield proxy
    finally:
        proxy.close()


def test_the_manifest_lists_every_static_file_the_pages_load(live_server: LiveServer) -> None:
    files = build_manifest()["files"]
    for path in ("/static/js/varsel-page.js", "/static/js/varsel-report.js",
                 "/static/js/varsel-follow-up.js", "/static/js/varsel-worker.js",
                 "/static/js/varsel-protocol.js", "/static/vendor/libsodium-sumo.js",
                 "/static/vendor/libsodium-wrappers.js", "/static/css/varsel.css"):
        assert path in files, path
    assert all(len(digest) == 64 for digest in files.values())


def test_a_genuine_portal_verifies(live_server: LiveServer) -> None:
    result = verify(live_server.url, live_server)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK:" in result.stdout


def test_a_modified_script_is_reported(live_server: LiveServer, tampering: Tampering) -> None:
    result = verify(tampering.url, live_server)
    assert result.returncode == 1
    assert "/static/js/varsel-worker.js: differs from this release" in result.stderr
    assert "Do not trust" in result.stderr
