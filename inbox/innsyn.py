"""Kontradiksjon (§6c, §9.2, §10.2): telling the accused, access with a time limit, and the
innsyn extract.

§9.2: the handler contacts the person the report is about and records their version; the
day they were told is recorded. §10.2: they are given access to statements and other
evidence ("innsyn i forklaringer og andre bevis") and reasonable time to reply; the access
day and the time limit are recorded, and the time limit is a deadline in ``list``.

The **innsyn extract** is a PDF built from the case for the accused. It contains what
§10.2 entitles them to see -- the report's answers, the reporter's later statements and
the minutes of conversations (§9.5) -- and leaves out:

- always: the reporter's identity and contact wishes, the office's internal notes and
  replies, and the days of each entry;
- what the office marks as identifying (§6a, §10.2: the protection of the person said to
  be harassed): names, places and dates are blacked out as «[skjult]» wherever they occur
  (any case, any spacing), whole answers (``--field``) and attachments are left out.

What was disclosed, to whom and when is written in the case log. The full case file is
never the default.
"""

import re
from datetime import date
from pathlib import Path

from crypto.payload import Report
from report_form import catalogue

from . import case as cases
from .casefile import CaseFilePDF, find_unicode_font
from .errors import CaseError
from .render import answer_rows, attachment_line
from .store import Store
from .threads import InboundEntry, ThreadView

REDACTED = "[skjult]"
# Never in an extract: who the reporter is and how to reach them.
NEVER_DISCLOSED = frozenset({"identity", "contact_wanted", "contact_how"})


def office_label(key: str) -> str:
    """The office's bokmål label of a question in the catalogue."""
    return catalogue.by_key(catalogue.QUESTIONS)[key].office.nb


MARK_KINDS: dict[str, str] = {
    "names": "navn",
    "places": "steder",
    "dates": "datoer",
    "attachments": "vedlegg",
    "fields": "svar",
}
TEXT_MARKS = ("names", "places", "dates")
MAX_MARK = 500


def _day(value: date, what: str, today: date) -> str:
    if value > today:
        raise CaseError(f"{what} kan ikke ligge fram i tid.")
    return value.isoformat()


def record_told(store: Store, thread: str, day: date, *, today: date) -> cases.CaseView:
    """§9.2: the day the accused was told what the report is about."""
    case = cases.load_case(store, thread)
    if case.state == "mottatt":
        raise CaseError("Bekreft kontakten med varsleren først (§9.1): «case state SAK bekreftet».")
    case.meta.kontradiksjon["told_day"] = _day(day, "Dagen den anklagede ble orientert", today)
    return cases.record(
        store,
        case,
        "kontradiksjon",
        f"Den anklagede orientert om hva varselet gjelder {day.isoformat()} (§9.2).",
        today=today,
    )


def record_access(
    store: Store, thread: str, day: date, reply_by: date, *, today: date
) -> cases.CaseView:
    """§10.2: access to statements and evidence given on ``day``, reply due ``reply_by``."""
    case = cases.load_case(store, thread)
    if case.state != "kontradiksjon":
        raise CaseError(
            f"Saken er i tilstanden «{case.state}». Innsyn og frist for uttale (§10.2) føres "
            "i tilstanden «kontradiksjon»: «case state SAK kontradiksjon»."
        )
    if "told_day" not in case.meta.kontradiksjon:
        raise CaseError(
            "Før først når den anklagede ble orientert om varselet (§9.2): "
            "«case accused-told SAK --day ÅÅÅÅ-MM-DD»."
        )
    given = _day(day, "Dagen innsyn ble gitt", today)
    if reply_by <= day:
        raise CaseError("Fristen for uttale må ligge etter dagen innsyn ble gitt (§10.2).")
    case.meta.kontradiksjon.update(access_day=given, reply_by=reply_by.isoformat())
    return cases.record(
        store,
        case,
        "kontradiksjon",
        f"Den anklagede gitt innsyn {given} med frist for uttale {reply_by.isoformat()} "
        "(§10.2).",
        today=today,
    )


def mark(
    store: Store, thread: str, marks: dict[str, list[str]], *, today: date
) -> cases.CaseView:
    """Add marks of identifying parts (§6a, §10.2); the marks are wrapped with the case."""
    case = cases.load_case(store, thread)
    added: dict[str, int] = {}
    for kind, values in marks.items():
        if kind not in MARK_KINDS:
            raise CaseError(f"Ukjent merking «{kind}».")
        for raw in values:
            value = " ".join(raw.split())
            if not value or len(value) > MAX_MARK:
                raise CaseError(f"Merkingen «{raw[:40]}» er tom eller for lang.")
            if kind == "fields" and value not in catalogue.keys():
                raise CaseError(
                    f"Ukjent svarfelt «{value}». Velg blant: {', '.join(catalogue.keys())}."
                )
            existing = case.meta.marks.setdefault(kind, [])
            if value not in existing:
                existing.append(value)
                added[kind] = added.get(kind, 0) + 1
    if not added:
        raise CaseError("Ingenting nytt å merke.")
    summary = ", ".join(f"{n} {MARK_KINDS[k]}" for k, n in added.items())
    return cases.record(
        store, case, "merket", f"Merket som identifiserende: {summary} (§6a, §10.2).", today=today
    )


