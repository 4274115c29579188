"""The office's answer as the portal's tests write it: an outbound bundle (docs/PROTOCOL.md,
"Bundles") for an app's portal, signed with the office key, as the inbox would send it."""

from datetime import date

from flask import Flask

from crypto.bundle import OutboundBundle, OutboundReply, StatusChange, write_outbound
from crypto.envelope import seal
from crypto.keys import SecretIdentity
from crypto.payload import Reply, encode_payload
from portal.services import services
from portal.transfer import portal_fingerprint

REPLY_TEXT = "Takk, vi har mottatt varselet."


def outbound_bundle(
    app: Flask,
    office: SecretIdentity,
    sequence: int,
    day: date,
    *,
    acks: tuple[str, ...] = (),
    replies: tuple[tuple[str, str, bytes], ...] = (),
    statuses: tuple[tuple[str, str], ...] = (),
    to: str | None = None,
) -> bytes:
    """Bundle number ``sequence`` made on ``day``, for ``app``'s portal unless ``to`` names
    another audience. A reply is (reply id, thread id, the reporter's public key): each is
    :data:`REPLY_TEXT` sealed to that reporter. A status is (thread id, status)."""
    return write_outbound(
        OutboundBundle(
            sequence=sequence,
            audience=to if to is not None else portal_fingerprint(
                services(app).secrets.portal_identity
            ),
            created_day=day.isoformat(),
            acks=acks,
            replies=tuple(
                OutboundReply(
                    id=reply_id,
                    thread=thread_id,
                    day=day.isoformat(),
                    envelope=seal(encode_payload(Reply(text=REPLY_TEXT)), [reporter_key]),
                )
                for reply_id, thread_id, reporter_key in replies
            ),
            statuses=tuple(StatusChange(thread=t, status=s) for t, s in statuses),
        ),
        office,
    )
