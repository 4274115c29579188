"""``varsel-inbox install-launcher``: «Varsel – innboks» in the menu and on the desktop.

Writes a freedesktop launcher (a ``.desktop`` file, Desktop Entry Specification 1.4, the
newest that Debian 12's desktop-file-validate knows) to
``$XDG_DATA_HOME/applications`` (normally ``~/.local/share/applications``) and, when the
user has a desktop folder (``xdg-user-dir DESKTOP``), a copy there. A double click then
starts ``varsel-inbox desk`` for this inbox home, with this installation's own program
(the ``varsel-inbox`` next to the Python it runs under), so nobody has to open a terminal
and type a command.

Why a separate command and not part of ``init``: ``init`` makes the office's key once and
never overwrites anything, while the launcher is plain configuration that must be written
again whenever the installation moves (a new Python environment, a restored backup in
another folder) and is also wanted for homes made before the launcher existed. So the
launcher is rewritten every time, and ``init`` points to it.

Why ``Terminal=true``: ``varsel-inbox desk`` asks for the passphrase on a terminal (or reads
it from the environment, which a launcher must never hold). The launcher therefore opens a
small terminal window that asks for the passphrase and nothing else; the browser then
opens on its own. Asking in the browser instead would be kinder to a non-terminal user,
but it would mean serving an unlock page with the store still locked — a new page, with
its own one-time secret, CSRF and care that the passphrase is never logged — and that is
a change to the desk's own security design (docs/THREAT-MODEL.md), not to its start.
The terminal is the honest choice until that is done.

The window closes by itself when the desk is locked. If the desk ends with an error (a
wrong passphrase, a missing inbox), a tiny ``/bin/sh`` wrapper keeps the window open with
the error on screen until Enter is pressed, and passes the exit code on.
"""

import os
import shutil
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

from .errors import InboxError
from .home import Home, default_home

FILE_NAME = "varsel-desk.desktop"
NAME = "Varsel – innboks"
COMMENT = "Åpne innboksen for varsler i nettleseren på denne PC-en"
PROGRAM = "varsel-inbox"

# Runs the desk; on failure, keeps the terminal window open so the error can be read.
WAIT_ON_FAILURE = (
    '"$0" "$@" || { status=$?; echo; '
    'echo "Trykk Enter for å lukke vinduet, og start «Varsel – innboks» på nytt."; '
    'read -r _; exit "$status"; }'
)

# Characters that force an Exec argument into double quotes (the specification's
# "reserved characters"), and those that must be escaped inside the quotes.
_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")
_ESCAPED_IN_QUOTES = set('"`$\\')


class LauncherError(InboxError):
    pass


def this_program() -> Path:
    """The ``varsel-inbox`` of this installation: the console script installed next to the
    Python interpreter that runs it (not the first one on PATH, which may be another)."""
    program = Path(sys.executable).parent / PROGRAM
    if not (program.is_file() and os.access(program, os.X_OK)):
        raise LauncherError(
            f"Fant ikke programmet {PROGRAM} ved siden av {sys.executable}. Installer Varsel "
            "i dette Python-miljøet først (se driftsveiledningen)."
        )
    return program.absolute()


def icon() -> Path:
    """The desk's own icon, shipped inside the package."""
    path = Path(str(files("inbox.desk").joinpath("static", "favicon.svg")))
    if not path.is_file():
        raise LauncherError(f"Fant ikke ikonet {path}. Installasjonen er ufullstendig.")
    return path


def exec_argument(arg: str) -> str:
    """One Exec argument, quoted as the specification asks (before the string escapes)."""
    arg = arg.replace("%", "%%")
    if not any(ch in _RESERVED for ch in arg):
        return arg
    inner = "".join(f"\\{ch}" if ch in _ESCAPED_IN_QUOTES else ch for ch in arg)
    return f'"{inner}"'


def string_value(value: str) -> str:
    """A value of type string: backslash, newline, tab and carriage return escaped."""
    return (
        value.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    )


def command(home: Home, program: Path) -> list[str]:
    """The command the launcher runs: ``--home`` only when the home is not the default one,
    so a launcher for the usual home keeps working if the default is used as always."""
    home_path = home.path.expanduser().absolute()
    args = [str(program)]
    if home_path != default_home().expanduser().absolute():
        args += ["--home", str(home_path)]
    return [*args, "desk"]


def entry(home: Home, program: Path, icon_path: Path) -> str:
    argv = ["/bin/sh", "-c", WAIT_ON_FAILURE, *command(home, program)]
    exec_line = string_value(" ".join(exec_argument(a) for a in argv))
    lines = [
        "[Desktop Entry]",
        "Type=Application",
        "Version=1.4",
        f"Name={NAME}",
        f"Comment={COMMENT}",
        f"Exec={exec_line}",
        f"Icon={string_value(str(icon_path))}",
        "Terminal=true",
        "Categories=Office;",
        "StartupNotify=false",
    ]
    return "\n".join(lines) + "\n"


def applications_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "applications"


def desktop_dir() -> Path | None:
    """The user's desktop folder, if there is one (``xdg-user-dir`` answers the home
    folder itself when no desktop is configured; that is not a desktop)."""
    tool = shutil.which("xdg-user-dir")
    if tool is None:
        return None
    result = subprocess.run(  # a fixed program and argument, no shell
        [tool, "DESKTOP"], capture_output=True, text=True, check=False, timeout=10
    )
    answer = result.stdout.strip()
    if result.returncode != 0 or not answer:
        return None
    path = Path(answer)
    if not path.is_dir() or path.resolve() == Path.home().resolve():
        return None
    return path


def _write(path: Path, text: str, mode: int) -> None:
    """Replace ``path`` whole (a reader sees the old launcher or the new one, never half)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.chmod(mode)
    os.replace(tmp, path)


def _trust(path: Path) -> None:
    """GNOME's desktop icons start a launcher on the desktop only once it is marked as
    trusted; best effort (other desktops ignore it, and it may not be available)."""
    gio = shutil.which("gio")
    if gio is not None:
        subprocess.run(  # a fixed program, our own file, no shell
            [gio, "set", str(path), "metadata::trusted", "true"],
            capture_output=True,
            check=False,
            timeout=10,
        )


def install(home: Home) -> list[Path]:
    """Write the launcher to the menu and, if there is one, the desktop. Returns the paths."""
    home.require()
    text = entry(home, this_program(), icon())
    menu = applications_dir() / FILE_NAME
    _write(menu, text, 0o644)
    written = [menu]
    desktop = desktop_dir()
    if desktop is not None:
        copy = desktop / FILE_NAME
        _write(copy, text, 0o755)  # desktops start only launchers marked executable
        _trust(copy)
        written.append(copy)
    return written
