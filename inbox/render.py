"""How reports, threads and cases look to the office: Norwegian labels, terminal and JSON.

The report's questions and answers are shown with the office's words from the question
catalogue (``report_form.catalogue``), in bokmål unless a language is asked for (the desk).

Report content comes from anonymous senders and is untrusted: control characters (which
could drive the terminal) and bidirectional overrides (which can make text read
differently from what it is) are removed before display (``inbox.untrusted.clean``), in
the terminal and in ``--json`` alike, and content is always printed as rich ``Text``,
never parsed as markup.
"""

from datetime import date
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from crypto.payload import AttachmentRef, Report
from report_form import catalogue

from . import statuses
from .case import LEVELS, LOG_KINDS, STATES, TRANSITIONS, CaseView
from .deadlines import days_since
from .threads import InboundEntry, OutboundEntry, ThreadSummary, ThreadView
from .untrusted import clean, clean_json


def antall(n: int, en: str, flere: str) -> str:
    """A count with the right noun: ``antall(1, "dag", "dager")`` is "1 dag", 0 and 2 or
    more take the plural, as in Norwegian."""
    return f"{n} {en if n == 1 else flere}"


def days_elapsed(days: int) -> str:
    """Elapsed days since a report came in, with the deadline the guidelines set."""
    return f"{antall(days, 'dag', 'dager')} siden mottatt (frist: uten unødig opphold)"


def answer_text(key: str, value: str | list[str], lang: str = "nb") -> str:
    """The answer as the office reads it: a choice by its office label (in ``lang``), free
    text cleaned (never translated)."""
    question = catalogue.by_key(catalogue.QUESTIONS).get(key)

    def one(v: str) -> str:
        if question is None:
            return clean(v)
        return clean(catalogue.answer_label(question, v, lang, office=True))

    if isinstance(value, list):
        return ", ".join(one(v) for v in value) or "–"
    return one(value)


def answer_rows(report: Report, lang: str = "nb") -> list[tuple[str, str, str]]:
    """(key, label, readable answer) in the form's order, answered questions only; the
    office's labels in ``lang`` (bokmål unless asked)."""
    rows = []
    for question in catalogue.QUESTIONS:
        value = report.answers.get(question.key)
        if value is None or value == "" or value == []:
            continue
        rows.append(
            (question.key, question.office.of(lang), answer_text(question.key, value, lang))
        )
    return rows


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB".replace(".", ",")
    return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")


def attachment_line(ref: AttachmentRef) -> str:
    return f"{clean(ref.name)} ({human_size(ref.size)}, {clean(ref.media_type)})"


def status_label(status: str) -> str:
    return statuses.status_label(status)


# -- JSON ------------------------------------------------------------------------------------


def _attachments_json(refs: tuple[AttachmentRef, ...]) -> list[dict[str, Any]]:
    return [
        {"name": clean(r.name), "size": r.size, "media_type": clean(r.media_type), "blob": r.blob}
        for r in refs
    ]


def summary_json(s: ThreadSummary) -> dict[str, Any]:
    return {
        "id": s.id,
        "received_day": s.received_day,
        "days_since_received": s.days,
        "status": s.status,
        "status_label": status_label(s.status),
        "case_state": s.case_state,
        "items": s.items,
        "unread": s.unread,
        "deadlines": [
            {
                "what": d.what,
                "due": d.due.isoformat(),
                "done": d.done,
                "overdue": d.overdue,
                "days_left": d.days_left,
            }
            for d in s.deadlines
        ],
        "warnings": [w for d in s.deadlines if (w := d.warning)],
        "deleted": s.closed_day is not None,
        "closed_day": s.closed_day,
        "set_aside": s.set_aside,
    }


