"""``varsel-inbox install-launcher``: the real program, run as a process with HOME in a
temporary folder, writes a launcher that desktop-file-validate accepts, whose Exec line
names this installation's program and the inbox home, and whose command really runs."""

import configparser
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from inbox.home import Home
from inbox.init import init_home

from .conftest import FAST_KDF, PASSPHRASE

PROGRAM = Path(sys.executable).parent / "varsel-inbox"
FAVICON = Path(__file__).resolve().parents[2] / "inbox" / "desk" / "static" / "favicon.svg"


def _env(user_home: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("XDG_", "VARSEL_INBOX_")) and k != "HOME"
    }
    return {**env, "HOME": str(user_home), **extra}


def _run(user_home: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PROGRAM), *args],
        env=_env(user_home, **extra),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _read_entry(path: Path) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path, encoding="utf-8")
    return dict(parser["Desktop Entry"])


def _exec_argv(value: str) -> list[str]:
    """Read an Exec value the way the specification says: the string escapes first; then
    arguments split on spaces, where a double-quoted one may hold reserved characters and
    a backslash in it takes the next character literally; then %% to %."""
    text = re.sub(
        r"\\(.)", lambda m: {"s": " ", "n": "\n", "t": "\t", "r": "\r"}.get(m[1], m[1]), value
    )
    args: list[str] = []
    current: str | None = None
    i = 0
    while i < len(text):
        char = text[i]
        if char == " ":
            if current is not None:
                args.append(current)
            current = None
        elif char == '"':
            current = current or ""
            i += 1
            while text[i] != '"':
                if text[i] == "\\":
                    i += 1
                current += text[i]
                i += 1
        else:
            current = (current or "") + char
        i += 1
    if current is not None:
        args.append(current)
    return [arg.replace("%%", "%") for arg in args]


def _validate(path: Path) -> None:
    result = subprocess.run(
        ["desktop-file-validate", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


@pytest.fixture
def user_home(tmp_path: Path) -> Path:
    home = tmp_path / "bruker"
    (home / "Skrivebord").mkdir(parents=True)
    (home / ".config").mkdir()
    (home / ".config" / "user-dirs.dirs").write_text('XDG_DESKTOP_DIR="$HOME/Skrivebord"\n')
    return home


def test_launcher_for_a_chosen_home_is_valid_and_runs_the_desk_for_that_home(
    tmp_path: Path, user_home: Path
) -> None:
    inbox = Home(tmp_path / "mappe med mellomrom og $tegn")
    init_home(inbox, PASSPHRASE, **FAST_KDF)

    result = _run(user_home, "--home", str(inbox.path), "install-launcher")
    assert result.returncode == 0, result.stderr
    menu = user_home / ".local" / "share" / "applications" / "varsel-desk.desktop"
    desktop = user_home / "Skrivebord" / "varsel-desk.desktop"
    assert f"Lagt inn: {menu}" in result.stdout
    assert f"Lagt inn: {desktop}" in result.stdout
    assert "Dobbeltklikk på «Varsel – innboks»" in result.stdout
    assert menu.read_bytes() == desktop.read_bytes()
    assert os.access(desktop, os.X_OK)

    for path in (menu, desktop):
        _validate(path)
    entry = _read_entry(menu)
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Varsel – innboks"
    assert entry["Terminal"] == "true"
    assert Path(entry["Icon"]).read_bytes() == FAVICON.read_bytes()

    argv = _exec_argv(entry["Exec"])
    assert argv[:2] == ["/bin/sh", "-c"]
    program = Path(argv[3])
    assert program.is_absolute() and program.samefile(PROGRAM) and os.access(program, os.X_OK)
    assert argv[4:] == ["--home", str(inbox.path), "desk"]

    # What a double click starts, run for real: a wrong passphrase ends the desk with its
    # error, and the window waits for Enter instead of vanishing with the message.
    ran = subprocess.run(
        argv,
        env=_env(user_home, VARSEL_INBOX_PASSPHRASE="feil passordfrase her"),
        input="\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ran.returncode == 2, ran.stdout + ran.stderr
    assert "Feil:" in ran.stderr
    assert "Trykk Enter for å lukke vinduet" in ran.stdout


def test_launcher_for_the_default_home_has_no_home_option_and_is_rewritten(
    user_home: Path,
) -> None:
    init_home(Home(user_home / ".local" / "share" / "varsel-inbox"), PASSPHRASE, **FAST_KDF)
    (user_home / ".config" / "user-dirs.dirs").unlink()  # no desktop folder: menu only

    for _ in range(2):  # running it again replaces the launcher, it does not fail
        result = _run(user_home, "install-launcher")
        assert result.returncode == 0, result.stderr
    menu = user_home / ".local" / "share" / "applications" / "varsel-desk.desktop"
    _validate(menu)
    argv = _exec_argv(_read_entry(menu)["Exec"])
    assert argv[3:] == [str(PROGRAM.absolute()), "desk"]
    assert not (user_home / "Skrivebord" / "varsel-desk.desktop").exists()
    assert sorted(p.name for p in menu.parent.iterdir()) == ["varsel-desk.desktop"]


def test_no_inbox_yet_is_a_clear_error_and_writes_nothing(tmp_path: Path, user_home: Path) -> None:
    result = _run(user_home, "--home", str(tmp_path / "ingen"), "install-launcher")
    assert result.returncode == 1
    assert "Feil: Fant ingen komplett innboks" in result.stderr
    assert not (user_home / ".local" / "share" / "applications").exists()
    assert not any((user_home / "Skrivebord").iterdir())
