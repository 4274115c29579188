"""Build steps pyproject.toml cannot say: the portal's web assets and compiled catalogues.

In the source tree ``templates/`` and ``static/`` sit at the top level, beside ``portal/``.
A wheel carries them inside the package (``portal/templates``, ``portal/static``), and
the catalogues are compiled at build time (``portal/translations``, Flask-Babel's, and
``inbox/translations``, click's words in the inbox, and ``inbox/desk/translations``, the
desk's), so
a plain ``pip install`` serves pages in bokmål with their CSS. An editable install
(``pip install -e .``) compiles the catalogues in place and reads the assets from the
source tree. portal/config.py looks in the package first, then beside it.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
ASSET_DIRS = ("templates", "static")  # whole directories, whatever they come to hold
CATALOGUES = ("portal/translations", "inbox/translations", "inbox/desk/translations")


def compile_catalogues(source: Path, target: Path) -> None:
    """Write ``messages.mo`` for every ``<lang>/LC_MESSAGES/messages.po`` under source."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po_path in sorted(source.glob("*/LC_MESSAGES/*.po")):
        mo_path = target / po_path.relative_to(source).with_suffix(".mo")
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parts[-3])
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog)


class BuildPyWithAssets(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            for name in CATALOGUES:
                compile_catalogues(ROOT / name, ROOT / name)
            return
        package = Path(self.build_lib) / "portal"
        for name in ASSET_DIRS:
            target = package / name
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(
                ROOT / name, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        for name in CATALOGUES:
            compile_catalogues(ROOT / name, Path(self.build_lib) / name)


setup(cmdclass={"build_py": BuildPyWithAssets})
