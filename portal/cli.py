"""``varsel-portal``: the Flask CLI over the application factory, plus operator commands."""

import click
from flask.cli import FlaskGroup

from . import create_app


@click.group(cls=FlaskGroup, create_app=lambda: create_app(), add_version_option=False)
def main() -> None:
    """Varsel portal: run the server and manage keys, users and transfers."""
