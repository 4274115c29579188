"""The static files the pages load, their Subresource Integrity and the asset manifest.

Every ``<script>`` carries ``integrity=`` (docs/THREAT-MODEL.md): :func:`sri` computes it
from the file the portal serves. The manifest (``/assets-manifest.json``) lists the SHA-256
of every file under static/, so anyone can compare what a live portal serves with a
release (``varsel-portal verify-assets URL``).
"""

import base64
import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Flask, current_app


@lru_cache(maxsize=256)
def _digest(path: Path, mtime_ns: int, algorithm: str) -> bytes:
    return hashlib.new(algorithm, path.read_bytes()).digest()


def _static_file(app: Flask, filename: str) -> Path:
    folder = Path(app.static_folder or "")
    path = (folder / filename).resolve()
    if folder.resolve() not in path.parents:
        raise ValueError("not a static file")
    return path


def sri(filename: str) -> str:
    """``sha384-<base64>`` of static/<filename>, for a script's ``integrity`` attribute."""
    path = _static_file(current_app, filename)
    digest = _digest(path, path.stat().st_mtime_ns, "sha384")
    return "sha384-" + base64.b64encode(digest).decode("ascii")


def init_app(app: Flask) -> None:
    app.jinja_env.globals["sri"] = sri
