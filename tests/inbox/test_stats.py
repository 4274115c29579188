"""``varsel-inbox stats``: counts only, small cells suppressed (§1, §6a)."""

import csv
import io
from pathlib import Path

from .conftest import CANARY, Office, Portal, Reporter, answers
from .test_case import pdftotext, write


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
