"""Backups that restore, for the portal's data directory and the inbox's home alike.

A backup is a directory: every file of the source copied as it is, each SQLite database
through SQLite's online backup API (a consistent snapshot while the program that uses it
keeps running, with the WAL folded in), and ``MANIFEST.json`` naming each file with its
SHA-256. Restoring checks every sum first and copies nothing from a backup that does not
match; a restore that fails halfway removes what it wrote.

The manifest holds the day of the backup and file names, sizes and sums; nothing else.
"""

import hashlib
import json
import os
import shutil
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from datetime import date
from pathlib import Path

from .files import create_new, read_pieces

MANIFEST = "MANIFEST.json"
FORMAT = "varsel-backup/1"
# Left out of every backup: SQLite's side files (the snapshot holds their content),
# unfinished uploads and lock files.
_SKIPPED_SUFFIXES = ("-wal", "-shm", "-journal", ".partial", ".migrate-lock")


class BackupError(Exception):
    """A backup that cannot be written, read or restored: one line for the person."""


def write_backup(
    source: Path, dest: Path, kind: str, databases: Iterable[str], *, today: date
) -> int:
    """Copy ``source`` into the new directory ``dest``; ``databases`` are SQLite files
    (relative to ``source``) copied with the online backup API; the manifest carries
    ``today``. Returns the file count."""
    if dest.exists():
        raise BackupError(f"{dest} already exists; a backup never overwrites anything")
    if not source.is_dir():
        raise BackupError(f"{source} is not a directory")
    partial = dest.with_name(dest.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(mode=0o700, parents=True)
    try:
        names = set(databases)
        for name in names:
            if (source / name).exists():
                _snapshot_sqlite(source / name, partial / name)
        for path in sorted(source.rglob("*")):
            relative = path.relative_to(source)
            if str(relative) in names or path.name.endswith(_SKIPPED_SUFFIXES):
                continue
            target = partial / relative
            if path.is_dir():
                target.mkdir(mode=0o700, exist_ok=True)
            elif path.is_file():
                target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                shutil.copyfile(path, target)
                target.chmod(0o600)
        files = _sums(partial)
        manifest = {"format": FORMAT, "kind": kind, "day": today.isoformat(), "files": files}
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
        (partial / MANIFEST).chmod(0o600)
        partial.rename(dest)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return len(files)


def verify_backup(backup: Path, kind: str) -> dict[str, dict[str, object]]:
    """The manifest's files, after checking that every one is there with its sum and that
    nothing else is."""
    try:
        manifest = json.loads((backup / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise BackupError(f"{backup} is not a Varsel backup: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{backup} is not a Varsel backup ({FORMAT})")
    if manifest.get("kind") != kind:
        raise BackupError(f"{backup} is a backup of {manifest.get('kind')!r}, not of {kind!r}")
    expected: dict[str, dict[str, object]] = manifest["files"]
    found = _sums(backup)
    found.pop(MANIFEST, None)
    if found != expected:
        bad = sorted(
            set(found) ^ set(expected) | {n for n in found if found.get(n) != expected.get(n)}
        )
        raise BackupError(
            f"{backup} is damaged or incomplete: {', '.join(bad[:5])} do not match the manifest"
        )
    return expected


def restore_backup(backup: Path, target: Path, kind: str) -> int:
    """Copy a verified backup into ``target``, which must be absent or empty."""
    files = verify_backup(backup, kind)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} is not empty; restore only into a new, empty directory")
    created = not target.exists()
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        for name in sorted(files):
            source, dest = backup / name, target / name
            dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            shutil.copyfile(source, dest)
            dest.chmod(0o600)
    except BaseException:
        for child in list(target.iterdir()):
            shutil.rmtree(child) if child.is_dir() else child.unlink()
        if created:
            target.rmdir()
        raise
    return len(files)


def _snapshot_sqlite(source: Path, dest: Path) -> None:
    dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(create_new(dest))
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(dest)) as out:
        src.backup(out)
        # The copy is a plain rollback-journal database: no -wal beside it to lose.
        out.execute("PRAGMA journal_mode=DELETE")


def _sums(root: Path) -> dict[str, dict[str, object]]:
    sums: dict[str, dict[str, object]] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            digest = hashlib.sha256()
            for piece in read_pieces(path):
                digest.update(piece)
            sums[str(path.relative_to(root))] = {
                "sha256": digest.hexdigest(),
                "size": path.stat().st_size,
            }
    return sums
