"""Deadlines the office keeps: acknowledge within 7 days, feedback within 3 months.

EU directive 2019/1937 (art. 9) as best practice; Norwegian law asks for "reasonable time"
and the guidelines for "uten unødig opphold" (§7.2, §9.1, §9.2), which is shown as the
number of days elapsed since the report was received.

The portal's office dashboard and its alerts count overdue threads with the same rules
(``ack_due``, ``feedback_due`` and ``late_if_received_before``).

"Feedback given" has one rule, the same as on the portal's office dashboard
(portal/office.py, ``feedback_overdue_threads``): the office has sent the reporter at least
one reply. A status alone tells the reporter nothing about what is being done. A report
received outside the portal (inbox.intake) may have no thread there: then a case note
that the reporter was informed (§9.4) is the reply. Once the reporter has been given a
receipt and the thread is opened on the portal, only replies count, as on the dashboard
(inbox/store.py). The list, the deadlines and ``stats`` all use
this rule.
"""

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

ACK_DAYS = 7
FEEDBACK_MONTHS = 3
WARN_BEFORE_DAYS = 14
ACKNOWLEDGED = frozenset({"acknowledged", "in_progress", "closed"})
ALWAYS_SHOWN = frozenset({"bekreftelse", "uttalefrist"})
# Case states after the right of reply (§10.2): the accused's time limit is over.
AFTER_REPLY = frozenset({"avgjort", "reaksjon", "avsluttet", "overlevert"})


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def ack_due(received: date) -> date:
    """The last day to acknowledge a report received on ``received``."""
    return received + timedelta(days=ACK_DAYS)


def feedback_due(received: date) -> date:
    """The last day to give feedback on a report received on ``received``."""
    return add_months(received, FEEDBACK_MONTHS)


def late_if_received_before(due: Callable[[date], date], today: date) -> date:
    """The first day of receipt whose deadline ``due`` is today or later: what was received
    before it is past that deadline today (for counting in SQL, as the portal does)."""
    day = today - (due(today) - today)
    while due(day) >= today:
        day -= timedelta(days=1)
    while due(day) < today:
        day += timedelta(days=1)
    return day


def days_since(day: str, today: date) -> int:
    return (today - date.fromisoformat(day)).days


@dataclass(frozen=True)
class Deadline:
    what: str  # Norwegian, e.g. "bekreftelse"
    due: date
    done: bool
    today: date

    @property
    def days_left(self) -> int:
        return (self.due - self.today).days

    @property
    def overdue(self) -> bool:
        return not self.done and self.days_left < 0

    @property
    def warning(self) -> str | None:
        """One short line when the deadline needs attention, else None."""
        if self.done:
            return None
        if self.overdue:
            return f"{self.what}: {-self.days_left} d over fristen"
        if self.what in ALWAYS_SHOWN or self.days_left <= WARN_BEFORE_DAYS:
            return f"{self.what} innen {self.days_left} d"
        return None


def feedback_given(replies: int) -> bool:
    """The one rule for "feedback given" (see the module docstring)."""
    return replies > 0


def thread_deadlines(
    received_day: str, status: str, replies: int, today: date
) -> list[Deadline]:
    received = date.fromisoformat(received_day)
    return [
        Deadline("bekreftelse", ack_due(received), status in ACKNOWLEDGED, today),
        Deadline("tilbakemelding", feedback_due(received), feedback_given(replies), today),
    ]


def case_deadlines(
    state: str, review_day: str | None, meta: dict[str, Any], today: date
) -> list[Deadline]:
    """The case's own deadlines from its (unwrapped) metadata: the accused's time limit to
    reply (§10.2) and every review date of a suspension or reaction (§13, §14)."""
    found = []
    reply_by = (meta.get("kontradiksjon") or {}).get("reply_by")
    if reply_by:
        found.append(
            Deadline("uttalefrist", date.fromisoformat(reply_by), state in AFTER_REPLY, today)
        )
    reviews = sorted({r["review_day"] for r in meta.get("reactions") or []})
    if not reviews and review_day:
        reviews = [review_day]
    found.extend(
        Deadline("revurdering", date.fromisoformat(d), state == "overlevert", today)
        for d in reviews
    )
    return found
