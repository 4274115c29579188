"""The report's questions, as data: one entry per question (docs/PROTOCOL.md, "Report answers").

Each :class:`Question` says everything the project needs to know about it: its key in a
``report`` payload's answers, its kind (a line or a longer free text, one choice or
several), its choices, its bounds (the form's longest answer; a message when it is
required), the paragraph of the guidelines it serves, and its words in bokmål, nynorsk
and English -- for the reporter (label, help text, choice labels) and for the office
(the inbox's shorter labels, which cite the guidelines).

It drives, with nothing else to edit when a question is added:

- the form (``portal.forms``: the fields; ``templates/reporter/report.html`` loops over
  :data:`GROUPS` and :data:`QUESTIONS`),
- the validation of a ``report`` payload (``crypto.payload.check_answers``, the one
  validator the portal and the inbox share),
- the reporter's own copy (:func:`summary`),
- the inbox's display, terminal, desk and PDF (``inbox.render.answer_rows``).

The words are literal here, in each language, rather than msgids in the Flask-Babel
catalogues: the inbox has no gettext at all (it runs offline, in bokmål, with nynorsk and
English in the desk), and a label in a ``.po`` file is a second place to edit. One entry
holds the question whole, so a reviewer reads its three wordings side by side. The page
around the questions still speaks through Flask-Babel (portal/translations).

Readers look the catalogue up when they run (``catalogue.QUESTIONS``), never copy it at
import, so a test may give the whole project an extended catalogue by replacing this
one constant. This package imports only the standard library: ``crypto`` may use it.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from types import MappingProxyType

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


YES = Choice("yes", Text("Ja", "Ja", "Yes"), office=Text("Ja", "Ja", "Yes"))
NO = Choice("no", Text("Nei", "Nei", "No"), office=Text("Nei", "Nei", "No"))
UNKNOWN = Choice(
    "unknown",
    Text("Vet ikke", "Veit ikkje", "I don't know"),
    office=Text("Vet ikke", "Veit ikkje", "Don't know"),
)
SHORT = 500  # one-line answers on the form

GROUPS: tuple[Group, ...] = (
    Group("what", Text("Hva som skjedde", "Kva som hende", "What happened")),
    Group("who", Text("Hvem som er involvert", "Kven som er involvert", "Who is involved")),
    Group("contact", Text("Kontakt", "Kontakt", "Contact")),
)


# The form's order: the reporter's, the own copy's and the office's.
QUESTIONS: tuple[Question, ...] = (
    Question(
        key="what_happened",
        kind=TEXT,
        group="what",
        serves="§9.1 (record all relevant information)",
        label=Text("Hva skjedde?", "Kva hende?", "What happened?"),
        office=Text("Hva skjedde", "Kva skjedde", "What happened"),
        hint=Text(
            "Beskriv det med dine egne ord. Ta den tiden du trenger.",
            "Skildre det med dine eigne ord. Ta den tida du treng.",
            "Describe it in your own words. Take the time you need.",
        ),
        required=Text(
            "Beskriv hva som skjedde.",
            "Skildre kva som hende.",
            "Please describe what happened.",
        ),
        rows=10,
    ),
    Question(
        key="when",
        kind=LINE,
        group="what",
        serves="§9.1",
        label=Text("Når skjedde det?", "Når hende det?", "When did it happen?"),
        office=Text("Når (omtrent)", "Når (omtrent)", "When (roughly)"),
        hint=Text(
            "Omtrent er godt nok, for eksempel «våren 2025» eller «på årsmøtet».",
            "Omtrent er godt nok, til dømes «våren 2025» eller «på årsmøtet».",
            "An approximate time is fine, for example “spring 2025” or “at the annual meeting”.",
        ),
        max_length=SHORT,
    ),
    Question(
        key="where",
        kind=ONE,
        group="what",
        serves="Bergen rule 11 (gatherings with overnight stay); §1 (the digital sphere)",
        label=Text("Hvor skjedde det?", "Kvar hende det?", "Where did it happen?"),
        office=Text("Hvor", "Kvar", "Where"),
        choices=(
            Choice(
                "meeting",
                Text("På et møte", "På eit møte", "At a meeting"),
                office=Text("I et møte", "I eit møte", "In a meeting"),
            ),
            Choice(
                "overnight_event",
                Text(
                    "På en samling eller et arrangement med overnatting",
                    "På ei samling eller eit arrangement med overnatting",
                    "At a gathering or event with an overnight stay",
                ),
                office=Text(
                    (
                        "På en samling eller et arrangement med overnatting (Bergen, kjøreregel "
                        "11: kontaktpersoner skal være kunngjort)"
                    ),
                    (
                        "På ei samling eller eit arrangement med overnatting (Bergen, køyreregel "
                        "11: kontaktpersonar skal vere kunngjorde)"
                    ),
                    (
                        "At a gathering or event with an overnight stay (Bergen, rule 11: contact "
                        "persons are to be announced)"
                    ),
                ),
            ),
            Choice(
                "online",
                Text(
                    "På nett eller digitalt (sosiale medier, meldinger, e-post)",
                    "På nett eller digitalt (sosiale medium, meldingar, e-post)",
                    "Online or digitally (social media, messages, e-mail)",
                ),
                office=Text("Digitalt / på nett", "Digitalt / på nett", "Digital / online"),
            ),
            Choice(
                "other",
                Text("Et annet sted", "Ein annan stad", "Somewhere else"),
                office=Text("Et annet sted", "Ein annan stad", "Somewhere else"),
            ),
        ),
    ),
    Question(
        key="where_detail",
        kind=LINE,
        group="what",
        serves="§9.1",
        label=Text(
            "Mer om stedet (valgfritt)",
            "Meir om staden (valfritt)",
            "More about the place (optional)",
        ),
        office=Text("Mer om stedet", "Meir om staden", "More about the place"),
        hint=Text(
            "For eksempel hva slags møte eller arrangement, eller hvilken kanal på nett.",
            "Til dømes kva slags møte eller arrangement, eller kva kanal på nett.",
            "For example the kind of meeting or event, or the channel online.",
        ),
        max_length=SHORT,
    ),
    Question(
        key="county_party",
        kind=LINE,
        group="what",
        serves="§8.2 (at which level the case is handled)",
        label=Text(
            "Hvilket fylkesparti gjelder det? (valgfritt)",
            "Kva fylkesparti gjeld det? (valfritt)",
            "Which county party does it concern? (optional)",
        ),
        office=Text("Fylkesparti (§8.2)", "Fylkesparti (§8.2)", "County party (§8.2)"),
        hint=Text(
            (
                "Det hjelper partikontoret å avgjøre hvem som skal håndtere saken. La feltet stå "
                "tomt hvis det kan vise hvem du er."
            ),
            (
                "Det hjelper partikontoret å avgjere kven som skal handsame saka. La feltet stå "
                "tomt dersom det kan vise kven du er."
            ),
            (
                "This helps the party office decide who should handle the case. Leave it empty if "
                "it could show who you are."
            ),
        ),
        max_length=SHORT,
    ),
    Question(
        key="local_branch",
        kind=LINE,
        group="what",
        serves="§8.2; Bergen rule 11 applies to Arbeiderpartiet i Bergen",
        label=Text(
            "Hvilket lokallag, møte eller hvilken samling? (valgfritt)",
            "Kva lokallag, møte eller samling? (valfritt)",
            "Which local branch, meeting or gathering? (optional)",
        ),
        office=Text(
            "Lokallag, møte eller samling (§8.2)",
            "Lokallag, møte eller samling (§8.2)",
            "Local branch, meeting or gathering (§8.2)",
        ),
        max_length=SHORT,
    ),
    Question(
        key="contact_persons_announced",
        kind=ONE,
        group="what",
        serves="Bergen rule 11 (contact persons announced at overnight gatherings)",
        label=Text(
            (
                "Hvis det var en samling med overnatting: ble det kunngjort kontaktpersoner ved "
                "møtestart?"
            ),
            (
                "Dersom det var ei samling med overnatting: vart det kunngjort kontaktpersonar ved "
                "møtestart?"
            ),
            (
                "If it was a gathering with an overnight stay: were contact persons announced at "
                "the start?"
            ),
        ),
        office=Text(
            "Ble kontaktpersoner kunngjort ved møtestart? (Bergen, kjøreregel 11)",
            "Vart kontaktpersonar kunngjorde ved møtestart? (Bergen, køyreregel 11)",
            "Were contact persons announced at the start of the meeting? (Bergen, rule 11)",
        ),
        hint=Text(
            (
                "På samlinger med overnatting skal partiet ved møtestart kunngjøre hvem som er "
                "kvinnelig og mannlig kontaktperson hvis ubehagelige situasjoner oppstår."
            ),
            (
                "På samlingar med overnatting skal partiet ved møtestart kunngjere kven som er "
                "kvinneleg og mannleg kontaktperson dersom ubehagelege situasjonar oppstår."
            ),
            (
                "At gatherings with an overnight stay, the party should announce at the start who "
                "the female and male contact persons are if unpleasant situations arise."
            ),
        ),
        choices=(
            Choice(
                "yes",
                Text("Ja", "Ja", "Yes"),
                office=Text("Ja", "Ja", "Yes"),
            ),
            Choice(
                "no",
                Text("Nei", "Nei", "No"),
                office=Text(
                    "Nei – kjøreregel 11 (Bergen) sier at de skal kunngjøres",
                    "Nei – køyreregel 11 (Bergen) seier at dei skal kunngjerast",
                    "No – rule 11 (Bergen) says they are to be announced",
                ),
            ),
            Choice(
                "unknown",
                Text("Vet ikke", "Veit ikkje", "I don't know"),
                office=Text("Vet ikke", "Veit ikkje", "Don't know"),
            ),
        ),
    ),
    Question(
        key="contact_persons_contacted",
        kind=ONE,
        group="what",
        serves="Bergen rule 11",
        label=Text(
            "Tok du eller noen andre kontakt med dem?",
            "Tok du eller nokon andre kontakt med dei?",
            "Did you or anyone else contact them?",
        ),
        office=Text(
            "Ble kontaktpersonene kontaktet?",
            "Vart kontaktpersonane kontakta?",
            "Were the contact persons contacted?",
        ),
        choices=(YES, NO, UNKNOWN),
    ),
    Question(
        key="kind",
        kind=ONE,
        group="what",
        serves="§1, §2",
        label=Text(
            "Hva slags situasjon gjelder det?",
            "Kva slags situasjon gjeld det?",
            "What kind of situation is it?",
        ),
        office=Text("Hva slags forhold", "Kva slags forhold", "What kind of matter"),
        hint=Text(
            "Velg «Jeg er usikker» hvis du ikke vet hva du skal kalle det.",
            "Vel «Eg er usikker» viss du ikkje veit kva du skal kalle det.",
            "Choose “I am not sure” if you do not know what to call it.",
        ),
        choices=(
            Choice(
                "harassment",
                Text("Trakassering", "Trakassering", "Harassment"),
                office=Text("Trakassering", "Trakassering", "Harassment"),
            ),
            Choice(
                "sexual_harassment",
                Text(
                    "Seksuell trakassering",
                    "Seksuell trakassering",
                    "Sexual harassment",
                ),
                office=Text(
                    "Seksuell trakassering",
                    "Seksuell trakassering",
                    "Sexual harassment",
                ),
            ),
            Choice(
                "other",
                Text("Noe annet", "Noko anna", "Something else"),
                office=Text("Noe annet", "Noko anna", "Something else"),
            ),
            Choice(
                "unsure",
                Text("Jeg er usikker", "Eg er usikker", "I am not sure"),
                office=Text("Usikker", "Usikker", "Unsure"),
            ),
        ),
    ),
    Question(
        key="involved_roles",
        kind=SEVERAL,
        group="who",
        serves="§3, §4 (AUF)",
        label=Text("Hvem er involvert?", "Kven er involvert?", "Who is involved?"),
        office=Text(
            "Involverte, etter rolle (§3, §4)",
            "Involverte, etter rolle (§3, §4)",
            "People involved, by role (§3, §4)",
        ),
        hint=Text(
            "Kryss av for rollene til de involverte. Du kan krysse av for flere.",
            "Kryss av for rollene til dei involverte. Du kan krysse av for fleire.",
            "Tick the roles of the people involved. You can tick several.",
        ),
        choices=(
            Choice(
                "folkevalgt",
                Text("Folkevalgt", "Folkevald", "Elected representative (folkevalgt)"),
                office=Text("Folkevalgt (§3)", "Folkevald (§3)", "Elected representative (§3)"),
            ),
            Choice(
                "tillitsvalgt",
                Text(
                    "Tillitsvalgt i partiet",
                    "Tillitsvald i partiet",
                    "Elected officer in the party (tillitsvalgt)",
                ),
                office=Text("Tillitsvalgt (§3)", "Tillitsvald (§3)", "Elected officer (§3)"),
            ),
            Choice(
                "partimedlem",
                Text("Partimedlem", "Partimedlem", "Party member"),
                office=Text("Partimedlem (§3)", "Partimedlem (§3)", "Party member (§3)"),
            ),
            Choice(
                "oppnevnt",
                Text(
                    "Oppnevnt i en politisk posisjon",
                    "Oppnemnd i ein politisk posisjon",
                    "Appointed to a political position",
                ),
                office=Text(
                    "Oppnevnt i politisk posisjon (§3)",
                    "Oppnemnd i politisk posisjon (§3)",
                    "Appointed to a political position (§3)",
                ),
            ),
            Choice(
                "ansatt",
                Text("Ansatt i partiet", "Tilsett i partiet", "Employed by the party"),
                office=Text(
                    "Ansatt i partiet (§3)",
                    "Tilsett i partiet (§3)",
                    "Employed by the party (§3)",
                ),
            ),
            Choice(
                "innleid",
                Text("Innleid personell", "Innleigt personell", "Hired staff"),
                office=Text(
                    "Innleid personell (§3)",
                    "Innleigt personell (§3)",
                    "Hired staff (§3)",
                ),
            ),
            Choice(
                "auf_medlem",
                Text("AUF-medlem", "AUF-medlem", "AUF member"),
                office=Text("AUF-medlem (§4)", "AUF-medlem (§4)", "AUF member (§4)"),
            ),
            Choice(
                "annet",
                Text("Noen andre", "Nokon andre", "Someone else"),
                office=Text("Annet", "Anna", "Other"),
            ),
        ),
    ),
    Question(
        key="involved_detail",
        kind=TEXT,
        group="who",
        serves="§3",
        label=Text(
            "Beskriv hvem som er involvert (valgfritt)",
            "Skildre kven som er involvert (valfritt)",
            "Describe who is involved (optional)",
        ),
        office=Text(
            "Mer om de involverte",
            "Meir om dei involverte",
            "More about those involved",
        ),
        hint=Text(
            (
                "Roller er nok, for eksempel «lokallagslederen». Du bestemmer selv om du vil oppgi "
                "navn."
            ),
            (
                "Roller er nok, til dømes «lokallagsleiaren». Du bestemmer sjølv om du vil oppgi "
                "namn."
            ),
            "Roles are enough, for example “the branch leader”. You decide whether to give names.",
        ),
    ),
    Question(
        key="reporter_relation",
        kind=ONE,
        group="who",
        serves="§9.1 (a witness: the office contacts the affected person)",
        label=Text(
            "Skjedde det med deg, eller med noen andre?",
            "Hende det deg, eller nokon andre?",
            "Did it happen to you, or to someone else?",
        ),
        office=Text(
            "Varslerens forhold til saken (§9.1)",
            "Forholdet varslaren har til saka (§9.1)",
            "The reporter's relation to the matter (§9.1)",
        ),
        hint=Text(
            "Skjedde det med noen andre, må partikontoret også snakke med den personen.",
            "Hende det nokon andre, må partikontoret òg snakke med den personen.",
            (
                "If it happened to someone else, the party office will also need to talk to that "
                "person."
            ),
        ),
        choices=(
            Choice(
                "affected",
                Text("Det skjedde med meg", "Det hende meg", "It happened to me"),
                office=Text("Selv utsatt", "Sjølv utsett", "Affected myself"),
            ),
            Choice(
                "witness",
                Text(
                    "Det skjedde med noen andre (jeg er vitne eller har fått vite om det)",
                    "Det hende nokon andre (eg er vitne eller har fått vite om det)",
                    "It happened to someone else (I am a witness or was told about it)",
                ),
                office=Text(
                    "Vitne – partiet må også kontakte den som er utsatt (§9.1)",
                    "Vitne – partiet må òg kontakte den som er utsett (§9.1)",
                    "Witness – the party must also contact the person affected (§9.1)",
                ),
            ),
        ),
    ),
    Question(
        key="party_employee_involved",
        kind=ONE,
        group="who",
        serves="§11 (employer responsibility)",
        label=Text(
            "Er noen av de involverte ansatt i partiet?",
            "Er nokon av dei involverte tilsette i partiet?",
            "Is anyone involved employed by the party?",
        ),
        office=Text(
            "Er noen av de involverte ansatt i partiet? (§11)",
            "Er nokon av dei involverte tilsette i partiet? (§11)",
            "Is anyone involved employed by the party? (§11)",
        ),
        hint=Text(
            "Da må også arbeidsgiveren involveres i behandlingen av saken.",
            "Då må òg arbeidsgivaren involverast i behandlinga av saka.",
            "Then the employer must also be involved in handling the case.",
        ),
        choices=(
            Choice(
                "yes",
                Text("Ja", "Ja", "Yes"),
                office=Text(
                    "Ja – arbeidsgiver må involveres (§11)",
                    "Ja – arbeidsgivar må involverast (§11)",
                    "Yes – the employer must be involved (§11)",
                ),
            ),
            Choice(
                "no",
                Text("Nei", "Nei", "No"),
                office=Text("Nei", "Nei", "No"),
            ),
            Choice(
                "unknown",
                Text("Vet ikke", "Veit ikkje", "I don't know"),
                office=Text("Vet ikke", "Veit ikkje", "Don't know"),
            ),
        ),
    ),
    Question(
        key="central_office",
        kind=ONE,
        group="who",
        serves="§8.2 (central office-holder: the party office handles it)",
        label=Text(
            "Har den du varsler om, et sentralt verv i partiet?",
            "Har den du varslar om, eit sentralt verv i partiet?",
            "Does the person you report hold a central position in the party?",
        ),
        office=Text(
            "Har den det varsles om et sentralt verv? (§8.2)",
            "Har den det blir varsla om, eit sentralt verv? (§8.2)",
            "Does the person reported hold a central office? (§8.2)",
        ),
        hint=Text(
            "Da behandler partikontoret alltid saken selv.",
            "Då behandlar partikontoret alltid saka sjølv.",
            "Then the party office always handles the case itself.",
        ),
        choices=(
            Choice(
                "yes",
                Text("Ja", "Ja", "Yes"),
                office=Text(
                    "Ja – partikontoret håndterer alltid (§8.2)",
                    "Ja – partikontoret handterer alltid (§8.2)",
                    "Yes – the party office always handles it (§8.2)",
                ),
            ),
            Choice(
                "no",
                Text("Nei", "Nei", "No"),
                office=Text("Nei", "Nei", "No"),
            ),
            Choice(
                "unknown",
                Text("Vet ikke", "Veit ikkje", "I don't know"),
                office=Text("Vet ikke", "Veit ikkje", "Don't know"),
            ),
        ),
    ),
    Question(
        key="ongoing",
        kind=ONE,
        group="who",
        serves="§9.3 (ongoing harassment must stop)",
        label=Text("Pågår det fortsatt?", "Held det framleis fram?", "Is it still going on?"),
        office=Text("Pågår det fortsatt?", "Held det fram?", "Is it still going on?"),
        choices=(YES, NO, UNKNOWN),
    ),
    Question(
        key="contact_wanted",
        kind=ONE,
        group="contact",
        serves="§9.1 (contact without undue delay)",
        label=Text(
            "Vil du at partikontoret skal kontakte deg?",
            "Vil du at partikontoret skal kontakte deg?",
            "Do you want the party office to contact you?",
        ),
        office=Text(
            "Ønsker varsleren kontakt?",
            "Ønskjer varslaren kontakt?",
            "Does the reporter want contact?",
        ),
        hint=Text(
            "Partikontoret svarer her i portalen. Du leser svarene med kvitteringen din.",
            "Partikontoret svarar her i portalen. Du les svara med kvitteringa di.",
            (
                "The party office will answer here, in the portal. You read the answers with your "
                "receipt."
            ),
        ),
        choices=(YES, NO),
    ),
    Question(
        key="contact_how",
        kind=TEXT,
        group="contact",
        serves="§9.1",
        label=Text(
            "Hvordan vil du bli kontaktet? (valgfritt)",
            "Korleis vil du bli kontakta? (valfritt)",
            "How would you like to be contacted? (optional)",
        ),
        office=Text("Hvordan kontakt", "Korleis kontakt", "How to make contact"),
        hint=Text(
            (
                "Det tryggeste er gjennom denne portalen. Oppgir du telefonnummer eller "
                "e-postadresse, vet partikontoret hvem du er."
            ),
            (
                "Det tryggaste er gjennom denne portalen. Oppgir du telefonnummer eller "
                "e-postadresse, veit partikontoret kven du er."
            ),
            (
                "The safest is through this portal. If you give a phone number or an e-mail "
                "address, the party office will know who you are."
            ),
        ),
        max_length=2 * SHORT,
        rows=3,
    ),
    Question(
        key="identity",
        kind=LINE,
        group="contact",
        serves="§6a (confidentiality; identity only inside the envelope)",
        label=Text(
            "Navnet ditt (valgfritt)",
            "Namnet ditt (valfritt)",
            "Your name (optional)",
        ),
        office=Text(
            "Varslerens identitet (frivillig oppgitt)",
            "Identiteten til varslaren (frivillig oppgitt)",
            "The reporter's identity (given voluntarily)",
        ),
        hint=Text(
            (
                "Du kan være anonym. Oppgir du navnet ditt, blir det kryptert sammen med resten av "
                "varselet."
            ),
            (
                "Du kan vere anonym. Oppgir du namnet ditt, blir det kryptert saman med resten av "
                "varselet."
            ),
            (
                "You can stay anonymous. If you give your name, it is encrypted with the rest of "
                "the report."
            ),
        ),
        max_length=SHORT,
    ),
)


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
