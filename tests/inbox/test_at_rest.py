"""Nothing readable at rest: the home holds no report content in plaintext."""

import sqlite3
from pathlib import Path

from .conftest import CANARY, Office, Portal, Reporter, answers


def test_no_plaintext_in_the_home_after_import_reply_and_case_notes(
    office: Office, portal: Portal, reporter: Reporter, tmp_path: Path
) -> None:
    thread = portal.report(
        reporter,
        answers(f"hendelse {CANARY}", identity=f"navn {CANARY}"),
        [(f"fil-{CANARY}.txt", f"vedlegg {CANARY}".encode(), "text/plain")],
    )
    portal.message(thread, reporter, f"melding {CANARY}")
    bundle = tmp_path / "inn.vsb"
    bundle.write_bytes(portal.bundle())
    office.ok("import", str(bundle))
    office.ok("show", thread)
    office.ok("reply", thread, "-m", f"svar {CANARY}")
    office.ok("status", thread, "bekreftet")
    office.ok("case", "open", thread, "--handler", f"Saksbehandler {CANARY}", "--possible-crime")
    office.ok("case", "note", thread, "-t", f"referat {CANARY}")
    office.ok("case", "state", thread, "anklagedes-versjon", "--tell", f"fortalt {CANARY}")
    office.ok("export-outbound", str(tmp_path / "ut.vsb"))

    needles = [
        CANARY.encode(),
        "Trondheimsveien".encode("utf-16-le"),
        b"Saksbehandler",
        b"possible_crime",
        b"hendelse",
        b"referat Ka",
    ]
    scanned = 0
    for path in office.files():
        data = path.read_bytes()
        scanned += 1
        for needle in needles:
            assert needle not in data, f"{needle!r} in {path}"
    assert scanned >= 6  # office.key, office.pub, store.key, portal.pin, db, a blob
    # Only ids, days, states and counters are plaintext columns.
    db = sqlite3.connect(office.home.database)
    try:
        state, review = db.execute("SELECT state, review_day FROM cases").fetchone()
        assert (state, review) == ("anklagedes-versjon", None)
        kinds = {r[0] for r in db.execute("SELECT kind FROM case_log")}
        assert kinds == {"opprettet", "referat", "tilstand", "varsler-informert"}
    finally:
        db.close()


def test_a_wrapped_value_moved_to_another_row_does_not_open(
    office: Office, portal: Portal, tmp_path: Path
) -> None:
    first = portal.report(Reporter(), answers("første sak"))
    second = portal.report(Reporter(), answers("andre sak"))
    bundle = tmp_path / "inn.vsb"
    bundle.write_bytes(portal.bundle())
    office.ok("import", str(bundle))
    db = sqlite3.connect(office.home.database)
    try:
        sealed = db.execute("SELECT sealed FROM items WHERE thread = ?", (first,)).fetchone()[0]
        db.execute("UPDATE items SET sealed = ? WHERE thread = ?", (sealed, second))
        db.commit()
    finally:
        db.close()
    result = office.run("show", second)
    assert result.exit_code == 1
    assert "skadet" in result.output and "første sak" not in result.output
