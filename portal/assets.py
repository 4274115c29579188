"""Static files: content-hashed URLs that browsers keep for a year, and the asset manifest.

**Hashed names.** Every ``url_for("static", filename=...)`` gives the file's content-hashed
name, ``css/varsel.css`` -> ``css/varsel.<16 hex digits of its SHA-256>.css``, served with
``Cache-Control: public, max-age=31536000, immutable``: a browser that has seen a page once
asks for nothing but the page itself on the next visit (one round trip over Tor, not two).
A changed file gets a new name, so nobody is left with a stale copy; a name whose digits
are not the current file's digest (an old release, a guess) is answered 404, never with
other bytes under a name that promises them. The plain name (``css/varsel.css``) is still
served, revalidated on every use (``no-cache``): the browser path's worker loads its
libraries by plain relative names (static/js/varsel-worker.js), and the manifest lists
them.

**The manifest.** SHA-256 of every file under static/, under its plain and its hashed
``/static/`` path, served at ``/assets-manifest.json`` so anyone can compare what a live
portal serves with a release (``varsel-portal verify-assets URL``). Scripts' Subresource
Integrity comes from ``static_sri`` (portal/security.py).

**Compression.** Static files (style sheets, scripts, the icon) are sent gzip-compressed to
a browser that asks for it: they hold no secret and nothing the client sent. Pages are
never compressed: every reporter page carries the CSRF token and most reflect what the
client sent, and a compressed response with both leaks the token through its length
(BREACH). docs/PERFORMANCE.md, "Static files and warm visits".
"""

import gzip
import hashlib
import mimetypes
import posixpath
import re
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, current_app, jsonify, request, send_from_directory
from werkzeug.security import safe_join

from .config import asset_dir

MANIFEST_URL = "/assets-manifest.json"
MANIFEST_FORMAT = "varsel-assets/v1"
HASH_DIGITS = 16
ONE_YEAR = 365 * 24 * 3600
_HASHED = re.compile(
    rf"(?P<stem>.*[^/])\.(?P<digest>[0-9a-f]{{{HASH_DIGITS}}})(?P<ext>\.[A-Za-z0-9]+)?"
)
NAMES_KEY = "varsel.static_names"
# Text types worth compressing (an image format that is text, too).
COMPRESSIBLE = frozenset({".css", ".js", ".svg", ".txt", ".json"})


def release_version() -> str:
    try:
        return version("varsel")
    except PackageNotFoundError:
        return "unknown"


def hashed_name(filename: str, digest: str) -> str:
    """``css/varsel.css`` -> ``css/varsel.<digest[:16]>.css`` (the last extension kept)."""
    folder, base = posixpath.split(filename)
    stem, ext = posixpath.splitext(base)
    if not stem:  # ".hidden": no extension to keep
        stem, ext = base, ""
    return posixpath.join(folder, f"{stem}.{digest[:HASH_DIGITS]}{ext}")


