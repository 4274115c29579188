"""Errors that ``varsel-inbox`` shows to a person as one line (Norwegian bokmål).

The CLI turns each into a non-zero exit; ``exit_code`` tells which. Nothing here carries
report content.
"""


class InboxError(Exception):
    """An expected failure; ``str(error)`` is the one line shown to the office."""

    exit_code = 1


class HomeError(InboxError):
    """The home directory is missing, incomplete or already set up."""


class WrongPassphrase(InboxError):
    exit_code = 2


class BundleRefused(InboxError):
    """An inbound bundle was refused whole; nothing of it was stored."""

    exit_code = 3


class PortalKeyChanged(BundleRefused):
    """The bundle is signed by another key than the pinned portal key."""

    def __init__(self, pinned: str, found: str) -> None:
        super().__init__(
            "Pakken er signert med en ANNEN portalnøkkel enn den som er festet. "
            f"Festet: {pinned}. I pakken: {found}. Ingenting er importert."
        )
        self.pinned = pinned
        self.found = found


class UnknownThread(InboxError):
    pass


class AmbiguousThread(InboxError):
    pass


class ClosedOut(InboxError):
    """The thread was closed out and its content deleted (§6b)."""


class CaseError(InboxError):
    """A case operation the guidelines do not allow (e.g. a forbidden transition)."""
