"""Rotating the office key between two reports, with real processes: gunicorn serves the
portal, ``varsel-inbox`` runs the office side, bundles move through ``varsel-portal``.
Both reports open in the inbox (one sealed to the old key, one to the new), the portal
switches only on a statement signed by its current key, and then accepts only the new key."""

import base64
import json
import os
import subprocess
from pathlib import Path

from http_client import NoJsBrowser
from reporter_pages import send_filled_report

from crypto import bundle as bundles
from crypto.keys import PublicIdentity, SecretIdentity, unlock_identity
from crypto.rotation import sign_rotation

from .conftest import VENV_BIN, Portal, start_portal, stop

PASSPHRASE = "korrekt hest batteri stift"


def inbox(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VARSEL_")}
    env["VARSEL_INBOX_PASSPHRASE"] = PASSPHRASE
    return subprocess.run(
        [str(VENV_BIN / "varsel-inbox"), "--home", str(home), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def portal_cli(portal: Portal, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(VENV_BIN / "varsel-portal"), *args],
        env=portal.env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def report(portal: Portal, text: str) -> None:
    page = send_filled_report(NoJsBrowser(portal.url), {"what_happened": text, "when": "I mai"})
    assert page.status == 200, page.html[:1000]


def carry_inbound(portal: Portal, home: Path, path: Path, first: bool = False) -> None:
    result = portal_cli(portal, "export-inbound", str(path))
    assert result.returncode == 0, result.stderr
    args = ["import", str(path)]
    if first:
        signer = bundles.bundle_signer(path.read_bytes())
        args += ["--expect-fingerprint", bundles.signer_fingerprint(signer)]
    result = inbox(home, *args)
    assert result.returncode == 0, result.stdout + result.stderr


def office_and_portal(tmp_path: Path) -> tuple[Path, Portal]:
    """A new inbox home, and a portal started with its office key."""
    home = tmp_path / "office"
    assert inbox(home, "init").returncode == 0
    data = tmp_path / "portal" / "data"
    (data / "keys").mkdir(parents=True)
    (data / "keys" / "office.pub").write_text((home / "office.pub").read_text())
    return home, start_portal(tmp_path / "portal")


def test_rotate_between_two_reports(tmp_path: Path) -> None:
    home, portal = office_and_portal(tmp_path)
    try:
        old_public = PublicIdentity.from_text((home / "office.pub").read_text())
        report(portal, "FØRSTE-VARSEL før nøkkelbyttet")
        carry_inbound(portal, home, tmp_path / "inn-1.bundle", first=True)
        # The second report is sealed to the old key but reaches the inbox after the switch.
        report(portal, "ANDRE-VARSEL sendt før byttet, hentet etter")

        rotated = inbox(home, "rotate-key")
        assert rotated.returncode == 0, rotated.stdout + rotated.stderr
        new_public = PublicIdentity.from_text((home / "office.pub").read_text())
        assert new_public != old_public
        assert new_public.fingerprint.replace(" ", "") in rotated.stdout.replace(" ", "")

        out_1 = tmp_path / "ut-1.bundle"
        assert inbox(home, "export-outbound", str(out_1)).returncode == 0
        # Signed by the old key (the one the portal trusts), carrying the new one.
        assert bundles.bundle_signer(out_1.read_bytes()) == old_public.verify_key
        applied = portal_cli(portal, "import-outbound", str(out_1))
        assert applied.returncode == 0, applied.stderr
        assert "rotated" in applied.stdout
        installed = PublicIdentity.from_text((portal.data_dir / "keys" / "office.pub").read_text())
        assert installed == new_public

        report(portal, "TREDJE-VARSEL etter byttet")
        carry_inbound(portal, home, tmp_path / "inn-2.bundle")
        listed = json.loads(inbox(home, "list", "--json").stdout)
        texts = "".join(inbox(home, "show", t["id"]).stdout for t in _threads(listed))
        for marker in ("FØRSTE-VARSEL", "ANDRE-VARSEL", "TREDJE-VARSEL"):
            assert marker in texts

        # The portal confirmed the rotation: the next bundle is signed by the new key, and
        # the portal accepts it.
        out_2 = tmp_path / "ut-2.bundle"
        assert inbox(home, "export-outbound", str(out_2)).returncode == 0
        assert bundles.bundle_signer(out_2.read_bytes()) == new_public.verify_key
        assert portal_cli(portal, "import-outbound", str(out_2)).returncode == 0
        assert not (home / "rotation.pending").exists()
    finally:
        stop(portal.process)


def test_the_portal_refuses_a_new_key_not_signed_by_the_current_one(tmp_path: Path) -> None:
    home, portal = office_and_portal(tmp_path)
    try:
        carry_inbound(portal, home, tmp_path / "inn-1.bundle", first=True)
        office = unlock_identity((home / "office.key").read_text(), PASSPHRASE)
        audience = bundles.signer_fingerprint(
            bundles.bundle_signer((tmp_path / "inn-1.bundle").read_bytes())
        )
        stranger, attacker_key = SecretIdentity.generate(), SecretIdentity.generate()
        forged = sign_rotation(stranger, attacker_key.public)
        # A bundle properly signed by the office, carrying a statement signed by someone else.
        manifest = {
            "format": bundles.FORMAT,
            "direction": "outbound",
            "created_day": "2025-03-01",
            "sequence": 1,
            "audience": audience,
            "acks": [],
            "replies": [],
            "statuses": [],
            "key_rotation": base64.b64encode(forged).decode(),
        }
        bad = tmp_path / "ut-falsk.bundle"
        bad.write_bytes(bundles._seal(manifest, [], office))
        before = (portal.data_dir / "keys" / "office.pub").read_text()
        refused = portal_cli(portal, "import-outbound", str(bad))
        assert refused.returncode == 1
        assert "refused and nothing was applied" in refused.stderr
        assert (portal.data_dir / "keys" / "office.pub").read_text() == before
        # Nothing was applied: sequence 1 is still free for the office's real bundle.
        good = tmp_path / "ut-1.bundle"
        assert inbox(home, "export-outbound", str(good)).returncode == 0
        assert portal_cli(portal, "import-outbound", str(good)).returncode == 0
    finally:
        stop(portal.process)


def _threads(listed: object) -> list[dict[str, str]]:
    if isinstance(listed, dict):
        listed = listed.get("threads", [])
    assert isinstance(listed, list)
    return listed
