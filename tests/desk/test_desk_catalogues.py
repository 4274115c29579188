"""The desk speaks bokmål, nynorsk and English completely (issue 13): every message of its
templates and views is translated in all three, every bokmål label of the inbox it shows
has a nynorsk and an English translation, and the template catalogue is up to date."""

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from inbox.desk.i18n import TRANSLATIONS, label_sources

ROOT = Path(__file__).resolve().parent.parent.parent


def _catalog(path: Path, lang: str | None = None):  # type: ignore[no-untyped-def]
    with path.open("rb") as f:
        return read_po(f, locale=lang)


def _ids(catalog) -> set[str]:  # type: ignore[no-untyped-def]
    return {m.id[0] if isinstance(m.id, tuple) else m.id for m in catalog if m.id}


def test_the_message_catalogue_is_extracted_from_the_current_sources(tmp_path: Path) -> None:
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [str(Path(sys.executable).parent / "pybabel"), "extract", "-F",
         "inbox/desk/babel.cfg", "-k", "_l", "--no-location", "-o", str(fresh), "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    assert _ids(_catalog(fresh)) == _ids(_catalog(Path(TRANSLATIONS) / "messages.pot"))


@pytest.mark.parametrize("lang", ["nb", "nn", "en"])
def test_every_message_is_translated(lang: str) -> None:
    template = _ids(_catalog(Path(TRANSLATIONS) / "messages.pot"))
    catalog = _catalog(Path(TRANSLATIONS) / lang / "LC_MESSAGES" / "messages.po", lang)
    assert _ids(catalog) == template
    for message in catalog:
        if message.id:
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            assert all(strings), f"{lang}: {message.id!r} has no translation"
            assert "fuzzy" not in message.flags, f"{lang}: {message.id!r} is fuzzy"


@pytest.mark.parametrize("lang", ["nn", "en"])
def test_every_inbox_label_the_desk_shows_is_translated(lang: str) -> None:
    catalog = _catalog(Path(TRANSLATIONS) / lang / "LC_MESSAGES" / "labels.po", lang)
    translated = {m.id: m.string for m in catalog if m.id and m.string}
    missing = [text for text in label_sources() if text not in translated]
    # A new label in the inbox: run scripts/desk-labels.py, then pybabel update (the
    # script says how) and translate it in nn and en.
    assert missing == [], missing
