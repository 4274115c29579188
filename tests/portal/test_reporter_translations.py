"""The catalogues: bokmål and nynorsk complete, placeholders intact, the guidelines' words."""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

CATALOGUES = Path(__file__).resolve().parents[2] / "portal" / "translations"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


@pytest.mark.parametrize("lang", ["nb", "nn"])
def test_catalogue_is_complete_and_consistent(lang: str) -> None:
    with (CATALOGUES / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f)
    assert len(catalog) > 100
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for string in strings:
            assert string, f"{lang}: untranslated {ids[0]!r}"
            assert set(PLACEHOLDER.findall(string)) == set(PLACEHOLDER.findall(ids[0])), ids[0]
            assert "fløyteblåser" not in string.lower()


def test_english_catalogue_exists() -> None:
    assert (CATALOGUES / "en" / "LC_MESSAGES" / "messages.po").is_file()
