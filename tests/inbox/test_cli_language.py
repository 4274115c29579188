"""``varsel-inbox`` speaks Norwegian throughout, click's own words included (issue 9,
item 9): usage, help headings and errors in bokmål by default, nynorsk with VARSEL_LANG=nn,
click's English only when the user chooses English — whatever LANG says. Through the real
entry point."""

import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def _inbox(*args: str, lang: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VARSEL_")}
    env["LANG"] = "en_US.UTF-8"  # a machine set up in English must not matter
    if lang is not None:
        env["VARSEL_LANG"] = lang
    return subprocess.run(
        [str(BIN / "varsel-inbox"), *args], env=env, capture_output=True, text=True,
        timeout=60, check=False,
    )


def test_usage_and_errors_are_in_bokmal_by_default() -> None:
    missing = _inbox("import")
    assert missing.returncode == 2
    assert "Bruk: varsel-inbox import [VALG] FIL" in missing.stderr
    assert "Feil: Mangler argument 'FIL'." in missing.stderr
    assert "Prøv «varsel-inbox import --help» for hjelp." in missing.stderr
    typo = _inbox("impor")
    assert "Ukjent kommando 'impor'" in typo.stderr and "Mente du 'import'?" in typo.stderr
    helped = _inbox("--help")
    assert helped.returncode == 0
    assert "Valg:" in helped.stdout and "Kommandoer:" in helped.stdout
    assert "Vis denne hjelpen og avslutt." in helped.stdout
    for english in ("Usage", "Options", "Commands", "Show this message", "Error", "Missing"):
        assert english not in missing.stderr + typo.stderr + helped.stdout, english


def test_nynorsk_and_english_when_chosen() -> None:
    nn = _inbox("import", lang="nn")
    assert "Feil: Manglar argument 'FIL'." in nn.stderr and "[VAL]" in nn.stderr
    en = _inbox("import", lang="en")
    assert "Error: Missing argument 'FIL'." in en.stderr and "Usage:" in en.stderr
