"""The case file (saksmappe) as PDF, for the handler and the archive (§6a, §6b, §9.5).

fpdf2 draws it. DejaVu Sans is used when installed (any Unicode text); otherwise the
built-in Helvetica, which covers Latin-1 -- æ, ø, å and § included -- and characters
outside Latin-1 are replaced (typographic quotes and dashes by their plain forms).

The PDF is NOT encrypted: it is meant to be printed or handed over in person, then
returned to the party office and deleted when the case is finished (§6b).
"""

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from crypto.payload import Report

from .case import LEVELS, LOG_KINDS, STATES, CaseView, declarations
from .deadlines import days_since
from .decision import REACTION_TYPES, decision_of, reactions_of
from .files import new_file
from .render import answer_rows, attachment_line, days_elapsed
from .statuses import status_label
from .threads import InboundEntry, ThreadView
from .untrusted import clean

if TYPE_CHECKING:
    from .store import Store

FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",
    "/Library/Fonts",
)
_PLAIN = {
    "\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
    "\u2026": "...", "\u2022": "*", "\u2192": "->", "\u00a0": " ",
}  # fmt: skip


def find_unicode_font() -> tuple[Path, Path] | None:
    for directory in FONT_DIRS:
        regular = Path(directory) / "DejaVuSans.ttf"
        bold = Path(directory) / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    return None


