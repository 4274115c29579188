"""``varsel-portal``: the Flask CLI over the application factory, plus operator commands.

Commands live in ``portal/commands/<area>.py``; each module exports ``COMMANDS``.
"""

import click
from flask.cli import FlaskGroup

from . import create_app
from .commands import alerts, backup, demo, keys, poster, serve, transfer, verify


@click.group(cls=FlaskGroup, create_app=lambda: create_app(), add_version_option=False)
def main() -> None:
    """Varsel portal: run the server and manage keys, users and transfers."""


for _module in (keys, transfer, demo, serve, verify, poster, alerts, backup):
    for _command in _module.COMMANDS:
        main.add_command(_command)
