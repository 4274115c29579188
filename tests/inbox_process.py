"""The office's inbox as its own process, for the tests that run the whole loop.

- :func:`run_inbox`   the installed ``varsel-inbox`` with a home, as the office runs it
- ``office_home``     fixture: a new inbox home (``varsel-inbox init``)
- ``server``          fixture: ``varsel-portal run`` with that home's office key
"""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import LiveServer, start_live_server

from crypto.keys import PublicIdentity

BIN = Path(sys.executable).parent
PASSPHRASE = "korrekt hest batteri stift"


def run_inbox(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """The installed ``varsel-inbox`` as its own process, as the office runs it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VARSEL_")}
    env["VARSEL_INBOX_PASSPHRASE"] = PASSPHRASE
    env["COLUMNS"] = "200"
    result = subprocess.run(
        [str(BIN / "varsel-inbox"), "--home", str(home), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture
def office_home(tmp_path: Path) -> Path:
    home = tmp_path / "inbox-home"
    run_inbox(home, "init")
    return home


@pytest.fixture
def server(tmp_path: Path, office_home: Path) -> Iterator[LiveServer]:
    public = PublicIdentity.from_text((office_home / "office.pub").read_text())
    live = start_live_server(tmp_path / "portal", public)
    try:
        yield live
    finally:
        live.stop()
