"""Issue 7, items 9 and 13: a Host header that names no host of this portal gets 400 with
the usual security headers (never a 500, never a redirect to that host), and no response
names the server software."""

from pathlib import Path

from conftest import LiveServer
from live_portal import raw_request, start_gunicorn

from crypto.keys import SecretIdentity
from portal.security import host_is_trusted

BAD_HOSTS = [
    "a" * 64 + ".example",  # a label over 63 characters
    "localhost..",
    "..",
    "evil.example",
    "evil.example:5000",
    "localhost.evil.example",
    "[::2]",
    "local host",
    "xn--bcher-kva.example",
]


def _check_refused(url: str, host: str, path: str = "/") -> None:
    status, headers, body = raw_request(url, path, host)
    assert status == 400, (host, status)
    assert "default-src 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["cache-control"] == "no-store"
    assert "location" not in headers
    assert b"evil" not in body
    assert "server" not in headers


def test_untrusted_hosts_get_400_with_security_headers(live_server: LiveServer) -> None:
    for host in BAD_HOSTS:
        _check_refused(live_server.url, host)
    _check_refused(live_server.url, "evil.example", "/kontor")
    port = live_server.url.rsplit(":", 1)[1]
    status, headers, _ = raw_request(live_server.url, "/kontor", f"127.0.0.1:{port}")
    assert status in (301, 308) and "evil" not in headers["location"]
    assert raw_request(live_server.url, "/", f"localhost:{port}")[0] == 200
    assert "Traceback" not in live_server.output
    assert "500" not in live_server.output


def test_no_server_banner_from_the_development_server(live_server: LiveServer) -> None:
    port = live_server.url.rsplit(":", 1)[1]
    for path in ("/", "/no-such-page", "/static/css/varsel.css"):
        status, headers, _ = raw_request(live_server.url, path, f"127.0.0.1:{port}")
        assert status in (200, 404)
        assert "server" not in headers, headers.get("server")


def test_gunicorn_sends_no_banner_and_refuses_bad_hosts(tmp_path: Path) -> None:
    server = start_gunicorn(tmp_path / "g", SecretIdentity.generate(), workers=1)
    try:
        port = server.url.rsplit(":", 1)[1]
        for path in ("/", "/no-such-page", "/kontor/logg-inn"):
            status, headers, _ = raw_request(server.url, path, f"127.0.0.1:{port}")
            assert status in (200, 404)
            assert "server" not in headers, headers.get("server")
        for host in BAD_HOSTS:
            _check_refused(server.url, host)
    finally:
        server.stop()
    assert "Traceback" not in server.output


def test_trusted_host_rules() -> None:
    trusted = ("localhost", ".varsel.example", "abcdef.onion")
    assert host_is_trusted("localhost:5000", trusted)
    assert host_is_trusted("VARSEL.example", trusted)
    assert host_is_trusted("www.varsel.example:443", trusted)
    assert host_is_trusted("abcdef.onion", trusted)
    assert not host_is_trusted("evilvarsel.example", trusted)
    assert not host_is_trusted("a..varsel.example", trusted)
    assert not host_is_trusted("x" * 64 + ".varsel.example", trusted)
    assert not host_is_trusted("localhost:99999999", trusted)
    assert not host_is_trusted("", trusted)
