"""Placeholder: filled in by the area's issue."""

import click

COMMANDS: list[click.Command] = []
