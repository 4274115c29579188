"""The portal's database: only ciphertext, keyed hashes, public keys and days.

docs/THREAT-MODEL.md, requirements 1, 2 and 6: no plaintext, no IP address, no user agent, no exact
time for anything a reporter does (a reporter session's idle deadline lives only inside its
wrapped blob; the row keeps a ``purge_day``). Dates are kept to the day.
"""

import secrets
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id() -> str:
    """A random 128-bit identifier, base64url (22 characters), starting with a letter or
    digit so that no id looks like a command-line option."""
    while True:
        token = secrets.token_urlsafe(16)
        if token[0].isalnum():
            return token


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


# SQLite gives every ordinary table a hidden, growing ``rowid`` that records the order in
# which rows were written, whatever the primary key. Every table here is ``WITHOUT ROWID``
# and keyed by random identifiers (or a hash), so nothing on disk orders threads,
# submissions, replies or users across each other (docs/THREAT-MODEL.md, requirement 2).
NO_ROWID = {"sqlite_with_rowid": False}


class Thread(Base):
    """One report and everything said about it afterwards."""

    __tablename__ = "threads"
    __table_args__ = NO_ROWID

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    login_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True, index=True)
    reporter_public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_day: Mapped[date] = mapped_column(Date)
    last_activity_day: Mapped[date] = mapped_column(Date)
    # Wire values from crypto.payload.THREAD_STATUSES: received, acknowledged, ...
    status: Mapped[str] = mapped_column(String(32), default="received")
    next_position: Mapped[int] = mapped_column(Integer, default=0)

    def take_position(self) -> int:
        """The next place in this thread's conversation (submissions and replies share it)."""
        position = self.next_position or 0
        self.next_position = position + 1
        return position

    submissions: Mapped[list["Submission"]] = relationship(
        back_populates="thread", cascade="all, delete-orphan", order_by="Submission.position"
    )
    replies: Mapped[list["Reply"]] = relationship(
        back_populates="thread", cascade="all, delete-orphan", order_by="Reply.position"
    )


class Submission(Base):
    """Something the reporter sent: the report itself or a follow-up message."""

    __tablename__ = "submissions"
    __table_args__ = NO_ROWID

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    # Place in the thread's conversation (Thread.next_position); ordering without a clock.
    position: Mapped[int] = mapped_column(Integer)
    thread_id: Mapped[str] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # "report" | "message"
    day: Mapped[date] = mapped_column(Date)
    # Envelope to the office (and committee); deleted (NULL) once the inbox acknowledges it.
    office_envelope: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # The reporter's own copy (crypto.payload.OwnCopy sealed to the reporter's key).
    own_copy: Mapped[bytes] = mapped_column(LargeBinary)
    acknowledged: Mapped[bool] = mapped_column(Boolean, default=False)

    thread: Mapped[Thread] = relationship(back_populates="submissions")
    attachments: Mapped[list["Attachment"]] = relationship(
        back_populates="submission", cascade="all, delete-orphan"
    )


class Attachment(Base):
    """An attachment stream (ciphertext) stored as ``<data dir>/blobs/<id>``."""

    __tablename__ = "attachments"
    __table_args__ = NO_ROWID

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    submission_id: Mapped[str] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), index=True
    )
    stored_size: Mapped[int] = mapped_column(Integer)  # ciphertext bytes (padded bucket)
    # BLAKE2b-256 of the file, computed while it is written (crypto.bundle.blob_hasher), so
    # an export signs the manifest without reading the file twice. Rows from before
    # migration 0006 get it at their first export (portal.transfer).
    blake2b: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)

    submission: Mapped[Submission] = relationship(back_populates="attachments")


class Reply(Base):
    """A reply from the office, sealed on the offline machine to the reporter's key."""

    __tablename__ = "replies"
    __table_args__ = NO_ROWID

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)  # see Submission.position
    thread_id: Mapped[str] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    envelope: Mapped[bytes] = mapped_column(LargeBinary)

    thread: Mapped[Thread] = relationship(back_populates="replies")