class CaseFilePDF(FPDF):
    def __init__(self, case_id: str, font: tuple[Path, Path] | None) -> None:
        super().__init__(format="A4")
        self.case_id = case_id
        self.unicode = font is not None
        if font is not None:
            self.add_font("Body", "", str(font[0]))
            self.add_font("Body", "B", str(font[1]))
            self.body_font = "Body"
        else:
            self.body_font = "Helvetica"
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(True, margin=18)

    def text_of(self, text: str) -> str:
        text = clean(text)
        if self.unicode:
            return text
        text = "".join(_PLAIN.get(ch, ch) for ch in text)
        return text.encode("latin-1", "replace").decode("latin-1")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.body_font, "", 8)
        self.cell(
            0,
            5,
            self.text_of(
                f"Konfidensielt (§6a) · sak {self.case_id[:8]} · side {self.page_no()}/{{nb}}"
            ),
            align="C",
        )

    def title_line(self, text: str) -> None:
        self.set_font(self.body_font, "B", 18)
        self.multi_cell(0, 9, self.text_of(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def heading(self, text: str) -> None:
        self.ln(3)
        self.set_font(self.body_font, "B", 13)
        self.multi_cell(0, 7, self.text_of(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def para(self, text: str, *, bold: bool = False, size: int = 10) -> None:
        self.set_font(self.body_font, "B" if bold else "", size)
        self.multi_cell(0, 5, self.text_of(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def field(self, label: str, value: str) -> None:
        self.set_font(self.body_font, "B", 10)
        self.multi_cell(0, 5, self.text_of(label), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(self.body_font, "", 10)
        self.set_x(self.l_margin + 6)
        self.multi_cell(
            0, 5, self.text_of(value or "-"), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        self.ln(1)


class StatsPDF(CaseFilePDF):
    """The statistics report (inbox.stats): no case, so no case id in the footer."""

    def __init__(self, font: tuple[Path, Path] | None) -> None:
        super().__init__("", font)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.body_font, "", 8)
        self.cell(0, 5, self.text_of(f"Statistikk · side {self.page_no()}/{{nb}}"), align="C")


def build_casefile(
    view: ThreadView,
    case: CaseView,
    *,
    font: tuple[Path, Path] | bool | None = True,
    today: date,
) -> bytes:
    """The PDF bytes. ``font=True`` looks for DejaVu; ``None``/``False`` forces Helvetica."""
    chosen = find_unicode_font() if font is True else (font or None)
    pdf = CaseFilePDF(view.id, chosen)
    pdf.alias_nb_pages()
    pdf.set_creator("varsel-inbox")
    pdf.set_title(f"Saksmappe {view.id[:8]}")
    pdf.add_page()

    pdf.title_line("Saksmappe – varsel om trakassering")
    pdf.para(
        "KONFIDENSIELT. Kun personer med saklig grunn til å kjenne saken skal lese denne "
        "mappen (§6a). Når saken er ferdigbehandlet, leveres den tilbake til partikontoret "
        "og kopier slettes (§6b).",
        size=9,
    )
    pdf.ln(2)
    meta = case.meta
    pdf.field("Sak", view.id)
    pdf.field("Nivå (§8.2)", LEVELS[meta.level])
    pdf.field("Tilstand", f"{STATES[case.state]} (siden {case.state_day})")
    pdf.field("Merknader", "\n".join(meta.flags()) or "Ingen")
    pdf.field("Saksbehandler (§6a)", meta.handler or "Ikke oppgitt")
    elapsed = days_since(view.received_day, today)
    pdf.field(
        "Mottatt",
        f"{view.received_day} – {days_elapsed(elapsed)}; "
        f"sak åpnet {case.opened_day}",
    )
    pdf.field("Status varsleren ser", status_label(view.status))
    if case.review_day:
        pdf.field("Revurderes (§13, §14)", case.review_day)
    pdf.field("Mappen laget", today.isoformat())

    report = view.report
    if isinstance(report, Report):
        pdf.heading("Varselet")
        for _, label, text in answer_rows(report):
            pdf.field(label, text)
        if report.attachments:
            pdf.field("Vedlegg", "\n".join(attachment_line(r) for r in report.attachments))

    pdf.heading("Samtalen med varsleren")
    for entry in view.entries:
        if isinstance(entry, InboundEntry):
            if isinstance(entry.payload, Report):
                pdf.para(f"{entry.day} – varselet mottatt (se over)", bold=True)
                pdf.ln(2)
                continue
            pdf.para(f"{entry.day} – melding fra varsleren", bold=True)
            pdf.para(entry.payload.text)
            for ref in entry.payload.attachments:
                pdf.para(f"Vedlegg: {attachment_line(ref)}", size=9)
        elif entry.kind == "reply":
            pdf.para(f"{entry.day} – svar fra partikontoret", bold=True)
            pdf.para(entry.text or "")
        else:
            label = status_label(entry.status or "")
            pdf.para(f"{entry.day} – status satt til «{label}»", bold=True)
        pdf.ln(2)

    _handling_sections(pdf, case)

    pdf.heading("Logg og referater (§9.4, §9.5)")
    for log in case.log:
        pdf.para(f"{log.day} – {LOG_KINDS.get(log.kind, log.kind)}", bold=True)
        pdf.para(log.text)
        pdf.ln(2)
    return bytes(pdf.output())


def _handling_sections(pdf: CaseFilePDF, case: CaseView) -> None:
    """Impartiality (§6d), kontradiksjon (§9.2, §10.2), decision (§10.4), §13/§14."""
    meta = case.meta
    if meta.declarations:
        pdf.heading("Habilitet (§6d)")
        for declared in declarations(meta):
            pdf.para(f"{declared.day} – {declared.line()}")
    k = meta.kontradiksjon
    if k:
        pdf.heading("Kontradiksjon (§9.2, §10.2)")
        pdf.field("Den anklagede orientert (§9.2)", k.get("told_day", "Ikke ført"))
        pdf.field("Innsyn gitt (§10.2)", k.get("access_day", "Ikke ført"))
        pdf.field("Frist for uttale (§10.2)", k.get("reply_by", "Ikke ført"))
    found = decision_of(meta)
    if found is not None:
        pdf.heading("Avgjørelse (§10.4)")
        for label, value in found.lines():
            pdf.field(label, value)
    reactions = reactions_of(meta)
    if reactions:
        pdf.heading("Suspensjon og reaksjoner (§13, §14)")
        for reaction in reactions:
            pdf.field(REACTION_TYPES[reaction.type], reaction.line())


def write_casefile(data: bytes, path: Path) -> None:
    with new_file(path) as f:
        f.write(data)


def export_plain(store: "Store", thread_id: str, path: Path, *, today: date) -> None:
    """The unencrypted PDF case file written to ``path`` (never overwriting), and logged."""
    from .case import load_case, log_event
    from .threads import load_thread

    data = build_casefile(load_thread(store, thread_id), load_case(store, thread_id), today=today)
    write_casefile(data, path)
    log_event(store, thread_id, "eksport", f"Saksmappe skrevet ({today}).", today=today)