def thread_json(view: ThreadView, today: date) -> dict[str, Any]:
    entries: list[dict[str, Any]] = []
    for e in view.entries:
        if isinstance(e, InboundEntry):
            entry: dict[str, Any] = {
                "type": e.kind,
                "id": e.id,
                "day": e.day,
                "unread": not e.read,
                "attachments": _attachments_json(e.payload.attachments),
            }
            if isinstance(e.payload, Report):
                entry["answers"] = clean_json(e.payload.answers)
                entry["answers_readable"] = [
                    {"question": k, "label": label, "answer": text}
                    for k, label, text in answer_rows(e.payload)
                ]
            else:
                entry["text"] = clean(e.payload.text)
        else:
            entry = {
                "type": e.kind,
                "id": e.id,
                "day": e.day,
                "exported_in": e.exported_in,
                "confirmed": e.confirmed,
            }
            if e.kind == "reply":
                entry["text"] = clean(e.text or "")
            else:
                entry["status"] = e.status
        entries.append(entry)
    return {
        "id": view.id,
        "received_day": view.received_day,
        "days_since_received": view.days_on(today),
        "status": view.status,
        "status_label": status_label(view.status),
        "entries": entries,
        "set_aside": [
            {
                "id": a.id,
                "type": a.kind,
                "day": a.day,
                "set_aside_day": a.set_aside_day,
                "reason": clean(a.reason),
            }
            for a in view.set_aside
        ],
    }


def case_json(case: CaseView) -> dict[str, Any]:
    return {
        "thread": case.thread,
        "state": case.state,
        "state_label": STATES[case.state],
        "opened_day": case.opened_day,
        "state_day": case.state_day,
        "review_day": case.review_day,
        "level": case.meta.level,
        "central_office": case.meta.central_office,
        "employer": case.meta.employer,
        "possible_crime": case.meta.possible_crime,
        "handler": clean(case.meta.handler) if case.meta.handler else None,
        "declarations": clean_json(case.meta.declarations),
        "kontradiksjon": clean_json(case.meta.kontradiksjon),
        "marks": clean_json(case.meta.marks),
        "decision": clean_json(case.meta.decision),
        "reactions": clean_json(case.meta.reactions),
        "log": [{"day": e.day, "kind": e.kind, "text": clean(e.text)} for e in case.log],
    }


# -- terminal --------------------------------------------------------------------------------


def render_list(console: Console, rows: list[ThreadSummary]) -> None:
    if not rows:
        console.print("Ingen saker ennå. Importer en pakke fra portalen med «varsel-inbox import».")
        return
    table = Table(title="Saker", show_lines=False)
    table.add_column("Sak", no_wrap=True)
    table.add_column("Mottatt", no_wrap=True)
    table.add_column("Dager", justify="right")
    table.add_column("Status")
    table.add_column("Behandling")
    table.add_column("Nye", justify="right")
    table.add_column("Frister")
    for s in rows:
        warnings = [w for d in s.deadlines if (w := d.warning)]
        if s.set_aside:
            warnings.append(f"{s.set_aside} lagt til side (se «show»)")
        overdue = any(d.overdue for d in s.deadlines)
        table.add_row(
            s.id[:8],
            s.received_day,
            str(s.days),
            status_label(s.status),
            (
                Text(f"{s.case_state} – slettet {s.closed_day} (§6b)", style="dim")
                if s.closed_day
                else s.case_state or "–"
            ),
            Text(f"● {s.unread}", style="bold") if s.unread else Text("0"),
            Text("\n".join(warnings) or "ok", style="bold red" if overdue else ""),
        )
    console.print(table)
    console.print(
        "Status = det varsleren ser. Nye = uleste elementer. Frister: bekreftelse innen "
        "7 dager, tilbakemelding innen 3 måneder.\n"
        "Skriv «varsel-inbox show SAK» med starten av saks-ID-en for å lese en sak.",
        style="dim",
    )


