"""Reports that did not come through the portal (§5, §7.1-§7.3, §9.5).

A report may come by phone, in a conversation, by e-mail, from a leader who was told
(§7.2: leaders pass it on to the party office without undue delay) or from
varslingsutvalget (§7.3). §5 says such information is handled like a report, and §9.5
that every report is written down and every conversation minuted.

``open_intake`` makes it a thread and a case like any other: the same answers as the web
form (``crypto.payload.check_answers`` -- one validator for both), kept wrapped in the
store as a ``report`` item, so it is listed, handled, exported and counted like a report
from the portal. Who received it, how and when are the first line of the case log; the
minutes (§9.5) the second.

Such a thread has no reporter key and no thread on the portal: nothing is ever sent to
the portal for it (``outbox.has_portal_thread``). The reporter is kept informed (§9.4)
the way they made contact, and the office records it with ``case note --kind informert``.
"""

import secrets
from dataclasses import dataclass
from datetime import date

from crypto.errors import MalformedError
from crypto.payload import Answers, Report, check_answers, encode_payload
from report_form import catalogue

from . import case as cases
from .errors import CaseError
from .store import Store, ThreadMeta

CHANNELS: dict[str, str] = {
    "telefon": "per telefon",
    "samtale": "i samtale",
    "epost": "per e-post",
    "leder": "fra en leder som fikk henvendelsen (§7.2)",
    "varslingsutvalget": "fra varslingsutvalget (§7.3)",
}
PASSED_ON = frozenset({"leder", "varslingsutvalget"})
MAX_TEXT = 100_000


@dataclass(frozen=True)
class Intake:
    thread: str
    case: cases.CaseView
    advice: list[str]


def parse_answers(pairs: tuple[str, ...]) -> Answers:
    """``KEY=VALUE`` pairs as typed on the command line; several roles comma-separated."""
    answers: Answers = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        question = catalogue.by_key(catalogue.QUESTIONS).get(key)
        if not sep or question is None:
            raise CaseError(
                f"«{pair[:40]}» er ikke SPØRSMÅL=SVAR med et kjent spørsmål. Spørsmålene er: "
                f"{', '.join(catalogue.keys())}."
            )
        if question.kind is catalogue.SEVERAL:
            answers[key] = [v.strip() for v in value.split(",") if v.strip()]
        else:
            answers[key] = value.strip()
    return answers


def open_intake(
    store: Store,
    *,
    answers: Answers,
    received_by: str,
    channel: str,
    day: date,
    minutes: str,
    today: date,
    source_day: date | None = None,
    level: str | None = None,
) -> Intake:
    """Record a report received outside the portal, as a thread and an open case."""
    if channel not in CHANNELS:
        raise CaseError(f"Ukjent kanal «{channel}». Velg en av: {', '.join(CHANNELS)}.")
    received_by = " ".join(received_by.split())
    if not received_by:
        raise CaseError("Oppgi hvem som tok imot henvendelsen (--received-by).")
    if day > today:
        raise CaseError("Mottaksdagen kan ikke ligge fram i tid.")
    if source_day is not None and (source_day > day):
        raise CaseError(
            "Dagen lederen eller utvalget fikk henvendelsen, ligger etter mottaksdagen."
        )
    if source_day is not None and channel not in PASSED_ON:
        raise CaseError("--source-day brukes bare når en leder eller varslingsutvalget formidlet.")
    if not minutes.strip():
        raise CaseError("Referatet er tomt: alle henvendelser skal nedtegnes (§9.5).")
    if len(minutes) > MAX_TEXT:
        raise CaseError(f"Referatet er for langt (høyst {MAX_TEXT} tegn).")
    try:
        checked = check_answers(answers)
    except MalformedError as exc:
        raise CaseError(f"Svarene passer ikke til skjemaet: {exc}.") from exc
    # No reporter key: nothing can be sealed to this reporter, nothing goes to the portal.
    report = Report(checked, bytes(32))
    thread = "m" + secrets.token_urlsafe(12)
    item = secrets.token_urlsafe(12)
    how = f"Mottatt {CHANNELS[channel]} av {received_by} {day.isoformat()} (§5, §7)."
    if source_day is not None:
        how += (
            f" Formidlet {(day - source_day).days} dager etter at "
            f"{'lederen' if channel == 'leder' else 'utvalget'} fikk den {source_day} "
            "(«uten unødig opphold», §7.2, §7.3)."
        )
    with store.transaction():
        store.add_thread(thread, day.isoformat(), ThreadMeta(None, portal=False))
        store.add_item(
            item,
            thread,
            "report",
            day.isoformat(),
            store.next_position(),
            encode_payload(report),
            read=True,
        )
    try:
        _, advice = cases.open_case(store, thread, level=level, today=today)
        with store.transaction():
            cases.log_in(store, thread, "mottatt-utenfor", how, today=today)
            cases.log_in(store, thread, "referat", minutes.strip(), today=today)
    except BaseException:
        store.remove_thread(thread)
        raise
    return Intake(thread, cases.load_case(store, thread), advice)