def file_digest(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


@dataclass
class StaticNames:
    """Digests of the files under ``folder``, recomputed when a file's size or time
    changes (one ``stat`` per URL built)."""

    folder: Path
    _seen: dict[str, tuple[int, int, str]] = field(default_factory=dict)
    _gzipped: dict[str, tuple[str, bytes]] = field(default_factory=dict)

    def digest(self, filename: str) -> str | None:
        """SHA-256 (hex) of ``filename`` under the folder; None when there is no such file."""
        joined = safe_join(str(self.folder), filename)
        if joined is None:
            return None
        path = Path(joined)
        try:
            stat = path.stat()
        except OSError:
            return None
        if not path.is_file():
            return None
        known = self._seen.get(filename)
        if known is not None and known[:2] == (stat.st_mtime_ns, stat.st_size):
            return known[2]
        digest = file_digest(path)
        self._seen[filename] = (stat.st_mtime_ns, stat.st_size, digest)
        return digest

    def url_name(self, filename: str) -> str:
        """The hashed name of ``filename``, or the name as given when there is no file."""
        digest = self.digest(filename)
        return filename if digest is None else hashed_name(filename, digest)

    def gzipped(self, filename: str) -> tuple[str, bytes] | None:
        """``(digest, gzip body)`` of a compressible file, compressed once per version."""
        if posixpath.splitext(filename)[1].lower() not in COMPRESSIBLE:
            return None
        digest = self.digest(filename)
        if digest is None:
            return None
        known = self._gzipped.get(filename)
        if known is None or known[0] != digest:
            data = (self.folder / filename).read_bytes()
            if hashlib.sha256(data).hexdigest() != digest:  # changed between the two reads
                return None
            known = self._gzipped[filename] = (digest, gzip.compress(data, 9, mtime=0))
        return known

    def resolve(self, name: str) -> str | None:
        """The plain name a hashed ``name`` stands for, when its digits are the current
        file's digest; None for anything else."""
        found = _HASHED.fullmatch(name)
        if found is None:
            return None
        plain = found["stem"] + (found["ext"] or "")
        digest = self.digest(plain)
        if digest is None or digest[:HASH_DIGITS] != found["digest"]:
            return None
        return plain


def build_manifest(static: Path | None = None) -> dict[str, Any]:
    """SHA-256 of every file under static/ (``/static/<path>`` and its hashed name), as
    installed: the release's own list, computed from the files the package ships."""
    root = static or asset_dir("static")
    files: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            name = path.relative_to(root).as_posix()
            digest = file_digest(path)
            files["/static/" + name] = digest
            files["/static/" + hashed_name(name, digest)] = digest
    return {"format": MANIFEST_FORMAT, "version": release_version(),
            "files": dict(sorted(files.items()))}


def _manifest() -> Response:
    return jsonify(build_manifest(Path(current_app.static_folder or "")))


def _names() -> StaticNames:
    names: StaticNames = current_app.extensions[NAMES_KEY]
    folder = Path(current_app.static_folder or "")
    if names.folder != folder:  # the static folder was moved (tests do)
        names = current_app.extensions[NAMES_KEY] = StaticNames(folder)
    return names


def _static(filename: str) -> Response:
    """A hashed name: the file, kept for a year. A name of the hashed form whose digits
    are not the file's: 404. Any other name: the file, revalidated on every use."""
    names = _names()
    hashed = _HASHED.fullmatch(filename) is not None
    plain = names.resolve(filename) if hashed else filename
    if plain is None:
        abort(404)
    response = _compressed(names, plain) or send_from_directory(
        current_app.static_folder or "", plain, max_age=ONE_YEAR if hashed else None
    )
    if hashed:
        response.cache_control.max_age = ONE_YEAR
        response.cache_control.public = True
        response.cache_control.immutable = True
    else:
        response.cache_control.no_cache = True
    if posixpath.splitext(plain)[1].lower() in COMPRESSIBLE:
        response.vary.add("Accept-Encoding")
    return response


def _compressed(names: StaticNames, filename: str) -> Response | None:
    """The gzip variant, when the browser takes gzip and the file is text."""
    if not request.accept_encodings["gzip"]:
        return None
    found = names.gzipped(filename)
    if found is None:
        return None
    digest, body = found
    response = Response(body, mimetype=_mimetype(filename))
    response.content_encoding = "gzip"
    response.set_etag(f"{digest[:32]}-gzip")
    response.make_conditional(request)
    return response


def _mimetype(filename: str) -> str:
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def _hashed_urls(endpoint: str, values: dict[str, Any]) -> None:
    if endpoint == "static" and isinstance(values.get("filename"), str):
        values["filename"] = _names().url_name(values["filename"])


def init_app(app: Flask) -> None:
    app.extensions[NAMES_KEY] = StaticNames(Path(app.static_folder or ""))
    app.view_functions["static"] = _static
    app.url_defaults(_hashed_urls)
    app.add_url_rule(MANIFEST_URL, "assets_manifest", _manifest)
