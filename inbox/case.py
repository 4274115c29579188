"""A report in handling: states, allowed transitions and the dated case log (§8-§14).

States follow the guidelines against harassment (§9–§14; see docs/OFFICE-GUIDE.md)::

    mottatt -> bekreftet (§9.1) -> anklagedes-versjon (§9.2) -> omforent-losning (§9.3)
      omforent-losning -> avsluttet            (an agreed solution was reached)
      omforent-losning -> undersokelse (§10.1) (no agreed solution)
        -> kontradiksjon (§10.2) -> avgjort (§10.4) -> reaksjon (§13/§14) -> avsluttet
    avsluttet -> overlevert (§6b: documents handed to the party office, copies deleted)

The handling level (§8.2), flags (§11 employer, §1 possible crime), a named handler
(§6a) and the handlers' declarations of impartiality (§6d) are case metadata and stored
wrapped; the state and its days are plaintext so the list can show them without unlocking
every case.

One state machine: the status the reporter sees on the portal is a function of the case
state (``REPORTER_STATUS``), queued with every state change, so the two cannot drift
apart. What the reporter is *told* in words is the office's choice: a reply written with
the state change (§9.4: the involved are kept informed).
"""

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from crypto.payload import Report

from .errors import CaseError
from .outbox import queue_reply_in, queue_status_in
from .store import Store
from .threads import load_thread

STATES: dict[str, str] = {
    "mottatt": "Mottatt",
    "bekreftet": "Bekreftet – kontakt opprettet med varsleren (§9.1)",
    "anklagedes-versjon": "Den anklagedes versjon er nedtegnet (§9.2)",
    "omforent-losning": "Omforent løsning søkes (§9.3)",
    "undersokelse": "Undersøkelse – saken opplyses (§10.1)",
    "kontradiksjon": "Kontradiksjon – innsyn og uttale (§10.2)",
    "avgjort": "Avgjort på det mest sannsynlige faktum (§10.4)",
    "reaksjon": "Suspensjon/reaksjon fastsatt, med revurderingsdato (§13, §14)",
    "avsluttet": "Avsluttet",
    "overlevert": "Dokumenter overlevert partikontoret og kopier slettet (§6b)",
}

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "mottatt": ("bekreftet",),
    "bekreftet": ("anklagedes-versjon",),
    "anklagedes-versjon": ("omforent-losning",),
    # §9.3 agreed -> closed; §10.1 only when no agreed solution was reached.
    "omforent-losning": ("avsluttet", "undersokelse"),
    "undersokelse": ("kontradiksjon",),
    # New evidence after the right of reply sends the case back to investigation (§10.1).
    "kontradiksjon": ("avgjort", "undersokelse"),
    "avgjort": ("reaksjon", "avsluttet"),
    "reaksjon": ("avsluttet",),
    "avsluttet": ("overlevert",),
    "overlevert": (),
}

# What the guidelines ask before a case moves into each state (shown where the step is
# taken, e.g. on the desk).
STEP_PROMPTS: dict[str, str] = {
    "bekreftet": "Kontakt varsleren og nedtegn relevant informasjon. Er varsleren vitne, ta "
    "også kontakt med den som er utsatt (§9.1). Skriv referat fra samtalen (§9.5).",
    "anklagedes-versjon": "Kontakt den det varsles om, orienter om hva varselet gjelder, og "
    "nedtegn vedkommendes versjon (§9.2). Skriv referat (§9.5).",
    "omforent-losning": "Søk en omforent løsning mellom partene, og hold dem orientert om "
    "hvordan saken håndteres (§9.3, §9.4).",
    "undersokelse": "Ingen omforent løsning: saken opplyses, og vitner kan høres (§10.1).",
    "kontradiksjon": "Den anklagede skal få innsyn i forklaringer og bevis og rimelig tid til "
    "å uttale seg, skriftlig (§10.2).",
    "avgjort": "Legg til grunn det faktum som fremstår som mest sannsynlig (§10.4). Håndteres "
    "saken utenfor partikontoret, avgjøres den i samråd med fylkespartiet (§10.3).",
    "reaksjon": "Suspensjon (§13) eller reaksjoner (§14) fastsettes med en dato for "
    "revurdering.",
    "avsluttet": "Saken er ferdigbehandlet. Fortell gjerne varsleren at den er avsluttet, "
    "uten saksopplysninger varsleren ikke skal ha (§6a, §9.4).",
    "overlevert": "Dokumentene er levert til partikontoret, og utskrifter og kopier hos "
    "saksbehandlere er levert tilbake og slettet (§6b).",
}

