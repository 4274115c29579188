"""Office users, bundle transfers and expiry from the command line (``varsel-portal ...``).

The transfer commands run the same code as the office pages (portal/transfer.py), for
operators who carry bundles on a USB stick to the server instead of using a browser.
"""

import os
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..clock import today
from ..db import session_scope
from ..office_users import OfficeUserError, create_office_user
from ..purge import purge_expired
from ..services import services
from ..transfer import MAX_OUTBOUND_BYTES, TransferRefused, apply_for, export_for


@click.command("add-office-user")
@click.argument("name")
@click.option(
    "--reset", is_flag=True, help="Void an existing user's password and TOTP; new setup code."
)
@with_appcontext
def add_office_user_command(name: str, reset: bool) -> None:
    """Create a party-office login and print its one-time setup code."""
    try:
        with session_scope(current_app) as db:
            code = create_office_user(db, name, reset=reset)
    except OfficeUserError as exc:
        raise click.ClickException(str(exc)) from exc
    prefix = services().settings.office_url_prefix
    click.echo(f"Setup code for {name.strip().lower()} (shown once, give it in person):")
    click.echo(f"  {code}")
    click.echo(f"The user opens {prefix}/oppsett, enters the name and this code, chooses a")
    click.echo("password and enrols an authenticator app. The code then stops working.")


@click.command("export-inbound")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
@click.option(
    "--part",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Which bundle to write when the waiting items make several (1 = the oldest).",
)
@with_appcontext
def export_inbound_command(file: Path, force: bool, part: int) -> None:
    """Write an inbound bundle (unacknowledged items, oldest first) to FILE for the inbox.

    A bundle carries at most a bounded amount (portal.transfer.BATCH_BYTES); when more is
    waiting, the command says how much remains: import FILE in the inbox, apply its answer
    with import-outbound, then export again (or export --part 2 ... right away).
    """
    try:
        with session_scope(current_app) as db:
            export = export_for(services(), db, today(), part)
    except TransferRefused as exc:
        raise click.ClickException(str(exc)) from exc
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    try:
        fd = os.open(file, flags, 0o600)
    except FileExistsError as exc:
        raise click.ClickException(f"{file} exists (use --force to overwrite)") from exc
    except OSError as exc:
        raise click.ClickException(f"cannot write {file}: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "wb") as f:
            for chunk in export.chunks():
                f.write(chunk)
    except (TransferRefused, OSError) as exc:
        file.unlink(missing_ok=True)
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Wrote {file} (bundle {export.part} of {export.parts}): {export.items} items, "
        f"{export.attachments} attachments, {export.threads} threads."
    )
    if export.remaining:
        click.echo(
            f"{export.remaining} items remain for other bundles ({export.parts} in all). "
            "Import this bundle in the inbox and apply its answer with import-outbound, "
            "then run export-inbound again for the next items (until the answer is "
            "applied, it writes the same items again). Or write the others now with "
            f"--part 2 ... --part {export.parts}."
        )
    else:
        click.echo("0 items remain: this bundle carries everything that is waiting.")


@click.command("import-outbound")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@with_appcontext
def import_outbound_command(file: Path) -> None:
    """Verify an outbound bundle from the inbox and apply it (all or nothing)."""
    try:
        with file.open("rb") as f:
            data = f.read(MAX_OUTBOUND_BYTES + 1)
    except OSError as exc:
        raise click.ClickException(f"cannot read {file}: {exc.strerror}") from exc
    try:
        with session_scope(current_app) as db:
            summary = apply_for(services(), db, data, today())
    except TransferRefused as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Applied bundle {summary.sequence}: {summary.acknowledged} acknowledged, "
        f"{summary.replies} replies, {summary.status_changes} status changes, "
        f"{summary.skipped} skipped, {summary.threads_opened} threads opened."
    )
    if summary.new_office_key:
        click.echo(
            f"The office key was rotated; new reports are sealed to {summary.new_office_key}."
        )
    for refused in summary.refused:
        click.echo(str(refused), err=True)


@click.command("purge-expired")
@with_appcontext
def purge_expired_command() -> None:
    """Delete threads inactive for longer than VARSEL_THREAD_EXPIRY_DAYS (run daily)."""
    with session_scope(current_app) as db:
        result = purge_expired(db, services().settings, today())
    click.echo(
        f"Deleted {result.threads} threads ({result.submissions} submissions, "
        f"{result.replies} replies, {result.attachments} attachments) and "
        f"{result.sessions} reporter sessions; swept {result.swept} leftover files."
    )


COMMANDS: list[click.Command] = [
    add_office_user_command,
    export_inbound_command,
    import_outbound_command,
    purge_expired_command,
]
