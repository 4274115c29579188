"""The installed console script, run as a real process (no CliRunner)."""

import os
import subprocess
import sys
from pathlib import Path

from crypto import bundle as bundles
from crypto.payload import Reply, decode_payload

from .conftest import Office, Portal, Reporter, answers

SCRIPT = Path(sys.executable).parent / "varsel-inbox"


def test_installed_script_imports_replies_and_exports(
    office: Office, portal: Portal, reporter: Reporter, tmp_path: Path
) -> None:
    thread = portal.report(reporter, answers("Via ekte prosess: æøå"))
    (tmp_path / "inn.vsb").write_bytes(portal.bundle())
    env = {
        **os.environ,
        "VARSEL_INBOX_HOME": str(office.home.path),
        "VARSEL_INBOX_PASSPHRASE": "riktig hest batteri stift",
        "COLUMNS": "160",
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60
        )

    imported = run("import", str(tmp_path / "inn.vsb"))
    assert imported.returncode == 0, imported.stderr
    assert "1 ny sak" in imported.stdout
    shown = run("show", thread[:6])
    assert "Via ekte prosess: æøå" in shown.stdout
    assert run("reply", thread[:6], "-m", "Svar fra prosess").returncode == 0
    exported = run("export-outbound", str(tmp_path / "ut.vsb"))
    assert exported.returncode == 0, exported.stderr
    out = bundles.read_outbound((tmp_path / "ut.vsb").read_bytes(), office.public.verify_key)
    assert decode_payload(reporter.open(out.replies[0].envelope)) == Reply("Svar fra prosess")

    wrong = subprocess.run(
        [str(SCRIPT), "list"],
        env={**env, "VARSEL_INBOX_PASSPHRASE": "feil feil feil"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert wrong.returncode == 2
    assert wrong.stderr.strip() == "Feil: Feil passordfrase. Ingenting er endret."
    assert "Traceback" not in wrong.stderr