# The status the reporter sees (wire values, crypto.payload.THREAD_STATUSES) in each state.
REPORTER_STATUS: dict[str, str] = {
    "mottatt": "received",
    "bekreftet": "acknowledged",
    "anklagedes-versjon": "in_progress",
    "omforent-losning": "in_progress",
    "undersokelse": "in_progress",
    "kontradiksjon": "in_progress",
    "avgjort": "in_progress",
    "reaksjon": "in_progress",
    "avsluttet": "closed",
    "overlevert": "closed",
}

LEVELS: dict[str, str] = {
    "partikontoret": "Partikontoret",
    "fylkesparti": "Fylkespartiet",
    "lokallag": "Lokallaget",
}

NOTE_KINDS: dict[str, str] = {
    "referat": "Referat fra samtale (§9.5)",
    "notat": "Notat",
    "informert": "Partene informert (§9.4)",
}
SYSTEM_KINDS: dict[str, str] = {
    "opprettet": "Sak opprettet",
    "tilstand": "Ny tilstand",
    "eksport": "Saksmappe eksportert",
    "videresendt": "Forseglet saksmappe videresendt til saksbehandler (§6a)",
    "habilitet": "Saksbehandlerens habilitet erklært (§6d)",
    "varsler-informert": "Varsleren informert via portalen (§9.4)",
    "mottatt-utenfor": "Mottatt utenfor portalen (§5, §7)",
    "kontradiksjon": "Kontradiksjon (§9.2, §10.2)",
    "merket": "Identifiserende opplysninger merket (§6a, §10.2)",
    "innsyn": "Innsyn gitt den anklagede (§10.2)",
    "avgjorelse": "Avgjørelse (§10.4)",
    "reaksjon": "Suspensjon eller reaksjon (§13, §14)",
    "kvittering-gitt": "Kvitteringsord til en tråd på portalen gitt varsleren (§9.4)",
}
LOG_KINDS = {**NOTE_KINDS, **SYSTEM_KINDS}
MAX_NOTE = 100_000


@dataclass
class CaseMeta:
    level: str = "partikontoret"
    central_office: bool = False
    employer: bool = False
    possible_crime: bool = False
    handler: str | None = None
    # Bergen rule 11 applies: an overnight gathering of Arbeiderpartiet i Bergen.
    rule11: bool = False
    # §6d: one declaration per handler key fingerprint.
    declarations: list[dict[str, Any]] = field(default_factory=list)
    # §9.2, §10.2: told_day, access_day, reply_by (inbox.innsyn).
    kontradiksjon: dict[str, str] = field(default_factory=dict)
    # §6a, §10.2: what the office marks as identifying, by kind (inbox.innsyn.MARK_KINDS).
    marks: dict[str, list[str]] = field(default_factory=dict)
    # §10.4 and §13/§14 (inbox.decision).
    decision: dict[str, Any] | None = None
    reactions: list[dict[str, Any]] = field(default_factory=list)

    def flags(self) -> list[str]:
        """What the guidelines say follows from this case's flags, one line each."""
        lines = []
        if self.central_office:
            lines.append("Sentralt verv – partikontoret håndterer alltid (§8.2)")
        if self.employer:
            lines.append("Arbeidsgiveransvar – behandles i samråd med arbeidsgiver (§11)")
        if self.possible_crime:
            lines.append("Mulig straffbart forhold – den utsatte oppfordres til å anmelde (§1)")
        if self.rule11:
            lines.append(
                "Samling med overnatting i Arbeiderpartiet i Bergen – kontaktpersoner skal "
                "være kunngjort (kjøreregel 11)"
            )
        return lines


@dataclass(frozen=True)
class LogEntry:
    day: str
    kind: str
    text: str


@dataclass
class CaseView:
    thread: str
    state: str
    opened_day: str
    state_day: str
    review_day: str | None
    meta: CaseMeta
    log: list[LogEntry] = field(default_factory=list)


def _log(store: Store, thread: str, kind: str, text: str, today: date) -> None:
    store.add_log(thread, today.isoformat(), kind, text)


