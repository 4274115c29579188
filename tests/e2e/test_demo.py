"""`make run` (issue 2): ``varsel-portal demo`` on an empty data directory sets up a demo
office key, its offline inbox and an office user, prints the URL, and serves the portal."""

import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from conftest import free_port

from crypto.keys import PublicIdentity

BIN = Path(sys.executable).parent


def _start_demo(data_dir: Path, port: int, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VARSEL_")}
    env["VARSEL_DATA_DIR"] = str(data_dir)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(BIN / "varsel-portal"), "demo", "--port", str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while "Stop with Ctrl+C" not in log.read_text():
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.1)
    # The line is printed just before the server binds: wait until it accepts connections.
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
    return process, log.read_text()


def test_demo_sets_up_an_office_prints_the_url_and_serves(tmp_path: Path) -> None:
    data_dir, port = tmp_path / "var", free_port()
    process, printed = _start_demo(data_dir, port, tmp_path / "first.log")
    try:
        url = re.search(r"Reporter pages:\s+(\S+)", printed)
        assert url and url.group(1) == f"http://localhost:{port}/"
        with urllib.request.urlopen(url.group(1), timeout=10) as response:
            page = response.read().decode()
        office = PublicIdentity.from_text((data_dir / "keys" / "office.pub").read_text())
        assert office.fingerprint in page, "the landing page shows the demo office key"
        assert re.search(r"user 'demo', one-time setup code [A-Z0-9-]{10,}", printed)

        # The printed lines work as they are for the offline inbox.
        exports = dict(
            shlex.split(line.strip().removeprefix("export "))[0].split("=", 1)
            for line in printed.splitlines()
            if line.strip().startswith("export ")
        )
        assert Path(exports["VARSEL_INBOX_HOME"]) == data_dir / "demo-inbox"
        listed = subprocess.run(
            [str(BIN / "varsel-inbox"), "list", "--json"],
            env={**os.environ, **exports}, capture_output=True, text=True, check=False,
        )
        assert listed.returncode == 0 and listed.stdout.strip() == "[]", listed.stderr
    finally:
        process.terminate()
        process.wait(timeout=10)

    # A second run keeps the key and the inbox, and gives a fresh code while setup is open.
    process, again = _start_demo(data_dir, free_port(), tmp_path / "second.log")
    process.terminate()
    process.wait(timeout=10)
    assert "Created a demo office key" not in again
    assert PublicIdentity.from_text((data_dir / "keys" / "office.pub").read_text()) == office
    assert "one-time setup code" in again and "VARSEL_INBOX_PASSPHRASE" in again
