"""The static files the pages load, their Subresource Integrity and the asset manifest.

Every ``<script>`` carries ``integrity=`` (docs/THREAT-MODEL.md): :func:`sri` computes it
from the file the portal serves. The manifest (``/assets-manifest.json``) lists the SHA-256
of every file under static/, so anyone can compare what a live portal serves with a
release (``varsel-portal verify-assets URL``).
"""

import base64
import hashlib
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, jsonify

from .config import asset_dir

MANIFEST_URL = "/assets-manifest.json"
MANIFEST_FORMAT = "varsel-assets/v1"


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


def release_version() -> str:
    try:
        return version("varsel")
    except PackageNotFoundError:
        return "unknown"


def build_manifest(static: Path | None = None) -> dict[str, Any]:
    """SHA-256 of every file under static/ (``/static/<path>``), as installed: the release's
    own list, computed from the files the package ships."""
    root = static or asset_dir("static")
    files = {
        "/static/" + path.relative_to(root).as_posix(): hashlib.sha256(
            path.read_bytes()
        ).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }
    return {"format": MANIFEST_FORMAT, "version": release_version(), "files": files}


def _manifest() -> Response:
    return jsonify(build_manifest(Path(current_app.static_folder or "")))


def init_app(app: Flask) -> None:
    app.jinja_env.globals["sri"] = sri
    app.add_url_rule(MANIFEST_URL, "assets_manifest", _manifest)