def open_case(
    store: Store,
    thread: str,
    *,
    today: date,
    level: str | None = None,
    central_office: bool = False,
    employer: bool = False,
    possible_crime: bool = False,
    handler: str | None = None,
) -> tuple[CaseView, list[str]]:
    """Put a report into handling; returns the case and advice lines citing the guidelines."""
    if store.has_case(thread):
        raise CaseError(f"Sak {thread[:8]} er allerede til behandling.")
    if level is not None and level not in LEVELS:
        raise CaseError(f"Ukjent nivå «{level}». Velg en av: {', '.join(LEVELS)}.")
    advice: list[str] = []
    report = load_thread(store, thread).report
    answers = report.answers if isinstance(report, Report) else {}
    if answers.get("central_office") == "yes":
        central_office = True
        advice.append("Varsleren oppgir at den anklagede har et sentralt verv.")
    if answers.get("party_employee_involved") == "yes":
        employer = True
    if central_office:
        if level not in (None, "partikontoret"):
            advice.append(
                f"Nivå «{level}» er endret til partikontoret: når henvendelsen omhandler "
                "personer i sentrale verv, skal partikontoret alltid håndtere saken (§8.2)."
            )
        else:
            advice.append(
                "Partikontoret håndterer alltid saker om personer i sentrale verv (§8.2)."
            )
        level = "partikontoret"
    if employer:
        advice.append(
            "Noen involverte er ansatt i partiet: arbeidsmiljølovens regler må ivaretas, og "
            "saken behandles i samråd med arbeidsgiver (§11)."
        )
    if possible_crime:
        advice.append(
            "Mulig straffbart forhold: den som har vært utsatt, bør motiveres til å anmelde "
            "saken til politiet (§1)."
        )
    if answers.get("reporter_relation") == "witness":
        advice.append(
            "Varsleren er vitne: ta også kontakt med den som opplever seg trakassert og "
            "nedtegn all relevant informasjon (§9.1)."
        )
    advice.extend(level_advice(answers, central_office))
    rule11 = rule11_applies(answers)
    advice.extend(rule11_advice(answers, rule11))
    meta = CaseMeta(
        level=level or "partikontoret",
        central_office=central_office,
        employer=employer,
        possible_crime=possible_crime,
        handler=handler.strip() if handler and handler.strip() else None,
        rule11=rule11 is True,
    )
    status = store.thread(thread).status
    # The case starts where the reporter already is: acknowledged stays acknowledged.
    state = {"acknowledged": "bekreftet"}.get(status, "mottatt")
    with store.transaction():
        store.add_case(thread, state, today.isoformat(), asdict(meta))
        _log(store, thread, "opprettet", f"Nivå: {LEVELS[meta.level]}", today)
        if REPORTER_STATUS[state] != status:
            queue_status_in(store, thread, REPORTER_STATUS[state], today=today)
    return load_case(store, thread), advice


def _text_answer(answers: dict[str, Any], key: str) -> str:
    value = answers.get(key)
    return " ".join(value.split()) if isinstance(value, str) else ""


def level_advice(answers: dict[str, Any], central_office: bool) -> list[str]:
    """A suggested handling level from where the reporter says it happened (§8.2)."""
    if central_office:
        return []
    local = _text_answer(answers, "local_branch")
    county = _text_answer(answers, "county_party")
    if local:
        return [
            f"Varselet gjelder «{local}»{f' i «{county}»' if county else ''}: forslag til nivå "
            "er lokallaget. Partikontoret avgjør sammen med fylkespartiet og lokale "
            "tillitsvalgte hvordan og på hvilket nivå saken følges opp (§8.2)."
        ]
    if county:
        return [
            f"Varselet gjelder «{county}»: forslag til nivå er fylkespartiet. Partikontoret "
            "avgjør sammen med fylkespartiet hvordan og på hvilket nivå saken følges opp (§8.2)."
        ]
    return []


def rule11_applies(answers: dict[str, Any]) -> bool | None:
    """Bergen rule 11 covers overnight gatherings of Arbeiderpartiet i Bergen: True when the
    report says so, None when it was an overnight gathering but not where, else False."""
    if answers.get("where") != "overnight_event":
        return False
    place = f"{_text_answer(answers, 'county_party')} {_text_answer(answers, 'local_branch')}"
    if not place.strip():
        return None
    return "bergen" in place.casefold()


