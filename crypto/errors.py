"""Exceptions raised by the crypto package.

Every parser refuses bad input with one of these; callers show ``str(error)`` to a person,
so messages are plain English sentences without secrets in them.
"""


class CryptoError(ValueError):
    """Base class: the input was refused and nothing derived from it may be used."""


class MalformedError(CryptoError):
    """The bytes do not have the shape of the format (magic, lengths, fields)."""


class TamperedError(CryptoError):
    """Authentication failed: the data was changed, truncated or encrypted under another key."""


class NotARecipientError(CryptoError):
    """None of the envelope's recipient stanzas opens with this key."""


class SignatureError(CryptoError):
    """A signature does not verify under the expected (pinned) key."""


class TruncatedError(CryptoError):
    """A stream ended before its final chunk."""


class WrongPassphraseError(CryptoError):
    """The passphrase does not unlock the secret key file."""


class ReceiptFormatError(CryptoError):
    """What was typed is not a receipt: wrong number of words or a word not on the list."""


class TooLargeError(CryptoError):
    """The input is larger than the format allows."""
