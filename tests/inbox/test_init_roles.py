"""``varsel-inbox init`` says the right thing for each role (issue 9, item 8): the party
office takes its key to the portal's operator; a case handler sends theirs to the party
office and never to the operator (the portal would encrypt new reports to them)."""

import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def _init(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VARSEL_")}
    env["VARSEL_INBOX_PASSPHRASE"] = "korrekt hest batteri stift"
    return subprocess.run(
        [str(BIN / "varsel-inbox"), "--home", str(home), "init", *args],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )


def test_the_office_is_sent_to_the_operator(tmp_path: Path) -> None:
    result = _init(tmp_path / "kontor")
    assert result.returncode == 0, result.stderr
    assert "set-office-key" in result.stdout and "driftsansvarlig" in result.stdout
    assert (tmp_path / "kontor" / "office.pub").is_file()


def test_a_handler_is_sent_to_the_party_office_not_the_operator(tmp_path: Path) -> None:
    result = _init(tmp_path / "kari", "--saksbehandler")
    assert result.returncode == 0, result.stderr
    assert "set-office-key" not in result.stdout
    assert "til partikontoret" in result.stdout and "open-casefile" in result.stdout
    assert "Ikke gi nøkkelen til driftsansvarlig" in result.stdout
