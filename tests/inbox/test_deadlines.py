"""The deadline rules the inbox and the portal's office dashboard share (inbox.deadlines)."""

from datetime import date, timedelta

from inbox.deadlines import ack_due, feedback_due, late_if_received_before, thread_deadlines

DAY = timedelta(days=1)


def test_the_deadlines_are_seven_days_and_three_months_to_the_day_or_the_months_end() -> None:
    assert ack_due(date(2025, 1, 28)) == date(2025, 2, 4)
    assert feedback_due(date(2025, 1, 15)) == date(2025, 4, 15)
    assert feedback_due(date(2024, 11, 30)) == date(2025, 2, 28)
    assert feedback_due(date(2023, 11, 30)) == date(2024, 2, 29)
    assert feedback_due(date(2025, 10, 31)) == date(2026, 1, 31)


def test_the_cutoff_splits_received_days_exactly_as_their_deadlines_do() -> None:
    """What the dashboard counts in SQL (received before the cutoff) is what the inbox
    calls overdue (deadline before today), every day of two years, month ends included."""
    today = date(2024, 1, 1)
    while today < date(2026, 1, 1):
        for due in (ack_due, feedback_due):
            cutoff = late_if_received_before(due, today)
            for offset in range(-6, 6):
                received = cutoff + offset * DAY
                assert (received < cutoff) == (due(received) < today), (due, today, received)
        today += DAY


def test_a_report_received_at_a_months_end_is_late_when_the_inbox_says_so() -> None:
    """Received 28 February, due 28 May: overdue on 29 May on the dashboard as in the inbox
    (the dashboard once counted back from today and called it late only on 1 June)."""
    today = date(2025, 5, 29)
    feedback = thread_deadlines("2025-02-28", "acknowledged", 0, today)[1]
    assert feedback.overdue
    assert date(2025, 2, 28) < late_if_received_before(feedback_due, today)