def rule11_advice(answers: dict[str, Any], applies: bool | None) -> list[str]:
    if applies is None:
        return [
            "Hendelsen skjedde på en samling med overnatting. Var samlingen i regi av "
            "Arbeiderpartiet i Bergen, gjelder kjøreregel 11: finn ut hvem som var kunngjort "
            "som kontaktpersoner."
        ]
    if not applies:
        return []
    lines = [
        "Samling med overnatting i Arbeiderpartiet i Bergen: kjøreregel 11 gjelder – "
        "kvinnelig og mannlig kontaktperson skal være kunngjort ved møtestart."
    ]
    announced = answers.get("contact_persons_announced")
    if announced == "no":
        lines.append("Varsleren oppgir at kontaktpersoner IKKE ble kunngjort (kjøreregel 11).")
    elif announced != "yes":
        lines.append("Finn ut om kontaktpersoner ble kunngjort (kjøreregel 11).")
    if answers.get("contact_persons_contacted") == "yes":
        lines.append("Kontaktpersonene ble kontaktet: snakk med dem og før referat (§9.5).")
    return lines


def load_case(store: Store, thread: str) -> CaseView:
    row = store.case(thread)
    if row is None:
        raise CaseError(
            f"Sak {thread[:8]} er ikke til behandling ennå. Bruk «varsel-inbox case open»."
        )
    log = [LogEntry(day=e.day, kind=e.kind, text=e.text) for e in store.log_of(thread)]
    return CaseView(
        thread, row.state, row.opened_day, row.state_day, row.review_day, CaseMeta(**row.meta), log
    )


def has_case(store: Store, thread: str) -> bool:
    return store.has_case(thread)


def add_note(store: Store, thread: str, kind: str, text: str, *, today: date) -> None:
    if kind not in NOTE_KINDS:
        raise CaseError(f"Ukjent type «{kind}». Velg en av: {', '.join(NOTE_KINDS)}.")
    if not text.strip():
        raise CaseError("Notatet er tomt; ingenting er lagret.")
    if len(text) > MAX_NOTE:
        raise CaseError(f"Notatet er for langt (høyst {MAX_NOTE} tegn).")
    load_case(store, thread)
    with store.transaction():
        _log(store, thread, kind, text, today)


def log_in(store: Store, thread: str, kind: str, text: str, *, today: date) -> None:
    """Add a case log entry inside the caller's transaction."""
    _log(store, thread, kind, text, today)


def log_event(store: Store, thread: str, kind: str, text: str, *, today: date) -> None:
    with store.transaction():
        _log(store, thread, kind, text, today)


def change_state(
    store: Store,
    thread: str,
    new_state: str,
    *,
    today: date,
    review_day: date | None = None,
    tell: str | None = None,
) -> CaseView:
    """Move the case on; the reporter's status follows, and ``tell`` (the office's own
    words) goes to the reporter as a reply in the same transaction (§9.4)."""
    case = load_case(store, thread)
    check_transition(case, new_state, review_day, today)
    with store.transaction():
        apply_transition(store, case, new_state, review_day=review_day, tell=tell, today=today)
    return load_case(store, thread)


def check_transition(
    case: CaseView, new_state: str, review_day: date | None, today: date
) -> None:
    """CaseError unless the guidelines allow ``case`` to move to ``new_state`` now."""
    if new_state not in STATES:
        raise CaseError(f"Ukjent tilstand «{new_state}». Velg en av: {', '.join(STATES)}.")
    allowed = TRANSITIONS[case.state]
    if new_state not in allowed:
        if allowed:
            hint = f"Fra «{case.state}» kan saken gå til: {', '.join(allowed)}."
        else:
            hint = f"«{case.state}» er sluttilstanden."
        raise CaseError(f"Saken kan ikke gå fra «{case.state}» til «{new_state}». {hint}")
    if new_state == "reaksjon" and review_day is None:
        raise CaseError(
            "Suspensjon og reaksjoner skal ha en dato for revurdering: oppgi --review-date."
        )
    if review_day is not None and review_day <= today:
        raise CaseError("Revurderingsdatoen må ligge fram i tid.")


def apply_transition(
    store: Store,
    case: CaseView,
    new_state: str,
    *,
    review_day: date | None,
    tell: str | None,
    today: date,
) -> None:
    """Move the case (checked by ``check_transition``) inside the caller's transaction: the
    reporter's status follows, and ``tell`` goes to the reporter as a reply (§9.4)."""
    thread = case.thread
    review = review_day.isoformat() if review_day else case.review_day
    text = f"{case.state} → {new_state}"
    if review_day is not None:
        text += f" (revurderes {review})"
    status = store.thread(thread).status
    store.set_case_state(thread, new_state, today.isoformat(), review)
    _log(store, thread, "tilstand", text, today)
    if REPORTER_STATUS[new_state] != status:
        queue_status_in(store, thread, REPORTER_STATUS[new_state], today=today)
    if tell is not None:
        queue_reply_in(store, thread, tell, today=today)
        _log(store, thread, "varsler-informert", tell, today)


