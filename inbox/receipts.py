"""A receipt for a report received outside the portal (§5, §7), so the reporter can follow
up anonymously on the portal like a web reporter (§9.4).

``issue_receipt`` makes the receipt exactly as the portal makes one for a web report
(crypto/receipt.py: 8 words, argon2id with the portal's public salt, the login key and the
reporter's key pair), then queues a thread to open on the portal (docs/PROTOCOL.md,
"Bundles", ``open_threads``): the login key sealed to the portal's X25519 key, which only
the portal can open to store its keyed hash; the reporter's public key; and the reporter's
own copy of what they told the office (the form answers as recorded, not the minutes),
sealed to the reporter's key. The portal's key and salt come from the last inbound bundle,
signed by the pinned portal key (inbox.home, ``portal.params``).

The receipt is returned once, to be shown and handed over; it is never stored. The case
keeps its id: the thread on the portal has the case's id, so the reporter's messages come
in on the same case and replies and statuses go out as for a web report.
"""

from dataclasses import dataclass
from datetime import date

from crypto.bundle import PortalParameters
from crypto.encoding import b64encode
from crypto.envelope import seal
from crypto.payload import OwnCopy, Report, decode_payload, encode_payload, fit_text
from crypto.receipt import derive_receipt_keys, generate_receipt, seal_login_key

from . import case as cases
from .errors import CaseError
from .home import Home
from .render import answer_rows
from .store import Store, ThreadMeta


@dataclass(frozen=True)
class IssuedReceipt:
    thread: str
    receipt: str

    def __repr__(self) -> str:  # never print the receipt by accident
        return f"IssuedReceipt(thread={self.thread!r})"


def own_copy_text(report: Report, received_day: str) -> str:
    """What the reporter reads on the portal as their report: the answers as recorded."""
    lines = [f"Det du fortalte partikontoret (mottatt {received_day}), slik det ble skrevet ned:"]
    lines += [f"\n{label}:\n{answer}" for _key, label, answer in answer_rows(report)]
    return fit_text("\n".join(lines))


def portal_parameters(home: Home) -> PortalParameters:
    """The portal's key and receipt salt, or a clear error before anything is changed."""
    params = home.read_portal_parameters()
    if params is None:
        raise CaseError(
            "Innboksen kjenner ikke portalens nøkkel ennå. Last ned en pakke fra portalens "
            "kontorside og importer den («varsel-inbox import FIL»), og prøv igjen."
        )
    return params


def issue_receipt(home: Home, store: Store, thread: str, *, today: date) -> IssuedReceipt:
    """Make a receipt for a case received outside the portal and queue its thread."""
    received_day = store.thread(thread).received_day
    meta = store.thread_meta(thread)
    # New words replace the last ones only while no outbound bundle has carried them.
    if meta.portal and not store.opening_waiting(thread):
        raise CaseError(
            f"Sak {thread[:8]} har allerede en tråd på portalen (eller en som er sendt dit); "
            "varsleren bruker kvitteringsordene sine der."
        )
    if not cases.has_case(store, thread):
        raise CaseError(f"Sak {thread[:8]} er ikke til behandling.")
    params = portal_parameters(home)
    report = decode_payload(store.items_of(thread, "report")[0].plaintext)
    assert isinstance(report, Report)

    receipt = generate_receipt()
    keys = derive_receipt_keys(receipt, params.receipt_salt)
    own_copy = seal(
        encode_payload(OwnCopy(own_copy_text(report, received_day))), [keys.reporter_public_key]
    )
    opening = {
        "reporter_public_key": b64encode(keys.reporter_public_key),
        "sealed_login_key": b64encode(seal_login_key(keys.login_key, params.encryption_key)),
        "own_copy": b64encode(own_copy),
    }
    with store.transaction():
        store.set_thread_meta(thread, ThreadMeta(keys.reporter_public_key))
        store.queue_opening(thread, today.isoformat(), opening)
        cases.log_in(
            store,
            thread,
            "kvittering-gitt",
            "Varsleren fikk kvitteringsord til en tråd på portalen, for å følge opp anonymt "
            "(§9.4). Tråden opprettes når neste utgående pakke lastes opp. Ordene er ikke "
            "lagret noe sted i innboksen.",
            today=today,
        )
    return IssuedReceipt(thread=thread, receipt=receipt)
