#!/usr/bin/env python3
"""Write inbox/desk/translations/labels.pot: the inbox's bokmål labels the desk shows
(inbox.desk.i18n.label_sources), as msgids. Then, for nynorsk and English:

    .venv/bin/pybabel update -D labels -i inbox/desk/translations/labels.pot \\
        -d inbox/desk/translations --no-fuzzy-matching --ignore-obsolete

and translate what is new. Bokmål needs no catalogue: the msgid is the bokmål text.
"""

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from inbox.desk.i18n import TRANSLATIONS, label_sources


def main() -> None:
    catalog = Catalog(project="varsel desk labels", charset="utf-8")
    for text in label_sources():
        catalog.add(text)
    path = Path(TRANSLATIONS) / "labels.pot"
    with path.open("wb") as f:
        write_po(f, catalog, omit_header=False, sort_output=True, width=100)
    print(f"{len(catalog)} labels written to {path}")


if __name__ == "__main__":
    main()
