"""The report's questions, as data: one entry per question (docs/PROTOCOL.md, "Report answers").

The entries are in ``report_form/questions.toml``; this module reads that file once, at
import, checks it strictly (:func:`load`) and gives the project immutable objects:
:data:`GROUPS` and :data:`QUESTIONS`. Each :class:`Question` says everything the project
needs to know about it: its key in a ``report`` payload's answers, its kind (a line or a
longer free text, one choice or several), its choices, its bounds (the form's longest
answer; a message when it is required), the paragraph of the guidelines it serves, and
its words in bokmål, nynorsk and English -- for the reporter (label, help text, choice
labels) and for the office (the inbox's shorter labels, which cite the guidelines).

It drives, with nothing else to edit when a question is added:

- the form (``portal.forms``: the fields; ``templates/reporter/report.html`` loops over
  :data:`GROUPS` and :data:`QUESTIONS`),
- the validation of a ``report`` payload (``crypto.payload.check_answers``, the one
  validator the portal and the inbox share),
- the reporter's own copy (:func:`summary`),
- the inbox's display, terminal, desk and PDF (``inbox.render.answer_rows``).

The words are literal in the data file, in each language, rather than msgids in the
Flask-Babel catalogues: the inbox has no gettext at all (it runs offline, in bokmål, with
nynorsk and English in the desk), and a label in a ``.po`` file is a second place to
edit. One entry holds the question whole, so a reviewer reads its three wordings side by
side. The page around the questions still speaks through Flask-Babel (portal/translations).

The data file is TOML because the standard library reads it (``tomllib``), it takes
comments, and a question's keys and wordings stand one to a line. A mistake in it is a
:class:`CatalogueError` that names the question, when the package is imported: the
portal and the inbox do not start with a catalogue they would read differently.

Readers look the catalogue up when they run (``catalogue.QUESTIONS``), never copy it at
import, so a test may give the whole project an extended catalogue by replacing this
one constant (with what :func:`load` makes of the data file and an added entry). This
package imports only the standard library: ``crypto`` may use it.
"""

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

LANGUAGES = ("nb", "nn", "en")
DEFAULT_LANGUAGE = "nb"


@dataclass(frozen=True)
class Text:
    """One wording in bokmål, nynorsk and English."""

    nb: str
    nn: str
    en: str

    def of(self, lang: str) -> str:
        """The wording in ``lang``; bokmål for a language the project does not speak."""
        return {"nb": self.nb, "nn": self.nn, "en": self.en}.get(lang, self.nb)


class Kind(StrEnum):
    LINE = "line"  # free text on one line (an <input>)
    TEXT = "text"  # free text, several lines (a <textarea>)
    ONE = "one"  # one of the choices (radio buttons; a string in the payload)
    SEVERAL = "several"  # any of the choices, each once (check boxes; a list)


LINE, TEXT, ONE, SEVERAL = Kind.LINE, Kind.TEXT, Kind.ONE, Kind.SEVERAL
FREE_TEXT = frozenset({LINE, TEXT})


@dataclass(frozen=True)
class Choice:
    """One answer a ``one`` or ``several`` question offers, with its words."""

    value: str  # the wire value in the payload
    label: Text  # what the reporter reads on the form and in the own copy
    office: Text  # what the office reads in the inbox and the PDF


@dataclass(frozen=True)
class Group:
    """A fieldset of the form, with its legend."""

    key: str
    legend: Text


@dataclass(frozen=True)
class Question:
    """One question of the report: a ``[[question]]`` entry of ``questions.toml``."""

    key: str
    kind: Kind
    group: str  # a Group's key
    serves: str  # the paragraph of the guidelines it serves (as in docs/PROTOCOL.md)
    label: Text  # the question on the form and in the own copy
    office: Text  # the inbox's label for the answer
    hint: Text | None = None  # help text under the question on the form
    choices: tuple[Choice, ...] = ()
    required: Text | None = None  # the form's message when it is left empty; None: optional
    # The form's bound for free text; None: only the payload's (100 000 code points). The
    # payload accepts any free text up to its own bound, so a writer is never refused for
    # a long line the form would have cut.
    max_length: int | None = None
    rows: int = 4  # a TEXT field's height on the form

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(c.value for c in self.choices)

    def choice(self, value: str) -> Choice | None:
        return next((c for c in self.choices if c.value == value), None)


