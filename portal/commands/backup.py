"""``varsel-portal backup`` and ``restore``: the data directory as a backup that restores
(inbox/backup.py does the copying; docs/OPERATOR-GUIDE.md, "Back up", says which files
are the most sensitive).

With SQLite the database is copied through SQLite's online backup API while the portal
runs. With PostgreSQL the database is not in the backup: dump it with ``pg_dump`` as the
operator guide shows, and restore it with ``pg_restore`` before ``restore``.
"""

from pathlib import Path

import click
from sqlalchemy.engine import make_url

from inbox.backup import BackupError, restore_backup, write_backup

from .. import clock
from ..config import Settings

KIND = "varsel-portal"


def _sqlite_name(settings: Settings) -> str | None:
    """The database's file name inside the data directory; None for PostgreSQL."""
    url = make_url(settings.database_url)
    if not url.drivername.startswith("sqlite"):
        return None
    database = Path(url.database or "").resolve()
    if database.parent != settings.data_dir:
        raise click.ClickException(
            f"The SQLite database {database} is outside {settings.data_dir}; back it up with "
            '`sqlite3 FILE ".backup COPY"` and the data directory with this command.'
        )
    return database.name


@click.command("backup")
@click.argument("destination", type=click.Path(file_okay=False, path_type=Path))
def backup_command(destination: Path) -> None:
    """Write a backup of the data directory (database, keys, blobs, instance secrets) to
    the new directory DESTINATION, while the portal runs."""
    settings = Settings.from_env()
    name = _sqlite_name(settings)
    try:
        count = write_backup(
            settings.data_dir, destination, KIND, [name] if name else [], today=clock.today()
        )
    except (BackupError, OSError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"Wrote {destination}: {count} files. It holds the instance secrets:"
        " keep it as safe as the server."
    )
    if name is None:
        click.echo(
            "The database is PostgreSQL and is not in this backup:"
            " run pg_dump as docs/OPERATOR-GUIDE.md shows."
        )


@click.command("restore")
@click.argument("backup", type=click.Path(file_okay=False, exists=True, path_type=Path))
def restore_command(backup: Path) -> None:
    """Restore BACKUP into the (new, empty) data directory VARSEL_DATA_DIR; start the
    portal afterwards."""
    settings = Settings.from_env()
    try:
        count = restore_backup(backup, settings.data_dir, KIND)
    except (BackupError, OSError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Restored {count} files into {settings.data_dir}.")


COMMANDS = [backup_command, restore_command]
