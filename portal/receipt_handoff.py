"""The receipt's one showing, after the report form's POST has redirected (post/redirect/get).

Every report form carries a random 32-byte form id (a hidden field). When the report is
stored, the same transaction stores a row keyed by a hash of the id, holding the receipt
wrapped under the id itself (crypto.wrap). The POST answers with a redirect to
``/report/receipt`` and a cookie, limited to that path and to a few minutes, that holds
the form id. The receipt page opens the wrapped receipt, empties the row's
``wrapped_receipt`` and shows the receipt; the browser is told to forget the cookie. So:

- reloading the receipt page does not send the report again, and shows the receipt no more;
- the same form sent again (a double click, Back then Forward and "resend") finds its row
  and files nothing: while the receipt is still waiting it is shown (the browser of the
  first answer may not have kept its cookie), afterwards the page says it was shown once;
- the receipt is never on disk in a form the server can read, and never in a cookie: the
  row has only a hash of the id and the wrapped receipt; the key is in the browser.

Rows are deleted by day (``purge_day``), on every reporter request and by
``purge-expired``. docs/THREAT-MODEL.md, requirement 3.
"""

import base64
import hashlib
import secrets
from datetime import date, timedelta

from sqlalchemy.orm import Session

from crypto.errors import CryptoError
from crypto.wrap import KEY_BYTES, unwrap, wrap

from .db import delete_where
from .models import SentForm

COOKIE_NAME = "varsel_receipt"
COOKIE_PATH = "/report/receipt"
COOKIE_SECONDS = 15 * 60
_DOMAIN = b"varsel-sent-form/v1\n"


def new_form_id() -> str:
    """A fresh form id for the report form's hidden field (base64url, 43 characters)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).rstrip(b"=").decode()


def parse_form_id(text: str | None) -> bytes | None:
    """The 32 bytes of a form id, or None when the text is not one."""
    if not text or len(text) != 43:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=")
    except ValueError:
        return None
    return raw if len(raw) == KEY_BYTES else None


def _id_hash(form_id: bytes) -> bytes:
    return hashlib.sha256(_DOMAIN + form_id).digest()


def find(db: Session, form_id: bytes) -> SentForm | None:
    return db.get(SentForm, _id_hash(form_id))


def record(db: Session, form_id: bytes, receipt: str, today: date) -> None:
    """Keep the receipt wrapped under the form id until it is shown. Caller commits (with
    the report, in the same transaction: a second sending of the form fails on the key)."""
    db.add(
        SentForm(
            id_hash=_id_hash(form_id),
            wrapped_receipt=wrap(form_id, receipt.encode("utf-8")),
            purge_day=today + timedelta(days=1),
        )
    )


def take_receipt(db: Session, form_id: bytes) -> str | None:
    """The waiting receipt, removed from the row (shown once); None when it was shown
    already, has been purged, or the id is not a sent form's. Caller commits."""
    row = find(db, form_id)
    if row is None or row.wrapped_receipt is None:
        return None
    try:
        receipt = unwrap(form_id, row.wrapped_receipt).decode("utf-8")
    except (CryptoError, UnicodeDecodeError):
        return None
    row.wrapped_receipt = None
    return receipt


def purge(db: Session, today: date) -> int:
    """Delete rows whose ``purge_day`` is before today; returns how many. Caller commits."""
    return delete_where(db, SentForm, SentForm.purge_day < today)


def cookie_value(form_id: bytes) -> str:
    return base64.urlsafe_b64encode(form_id).rstrip(b"=").decode()
