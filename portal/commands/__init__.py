"""Operator commands for ``varsel-portal``, one module per area, each exporting COMMANDS."""
