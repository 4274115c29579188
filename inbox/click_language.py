"""The language of click's own words in ``varsel-inbox`` (usage, help headings, errors).

The inbox speaks Norwegian; click's strings ("Usage:", "Missing argument", "No such
option") are English unless translated. Click looks them up with ``gettext.gettext`` in
the global ``messages`` domain, so while a command runs the domain is bound to this
package's catalogues (``inbox/translations/<lang>/LC_MESSAGES/messages.mo``, compiled by
``make translations`` and at build time) and ``LANGUAGE`` names the language. Bokmål is
the default; ``VARSEL_LANG=nn`` gives nynorsk and ``VARSEL_LANG=en`` click's English.
Both are put back afterwards, so nothing leaks into a host process (tests, the portal).
"""

import gettext
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LANGUAGE_ENV = "VARSEL_LANG"
LANGUAGES = ("nb", "nn", "en")
DEFAULT = "nb"
DOMAIN = "messages"
CATALOGUES = Path(__file__).resolve().parent / "translations"


def chosen_language(env: dict[str, str] | None = None) -> str:
    value = (os.environ if env is None else env).get(LANGUAGE_ENV, "").strip().lower()
    return value if value in LANGUAGES else DEFAULT


@contextmanager
def click_language() -> Iterator[str]:
    """Bind click's gettext lookups to the chosen language for the duration."""
    lang = chosen_language()
    previous_dir = gettext.bindtextdomain(DOMAIN)
    previous_language = os.environ.get("LANGUAGE")
    if lang != "en":
        gettext.bindtextdomain(DOMAIN, str(CATALOGUES))
        os.environ["LANGUAGE"] = lang
    try:
        yield lang
    finally:
        gettext.bindtextdomain(DOMAIN, previous_dir)
        if previous_language is None:
            os.environ.pop("LANGUAGE", None)
        else:
            os.environ["LANGUAGE"] = previous_language


def usage_word(english: str) -> str:
    """``[OPTIONS]`` and ``COMMAND [ARGS]...`` in the usage line (click does not translate
    them; this package's catalogue does)."""
    return gettext.gettext(english)
