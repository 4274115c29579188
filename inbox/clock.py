"""The inbox's one clock: the laptop's calendar day.

Only the command line's entry (``cli_base.Ctx``) and the desk's request
(``desk.context.today``) read it; every other function takes ``today: date`` as a
parameter, so a day is the same throughout one command and tests pass the day they mean.
"""

from datetime import date


def today() -> date:
    """Today's date on the office laptop's calendar."""
    return date.today()