def redactor(marks: dict[str, list[str]]) -> "re.Pattern[str] | None":
    """One pattern for every marked name, place and date: any case, any whitespace."""
    words = sorted({v for k in TEXT_MARKS for v in marks.get(k, [])}, key=len, reverse=True)
    if not words:
        return None
    parts = [r"\s+".join(re.escape(w) for w in value.split()) for value in words]
    return re.compile("|".join(parts), re.IGNORECASE)


def redact(text: str, pattern: "re.Pattern[str] | None") -> str:
    return pattern.sub(REDACTED, text) if pattern is not None else text


def build_extract(
    view: ThreadView, case: cases.CaseView, *, today: date
) -> tuple[bytes, str]:
    """The extract PDF and a one-line account of what it discloses (for the case log)."""
    marks = case.meta.marks
    pattern = redactor(marks)
    hidden_fields = NEVER_DISCLOSED | set(marks.get("fields", []))
    hidden_files = {a.casefold() for a in marks.get("attachments", [])}

    pdf = CaseFilePDF(view.id, find_unicode_font())
    pdf.alias_nb_pages()
    pdf.set_creator("varsel-inbox")
    pdf.set_title(f"Innsyn {view.id[:8]}")
    pdf.add_page()
    pdf.title_line("Innsyn i forklaringer og bevis (§10.2)")
    reply_by = case.meta.kontradiksjon.get("reply_by")
    pdf.para(
        "Du er den varselet gjelder. Du har rett til innsyn i forklaringer og andre bevis i "
        "saken og til rimelig tid til å uttale deg om dem (§10.2). Saksbehandlingen er "
        "skriftlig. Opplysninger som kan identifisere den som har varslet eller andre, er "
        f"holdt tilbake eller erstattet med {REDACTED} (§6a). Dokumentet er konfidensielt: "
        "del det bare med den som bistår deg.",
        size=9,
    )
    pdf.ln(2)
    pdf.field("Sak", view.id[:8])
    pdf.field("Utdraget er laget", today.isoformat())
    pdf.field("Frist for uttale (§10.2)", reply_by or "Avtales med saksbehandleren")

    answers = 0
    report = view.report
    if isinstance(report, Report):
        pdf.heading("Varselet")
        for key, label, text in answer_rows(report):
            if key in hidden_fields:
                continue
            pdf.field(label, redact(text, pattern))
            answers += 1
    messages = 0
    files: list[str] = []
    for entry in view.entries:
        if not isinstance(entry, InboundEntry):
            continue
        if not isinstance(entry.payload, Report):
            if messages == 0:
                pdf.heading("Senere forklaringer fra varsleren")
            messages += 1
            pdf.para(f"Forklaring {messages}", bold=True)
            pdf.para(redact(entry.payload.text, pattern))
            pdf.ln(2)
        for ref in entry.payload.attachments:
            if ref.name.casefold() not in hidden_files:
                files.append(redact(attachment_line(ref), pattern))
    minutes = [e.text for e in case.log if e.kind == "referat"]
    if minutes:
        pdf.heading("Referater fra samtaler (§9.5)")
        for number, text in enumerate(minutes, 1):
            pdf.para(f"Referat {number}", bold=True)
            pdf.para(redact(text, pattern))
            pdf.ln(2)
    if files:
        pdf.heading("Andre bevis")
        pdf.para("Disse vedleggene gis deg separat av saksbehandleren:", size=9)
        for line in files:
            pdf.para(f"• {line}")
    held = [f"{len(marks[k])} {MARK_KINDS[k]}" for k in MARK_KINDS if marks.get(k)]
    account = (
        f"varselet ({answers} svar), {messages} forklaringer, {len(minutes)} referater, "
        f"{len(files)} vedlegg oppført; holdt tilbake som identifiserende: "
        f"{', '.join(held) or 'ingenting merket'}; alltid holdt tilbake: "
        f"{', '.join(office_label(k).lower() for k in sorted(NEVER_DISCLOSED))}, "
        "interne notater og svar"
    )
    return bytes(pdf.output()), account


def write_extract(store: Store, thread: str, accused: str, path: Path, *, today: date) -> None:
    """The extract for the accused written as PDF to ``path`` (never overwriting) and the
    hand-over logged: to whom, when, and what it holds (§10.2)."""
    from .casefile import write_casefile
    from .threads import load_thread

    if not accused.strip():
        raise CaseError("Oppgi hvem utdraget gis til.")
    case = cases.load_case(store, thread)
    if "access_day" not in case.meta.kontradiksjon:
        raise CaseError(
            "Før først at innsyn er gitt og fristen for uttale (§10.2): "
            "«case access SAK --reply-by ÅÅÅÅ-MM-DD»."
        )
    data, account = build_extract(load_thread(store, thread), case, today=today)
    write_casefile(data, path)
    cases.log_event(
        store,
        thread,
        "innsyn",
        f"Innsynsutdrag (PDF) gitt til {accused.strip()} {today}: {account} (§10.2).",
        today=today,
    )
