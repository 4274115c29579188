"""Content-free alerts to the party office: how many reports and messages wait, and how
many must be acknowledged soon — counts and days only, never content, ids or times.

Nobody at the office watches a dashboard, so a timer (deploy/systemd/varsel-alerts.timer)
runs ``varsel-portal send-alerts`` at fixed hours. An e-mail at a fixed hour says nothing
about when a report came in; a mail sent at each submission would. Nothing waits:
nothing is sent.

SMTP over TLS only (STARTTLS or implicit TLS), the server's certificate checked. Settings
come from ``VARSEL_SMTP_*`` and ``VARSEL_ALERT_*`` (docs/OPERATOR-GUIDE.md, "Alerts").
"""

import smtplib
import ssl
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

from flask_babel import gettext, ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inbox.deadlines import ack_due

from .models import Submission, Thread

# A thread still "received" this many days (or fewer) before its acknowledgement deadline
# is named in the alert.
WARN_DAYS = 2
SMTP_TIMEOUT_SECONDS = 30


class AlertConfigError(ValueError):
    """A missing or malformed VARSEL_SMTP_* / VARSEL_ALERT_* setting."""


@dataclass(frozen=True)
class AlertSettings:
    host: str
    port: int
    security: str  # "starttls" | "tls"
    sender: str
    recipients: tuple[str, ...]
    user: str | None = None
    password: str | None = None
    ca_file: Path | None = None
    language: str = "nb"

    @classmethod
    def from_env(cls, env: dict[str, str]) -> "AlertSettings":
        def need(name: str) -> str:
            value = env.get(name, "").strip()
            if not value:
                raise AlertConfigError(f'{name} is not set (docs/OPERATOR-GUIDE.md, "Alerts")')
            return value

        security = env.get("VARSEL_SMTP_SECURITY", "starttls").strip().lower()
        if security not in ("starttls", "tls"):
            raise AlertConfigError("VARSEL_SMTP_SECURITY must be starttls or tls")
        port_text = env.get("VARSEL_SMTP_PORT", "587" if security == "starttls" else "465")
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise AlertConfigError(f"VARSEL_SMTP_PORT must be a port number, not {port_text!r}")
        recipients = tuple(a.strip() for a in need("VARSEL_ALERT_TO").split(",") if a.strip())
        for address in (need("VARSEL_ALERT_FROM"), *recipients):
            if "@" not in address or any(c in address for c in "\r\n<>, "):
                raise AlertConfigError(f"{address!r} is not an e-mail address")
        language = env.get("VARSEL_ALERT_LANG", "nb")
        if language not in ("nb", "nn", "en"):
            raise AlertConfigError("VARSEL_ALERT_LANG must be nb, nn or en")
        ca_file = env.get("VARSEL_SMTP_CA_FILE")
        if ca_file and not Path(ca_file).is_file():
            raise AlertConfigError(f"VARSEL_SMTP_CA_FILE: {ca_file} does not exist")
        return cls(
            host=need("VARSEL_SMTP_HOST"),
            port=int(port_text),
            security=security,
            sender=need("VARSEL_ALERT_FROM"),
            recipients=recipients,
            user=env.get("VARSEL_SMTP_USER") or None,
            password=env.get("VARSEL_SMTP_PASSWORD") or None,
            ca_file=Path(ca_file) if ca_file else None,
            language=language,
        )


@dataclass(frozen=True)
class Waiting:
    """What the office has not dealt with yet, as counts."""

    reports: int  # reports the inbox has not acknowledged (not fetched and imported)
    messages: int  # follow-up messages from reporters, likewise
    ack_due_soon: int  # threads not acknowledged whose deadline is within WARN_DAYS
    ack_days_left: int  # the fewest days left among those (0: today)
    ack_overdue: int  # threads not acknowledged past the deadline

    @property
    def anything(self) -> bool:
        return bool(self.reports or self.messages or self.ack_due_soon or self.ack_overdue)


def count_waiting(session: Session, today: date) -> Waiting:
    kinds = dict(
        session.execute(
            select(Submission.kind, func.count())
            .where(Submission.acknowledged.is_(False))
            .group_by(Submission.kind)
        ).all()
    )
    # A thread is acknowledged once the office has set any later status (inbox/deadlines.py).
    due_days = [
        (ack_due(created) - today).days
        for created in session.scalars(
            select(Thread.created_day).where(Thread.status == "received")
        )
    ]
    soon = [d for d in due_days if 0 <= d <= WARN_DAYS]
    return Waiting(
        reports=int(kinds.get("report", 0)),
        messages=int(kinds.get("message", 0)),
        ack_due_soon=len(soon),
        ack_days_left=min(soon, default=0),
        ack_overdue=sum(1 for d in due_days if d < 0),
    )


def alert_text(waiting: Waiting) -> tuple[str, str]:
    """Subject and body in the current locale, e.g. "3 varsler venter. 1 må bekreftes
    innen 2 dager." Counts and days only."""
    lines: list[str] = []
    if waiting.reports:
        lines.append(
            ngettext("%(num)d report is waiting.", "%(num)d reports are waiting.", waiting.reports)
        )
    if waiting.messages:
        lines.append(
            ngettext(
                "%(num)d new message is waiting.",
                "%(num)d new messages are waiting.",
                waiting.messages,
            )
        )
    if waiting.ack_due_soon:
        days = (
            gettext("today")
            if waiting.ack_days_left == 0
            else ngettext("within %(num)d day", "within %(num)d days", waiting.ack_days_left)
        )
        lines.append(
            ngettext(
                "%(num)d must be acknowledged %(when)s.",
                "%(num)d must be acknowledged %(when)s.",
                waiting.ack_due_soon,
                when=days,
            )
        )
    if waiting.ack_overdue:
        lines.append(
            ngettext(
                "%(num)d is past the deadline for acknowledgement.",
                "%(num)d are past the deadline for acknowledgement.",
                waiting.ack_overdue,
            )
        )
    summary = " ".join(lines)
    body = (
        summary
        + "\n\n"
        + gettext(
            "Log in on the party office's pages of Varsel and download the inbound bundle."
            " This e-mail only counts what is waiting; you read the contents on the offline"
            " laptop."
        )
        + "\n"
    )
    return gettext("Varsel: %(summary)s", summary=lines[0]), body


def build_message(settings: AlertSettings, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.recipients)
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)  # the batch's fixed hour, not a submission's
    message.set_content(body)
    return message


def send(settings: AlertSettings, message: EmailMessage) -> None:
    """Deliver over TLS with the certificate checked; smtplib's errors propagate."""
    context = ssl.create_default_context(cafile=str(settings.ca_file) if settings.ca_file else None)
    smtp: smtplib.SMTP
    if settings.security == "tls":
        smtp = smtplib.SMTP_SSL(
            settings.host, settings.port, context=context, timeout=SMTP_TIMEOUT_SECONDS
        )
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=SMTP_TIMEOUT_SECONDS)
    with smtp:
        if settings.security == "starttls":
            smtp.starttls(context=context)
        if settings.user:
            smtp.login(settings.user, settings.password or "")
        smtp.send_message(message)
