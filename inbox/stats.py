"""Anonymous statistics for equal treatment of like cases (§1): counts only.

Reports per quarter, kind, handling level (§8.2), time to acknowledgement and to feedback
against the deadlines (inbox.deadlines), outcomes (§10.4) and suspensions and reactions
(§13, §14). Never content, and never a small cell: a count from 1 to 4 is shown as «<5»
(``MIN_CELL``). When a table would have exactly one such cell, the next smallest count is
hidden too («skjult»), so that the hidden one cannot be worked out from the total.

Cases closed out under §6b keep only their tombstone (days and final state): they are
counted by quarter and acknowledgement, and as «slettet (§6b)» where the content is gone.
"""

import csv
import io
from dataclasses import dataclass
from datetime import date

from crypto.payload import Report, decode_payload

from .deadlines import ACK_DAYS, FEEDBACK_MONTHS, ack_due, feedback_due
from .store import Store

MIN_CELL = 5
HIDDEN = "<5"
ALSO_HIDDEN = "skjult"  # hidden only so that a «<5» cannot be worked out
GONE = "slettet (§6b)"

KIND_LABELS = {
    "harassment": "Trakassering",
    "sexual_harassment": "Seksuell trakassering",
    "other": "Noe annet",
    "unsure": "Usikker",
}
LEVEL_LABELS = {
    "partikontoret": "Partikontoret",
    "fylkesparti": "Fylkespartiet",
    "lokallag": "Lokallaget",
}
OUTCOME_LABELS = {
    "trakassering": "Trakassering lagt til grunn",
    "ikke-trakassering": "Trakassering ikke lagt til grunn",
    "annet": "Annet utfall",
}
REACTION_LABELS = {
    "suspensjon-verv": "Fratreden av verv (§13.1)",
    "suspensjon-medlemskap": "Suspensjon av medlemskap (§13.2)",
    "reaksjon": "Reaksjon (§14)",
}


@dataclass(frozen=True)
class Table:
    title: str
    cells: list[tuple[str, int]]

    def shown(self) -> list[tuple[str, str]]:
        """The cells as printed: small counts hidden, plus one more if only one is."""
        small = {label for label, n in self.cells if 0 < n < MIN_CELL}
        also = set()
        if len(small) == 1:
            others = sorted((n, label) for label, n in self.cells if n > 0 and label not in small)
            if others:
                also.add(others[0][1])
        return [
            (label, HIDDEN if label in small else ALSO_HIDDEN if label in also else str(n))
            for label, n in self.cells
        ]


def quarter(day: str) -> str:
    d = date.fromisoformat(day)
    return f"{d.year}-K{(d.month - 1) // 3 + 1}"


def _count(values: list[str], order: dict[str, str] | None = None) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    if order is None:
        return sorted(counts.items())
    labels = [(order[k], counts.pop(k, 0)) for k in order]
    return labels + sorted(counts.items())


def collect(store: Store, today: date) -> list[Table]:
    quarters: list[str] = []
    kinds: list[str] = []
    levels: list[str] = []
    acks: list[str] = []
    feedback: list[str] = []
    outcomes: list[str] = []
    reactions: list[str] = []
    for thread, received_day, closed in store.thread_days():
        received = date.fromisoformat(received_day)
        quarters.append(quarter(received_day))
        acked = store.first_acknowledged_day(thread)
        acks.append(_timing(received, acked, ack_due(received), today))
        if closed is not None:
            kinds.append(GONE)
            levels.append(GONE)
            feedback.append(GONE)
            continue
        replied = store.first_feedback_day(thread)
        feedback.append(_timing(received, replied, feedback_due(received), today))
        kinds.append(_kind(store, thread))
        case = store.case(thread)
        if case is None:
            levels.append("Ikke tatt inn som sak")
            continue
        meta = case.meta
        levels.append(meta["level"])
        if meta.get("decision"):
            outcomes.append(meta["decision"]["outcome"])
        reactions.extend(r["type"] for r in meta.get("reactions", []))
    return [
        Table("Varsler per kvartal", _count(quarters)),
        Table("Hva slags forhold", _count(kinds, KIND_LABELS)),
        Table("Nivå (§8.2)", _count(levels, LEVEL_LABELS)),
        Table(f"Bekreftelse (frist {ACK_DAYS} dager)", _count(acks, TIMING)),
        Table(f"Tilbakemelding (frist {FEEDBACK_MONTHS} måneder)", _count(feedback, TIMING)),
        Table("Utfall (§10.4)", _count(outcomes, OUTCOME_LABELS)),
        Table("Suspensjon og reaksjoner (§13, §14)", _count(reactions, REACTION_LABELS)),
    ]


TIMING = {
    "innen": "Innen fristen",
    "etter": "Etter fristen",
    "venter": "Ikke ennå, fristen løper",
    "over": "Ikke ennå, fristen er passert",
}


def _timing(received: date, done: str | None, due: date, today: date) -> str:
    if done is not None:
        return "innen" if date.fromisoformat(done) <= due else "etter"
    return "venter" if today <= due else "over"


def _kind(store: Store, thread: str) -> str:
    for item in store.items_of(thread, "report"):
        payload = decode_payload(item.plaintext)
        if isinstance(payload, Report):
            kind = payload.answers.get("kind")
            if isinstance(kind, str) and kind in KIND_LABELS:
                return kind
    return "Ikke oppgitt"


def to_csv(tables: list[Table]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["tabell", "kategori", "antall"])
    for table in tables:
        for label, shown in table.shown():
            writer.writerow([table.title, label, shown])
    return buffer.getvalue()


def to_text(tables: list[Table]) -> str:
    lines = []
    for table in tables:
        lines.append(table.title)
        width = max((len(label) for label, _ in table.cells), default=0)
        for label, shown in table.shown():
            lines.append(f"  {label.ljust(width)}  {shown:>4}")
        if not table.cells:
            lines.append("  (ingen)")
        lines.append("")
    lines.append(
        f"Antall fra 1 til {MIN_CELL - 1} vises som «{HIDDEN}»; «{ALSO_HIDDEN}» er skjult for at "
        "et lite antall ikke skal kunne regnes ut (§1, §6a)."
    )
    return "\n".join(lines)


def to_pdf(tables: list[Table], today: date) -> bytes:
    from .casefile import StatsPDF, find_unicode_font

    pdf = StatsPDF(find_unicode_font())
    pdf.alias_nb_pages()
    pdf.set_creator("varsel-inbox")
    pdf.set_title("Statistikk")
    pdf.add_page()
    pdf.title_line("Varsler om trakassering – statistikk")
    pdf.para(
        f"Laget {today.isoformat()}. Bare antall, for likebehandling av like "
        f"saker (§1). Antall fra 1 til {MIN_CELL - 1} vises som «{HIDDEN}».",
        size=9,
    )
    for table in tables:
        pdf.heading(table.title)
        for label, shown in table.shown() or [("(ingen)", "")]:
            pdf.para(f"{label}: {shown}" if shown else label)
    return bytes(pdf.output())
