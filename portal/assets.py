"""The asset manifest: SHA-256 of every file under static/, served at
``/assets-manifest.json``, so anyone can compare what a live portal serves with a release
(``varsel-portal verify-assets URL``). Scripts' Subresource Integrity comes from
``static_sri`` (portal/security.py).
"""

import hashlib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, jsonify

from .config import asset_dir

MANIFEST_URL = "/assets-manifest.json"
MANIFEST_FORMAT = "varsel-assets/v1"


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
    app.add_url_rule(MANIFEST_URL, "assets_manifest", _manifest)