class ReporterSession(Base):
    """A logged-in reporter without JavaScript (docs/THREAT-MODEL.md, requirement 4).

    The cookie holds a random session id; the row holds only a hash of it, the thread and
    the reporter's secret key wrapped under a key that exists only in the cookie, together
    with the idle deadline (portal/reporter_session.py). On disk only a day is kept.
    """

    __tablename__ = "reporter_sessions"
    __table_args__ = NO_ROWID

    id_hash: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    thread_id: Mapped[str] = mapped_column(
        ForeignKey("threads.id", ondelete="CASCADE"), index=True
    )
    wrapped_secret_key: Mapped[bytes] = mapped_column(LargeBinary)
    # Delete the row when this day is in the past (an abandoned session); not a deadline.
    purge_day: Mapped[date] = mapped_column(Date, index=True)


class OfficeUser(Base):
    """A party-office login (partisekretær, assisterende partisekretær): password + TOTP."""

    __tablename__ = "office_users"
    __table_args__ = NO_ROWID

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    setup_code_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)
    # The last TOTP step spent (refuses code reuse); reset to 0 once outside the acceptance
    # window, so it does not keep the time of the last login (portal/office_users.py).
    last_totp_step: Mapped[int] = mapped_column(Integer, default=0)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Raised at logout: office session cookies carry the epoch they were issued under, so a
    # copied cookie stops working when its owner logs out.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)


class TransferState(Base):
    """One row: the highest outbound-bundle sequence number applied (replay protection)."""

    __tablename__ = "transfer_state"
    __table_args__ = NO_ROWID

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    last_outbound_sequence: Mapped[int] = mapped_column(Integer, default=0)
    # Inbound downloads from the office page so far: each file name carries its number, so
    # a browser never saves "…(1).bundle" and the office can tell the files apart.
    inbound_downloads: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ReplyByDay(Base):
    """The accused's open time limits to reply (§10.2) as the last outbound bundle applied
    gave them: a day and how many cases have it, tied to no thread (docs/THREAT-MODEL.md,
    "What the portal learns"). Replaced whole by every outbound bundle."""

    __tablename__ = "reply_by_days"
    __table_args__ = NO_ROWID

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    cases: Mapped[int] = mapped_column(Integer)


class SentForm(Base):
    """A report form that has been sent, so that sending it again is a no-op, and the
    receipt waiting for its one showing (portal/receipt_handoff.py).

    The row holds a hash of the form's random id and, until the receipt page has shown it
    once, the receipt wrapped under that id, which lives only in the reporter's form and a
    short-lived cookie: the server's disk alone cannot open it. Days only.
    """

    __tablename__ = "sent_forms"
    __table_args__ = NO_ROWID

    id_hash: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    wrapped_receipt: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    purge_day: Mapped[date] = mapped_column(Date, index=True)


class RateCounter(Base):
    """Hits in the current rate-limit window (portal/ratelimit.py): ``client`` is a keyed
    hash of an address under a key that is never on disk, or empty for everyone together.
    Rows of windows that have ended are deleted with the next hit."""

    __tablename__ = "rate_counters"
    __table_args__ = NO_ROWID

    bucket: Mapped[str] = mapped_column(String(32), primary_key=True)
    client: Mapped[bytes] = mapped_column(LargeBinary(16), primary_key=True)
    ends: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # window end, Unix seconds
    hits: Mapped[int] = mapped_column(Integer)


class PowSpent(Base):
    """Spent proof-of-work challenges (portal/pow.py), by a hash of their random part, until
    the end of the 15-minute epoch after they expire."""

    __tablename__ = "pow_spent"
    __table_args__ = NO_ROWID

    id: Mapped[bytes] = mapped_column(LargeBinary(16), primary_key=True)
    forget_after: Mapped[int] = mapped_column(BigInteger, index=True)  # Unix seconds


class ShredPending(Base):
    """An attachment stream whose row was deleted and whose file must be shredded. Written
    in the same transaction that deletes the row; removed once the file is gone. Whatever
    is left after a crash is shredded at the next start (portal/purge.py)."""

    __tablename__ = "shred_pending"
    __table_args__ = NO_ROWID

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
