"""Deadlines the office keeps: acknowledge within 7 days, feedback within 3 months.

EU directive 2019/1937 (art. 9) as best practice; Norwegian law asks for "reasonable time"
and the guidelines for "uten unødig opphold" (§7.2, §9.1, §9.2), which is shown as the
number of days elapsed since the report was received.

"Feedback given" has one rule, the same as on the portal's office dashboard
(portal/office.py, ``feedback_overdue_threads``): the office has sent the reporter at least
one reply. A status alone tells the reporter nothing about what is being done.
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

ACK_DAYS = 7
FEEDBACK_MONTHS = 3
WARN_BEFORE_DAYS = 14
ACKNOWLEDGED = frozenset({"acknowledged", "in_progress", "closed"})


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def days_since(day: str, today: date | None = None) -> int:
    return ((today or date.today()) - date.fromisoformat(day)).days


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
        if self.what == "bekreftelse" or self.days_left <= WARN_BEFORE_DAYS:
            return f"{self.what} innen {self.days_left} d"
        return None


def feedback_given(replies: int) -> bool:
    """The one rule for "feedback given" (see the module docstring)."""
    return replies > 0


def thread_deadlines(
    received_day: str, status: str, replies: int, today: date | None = None
) -> list[Deadline]:
    today = today or date.today()
    received = date.fromisoformat(received_day)
    return [
        Deadline("bekreftelse", received + timedelta(days=ACK_DAYS), status in ACKNOWLEDGED, today),
        Deadline(
            "tilbakemelding",
            add_months(received, FEEDBACK_MONTHS),
            feedback_given(replies),
            today,
        ),
    ]
