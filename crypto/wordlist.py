"""Word list for Varsel receipt passphrases: 2048 Norwegian bokmål words.

The list is data, not code: ``crypto/wordlist.txt`` (UTF-8, one word per line, each line
ending in LF, in the order that defines word indices), written by scripts/make_wordlist.py.
The browser reads the same file; docs/PROTOCOL.md ("Receipt") gives its SHA-256.

Each word carries 11 bits; a receipt of 8 words carries 88 bits. Words are lowercase ASCII
a-z, 3-8 letters, sorted. See docs/WORDLIST.md.

Sources and licences: word frequencies from wordfreq by Robyn Speer
(https://github.com/rspeer/wordfreq), data licensed CC BY-SA 4.0; words were filtered
against the Norwegian bokmål word list of the Debian package wnorwegian (spell-norwegian
project), licensed GNU GPL v2 or later. This list is distributed under CC BY-SA 4.0.
"""

import hashlib
import re
from importlib.resources import files

FILE_NAME = "wordlist.txt"
LIST_SIZE = 2048
_WORD = re.compile(r"[a-z]{3,8}")


def wordlist_bytes() -> bytes:
    """The word list file exactly as shipped (what the portal serves to browsers)."""
    return files(__package__ or "crypto").joinpath(FILE_NAME).read_bytes()


def wordlist_sha256() -> str:
    return hashlib.sha256(wordlist_bytes()).hexdigest()


def _load() -> tuple[str, ...]:
    lines = wordlist_bytes().decode("utf-8").split("\n")
    if lines[-1] != "":
        raise RuntimeError(f"{FILE_NAME} must end with a line feed")
    words = tuple(lines[:-1])
    if (
        len(words) != LIST_SIZE
        or len(set(words)) != LIST_SIZE
        or not all(_WORD.fullmatch(w) for w in words)
    ):
        raise RuntimeError(f"{FILE_NAME} must hold {LIST_SIZE} distinct words of a-z")
    return words


WORDS: tuple[str, ...] = _load()
