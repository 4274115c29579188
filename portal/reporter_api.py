"""The browser path's endpoints (docs/PROTOCOL.md, "Browser path").

With JavaScript on, the reporter's browser draws the receipt, derives the keys and seals
everything itself; these endpoints hand it the public parameters it needs and take only
ciphertext. Without JavaScript none of this runs: portal/reporter.py serves the same forms.
"""

from flask import Blueprint, Response, current_app, jsonify

from crypto.encoding import b64encode
from crypto.wordlist import wordlist_bytes, wordlist_sha256

from . import secrets_of, settings_of
from .recipients import load_committee, load_office

bp = Blueprint("reporter_api", __name__, url_prefix="/api/v1")


@bp.get("/parameters")
def parameters() -> Response:
    """What the browser needs to seal a report: the public receipt salt and recipient keys.

    The salt is public (docs/PROTOCOL.md, "Receipt"); the login pepper never leaves the
    server. ``office`` is null when no office key is configured (the portal takes no
    reports)."""
    settings = settings_of(current_app)
    office = load_office(settings.keys_dir)
    return jsonify(
        {
            "receipt_salt": b64encode(secrets_of(current_app).receipt_salt),
            "office": None if office is None else b64encode(office.identity.encryption_key),
            "committee": [
                b64encode(r.identity.encryption_key) for r in load_committee(settings.keys_dir)
            ],
            "max_upload_bytes": settings.max_upload_bytes,
            "wordlist_sha256": wordlist_sha256(),
        }
    )


@bp.get("/wordlist.txt")
def wordlist() -> Response:
    """The receipt word list file, byte for byte as the package ships it."""
    return Response(wordlist_bytes(), content_type="text/plain; charset=utf-8")