def _entry_panel(e: InboundEntry | OutboundEntry) -> Panel:
    if isinstance(e, InboundEntry):
        new = " [ULEST]" if not e.read else ""
        body: list[Any] = []
        if isinstance(e.payload, Report):
            title = f"Varsel mottatt {e.day}{new}"
            table = Table.grid(padding=(0, 2))
            table.add_column(style="bold", ratio=1)
            table.add_column(ratio=2)
            for _, label, text in answer_rows(e.payload):
                table.add_row(Text(label), Text(text))
            body.append(table)
        else:
            title = f"Melding fra varsleren {e.day}{new}"
            body.append(Text(clean(e.payload.text)))
        if e.payload.attachments:
            body.append(Text("\nVedlegg:", style="bold"))
            for ref in e.payload.attachments:
                body.append(Text(f"  • {attachment_line(ref)}"))
        return Panel(Group(*body), title=title, title_align="left", border_style="cyan")
    state = (
        "bekreftet mottatt av portalen"
        if e.confirmed
        else (f"sendt i pakke {e.exported_in}" if e.exported_in else "i kø, ikke eksportert ennå")
    )
    if e.kind == "reply":
        return Panel(
            Text(clean(e.text or "")),
            title=f"Svar fra partikontoret {e.day} ({state})",
            title_align="left",
            border_style="green",
        )
    return Panel(
        Text(f"Status satt til «{status_label(e.status or '')}»"),
        title=f"Statusendring {e.day} ({state})",
        title_align="left",
        border_style="yellow",
    )


def render_thread(
    console: Console, view: ThreadView, case: CaseView | None, today: date
) -> None:
    console.print(
        Text.assemble(
            ("Sak ", "bold"),
            (view.id, "bold"),
            f"  mottatt {view.received_day} – {days_elapsed(view.days_on(today))}"
            f"  ·  status: {status_label(view.status)}",
        )
    )
    if case is not None:
        console.print(f"Til behandling: {STATES[case.state]} · nivå {LEVELS[case.meta.level]}")
    for entry in view.entries:
        console.print(_entry_panel(entry))
    for aside in view.set_aside:
        console.print(
            Panel(
                Text(
                    f"Elementet ({aside.kind}, mottatt {aside.day}) kunne ikke leses og ble lagt "
                    f"til side {aside.set_aside_day}: {clean(aside.reason)}. Det er tatt vare "
                    "på kryptert i innboksen og kvittert til portalen. Svar gjerne varsleren "
                    "og be om å få det sendt på nytt."
                ),
                title=f"Lagt til side: element {aside.id[:8]}",
                title_align="left",
                border_style="red",
            )
        )


def render_case(console: Console, case: CaseView, received_day: str, today: date) -> None:
    meta = case.meta
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row("Sak", case.thread)
    grid.add_row("Tilstand", f"{case.state}: {STATES[case.state]} (siden {case.state_day})")
    grid.add_row("Nivå (§8.2)", LEVELS[meta.level])
    grid.add_row("Saksbehandler (§6a)", Text(clean(meta.handler or "–")))
    grid.add_row("Merknader", "\n".join(meta.flags()) or "–")
    grid.add_row("Åpnet", case.opened_day)
    grid.add_row(
        "Tid brukt", days_elapsed(days_since(received_day, today))
    )
    if case.review_day:
        grid.add_row("Revurderes", case.review_day)
    k = meta.kontradiksjon
    if k:
        grid.add_row(
            "Kontradiksjon",
            f"orientert {k.get('told_day', '–')} (§9.2) · innsyn {k.get('access_day', '–')}, "
            f"frist for uttale {k.get('reply_by', '–')} (§10.2)",
        )
    if meta.decision:
        grid.add_row("Avgjort (§10.4)", f"{meta.decision['day']}: {meta.decision['outcome']}")
    for reaction in meta.reactions:
        grid.add_row(
            "Suspensjon/reaksjon", f"{reaction['type']}, revurderes {reaction['review_day']}"
        )
    next_states = ", ".join(_next(case.state)) or "ingen (sluttilstand)"
    grid.add_row("Neste mulige", next_states)
    console.print(Panel(grid, title="Saksbehandling", title_align="left"))
    log = Table(title="Logg (§9.5)", show_lines=True)
    log.add_column("Dato", no_wrap=True)
    log.add_column("Type")
    log.add_column("Tekst")
    for entry in case.log:
        log.add_row(entry.day, LOG_KINDS.get(entry.kind, entry.kind), Text(clean(entry.text)))
    console.print(log)


def _next(state: str) -> tuple[str, ...]:
    return TRANSITIONS[state]