def update_meta(store: Store, thread: str, meta: CaseMeta) -> None:
    """Write changed case metadata (call inside a transaction)."""
    store.set_case_meta(thread, asdict(meta))


def record(store: Store, case: CaseView, kind: str, text: str, *, today: date) -> CaseView:
    """Write the case's changed metadata and a log entry saying what changed, in one
    transaction; the case as it now stands."""
    with store.transaction():
        update_meta(store, case.thread, case.meta)
        _log(store, case.thread, kind, text, today)
    return load_case(store, case.thread)


# -- impartiality (§6d) and need to know (§6a) -----------------------------------------------

DECLARATIONS: dict[str, str] = {
    "habil": "erklærer seg habil (ikke inhabil) i saken",
    "ikke-aktuelt": "habilitetsspørsmålet oppstår ikke",
    "inhabil": "erklærer seg inhabil i saken",
}
MAX_REASON = 2_000


@dataclass(frozen=True)
class Declaration:
    """What a handler declared about their impartiality in this case (§6d)."""

    fingerprint: str
    name: str
    kind: str  # a key of DECLARATIONS
    reason: str
    day: str

    @property
    def biased(self) -> bool:
        return self.kind == "inhabil"

    def line(self) -> str:
        text = f"{self.name} ({self.fingerprint}) {DECLARATIONS[self.kind]}"
        return f"{text}: {self.reason}" if self.reason else text


def declarations(meta: CaseMeta) -> list[Declaration]:
    return [Declaration(**d) for d in meta.declarations]


def declare(
    store: Store,
    thread: str,
    *,
    fingerprint: str,
    name: str,
    kind: str,
    today: date,
    reason: str = "",
) -> Declaration:
    """Record a handler's declaration (§6d) in the case metadata and the case log.

    ``habil`` needs no reason; ``ikke-aktuelt`` says why the question does not arise, and
    ``inhabil`` why the handler is biased. A handler who has declared bias stays so for
    this case: a later declaration for the same key is refused.
    """
    if kind not in DECLARATIONS:
        raise CaseError(f"Ukjent erklæring «{kind}». Velg en av: {', '.join(DECLARATIONS)}.")
    name = name.strip()
    reason = reason.strip()
    if not name:
        raise CaseError("Oppgi saksbehandlerens navn (--name).")
    if kind != "habil" and not reason:
        raise CaseError(
            "Oppgi en begrunnelse: hvorfor spørsmålet ikke oppstår, eller hvorfor "
            "saksbehandleren er inhabil (§6d)."
        )
    if len(reason) > MAX_REASON or len(name) > 200:
        raise CaseError(f"Begrunnelsen er for lang (høyst {MAX_REASON} tegn).")
    case = load_case(store, thread)
    for earlier in declarations(case.meta):
        if earlier.fingerprint == fingerprint and earlier.biased:
            raise CaseError(
                f"{earlier.name} har allerede erklært seg inhabil i denne saken "
                f"({earlier.day}) og kan ikke velges som saksbehandler (§6d)."
            )
    found = Declaration(fingerprint, name, kind, reason, today.isoformat())
    case.meta.declarations.append(asdict(found))
    record(store, case, "habilitet", found.line() + " (§6d)", today=today)
    return found


def impartial_handler(case: CaseView, fingerprint: str) -> Declaration:
    """The handler's declaration, if they may be given the case; CaseError otherwise."""
    mine = [d for d in declarations(case.meta) if d.fingerprint == fingerprint]
    if any(d.biased for d in mine):
        raise CaseError(
            "Saksbehandleren har erklært seg inhabil i denne saken og kan ikke få saksmappen "
            "(§6d). Velg en annen saksbehandler."
        )
    if not mine:
        raise CaseError(
            "Saksbehandleren har ikke avgitt habilitetserklæring i denne saken (§6d). Før den "
            "inn først: «varsel-inbox case declare SAK --to NØKKEL.pub --name NAVN --impartial» "
            "(eller --not-applicable GRUNN)."
        )
    return mine[-1]
