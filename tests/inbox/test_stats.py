"""``varsel-inbox stats``: counts only, small cells suppressed (§1, §6a)."""

import csv
import io
import re
from pathlib import Path

from .conftest import CANARY, Office, Portal, Reporter, answers, day
from .test_case import pdftotext, write
from .test_kontradiksjon import in_days


def test_stats_count_by_quarter_kind_level_and_deadlines_and_hide_small_cells(
    office: Office, portal: Portal, tmp_path: Path
) -> None:
    threads = []
    for n in range(12):
        kind = "harassment" if n < 6 else "sexual_harassment" if n < 11 else "other"
        received = "2025-11-03" if n < 5 else "2026-01-15"
        threads.append(
            portal.report(Reporter(), answers(f"{CANARY} {n}", kind=kind), received=received)
        )
    office.ok("import", write(tmp_path, portal.bundle()))
    for n, thread in enumerate(threads[:6]):
        office.ok("status", thread, "bekreftet")
        office.ok("case", "open", thread, *(("--level", "lokallag") if n == 5 else ()))

    result = office.ok("stats", "--csv", str(tmp_path / "s.csv"), "--pdf", str(tmp_path / "s.pdf"))
    rows = list(csv.reader(io.StringIO((tmp_path / "s.csv").read_text("utf-8"))))
    assert rows[0] == ["tabell", "kategori", "antall"]
    cells = {(table, label): count for table, label, count in rows[1:]}
    assert cells[("Varsler per kvartal", "2025-K4")] == "5"
    assert cells[("Varsler per kvartal", "2026-K1")] == "7"
    kind = "Hva slags forhold"
    assert cells[(kind, "Trakassering")] == "6"
    assert cells[(kind, "Noe annet")] == "<5"  # one report: suppressed
    assert cells[(kind, "Seksuell trakassering")] == "skjult"  # else 12 - 6 - 5 = 1
    assert cells[(kind, "Usikker")] == "0"
    level = "Nivå (§8.2)"
    assert cells[(level, "Lokallaget")] == "<5"
    assert cells[(level, "Partikontoret")] == "skjult"
    assert cells[(level, "Ikke tatt inn som sak")] == "6"
    ack = "Bekreftelse (frist 7 dager)"
    assert cells[(ack, "Etter fristen")] == "6"
    assert cells[(ack, "Ikke ennå, fristen er passert")] == "6"
    assert cells[(ack, "Innen fristen")] == "0"
    # Counts only: no content and no case ids anywhere.
    pdf_text = pdftotext(tmp_path / "s.pdf")
    for out in (result.output, (tmp_path / "s.csv").read_text("utf-8"), pdf_text):
        assert CANARY not in out
        assert not any(t[:6] in out for t in threads)
    assert "Lokallaget: <5" in pdf_text and "Trakassering: 6" in pdf_text
    assert "<5" in result.output
    again = office.run("stats", "--csv", str(tmp_path / "s.csv"))
    assert again.exit_code == 1 and "finnes allerede" in again.output


def decided(office: Office, thread: str, outcome: str, reaction: str | None) -> None:
    """Through kontradiksjon to a decision (§10.4), the reporter told, and a reaction."""
    office.ok("case", "open", thread)
    for state in ("bekreftet", "anklagedes-versjon"):
        office.ok("case", "state", thread, state)
    office.ok("case", "accused-told", thread)
    react = ("case", "reaction", thread, "--what", "Besluttet", "--from", day(0),
             "--review", in_days(90), "--decided-by", "Partisekretæren",
             "--told", "Lokallaget")  # fmt: skip
    if reaction is not None and reaction.startswith("suspensjon"):  # §13: while handled
        office.ok(*react, "--type", reaction)
    for state in ("omforent-losning", "undersokelse", "kontradiksjon"):
        office.ok("case", "state", thread, state)
    office.ok("case", "access", thread, "--reply-by", in_days(14))
    office.ok("case", "decide", thread, "--facts", "Det mest sannsynlige.", "--reasons", "Fordi.",
              "--outcome", outcome, "--decided-by", "Partisekretæren",
              "--tell", "Saken er avgjort.")  # fmt: skip
    if reaction == "reaksjon":  # §14: after the decision
        office.ok(*react, "--type", reaction)


def test_stats_count_outcomes_reactions_and_feedback_and_hide_small_cells(
    office: Office, portal: Portal, tmp_path: Path
) -> None:
    plan = [
        ("trakassering", "reaksjon"),
        ("trakassering", "reaksjon"),
        ("trakassering", "reaksjon"),
        ("trakassering", "reaksjon"),
        ("trakassering", "reaksjon"),
        ("ikke-trakassering", "suspensjon-verv"),
        ("annet", "suspensjon-medlemskap"),
    ]
    threads = [portal.report(Reporter(), answers(f"{CANARY} {n}")) for n in range(len(plan))]
    portal.report(Reporter(), answers())  # no feedback yet, time left
    late = portal.report(Reporter(), answers(), received=day(100))  # no feedback, too late
    office.ok("import", write(tmp_path, portal.bundle()))
    for thread, (outcome, reaction) in zip(threads, plan, strict=True):
        decided(office, thread, outcome, reaction)

    result = office.ok("stats", "--csv", str(tmp_path / "s.csv"))
    rows = list(csv.reader(io.StringIO((tmp_path / "s.csv").read_text("utf-8"))))
    cells = {(table, label): count for table, label, count in rows[1:]}
    expected = {
        ("Utfall (§10.4)", "Trakassering lagt til grunn"): "5",
        ("Utfall (§10.4)", "Trakassering ikke lagt til grunn"): "<5",
        ("Utfall (§10.4)", "Annet utfall"): "<5",
        ("Suspensjon og reaksjoner (§13, §14)", "Reaksjon (§14)"): "5",
        ("Suspensjon og reaksjoner (§13, §14)", "Fratreden av verv (§13.1)"): "<5",
        ("Suspensjon og reaksjoner (§13, §14)", "Suspensjon av medlemskap (§13.2)"): "<5",
        ("Tilbakemelding (frist 3 måneder)", "Innen fristen"): "7",
        ("Tilbakemelding (frist 3 måneder)", "Etter fristen"): "0",
        ("Tilbakemelding (frist 3 måneder)", "Ikke ennå, fristen løper"): "<5",
        ("Tilbakemelding (frist 3 måneder)", "Ikke ennå, fristen er passert"): "<5",
    }
    for key, count in expected.items():
        assert cells[key] == count, (key, cells[key])
    # The same cells in the printed tables, under their titles.
    printed = result.output
    for (title, label), count in expected.items():
        section = printed.split(title, 1)[1].split("\n\n", 1)[0]
        assert re.search(rf"^\s+{re.escape(label)}\s+{re.escape(count)}$", section, re.M), label
    assert CANARY not in printed and not any(t[:6] in printed for t in [*threads, late])
