"""The statuses a reporter sees, in words: one table for the portal and the inbox.

The wire values are ``crypto.payload.THREAD_STATUSES``; the office sets them (``varsel-inbox
status``, or with a case state, inbox.case), the portal shows them to the reporter. Both
sides take the words from here, in bokmål, nynorsk and English, so the office reads exactly
what the reporter reads.
"""

WORDS: dict[str, dict[str, str]] = {
    "received": {"nb": "Mottatt", "nn": "Motteke", "en": "Received"},
    "acknowledged": {
        "nb": "Bekreftet mottatt",
        "nn": "Stadfesta motteke",
        "en": "Receipt confirmed",
    },
    "in_progress": {"nb": "Under behandling", "nn": "Under behandling", "en": "Being handled"},
    "closed": {"nb": "Avsluttet", "nn": "Avslutta", "en": "Closed"},
}


def status_label(status: str, lang: str = "nb") -> str:
    """The status in words in ``lang`` (bokmål for an unknown language); an unknown status
    is shown as it came."""
    words = WORDS.get(status)
    if words is None:
        return status
    return words.get(lang, words["nb"])
