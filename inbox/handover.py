"""Forwarding a case to a named handler (§6a, §8.2) and closing it out (§6b).

Forwarding builds the PDF case file in memory and writes a sealed case file
(``sealed_casefile``) that only the handler's key opens; the attachments are re-encrypted
from the store's streams chunk by chunk. The case log records to whom and on which day.

Closing out moves the case to ``overlevert`` and deletes every piece of report content of
the thread from the store: decrypted payloads, reply texts, case metadata and the case log
(all wrapped rows), and the attachment blob files (overwritten, then unlinked). What stays
is a tombstone (thread id, day received, day closed, final state, handed over) and the ids
of the deleted items, so that re-importing an old bundle skips them.
"""

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from crypto import stream
from crypto.keys import PublicIdentity, SecretIdentity

from . import case as cases
from .casefile import build_casefile
from .errors import CaseError, ClosedOut, InboxError
from .files import pieces_of, read_pieces
from .sealed_casefile import SourceFile, write_sealed_casefile
from .store import Store, Tombstone
from .threads import load_thread

CLOSABLE = ("avsluttet", "overlevert")
FINAL_STATE = "overlevert"


def read_handler_key(path: Path) -> PublicIdentity:
    """The handler's public key file (``office.pub`` from their own ``varsel-inbox init``)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InboxError(f"Kan ikke lese {path}: {exc.strerror}.") from exc
    return parse_handler_key(data, str(path))


def parse_handler_key(data: bytes, source: str) -> PublicIdentity:
    """A handler's public key from the bytes of its file; ``source`` names it in errors."""
    from crypto.errors import CryptoError

    try:
        return PublicIdentity.from_text(data.decode("ascii"))
    except (CryptoError, UnicodeDecodeError) as exc:
        raise InboxError(
            f"{source} er ikke en offentlig Varsel-nøkkel (varsel-public-key/v1)."
        ) from exc


def check_recipient(office: PublicIdentity, recipient: PublicIdentity, source: str) -> None:
    """A sealed case file goes to a handler's key, never back to the office's own."""
    if recipient == office:
        raise InboxError(
            f"{source} er kontorets egen nøkkel. Bruk saksbehandlerens offentlige nøkkel."
        )


def declared_handler(
    store: Store, thread_id: str, recipient: PublicIdentity, handler_name: str | None
) -> tuple[cases.Declaration, str]:
    """§6d before §6a: the recipient's declaration on record (never a biased one) and the
    name the forwarding is logged under (the one given, else the declared one)."""
    declared = cases.impartial_handler(cases.load_case(store, thread_id), recipient.fingerprint)
    name = handler_name.strip() if handler_name and handler_name.strip() else None
    return declared, name or declared.name


@dataclass(frozen=True)
class Forwarded:
    path: Path
    size: int
    files: int
    recipient: str


def forward_case(
    store: Store,
    signer: SecretIdentity,
    thread_id: str,
    recipient: PublicIdentity,
    out_path: Path,
    *,
    handler_name: str | None = None,
    today: date,
) -> Forwarded:
    """Write a sealed case file for ``recipient`` and record the forwarding in the case log."""
    case = cases.load_case(store, thread_id)
    view = load_thread(store, thread_id)
    pdf = build_casefile(view, case, today=today)
    files = [
        SourceFile(f"saksmappe-{thread_id[:8]}.pdf", "application/pdf", len(pdf), pieces_of(pdf))
    ]
    for entry in view.entries:
        payload = getattr(entry, "payload", None)
        for ref in getattr(payload, "attachments", ()):
            blob = store.blob_path(ref.blob)
            if not blob.is_file():
                raise InboxError(f"Vedlegget {ref.blob[:8]} mangler i innboksen.")
            plain = stream.decrypt_stream(ref.key, ref.size, read_pieces(blob))
            files.append(SourceFile(ref.name, ref.media_type, ref.size, plain))
    name = handler_name.strip() if handler_name and handler_name.strip() else None
    size = write_sealed_casefile(
        out_path,
        signer=signer,
        recipient=recipient,
        case=thread_id,
        created_day=today.isoformat(),
        handler=name,
        files=files,
    )
    to_whom = f"{name} ({recipient.fingerprint})" if name else recipient.fingerprint
    cases.log_event(
        store,
        thread_id,
        "videresendt",
        f"Forseglet saksmappe videresendt til {to_whom} ({len(files)} filer), §6a.",
        today=today,
    )
    return Forwarded(out_path, size, len(files), to_whom)


# -- close-out (§6b) -------------------------------------------------------------------------


def tombstone(store: Store, thread_id: str) -> Tombstone | None:
    return store.tombstone(thread_id)


def check_closable(store: Store, thread_id: str) -> cases.CaseView:
    """The case, if it may be closed out now; CaseError saying why not otherwise."""
    if store.closed_day(thread_id) is not None:
        raise ClosedOut(f"Sak {thread_id[:8]} er allerede avsluttet og slettet.")
    case = cases.load_case(store, thread_id)
    if case.state not in CLOSABLE:
        raise CaseError(
            f"Saken er i tilstanden «{case.state}». Bare en sak som er «avsluttet» eller "
            "«overlevert», kan avsluttes og slettes (§6b)."
        )
    unconfirmed = store.unconfirmed_replies(thread_id)
    if unconfirmed:
        raise CaseError(
            f"{unconfirmed} svar til varsleren er ikke bekreftet mottatt av portalen ennå. "
            "Eksporter til portalen og importer en ny pakke først, så svarene ikke går tapt."
        )
    if store.opening_unconfirmed(thread_id):
        raise CaseError(
            "Tråden varsleren fikk kvitteringsord til, er ikke bekreftet opprettet på portalen "
            "ennå. Eksporter til portalen og importer en ny pakke først, så varsleren ser at "
            "saken er avsluttet."
        )
    return case


def close_out(store: Store, thread_id: str, *, today: date) -> Tombstone:
    """Delete the thread's content and leave a tombstone. Only from avsluttet/overlevert."""
    check_closable(store, thread_id)
    store.close_out(thread_id, today.isoformat(), FINAL_STATE)
    found = tombstone(store, thread_id)
    assert found is not None
    return found