DATA_FILE = "questions.toml"  # in this package
_KEY = re.compile(r"[a-z][a-z0-9_]*")  # keys and choice values: plain in HTML, JSON, CSV
# A question's keys in the data file: (required, optional).
_QUESTION_KEYS = (
    ("key", "kind", "group", "serves", "label", "office"),
    ("hint", "required", "max_length", "rows", "choice"),
)


class CatalogueError(ValueError):
    """The data file is not a catalogue this module reads; the message says where."""


def _table(value: object, where: str, required: tuple[str, ...],
           optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """``value`` as a TOML table with all of ``required``, and nothing but those and
    ``optional``."""
    if not isinstance(value, dict):
        raise CatalogueError(f"{where}: expected a table, found {type(value).__name__}")
    unknown = sorted(set(value) - set(required) - set(optional))
    if unknown:
        known = ", ".join(required + optional)
        raise CatalogueError(f"{where}: unknown key {unknown[0]!r} (known: {known})")
    missing = [k for k in required if k not in value]
    if missing:
        raise CatalogueError(f"{where}: {missing[0]!r} is missing")
    return value


def _string(value: object, where: str, pattern: re.Pattern[str] | None = None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CatalogueError(f"{where}: expected a non-empty string")
    if pattern is not None and not pattern.fullmatch(value):
        raise CatalogueError(f"{where}: {value!r} is not a-z, 0-9 and _ (a-z first)")
    return value


def _text(value: object, where: str) -> Text:
    """A wording, in every language the project speaks."""
    table = _table(value, where, LANGUAGES)
    return Text(**{lang: _string(table[lang], f"{where}.{lang}") for lang in LANGUAGES})


def _count(value: object, where: str) -> int:
    if type(value) is not int or value < 1:
        raise CatalogueError(f"{where}: expected a whole number of at least 1")
    return value


def _entries(value: object, header: str, where: str, name: str) -> list[tuple[str, object]]:
    """An array of tables (``[[header]]``), each with its place for errors: ``where`` and
    its ``name`` key where it has one, else its number. A ``name`` given twice is an
    error."""
    if not isinstance(value, list):
        raise CatalogueError(f"{where}: expected [[{header}]] entries")
    places, seen = [], set()
    for number, entry in enumerate(value, 1):
        given = entry.get(name) if isinstance(entry, dict) else None
        if isinstance(given, str) and given in seen:
            raise CatalogueError(f"{where} {given!r}: given twice")
        seen.add(given)
        places.append((f"{where} {given!r}" if isinstance(given, str) else f"{where} {number}",
                       entry))
    return places


def _choice(value: object, where: str, shared: Mapping[str, Choice]) -> Choice:
    """A choice; one whose value names a shared choice takes the words it lacks from it."""
    own = _table(value, where, ("value",), ("label", "office"))
    name = _string(own["value"], f"{where}, value", _KEY)
    words = {f: _text(own[f], f"{where}, {f}") for f in ("label", "office") if f in own}
    base = shared.get(name)
    if base is not None:
        words = {"label": base.label, "office": base.office, **words}
    for field in ("label", "office"):
        if field not in words:
            raise CatalogueError(f"{where}: {field!r} is missing (no shared_choice {name!r})")
    return Choice(name, words["label"], office=words["office"])


def _question(value: object, where: str, groups: Mapping[str, Group],
              shared: Mapping[str, Choice]) -> Question:
    q = _table(value, where, *_QUESTION_KEYS)
    try:
        kind = Kind(q["kind"])
    except ValueError:
        kinds = ", ".join(k.value for k in Kind)
        raise CatalogueError(f"{where}: kind {q['kind']!r} is none of {kinds}") from None
    if q["group"] not in groups:
        raise CatalogueError(f"{where}: group {q['group']!r} is no [[group]]'s key")
    choices = tuple(
        _choice(c, at, shared)
        for at, c in _entries(q.get("choice", []), "question.choice", f"{where}, choice",
                              "value")
    )
    # What a kind takes: free text no choices, a choice question at least one; the
    # form's bounds and its required message only where the form applies them.
    free = kind in FREE_TEXT
    if free == bool(choices):
        takes = "no choices" if free else "at least one [[question.choice]]"
        raise CatalogueError(f"{where}: a {kind.value!r} question takes {takes}")
    for name, applies in (("required", free), ("max_length", free), ("rows", kind is TEXT)):
        if name in q and not applies:
            raise CatalogueError(f"{where}: {name!r} is not for a {kind.value!r} question")
    return Question(
        key=_string(q["key"], f"{where}, key", _KEY),
        kind=kind,
        group=q["group"],
        serves=_string(q["serves"], f"{where}, serves"),
        label=_text(q["label"], f"{where}, label"),
        office=_text(q["office"], f"{where}, office"),
        hint=_text(q["hint"], f"{where}, hint") if "hint" in q else None,
        choices=choices,
        required=_text(q["required"], f"{where}, required") if "required" in q else None,
        max_length=_count(q["max_length"], f"{where}, max_length") if "max_length" in q else None,
        rows=_count(q["rows"], f"{where}, rows") if "rows" in q else 4,
    )


def load(source: str, name: str = DATA_FILE) -> tuple[tuple[Group, ...], tuple[Question, ...]]:
    """The groups and the questions of a catalogue's TOML text; ``name`` says where it
    came from. CatalogueError, naming the place, for anything the comment at the top of
    ``questions.toml`` does not describe: an unknown or missing key, a wording without
    one of the languages, a kind without choices, a key or a choice given twice."""
    try:
        data = _table(tomllib.loads(source), "the file", ("group", "question"),
                      ("shared_choice",))
        shared_words = data.get("shared_choice", {})
        if not isinstance(shared_words, dict):
            raise CatalogueError("shared_choice: expected [shared_choice.<value>] tables")
        shared = {}
        for value, words in shared_words.items():
            at = f"shared_choice {value!r}"
            shared[value] = _choice({"value": value, **_table(words, at, ("label", "office"))},
                                    at, {})
        groups = {}
        for at, entry in _entries(data["group"], "group", "group", "key"):
            group = _table(entry, at, ("key", "legend"))
            key = _string(group["key"], f"{at}, key", _KEY)
            groups[key] = Group(key, _text(group["legend"], f"{at}, legend"))
        questions = tuple(_question(q, at, groups, shared)
                          for at, q in _entries(data["question"], "question", "question", "key"))
        empty = next((g for g in groups if all(q.group != g for q in questions)), None)
        if empty is not None:
            raise CatalogueError(f"group {empty!r}: no question stands in it")
    except tomllib.TOMLDecodeError as error:
        raise CatalogueError(f"{name}: not TOML: {error}") from None
    except CatalogueError as error:
        raise CatalogueError(f"{name}: {error}") from None
    return tuple(groups.values()), questions


def read_data() -> str:
    """The text of the package's data file (``report_form/questions.toml``)."""
    return resources.files(__package__).joinpath(DATA_FILE).read_text(encoding="utf-8")


# The catalogue, in the form's order: the reporter's, the own copy's and the office's.
GROUPS, QUESTIONS = load(read_data())


@cache
def by_key(questions: tuple[Question, ...]) -> Mapping[str, Question]:
    """The questions by key (computed once per catalogue; read-only)."""
    return MappingProxyType({q.key: q for q in questions})


def keys() -> tuple[str, ...]:
    """The answer keys, in the form's order."""
    return tuple(q.key for q in QUESTIONS)


def answer_label(question: Question, value: str, lang: str, *, office: bool = False) -> str:
    """A choice's words (the reporter's, or the office's with ``office=True``); a value
    that is no choice is returned as it is (free text)."""
    choice = question.choice(value)
    if choice is None:
        return value
    return (choice.office if office else choice.label).of(lang)


def summary(answers: dict[str, str | list[str]], lang: str) -> str:
    """The reporter's own readable copy of a report: each answered question, then the
    answer, in the form's order and in ``lang``."""
    lines = []
    for question in QUESTIONS:
        value = answers.get(question.key)
        if value is None or value == "" or value == []:
            continue
        if isinstance(value, list):
            shown = ", ".join(answer_label(question, v, lang) for v in value)
        else:
            shown = answer_label(question, value, lang)
        lines.append(f"{question.label.of(lang)}\n{shown}")
    return "\n\n".join(lines)
