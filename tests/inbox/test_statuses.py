"""One table of status words (inbox/statuses.py) for every status, in every language."""

from crypto.payload import THREAD_STATUSES
from inbox.statuses import WORDS, status_label


def test_every_status_has_words_in_bokmal_nynorsk_and_english() -> None:
    assert tuple(WORDS) == THREAD_STATUSES
    for words in WORDS.values():
        assert sorted(words) == ["en", "nb", "nn"] and all(words.values())


def test_the_office_reads_the_words_the_reporter_reads() -> None:
    assert status_label("acknowledged") == "Bekreftet mottatt"
    assert status_label("closed", "nn") == "Avslutta"
    assert status_label("in_progress", "en") == "Being handled"
    assert status_label("received", "xx") == "Mottatt"  # an unknown language: bokmål
    assert status_label("paused") == "paused"  # not a status: shown as it is
