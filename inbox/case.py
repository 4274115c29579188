"""A report in handling: states, allowed transitions and the dated case log (§8-§14).

States follow the guidelines against harassment (§9–§14; see docs/OFFICE-GUIDE.md)::

    mottatt -> bekreftet (§9.1) -> anklagedes-versjon (§9.2) -> omforent-losning (§9.3)
      omforent-losning -> avsluttet            (an agreed solution was reached)
      omforent-losning -> undersokelse (§10.1) (no agreed solution)
        -> kontradiksjon (§10.2) -> avgjort (§10.4) -> reaksjon (§13/§14) -> avsluttet
    avsluttet -> overlevert (§6b: documents handed to the party office, copies deleted)

The handling level (§8.2), flags (§11 employer, §1 possible crime) and a named handler
(§6a) are case metadata and stored wrapped; the state and its days are plaintext so the
list can show them without unlocking every case.
"""

import json
from dataclasses import asdict, dataclass, field
from datetime import date

from crypto.payload import Report

from .errors import CaseError
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

    def flags(self) -> list[str]:
        """What the guidelines say follows from this case's flags, one line each."""
        lines = []
        if self.central_office:
            lines.append("Sentralt verv – partikontoret håndterer alltid (§8.2)")
        if self.employer:
            lines.append("Arbeidsgiveransvar – behandles i samråd med arbeidsgiver (§11)")
        if self.possible_crime:
            lines.append("Mulig straffbart forhold – den utsatte oppfordres til å anmelde (§1)")
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


def _seal_meta(store: Store, thread: str, meta: CaseMeta) -> bytes:
    return store.seal(f"cases/{thread}", json.dumps(asdict(meta)).encode())


def _log(store: Store, thread: str, kind: str, text: str) -> None:
    row_id = store.db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM case_log").fetchone()[0]
    store.db.execute(
        "INSERT INTO case_log (id, thread, day, kind, sealed) VALUES (?, ?, ?, ?, ?)",
        (
            row_id,
            thread,
            date.today().isoformat(),
            kind,
            store.seal(f"case_log/{row_id}/{thread}", text.encode("utf-8")),
        ),
    )


def open_case(
    store: Store,
    thread: str,
    *,
    level: str | None = None,
    central_office: bool = False,
    employer: bool = False,
    possible_crime: bool = False,
    handler: str | None = None,
) -> tuple[CaseView, list[str]]:
    """Put a report into handling; returns the case and advice lines citing the guidelines."""
    if store.db.execute("SELECT 1 FROM cases WHERE thread = ?", (thread,)).fetchone():
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
    if answers.get("where") == "overnight_event":
        advice.append(
            "Hendelsen skjedde på en samling med overnatting: finn ut hvem som var "
            "kunngjort som kontaktpersoner (Bergen, kjøreregel 11)."
        )
    meta = CaseMeta(
        level=level or "partikontoret",
        central_office=central_office,
        employer=employer,
        possible_crime=possible_crime,
        handler=handler.strip() if handler and handler.strip() else None,
    )
    today = date.today().isoformat()
    with store.transaction() as db:
        db.execute(
            "INSERT INTO cases (thread, state, opened_day, state_day, review_day, sealed) "
            "VALUES (?, 'mottatt', ?, ?, NULL, ?)",
            (thread, today, today, _seal_meta(store, thread, meta)),
        )
        _log(store, thread, "opprettet", f"Nivå: {LEVELS[meta.level]}")
    return load_case(store, thread), advice


def load_case(store: Store, thread: str) -> CaseView:
    row = store.db.execute(
        "SELECT state, opened_day, state_day, review_day, sealed FROM cases WHERE thread = ?",
        (thread,),
    ).fetchone()
    if row is None:
        raise CaseError(
            f"Sak {thread[:8]} er ikke til behandling ennå. Bruk «varsel-inbox case open»."
        )
    state, opened_day, state_day, review_day, sealed = row
    meta = CaseMeta(**json.loads(store.unseal(f"cases/{thread}", sealed)))
    log = []
    for row_id, day, kind, sealed_text in store.db.execute(
        "SELECT id, day, kind, sealed FROM case_log WHERE thread = ? ORDER BY id", (thread,)
    ):
        text = store.unseal(f"case_log/{row_id}/{thread}", sealed_text).decode("utf-8")
        log.append(LogEntry(day=day, kind=kind, text=text))
    return CaseView(thread, state, opened_day, state_day, review_day, meta, log)


def has_case(store: Store, thread: str) -> bool:
    return (
        store.db.execute("SELECT 1 FROM cases WHERE thread = ?", (thread,)).fetchone() is not None
    )


def add_note(store: Store, thread: str, kind: str, text: str) -> None:
    if kind not in NOTE_KINDS:
        raise CaseError(f"Ukjent type «{kind}». Velg en av: {', '.join(NOTE_KINDS)}.")
    if not text.strip():
        raise CaseError("Notatet er tomt; ingenting er lagret.")
    if len(text) > MAX_NOTE:
        raise CaseError(f"Notatet er for langt (høyst {MAX_NOTE} tegn).")
    load_case(store, thread)
    with store.transaction():
        _log(store, thread, kind, text)


def log_event(store: Store, thread: str, kind: str, text: str) -> None:
    with store.transaction():
        _log(store, thread, kind, text)


def change_state(
    store: Store, thread: str, new_state: str, *, review_day: date | None = None
) -> CaseView:
    case = load_case(store, thread)
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
    today = date.today()
    if review_day is not None and review_day <= today:
        raise CaseError("Revurderingsdatoen må ligge fram i tid.")
    review = review_day.isoformat() if review_day else case.review_day
    text = f"{case.state} → {new_state}"
    if review_day is not None:
        text += f" (revurderes {review})"
    with store.transaction() as db:
        db.execute(
            "UPDATE cases SET state = ?, state_day = ?, review_day = ? WHERE thread = ?",
            (new_state, today.isoformat(), review, thread),
        )
        _log(store, thread, "tilstand", text)
    return load_case(store, thread)
