"""``varsel-portal set-office-key / add-recipient / show-config``."""

from pathlib import Path

from flask import Flask

from crypto.keys import SecretIdentity
from portal.commands.keys import COMMANDS
from portal.recipients import load_committee, load_office
from portal.services import services


def _cli(app: Flask):  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()
    for command in COMMANDS:
        app.cli.add_command(command)
    return runner


def _key_file(tmp_path: Path, identity: SecretIdentity, name: str = "key.pub") -> Path:
    path = tmp_path / name
    path.write_text(identity.public.to_text())
    return path


def test_set_office_key_shows_fingerprint_and_asks(make_app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = make_app(office_key=False)
    runner = _cli(app)
    new = SecretIdentity.generate()
    path = _key_file(tmp_path, new)
    result = runner.invoke(args=["set-office-key", str(path)], input="n\n")
    assert result.exit_code != 0
    assert new.public.fingerprint in result.output
    keys_dir = services(app).settings.keys_dir
    assert load_office(keys_dir) is None
    result = runner.invoke(args=["set-office-key", str(path)], input="y\n")
    assert result.exit_code == 0, result.output
    office = load_office(keys_dir)
    assert office is not None and office.identity == new.public
    assert app.test_client().get("/report").status_code == 200


def test_set_office_key_with_yes_replaces_and_names_the_old_key(
    app: Flask, office_identity: SecretIdentity, tmp_path: Path
) -> None:
    runner = _cli(app)
    new = SecretIdentity.generate()
    result = runner.invoke(args=["set-office-key", "--yes", str(_key_file(tmp_path, new))])
    assert result.exit_code == 0, result.output
    assert office_identity.public.fingerprint in result.output  # the key it replaces
    assert new.public.fingerprint in result.output


def test_set_office_key_refuses_a_file_that_is_not_a_key(app: Flask, tmp_path: Path) -> None:
    bad = tmp_path / "bad.pub"
    bad.write_text("varsel-secret-key/v1\nbox: nope\n")
    result = _cli(app).invoke(args=["set-office-key", "--yes", str(bad)])
    assert result.exit_code != 0 and "not a Varsel public key" in result.output


def test_add_recipient(app: Flask, office_identity: SecretIdentity, tmp_path: Path) -> None:
    runner = _cli(app)
    committee = SecretIdentity.generate()
    path = _key_file(tmp_path, committee)
    result = runner.invoke(args=["add-recipient", str(path), "--name", "Bad Name!", "--yes"])
    assert result.exit_code != 0
    office_file = _key_file(tmp_path, office_identity, "office.pub")
    result = runner.invoke(args=["add-recipient", str(office_file), "--name", "x", "--yes"])
    assert result.exit_code != 0 and "office key" in result.output
    result = runner.invoke(
        args=["add-recipient", str(path), "--name", "varslingsutvalget"], input="y\n"
    )
    assert result.exit_code == 0, result.output
    assert committee.public.fingerprint in result.output
    (recipient,) = load_committee(services(app).settings.keys_dir)
    assert recipient.name == "varslingsutvalget" and recipient.identity == committee.public


def test_show_config_shows_fingerprints_and_no_secrets(
    app: Flask, office_identity: SecretIdentity
) -> None:
    result = _cli(app).invoke(args=["show-config"])
    assert result.exit_code == 0, result.output
    assert office_identity.public.fingerprint in result.output
    assert "200 MB" in result.output and "30 minutes" in result.output
    secrets = services(app).secrets
    import base64

    for secret in (secrets.secret_key, secrets.login_pepper, secrets.receipt_salt):
        for form in (secret.hex(), base64.b64encode(secret).decode()):
            assert form not in result.output
