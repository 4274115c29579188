"""The portal's one clock: UTC, naive (as the DateTime columns store it), days in UTC.

Everything a reporter does is kept to the day (docs/THREAT-MODEL.md, requirement 2); using UTC for
every day keeps reporters' submissions, office replies and deadlines on one calendar.
"""

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    """Naive UTC now."""
    return datetime.now(UTC).replace(tzinfo=None)


def today() -> date:
    """Today's date in UTC."""
    return datetime.now(UTC).date()
