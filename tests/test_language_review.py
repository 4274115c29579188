"""Errors a language review found in the catalogues and the office guide stay fixed
(issue 9, item 14). Each pair is (wrong, right) in a file's text as people read it. The
report's questions carry their words in the question catalogue (report_form/questions.toml),
so a language's text is its Flask-Babel catalogue and its words there."""

from dataclasses import fields
from pathlib import Path

from babel.messages.pofile import read_po

from report_form import catalogue

ROOT = Path(__file__).resolve().parent.parent


def _strings(lang: str) -> str:
    with (ROOT / f"portal/translations/{lang}/LC_MESSAGES/messages.po").open("rb") as f:
        catalog = read_po(f, locale=lang)
    out: list[str] = []
    for message in catalog:
        if message.id:
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            out.extend(strings)
    return "\n".join(out + _question_words(lang))


def _question_words(lang: str) -> list[str]:
    """Every wording of the question catalogue in ``lang``: groups, questions, choices."""
    texts: list[catalogue.Text] = [g.legend for g in catalogue.GROUPS]
    for question in catalogue.QUESTIONS:
        for f in fields(question):
            value = getattr(question, f.name)
            if isinstance(value, catalogue.Text):
                texts.append(value)
        for choice in question.choices:
            texts += [choice.label, choice.office]
    return [t.of(lang) for t in texts]


NYNORSK = [
    ("vart teken inn", "vart teke inn"),
    ("Du kan kryssa av", "Du kan krysse av"),
    ("Vi orsakar.", "Vi beklagar."),
    ("til dømes ein tilsett", "til dømes med ein tilsett"),
    ("Fjern ho før", "Fjern slik informasjon før"),
    ("Innleigd personell", "Innleigt personell"),
    ("Svar publiserte til varslarar", "Svar sende til varslarane"),
    ("Kven er involverte?", "Kven er involvert?"),
]
BOKMAL = [
    ("Svar publisert til varslere", "Svar sendt til varslerne"),
    ("Mistet du kvitteringen?", "Har du mistet kvitteringen?"),
    ("(behandles uten unødig opphold)", "(frist: uten unødig opphold)"),
]


def test_nynorsk_catalogue() -> None:
    text = _strings("nn")
    for wrong, right in NYNORSK:
        assert wrong not in text, wrong
        assert right in text, right


def test_bokmal_catalogue() -> None:
    text = _strings("nb")
    for wrong, right in BOKMAL:
        assert wrong not in text, wrong
        assert right in text, right


def test_office_guide() -> None:
    guide = (ROOT / "docs/OFFICE-GUIDE.md").read_text()
    assert "etter dere har avsluttet" not in guide
    assert "etter at dere har avsluttet" in guide
