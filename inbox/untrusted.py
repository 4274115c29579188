"""Text from the other side, made safe to show or to use as a file name.

Report content comes from anonymous senders, and the portal that carries it is untrusted
too (docs/THREAT-MODEL.md). Before any of it reaches a terminal, a JSON document, a PDF or
a file name, :func:`clean` removes what could drive a terminal (C0 and C1 control
characters), make text read differently from what it is (bidirectional overrides and
other format characters), or not be text at all (lone surrogates, private use).
:func:`file_name` also bounds a name in bytes, where it becomes a file on disk.
"""

import unicodedata
from typing import Any

_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F)}
_REMOVED_CATEGORIES = ("Cc", "Cf", "Cs", "Co")


def clean(text: str) -> str:
    """Untrusted text made safe to show: no control characters except newline and tab."""
    out = []
    for ch in text.replace("\r\n", "\n"):
        if ch in "\n\t":
            out.append(ch)
        elif ch in _BIDI or unicodedata.category(ch) in _REMOVED_CATEGORIES:
            continue
        else:
            out.append(ch)
    return "".join(out)


def clean_json(value: Any) -> Any:
    """:func:`clean` applied to every string (keys too) in a JSON-like value."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {clean(str(k)): clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_json(v) for v in value]
    return value


def cut_utf8(text: str, limit: int) -> str:
    """The longest prefix of ``text`` whose UTF-8 takes at most ``limit`` bytes (never half
    a character)."""
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")
