"""``varsel-portal send-alerts``: the content-free e-mail to the office (portal/alerts.py)."""

import os
import smtplib
import ssl

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale

from .. import alerts
from ..clock import today
from ..db import session_scope


@click.command("send-alerts")
@click.option("--dry-run", is_flag=True, help="Print the e-mail instead of sending it.")
@with_appcontext
def send_alerts_command(dry_run: bool) -> None:
    """E-mail the office how many reports and messages wait (counts and days only).

    Run it at fixed hours (deploy/systemd/varsel-alerts.timer); nothing waiting, nothing
    sent."""
    try:
        settings = alerts.AlertSettings.from_env(dict(os.environ))
    except alerts.AlertConfigError as error:
        raise click.ClickException(str(error)) from None
    with session_scope(current_app) as session:
        waiting = alerts.count_waiting(session, today())
    if not waiting.anything:
        click.echo("Nothing is waiting; no e-mail sent.")
        return
    with force_locale(settings.language):
        subject, body = alerts.alert_text(waiting)
    message = alerts.build_message(settings, subject, body)
    if dry_run:
        click.echo(message.as_string())
        return
    try:
        alerts.send(settings, message)
    except (OSError, smtplib.SMTPException, ssl.SSLError) as error:
        raise click.ClickException(
            f"Could not send the alert through {settings.host}:{settings.port}: {error}"
        ) from None
    click.echo(f"Sent the alert to {len(settings.recipients)} recipient(s): {subject}")


COMMANDS = [send_alerts_command]
