"""init, pubkey and the passphrase: the home directory's files and modes."""

import stat
from pathlib import Path

from click.testing import CliRunner

from crypto.keys import PublicIdentity
from inbox.cli import main
from inbox.home import Home, unlock

from .conftest import PASSPHRASE, Office


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_creates_identity_store_key_and_pub_with_safe_modes(tmp_path: Path) -> None:
    # The real command with the real (256 MiB) key derivation, once.
    home = tmp_path / "ny"
    result = CliRunner().invoke(
        main, ["--home", str(home), "init"], env={"VARSEL_INBOX_PASSPHRASE": PASSPHRASE}
    )
    assert result.exit_code == 0, result.output
    public = PublicIdentity.from_text((home / "office.pub").read_text())
    assert public.fingerprint in result.output
    assert "varsel-portal set-office-key" in result.output
    assert "█" in result.output or "▀" in result.output  # the QR code
    assert mode(home) == 0o700
    assert mode(home / "office.key") == 0o600
    assert mode(home / "store.key") == 0o600
    assert mode(home / "inbox.sqlite3") == 0o600
    assert (home / "blobs").is_dir()
    assert not (home / "portal.pin").exists()
    assert "varsel-secret-key/v1" in (home / "office.key").read_text()
    assert "ops=3 mem=268435456" in (home / "office.key").read_text()
    unlocked = unlock(Home(home), PASSPHRASE)
    assert unlocked.identity.public == public
    assert len(unlocked.store_key) == 32


def test_init_refuses_an_existing_home(office: Office) -> None:
    before = {p: p.read_bytes() for p in office.files()}
    result = office.run("init")
    assert result.exit_code != 0
    assert "overskriver aldri" in result.output
    assert "Traceback" not in result.output
    assert {p: p.read_bytes() for p in office.files()} == before


def test_init_refuses_a_short_passphrase(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["--home", str(tmp_path / "h"), "init"], env={"VARSEL_INBOX_PASSPHRASE": "kort"}
    )
    assert result.exit_code != 0
    assert "minst 12 tegn" in result.output
    assert not (tmp_path / "h" / "office.key").exists()


def test_init_prompts_twice_for_the_passphrase(tmp_path: Path) -> None:
    home = tmp_path / "h"
    env = {"VARSEL_INBOX_PASSPHRASE": None}
    result = CliRunner().invoke(
        main, ["--home", str(home), "init"], env=env, input="en lang passordfrase\nannen frase\n"
    )
    assert result.exit_code != 0
    assert not (home / "office.key").exists()


def test_pubkey_shows_fingerprint_and_writes_a_qr_png(office: Office, tmp_path: Path) -> None:
    png = tmp_path / "kontor.png"
    result = office.run("pubkey", "--qr", str(png), passphrase=None)  # no passphrase needed
    assert result.exit_code == 0, result.output
    assert office.public.fingerprint in result.output
    assert office.public.to_text().splitlines()[1] in result.output
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    from PIL import Image

    with Image.open(png) as image:
        assert image.size[0] > 100
    again = office.run("pubkey", "--qr", str(png))
    assert again.exit_code != 0 and "finnes allerede" in again.output


def test_wrong_passphrase_is_one_line_and_exit_code_2(office: Office) -> None:
    result = office.run("list", passphrase="feil passordfrase her")
    assert result.exit_code == 2
    assert result.output.strip() == "Feil: Feil passordfrase. Ingenting er endret."


def test_missing_home_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["--home", str(tmp_path / "finnes-ikke"), "list"],
        env={"VARSEL_INBOX_PASSPHRASE": PASSPHRASE},
    )
    assert result.exit_code == 1
    assert "varsel-inbox init" in result.output
    assert "Traceback" not in result.output


def test_every_command_has_norwegian_help(office: Office) -> None:
    for args in (
        [],
        ["init"],
        ["pubkey"],
        ["import"],
        ["list"],
        ["show"],
        ["reply"],
        ["status"],
        ["attachments"],
        ["export-outbound"],
        ["outbox"],
        ["case"],
        ["case", "open"],
        ["case", "note"],
        ["case", "state"],
        ["case", "show"],
        ["case", "export"],
    ):
        result = office.run(*args, "--help")
        assert result.exit_code == 0, args
        words = set(result.output.split())
        assert words & {"og", "en", "til", "saken", "eller", "sak"}, args
