"""Writing longer text (replies, minutes) in the office's editor without leaving it behind.

The temporary file lives in the inbox home (not /tmp), is created 0600, and is
overwritten with zeros and removed afterwards. Editors may keep their own swap or backup
files; docs/OFFICE-GUIDE.md says which editor settings avoid that.
"""

import os
import secrets
import shlex
import subprocess
from pathlib import Path

from .errors import InboxError
from .files import new_file, shred

HEADER = "# Linjer som begynner med # tas ikke med.\n"


def edit_text(home: Path, hint: str) -> str:
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "nano"
    path = home / f".utkast-{secrets.token_hex(8)}.txt"
    try:
        with new_file(path) as f:
            f.write((HEADER + "".join(f"# {line}\n" for line in hint.splitlines())).encode())
        try:
            result = subprocess.run([*shlex.split(editor), str(path)], check=False)
        except OSError as exc:
            raise InboxError(f"Kunne ikke starte redigeringsprogrammet «{editor}».") from exc
        if result.returncode != 0:
            raise InboxError("Redigeringsprogrammet avsluttet med feil; ingenting er lagret.")
        text = path.read_text("utf-8")
    finally:
        shred(path)
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    return "\n".join(lines).strip()
