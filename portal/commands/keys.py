"""Recipient keys and configuration from the command line (``varsel-portal ...``).

- ``set-office-key FILE``            the party office's public key (reports are sealed to it)
- ``add-recipient FILE --name NAME`` a committee key (varslingsutvalget, §7.1, §12)
- ``show-config``                    settings, fingerprints and recipients; never secrets

A key is shown by its fingerprint and installed only after the operator confirms that it
matches the one the office read out from its offline machine (``--yes`` skips the question).
"""

import os
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url

from crypto.errors import CryptoError
from crypto.keys import PublicIdentity

from ..recipients import RecipientError, check_name, load_committee, load_office
from ..services import services
from ..transfer import portal_fingerprint


def _read_key(path: Path) -> PublicIdentity:
    try:
        return PublicIdentity.from_text(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"cannot read {path}: {exc}") from exc
    except CryptoError as exc:
        raise click.ClickException(f"{path} is not a Varsel public key: {exc}") from exc


def _install(identity: PublicIdentity, target: Path) -> None:
    """Write the key's canonical text next to ``target`` and rename it into place."""
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = target.with_name(target.name + ".new")
    partial.write_text(identity.to_text(), encoding="utf-8")
    os.replace(partial, target)


def _confirm(identity: PublicIdentity, what: str, yes: bool) -> None:
    click.echo(f"Fingerprint of the {what}:")
    click.echo(f"  {identity.fingerprint}")
    if not yes:
        click.confirm(
            "Does this match the fingerprint shown on the offline machine?", abort=True
        )


@click.command("set-office-key")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def set_office_key_command(file: Path, yes: bool) -> None:
    """Install FILE as the party office's public key (keys/office.pub)."""
    settings = services().settings
    identity = _read_key(file)
    try:
        current = load_office(settings.keys_dir)
    except RecipientError:
        current = None
    if current is not None and current.identity == identity:
        click.echo(f"This office key is already installed: {identity.fingerprint}")
        return
    if current is not None:
        click.echo(f"This replaces the current office key {current.identity.fingerprint}.")
        click.echo("Reports already stored stay encrypted to the old key.")
    _confirm(identity, "new office key", yes)
    _install(identity, settings.office_key_file)
    click.echo(f"Installed {settings.office_key_file}. The portal now accepts reports.")


@click.command("add-recipient")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", required=True, help="Short name, e.g. 'varslingsutvalget'.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def add_recipient_command(file: Path, name: str, yes: bool) -> None:
    """Add FILE as a committee key (keys/committee/NAME.pub)."""
    settings = services().settings
    try:
        name = check_name(name)
    except RecipientError as exc:
        raise click.ClickException(str(exc)) from exc
    identity = _read_key(file)
    office = load_office(settings.keys_dir)
    if office is not None and office.identity == identity:
        raise click.ClickException("this is the office key; a committee needs its own key")
    target = settings.committee_dir / f"{name}.pub"
    if target.exists():
        click.echo(f"This replaces the committee key '{name}'.")
    _confirm(identity, f"committee key '{name}'", yes)
    _install(identity, target)
    click.echo(
        f"Installed {target}. Reporters can now choose to send reports to varslingsutvalget."
    )


@click.command("show-config")
@with_appcontext
def show_config_command() -> None:
    """Show the settings, the recipients' fingerprints and the portal's signing key."""
    settings = services().settings
    mib = 1024 * 1024
    rows = [
        ("data directory", str(settings.data_dir)),
        ("database", make_url(settings.database_url).render_as_string(hide_password=True)),
        ("upload limit per submission", f"{settings.max_upload_bytes // mib} MB"),
        ("reporter session idle timeout", f"{settings.session_idle_minutes} minutes"),
        ("threads expire after", f"{settings.thread_expiry_days} days without activity"),
        ("office session", f"{settings.office_session_minutes} minutes"),
        ("argon2 concurrency", f"{settings.argon2_concurrency} "
                               f"(wait {settings.argon2_wait_seconds:g} s, then 'busy')"),
        ("rate-limit window", f"{settings.rate_window_seconds} s"),
        ("receipt logins per window", f"{settings.client_logins} per client, "
                                      f"{settings.global_logins} in all (plain lane)"),
        ("submissions per window", f"{settings.client_submissions} per client, "
                                   f"{settings.global_submissions} in all (plain lane)"),
        ("proof-of-work lane", f"{settings.pow_lane_factor}x the plain limits; "
                               f"{settings.pow_bits}-{settings.pow_max_bits} bits"),
        ("trusted hosts", ", ".join(settings.trusted_hosts)),
        ("forms valid for", f"{settings.form_valid_hours} hours"),
        ("office pages", settings.office_url_prefix),
        ("secure cookies", "yes" if settings.secure_cookies else "no (set it behind HTTPS)"),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        click.echo(f"{key.ljust(width)}  {value}")
    click.echo("")
    try:
        office = load_office(settings.keys_dir)
        committee = load_committee(settings.keys_dir)
    except RecipientError as exc:
        raise click.ClickException(str(exc)) from exc
    if office is None:
        click.echo("office key: NONE - the portal does not accept reports (set-office-key)")
    else:
        click.echo(f"office key: {office.identity.fingerprint}")
    if committee:
        for recipient in committee:
            click.echo(f"committee key '{recipient.name}': {recipient.identity.fingerprint}")
    else:
        click.echo("committee keys: none (reports go to the office only)")
    # The signer fingerprint (verify key alone): the one the office page shows, the
    # outbound audience names and `varsel-inbox import --expect-fingerprint` compares.
    portal_key = portal_fingerprint(services().secrets.portal_identity)
    click.echo(f"portal signing key (pinned by the inbox): {portal_key}")


COMMANDS: list[click.Command] = [
    set_office_key_command,
    add_recipient_command,
    show_config_command,
]
