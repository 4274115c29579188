"""``varsel-portal demo``: what ``make run`` starts on a fresh machine.

Creates the data directory, and when no office key is configured, a demo party office:
an offline inbox home beside the data (``<data dir>/demo-inbox``) made by the real
``varsel-inbox init``, whose public key becomes the portal's office key. Creates a demo
office user and prints its one-time setup code. Then serves the portal and prints its URL.
"""

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from ..db import session_scope
from ..models import OfficeUser
from ..office_users import create_office_user, is_active
from ..recipients import load_office
from ..services import services
from .serve import serve

DEMO_USER = "demo"


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@with_appcontext
def demo_command(host: str, port: int) -> None:
    """Set up a demo office (key, inbox, user) if none exists, then serve the portal."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    settings = services(app).settings
    inbox_home = settings.data_dir / "demo-inbox"
    passphrase_file = inbox_home.parent / "demo-inbox-passphrase.txt"
    if load_office(settings.keys_dir) is None:
        passphrase = _create_demo_inbox(inbox_home, passphrase_file)
        shutil.copyfile(inbox_home / "office.pub", settings.office_key_file)
        click.echo(f"Created a demo office key; its offline inbox is {inbox_home}")
    elif passphrase_file.exists():
        passphrase = passphrase_file.read_text().strip()
    else:
        passphrase = None
    setup_code = _ensure_demo_user(app)
    url = f"http://{'localhost' if host in ('127.0.0.1', '::1') else host}:{port}/"
    lines = [
        "",
        "Varsel is running (demo, SQLite, data in " + str(settings.data_dir) + ")",
        f"  Reporter pages:  {url}",
        f"  Office pages:    {url.rstrip('/')}{settings.office_url_prefix}/",
    ]
    if setup_code:
        lines.append(
            f"  Office setup:    {url.rstrip('/')}{settings.office_url_prefix}/oppsett"
            f"  user '{DEMO_USER}', one-time setup code {setup_code}"
        )
    if passphrase and inbox_home.exists():
        lines += [
            "  Offline inbox (the office's laptop), in another terminal:",
            f"    export VARSEL_INBOX_HOME={inbox_home}",
            f"    export VARSEL_INBOX_PASSPHRASE='{passphrase}'",
            f"    {Path(sys.executable).with_name('varsel-inbox')} list",
        ]
    lines.append("Stop with Ctrl+C.\n")
    click.echo("\n".join(lines))
    serve(app, host, port)


def _create_demo_inbox(home: Path, passphrase_file: Path) -> str:
    if home.exists():
        raise click.ClickException(
            f"{home} exists but the portal has no office key; remove it or set a key"
        )
    passphrase = "demo-" + secrets.token_urlsafe(12)
    inbox = Path(sys.executable).with_name("varsel-inbox")
    env = dict(os.environ, VARSEL_INBOX_PASSPHRASE=passphrase)
    result = subprocess.run(
        [str(inbox), "--home", str(home), "init"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise click.ClickException("varsel-inbox init failed: " + result.stderr.strip())
    passphrase_file.write_text(passphrase + "\n")
    passphrase_file.chmod(0o600)
    return passphrase


def _ensure_demo_user(app: Flask) -> str | None:
    """The demo office user's setup code, while its setup is unfinished (a new code each
    run, since codes are stored only as hashes); None once it has a password and TOTP."""
    with session_scope(app) as session:
        user = session.scalar(select(OfficeUser).where(OfficeUser.name == DEMO_USER))
        if user is not None and is_active(user):
            return None
        return create_office_user(session, DEMO_USER, reset=user is not None)


COMMANDS: list[click.Command] = [demo_command]
