"""The onion service: Debian's tor, run offline with the torrc lines of
docs/OPERATOR-GUIDE.md, writes an address, and the portal announces exactly that address
(Onion-Location, landing page). Reaching it through the Tor network cannot be tested here."""

import base64
import hashlib
import re
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from portal.config import Settings
from portal.onion import OnionAddressError, parse_onion_address

from .conftest import DEPLOY, ROOT, TOR, Portal, start_portal, stop

HOSTNAME_WAIT_SECONDS = 60


def guide_torrc() -> str:
    guide = (ROOT / "docs" / "OPERATOR-GUIDE.md").read_text()
    match = re.search(r"```torrc\n(.*?)```", guide, flags=re.S)
    assert match, "docs/OPERATOR-GUIDE.md shows the torrc lines"
    return match.group(1)


def onion_address_of(public_key_file: Path) -> str:
    """Tor's hs_ed25519_public_key: a 32-byte header, then the key; the address is
    base32(key || SHA3-256(".onion checksum" || key || 3)[:2] || 3) (rend-spec-v3)."""
    data = public_key_file.read_bytes()
    assert data.startswith(b"== ed25519v1-public: type0 ==")
    key = data[32:]
    checksum = hashlib.sha3_256(b".onion checksum" + key + b"\x03").digest()[:2]
    return base64.b32encode(key + checksum + b"\x03").decode().lower() + ".onion"


@pytest.fixture
def tor_hostname(tmp_path: Path) -> Iterator[str]:
    """Run tor with the guide's lines (HiddenServiceDir moved under tmp_path), offline."""
    hs_dir, data_dir = tmp_path / "hs", tmp_path / "tor-data"
    data_dir.mkdir(mode=0o700)
    torrc = guide_torrc().replace("/var/lib/tor/varsel/", f"{hs_dir}/")
    assert str(hs_dir) in torrc
    (tmp_path / "torrc").write_text(
        torrc
        # Test-only lines: no SOCKS port, a private data directory, and no network at all.
        + f"SocksPort 0\nDataDirectory {data_dir}\nDisableNetwork 1\nLog notice stdout\n"
    )
    log = tmp_path / "tor.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [TOR, "-f", str(tmp_path / "torrc")], stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + HOSTNAME_WAIT_SECONDS
        while not (hs_dir / "hostname").exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"tor wrote no hostname:\n{log.read_text()}")
            time.sleep(0.2)
        time.sleep(0.2)  # the file is written in one go, but let tor finish it
        hostname = (hs_dir / "hostname").read_text().strip()
        assert hostname == onion_address_of(hs_dir / "hs_ed25519_public_key")
        yield hostname
    finally:
        stop(process)


def test_the_guide_points_tor_at_nginx_onion_server() -> None:
    target = re.search(r"^HiddenServicePort 80 (\S+)$", guide_torrc(), flags=re.M)
    assert target
    site = (DEPLOY / "nginx" / "varsel.conf").read_text()
    assert f"listen {target.group(1)};" in site
    assert "8000" not in target.group(1), "Tor must not reach gunicorn directly"


def test_tor_writes_an_address_and_the_portal_announces_it(
    tor_hostname: str, tmp_path: Path
) -> None:
    assert parse_onion_address(tor_hostname) == tor_hostname
    portal: Portal = start_portal(tmp_path / "portal", {"VARSEL_ONION_ADDRESS": tor_hostname})
    try:
        with urllib.request.urlopen(portal.url + "/report?lang=nn", timeout=10) as response:
            assert response.headers["Onion-Location"] == f"http://{tor_hostname}/report?lang=nn"
        with urllib.request.urlopen(portal.url + "/", timeout=10) as response:
            assert response.headers["Onion-Location"] == f"http://{tor_hostname}/"
            landing = response.read().decode()
        assert f'href="http://{tor_hostname}/"' in landing
        assert f"<code>{tor_hostname}</code>" in landing
        # Visitors already on the onion address are not sent to it again.
        request = urllib.request.Request(portal.url + "/", headers={"Host": tor_hostname})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert "Onion-Location" not in response.headers
    finally:
        stop(portal.process)


def test_without_an_onion_address_nothing_is_announced(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/")
    assert "Onion-Location" not in response.headers
    assert ".onion" not in response.get_data(as_text=True)


def test_a_mistyped_onion_address_stops_the_start_with_a_clear_error(tmp_path: Path) -> None:
    good = "2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion"
    typo = good.replace("2gzy", "2gzz")
    assert Settings.from_env({"VARSEL_DATA_DIR": str(tmp_path), "VARSEL_ONION_ADDRESS": good})
    for bad, why in ((typo, "checksum"), ("example.onion", "56 letters"), ("a" * 56, "checksum")):
        with pytest.raises(OnionAddressError, match=why) as raised:
            Settings.from_env({"VARSEL_DATA_DIR": str(tmp_path), "VARSEL_ONION_ADDRESS": bad})
        assert "VARSEL_ONION_ADDRESS" in str(raised.value)
